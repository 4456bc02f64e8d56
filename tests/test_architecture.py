"""Imports flow one way (docs/explanation/architecture.md).

Every import of every module is read, wherever it is: module level, inside functions and
classes, under ``if TYPE_CHECKING``, and ``importlib.import_module`` / ``__import__`` /
``socdata._lazy.lazy_module`` calls, whose name may be a literal, an f-string with a literal
``socdata.<package>.`` prefix, or a module-level constant (a string, or a dict of strings
indexed by the call). A call whose target cannot be read that way fails the test (unless its
module is in :data:`DYNAMIC`, or the call is in an alias scope, which may import anything), so
no import hides from the check. A module may import only from its own or an upstream layer. Deprecated alias
modules (and alias ``__getattr__`` hooks) that call :func:`socdata.moved.warn_moved` may
import the new location, wherever it is: that is what an alias is for.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import socdata

ROOT = Path(socdata.__file__).parent

#: Layer of each top-level module or package, upstream (low) to downstream (high).
LAYERS = {
    # foundations: no socdata imports except each other
    "_lazy": 0,
    "errors": 0,
    "provenance": 0,
    "results": 0,
    "options": 0,
    "paths": 0,
    "rounding": 0,
    "words": 0,
    "published": 0,
    "moved": 0,
    "safe_output": 0,
    "dates": 0,
    "distributions": 0,
    "io": 1,
    "schemas": 2,
    "minimum_dataset": 2,
    "validate": 3,
    "templates": 3,
    "derive": 4,
    "linkage": 4,
    "describe": 5,
    "matching": 5,
    "did": 5,
    "scale": 5,  # cohort statistics from table engines (did dispatches to it lazily)
    "plots": 5,
    "review": 6,
    "soceis": 7,
    "compare": 7,  # deprecated alias of soceis.compare
    "datasets": 8,
    "report": 9,
    "control": 9,
    "federated": 9,  # site statistics under output control (uses report rule sets)
    "reproduce": 10,
    "pipeline": 10,
    "run_folders": 10,
    "commands": 11,
    "cli": 11,
    "__init__": 99,
    "__main__": 99,
}

#: Upward imports that are still allowed, each with its reason. The test fails when one is
#: no longer needed, so the list only shrinks.
EXCEPTIONS: dict[tuple[str, str], str] = {}

#: Modules whose dynamic imports cannot be read, each with its reason.
DYNAMIC: dict[str, str] = {
    "socdata": "the root package imports any public subpackage on first use (layer 99)",
    "socdata._lazy": "lazy_module(name) imports the name its caller gives (read at the caller)",
}

#: Functions that import the module named by their first argument.
_IMPORTERS = ("import_module", "__import__", "lazy_module")

MODULES = sorted(p for p in ROOT.rglob("*.py") if "_bundled" not in p.parts)


def _module_name(path: Path) -> str:
    parts = ("socdata", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _calls_warn_moved(body: list[ast.stmt]) -> bool:
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
                if name == "warn_moved":
                    return True
    return False


def _resolve(node: ast.ImportFrom, me: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = me.split(".") if is_package else me.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _constants(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level names bound to a string, or to a dict (or tuple) of strings."""
    out: dict[str, list[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        items = value.values if isinstance(value, ast.Dict) else [value]
        if isinstance(value, ast.Tuple | ast.List):
            items = value.elts
        texts = [v.value for v in items if isinstance(v, ast.Constant)]
        if texts and all(isinstance(t, str) for t in texts) and len(texts) == len(items):
            out[target.id] = texts
    return out


def _import_targets(arg: ast.expr, constants: dict[str, list[str]]) -> list[str] | None:
    """The module names an importer call's argument can take (``None``: cannot be read)."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.JoinedStr):
        prefix = ""
        for part in arg.values:
            if not isinstance(part, ast.Constant):
                break
            prefix += str(part.value)
        package = prefix.rsplit(".", 1)[0] if "." in prefix else ""
        # f"socdata.commands.{name}" is in socdata.commands; f"socdata.{name}" is anywhere
        return [package] if package.startswith("socdata.") else None
    if isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name):
        return constants.get(arg.value.id)
    if isinstance(arg, ast.Name) and len(constants.get(arg.id, ())) == 1:
        return constants[arg.id]
    return None


class _Imports(ast.NodeVisitor):
    """Collect ``(line, imported module, in an alias scope)`` for every socdata import.

    Importer calls whose target cannot be read are collected in :attr:`dynamic`.
    """

    def __init__(
        self,
        me: str,
        is_package: bool,
        module_alias: bool,
        constants: dict[str, list[str]] | None = None,
    ) -> None:
        self.me, self.is_package = me, is_package
        self.alias = [module_alias]
        self.constants = constants or {}
        self.found: list[tuple[int, str, bool]] = []
        self.dynamic: list[int] = []

    def _add(self, line: int, mod: str) -> None:
        if mod.startswith("socdata."):  # the root package is imported by every submodule
            self.found.append((line, mod, self.alias[-1]))

    def _scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.alias.append(self.alias[-1] or _calls_warn_moved(node.body))
        self.generic_visit(node)
        self.alias.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self._add(node.lineno, a.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        mod = _resolve(node, self.me, self.is_package)
        self._add(node.lineno, mod)
        if mod == "socdata":  # from socdata import io -> the submodule (not __version__)
            for a in node.names:
                if (ROOT / a.name).is_dir() or (ROOT / f"{a.name}.py").is_file():
                    self._add(node.lineno, f"socdata.{a.name}")

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        if name in _IMPORTERS and node.args:
            targets = _import_targets(node.args[0], self.constants)
            if targets is None and not self.alias[-1]:  # an alias may import anything
                self.dynamic.append(node.lineno)
            for target in targets or ():
                self._add(node.lineno, target)
        self.generic_visit(node)


def _visit(path: Path) -> _Imports:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    v = _Imports(
        _module_name(path),
        path.name == "__init__.py",
        _calls_warn_moved(tree.body),
        _constants(tree),
    )
    v.visit(tree)
    return v


def imports_of(path: Path) -> list[tuple[int, str, bool]]:
    """Every socdata import of a module: ``(line, module, inside an alias scope)``."""
    return _visit(path).found


def _top(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_layer():
    tops = {p.relative_to(ROOT).with_suffix("").parts[0] for p in MODULES}
    assert tops <= set(LAYERS), f"add to LAYERS and to the architecture page: {tops - set(LAYERS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_upstream(path):
    me = path.relative_to(ROOT).with_suffix("").parts[0]
    for line, mod, alias in imports_of(path):
        target = _top(mod)
        if target == me or alias or (me, target) in EXCEPTIONS:
            continue
        assert target in LAYERS, f"{path.relative_to(ROOT)}:{line} imports unknown {mod}"
        assert LAYERS[target] <= LAYERS[me], (
            f"{path.relative_to(ROOT)}:{line} imports {mod}: {target} (layer "
            f"{LAYERS[target]}) is downstream of {me} (layer {LAYERS[me]})"
        )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_hides_its_target(path):
    name = _module_name(path)
    dynamic = _visit(path).dynamic
    if name in DYNAMIC:
        assert dynamic, f"{name} has no dynamic import any more: remove it from DYNAMIC"
        return
    assert not dynamic, (
        f"{path.relative_to(ROOT)}:{dynamic[0]} imports a module whose name the architecture "
        "test cannot read: use a literal, an f-string with a literal 'socdata.<package>.' "
        "prefix, or a module-level dict of module names"
    )


def test_exceptions_are_still_needed():
    used = set()
    for path in MODULES:
        me = path.relative_to(ROOT).with_suffix("").parts[0]
        used |= {(me, _top(m)) for _, m, alias in imports_of(path) if not alias}
    stale = set(EXCEPTIONS) - used
    assert not stale, f"remove from EXCEPTIONS, no longer imported: {stale}"


# ---- the checker itself: each kind of import is seen ------------------------------------


def _checker(source: str, name: str = "x.py") -> _Imports:
    # pretend the file lives at ROOT/<name> for module-name resolution
    tree = ast.parse(source)
    v = _Imports(
        f"socdata.{Path(name).stem}", False, _calls_warn_moved(tree.body), _constants(tree)
    )
    v.visit(tree)
    return v


def _check(tmp_path: Path, name: str, source: str) -> list[tuple[int, str, bool]]:
    p = tmp_path / name
    p.write_text(source, encoding="utf-8")
    return _checker(source, name).found


def test_checker_sees_function_level_and_string_imports(tmp_path):
    src = (
        "import importlib\n"
        "def f():\n"
        "    from socdata.report import write_table\n"
        "    importlib.import_module('socdata.did')\n"
        "class C:\n"
        "    def g(self):\n"
        "        import socdata.cli\n"
        "from socdata import review\n"
    )
    found = {m for _, m, _ in _check(tmp_path, "x.py", src)}
    assert {"socdata.report", "socdata.did", "socdata.cli", "socdata.review"} <= found


def test_checker_exempts_only_alias_scopes(tmp_path):
    src = (
        "from socdata.moved import warn_moved\n"
        "def __getattr__(name):\n"
        "    warn_moved('socdata.compare')\n"
        "    from socdata.soceis import compare\n"
        "    return compare\n"
        "def other():\n"
        "    from socdata.report import write_table\n"
    )
    found = {m: alias for _, m, alias in _check(tmp_path, "x.py", src)}
    assert found["socdata.soceis"] is True
    assert found["socdata.report"] is False


def test_a_planted_upward_import_fails(tmp_path):
    src = "def f():\n    import importlib\n    return importlib.import_module('socdata.report')\n"
    (_line, mod, alias), *_ = _check(tmp_path, "derive_x.py", src)
    assert (_top(mod), alias) == ("report", False)
    assert LAYERS["report"] > LAYERS["derive"]


def test_checker_reads_dynamic_names():
    src = (
        "import importlib\n"
        "_LAZY = {'a': 'socdata.report.tables', 'b': 'socdata.did'}\n"
        "stats = lazy_module('socdata.review')\n"
        "def f(name):\n"
        "    importlib.import_module(f'socdata.commands.{name}')\n"
        "    return importlib.import_module(_LAZY[name])\n"
    )
    v = _checker(src)
    found = {m for _, m, _ in v.found}
    assert found == {"socdata.report.tables", "socdata.did", "socdata.review", "socdata.commands"}
    assert not v.dynamic


def test_checker_flags_unreadable_names():
    src = (
        "import importlib\n"
        "def f(name):\n"
        "    importlib.import_module(name)\n"
        "    importlib.import_module(f'socdata.{name}')\n"
    )
    assert _checker(src).dynamic == [3, 4]
    alias = (
        "import importlib\n"
        "from socdata.moved import warn_moved\n"
        "def __getattr__(name):\n"
        "    warn_moved('socdata.compare')\n"
        "    return importlib.import_module(TABLE[name])\n"
    )
    assert _checker(alias).dynamic == []
