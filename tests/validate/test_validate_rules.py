"""Each schema rule has a bad extract whose exact message and row are asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

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


CORE_KINDS = (
    "service",
    "plans",
    "participants",
    "police_persons",
    "police_events",
    "police_missing",
)


def test_every_rule_has_a_test():
    """Guard: every rule id of the core schemas appears in a test_validate_rules*.py file (a
    new rule needs a test)."""
    here = Path(__file__).parent
    text = "".join(
        f.read_text(encoding="utf-8") for f in sorted(here.glob("test_validate_rules*.py"))
    )
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
