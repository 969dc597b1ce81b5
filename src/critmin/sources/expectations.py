"""What a reader expects of its publisher's files, declared as data, and the one checker.

Every reader declares, next to its code, the shape its publisher documents: the files it
must find, the rows (or row range) of each file, the commodities or years a file covers,
the value domains of its tables (which words may stand in a number cell, where a value may
be negative, which bounds hold) and the cells the publisher is known to have got wrong.
:func:`check` tests a reader's result against that declaration; the snapshot build runs it
after every reader, so nothing of this lives in ad-hoc ``if`` statements in the readers.

The declaration
---------------
:class:`Expectation` (one per reader, attached with the :func:`expects` decorator) holds

``files``
    Paths (relative to the raw-data folder) that must all be there and all be read. A
    missing one fails the build naming every missing file.
``shapes``
    :class:`Shape` per file or glob: ``rows`` (data rows read: an exact number or a range),
    ``distinct`` (e.g. at least 75 commodities), ``covers`` (e.g. every year 2020-2024),
    ``last`` (the values of the last row read, which a file cut at a line end loses). A
    mismatch fails unless the build is told to accept row changes (a new release of a file
    legitimately moves them); the message says what was expected and where that is
    documented.
``tables``
    :class:`Values` per table (see below).
``anomalies``
    :class:`Anomaly`: a published cell the checks would refuse but that is known and kept
    as published, with the reason (added to the row's ``notes``).
``repeated``
    :class:`Repeated`: a data row the publisher's file repeats verbatim; the later copy is
    left out and counted in ``skipped`` (a repeated row that differs is an error).

The value rules (:class:`Values`), applied to the columns ``value``, ``low``, ``high``,
``qualifier`` and ``raw`` of every table that has them:

* **No stray text.** A cell that is neither a number nor a documented code gets qualifier
  ``text`` from :func:`critmin.values.parse_value`; that is an error naming file, row and
  field, unless a :class:`Words` rule documents those words for that field.
* **No negative numbers** unless a :class:`Signed` rule says where the publisher allows
  them (stock changes, net shipments from a stockpile).
* **Bounds** (:class:`Bounds`): percentages within 0-100, ranks within their scale, also on
  plain numeric columns such as ``governance.pct_rank``.
* **Codes where documented** (:class:`Code`): ``E`` (net exporter) is an NIR code, allowed in
  the schema's NIR fields (:data:`NIR_FIELDS`); in any other field it is an error unless
  declared.
* **Keys.** Every table has a key in :mod:`critmin.schema`; two rows of one reader with the
  same key are an error naming both rows.

A reader without a declaration still gets the value rules with no exceptions (no text, no
negatives, ``E`` nowhere, keys), and the build says that it declares nothing else.

For the free-text columns the existing readers allow, see :mod:`critmin.sources`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from critmin.errors import SourceError

VALUE_COLUMNS = ("value", "low", "high")


class Where:
    """Rows whose columns match every condition.

    ``Where(statistic="nir")`` (equal), ``Where(measure=("production", "capacity"))`` (one
    of), ``Where(detail=re.compile(r"^Shipments"))`` (the pattern is found in the cell),
    ``Where(form=None)`` (null).
    """

    __slots__ = ("conditions",)

    def __init__(self, **conditions: object) -> None:
        self.conditions = tuple(conditions.items())

    def mask(self, df: pd.DataFrame) -> pd.Series:
        m = pd.Series(True, index=df.index)
        for column, cond in self.conditions:
            if column not in df.columns:
                raise ValueError(f"expectation rule {self!r} names column {column!r}, which the table does not have")
            s = df[column]
            if cond is None:
                m &= s.isna()
            elif isinstance(cond, re.Pattern):
                m &= s.astype("string").str.contains(cond, na=False)
            elif isinstance(cond, (tuple, list, set, frozenset)):
                m &= s.isin(list(cond))
            else:
                m &= s == cond
        return m

    def __repr__(self) -> str:
        parts = []
        for column, cond in self.conditions:
            if isinstance(cond, re.Pattern):
                parts.append(f"{column} ~ /{cond.pattern}/")
            elif isinstance(cond, (tuple, list, set, frozenset)):
                parts.append(f"{column} in {sorted(map(str, cond))}")
            else:
                parts.append(f"{column} = {cond!r}")
        return " and ".join(parts) or "every row"


def _mask(where: Where | None, df: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=df.index) if where is None else where.mask(df)


@dataclass(frozen=True)
class Words:
    """Words the publisher documents as the content of a number cell (qualifier ``text``).

    ``pattern`` is a regular expression matched against the whole published cell, ignoring
    case; ``where`` limits the rule to some rows (fields); ``doc`` says where the words are
    documented.
    """

    pattern: str
    where: Where | None = None
    doc: str = ""


@dataclass(frozen=True)
class Signed:
    """Rows whose values may be negative because the publisher says so."""

    where: Where
    doc: str


@dataclass(frozen=True)
class Bounds:
    """A closed interval the ``columns`` must lie in, on the rows ``where`` selects."""

    low: float | None = None
    high: float | None = None
    where: Where | None = None
    columns: tuple[str, ...] = VALUE_COLUMNS
    doc: str = ""


@dataclass(frozen=True)
class Code:
    """A qualifier allowed only where documented, e.g. ``net_exporter`` in NIR fields."""

    qualifier: str
    where: Where | None = None
    doc: str = ""


#: Qualifiers that are an error unless a :class:`Code` rule allows them.
RESTRICTED_CODES = ("net_exporter",)

#: The schema's net-import-reliance fields, where ``E`` (net exporter) is always allowed:
#: the whole ``nir`` table, ``salient`` rows of statistic ``nir``, ``critical_salient`` rows
#: of field ``net_import_reliance``.
NIR_FIELDS: dict[str, Code] = {
    "nir": Code("net_exporter", None, "E: net exporter (MCS figure legend)"),
    "salient": Code("net_exporter", Where(statistic="nir"), "E: net exporter, in net-import-reliance columns"),
    "critical_salient": Code("net_exporter", Where(field="net_import_reliance"), "E: net exporter, in the NIR column"),
}


@dataclass(frozen=True)
class Values:
    """What the cells of one table may hold (see the module docstring).

    ``field`` is a template over the row's columns that names the publisher's field in
    error messages, e.g. ``"{detail}"`` or ``"Net_Import_Reliance_pct_{year}"``.
    """

    words: tuple[Words, ...] = ()
    signed: tuple[Signed, ...] = ()
    bounds: tuple[Bounds, ...] = ()
    codes: tuple[Code, ...] = ()
    field: str = ""


@dataclass(frozen=True)
class Anomaly:
    """A published cell known to break the value rules, kept as published, with the reason."""

    file: str
    row: int
    why: str
    where: Where | None = None


@dataclass(frozen=True)
class Repeated:
    """Data row ``row`` of ``file`` repeats row ``of_row`` verbatim: the copy is left out."""

    file: str
    row: int
    of_row: int
    why: str


@dataclass(frozen=True)
class Shape:
    """The documented shape of one file, or of every file a glob (``*``) matches.

    Attributes
    ----------
    path
        Relative to the raw-data folder; ``fnmatch`` pattern allowed, case-insensitive.
    rows
        Data rows read from the file (rows that give at least one table row): an exact
        number or an inclusive ``(low, high)``.
    distinct
        Column -> number (or range) of distinct values among the file's rows, e.g.
        ``{"commodity_id": (75, 75)}``.
    covers
        Column -> values that must all occur among the file's rows, e.g. the years.
    last
        Column -> value of the file's last row read (by row number).
    doc
        Where the publisher documents this.
    """

    path: str
    rows: int | tuple[int, int] | None = None
    distinct: dict[str, int | tuple[int, int]] = field(default_factory=dict)
    covers: dict[str, tuple] = field(default_factory=dict)
    last: dict[str, object] = field(default_factory=dict)
    doc: str = ""


@dataclass(frozen=True)
class Expectation:
    """Everything a reader expects of its files (see the module docstring)."""

    files: tuple[str, ...] = ()
    shapes: tuple[Shape, ...] = ()
    tables: dict[str, Values] = field(default_factory=dict)
    anomalies: tuple[Anomaly, ...] = ()
    repeated: tuple[Repeated, ...] = ()


def expects(expectation: Expectation) -> Callable:
    """Decorator attaching ``expectation`` to a reader function (``reader.expectation``)."""

    def mark(reader: Callable) -> Callable:
        reader.expectation = expectation
        return reader

    return mark


def expectation_of(reader: Callable) -> Expectation | None:
    return getattr(reader, "expectation", None)


# --------------------------------------------------------------------------- the checker


def _in_range(n: int, spec: int | tuple[int, int]) -> bool:
    if isinstance(spec, tuple):
        return spec[0] <= n <= spec[1]
    return n == spec


def _spec_text(spec: int | tuple[int, int]) -> str:
    if isinstance(spec, tuple):
        return f"{spec[0]:,}" if spec[0] == spec[1] else f"{spec[0]:,} to {spec[1]:,}"
    return f"{spec:,}"


def _provenance(result, columns: Iterable[str] = ()) -> pd.DataFrame:
    """``source_file``, ``source_row`` and ``columns`` of every table row of a result."""
    columns = list(dict.fromkeys(columns))
    parts = []
    for df in result.tables.values():
        if len(df) and "source_file" in df.columns and "source_row" in df.columns:
            parts.append(df[["source_file", "source_row"] + [c for c in columns if c in df.columns]])
    if not parts:
        return pd.DataFrame(columns=["source_file", "source_row", *columns])
    return pd.concat(parts, ignore_index=True)


def rows_per_file(result, data_dir: Path, prov: pd.DataFrame | None = None) -> dict[str, int]:
    """Data rows read from each file of a result (distinct ``source_row`` per ``source_file``)."""
    from critmin.sources.base import relative_to_data

    prov = _provenance(result) if prov is None else prov
    counts = prov.groupby("source_file")["source_row"].nunique().to_dict() if len(prov) else {}
    out = {}
    for f in sorted(set(result.files)):
        rel = relative_to_data(Path(f), Path(data_dir))
        out[rel] = int(counts.get(rel, 0))
    return out


def check(
    result,
    expectation: Expectation | None,
    data_dir: Path,
    *,
    accept_row_changes: bool = False,
    warn: Callable[[str], None] | None = None,
):
    """Check a reader's result against its declaration; return it with repeats dropped.

    Raises :class:`~critmin.errors.SourceError` naming file, row and field. ``warn``
    receives the messages of mismatches that ``accept_row_changes`` lets through.
    """
    exp = expectation or Expectation()
    data_dir = Path(data_dir)
    _check_files(result, exp, data_dir)
    # one pass over the provenance for the row counts and the shapes; taken before repeats are
    # dropped, since a repeated row was read even though it is left out
    prov = _provenance(result, [c for sh in exp.shapes for c in (*sh.distinct, *sh.covers, *sh.last)])
    file_rows = rows_per_file(result, data_dir, prov)
    if exp.repeated:
        result = _drop_repeats(result, exp.repeated)
    tables = {}
    for name, df in result.tables.items():
        if warn is not None and "source_id" in df.columns and len(df) and not (df["source_id"] == result.info.source_id).all():
            other = df.loc[df["source_id"] != result.info.source_id, "source_id"].iloc[0]
            warn(f"reader {result.info.source_id}: table {name!r} has rows with source_id {other!r}, not its own")
        tables[name] = check_values(name, df, exp.tables.get(name, Values()), exp.anomalies)
        check_keys(name, tables[name])
    result = replace(result, tables=tables, file_rows=file_rows)
    if warn is not None and (exp.anomalies or exp.repeated):
        for message in stale_declarations(result, exp):
            warn(message)
    problems = shape_problems(result, exp.shapes, prov)
    if problems:
        if not accept_row_changes:
            extra = f" ({len(problems) - 1} more problem(s) of this kind)" if len(problems) > 1 else ""
            file, message, expected = problems[0]
            raise SourceError(file, message + extra, expected=expected + "; if this is a new release of the file, build with --accept-row-changes")
        for file, message, expected in problems:
            if warn is not None:
                warn(f"{file}: {message}; expected {expected} (accepted)")
    return result


def stale_declarations(result, exp: Expectation) -> list[str]:
    """Declared anomalies and repeats whose row no longer exists (the publisher may have fixed it)."""
    files = {a.file for a in exp.anomalies} | {r.file for r in exp.repeated}
    present: set[tuple[str, int]] = set()
    for df in result.tables.values():
        if len(df) and "source_file" in df.columns:
            sel = df["source_file"].isin(files)
            present.update(zip(df.loc[sel, "source_file"], df.loc[sel, "source_row"]))
    out = []
    for a in exp.anomalies:
        if (a.file, a.row) not in present:
            out.append(f"{a.file}: row {a.row} is declared a known anomaly ({a.why}) but was not read; remove the declaration if the publisher corrected it")
    for r in exp.repeated:
        if (r.file, r.of_row) not in present:
            out.append(f"{r.file}: row {r.row} is declared a repeat of row {r.of_row}, which was not read")
    return out


def _check_files(result, exp: Expectation, data_dir: Path) -> None:
    from critmin.sources.base import relative_to_data

    missing = [p for p in exp.files if not (data_dir / p).is_file()]
    if missing:
        listed = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise SourceError(
            data_dir / missing[0],
            f"{len(missing)} expected file(s) missing: {listed}",
            expected="every file of the release as published (see ../shared/data/SOURCES.md)",
        )
    read = {relative_to_data(Path(f), data_dir).casefold() for f in result.files}
    unread = [p for p in exp.files if p.casefold() not in read]
    if unread:
        raise SourceError(data_dir / unread[0], f"expected file(s) not read by the reader: {', '.join(unread[:10])}", expected="the reader to read every expected file")


def _drop_repeats(result, repeated: Iterable[Repeated]):
    tables = dict(result.tables)
    skipped = result.skipped.copy()
    for rep in repeated:
        for name, df in tables.items():
            if not len(df) or "source_file" not in df.columns:
                continue
            at_file = df["source_file"] == rep.file
            copy = df[at_file & (df["source_row"] == rep.row)]
            if not len(copy):
                continue
            original = df[at_file & (df["source_row"] == rep.of_row)]
            a = copy.drop(columns=["source_row"]).reset_index(drop=True)
            b = original.drop(columns=["source_row"]).reset_index(drop=True)
            if len(a) != len(b) or not a.astype(str).equals(b.astype(str)):
                raise SourceError(rep.file, f"row declared a repeat of row {rep.of_row} differs from it", row=rep.row, expected="a verbatim copy (critmin.sources expectation 'repeated')")
            tables[name] = df.drop(index=copy.index)
            skipped[f"{rep.file}: row {rep.row} repeats row {rep.of_row} ({rep.why})"] += 1
    return replace(result, tables=tables, skipped=skipped)


def _field_label(rules: Values, row: pd.Series, column: str | None = None) -> str:
    if column is not None and column not in VALUE_COLUMNS + ("qualifier", "raw"):
        return column
    if rules.field:
        try:
            return rules.field.format(**{k: ("" if _isna(v) else v) for k, v in row.items()})
        except (KeyError, IndexError, ValueError):
            pass
    parts = [str(row[c]) for c in ("detail", "field", "measure", "indicator", "statistic") if c in row.index and not _isna(row[c])][:1]
    if "year" in row.index and not _isna(row["year"]):
        parts.append(str(row["year"]))
    return " ".join(parts) or "value"


def _plain(v: object) -> object:
    """A NumPy scalar as the Python value it holds (for readable messages)."""
    return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v


def _isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _anomaly_mask(df: pd.DataFrame, anomalies: Iterable[Anomaly]) -> tuple[pd.Series, dict[int, str]]:
    mask = pd.Series(False, index=df.index)
    why: dict[int, str] = {}
    if "source_file" not in df.columns:
        return mask, why
    for a in anomalies:
        if a.where is not None and any(c not in df.columns for c, _ in a.where.conditions):
            continue  # an anomaly of another table of the same reader
        m = (df["source_file"] == a.file) & (df["source_row"] == a.row) & _mask(a.where, df)
        for i in df.index[m]:
            why[i] = a.why
        mask |= m
    return mask, why


def _fail(df: pd.DataFrame, bad: pd.Series, rules: Values, message: str, expected: str, column: str | None = None) -> None:
    row = df.loc[bad].iloc[0]
    file = row.get("source_file") if "source_file" in row.index else "<reader output>"
    n = int(bad.sum())
    more = f" ({n - 1} more such cell(s))" if n > 1 else ""
    raw = row.get("raw") if column in (None, "value", "low", "high") and "raw" in row.index else row.get(column)
    src_row = row.get("source_row") if "source_row" in row.index else None
    raise SourceError(
        file if not _isna(file) else "<reader output>",
        message + more,
        row=None if _isna(src_row) else int(src_row),
        field=_field_label(rules, row, column),
        found=None if _isna(raw) else raw,
        expected=expected,
    )


def check_values(table: str, df: pd.DataFrame, rules: Values, anomalies: Iterable[Anomaly] = ()) -> pd.DataFrame:
    """Apply the value rules of one table to a reader's fragment; return it (notes of known anomalies added)."""
    if not len(df):
        return df
    known, why = _anomaly_mask(df, anomalies)
    has_values = "qualifier" in df.columns and "value" in df.columns
    if has_values:
        q = df["qualifier"].astype("string")
        text = (q == "text") & ~known
        if text.any():
            allowed = pd.Series(False, index=df.index)
            raw = df.loc[text, "raw"].astype("string").fillna("")
            for w in rules.words:
                words = raw.str.fullmatch(w.pattern, case=False, na=False).reindex(df.index, fill_value=False)
                allowed |= words & _mask(w.where, df)
            bad = text & ~allowed
            if bad.any():
                documented = "; ".join(f"{w.pattern!r} where {w.where!r}" for w in rules.words) or "none"
                _fail(df, bad, rules, "not a number and not a code the publisher documents for this field",
                      f"a number or a documented code (W, NA, >95, <1,000, 50–300, —, ...); documented words: {documented}")
        for code in RESTRICTED_CODES:
            used = (q == code) & ~known
            if used.any():
                allowed = pd.Series(False, index=df.index)
                for c in (*rules.codes, *([NIR_FIELDS[table]] if table in NIR_FIELDS else [])):
                    if c.qualifier == code:
                        allowed |= _mask(c.where, df)
                bad = used & ~allowed
                if bad.any():
                    _fail(df, bad, rules, f"code for {code.replace('_', ' ')} in a field where the publisher does not use it",
                          "a number, or a code documented for this field (E is for net import reliance only)")
        numbers = {c: pd.to_numeric(df[c], errors="coerce") for c in VALUE_COLUMNS}
        infinite = pd.Series(False, index=df.index)
        for c in VALUE_COLUMNS:
            infinite |= numbers[c].isin([float("inf"), float("-inf")])
        if infinite.any():
            _fail(df, infinite, rules, "not a finite number", "a finite number or a documented code")
        negative = (numbers["value"] < 0) | (numbers["low"] < 0) | (numbers["high"] < 0)
        negative &= ~known
        if negative.any():
            for s in rules.signed:
                negative &= ~_mask(s.where, df)
            if negative.any():
                _fail(df, negative, rules, "negative number in a field that cannot be negative",
                      "a number >= 0 (negative values only where the publisher documents them, e.g. stock changes)")
    for b in rules.bounds:
        sel = _mask(b.where, df) & ~known
        for column in b.columns:
            if column not in df.columns:
                raise ValueError(f"bounds {b!r} name column {column!r}, which table {table!r} does not have")
            x = pd.to_numeric(df[column], errors="coerce")
            out = pd.Series(False, index=df.index)
            if b.low is not None:
                out |= x < b.low
            if b.high is not None:
                out |= x > b.high
            out &= sel
            if out.any():
                span = f"[{'−∞' if b.low is None else format(b.low, 'g')}, {'∞' if b.high is None else format(b.high, 'g')}]"
                _fail(df, out, rules, f"{column} outside {span}", f"a value within {span}" + (f" ({b.doc})" if b.doc else ""), column=column)
    if why and "notes" in df.columns:
        df = df.copy()
        for i, reason in why.items():
            note = f"critmin: known publisher anomaly, kept as published: {reason}"
            old = df.at[i, "notes"]
            df.at[i, "notes"] = note if _isna(old) or not old else f"{old}; {note}"
    return df


