"""A docstring example either runs or is listed as an illustration: none passes unchecked.

``pytest --doctest-modules`` (pyproject) runs every example under ``src/socdata``; a module
whose examples are all marked ``+SKIP`` is reported as skipped, and one with no examples
yields no test at all. This test reads the examples without running them and fails when
a module's source has ``>>>`` but no example would run, unless the module is in
:data:`NOT_RUN` with its reason (the CI skip rule in tests/conftest.py then lets its
skipped doctest pass).
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import socdata
from socdata.moved import MOVED

ROOT = Path(socdata.__file__).parent

#: Modules whose examples are illustrations only (every one marked +SKIP), with the reason.
NOT_RUN: dict[str, str] = {
    "socdata.did.bootstrap": "the example needs the benchmarks' panel generator",
    "socdata.did.twfe": "the example needs a police panel built in the how-to",
}


def _modules() -> list[str]:
    out = []
    for p in sorted(ROOT.rglob("*.py")):
        if "_bundled" in p.parts or ">>>" not in p.read_text(encoding="utf-8"):
            continue
        parts = ("socdata", *p.relative_to(ROOT).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in MOVED:
            out.append(name)
    return out


def _runnable_examples(name: str) -> int:
    skip = doctest.OPTIONFLAGS_BY_NAME["SKIP"]
    tests = doctest.DocTestFinder().find(importlib.import_module(name))
    return sum(1 for t in tests for ex in t.examples if not ex.options.get(skip, False))


@pytest.mark.parametrize("name", _modules())
def test_examples_run_or_are_listed(name):
    n = _runnable_examples(name)
    if name in NOT_RUN:
        assert n == 0, f"{name} now runs {n} example(s): remove it from NOT_RUN"
    else:
        assert n > 0, f"{name} has '>>>' but every example is skipped: nothing is checked"


def test_the_module_list_is_not_empty():
    mods = _modules()
    assert {"socdata.dates", "socdata.review.checks", "socdata.words"} <= set(mods)
    assert set(NOT_RUN) <= set(mods)
