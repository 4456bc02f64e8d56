"""Event, missing-episode and custody rows of the synthetic police extracts.

Helpers of :func:`socdata.datasets.police.generate`: they turn the drawn monthly counts into
dated records (a uniform free day of each month segment, offence categories with an area
trend in the drug share, custody spells with their end dates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _free_days(a, b, lo, hi):
    """Days in [a, b) that are not in custody [lo, hi)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    overlap = np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0, None)
    return np.clip(b - a, 0, None) - overlap


def _draw_days(rng, seg, counts):
    """A uniform observed, non-custody day offset in each segment, repeated by ``counts``."""
    rep = lambda x: np.repeat(x, counts)  # noqa: E731
    a, b, lo, hi = rep(seg["a"]), rep(seg["b"]), rep(seg["lo"]), rep(seg["hi"])
    has_c = hi > lo
    first_len = np.where(has_c, np.clip(np.minimum(b, lo) - a, 0, None), b - a)
    free = _free_days(a, b, lo, hi)
    u = (rng.random(free.size) * np.maximum(free, 1)).astype(np.int64)
    second_start = np.where(has_c, np.maximum(a, hi), a + first_len)
    return np.where(u < first_len, a + u, second_start + (u - first_len))


def _offence_rows(rng, seg, month_ns, years, drug_trend_of, categories):
    """Offence and arrest rows; ``drug_trend_of`` is each person's drug-share trend."""
    counts = seg["off"]
    i = np.repeat(seg["i"], counts)
    t = np.repeat(seg["t"], counts)
    day = _draw_days(rng, seg, counts)
    # the first `arr` offences of each segment led to an arrest (offences are exchangeable)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    rank = np.arange(counts.sum()) - start
    arrested = rank < np.repeat(seg["arr"], counts)
    # category: baseline shares, drug share with an area-specific calendar trend
    base = np.log(np.array(list(categories.values())))
    drug_trend = drug_trend_of[i]
    logits = np.broadcast_to(base, (i.size, base.size)).copy()
    logits[:, list(categories).index("Drug offences")] += drug_trend * years[t]
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    cat = (rng.random(i.size)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    cat = np.minimum(cat, base.size - 1)
    names = np.array(list(categories), dtype=object)[cat]
    date = month_ns[t] + day.astype("timedelta64[D]")
    offences = pd.DataFrame(
        {
            "_i": i,
            "event_date": date,
            "event_type": "Offence",
            "offence_category": names,
            "_order": 0,
        }
    )
    arrests = offences[arrested].assign(event_type="Arrest", _order=1)
    out = pd.concat([offences, arrests], ignore_index=True)
    out["custody_end_date"] = pd.NaT
    return out


def _missing_rows(rng, seg, month_ns):
    """Missing-episode rows: reported on a free day, found hours later (2% never)."""
    counts = seg["miss"]
    i = np.repeat(seg["i"], counts)
    t = np.repeat(seg["t"], counts)
    day = _draw_days(rng, seg, counts)
    secs = rng.integers(0, 86400, i.size).astype("timedelta64[s]")
    reported = month_ns[t] + day.astype("timedelta64[D]") + secs
    hours = rng.lognormal(np.log(14.0), 1.0, i.size).clip(0.5, 24 * 30)
    found = reported + (hours * 3600).astype("timedelta64[s]")
    found = np.where(rng.random(i.size) < 0.02, np.datetime64("NaT", "ns"), found)
    return pd.DataFrame(
        {
            "_i": i,
            "reported_datetime": pd.to_datetime(reported).astype("datetime64[ns]"),
            "found_datetime": pd.to_datetime(found).astype("datetime64[ns]"),
        }
    )


def _custody_rows(spells, month_ns, extract):
    """Custody rows; a spell still running at the extract date has no end date."""
    if not spells:
        return pd.DataFrame(
            {
                "_i": np.array([], np.int64),
                "event_date": pd.Series([], dtype="datetime64[ns]"),
                "event_type": "Custody",
                "offence_category": "Not applicable",
                "_order": 2,
                "custody_end_date": pd.Series([], dtype="datetime64[ns]"),
            }
        )
    i = np.concatenate([sp[0] for sp in spells])
    start = np.concatenate([month_ns[sp[1]] + sp[2].astype("timedelta64[D]") for sp in spells])
    end = start + np.concatenate([sp[3] for sp in spells]).astype("timedelta64[D]")
    ext = extract[i]
    keep = start <= ext
    end = np.where(end > ext, np.datetime64("NaT", "ns"), end)  # still in custody at the extract
    return pd.DataFrame(
        {
            "_i": i[keep],
            "event_date": pd.to_datetime(start[keep]).astype("datetime64[ns]"),
            "event_type": "Custody",
            "offence_category": "Not applicable",
            "_order": 2,
            "custody_end_date": pd.to_datetime(end[keep]).astype("datetime64[ns]"),
        }
    )