def check_keys(table: str, df: pd.DataFrame) -> None:
    """Two rows with the same key (:mod:`critmin.schema`) are an error naming both rows."""
    from critmin.schema import TABLES

    key = list(TABLES[table].key) if table in TABLES else []
    if not key or not len(df):
        return
    dup = df.duplicated(key, keep=False)
    if not dup.any():
        return
    same = first_duplicate_group(df, dup, key)
    first = same.iloc[0]
    raise SourceError(
        first.get("source_file", "<reader output>"),
        f"table {table!r}: " + describe_duplicate(same, key),
        row=int(first["source_row"]) if "source_row" in first.index and not _isna(first["source_row"]) else None,
        expected=f"one row per key {tuple(key)}",
    )


def first_duplicate_group(df: pd.DataFrame, dup: pd.Series, key: list[str]) -> pd.DataFrame:
    """The rows sharing the key of the first duplicated row (nulls compare equal)."""
    sub = df.loc[dup]
    group = sub.groupby(key, dropna=False, sort=False).ngroup()
    return sub[group == group.iloc[0]]


def describe_duplicate(rows: pd.DataFrame, key: list[str]) -> str:
    """'key (...) given twice: file A row 3 and file A row 9'."""
    first = rows.iloc[0]
    values = ", ".join(f"{k}={_plain(first[k])!r}" for k in key if not _isna(first[k]))
    places = []
    for _, r in rows.head(4).iterrows():
        f = r.get("source_file", "?")
        n = r.get("source_row")
        places.append(f"{f} row {int(n)}" if not _isna(n) else str(f))
    return f"key ({values}) given {len(rows)} times: " + " and ".join(places)


