"""Each schema rule has a bad extract whose exact message and row are asserted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socdata.datasets import random_extract, to_csv
from socdata.schemas import load_spec
from socdata.validate import validate_extract

HEADER = (
    "person_id,referral_id,area,nation,date_of_birth,age_at_referral,gender,ethnicity,"
    "deprivation_decile,deprivation_index,referral_date,referral_source,referral_reason,"
    "case_status,intervention_start_date,intervention_end_date,closure_reason,"
    "closure_sub_reason,sessions_attended,outcome_reduced_offending,"
    "outcome_reduced_exploitation,outcome_decision_making,outcome_ete_engagement,"
    "outcome_family_relationships,outcome_positive_any,record_source,extract_date"
)
ROWS = [  # rows 2, 3, 4 of the file
    dict(
        person_id="P1",
        referral_id="R1",
        area="Cardiff",
        nation="Wales",
        date_of_birth="01/02/2006",
        age_at_referral="15",
        gender="Male",
        ethnicity="White",
        deprivation_decile="3",
        deprivation_index="WIMD",
        referral_date="01/06/2021",
        referral_source="Children's Services",
        referral_reason="Criminal exploitation",
        case_status="Closed",
        intervention_start_date="10/06/2021",
        intervention_end_date="01/03/2022",
        closure_reason="Intervention completed",
        closure_sub_reason="",
        sessions_attended="20",
        outcome_reduced_offending="Yes",
        outcome_reduced_exploitation="Yes",
        outcome_decision_making="No",
        outcome_ete_engagement="Yes",
        outcome_family_relationships="No",
        outcome_positive_any="Yes",
        record_source="Service data",
        extract_date="31/10/2022",
    ),
    dict(
        person_id="P2",
        referral_id="R2",
        area="Cardiff",
        nation="Wales",
        date_of_birth="05/05/2007",
        age_at_referral="15",
        gender="Female",
        ethnicity="Mixed",
        deprivation_decile="",
        deprivation_index="",
        referral_date="01/06/2022",
        referral_source="Police",
        referral_reason="Drug dealing",
        case_status="Open",
        intervention_start_date="10/06/2022",
        intervention_end_date="",
        closure_reason="",
        closure_sub_reason="",
        sessions_attended="4",
        outcome_reduced_offending="Yes",
        outcome_reduced_exploitation="No",
        outcome_decision_making="Not recorded",
        outcome_ete_engagement="No",
        outcome_family_relationships="Yes",
        outcome_positive_any="Yes",
        record_source="Service data",
        extract_date="31/10/2022",
    ),
    dict(
        person_id="P3",
        referral_id="R3",
        area="Newcastle",
        nation="England",
        date_of_birth="",
        age_at_referral="14",
        gender="Male",
        ethnicity="",
        deprivation_decile="",
        deprivation_index="",
        referral_date="15/01/2022",
        referral_source="Education",
        referral_reason="",
        case_status="Not started",
        intervention_start_date="",
        intervention_end_date="",
        closure_reason="",
        closure_sub_reason="",
        sessions_attended="",
        outcome_reduced_offending="Not recorded",
        outcome_reduced_exploitation="Not recorded",
        outcome_decision_making="Not recorded",
        outcome_ete_engagement="Not recorded",
        outcome_family_relationships="Not recorded",
        outcome_positive_any="",
        record_source="",
        extract_date="31/01/2023",
    ),
]


def write_service(tmp_path, changes=(), drop=()):
    """Write the baseline service CSV with ``changes`` = [(row_in_file, column, value)]."""
    rows = [dict(r) for r in ROWS]
    for file_row, col, value in changes:
        rows[file_row - 2][col] = value
    cols = [c for c in HEADER.split(",") if c not in drop]
    lines = [",".join(cols)]
    for r in rows:
        lines.append(",".join(f'"{r[c]}"' if "," in r[c] else r[c] for c in cols))
    path = tmp_path / "service.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems(result, severity="error"):
    frame = result.rejected if severity == "error" else result.warnings
    return [(int(r.row), r.column, r.rule, r.message) for r in frame.itertuples()]


def test_baseline_is_valid(tmp_path):
    res = validate_extract(write_service(tmp_path), "service")
    assert res.n_input == 3 and res.n_valid == 3 and res.n_rejected == 0
    assert res.warnings.empty and res.rejected.empty


CASES = [
    (
        "service.R02",
        [(3, "gender", "")],
        [(3, "gender", "gender is empty; every row needs a gender")],
    ),
    (
        "service.R03",
        [(2, "referral_date", "31/02/2021")],
        [
            (
                2,
                "referral_date",
                "referral_date '31/02/2021' is not a date (use dd/mm/yyyy, "
                "yyyy-mm-dd or an Excel date): that day does not exist in the calendar",
            )
        ],
    ),
    (
        "service.R03",
        [(4, "age_at_referral", "14.5")],
        [(4, "age_at_referral", "age_at_referral '14.5' is not a whole number")],
    ),
    (
        "service.R04",
        [(3, "referral_source", "Social Servicez")],
        [
            (
                3,
                "referral_source",
                "referral_source 'Social Servicez' is not an allowed value; "
                "allowed: Children's Services, Police, Youth Justice Service, Third Sector Agency, "
                "Probation, Education, Other, Not known; correct it or declare a synonym in the "
                "service schema",
            )
        ],
    ),
    (
        "service.R05",
        [(2, "deprivation_decile", "11")],
        [(2, "deprivation_decile", "deprivation_decile 11 is outside 1-10")],
    ),
    (
        "service.R06",
        [(3, "referral_id", "R1")],
        [
            (
                2,
                "referral_id",
                "referral_id *** is not unique: it appears on rows 2, 3; give each "
                "row its own referral_id or remove the duplicate",
            ),
            (
                3,
                "referral_id",
                "referral_id *** is not unique: it appears on rows 2, 3; give each "
                "row its own referral_id or remove the duplicate",
            ),
        ],
    ),
    (
        "service.R07",
        [(2, "intervention_start_date", "20/05/2021")],
        [
            (
                2,
                "intervention_start_date",
                "intervention_start_date 2021-05-20 is before "
                "referral_date 2021-06-01; dates must run referral_date <= intervention_start_date "
                "<= intervention_end_date",
            )
        ],
    ),
    (
        "service.R07",
        [(2, "intervention_end_date", "01/06/2021")],
        [
            (
                2,
                "intervention_end_date",
                "intervention_end_date 2021-06-01 is before "
                "intervention_start_date 2021-06-10; dates must run referral_date <= "
                "intervention_start_date <= intervention_end_date",
            )
        ],
    ),
    (
        "service.R08",
        [(4, "referral_date", "01/02/2023")],
        [
            (
                4,
                "referral_date",
                "referral_date 2023-02-01 is after extract_date 2023-01-31; "
                "correct the date or the extract_date",
            )
        ],
    ),
    (
        "service.R09",
        [(2, "intervention_end_date", "")],
        [
            (
                2,
                "intervention_end_date",
                "intervention_end_date is missing although case_status "
                "is 'Closed'; fill in intervention_end_date or correct case_status",
            )
        ],
    ),
    (
        "service.R10",
        [(3, "closure_reason", "Declined support")],
        [
            (
                3,
                "closure_reason",
                "closure_reason 'Declined support' is given although "
                "case_status is 'Open'; remove it or correct case_status",
            )
        ],
    ),
    (
        "service.R11",
        [(4, "intervention_start_date", "20/01/2022")],
        [
            (
                4,
                "intervention_start_date",
                "intervention_start_date 2022-01-20 is given although "
                "case_status is 'Not started'; remove it or correct case_status",
            )
        ],
    ),
    (
        "service.R12",
        [(2, "closure_sub_reason", "Custody")],
        [
            (
                2,
                "closure_sub_reason",
                "closure_sub_reason 'Custody' is given although "
                "closure_reason is 'Intervention completed'; remove it or correct closure_reason",
            )
        ],
    ),
    (
        "service.R13",
        [(4, "age_at_referral", "")],
        [
            (
                4,
                "date_of_birth",
                "date_of_birth or age_at_referral: none is given; give at least one",
            )
        ],
    ),
    (
        "service.R14",
        [(4, "age_at_referral", "9")],
        [
            (
                4,
                "age_at_referral",
                "age at referral 9 is outside 10-25; check the date of birth and referral date",
            )
        ],
    ),
    (
        "service.R14",
        [(2, "age_at_referral", ""), (2, "date_of_birth", "01/02/2012")],
        [
            (
                2,
                "date_of_birth",
                "age at referral computed from date_of_birth *** is 9, outside "
                "10-25; check the date of birth and referral date",
            )
        ],
    ),
    (
        "service.R16",
        [(2, "age_at_referral", "16")],
        [
            (
                2,
                "age_at_referral",
                "age_at_referral 16 disagrees with date_of_birth *** (age 15 "
                "at referral_date 2021-06-01); correct one of them",
            )
        ],
    ),
    (
        "service.R17",
        [(2, "deprivation_index", "")],
        [
            (
                2,
                "deprivation_index",
                "deprivation_index is missing although deprivation_decile "
                "is given; fill in deprivation_index or correct deprivation_decile",
            )
        ],
    ),
    (
        "service.R18",
        [(2, "deprivation_index", "IMD")],
        [
            (
                2,
                "deprivation_index",
                "deprivation_index 'IMD' does not fit nation 'Wales' "
                "(expected 'WIMD'); correct the index or the nation",
            )
        ],
    ),
    (
        "service.R19",
        [(3, "person_id", "P1"), (3, "date_of_birth", "01/02/2006"), (3, "age_at_referral", "16")],
        [
            (
                2,
                "gender",
                "gender differs between rows of the same person_id ***: 'Female', "
                "'Male' on rows 2, 3; make them agree",
            ),
            (
                3,
                "gender",
                "gender differs between rows of the same person_id ***: 'Female', "
                "'Male' on rows 2, 3; make them agree",
            ),
            (
                2,
                "ethnicity",
                "ethnicity differs between rows of the same person_id ***: 'Mixed', "
                "'White' on rows 2, 3; make them agree",
            ),
            (
                3,
                "ethnicity",
                "ethnicity differs between rows of the same person_id ***: 'Mixed', "
                "'White' on rows 2, 3; make them agree",
            ),
        ],
    ),
    (
        "service.R20",
        [(3, "extract_date", "30/11/2022")],
        [
            (
                2,
                "extract_date",
                "extract_date differs between rows of the same area 'Cardiff': "
                "2022-10-31, 2022-11-30 on rows 2, 3; make them agree",
            ),
            (
                3,
                "extract_date",
                "extract_date differs between rows of the same area 'Cardiff': "
                "2022-10-31, 2022-11-30 on rows 2, 3; make them agree",
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    ("rule", "changes", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_service_rule(tmp_path, rule, changes, expected):
    res = validate_extract(write_service(tmp_path, changes), "service")
    got = [p for p in problems(res) if p[2] == rule]
    assert sorted(got) == sorted((r, c, rule, m) for r, c, m in expected)
    # no other rule fires: the corruption is caught by exactly the rule under test
    assert {p[2] for p in problems(res)} == {rule}
    assert res.n_rejected == len({r for r, _, _ in expected})
    assert res.n_valid + res.n_rejected == res.n_input == 3


def test_service_r01_missing_required_column(tmp_path):
    res = validate_extract(write_service(tmp_path, drop=("referral_source",)), "service")
    aliases = ", ".join(load_spec("service").column("referral_source").aliases)
    msg = (
        f"required column referral_source is missing from the file (no column named "
        f"referral_source or an alias ({aliases})), so none of its rows can be used; add it "
        "or map the supplier's name "
        "with --column-map FILE (column_map= in Python)"
    )
    # one problem per missing column (at the header row), not one per data row
    assert problems(res) == [(1, "referral_source", "service.R01", msg)]
    assert res.n_rejected == 3 and res.n_valid == 0


def test_service_r15_age_outside_11_18_is_a_warning(tmp_path):
    res = validate_extract(write_service(tmp_path, [(4, "age_at_referral", "19")]), "service")
    assert res.n_rejected == 0 and res.n_valid == 3
    assert problems(res, "warning") == [
        (
            4,
            "age_at_referral",
            "service.R15",
            "age at referral 19 is outside the service's usual 11-18 (row kept; check it)",
        )
    ]


def test_show_identifiers_unmasks(tmp_path):
    path = write_service(tmp_path, [(3, "referral_id", "R1")])
    res = validate_extract(path, "service", show_identifiers=True)
    assert "referral_id 'R1' is not unique" in res.rejected["message"].iloc[0]
    assert res.rejected["value"].iloc[0] == "R1"
    masked = validate_extract(path, "service")
    assert "R1" not in " ".join(masked.rejected["message"]) + " ".join(masked.rejected["value"])


def test_dob_masked_in_type_errors(tmp_path):
    res = validate_extract(write_service(tmp_path, [(2, "date_of_birth", "32/01/2006")]), "service")
    assert problems(res) == [
        (
            2,
            "date_of_birth",
            "service.R03",
            "date_of_birth *** is not a date (use dd/mm/yyyy, yyyy-mm-dd or an Excel date)",
        )
    ]
    assert res.rejected["value"].tolist() == ["***"]


# ----------------------------------------------------------------- other kinds (frames)


def _one(kind, n=12, seed=3):
    return random_extract(kind, n=n, seed=seed)


def _check(frame, kind, expected):
    res = validate_extract(frame, kind, show_identifiers=True)
    got = sorted((int(r.row), r.column, r.rule, r.message) for r in res.rejected.itertuples())
    assert got == sorted(expected)
    assert res.n_valid + res.n_rejected == res.n_input


def test_plans_r06_r07():
    df = _one("plans")
    df.loc[1, "plan_id"] = df.loc[0, "plan_id"]
    pid = df.loc[0, "plan_id"]
    msg = (
        f"plan_id '{pid}' is not unique: it appears on rows 2, 3; give each row its own "
        "plan_id or remove the duplicate"
    )
    _check(df, "plans", [(2, "plan_id", "plans.R06", msg), (3, "plan_id", "plans.R06", msg)])

    df = _one("plans", n=30)
    area = df.loc[0, "area"]
    same = np.flatnonzero((df["area"] == area).to_numpy())
    assert len(same) >= 2
    df.loc[same[0], "domain_housing"] = (
        "Yes" if df.loc[same[0], "domain_housing"] == "Not on form" else "Not on form"
    )
    rows = ", ".join(str(p + 2) for p in same[:6]) + (
        f" and {len(same) - 6} more" if len(same) > 6 else ""
    )
    msg = (
        f"domain_housing is 'Not on form' on some rows of area '{area}' but not on others "
        f"(rows {rows}); 'Not on form' must hold for all or none"
    )
    _check(df, "plans", [(p + 2, "domain_housing", "plans.R07", msg) for p in same])


def test_participants_rules():
    df = _one("participants")
    df.loc[0, "phase"] = 5
    _check(df, "participants", [(2, "phase", "participants.R05", "phase 5 is outside 1-4")])
    df = _one("participants")
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    pid, ph = df.loc[0, "participant_id"], df.loc[0, "phase"]
    last = len(df) + 1
    msg = (
        f"participant_id, phase '{pid}', {ph} is not unique: it appears on rows 2, {last}; "
        "give each row its own participant_id, phase or remove the duplicate"
    )
    _check(
        df,
        "participants",
        [(2, "phase", "participants.R06", msg), (last, "phase", "participants.R06", msg)],
    )


def test_police_persons_rules():
    df = _one("police_persons", n=40)
    comp = int(np.flatnonzero((df["group"] == "Comparator").to_numpy())[0])
    eng = int(np.flatnonzero((df["group"] == "Engager").to_numpy())[0])
    df.loc[comp, "referral_date"] = pd.Timestamp("2021-01-01")
    ref = df.loc[eng, "referral_date"]
    df.loc[eng, "referral_date"] = pd.NaT
    _check(
        df,
        "police_persons",
        [
            (
                comp + 2,
                "referral_date",
                "police_persons.R08",
                "referral_date 2021-01-01 is given although group is 'Comparator'; remove it or "
                "correct group",
            ),
            (
                eng + 2,
                "referral_date",
                "police_persons.R07",
                "referral_date is missing although group is 'Engager'; fill in referral_date or "
                "correct group",
            ),
        ],
    )
    df.loc[eng, "referral_date"] = ref
    df.loc[comp, "referral_date"] = pd.NaT
    df["birth_month"] = df["birth_month"].astype(object)
    df.loc[0, "birth_month"] = "2006-13"
    df.loc[1, "referral_date"] = pd.NaT
    df.loc[1, "group"] = "Comparator"
    end = df.loc[2, "extract_date"]
    df.loc[2, "group"] = "Engager"
    df.loc[2, "referral_date"] = end + pd.Timedelta(days=1)
    _check(
        df,
        "police_persons",
        [
            (
                2,
                "birth_month",
                "police_persons.R05",
                "birth_month '2006-13' does not match the form ^[0-9]{4}-(0[1-9]|1[0-2])$",
            ),
            (
                4,
                "referral_date",
                "police_persons.R09",
                f"referral_date {(end + pd.Timedelta(days=1)):%Y-%m-%d} is after extract_date "
                f"{end:%Y-%m-%d}; correct the date or the extract_date",
            ),
        ],
    )


def test_police_persons_r10_r11():
    df = _one("police_persons", n=40)
    i = int(np.flatnonzero(df["deprivation_decile"].notna().to_numpy())[0])
    df.loc[i, "deprivation_index"] = np.nan
    force = df.loc[0, "police_force"]
    j = int(np.flatnonzero((df["police_force"] == force).to_numpy())[1])
    old = df.loc[j, "extract_date"]
    df.loc[j, "extract_date"] = old + pd.Timedelta(days=31)
    same = np.flatnonzero((df["police_force"] == force).to_numpy())
    rows = ", ".join(str(p + 2) for p in same[:6]) + (
        f" and {len(same) - 6} more" if len(same) > 6 else ""
    )
    vals = f"{old:%Y-%m-%d}, {old + pd.Timedelta(days=31):%Y-%m-%d}"
    msg = (
        f"extract_date differs between rows of the same police_force '{force}': {vals} on "
        f"rows {rows}; make them agree"
    )
    expected = [(p + 2, "extract_date", "police_persons.R11", msg) for p in same]
    expected.append(
        (
            i + 2,
            "deprivation_index",
            "police_persons.R10",
            "deprivation_index is missing although deprivation_decile is given; fill "
            "in deprivation_index or correct deprivation_decile",
        )
    )
    _check(df, "police_persons", expected)


def test_police_events_rules():
    df = _one("police_events", n=60)
    arrest = int(np.flatnonzero((df["event_type"] == "Arrest").to_numpy())[0])
    custody = int(np.flatnonzero((df["event_type"] == "Custody").to_numpy())[0])
    coded = int(np.flatnonzero(df["source_offence_code"].notna().to_numpy())[0])
    df.loc[arrest, "custody_end_date"] = df.loc[arrest, "event_date"]
    df.loc[arrest, "offence_category"] = "Not applicable"
    df.loc[arrest, "source_offence_code"] = np.nan
    df.loc[arrest, "source_classification"] = np.nan
    start = df.loc[custody, "event_date"]
    df.loc[custody, "custody_end_date"] = start - pd.Timedelta(days=1)
    assert coded != arrest
    df.loc[coded, "source_classification"] = np.nan
    d = df.loc[arrest, "event_date"]
    _check(
        df,
        "police_events",
        [
            (
                arrest + 2,
                "custody_end_date",
                "police_events.R07",
                f"custody_end_date {d:%Y-%m-%d} is given although event_type is 'Arrest'; remove it "
                "or correct event_type",
            ),
            (
                arrest + 2,
                "offence_category",
                "police_events.R09",
                "offence_category 'Not applicable' is not allowed when event_type is 'Arrest'; "
                "correct it",
            ),
            (
                custody + 2,
                "custody_end_date",
                "police_events.R08",
                f"custody_end_date {start - pd.Timedelta(days=1):%Y-%m-%d} is before event_date "
                f"{start:%Y-%m-%d}; dates must run event_date <= custody_end_date",
            ),
            (
                coded + 2,
                "source_classification",
                "police_events.R10",
                "source_classification is missing although source_offence_code is given; fill in "
                "source_classification or correct source_offence_code",
            ),
        ],
    )


def test_police_missing_rules():
    df = _one("police_missing", n=10)
    rep = df.loc[3, "reported_datetime"]
    df.loc[3, "found_datetime"] = rep - pd.Timedelta(hours=2)
    df.loc[5, "episode_id"] = df.loc[4, "episode_id"]
    eid = df.loc[4, "episode_id"]
    dup = (
        f"episode_id '{eid}' is not unique: it appears on rows 6, 7; give each row its own "
        "episode_id or remove the duplicate"
    )
    _check(
        df,
        "police_missing",
        [
            (
                5,
                "found_datetime",
                "police_missing.R07",
                f"found_datetime {rep - pd.Timedelta(hours=2):%Y-%m-%d %H:%M} is before "
                f"reported_datetime {rep:%Y-%m-%d %H:%M}; dates must run reported_datetime <= "
                "found_datetime",
            ),
            (6, "episode_id", "police_missing.R06", dup),
            (7, "episode_id", "police_missing.R06", dup),
        ],
    )


def test_unique_ids_of_persons_and_events():
    """police_persons.R06 and police_events.R06."""
    for kind, col in (("police_persons", "person_id"), ("police_events", "event_id")):
        df = _one(kind, n=8)
        df.loc[7, col] = df.loc[0, col]
        v = df.loc[0, col]
        msg = (
            f"{col} '{v}' is not unique: it appears on rows 2, 9; give each row its own "
            f"{col} or remove the duplicate"
        )
        rule = f"{kind}.R06"
        _check(df, kind, [(2, col, rule, msg), (9, col, rule, msg)])


def test_participants_r07_role_consistent():
    df = _one("participants", n=6)
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    df.loc[6, "phase"] = 4 if df.loc[0, "phase"] != 4 else 1
    df.loc[6, "role"] = "Managers" if df.loc[0, "role"] != "Managers" else "Parents"
    pid = df.loc[0, "participant_id"]
    roles = ", ".join(sorted(f"'{r}'" for r in (df.loc[0, "role"], df.loc[6, "role"])))
    msg = (
        f"role differs between rows of the same participant_id '{pid}': {roles} on rows "
        "2, 8; make them agree"
    )
    _check(
        df,
        "participants",
        [(2, "role", "participants.R07", msg), (8, "role", "participants.R07", msg)],
    )


CORE_KINDS = (
    "service",
    "plans",
    "participants",
    "police_persons",
    "police_events",
    "police_missing",
)


def test_every_rule_has_a_test():
    """Guard: every rule id of the core schemas appears in this file (a new rule needs a test)."""
    text = open(__file__, encoding="utf-8").read()
    ids = {r.id for k in CORE_KINDS for r in load_spec(k).rules}
    generic = {
        r.id
        for k in CORE_KINDS
        for r in load_spec(k).rules
        if r.check in ("not_null", "types", "allowed_values")
    }
    # the generic cell rules of every core kind are exercised by the hypothesis tests of
    # test_validate_properties.py, which look them up with spec.rule_for(<check>); there is
    # no test_validate.py, so check that those look-ups are really there
    props = (Path(__file__).parent / "test_validate_properties.py").read_text(encoding="utf-8")
    for check in ("not_null", "types", "allowed_values"):
        assert f'"{check}"' in props, check
    # columns_present (R01) is not generic any more: every kind has its test here
    missing = sorted(i for i in ids - generic if i not in text)
    assert not missing, f"rules without a test: {missing}"


@pytest.mark.parametrize(
    ("kind", "rule", "column"),
    [
        ("plans", "plans.R01", "domain_housing"),
        ("participants", "participants.R01", "phase"),
        ("police_persons", "police_persons.R01", "extract_date"),
        ("police_events", "police_events.R01", "offence_category"),
        ("police_missing", "police_missing.R01", "reported_datetime"),
    ],
)
def test_missing_required_column_of_every_other_kind(kind, rule, column):
    spec = load_spec(kind)
    assert spec.rule_for("columns_present").id == rule
    assert not spec.column(column).nullable
    df = _one(kind, n=4)
    aliases = ", ".join(spec.column(column).aliases)
    msg = (
        f"required column {column} is missing from the file (no column named "
        f"{column} or an alias ({aliases})), so none of its rows can be used; add it or map "
        "the supplier's name with --column-map FILE (column_map= in Python)"
    )
    _check(df.drop(columns=[column]), kind, [(1, column, rule, msg)])
    res = validate_extract(df.drop(columns=[column]), kind)
    assert res.n_rejected == 4 and res.n_valid == 0


def test_police_persons_r12_birth_month_matches_dob():
    df = _one("police_persons", n=50)
    both = np.flatnonzero((df["date_of_birth"].notna() & df["birth_month"].notna()).to_numpy())
    i = int(both[0])
    df.loc[i, "birth_month"] = "1999-01"
    dob = df.loc[i, "date_of_birth"]
    _check(
        df,
        "police_persons",
        [
            (
                i + 2,
                "birth_month",
                "police_persons.R12",
                f"birth_month '1999-01' disagrees with date_of_birth {dob:%Y-%m-%d}; correct one of "
                "them",
            ),
        ],
    )


# ----------------------------------------------------------------- file and plausibility rules


@pytest.mark.parametrize(
    "kind",
    ["service", "plans", "participants", "police_persons", "police_events", "police_missing"],
)
def test_r00_unparseable_line_is_counted_and_reported(tmp_path, kind):
    """R00 (records) of every kind: a line with an unclosed quote is one unparseable row."""
    rule = {
        "service": "service.R00",
        "plans": "plans.R00",
        "participants": "participants.R00",
        "police_persons": "police_persons.R00",
        "police_events": "police_events.R00",
        "police_missing": "police_missing.R00",
    }[kind]
    assert load_spec(kind).rule_for("records").id == rule
    path = to_csv(_one(kind, n=6), tmp_path / f"{kind}.csv", kind)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",", ',"', 1)  # row 4: a quote that never closes
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = validate_extract(path, kind)
    assert (res.n_input, res.n_unparseable) == (6, 1)
    assert res.n_valid + res.n_rejected + res.n_unparseable == res.n_input
    bad = res.rejected[res.rejected["rule"] == rule]
    assert bad["row"].tolist() == [4]
    assert "never closed" in bad["message"].iat[0]
    assert res.unparseable["line"].tolist() == [4]


@pytest.mark.parametrize(
    ("kind", "rule", "column", "value"),
    [
        ("service", "service.R21", "extract_date", "2037-03-31"),
        ("plans", "plans.R08", "plan_date", "2037-03-31"),
        ("participants", "participants.R08", "interview_date", "2037-03-31"),
        ("police_persons", "police_persons.R13", "extract_date", "2037-03-31"),
        ("police_events", "police_events.R11", "event_date", "2037-03-31"),
        ("police_missing", "police_missing.R08", "found_datetime", "2037-03-31 10:00"),
    ],
)
def test_no_date_after_the_run_date(kind, rule, column, value):
    df = _one(kind, n=5)
    df[column] = df[column].astype(object)
    df.loc[1, column] = value
    res = validate_extract(df, kind, run_date="2024-06-30")
    got = res.rejected[res.rejected["rule"] == rule]
    assert got["row"].tolist() == [3] and got["column"].tolist() == [column]
    assert "is after the run date 2024-06-30 (a date in the future)" in got["message"].iat[0]
    # the same file validated on a later run date passes that rule
    later = validate_extract(df, kind, run_date="2040-01-01")
    assert rule not in set(later.rejected["rule"])


@pytest.mark.parametrize(
    ("kind", "rule"), [("service", "service.R22"), ("police_persons", "police_persons.R14")]
)
def test_referral_long_before_extract_date(kind, rule):
    df = _one(kind, n=5)
    extract = pd.Timestamp(df.loc[0, "extract_date"])
    df.loc[0, "referral_date"] = extract - pd.DateOffset(years=15, days=1)
    df.loc[1, "referral_date"] = extract - pd.DateOffset(years=15)  # the boundary is allowed
    res = validate_extract(df, kind)
    got = res.rejected[res.rejected["rule"] == rule]
    assert got["row"].tolist() == [2]
    assert "is more than 15 years before extract_date" in got["message"].iat[0]
