"""The SQL-engine adapter: column types in one vocabulary, quoting, the finite test and
the engine's own errors shortened (DuckDB here; the same on Spark in test_spark.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socdata.errors import EstimationError, SocdataError
from socdata.scale.engine import open_table

duckdb = pytest.importorskip("duckdb")


def test_kinds_quoting_and_finite():
    frame = pd.DataFrame(
        {
            "i": np.array([1, 2, 3], dtype="int16"),
            "x": [1.0, np.inf, np.nan],
            "flag": [True, False, True],
            "when": pd.to_datetime(["2020-01-31", "2020-02-01", "2021-12-01"]),
            'odd "name": x': ["a", "b", "c"],
        }
    )
    with open_table(frame, "f()") as t:
        assert t.engine == "DuckDB" and t.desc == "pandas DataFrame"
        assert t.kinds == {
            "i": "integer", "x": "float", "flag": "bool", "when": "timestamp",
            'odd "name": x': "string",
        }  # fmt: skip
        col = t.q('odd "name": x')
        assert t.one(f"SELECT count(DISTINCT {col}) FROM src") == (3,)
        assert t.one(f"SELECT count(*) FILTER (WHERE {t.finite('x')}) FROM src") == (1,)
        with pytest.raises(EstimationError, match=r"'x' holds floating-point values \(DuckDB "):
            t.require("x", ("integer",), "give whole numbers", EstimationError)


def test_an_engine_error_is_short_and_names_the_function():
    with open_table(pd.DataFrame({"a": [1]}), "f()") as t:
        with pytest.raises(SocdataError, match=r"^f\(\): DuckDB could not compute") as err:
            t.one("SELECT no_such_column FROM src")
    assert err.value.__cause__ is None and "\n" not in str(err.value)
