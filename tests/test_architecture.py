"""Imports flow one way (docs/explanation/architecture.md): a module imports only from
modules in its own or an upstream layer, at module level.  A function-level import of a
downstream module is allowed only where it is documented (``io.read_extract`` validates)."""

import ast
from pathlib import Path

import pytest

import socdata

ROOT = Path(socdata.__file__).parent

#: Layer of each top-level module or package, upstream (low) to downstream (high).
LAYERS = {
    "errors": 0,
    "provenance": 0,
    "results": 0,
    "paths": 0,
    "rounding": 0,
    "words": 0,
    "published": 0,
    "io": 1,
    "schemas": 2,
    "minimum_dataset": 2,
    "validate": 3,
    "templates": 3,
    "datasets": 4,
    "derive": 5,
    "linkage": 5,
    "describe": 6,
    "compare": 7,
    "plots": 7,
    "matching": 8,
    "did": 9,
    "review": 10,
    "report": 11,
    "reproduce": 12,
    "commands": 13,
    "cli": 13,
    "__init__": 99,
    "__main__": 99,
}

MODULES = sorted(p for p in ROOT.rglob("*.py") if "_bundled" not in p.parts)


def _module_level_imports(path: Path) -> list[str]:
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("socdata"):
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("socdata")]
    return out


def test_every_module_has_a_layer():
    tops = {p.relative_to(ROOT).with_suffix("").parts[0] for p in MODULES}
    assert tops <= set(LAYERS), f"add to LAYERS and to the architecture page: {tops - set(LAYERS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_upstream(path):
    me = path.relative_to(ROOT).with_suffix("").parts[0]
    for mod in _module_level_imports(path):
        parts = mod.split(".")
        target = parts[1] if len(parts) > 1 else "__init__"
        if target == me:
            continue
        assert LAYERS[target] <= LAYERS[me], (
            f"{path.relative_to(ROOT)} imports {mod}: {target} (layer {LAYERS[target]}) is "
            f"downstream of {me} (layer {LAYERS[me]})"
        )
