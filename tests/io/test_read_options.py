"""--column-map and --sheet reach every notebook: through the run context, not the environment."""

from __future__ import annotations

import pytest

from socdata.errors import UsageError
from socdata.io import ReadOptions, load_column_map, read_options, set_read_options
from socdata.io.options import parse_sheets
from socdata.pipeline.context import RunContext
from socdata.validate import read_extract

HEADER = "Interviewee,Area,Role,Phase,When\n"


@pytest.fixture(autouse=True)
def _no_active_options():
    set_read_options(None)
    yield
    set_read_options(None)


def test_column_map_files(tmp_path):
    flat = tmp_path / "m.yaml"
    flat.write_text("Interviewee: participant_id\n")
    assert load_column_map(flat, kind="participants") == {
        "participants": {"Interviewee": "participant_id"}
    }
    assert load_column_map(flat) == {"*": {"Interviewee": "participant_id"}}
    by_kind = tmp_path / "k.yaml"
    by_kind.write_text("service:\n  Ref Date: referral_date\nplans:\n  Plan: plan_date\n")
    assert load_column_map(by_kind)["plans"] == {"Plan": "plan_date"}
    csv_map = tmp_path / "m.csv"
    csv_map.write_text("supplier,canonical\nInterviewee,participant_id\n")
    assert load_column_map(csv_map) == {"*": {"Interviewee": "participant_id"}}
    for text in ("- a\n- b\n", "Interviewee: [1, 2]\n", "a: b: c: :\n"):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(UsageError):
            load_column_map(bad)
    assert parse_sheets(["Data", "service=Referrals"]) == {"*": "Data", "service": "Referrals"}


def test_run_context_carries_and_activates_the_options(tmp_path):
    opts = ReadOptions(
        {"participants": {"Interviewee": "participant_id", "When": "interview_date"}}
    )
    ctx = RunContext.resolve(None, tmp_path / "out", read_options=opts, warn=False)
    mapping = ctx.to_mapping()
    assert mapping["read_options"]["column_maps"]["participants"]["When"] == "interview_date"
    assert read_options() is None
    RunContext.for_notebook(mapping)  # what each notebook does first
    assert read_options() == opts
    path = tmp_path / "participants.csv"
    path.write_text(HEADER + "IP1,Cardiff,Parent,3,01/02/2021\n")
    frame = read_extract(tmp_path, "participants")  # a folder, as the notebooks read it
    assert frame["participant_id"].tolist() == ["IP1"]
    # a context without options switches them off again (warm kernels run many notebooks)
    RunContext.for_notebook(RunContext.resolve(None, tmp_path / "out", warn=False).to_mapping())
    assert read_options() is None
