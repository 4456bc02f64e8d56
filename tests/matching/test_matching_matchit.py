"""Mahalanobis matching against MatchIt 4.7.2's matched sets on lalonde, and unit invariance.

Reference: ``data/matchit_lalonde_mahalanobis.csv``, made by
``data/matchit_lalonde_mahalanobis.R`` (MatchIt 4.7.2; R is not available in CI).  The
data are MatchIt's bundled ``lalonde`` (614 units, 185 treated), written by the same script.

MatchIt breaks exact ties in distance by floating-point rounding of its own arithmetic
(pivoted Cholesky, then sums of squares), which no independent implementation reproduces
bit for bit.  So the tests check, for every specification, that

* each of MatchIt's choices is a nearest available control under socdata's distance
  (replaying MatchIt's greedy order and its own used controls), i.e. the two distances
  agree everywhere MatchIt made a decision; and
* socdata's matched sets equal MatchIt's, except for treated units where a mathematically
  exact tie was met (two controls at the same distance), and those that follow from it
  (counted: 2 of 185 for 1:1).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socdata.matching import match
from socdata.matching._distance import mahalanobis_matrix
from socdata.matching.nearest import design_matrix

DATA = Path(__file__).parent / "data"
FULL = ["age", "educ", "race", "married", "nodegree", "re74", "re75"]
SPECS = {
    "nn1": dict(covariates=FULL),
    "nn2": dict(covariates=FULL, ratio=2),
    "nn1_replace": dict(covariates=FULL, replace=True),
    "nn1_exact_married": dict(covariates=FULL, exact="married"),
    "nn1_small": dict(covariates=["age", "educ", "re74", "re75"]),
}
#: Matched sets that differ from MatchIt's because of exact ties (and their knock-on).
MAX_TIE_DIFFERENCES = {"nn1": 2, "nn2": 9, "nn1_replace": 1, "nn1_exact_married": 0, "nn1_small": 0}


@pytest.fixture(scope="module")
def lalonde() -> pd.DataFrame:
    return pd.read_csv(DATA / "lalonde.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(DATA / "matchit_lalonde_mahalanobis.csv", keep_default_na=False)


def _match(data: pd.DataFrame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return match(
            data, treatment="treat", distance="mahalanobis", unit="id", on_unmatched="ignore", **kw
        )


def _sets(pairs: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    pairs = pairs[pairs["control_id"] != ""]
    return pairs.groupby("treated_id")["control_id"].apply(lambda s: tuple(sorted(s))).to_dict()


def _brute_distance(data: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    """Full n x n Mahalanobis distances written out: scale, pooled covariance, pinv."""
    X = design_matrix(data, covariates, drop_first=True).to_numpy()
    t = data["treat"].to_numpy() == 1
    Xs = (X - X.mean(0)) / X.std(0, ddof=1)
    S = sum((Xs[g] - Xs[g].mean(0)).T @ (Xs[g] - Xs[g].mean(0)) for g in (t, ~t)) / (len(X) - 2)
    Si = np.linalg.inv(S)
    D = Xs[:, None, :] - Xs[None, :, :]
    return np.sqrt(np.einsum("ijk,kl,ijl->ij", D, Si, D))


@pytest.mark.parametrize("spec", list(SPECS))
def test_matchit_choices_are_nearest_under_our_distance(lalonde, reference, spec):
    kw = SPECS[spec]
    D = _brute_distance(lalonde, kw["covariates"])
    ids = lalonde["id"].to_numpy()
    pos = {v: i for i, v in enumerate(ids)}
    treated = np.flatnonzero(lalonde["treat"].to_numpy() == 1)
    controls = np.flatnonzero(lalonde["treat"].to_numpy() == 0)
    cell = lalonde[kw["exact"]].to_numpy() if "exact" in kw else np.zeros(len(ids))
    ref = reference[reference["spec"] == spec]
    choice = {(r.treated_id, r.match_rank): r.control_id for r in ref.itertuples()}
    used: set[int] = set()
    taken: dict[int, set[int]] = {i: set() for i in treated}
    for rank in range(1, kw.get("ratio", 1) + 1):
        for i in treated:  # MatchIt's m.order = "data" for Mahalanobis
            avail = [
                j
                for j in controls
                if cell[j] == cell[i] and j not in taken[i] and (kw.get("replace") or j not in used)
            ]
            c = choice.get((ids[i], rank), "")
            if c == "":
                assert not avail or (rank > 1 and not taken[i])
                continue
            j = pos[c]
            assert D[i, j] <= D[i, avail].min() * (1 + 1e-9), (spec, ids[i], rank)
            taken[i].add(j)
            used.add(j)


@pytest.mark.parametrize("spec", list(SPECS))
def test_matched_sets_equal_matchit_up_to_exact_ties(lalonde, reference, spec):
    res = _match(lalonde, **SPECS[spec])
    ours = _sets(res.pairs)
    theirs = _sets(reference[reference["spec"] == spec])
    assert set(ours) == set(theirs)
    differ = sorted(k for k in theirs if ours[k] != theirs[k])
    assert len(differ) <= MAX_TIE_DIFFERENCES[spec], differ


def test_the_ties_are_exact_ties(lalonde, reference):
    """NSW89 (age 21) has two controls at ages 19 and 23, otherwise identical: a tie."""
    D = _brute_distance(lalonde, FULL)
    pos = {v: i for i, v in enumerate(lalonde["id"])}
    ours = _sets(_match(lalonde, covariates=FULL).pairs)["NSW89"][0]
    theirs = _sets(reference[reference["spec"] == "nn1"])["NSW89"][0]
    assert ours != theirs
    i = pos["NSW89"]
    assert D[i, pos[ours]] == pytest.approx(D[i, pos[theirs]], rel=1e-12)


@pytest.mark.parametrize(
    "column,factor", [("re74", 1e-3), ("re75", 1e-6), ("age", 1e4), ("educ", 0.01)]
)
def test_rescaling_a_covariate_leaves_the_matched_sets_unchanged(lalonde, column, factor):
    base = _match(lalonde, covariates=FULL, ratio=2)
    scaled = _match(lalonde.assign(**{column: lalonde[column] * factor}), covariates=FULL, ratio=2)
    pd.testing.assert_frame_equal(
        base.pairs[["treated_id", "control_id", "match_rank"]],
        scaled.pairs[["treated_id", "control_id", "match_rank"]],
    )


def test_small_scale_covariate_is_not_ignored():
    """Income in thousands must weigh as much as income in pounds (issue 11 item 5)."""
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.normal(30, 8, n),
            "income": rng.gamma(2.0, 15000.0, n),
        }
    )
    df["treat"] = (rng.random(n) < 0.25).astype(int)
    a = _match(df, covariates=["age", "income"])
    b = _match(df.assign(income=df["income"] / 1000), covariates=["age", "income"])
    c = _match(df.assign(income=df["income"] / 1e9), covariates=["age", "income"])
    for other in (b, c):
        pd.testing.assert_frame_equal(
            a.pairs, other.pairs.assign(score_distance=a.pairs["score_distance"])
        )
        np.testing.assert_allclose(
            a.pairs["score_distance"], other.pairs["score_distance"], rtol=1e-9
        )
    # and the distance is the brute-force one (scaled covariates, pooled covariance)
    X = df[["age", "income"]].to_numpy()
    t = df["treat"].to_numpy() == 1
    A = mahalanobis_matrix(X, t)
    S = sum(np.cov(X[g].T, ddof=1) * (g.sum() - 1) for g in (t, ~t)) / (n - 2)
    dx = X[0] - X[1]
    assert np.linalg.norm(dx @ A) == pytest.approx(np.sqrt(dx @ np.linalg.solve(S, dx)), rel=1e-10)
