"""Reading an extract by kind from a folder (``socdata.io.find_extract``)."""

import shutil

import pytest

import socdata
from socdata.errors import ExtractReadError
from socdata.io import find_extract
from socdata.paths import synthetic_dir
from socdata.validate import validate_extract


def test_folder_and_file_give_the_same_frame():
    from_folder = socdata.read_extract(synthetic_dir(), "plans")
    from_file = socdata.read_extract(synthetic_dir() / "plans.csv", "plans")
    assert from_folder.equals(from_file)


def test_validate_extract_accepts_a_folder():
    res = validate_extract(synthetic_dir(), "participants")
    assert res.source == "participants.csv"
    assert res.n_valid + res.n_rejected == res.n_input


def test_missing_kind_names_folder_kind_and_files_present(tmp_path):
    shutil.copy(synthetic_dir() / "plans.csv", tmp_path / "plans.csv")
    with pytest.raises(ExtractReadError) as err:
        find_extract(tmp_path, "service")
    msg = str(err.value)
    assert str(tmp_path) in msg
    assert "no service extract" in msg
    assert "plans.csv" in msg
    assert "name the file service.csv" in msg


def test_two_files_for_one_kind_is_an_error_not_a_guess(tmp_path):
    for name in ("service.csv", "Service.xlsx"):
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(ExtractReadError, match="several files for the service extract"):
        find_extract(tmp_path, "service")


def test_match_ignores_case_and_other_suffixes(tmp_path):
    (tmp_path / "SERVICE.CSV").write_text("a\n1\n")
    (tmp_path / "service.json").write_text("{}")
    assert find_extract(tmp_path, "service").name == "SERVICE.CSV"


def test_no_such_folder(tmp_path):
    with pytest.raises(ExtractReadError, match="no such folder"):
        find_extract(tmp_path / "absent", "service")


def test_reproduce_sees_every_file_read_extract_can_find(tmp_path):
    """One suffix list: a Parquet extract named ``.pq`` is found by read_extract and listed by
    reproduce's validation step alike, and an ``.xls`` is found and refused with the fix."""
    import pandas as pd

    from socdata.report import find_extracts

    frame = pd.read_csv(synthetic_dir() / "plans.csv")
    frame.to_parquet(tmp_path / "plans.pq")
    (tmp_path / "service.xls").write_bytes(b"not really excel")
    found = find_extracts(tmp_path)
    assert found["plans"] == tmp_path / "plans.pq"
    assert found["service"] == tmp_path / "service.xls"
    assert len(socdata.read_extract(tmp_path, "plans")) == len(frame)
    with pytest.raises(ExtractReadError, match="xlsx"):
        socdata.read_extract(tmp_path, "service")
