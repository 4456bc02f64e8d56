"""The linkage report: match rates by area and by field, and false-match checks on a truth.

Every number is a count of records or a share of them, in the tidy table format of
:func:`socdata.report.write_table`, so that the report is released under output control.
With the synthetic truth (:func:`socdata.datasets.linked.bundled_truth`) the report also gives, per
rule and per area, the links that are true, the false matches and the true links missed.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from socdata.linkage.rules import RULES, Linkage
from socdata.provenance import Provenance
from socdata.results import Result
from socdata.rounding import round_half_up

__all__ = ["LinkageReport", "linkage_report"]

_FIELDS = {"key_exact": "Unique child identifier", "key_fallback": "Date of birth + gender + area"}


def _pct(k: int, n: int) -> float | None:
    return round_half_up(100 * k / n, 1) if n else None


def _rows(table_id: str, rows: list[tuple]) -> pd.DataFrame:
    cols = ["row_label", "column_label", "measure", "value", "numerator", "denominator"]
    df = pd.DataFrame(rows, columns=cols)
    df.insert(0, "table_id", table_id)
    return df


@dataclasses.dataclass(frozen=True, repr=False)
class LinkageReport(Result):
    """Counts of a linkage run (aggregates only: no record ids, no keys).

    Attributes
    ----------
    by_area
        ``area, service_records, police_records, linked_exact, linked_fallback, linked,
        match_rate`` (``match_rate`` = linked service records / service records, %).
    by_field
        ``source, field, records, with_key, pct_with_key, links`` (links made by the rule
        that uses the field).
    status
        ``source, status, records``: every record accounted for.
    quality
        With a truth: ``rule, area, links, true_links, false_matches, missed, precision,
        recall`` (``missed`` and ``recall`` on the ``all`` rule only); else empty.
    """

    by_area: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    by_field: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    status: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    quality: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    def tidy(self) -> pd.DataFrame:
        """Overall match rate, and precision and recall when a truth was given."""
        o = self.by_area[self.by_area["area"] == "Overall"].iloc[0]
        rows = [{"term": "match_rate", "estimate": o["match_rate"], "n": o["service_records"]}]
        q = self.quality
        if len(q):
            a = q[(q["rule"] == "all") & (q["area"] == "Overall")].iloc[0]
            rows += [
                {"term": "precision", "estimate": a["precision"], "n": a["links"]},
                {"term": "recall", "estimate": a["recall"], "n": a["true_links"] + a["missed"]},
            ]
        from socdata.results import order_tidy

        return order_tidy(pd.DataFrame(rows))

    def _summary_body(self) -> str:
        parts = [self.by_area.to_string(index=False), "", self.by_field.to_string(index=False)]
        if len(self.quality):
            parts += ["", self.quality.to_string(index=False)]
        return "\n".join(parts)

    def to_tables(self) -> dict[str, pd.DataFrame]:
        """Tidy tables for :func:`socdata.report.write_table`, keyed by table id."""
        rows = []
        for r in self.by_area.itertuples(index=False):
            n = int(r.service_records)
            rows += [
                (r.area, "Service records", "n", n, None, None),
                (r.area, "Police records", "n", int(r.police_records), None, None),
                (r.area, "Linked (exact rule)", "n", int(r.linked_exact), None, None),
                (r.area, "Linked (fallback rule)", "n", int(r.linked_fallback), None, None),
                (r.area, "Linked", "n", int(r.linked), None, None),
                (r.area, "Linked", "pct", r.match_rate, int(r.linked), n),
            ]
        out = {"linkage_by_area": _rows("linkage_by_area", rows)}
        rows = []
        for r in self.by_field.itertuples(index=False):
            rows += [
                (r.field, r.source, "n", int(r.with_key), None, None),
                (r.field, r.source, "pct", r.pct_with_key, int(r.with_key), int(r.records)),
            ]
        out["linkage_by_field"] = _rows("linkage_by_field", rows)
        rows = [
            (r.status, r.source, "n", int(r.records), None, None)
            for r in self.status.itertuples(index=False)
        ]
        out["linkage_status"] = _rows("linkage_status", rows)
        if len(self.quality):
            rows = []
            for r in self.quality.itertuples(index=False):
                label = f"{r.area}: {r.rule}"
                rows += [
                    (label, "Links", "n", int(r.links), None, None),
                    (label, "True links", "n", int(r.true_links), None, None),
                    (label, "False matches", "n", int(r.false_matches), None, None),
                    (label, "Precision", "pct", r.precision, int(r.true_links), int(r.links)),
                ]
                if r.rule == "all":
                    base = int(r.true_links + r.missed)
                    rows += [
                        (label, "Missed true links", "n", int(r.missed), None, None),
                        (label, "Recall", "pct", r.recall, int(r.true_links), base),
                    ]
            out["linkage_quality"] = _rows("linkage_quality", rows)
        return out


def _by_area(linkage: Linkage) -> pd.DataFrame:
    rec = linkage.records
    rows = []
    for area in [*sorted(rec["area"].dropna().unique()), "Overall"]:
        sub = rec if area == "Overall" else rec[rec["area"] == area]
        svc = sub[sub["source"] == "Service"]
        ex = int((svc["status"] == "linked exact").sum())
        fb = int((svc["status"] == "linked fallback").sum())
        rows.append(
            {
                "area": area,
                "service_records": len(svc),
                "police_records": int((sub["source"] == "Police").sum()),
                "linked_exact": ex,
                "linked_fallback": fb,
                "linked": ex + fb,
                "match_rate": _pct(ex + fb, len(svc)),
            }
        )
    return pd.DataFrame(rows)


def _by_field(hashed: pd.DataFrame, linkage: Linkage) -> pd.DataFrame:
    rows = []
    for source in ("Service", "Police"):
        side = hashed[hashed["source"] == source]
        for key, field in _FIELDS.items():
            rule = "exact" if key == "key_exact" else "fallback"
            k = int(side[key].notna().sum())
            rows.append(
                {
                    "source": source,
                    "field": field,
                    "records": len(side),
                    "with_key": k,
                    "pct_with_key": _pct(k, len(side)),
                    "links": int((linkage.pairs["rule"] == rule).sum()),
                }
            )
    return pd.DataFrame(rows)


def _quality(linkage: Linkage, truth: pd.DataFrame, area: pd.Series) -> pd.DataFrame:
    true = set(zip(truth["service_id"], truth["police_id"], strict=True))
    pairs = linkage.pairs.assign(
        true=[
            (s, p) in true
            for s, p in zip(linkage.pairs["service_id"], linkage.pairs["police_id"], strict=True)
        ],
        area=linkage.pairs["service_id"].map(area),
    )
    t_area = truth["service_id"].map(area)
    rows = []
    for a in [*sorted(area.dropna().unique()), "Overall"]:
        pa = pairs if a == "Overall" else pairs[pairs["area"] == a]
        n_true = len(truth) if a == "Overall" else int((t_area == a).sum())
        for rule in [*RULES, "all"]:
            pr = pa if rule == "all" else pa[pa["rule"] == rule]
            tl = int(pr["true"].sum())
            missed = n_true - tl if rule == "all" else None
            rows.append(
                {
                    "rule": rule,
                    "area": a,
                    "links": len(pr),
                    "true_links": tl,
                    "false_matches": len(pr) - tl,
                    "missed": missed,
                    "precision": _pct(tl, len(pr)),
                    "recall": _pct(tl, n_true) if rule == "all" else None,
                }
            )
    return pd.DataFrame(rows)


def linkage_report(
    hashed: pd.DataFrame,
    linkage: Linkage,
    *,
    truth: pd.DataFrame | None = None,
    secret_origin: str | None = None,
) -> LinkageReport:
    """Match rates by area and field, every record's status and, with a truth, false matches.

    Parameters
    ----------
    hashed
        The keyed hashes the linkage used (:func:`socdata.linkage.hash_identifiers`).
    linkage
        Result of :func:`socdata.linkage.link_records`.
    truth
        Optional ``service_id, police_id`` of the true pairs (synthetic data only).
    secret_origin
        Where the secret came from (recorded in provenance; the secret itself never is).
    """
    status = linkage.records.groupby(["source", "status"]).size().rename("records").reset_index()
    svc_area = hashed[hashed["source"] == "Service"].set_index("record_id")["area"]
    quality = _quality(linkage, truth, svc_area) if truth is not None else pd.DataFrame()
    notes = [f"rule {k}: {v}" for k, v in RULES.items()]
    notes.append("Keys are HMAC-SHA256 with the data owner's secret; the secret is not stored.")
    prov = Provenance.build(
        "socdata.linkage.linkage_report",
        parameters={"truth": truth is not None, "secret_origin": secret_origin},
        frames={"hashed": hashed},
        n_in=len(hashed),
        n_out=len(linkage.records),
        notes=notes,
    )
    return LinkageReport(
        provenance=prov,
        by_area=_by_area(linkage),
        by_field=_by_field(hashed, linkage),
        status=status,
        quality=quality,
    )
