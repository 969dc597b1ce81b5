"""The one output module of the CLI (shared with the web): cells, JSON cleaning, CSV."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from critmin.cli.output import Format, cell, clean, csv_text, emit, records, to_json


def test_cells_of_numpy_numbers_in_mixed_columns_are_never_nan():
    df = pd.DataFrame({"mixed": pd.Series(["text", np.float64("nan"), np.float32("nan"), np.int64(3), np.float64(1234.5),
                                           None, pd.NA, [1, 2]], dtype=object)})
    cells = [cell(v) for v in df["mixed"]]
    assert cells == ["text", "", "", "3", "1,234", "", "", "1, 2"]
    assert "nan" not in " ".join(cells).lower()


def test_the_table_output_prints_no_nan(capsys):
    df = pd.DataFrame({"a": pd.Series([np.float64("nan"), np.float32(0.5), np.int32(7)], dtype=object),
                       "b": [float("inf"), 1.0, None]})
    emit(df, Format.table, title="t")
    out = capsys.readouterr().out
    assert "nan" not in out.lower() and "inf" not in out.lower() and "0.5" in out and "7" in out


def test_json_cleaning_is_the_webs():
    from critmin.web.api import responses

    value = {"a": np.float32(0.25), "b": np.nan, "c": np.inf, "d": pd.NaT, "e": pd.Timestamp("2026-01-14"),
             "f": dt.datetime(2026, 1, 14, 12, 30), "g": np.array([1, 2]), "h": (np.int64(1), None), "i": pd.NA}
    cleaned = clean(value)
    assert cleaned == {"a": 0.25, "b": None, "c": None, "d": None, "e": "2026-01-14", "f": "2026-01-14T12:30:00",
                       "g": [1, 2], "h": [1, None], "i": None}
    assert responses.clean is clean and responses.records is records
    assert json.loads(to_json(value)) == cleaned  # NaN can never reach the JSON text


def test_csv_joins_lists_and_leaves_missing_cells_empty():
    text = csv_text(records(pd.DataFrame({"x": [[1, 2], None], "y": [np.nan, {"k": 1}]})))
    assert text.splitlines() == ["x,y", "1; 2,", ',"{""k"": 1}"']
