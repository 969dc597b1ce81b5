"""Shared pieces of the bilateral-trade loaders: the result type, country codes, typing.

Both loaders (:mod:`critmin.live.comtrade`, :mod:`critmin.live.baci`) produce rows of the
``bilateral_trade`` table of :mod:`critmin.schema`. This module holds what they share:

* :class:`TradeLoad`: the table and a :class:`~collections.Counter` of rows left out on
  purpose, by reason (world totals, unspecified areas, flows the table does not hold).
* :func:`classify_code`: is a three-character code an ISO 3166 country (current or
  historic), a publisher's aggregate or unspecified area, or unknown (an error)?
* :func:`typed_table`: cast columns to the schema's types and check not-null columns, so
  a loader that drifts fails here and not in a user's analysis.

Quantity qualifiers (column ``quantity_qualifier``) use the vocabulary of
:mod:`critmin.values`: ``exact`` (as published), ``estimated`` (the publisher flags the
quantity as estimated), ``missing`` (blank or absent in the publisher's data) and
``not_available`` (published as ``NA``, or as a zero weight next to a non-zero value,
which UN Comtrade uses for "not reported"). ``quantity_t`` is null for the last two:
a missing weight is never 0.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from critmin import schema
from critmin.errors import CritminError

TABLE = "bilateral_trade"
COLUMNS: tuple[str, ...] = tuple(schema.TABLES[TABLE].columns)

COUNTRY = "country"
AGGREGATE = "aggregate"
UNKNOWN = "unknown"

#: HS revision codes as UN Comtrade (``H0``..``H6``) and CEPII BACI (``HS92``..``HS22``) write them.
HS_REVISIONS = {
    "H0": "HS1992", "H1": "HS1996", "H2": "HS2002", "H3": "HS2007", "H4": "HS2012", "H5": "HS2017", "H6": "HS2022",
    "HS92": "HS1992", "HS96": "HS1996", "HS02": "HS2002", "HS07": "HS2007", "HS12": "HS2012", "HS17": "HS2017",
    "HS22": "HS2022",
}


@dataclass
class TradeLoad:
    """A loaded ``bilateral_trade`` fragment and the rows left out, by reason."""

    table: pd.DataFrame
    skipped: Counter = field(default_factory=Counter)

    def __iter__(self):
        """Unpack as ``table, skipped = load``."""
        return iter((self.table, self.skipped))


def hs_revision(code: object) -> str | None:
    """``H6`` or ``HS22`` -> ``HS2022``; ``None`` when blank; unknown codes kept as given."""
    text = str(code or "").strip().upper()
    if not text:
        return None
    return HS_REVISIONS.get(text, text)


@cache
def _historic_codes() -> frozenset[str]:
    """ISO 3166-3 codes of former countries (``SCG``, ``YUG``, ``ANT``, ``CSK``)."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.historic_countries)


_AGGREGATE_NAME = re.compile(
    r"\bn\.?\s?e\.?\s?s\b|not elsewhere specified|\bareas?\b|\bbunkers?\b|free zones?|special categories|"
    r"\bworld\b|\(\.\.\.\s*\d{4}\)",
    re.I,
)


def classify_code(code: object, name: str = "") -> tuple[str, str | None]:
    """Classify a publisher's three-character country code.

    Returns
    -------
    (kind, iso3)
        ``("country", iso3)`` for an ISO 3166-1 code, a historic ISO 3166-3 code (``SCG``,
        ``ANT``) or a code in ``critmin/vocab/country_code_aliases.csv``;
        ``("aggregate", None)`` for codes that cannot be countries: ``W00`` (World),
        codes with digits or punctuation (Comtrade ``S19``, ``_X``, BACI ``R20``,
        ``N/A``), or a blank code whose name says "nes" / "areas" / "(...1999)";
        ``("unknown", None)`` otherwise, which callers turn into an error.
    """
    from critmin.errors import UnmappedNameError
    from critmin.vocab.countries import resolve_code

    text = str(code or "").strip().upper()
    if re.fullmatch(r"[A-Z]{3}", text):
        try:
            return COUNTRY, resolve_code(text)
        except UnmappedNameError:
            pass
        if text in _historic_codes():
            return COUNTRY, text
        return UNKNOWN, None
    if text:
        return AGGREGATE, None
    if name and _AGGREGATE_NAME.search(name):
        return AGGREGATE, None
    return UNKNOWN, None


def typed_table(rows: pd.DataFrame | list[dict[str, object]]) -> pd.DataFrame:
    """The ``bilateral_trade`` columns in schema order and types; not-null columns checked.

    Raises
    ------
    CritminError
        A column the schema does not know, or a null in a not-null column (a loader bug).
    """
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    unknown = set(df.columns) - set(COLUMNS)
    if unknown:
        raise CritminError(f"{TABLE}: unknown column(s) {sorted(unknown)}")
    table = schema.TABLES[TABLE]
    out = {}
    for col, kind in table.columns.items():
        s = df[col] if col in df else pd.Series([None] * len(df), index=df.index, dtype=object)
        if kind == schema.LIST:
            out[col] = s.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else [str(x) for x in v])
        elif kind == schema.INT:
            out[col] = pd.to_numeric(s, errors="raise").astype("Int64")
        elif kind == schema.FLOAT:
            out[col] = pd.to_numeric(s, errors="raise").astype("Float64")
        else:
            out[col] = s.astype("string")
    frame = pd.DataFrame(out).reset_index(drop=True)
    for col in table.not_null:
        bad = frame[col].isna()
        if bad.any():
            raise CritminError(f"{TABLE}: {int(bad.sum())} row(s) with null {col!r}")
    return frame


def write_parquet(df: pd.DataFrame, out: Path, metadata: dict[str, object] | None = None) -> Path:
    """Write ``df`` to ``out`` atomically (temporary file, then rename), with JSON metadata.

    The metadata (source citation, rows skipped by reason) is stored in the Parquet
    schema under the key ``critmin``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(arrow.schema.metadata or {})
    if metadata is not None:
        meta[b"critmin"] = json.dumps(metadata, default=str, sort_keys=True).encode("utf-8")
    arrow = arrow.replace_schema_metadata(meta)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        pq.write_table(arrow, tmp, compression="zstd")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
