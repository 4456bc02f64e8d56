"""Results shared by the notebooks of a run in one kernel (socdata.pipeline.shared)."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

import socdata
from socdata.derive.panel import person_month_panel
from socdata.errors import ExcludedRowsWarning
from socdata.paths import synthetic_dir
from socdata.pipeline import RunContext
from socdata.pipeline.shared import _CACHE as shared_cache
from socdata.pipeline.shared import clear_shared, file_key, read_extract_once, shared


@pytest.fixture(autouse=True)
def _empty_cache():
    clear_shared()
    yield
    clear_shared()


def test_computed_once_and_each_caller_gets_its_own_copy():
    calls = []

    def build():
        calls.append(1)
        return pd.DataFrame({"x": [1, 2, 3]})

    a = shared(("t",), build)
    a.loc[0, "x"] = 99  # a notebook changing its frame
    b = shared(("t",), build)
    assert len(calls) == 1
    assert b["x"].tolist() == [1, 2, 3]
    assert a is not b


def test_warnings_are_emitted_again_on_every_hit():
    def build():
        warnings.warn("3 rows excluded", ExcludedRowsWarning, stacklevel=1)
        return 1

    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert shared(("w",), build) == 1
        assert [str(w.message) for w in caught] == ["3 rows excluded"]
        assert caught[0].category is ExcludedRowsWarning


def test_exceptions_are_not_cached():
    calls = []

    def build():
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("first time")
        return "ok"

    with pytest.raises(ValueError, match="first time"):
        shared(("e",), build)
    assert shared(("e",), build) == "ok"
    assert len(calls) == 2


def test_a_rewritten_file_is_read_again(tmp_path):
    src = synthetic_dir() / "plans.csv"
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(src, folder / "plans.csv")
    first = read_extract_once(folder, "plans")
    key = file_key(folder / "plans.csv")
    lines = (folder / "plans.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "plans.csv").write_text("".join(lines[:-1]), encoding="utf-8")  # one row fewer
    assert file_key(folder / "plans.csv") != key
    second = read_extract_once(folder, "plans")
    assert len(second) == len(first) - 1


def test_context_reads_match_read_extract_and_the_panel_matches_its_builder(tmp_path):
    ctx = RunContext.resolve(None, tmp_path / "out")
    persons = ctx.read_extract("police_persons")
    pd.testing.assert_frame_equal(persons, socdata.read_extract(synthetic_dir(), "police_persons"))
    direct = person_month_panel(
        socdata.read_extract(synthetic_dir(), "police_persons"),
        socdata.read_extract(synthetic_dir(), "police_events"),
        socdata.read_extract(synthetic_dir(), "police_missing"),
    )
    pd.testing.assert_frame_equal(ctx.police_panel(), direct)
    pd.testing.assert_frame_equal(ctx.police_panel(), direct)  # the shared copy


def test_validation_handed_to_the_notebooks_is_the_same(tmp_path):
    from socdata.report.validation import validation_summary

    ctx = RunContext.resolve(None, tmp_path / "out")
    summary = validation_summary(synthetic_dir())
    handed = ctx.with_validation(summary, tmp_path)
    back = RunContext.from_mapping(handed.to_mapping())  # as the notebook receives it
    got = back.validation_summary()
    pd.testing.assert_frame_equal(got.extracts, summary.extracts)
    pd.testing.assert_frame_equal(got.rules, summary.rules)
    assert ctx.validation_file is None  # on its own a notebook validates itself
    pd.testing.assert_frame_equal(ctx.validation_summary().extracts, summary.extracts)


def _damaged(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    lines = (synthetic_dir() / "plans.csv").read_text(encoding="utf-8").splitlines(True)
    header = lines[0].rstrip("\n").split(",")
    bad = lines[1].rstrip("\n").split(",")
    bad[header.index("plan_date")] = "not a date"
    (folder / "plans.csv").write_text("".join([lines[0], ",".join(bad) + "\n", *lines[2:]]))
    return folder


def test_shared_validation_gives_what_read_extract_gives_strict_or_not(tmp_path):
    folder = _damaged(tmp_path)
    with pytest.raises(socdata.errors.ExtractValidationError) as direct:
        socdata.read_extract(folder, "plans")
    with pytest.raises(socdata.errors.ExtractValidationError) as once:
        read_extract_once(folder, "plans")
    assert str(once.value) == str(direct.value)
    with pytest.warns(ExcludedRowsWarning) as w_direct:
        expected = socdata.read_extract(folder, "plans", strict=False)
    with pytest.warns(ExcludedRowsWarning) as w_once:
        got = read_extract_once(folder, "plans", strict=False)
    pd.testing.assert_frame_equal(got, expected)
    assert [str(w.message) for w in w_once] == [str(w.message) for w in w_direct]
    assert w_once[0].filename == __file__  # the warning names the caller's line


def test_validation_step_and_notebook_reads_share_one_validation(tmp_path, monkeypatch):
    from socdata.pipeline.steps import validate_step
    from socdata.validate import extract

    calls = []
    real = extract.validate_extract
    monkeypatch.setattr(
        "socdata.validate.validate_extract",
        lambda *a, **k: calls.append(a[1]) or real(*a, **k),
    )
    summary = validate_step(synthetic_dir(), lambda _m: None)
    n = len(calls)
    assert n == int((summary.extracts["status"] != "absent").sum())
    for kind in ("service", "police_persons"):
        read_extract_once(synthetic_dir(), kind)
        read_extract_once(synthetic_dir(), kind, strict=False)
    assert len(calls) == n  # no file validated twice


def test_exported_results_and_their_warnings_arrive_in_another_process(tmp_path):
    import subprocess
    import sys

    from socdata.pipeline.shared import export_shared

    def build():
        warnings.warn("2 rows excluded", ExcludedRowsWarning, stacklevel=1)
        return pd.DataFrame({"x": [1.5, 2.5]})

    with pytest.warns(ExcludedRowsWarning):
        shared(("demo",), build)
    payload = tmp_path / "payload"
    payload.write_bytes(export_shared())
    code = (
        "import warnings, pathlib\n"
        "from socdata.pipeline.shared import import_shared, shared\n"
        f"assert import_shared(pathlib.Path({str(payload)!r}).read_bytes()) == 1\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    frame = shared(('demo',), lambda: 1 / 0)\n"
        "print(frame['x'].tolist(), [str(m.message) for m in w], w[0].category.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[1.5, 2.5] ['2 rows excluded'] ExcludedRowsWarning"


def test_the_police_panel_is_built_once_before_the_notebooks_ask(tmp_path, monkeypatch):
    import socdata.derive.panel as panel_module
    from socdata.pipeline.steps import validate_step, warm_step

    calls = []
    real = panel_module.person_month_panel
    monkeypatch.setattr(
        panel_module, "person_month_panel", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    ctx = RunContext.resolve(None, tmp_path / "out")
    warm_step(ctx, validate_step(ctx.data_dir, lambda _m: None))
    assert calls == [1]
    pd.testing.assert_frame_equal(ctx.police_panel(), ctx.police_panel())
    assert calls == [1]  # the notebooks' calls are hits


def test_no_panel_is_built_from_police_extracts_with_rejected_rows(tmp_path, monkeypatch):
    from socdata.pipeline.steps import validate_step, warm_step

    folder = tmp_path / "data"
    folder.mkdir()
    for kind in ("police_persons", "police_events", "police_missing"):
        shutil.copy(synthetic_dir() / f"{kind}.csv", folder / f"{kind}.csv")
    lines = (folder / "police_events.csv").read_text(encoding="utf-8").splitlines(True)
    (folder / "police_events.csv").write_text("".join([*lines, "x,y,z\n"]), encoding="utf-8")
    ctx = RunContext.resolve(folder, tmp_path / "out")
    validation = validate_step(folder, lambda _m: None)
    assert validation.extracts.set_index("kind").loc["police_events", "status"] != "valid"
    warm_step(ctx, validation)  # nothing built, nothing raised: the notebook will say why
    assert not [key for key in shared_cache if key[0] == "police_panel"]


def test_each_read_gets_its_own_rows_and_the_shared_validation_is_untouched():
    first = read_extract_once(synthetic_dir(), "plans")
    first.iloc[0, 0] = "changed by a notebook"
    second = read_extract_once(synthetic_dir(), "plans")
    pd.testing.assert_frame_equal(second, socdata.read_extract(synthetic_dir(), "plans"))