def shape_problems(result, shapes: Iterable[Shape], prov: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    """(file, what is wrong, what was expected) for every shape a result does not have."""
    shapes = list(shapes)
    rows = getattr(result, "file_rows", {}) or {}
    wanted = [c for s in shapes for c in (*s.distinct, *s.covers, *s.last)]
    if prov is None and wanted:
        prov = _provenance(result, wanted)
    problems: list[tuple[str, str, str]] = []
    by_file = {f: g for f, g in prov.groupby("source_file")} if prov is not None and len(prov) else {}
    folded = {f.casefold(): f for f in rows}
    empty = pd.DataFrame(columns=["source_file", "source_row", *wanted])
    for shape in shapes:
        pattern = shape.path.casefold()
        if any(ch in pattern for ch in "*?["):
            matched = [f for f in rows if fnmatch.fnmatchcase(f.casefold(), pattern)]
        else:
            matched = [folded[pattern]] if pattern in folded else []
        if not matched:
            problems.append((shape.path, "no file of this name was read", f"a file matching {shape.path}"))
            continue
        for f in matched:
            doc = f" ({shape.doc})" if shape.doc else ""
            if shape.rows is not None and not _in_range(rows[f], shape.rows):
                problems.append((f, f"{rows[f]:,} data rows read", f"{_spec_text(shape.rows)} data rows{doc}; a file cut short loses rows"))
            if not (shape.distinct or shape.covers or shape.last):
                continue
            mine = by_file.get(f, empty)
            for column, spec in shape.distinct.items():
                n = int(mine[column].nunique()) if column in mine.columns else 0
                if not _in_range(n, spec):
                    problems.append((f, f"{n} distinct {column} values", f"{_spec_text(spec)}{doc}"))
            for column, values in shape.covers.items():
                present = set(mine[column].dropna().tolist()) if column in mine.columns else set()
                absent = [v for v in values if v not in present]
                if absent:
                    problems.append((f, f"{column} {absent[:5]} missing", f"every one of {list(values)}{doc}"))
            if shape.last and len(mine):
                last = mine.loc[mine["source_row"].idxmax()]
                for column, value in shape.last.items():
                    if column not in last.index or last[column] != value:
                        problems.append((f, f"last row read (row {int(last['source_row'])}) has {column}={last.get(column)!r}", f"{column}={value!r}{doc}; a file cut short loses its last rows"))
    return problems
