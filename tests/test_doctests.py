"""Every docstring example in socdata runs, and a module's doctest run checks something.

Modules are found by their source containing ``>>>``, so a new example is tested without
being registered. A run that attempts no example (every example skipped, or the examples
not collected) fails, unless the module is listed in :data:`NOT_RUN` with its reason.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import socdata

ROOT = Path(socdata.__file__).parent

#: Modules whose examples are illustrations only (every one marked +SKIP), with the reason.
NOT_RUN: dict[str, str] = {
    "socdata.did.bootstrap": "the example needs the benchmarks' panel generator",
    "socdata.did.twfe": "the example needs a police panel built in the how-to",
}
#: Modules whose examples are known to fail (strict: the test fails once they are fixed).
BROKEN: dict[str, str] = {
    "socdata.did.att_gt": "module example uses `did` and `panel` without defining them",
    "socdata.report.disclosure": "round_to_base returns floats; the example shows ints",
}


def _modules() -> list[str]:
    out = []
    for p in sorted(ROOT.rglob("*.py")):
        if "_bundled" in p.parts or ">>>" not in p.read_text(encoding="utf-8"):
            continue
        parts = ("socdata", *p.relative_to(ROOT).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append(name)
    return out


def _param(name: str):
    marks = [pytest.mark.xfail(reason=BROKEN[name], strict=True)] if name in BROKEN else []
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.filterwarnings("ignore::socdata.errors.SocdataWarning")
@pytest.mark.parametrize("name", [_param(m) for m in _modules()])
def test_docstring_examples_run(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0
    if name in NOT_RUN:
        assert res.attempted == 0, f"{name} now runs its examples: remove it from NOT_RUN"
    else:
        assert res.attempted > 0, f"{name} has '>>>' but no example ran (all skipped?)"


def test_the_module_list_is_not_empty():
    mods = _modules()
    assert {"socdata.dates", "socdata.review.checks", "socdata.words"} <= set(mods)
    assert set(NOT_RUN) | set(BROKEN) <= set(mods)
