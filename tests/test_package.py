"""Package-level contracts: import, version, CLI entry point, the public API."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import socdata


def test_version_is_a_string():
    assert isinstance(socdata.__version__, str)


def test_cli_help_exits_cleanly():
    proc = subprocess.run(
        [sys.executable, "-m", "socdata", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "socdata" in proc.stdout


# --- the public API: dir(socdata), lazy imports, one runnable example each ------------------

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def test_dir_lists_the_public_api():
    names = dir(socdata)
    for name in ("read_extract", "validate_extract", "io", "describe", "matching", "did",
                 "review", "report", "datasets", "derive", "reproduce"):  # fmt: skip
        assert name in socdata.__all__ and name in names
    # tab completion shows the API, not the machinery of the module
    assert not [n for n in names if not n.startswith("__") and n not in socdata.__all__]


@pytest.mark.parametrize("name", [n for n in socdata.__all__ if n != "__version__"])
def test_every_public_name_resolves_and_has_an_example(name):
    obj = getattr(socdata, name)
    doc = inspect.getdoc(obj) or ""
    # the example itself runs as a doctest (pytest --doctest-modules over src/socdata)
    assert ">>> " in doc, f"socdata.{name}: add an Examples section to its docstring"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        socdata.nonsense  # noqa: B018


def test_import_socdata_is_cheap_and_did_does_not_import_scipy():
    # `import socdata` loads no pandas; `import socdata.did` defers scipy to first use
    out = _run(
        "import sys, socdata; a = 'pandas' in sys.modules; import socdata.did;"
        "print(a, any(m.startswith('scipy') for m in sys.modules))"
    )
    assert out == "False False"


def test_version_is_semantic_and_the_same_everywhere():
    version = socdata.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?", version)
    from socdata.provenance import package_version

    assert package_version() == version
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf"^version: ['\"]?{re.escape(version)}['\"]?$", cff, re.M)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(version)}\]", changelog, re.M)


def test_cli_prints_the_version():
    proc = subprocess.run(
        [sys.executable, "-m", "socdata", "--version"], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == f"socdata {socdata.__version__}"
