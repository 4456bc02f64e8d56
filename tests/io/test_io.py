"""Readers: encodings, delimiters, dates, Excel (with title blocks), Parquet, names, labels."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pytest

from socdata.datasets import random_extract, to_csv
from socdata.errors import ExcludedRowsWarning, ExtractReadError, ExtractValidationError
from socdata.io import (
    label_key,
    normalise_labels,
    normalise_name,
    parse_dates,
    parse_integers,
    read_table,
)
from socdata.validate import read_extract, validate_extract

PARTICIPANTS = "Participant ID,Area,Role,Phase,Interview date\n"


def _write(tmp_path, text, name="p.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ----------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01/06/2021", "2021-06-01"),
        ("1/6/2021", "2021-06-01"),
        ("01-06-2021", "2021-06-01"),
        ("01.06.2021", "2021-06-01"),
        ("2021-06-01", "2021-06-01"),
        ("2021-06-01 13:45:00", "2021-06-01"),
        ("1 Jun 2021", "2021-06-01"),
        ("01-June-2021", "2021-06-01"),
        ("44348", "2021-06-01"),
        (44348, "2021-06-01"),
        (44348.0, "2021-06-01"),
        (dt.datetime(2021, 6, 1, 10, 0), "2021-06-01"),
        (pd.Timestamp("2021-06-01"), "2021-06-01"),
        (dt.date(2021, 6, 1), "2021-06-01"),
    ],
)
def test_parse_dates_accepted_forms(raw, expected):
    parsed, bad = parse_dates(pd.Series([raw], dtype=object))
    assert not bad.any()
    assert parsed.iloc[0] == pd.Timestamp(expected)
    assert parsed.dtype == "datetime64[ns]"


def test_excel_serial_matches_excel_epoch():
    # independent reference: Excel's 1900 date system counts 1 = 1900-01-01 with the fictitious
    # 1900-02-29, so serials from 61 on are days since 1899-12-30
    for serial in (61, 25569, 36526, 44348, 73415):
        ref = dt.date(1899, 12, 30) + dt.timedelta(days=serial)
        parsed, bad = parse_dates(pd.Series([str(serial)]))
        assert not bad.any() and parsed.iloc[0].date() == ref


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/2021",
        "06/13/2021",
        "2021-13-01",
        "tomorrow",
        "21/06/21",
        "60",
        "99999",
        "01/06/2021x",
    ],
)
def test_parse_dates_rejects(raw):
    parsed, bad = parse_dates(pd.Series([raw]))
    assert bad.tolist() == [True] and pd.isna(parsed.iloc[0])


def test_parse_datetimes_keep_time_and_missing_tokens():
    parsed, bad = parse_dates(
        pd.Series(["01/06/2021 14:30", "2021-06-01T08:05:09", "", "N/A", None, 44348.5]),
        with_time=True,
    )
    assert bad.tolist() == [False] * 6
    assert parsed.iloc[0] == pd.Timestamp("2021-06-01 14:30")
    assert parsed.iloc[1] == pd.Timestamp("2021-06-01 08:05:09")
    assert parsed.iloc[2:5].isna().all()
    assert parsed.iloc[5] == pd.Timestamp("2021-06-01 12:00")


def test_parse_integers():
    parsed, bad = parse_integers(
        pd.Series(["15", " 7 ", 3, 4.0, "4.0", "", "1.5", "x", True], dtype=object)
    )
    assert parsed.dtype == "Int64"
    assert parsed.iloc[:5].tolist() == [15, 7, 3, 4, 4]
    assert bad.tolist() == [False] * 6 + [True, True, True]


# ----------------------------------------------------------------- names and labels


def test_normalise_name():
    assert normalise_name("Date of Referral") == "date_of_referral"
    assert normalise_name("  DATE_OF-REFERRAL ") == "date_of_referral"
    assert normalise_name("Children’s services") == "childrens_services"


def test_label_key_and_synonyms():
    assert label_key("Children’s  Services ") == label_key("children's services")
    labels, unmapped = normalise_labels(
        pd.Series(
            [
                "CHILDREN’S SERVICES",
                "childrens services",
                "Social Work",
                "YOS",
                "",
                "Youth Offending Service",
                "Social Servicez",
            ]
        ),
        allowed=["Children's Services", "Youth Justice Service"],
        synonyms={
            "Childrens services": "Children's Services",
            "Social Work": "Children's Services",
            "YOS": "Youth Justice Service",
            "Youth Offending Service": "Youth Justice Service",
        },
    )
    assert labels.iloc[:4].tolist() == ["Children's Services"] * 3 + ["Youth Justice Service"]
    assert pd.isna(labels.iloc[4]) and labels.iloc[5] == "Youth Justice Service"
    assert unmapped.tolist() == [False] * 6 + [True]


# ----------------------------------------------------------------- CSV encodings and shapes


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_csv_encodings(tmp_path, encoding):
    text = (
        "Person ID,Referral ID,Area,Nation,Age,Gender,Referral date,Referral source,"
        "Case status,Reduced offending,Reduced exploitation,Improved decision making,"
        "ETE engagement,Family relationships,Extract date\n"
        "P1,R1,Cardiff,Wales,15,M,01/06/2021,Children’s Services,Open,Yes,No,No,No,No,"
        "31/10/2022\n"
    )
    path = _write(tmp_path, text, encoding=encoding)
    if encoding == "cp1252":
        assert b"\x92" in path.read_bytes()
    df = read_extract(path, "service")
    assert df.loc[0, "referral_source"] == "Children's Services"
    assert df.loc[0, "gender"] == "Male"
    assert df.loc[0, "referral_date"] == pd.Timestamp("2021-06-01")


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_csv_other_delimiters(tmp_path, sep):
    text = (
        PARTICIPANTS.replace(",", sep)
        + sep.join(["IP1", "Cardiff", "Parent", "3", "01/05/2022"])
        + "\n"
    )
    df = read_extract(_write(tmp_path, text), "participants")
    assert df.loc[0, "role"] == "Parents" and df.loc[0, "phase"] == 3


def test_empty_file_is_unreadable(tmp_path):
    with pytest.raises(ExtractReadError, match="the file is empty"):
        validate_extract(_write(tmp_path, ""), "participants")
    with pytest.raises(ExtractReadError, match="the file is empty"):
        validate_extract(_write(tmp_path, "\n\n  \n"), "participants")


def test_header_only_file_has_no_rows(tmp_path):
    res = validate_extract(_write(tmp_path, PARTICIPANTS), "participants")
    assert res.n_input == 0 and res.n_valid == 0 and res.ok
    assert list(res.valid.columns) == ["participant_id", "area", "role", "phase", "interview_date"]


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(ExtractReadError, match="no such file"):
        validate_extract(tmp_path / "nope.csv", "plans")
    with pytest.raises(ExtractReadError, match="unsupported file type"):
        validate_extract(_write(tmp_path, "x", name="a.docx"), "plans")
    with pytest.raises(ExtractReadError, match=r"binary data|not a text table"):
        p = tmp_path / "b.csv"
        p.write_bytes(b"\x89PNG\x00\x00\x01")
        validate_extract(p, "plans")


def test_not_a_table_of_this_kind(tmp_path):
    with pytest.raises(ExtractReadError, match="no header row found"):
        validate_extract(_write(tmp_path, "a,b,c\n1,2,3\n"), "participants")


def test_blank_rows_are_counted_not_data(tmp_path):
    text = PARTICIPANTS + "IP1,Cardiff,Parent,3,\n,,,,\n\nIP2,Dundee,Manager,1,\n"
    res = validate_extract(_write(tmp_path, text), "participants")
    assert res.n_input == 2 and res.n_blank == 2 and res.ok
    assert "blank rows skipped: 2" in res.summary()


def test_row_numbers_follow_the_file(tmp_path):
    text = PARTICIPANTS + "IP1,Cardiff,Parent,3,\n\nIP2,Dundee,Alien,1,\n"
    res = validate_extract(_write(tmp_path, text), "participants")
    assert res.rejected["row"].tolist() == [4]


def test_extra_columns_reported_not_used(tmp_path):
    text = "Notes," + PARTICIPANTS.strip() + ",Comments\nx,IP1,Cardiff,Parent,3,,y\n"
    res = validate_extract(_write(tmp_path, text), "participants")
    assert res.ok and res.unknown_columns == ("Notes", "Comments")
    assert "Notes" not in res.valid.columns
    assert "unknown columns (not used): 'Notes', 'Comments'" in res.summary()


def test_duplicated_columns_are_an_error(tmp_path):
    text = "Participant ID,Area,Role,Phase,Evaluation phase\nIP1,Cardiff,Parent,3,3\n"
    with pytest.raises(
        ExtractReadError, match="columns 'Phase' and 'Evaluation phase' both map to 'phase'"
    ):
        validate_extract(_write(tmp_path, text), "participants")
    text = "Participant ID,Area,Role,Phase,Phase\nIP1,Cardiff,Parent,3,3\n"
    with pytest.raises(ExtractReadError, match="both map to 'phase'"):
        validate_extract(_write(tmp_path, text), "participants")


def test_trailing_empty_cells_ignored(tmp_path):
    text = PARTICIPANTS.strip() + ",,\nIP1,Cardiff,Parent,3,,,\n"
    res = validate_extract(_write(tmp_path, text), "participants")
    assert res.ok and res.unknown_columns == ()


def test_column_map_for_a_supplier(tmp_path):
    text = "Ref,Site,Kind,Wave\nIP1,Cardiff,Parent,3\n"
    cmap = {"Ref": "participant_id", "Site": "area", "Kind": "role", "Wave": "phase"}
    df = read_extract(_write(tmp_path, text), "participants", column_map=cmap)
    assert df.loc[0, "participant_id"] == "IP1" and df.loc[0, "phase"] == 3


def test_unmapped_labels_reported_never_guessed(tmp_path):
    text = PARTICIPANTS + "IP1,Cardiff,Parnet,3,\nIP2,Cardiff,Parnet,2,\n"
    res = validate_extract(_write(tmp_path, text), "participants")
    assert res.unmapped_labels == {"role": ("Parnet",)}
    assert res.n_rejected == 2 and res.valid.empty


# ----------------------------------------------------------------- strict / non-strict


def test_read_extract_strict_and_non_strict(tmp_path):
    text = PARTICIPANTS + "IP1,Cardiff,Parent,3,\nIP2,Cardiff,Parnet,2,\n"
    path = _write(tmp_path, text)
    with pytest.raises(ExtractValidationError) as info:
        read_extract(path, "participants")
    msg = str(info.value)
    assert msg.startswith("p.csv: 1 of 2 rows break the participants schema 1.1.0")
    assert "participants.R04: 1 row -" in msg and "row 3, role" in msg
    assert info.value.result.n_rejected == 1
    with pytest.warns(ExcludedRowsWarning, match="1 of 2 rows excluded"):
        df = read_extract(path, "participants", strict=False)
    assert df["participant_id"].tolist() == ["IP1"]


def test_strict_message_is_capped(tmp_path):
    rows = "".join(f"IP{i},Cardiff,Bad{i % 30},{i % 7},x{i}\n" for i in range(500))
    with pytest.raises(ExtractValidationError) as info:
        validate_extract(_write(tmp_path, PARTICIPANTS + rows), "participants", strict=True)
    msg = str(info.value)
    assert len(msg.splitlines()) < 40
    # capped, yet still complete in its counts: every row breaks role and date; phase
    # (i % 7) is outside 1-4 for i % 7 in {0, 5, 6}
    n_phase = sum(not 1 <= i % 7 <= 4 for i in range(500))
    assert msg.startswith("p.csv: 500 of 500 rows break the participants schema")
    assert "participants.R03: 500 rows" in msg and "participants.R04: 500 rows" in msg
    assert f"participants.R05: {n_phase} rows" in msg and f"and {n_phase - 2} more" in msg
    assert info.value.result.rejected.shape[0] == 500 + 500 + n_phase


# ----------------------------------------------------------------- Excel and Parquet


def _xlsx(tmp_path, rows, *, title=True, sheet="Data", other_first=False):
    wb = openpyxl.Workbook()
    ws = wb.active
    if other_first:
        ws.title = "Notes"
        ws.append(["This workbook holds synthetic data"])
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    if title:
        ws.append(["SOCEIS participants extract"])
        ws.append(["Produced 01/03/2023", None, None])
        ws.append([])
    for r in rows:
        ws.append(r)
    path = tmp_path / "extract.xlsx"
    wb.save(path)
    return path


def test_xlsx_title_block_dates_and_serials(tmp_path):
    rows = [
        ["Participant ID", "Area", "Role", "Phase", "Interview date"],
        ["IP1", "Cardiff", "Parents", 3, dt.datetime(2022, 5, 1)],
        ["IP2", "Dundee", "Managers", 1.0, 44348],
        [1003, "Dundee", "Managers", 2, "02/06/2021"],
    ]
    path = _xlsx(tmp_path, rows)
    table = read_table(path, known_names={"participant_id", "area", "role", "phase"})
    assert table.header_row == 4 and table.row_numbers.tolist() == [5, 6, 7]
    df = read_extract(path, "participants")
    assert df["interview_date"].tolist() == [
        pd.Timestamp("2022-05-01"),
        pd.Timestamp("2021-06-01"),
        pd.Timestamp("2021-06-02"),
    ]
    assert df["participant_id"].tolist() == ["IP1", "IP2", "1003"]
    assert df["phase"].tolist() == [3, 1, 2]


def test_xlsx_rejection_rows_are_sheet_rows(tmp_path):
    rows = [
        ["Participant ID", "Area", "Role", "Phase"],
        ["IP1", "Cardiff", "Parents", 3],
        ["IP2", "Cardiff", "Parents", 9],
    ]
    res = validate_extract(_xlsx(tmp_path, rows), "participants")
    assert res.rejected[["row", "column", "rule"]].values.tolist() == [
        [6, "phase", "participants.R05"]
    ]


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    rows = [["Participant ID", "Area", "Role", "Phase"], ["IP1", "Cardiff", "Parents", 3]]
    path = _xlsx(tmp_path, rows, title=False, sheet="Interviews", other_first=True)
    with pytest.raises(ExtractReadError, match="no header row found"):
        validate_extract(path, "participants")  # first sheet holds only notes
    res = validate_extract(path, "participants", sheet="Interviews")
    assert res.ok and res.n_input == 1
    with pytest.raises(
        ExtractReadError, match="no sheet named 'Nope'; the workbook has 'Notes', 'Interviews'"
    ):
        validate_extract(path, "participants", sheet="Nope")


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ExtractReadError, match="not a readable Excel workbook"):
        validate_extract(path, "plans")


def test_parquet_round_trip(tmp_path):
    df = random_extract("service", n=30, seed=5)
    path = tmp_path / "service.parquet"
    df.to_parquet(path)
    back = read_extract(path, "service")
    pd.testing.assert_frame_equal(back, df, check_dtype=True)


def test_csv_round_trip_all_kinds(tmp_path):
    for kind in (
        "service",
        "plans",
        "participants",
        "police_persons",
        "police_events",
        "police_missing",
    ):
        df = random_extract(kind, n=25, seed=11)
        path = to_csv(df, tmp_path / f"{kind}.csv", kind)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            back = read_extract(path, kind)
        pd.testing.assert_frame_equal(back, df, check_dtype=True)


def test_inputs_not_mutated():
    df = random_extract("service", n=20, seed=2)
    df.loc[3, "gender"] = "m"
    df.loc[4, "referral_source"] = "Nonsense"
    before = df.copy()
    res = validate_extract(df, "service")
    pd.testing.assert_frame_equal(df, before)
    assert res.valid.loc[3, "gender"] == "Male"
    assert res.rejected["row"].tolist() == [6]


def test_valid_frame_is_independent_of_input():
    df = random_extract("plans", n=5, seed=1)
    res = validate_extract(df, "plans")
    res.valid.loc[0, "area"] = "Changed"
    assert df.loc[0, "area"] != "Changed"
    assert np.all(res.valid.columns == df.columns)


def test_title_line_with_semicolon_does_not_decide_the_delimiter(tmp_path):
    text = "Interviews; phase 3\n" + PARTICIPANTS + "IP1,Cardiff,Parent,3,\nIP2,Dundee,Manager,1,\n"
    res = validate_extract(_write(tmp_path, text), "participants")
    assert res.ok and res.n_input == 2 and res.valid["area"].tolist() == ["Cardiff", "Dundee"]


def test_multiline_quoted_cell_keeps_row_numbers(tmp_path):
    text = PARTICIPANTS + 'IP1,"Cardiff\nnorth",Parent,3,\nIP2,Dundee,Parnet,1,\n'
    res = validate_extract(_write(tmp_path, text), "participants")
    # rows are numbered as a spreadsheet shows them: the quoted cell spans two text lines
    # but one row, so IP2 is row 3
    assert res.rejected["row"].tolist() == [3]


def test_sheet_with_a_csv_is_an_error(tmp_path):
    with pytest.raises(ExtractReadError, match="applies only to Excel workbooks"):
        validate_extract(
            _write(tmp_path, PARTICIPANTS + "IP1,Cardiff,Parent,3,\n"), "participants", sheet="Data"
        )
