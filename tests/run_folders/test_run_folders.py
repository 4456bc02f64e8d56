"""Folders of a reproduce run: fail fast on the data folder, own only what was written."""

from __future__ import annotations

import json
import shutil

import pytest

from socdata.errors import OutputPathError, UsageError
from socdata.paths import synthetic_dir
from socdata.run_folders import (
    OWNERSHIP_FILE,
    check_data_folder,
    claim_output_folder,
    record_outputs,
)


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    shutil.copy(synthetic_dir() / "plans.csv", d / "plans.csv")
    return d


def test_data_folder_checked_first(tmp_path, data):
    assert [p.name for p in check_data_folder(data)] == ["plans.csv"]
    with pytest.raises(UsageError, match="does not exist"):
        check_data_folder(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match=r"holds no extract \(found: nothing\)"):
        check_data_folder(empty)
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "notes.docx").write_text("x")
    (wrong / "referrals_2023.csv").write_text("a,b\n")
    with pytest.raises(UsageError, match=r"found: notes\.docx, referrals_2023\.csv"):
        check_data_folder(wrong)
    f = tmp_path / "file.csv"
    f.write_text("x")
    with pytest.raises(UsageError, match="is a file, not a folder"):
        check_data_folder(f)


def test_new_folder_is_owned_and_outputs_listed(tmp_path, data):
    out = tmp_path / "out"
    folder = claim_output_folder(out, data_dir=data)
    assert folder.created and folder.foreign == {}
    (out / "tables").mkdir()
    (out / "tables" / "t.csv").write_text("a\n1\n")
    (out / "report.html").write_text("<html/>")
    written = record_outputs(folder)
    assert set(written) == {"tables/t.csv", "report.html"}
    meta = json.loads((out / OWNERSHIP_FILE).read_text())
    assert meta["files"] == written and meta["status"] == "finished"
    # the next run removes exactly these (unchanged) files
    again = claim_output_folder(out, data_dir=data)
    assert set(again.removed) == {"tables/t.csv", "report.html"}
    assert not (out / "report.html").exists()


def test_user_files_are_never_deleted(tmp_path, data):
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "mine.csv").write_text("precious")
    (out / "figures").mkdir()
    (out / "figures" / "mine.png").write_bytes(b"\x89PNG")
    with pytest.raises(OutputPathError, match=r"holds 2 file\(s\) that socdata did not write"):
        claim_output_folder(out, data_dir=data)
    assert not (out / OWNERSHIP_FILE).exists()  # a refused folder is not touched
    folder = claim_output_folder(out, data_dir=data, overwrite=True)
    assert folder.removed == () and set(folder.foreign) == {"tables/mine.csv", "figures/mine.png"}
    (out / "tables" / "t.csv").write_text("a\n")
    assert set(record_outputs(folder)) == {"tables/t.csv"}
    assert (out / "tables" / "mine.csv").read_text() == "precious"
    # the next run (without --overwrite) still refuses: the user's files are still there
    with pytest.raises(OutputPathError, match=r"tables/mine\.csv"):
        claim_output_folder(out, data_dir=data)


def test_an_output_edited_by_the_user_is_theirs_again(tmp_path, data):
    out = tmp_path / "out"
    folder = claim_output_folder(out, data_dir=data)
    (out / "t.csv").write_text("a\n1\n")
    record_outputs(folder)
    (out / "t.csv").write_text("a\n1\nmy note\n")
    with pytest.raises(OutputPathError, match=r"t\.csv"):
        claim_output_folder(out, data_dir=data)
    assert (out / "t.csv").read_text().endswith("my note\n")


def test_output_folder_may_not_overlap_inputs(tmp_path, data):
    with pytest.raises(OutputPathError, match="is the data folder"):
        claim_output_folder(data, data_dir=data)
    with pytest.raises(OutputPathError, match="is the data folder or inside it"):
        claim_output_folder(data / "out", data_dir=data)
    with pytest.raises(OutputPathError, match="contains the data folder"):
        claim_output_folder(tmp_path, data_dir=data)
    f = tmp_path / "out.txt"
    f.write_text("x")
    with pytest.raises(OutputPathError, match="is an existing file, not a folder"):
        claim_output_folder(f, data_dir=data)
    assert f.read_text() == "x"
    assert sorted(p.name for p in data.iterdir()) == ["plans.csv"]


def test_unwritable_folder_is_a_plain_error(tmp_path, data, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(out), "write_text", denied)
    with pytest.raises(OutputPathError, match="cannot write in this folder"):
        claim_output_folder(out, data_dir=data)
