"""Attack suite: what an adversary can get back from a real-mode run's released outputs.

Each test reads only what leaves the secure setting (``tables/*.csv``, ``report.html``,
the output-checking request) of one run of ``socdata reproduce`` on the bundled records
saved with other bytes (``real_run`` in tests/conftest.py: disclosure control on), and
tries to pin a protected count.  The checks are written independently of
``socdata.report`` (their own parsing, statsmodels for intervals), so a bug in the control
layer cannot hide itself.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

pytestmark = pytest.mark.slow

BASE = 5  # soceis-default-v1: counts rounded to 5
THRESHOLD = 10  # counts 1-9 suppressed
COUNT_COLUMNS = ("numerator", "denominator", "n")
MODEL_COUNT = re.compile(r"^(n|n_.+|.+_n|df|df_resid|dof|n_clusters|clusters|at_risk|events)$")


def _tables(run) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p) for p in sorted((run.out_dir / "tables").glob("*.csv"))}


def _released_counts(name: str, frame: pd.DataFrame):
    """Every released count of a table: (column, row index, value)."""
    tidy = {"measure", "value"} <= set(frame.columns)
    cols = [c for c in frame.columns if c in COUNT_COLUMNS or (not tidy and MODEL_COUNT.match(c))]
    for c in cols:
        for i, v in pd.to_numeric(frame[c], errors="coerce").items():
            if not pd.isna(v):
                yield c, i, float(v)
    if tidy:
        n = frame["measure"].astype(str).str.lower() == "n"
        for i, v in pd.to_numeric(frame.loc[n, "value"], errors="coerce").items():
            if not pd.isna(v):
                yield "value", i, float(v)


def _preimages(r: float) -> range:
    """Exact counts that round (half up, base 5) to the released ``r``."""
    if r == 0:
        return range(0, 1)
    return range(max(THRESHOLD, int(r) - 2), int(r) + 3)


def test_run_is_real_mode(real_run):
    assert real_run.ok, real_run.summary()
    assert not real_run.synthetic and real_run.disclosure == "soceis-default-v1"


def test_no_released_count_is_small_or_off_the_rounding_base(real_run):
    bad = [
        (name, col, i, v)
        for name, frame in _tables(real_run).items()
        for col, i, v in _released_counts(name, frame)
        if (0 < v < THRESHOLD) or v % BASE != 0
    ]
    assert not bad, bad[:20]


def _publish(k: int, n: int, scale: float = 100.0) -> tuple[float, float, float]:
    """Documented publication of a share: from the released counts, Wilson 95%."""
    rk, rn = BASE * math.floor(k / BASE + 0.5), BASE * math.floor(n / BASE + 0.5)
    lo, hi = proportion_confint(rk, rn, alpha=0.05, method="wilson")
    return (
        math.floor(scale * rk / rn + 0.5),
        math.floor(scale * lo + 0.5),
        math.floor(scale * hi + 0.5),
    )


def test_brute_force_recovers_no_numerator_denominator_pair(real_run):
    """For every released share: all exact (k, n) consistent with (rounded k, rounded n,
    %, interval) under the documented publication rule; recovered if only one is left."""
    checked, recovered = 0, []
    for name, frame in _tables(real_run).items():
        if not {"measure", "numerator", "denominator"} <= set(frame.columns):
            continue
        pct = frame[frame["measure"].astype(str) == "pct"]
        for i, row in pct.iterrows():
            if pd.isna(row["value"]) or pd.isna(row["numerator"]) or pd.isna(row["denominator"]):
                continue
            rk, rn = float(row["numerator"]), float(row["denominator"])
            released = (row["value"], row.get("conf_low"), row.get("conf_high"))
            candidates = []
            for n in _preimages(rn):
                for k in _preimages(rk):
                    if k > n or n == 0:
                        continue
                    p, lo, hi = _publish(k, n)
                    if p != released[0]:
                        continue
                    if not pd.isna(released[1]) and (lo, hi) != (released[1], released[2]):
                        continue
                    candidates.append((k, n))
            checked += 1
            if len(candidates) == 1 and rk > 0:
                recovered.append((name, i, candidates))
            assert candidates, f"{name} row {i}: released share not derived from its counts"
    assert checked > 20
    assert not recovered, recovered[:10]


def test_shares_are_functions_of_the_released_counts(real_run):
    """The invariant behind the brute force: no share carries more than its counts."""
    for name, frame in _tables(real_run).items():
        if not {"measure", "numerator", "denominator"} <= set(frame.columns):
            continue
        pct = frame[(frame["measure"].astype(str) == "pct") & frame["value"].notna()]
        for _, row in pct.iterrows():
            if pd.isna(row["numerator"]) or pd.isna(row["denominator"]):
                assert "conf_low" not in row or pd.isna(row["conf_low"]), (name, row.to_dict())
                continue
            assert row["value"] == math.floor(100 * row["numerator"] / row["denominator"] + 0.5)


def test_margins_do_not_difference_out_a_suppressed_cell(real_run):
    """Row and column totals minus the shown cells leave a suppressed cell uncertain by
    more than the rounding of the released cells (no exact recovery by subtraction)."""
    for name, frame in _tables(real_run).items():
        if not {"measure", "row_label", "column_label", "disclosure_status"} <= set(frame.columns):
            continue
        n = frame[frame["measure"].astype(str) == "n"]
        for axis, other in (("row_label", "column_label"), ("column_label", "row_label")):
            for _, g in n.groupby(axis):
                is_total = g[other].astype(str).str.lower().isin({"total", "overall", "all"})
                if not is_total.any():
                    continue
                body = g[~is_total]
                hidden = body["value"].isna() & body["disclosure_status"].str.startswith(
                    "suppressed"
                )
                if hidden.sum() == 1:
                    # one hidden cell = total - the others, each known only to +-2
                    slack = 2 * (len(body) + 1)
                    assert slack >= BASE, (name, g.iloc[0][axis])


def test_model_outputs_round_people_and_degrees_of_freedom(real_run):
    tables = _tables(real_run)
    model_tables = [n for n in tables if n.startswith("did_")]
    assert {"did_estimates", "did_event_study"} <= set(model_tables)
    for name in model_tables:
        frame = tables[name]
        for col in [c for c in frame.columns if MODEL_COUNT.match(c)]:
            vals = pd.to_numeric(frame[col], errors="coerce").dropna()
            assert (vals % BASE == 0).all(), (name, col, sorted(set(vals))[:5])
        for col in ("ci_type", "note"):
            if col in frame:
                for text in frame[col].dropna().astype(str):
                    for m in re.finditer(r"(?<![\w.\-])(\d+)(?![\w.%])", text):
                        if re.search(r"\b(?!n=)[A-Za-z_]{2,}=$", text[: m.start()]):
                            continue  # a setting (anticipation=3), not a count
                        v = int(m.group(1))
                        assert v == 0 or v % BASE == 0 or 1900 <= v <= 2100, (name, text)
    # model n agrees with the matching flow at the released precision
    flow = tables["matching_flow"]
    assert (pd.to_numeric(flow["value"], errors="coerce").dropna() % BASE == 0).all()


def test_estimates_are_given_at_the_precision_of_their_standard_errors(real_run):
    """An event-study coefficient printed to 12 digits was 0.0059880239521 = 1/167: the
    number of engagers.  At two significant digits of its standard error it is not."""
    checked = 0
    for name, frame in _tables(real_run).items():
        if not name.startswith("did_"):
            continue
        est = "estimate" if "estimate" in frame else "value"
        if "std_error" in frame:
            se = pd.to_numeric(frame["std_error"], errors="coerce")
        elif {"conf_low", "conf_high"} <= set(frame.columns):
            se = (frame["conf_high"] - frame["conf_low"]).abs() / 3.92
        else:
            continue
        for v, s in zip(pd.to_numeric(frame[est], errors="coerce"), se, strict=True):
            if pd.isna(v) or pd.isna(s) or s <= 0:
                continue
            dec = 1 - math.floor(math.log10(s))
            scaled = v * 10**dec
            assert abs(scaled - round(scaled)) < 1e-6, (name, v, s)
            checked += 1
    assert checked > 10


_TEXT_COUNT = re.compile(r"\((\d+)/(\d+)\)|(\d+)\s*->\s*(\d+)|\((\d+)\)")


def _published_values() -> set[int]:
    """Whole numbers printed in the source documents (public, shown beside regenerated ones)."""
    from socdata.paths import published_dir

    values: set[int] = set()
    for p in published_dir().glob("*.csv"):
        for v in pd.to_numeric(pd.read_csv(p)["value"], errors="coerce").dropna():
            if float(v).is_integer():
                values.add(int(v))
    return values


def _text_counts(text: str):
    for m in _TEXT_COUNT.finditer(text):
        for g in m.groups():
            if g is not None and not 1900 <= int(g) <= 2100:
                yield int(g)


def test_statements_and_report_text_show_only_controlled_counts(real_run):
    st = _tables(real_run)["police_statements"]
    texts = list(st["regenerated"].dropna().astype(str))
    report = html.unescape(re.sub(r"<[^>]+>", " ", (real_run.out_dir / "report.html").read_text()))
    texts += [line for line in report.splitlines() if "->" in line or "/" in line]
    public = _published_values()
    bad = [
        (t[:80], v)
        for t in texts
        for v in _text_counts(t)
        if v != 0 and v % BASE != 0 and v not in public
    ]
    assert not bad, bad[:10]
    # shares in statements follow their released counts
    for t in st["regenerated"].dropna().astype(str):
        m = re.match(r"(\d+)% \((\d+)/(\d+)\)", t)
        if m:
            assert int(m.group(1)) == math.floor(100 * int(m.group(2)) / int(m.group(3)) + 0.5)


def test_warnings_in_the_report_carry_no_small_or_exact_counts(real_run):
    # raw warnings stay inside the secure setting (executed notebooks); the manifest and the
    # report show the controlled text
    manifest = json.loads((real_run.out_dir / "manifest.json").read_text())
    shown = [w for nb in manifest.get("notebooks", []) for w in nb.get("warnings", [])]
    for w in shown:
        for m in re.finditer(r"(?<![\w.:/\-+])(\d+)(?![\w.:%]|/\d|-\d)", w):
            v = int(m.group(1))
            assert v == 0 or v % BASE == 0 or 1900 <= v <= 2100, w


def test_kaplan_meier_figure_data_steps_by_at_least_the_threshold(real_run):
    curve = _tables(real_run)["duration_km_curve"]
    assert len(curve) > 0
    assert (curve["events"] >= THRESHOLD).all()
    assert (curve["at_risk"] >= THRESHOLD).all()
    assert not [p for p in real_run.figures if "swimmer" in p.name]


def test_every_output_is_in_the_output_checking_request(real_run):
    folder = real_run.out_dir / "output_request"
    results = json.loads((folder / "results.json").read_text())["results"]
    names = {r["files"][0]["name"] for r in results.values()}
    outputs = {p.name for p in (real_run.out_dir / "tables").glob("*.csv")}
    outputs |= {p.name for p in (real_run.out_dir / "figures").glob("*.png")}
    assert outputs <= names
    assert {r["status"] for r in results.values()} <= {"pass", "fail", "review"}
    failed = [r["properties"]["name"] for r in results.values() if r["status"] == "fail"]
    assert not failed
    for r in results.values():
        assert (folder / r["files"][0]["name"]).exists()
        assert r["properties"]["safe_threshold"] == THRESHOLD


def test_acro_reads_the_request(real_run):
    acro_record = pytest.importorskip(
        "acro.record", reason="acro pins pandas<=2.3.3: runs in CI's pandas 2 environment"
    )
    folder = Path(real_run.out_dir) / "output_request"
    records = acro_record.load_records(str(folder))
    results = json.loads((folder / "results.json").read_text())["results"]
    assert set(records.get_keys()) == set(results)
    for key, rec in results.items():
        assert records.get(key).status == rec["status"]


def test_comparison_with_the_published_figures_quotes_only_released_counts(real_run):
    """comparison.csv (and the report's comparison section) quote the extracts' figures
    next to the printed ones ("the extracts' base is 85: regenerated 75/85").  Those
    quotes must be the released (controlled) counts, never exact ones."""
    path = real_run.out_dir / "comparison.csv"
    if not path.exists():
        pytest.skip("no comparison with the published figures in this run")
    cmp = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = []
    n_rows = cmp["measure"].astype(str).str.lower() == "n"
    for v in pd.to_numeric(cmp.loc[n_rows, "regenerated"], errors="coerce").dropna():
        if v != 0 and (v < THRESHOLD or v % BASE):
            bad.append(("regenerated n", v))
    quote = re.compile(r"(?:regenerated|extracts' base is|it shows) (\d+)(?:\s*/\s*(\d+))?")
    for measure, text in zip(cmp["measure"], cmp.get("explanation", []), strict=False):
        for m in quote.finditer(text):
            if str(measure).lower() != "n" and m.group(2) is None:
                continue  # a percentage or a mean, not a count
            for g in m.groups():
                if g is not None and int(g) != 0 and (int(g) < THRESHOLD or int(g) % BASE):
                    bad.append((text[:80], int(g)))
    assert not bad, bad[:10]


def test_notes_of_tables_carry_only_released_counts(real_run):
    """A note such as "the 27 of 40 plans (13 'Not on form' left out)" beside a rounded
    base would give the exact counts back: counts in notes are controlled too."""
    form = re.compile(r"(?<![\w.])(\d+) of (\d+)(?! areas)|\((\d+) ")
    bad = []
    for name, frame in _tables(real_run).items():
        if "note" not in frame or "measure" not in frame:
            continue  # police_statements' notes quote the published reports (public)
        for text in frame["note"].dropna().astype(str).unique():
            for m in form.finditer(text):
                for g in m.groups():
                    if g is not None and int(g) != 0 and (int(g) < THRESHOLD or int(g) % BASE):
                        bad.append((name, text[:80]))
    assert not bad, bad[:10]
