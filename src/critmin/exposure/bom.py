"""A company's bill of materials: reading CSV or XLSX and validating it strictly.

The format is documented in ``docs/exposure.md``. A bill is a tree of parts: a line without
``parent_id`` is a product (it carries ``annual_volume``); every other line names its parent
and how many of it go into one parent (``quantity``). A line with ``material`` holds a
mineral: either a product of the content library (``ndfeb-magnet``, ``li-ion-pack-nmc-811``)
whose contents are looked up, or a mineral itself (``cobalt``, ``Ga``) with its
``content_fraction`` of the line's ``mass_kg``.

Validation collects every problem of every row before failing, so a user sees the whole list
at once; nothing is computed from a file with any problem. Row numbers are as a spreadsheet
shows them (header = row 1).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import CritminError
from critmin.vocab import commodities as vc
from critmin.vocab import countries as vk

#: Columns a bill may have, in documentation order; ``part_id`` is the only one always required.
COLUMNS = (
    "part_id", "parent_id", "quantity", "description", "material", "mass_kg", "content_fraction", "energy_kwh",
    "supplier", "supplier_country", "origin_mine", "origin_processing", "hts_code", "unit_value_usd",
    "annual_volume", "originating", "net_cost_usd",
)
NUMERIC = ("quantity", "mass_kg", "content_fraction", "energy_kwh", "unit_value_usd", "annual_volume", "net_cost_usd")
ORIGIN_COLUMNS = {"origin_mine": "mine", "origin_processing": "processing"}
_HTS_RE = re.compile(r"^\d{4}(\.?\d{2}){0,3}$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class BomProblem:
    """One problem in one cell (or row) of a bill."""

    row: int
    column: str
    message: str
    expected: str = ""
    found: str = ""

    def __str__(self) -> str:
        text = f"row {self.row}, column {self.column!r}: {self.message}"
        if self.found:
            text += f" (found {self.found!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        return text


class BomError(CritminError):
    """A bill of materials with problems: every problem is in ``problems``."""

    def __init__(self, file: str, problems: list[BomProblem]) -> None:
        self.file = file
        self.problems = sorted(problems, key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else 99))
        lines = [f"{file}: {len(self.problems)} problem(s) in the bill of materials; nothing was computed"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    def to_records(self) -> list[dict[str, object]]:
        return [{"row": p.row, "column": p.column, "message": p.message, "expected": p.expected, "found": p.found}
                for p in self.problems]


@dataclass
class Bom:
    """A validated bill: one row per part with resolved ids and parsed numbers.

    ``parts`` columns: everything in :data:`COLUMNS` (numbers as floats, NaN where blank),
    plus ``row`` (the file's row), ``supplier_iso3``, ``material_kind`` (``product``,
    ``mineral`` or empty), ``material_id`` (library product id or commodity id),
    ``root_id`` (the product the part belongs to), ``depth`` (0 for products), ``units_per_year``
    (annual volume times the quantities along the path), ``declared`` (``{stage: [(iso3,
    share or None), ...]}``) and ``originating_flag`` (True, False or None).
    """

    parts: pd.DataFrame
    file: str
    notes: list[str] = field(default_factory=list)

    @property
    def products(self) -> pd.DataFrame:
        return self.parts[self.parts["depth"] == 0]


#: Largest bill accepted from memory (an upload): bytes of the file, and lines of the bill.
MAX_BILL_BYTES = 2_000_000
MAX_BILL_ROWS = 20_000
#: An XLSX is a zip archive: the most its members may hold once unpacked (a "zip bomb" guard).
MAX_XLSX_UNPACKED = 40_000_000


def read_bom(path: str | Path, library: pd.DataFrame | None = None) -> Bom:
    """Read and validate a bill from a ``.csv`` or ``.xlsx`` file.

    Raises
    ------
    BomError
        With every problem found (row, column, what was expected); nothing is returned from
        a bill with any problem.
    """
    path = Path(path)
    if not path.is_file():
        raise BomError(str(path), [BomProblem(1, "part_id", "file not found", "a .csv or .xlsx bill of materials")])
    raw = _read_raw(path, path.suffix.lower(), str(path))
    return validate_bom(raw, file=str(path), library=library)


def read_bom_bytes(data: bytes, filename: str, library: pd.DataFrame | None = None, *,
                   max_bytes: int = MAX_BILL_BYTES, max_rows: int = MAX_BILL_ROWS) -> Bom:
    """Read and validate a bill held in memory (an upload); the type comes from ``filename``.

    Besides :func:`read_bom`'s checks, refuses (as a :class:`BomError` at row 1) a file over
    ``max_bytes``, an empty file, a CSV holding NUL bytes (a binary file), an XLSX that is
    not a zip archive or unpacks to more than :data:`MAX_XLSX_UNPACKED` bytes, and a bill of
    more than ``max_rows`` lines. Macros in an ``.xlsm`` are never run (openpyxl reads cells).
    """
    name = filename or "upload"
    suffix = Path(name).suffix.lower()

    def refuse(message: str, expected: str, found: str = "") -> BomError:
        return BomError(name, [BomProblem(1, "part_id", message, expected, found)])

    if len(data) > max_bytes:
        raise refuse(f"the file is too large ({len(data):,} bytes)", f"at most {max_bytes:,} bytes")
    if not data.strip():
        raise refuse("the file is empty", "a header row and at least one product line")
    if suffix == ".csv" and b"\x00" in data:
        raise refuse("the file holds NUL bytes: a binary file, not CSV text", "a UTF-8 CSV file")
    if suffix in (".xlsx", ".xlsm"):
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                unpacked = sum(i.file_size for i in z.infolist())
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise refuse(f"not an XLSX workbook ({exc})", "an .xlsx file saved by a spreadsheet program") from None
        if unpacked > MAX_XLSX_UNPACKED:
            raise refuse(f"the workbook unpacks to {unpacked:,} bytes", f"at most {MAX_XLSX_UNPACKED:,} bytes unpacked")
    import io

    raw = _read_raw(io.BytesIO(data), suffix, name)
    if len(raw) > max_rows:
        raise refuse(f"the bill has {len(raw):,} lines", f"at most {max_rows:,} lines")
    return validate_bom(raw, file=name, library=library)


def _read_raw(source, suffix: str, file: str) -> pd.DataFrame:
    """The cells of a CSV or XLSX (path or file object) as strings, or a :class:`BomError`."""
    try:
        if suffix == ".csv":
            data = source.read_bytes() if isinstance(source, Path) else source.read()
            return _csv_frame(data.decode("utf-8-sig"), file)
        elif suffix in (".xlsx", ".xlsm"):
            raw = pd.read_excel(source, dtype=str, keep_default_na=False, sheet_name=0, engine="openpyxl")
        else:
            raise BomError(file, [BomProblem(1, "part_id", "unsupported file type", ".csv or .xlsx", suffix)])
    except BomError:
        raise
    except UnicodeDecodeError as exc:
        raise BomError(file, [BomProblem(1, "part_id", f"the file is not UTF-8 text ({exc.reason})", "a UTF-8 CSV file")]) from None
    except RecursionError:
        raise BomError(file, [BomProblem(1, "part_id", "cannot read the file (nested too deeply)",
                                         "a readable CSV or XLSX file")]) from None
    except Exception as exc:  # pandas and openpyxl raise many types for a broken file
        raise BomError(file, [BomProblem(1, "part_id", f"cannot read the file ({type(exc).__name__}: {exc})",
                                         "a readable CSV or XLSX file")]) from None
    return raw.reset_index(drop=True)


def _csv_frame(text: str, file: str) -> pd.DataFrame:
    """A CSV's cells as strings, the header's columns; every row with another number of
    cells is a problem (row, and how many cells were expected), never silently shifted."""
    import csv
    import io

    if "\x00" in text:
        raise BomError(file, [BomProblem(1, "part_id", "the file holds NUL characters: a binary file, not CSV text",
                                         "a UTF-8 CSV file")])
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise BomError(file, [BomProblem(1, "part_id", f"not a well-formed CSV file ({exc})",
                                         "comma-separated cells, quotes closed")]) from None
    if not rows:
        raise BomError(file, [BomProblem(1, "part_id", "the file is empty", "a header row and at least one product line")])
    header = [h.strip() for h in rows[0]]
    body, problems = [], []
    for i, r in enumerate(rows[1:], start=2):  # the header is row 1, as a spreadsheet shows it
        if len(r) == len(header) or not any(c.strip() for c in r):
            body.append(r if len(r) == len(header) else [""] * len(header))
            continue
        problems.append(BomProblem(i, "part_id", f"{len(r)} cells in the row", f"{len(header)} cells, as in the header"))
        body.append([""] * len(header))
    if problems:
        raise BomError(file, problems)
    seen: dict[str, int] = {}
    names = []
    for h in header:  # a repeated header is named (and then refused as an unknown column) as pandas does
        n = seen.get(h, 0)
        seen[h] = n + 1
        names.append(h if n == 0 else f"{h}.{n}")
    return pd.DataFrame(body, columns=names, dtype=object)


def validate_bom(raw: pd.DataFrame, *, file: str = "<bill>", library: pd.DataFrame | None = None) -> Bom:
    """Validate a bill given as a frame of strings (the file's cells) and resolve its names.

    Checks, all collected before failing: unknown or missing columns; blank or duplicate
    ``part_id``; a ``parent_id`` that is no part; a cycle in the part tree; numbers that are
    not numbers, negative, or out of range (``content_fraction`` above 1, ``quantity`` not
    above 0); an unknown material (with the closest names offered) or country; a mineral
    line without ``mass_kg`` and ``content_fraction``; a library product without its basis
    amount (``mass_kg`` per kg, ``energy_kwh`` per kWh, none per unit); a product without
    ``annual_volume`` or a part with one; a malformed HTS code or declared origin.

    Names (materials, countries, declared origins, flags) are resolved once per distinct
    text and the result spread over the rows that use it, so a 10,000-line bill costs a few
    hundred look-ups, not 10,000.
    """
    from critmin.exposure.contents import content_library

    library = content_library() if library is None else library
    problems: list[BomProblem] = []
    df = raw.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    unknown = [c for c in df.columns if c not in COLUMNS]
    for c in unknown:
        problems.append(BomProblem(1, c, "unknown column", f"one of {', '.join(COLUMNS)}",
                                   found=c))
    if "part_id" not in df.columns:
        problems.append(BomProblem(1, "part_id", "missing column", "a part_id column"))
        raise BomError(file, problems)
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = ""
    # plain Python strings from here on: per-row loops over them are fast, arrow scalars are not
    df = pd.DataFrame({c: df[c].fillna("").astype(str).str.strip().to_numpy(dtype=object) for c in COLUMNS},
                      index=df.index)
    nonblank = np.zeros(len(df), dtype=bool)
    for c in COLUMNS:
        nonblank |= df[c].to_numpy() != ""
    df = df[nonblank]  # blank lines are not parts
    df.insert(0, "row", df.index.to_numpy() + 2)
    if df.empty:
        raise BomError(file, problems + [BomProblem(2, "part_id", "the bill has no parts", "at least one product line")])
    rows = df["row"].to_numpy()
    cell = {c: df[c].to_numpy() for c in COLUMNS}

    # ---- numbers (vectorised; one problem per bad cell)
    nums = {}
    for c in NUMERIC:
        text = cell[c]
        value = pd.to_numeric(pd.Series([t.replace(",", "") for t in text], index=df.index, dtype=object),
                              errors="coerce").astype(float)
        given = text != ""
        bad = given & ~np.isfinite(value.to_numpy())
        for r, t in zip(rows[bad], text[bad]):
            problems.append(BomProblem(int(r), c, "not a number", "a number such as 12.5", t))
        neg = (value < 0).to_numpy()
        for r, t in zip(rows[neg], text[neg]):
            problems.append(BomProblem(int(r), c, "negative", "a number >= 0", t))
        nums[c] = value.where(~bad)
    over = (nums["content_fraction"] > 1).to_numpy()
    for r, t in zip(rows[over], cell["content_fraction"][over]):
        problems.append(BomProblem(int(r), "content_fraction", "content fraction over 1", "a fraction between 0 and 1 (0.3 for 30%)", t))
    for r in rows[(nums["quantity"] == 0).to_numpy()]:
        problems.append(BomProblem(int(r), "quantity", "quantity 0", "a quantity per parent above 0 (leave the part out instead)", "0"))

    # ---- ids and tree
    pid_col, par_col = cell["part_id"], cell["parent_id"]
    for r in rows[pid_col == ""]:
        problems.append(BomProblem(int(r), "part_id", "blank part id", "a unique id for every line"))
    first_row: dict[str, int] = {}
    for r, pid in zip(rows, pid_col):
        if not pid:
            continue
        if pid in first_row:
            problems.append(BomProblem(int(r), "part_id", f"duplicate part id (first in row {first_row[pid]})", "unique part ids", pid))
        else:
            first_row[pid] = int(r)
    has_parent = par_col != ""
    orphan = has_parent & np.array([p not in first_row for p in par_col], dtype=bool)
    for r, p in zip(rows[orphan], par_col[orphan]):
        close = difflib.get_close_matches(p, list(first_row), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(BomProblem(int(r), "parent_id", f"parent does not exist{hint}", "the part_id of another line", p))
    for r in rows[has_parent & (par_col == pid_col)]:
        problems.append(BomProblem(int(r), "parent_id", "a part cannot be its own parent", "the part_id of another line"))
    parent_of = {pid: par for pid, par in zip(pid_col, par_col) if pid and par and pid != par}
    cycle_rows = _cycle_members(parent_of)
    for pid in sorted(cycle_rows, key=lambda p: first_row.get(p, 0)):
        problems.append(BomProblem(first_row[pid], "parent_id", "the part tree has a cycle through this part",
                                   "a tree: following parent_id must end at a product line", parent_of[pid]))

    # ---- roots: annual volume; children: quantity
    vol_text = cell["annual_volume"]
    for r in rows[~has_parent & (vol_text == "")]:
        problems.append(BomProblem(int(r), "annual_volume", "a product line (no parent_id) without annual_volume",
                                   "units produced or bought per year"))
    for r in rows[has_parent & (vol_text != "")]:
        problems.append(BomProblem(int(r), "annual_volume", "annual_volume on a part that has a parent",
                                   "annual_volume on product lines only (a part's volume follows from quantities)"))
    for r in rows[has_parent & (cell["quantity"] == "")]:
        problems.append(BomProblem(int(r), "quantity", "missing quantity", "how many of this part go into one parent"))

    # ---- materials: each distinct text resolved once
    products = set(library["product_id"])
    basis_of = dict(zip(library["product_id"], library["basis"]))
    names_for_hint = sorted(products | set(vc.catalogue()))
    resolved: dict[str, tuple[str, str, str]] = {}  # text -> (kind, id, problem message or "")
    for m in set(cell["material"]):
        if not m:
            resolved[m] = ("", "", "")
            continue
        key = m.lower()
        if key in products:
            resolved[m] = ("product", key, "")
            continue
        try:
            resolved[m] = ("mineral", vc.lookup(m).commodity_id, "")
        except Exception:
            close = difflib.get_close_matches(key, names_for_hint, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            resolved[m] = ("", "", f"unknown material or mineral{hint}")
    kind = np.array([resolved[m][0] for m in cell["material"]], dtype=object)
    mid = np.array([resolved[m][1] for m in cell["material"]], dtype=object)
    for r, m in zip(rows, cell["material"]):
        if resolved[m][2]:
            problems.append(BomProblem(int(r), "material", resolved[m][2],
                                       "a content-library product id (critmin exposure --library) or a mineral id, name or symbol", m))
    basis = np.array([basis_of.get(i, "") if k == "product" else "" for k, i in zip(kind, mid)], dtype=object)
    no_mass = nums["mass_kg"].isna().to_numpy()
    no_frac = nums["content_fraction"].isna().to_numpy()
    no_kwh = nums["energy_kwh"].isna().to_numpy()
    for r, i in zip(rows[(basis == "per_kg") & no_mass], mid[(basis == "per_kg") & no_mass]):
        problems.append(BomProblem(int(r), "mass_kg", f"material {i!r} has contents per kg but the line has no mass",
                                   "the mass of the material in one unit of the part, in kg"))
    for r, i in zip(rows[(basis == "per_kwh") & no_kwh], mid[(basis == "per_kwh") & no_kwh]):
        problems.append(BomProblem(int(r), "energy_kwh", f"material {i!r} has contents per kWh but the line has no energy",
                                   "the pack energy of one unit, in kWh"))
    for r, i in zip(rows[(basis == "per_unit") & ~no_mass], mid[(basis == "per_unit") & ~no_mass]):
        problems.append(BomProblem(int(r), "mass_kg", f"material {i!r} has contents per unit; a mass would not be used",
                                   "mass_kg blank (the library gives kg of each mineral in one unit)"))
    for r in rows[(kind == "product") & ~no_frac]:
        problems.append(BomProblem(int(r), "content_fraction", "content_fraction given for a library product",
                                   "content_fraction only with a mineral (the library gives a product's contents)"))
    for r in rows[(kind == "mineral") & no_mass]:
        problems.append(BomProblem(int(r), "mass_kg", "a mineral line without mass_kg", "the line's mass per unit, in kg"))
    for r in rows[(kind == "mineral") & no_frac]:
        problems.append(BomProblem(int(r), "content_fraction", "a mineral line without content_fraction",
                                   "the fraction of mass_kg that is the mineral, 0-1"))
    df["material_kind"] = kind
    df["material_id"] = mid

    # ---- countries, declared origins, HTS, originating flag: each distinct text once
    iso_of: dict[str, tuple[str | None, list[BomProblem]]] = {}
    for t in set(cell["supplier_country"]):
        found: list[BomProblem] = []
        iso_of[t] = (_country(0, "supplier_country", t, found) if t else None, found)
    for r, t in zip(rows, cell["supplier_country"]):
        problems.extend(_at_row(iso_of[t][1], r))
    df["supplier_iso3"] = [iso_of[t][0] for t in cell["supplier_country"]]
    no_origin: dict = {}  # shared by every line that declares nothing; never written to
    declared: list[dict] = [no_origin] * len(df)
    for col, stage in ORIGIN_COLUMNS.items():
        parsed_of: dict[str, tuple] = {}
        for i, (r, text) in enumerate(zip(rows, cell[col])):
            if not text:
                continue
            if text not in parsed_of:
                found = []
                parsed_of[text] = (_origins(0, col, text, found), found)
            parsed, found = parsed_of[text]
            problems.extend(_at_row(found, r))
            if parsed:
                if declared[i] is no_origin:
                    declared[i] = {}
                declared[i][stage] = parsed
    df["declared"] = declared
    hts = cell["hts_code"]
    bad_hts = np.array([bool(t) and _HTS_RE.match(t) is None for t in hts], dtype=bool)
    for r, t in zip(rows[bad_hts], hts[bad_hts]):
        problems.append(BomProblem(int(r), "hts_code", "not an HTS code", "4 to 10 digits, dots allowed (8505.11.00)", t))
    flag_of = {t: (None if not t.lower() else True if t.lower() in _YES else False if t.lower() in _NO else "bad")
               for t in set(cell["originating"])}
    flags = []
    for r, t in zip(rows, cell["originating"]):
        f = flag_of[t]
        if f == "bad":
            problems.append(BomProblem(int(r), "originating", "not yes or no", "yes, no or blank", t))
            f = None
        flags.append(f)
    df["originating_flag"] = flags

    if problems:
        raise BomError(file, problems)

    for c in NUMERIC:
        df[c] = nums[c].astype(float)
    df["hts_code"] = [t.replace(".", "") for t in hts]
    df = _with_tree(df)
    return Bom(parts=df.reset_index(drop=True), file=file)


def _at_row(found: list[BomProblem], row) -> list[BomProblem]:
    """Problems found once for a distinct text, placed at a row that uses it."""
    return [BomProblem(int(row), p.column, p.message, p.expected, p.found) for p in found]


def _cycle_members(parent_of: dict[str, str]) -> set[str]:
    """Parts on a cycle of the parent relation (every part whose ancestors come back to it)."""
    state: dict[str, int] = {}
    on_cycle: set[str] = set()
    for start in parent_of:
        path = []
        node = start
        while node in parent_of and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            node = parent_of[node]
        if state.get(node) == 1 and node in path:  # came back to the current walk
            on_cycle.update(path[path.index(node):])
        for p in path:
            state[p] = 2
    return on_cycle


def _country(row: int, column: str, text: str, problems: list[BomProblem]) -> str | None:
    t = text.strip()
    if len(t) == 3 and t.isalpha():
        try:
            return vk.resolve_code(t)
        except Exception:
            pass
    try:
        ref = vk.resolve_country(t)
    except Exception:
        ref = None
    if ref is None or not ref.iso3 or not ref.is_country:
        problems.append(BomProblem(row, column, "unknown country", "an ISO3 code (CHN) or a country name (China)", text))
        return None
    return ref.iso3


def _origins(row: int, column: str, text: str, problems: list[BomProblem]) -> list[tuple[str, float | None]] | None:
    """``"AUS"``, ``"AUS:60; CHN:40"`` (percent) or ``"Australia; China"`` (split unknown)."""
    out: list[tuple[str, float | None]] = []
    n_bad = len(problems)
    parts = [p.strip() for p in text.split(";") if p.strip()]
    for p in parts:
        name, _, share = p.partition(":")
        iso = _country(row, column, name, problems)
        value: float | None = None
        if share.strip():
            try:
                value = float(share.strip().rstrip("%")) / 100.0
            except ValueError:
                problems.append(BomProblem(row, column, "share is not a number", "COUNTRY:PERCENT, e.g. AUS:60; CHN:40", p))
                continue
            if not 0 <= value <= 1:
                problems.append(BomProblem(row, column, "share outside 0-100%", "COUNTRY:PERCENT, e.g. AUS:60; CHN:40", p))
                continue
        if iso:
            out.append((iso, value))
    given = [s for _, s in out if s is not None]
    if given and len(given) != len(out):
        problems.append(BomProblem(row, column, "shares given for some countries but not all", "a share for every country or for none", text))
    if given and not math.isclose(sum(given), 1.0, abs_tol=0.005):
        problems.append(BomProblem(row, column, f"shares add up to {100 * sum(given):.1f}%", "shares that add up to 100%", text))
    if len({c for c, _ in out}) != len(out):
        problems.append(BomProblem(row, column, "a country is named twice", "each country once", text))
    if len(problems) > n_bad:
        return None
    if len(out) == 1 and out[0][1] is None:
        out = [(out[0][0], 1.0)]
    return out


def _with_tree(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``root_id``, ``depth`` and ``units_per_year`` by walking up the tree, vectorised by level."""
    ids = df["part_id"].to_numpy()
    index = {pid: i for i, pid in enumerate(ids)}
    parent_idx = np.array([index.get(p, -1) for p in df["parent_id"]], dtype=np.int64)
    qty = df["quantity"].fillna(1.0).to_numpy(dtype=float)
    n = len(ids)
    # factor: product of quantities from the part up to (not including) its root
    factor = np.where(parent_idx >= 0, qty, 1.0)
    cur = parent_idx.copy()
    depth = np.zeros(n, dtype=np.int64)
    root = np.arange(n)
    active = cur >= 0
    while active.any():
        root = np.where(active, cur, root)
        depth = depth + active
        nxt = np.where(active, parent_idx[np.maximum(cur, 0)], -1)
        grand = nxt >= 0
        factor = np.where(active & grand, factor * qty[np.maximum(cur, 0)], factor)
        cur = nxt
        active = grand
    volume = df["annual_volume"].to_numpy(dtype=float)
    df = df.copy()
    df["root_id"] = ids[root]
    df["depth"] = depth
    df["units_per_year"] = factor * volume[root]
    return df
