"""Battery-pack mineral contents by chemistry (Argonne BatPaC 5.1 via Busch et al. 2024) -> ``battery_contents``.

File (SOURCES.md §10): ``busch2024_lithium/Mineral_Intensity.xlsx``, a byte-for-byte copy of
``Data/Demand Model/Mineral_Intensity.xlsx`` in the authors' replication repository
(pmbusch/Critical-Minerals-EV, commit 2aafd29f, MIT licence).

Layout of sheet ``BatPac``: a header row ``Mineral, chemistry, kg_per_kwh`` and one row per
material and chemistry: kilograms of the material in a battery pack per kWh of pack energy,
for 21 chemistries (LFP, LMO, LMNO, LMO-LTO, NCA, NMC 111/532/622/721/811/95, NMCA 89:4:4:3,
sodium-ion ``SIB`` and solid-state ``SS ...`` variants). The sheet ``Notes`` gives the basis:
BatPaC 5.1 default configurations (graphite anode, LiPF6 electrolyte); solid-state variants
from SolidPac (only NMC 111 and 622 there, the others assumed; lithium and phosphorus
updated, the rest kept from BatPaC); sodium-ion composition from Zhao et al. (2023).
Contents are element mass (lithium as Li, not as carbonate).

Quirks:

* The ``Battery_MWh`` rows (1 for every chemistry) are not a material: they are counted in
  ``skipped`` and left out.
* Each material maps explicitly (:data:`MATERIALS`) to a critmin commodity; steel maps to
  ``iron-and-steel``; stainless steel is an alloy of several commodities and keeps
  ``commodity_id`` null with its name in ``material``; phosphorus is element mass P and maps to
  ``phosphate`` (the commodity whose symbol is P) with that said in ``notes``. An unknown
  material name, an unknown chemistry pattern, a duplicate (material, chemistry) pair, a
  missing column, or a cell that is not a number (a garbled figure, text, a negative
  value) fails with file, sheet, row and field.
* A blank cell is ``missing`` (never 0); a published 0 (lithium in sodium-ion cells) stays
  ``zero``.

Citation: Busch, P., et al. (2024), replication materials for "Effects of Demand and
Recycling on Future Lithium Extraction", github.com/pmbusch/Critical-Minerals-EV (MIT),
Data/Demand Model/Mineral_Intensity.xlsx, sheet BatPac; figures from Argonne National
Laboratory, BatPaC 5.1 (Knehr, K.W., Kubal, J.J., Nelson, P.A., Ahmed, S., 2022, Battery
Performance and Cost Modeling for Electric-Drive Vehicles, ANL-22/74).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data
from critmin.sources.xlsx_sheets import Workbook, cell_text
from critmin.values import Qualifier

SOURCE_ID = "busch2024_batpac"
FOLDER = "busch2024_lithium"
FILE = "Mineral_Intensity.xlsx"
SHEET = "BatPac"
HEADER = ("Mineral", "chemistry", "kg_per_kwh")
NOT_A_MATERIAL = "Battery_MWh"

#: Publisher's material name -> (commodity id or None, note).
MATERIALS: dict[str, tuple[str | None, str]] = {
    "Lithium": ("lithium", "element mass Li"),
    "Nickel": ("nickel", "element mass Ni"),
    "Cobalt": ("cobalt", "element mass Co"),
    "Manganese": ("manganese", "element mass Mn"),
    "Graphite": ("graphite", "anode graphite (BatPaC does not split natural and synthetic graphite)"),
    "Aluminum": ("aluminum", "element mass Al"),
    "Copper": ("copper", "element mass Cu"),
    "Phosphorus": ("phosphate", "element mass P (critmin's phosphate commodity is phosphate rock, symbol P)"),
    "Steel": ("iron-and-steel", "steel mass"),
    "Stainless steel": (None, "stainless steel: an alloy of several commodities, not split by the publisher"),
}

_CHEMISTRY_RE = re.compile(r"^(SS )?(LFP|LMO|LMNO|LMO-LTO|NCA|SIB|NMC \d{2,3}|NMCA \d+:\d+:\d+:\d+)$")

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="Battery-pack mineral intensity by chemistry (kg per kWh), Argonne BatPaC 5.1 via Busch et al. 2024",
    publisher="Pablo Busch et al. (replication materials, GitHub pmbusch/Critical-Minerals-EV)",
    citation=(
        "Busch, P., et al., 2024, replication materials for 'Effects of Demand and Recycling on Future Lithium "
        "Extraction', github.com/pmbusch/Critical-Minerals-EV at commit 2aafd29f (2025-07-15), "
        "Data/Demand Model/Mineral_Intensity.xlsx, sheet BatPac; contents from Argonne National Laboratory "
        "BatPaC 5.1 default configurations (Knehr et al., 2022, ANL-22/74); solid-state from SolidPac; "
        "sodium-ion from Zhao et al., 2023, Nature Reviews Materials 8(9), 623-634."
    ),
    licence="MIT",
    vintage=2024,
    url="https://github.com/pmbusch/Critical-Minerals-EV",
    notes=(
        "kg of element per kWh of pack energy for 21 chemistries; Battery_MWh rows are not a material and are "
        "left out; stainless steel keeps no commodity id; phosphorus is element mass."
    ),
)


def read_batpac(data_dir: Path) -> ReadResult:
    """Read sheet ``BatPac`` into the ``battery_contents`` table.

    Parameters
    ----------
    data_dir
        The raw-data folder (``../shared/data``) holding ``busch2024_lithium/``.
    """
    data_dir = Path(data_dir)
    path = data_dir / FOLDER / FILE
    with Workbook(path) as book:
        rows = book.rows(SHEET)
    skipped: Counter = Counter()
    out = battery_content_rows(rows, path, data_dir, skipped)
    return ReadResult(INFO, [path], {"battery_contents": frame("battery_contents", out)}, skipped)


def battery_content_rows(rows: list[list[object]], path: Path, data_dir: Path, skipped: Counter) -> list[dict[str, object]]:
    """Rows of ``battery_contents`` from the cells of sheet ``BatPac`` (row 1 = header)."""
    where = f"sheet {SHEET!r}"
    if not rows:
        raise SourceError(path, f"{where} is empty", row=1, expected=f"a header {list(HEADER)}")
    header = tuple(cell_text(c) for c in rows[0][:3])
    if header != HEADER:
        raise SourceError(path, f"{where}: unexpected header", row=1, found=list(header), expected=f"{list(HEADER)}")
    source_file = relative_to_data(path, data_dir)
    out: list[dict[str, object]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, r in enumerate(rows[1:], start=2):
        cells = list(r[:3]) + [None] * (3 - len(r[:3]))
        material, chemistry, cell = cell_text(cells[0]), cell_text(cells[1]), cells[2]
        if not material and not chemistry and cell is None:
            skipped["batpac: blank row"] += 1
            continue
        if material == NOT_A_MATERIAL:
            skipped["batpac: Battery_MWh row (pack energy, not a material)"] += 1
            continue
        if material not in MATERIALS:
            raise SourceError(path, f"{where}: unknown material", row=i, field="Mineral", found=material,
                              expected=f"one of {sorted(MATERIALS)} or {NOT_A_MATERIAL!r}")
        if not _CHEMISTRY_RE.match(chemistry):
            raise SourceError(path, f"{where}: unknown chemistry", row=i, field="chemistry", found=chemistry,
                              expected="a BatPaC chemistry such as 'NMC 811', 'LFP', 'SS NCA', 'NMCA 89:4:4:3'")
        key = (material, chemistry)
        if key in seen:
            raise SourceError(path, f"{where}: material and chemistry listed twice (first in row {seen[key]})",
                              row=i, field="chemistry", found=f"{material} / {chemistry}")
        seen[key] = i
        values = _kg_per_kwh(cell, path, where, i)
        commodity, note = MATERIALS[material]
        out.append({
            "chemistry": chemistry,
            "material": material,
            "commodity_id": commodity,
            **values,
            "unit": "kg/kWh",
            "basis": "element mass per kWh of pack energy",
            "notes": note,
            "source_id": SOURCE_ID,
            "source_file": source_file,
            "source_row": i,
        })
    if not out:
        raise SourceError(path, f"{where}: no contents", row=2, expected="rows 'Mineral, chemistry, kg_per_kwh'")
    return out


def _kg_per_kwh(cell: object, path: Path, where: str, row: int) -> dict[str, object]:
    """The five value columns of one ``kg_per_kwh`` cell; anything but a number >= 0 is an error."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return {"value": None, "qualifier": Qualifier.MISSING.value, "low": None, "high": None, "raw": ""}
    if isinstance(cell, bool) or not isinstance(cell, (int, float)):
        raise SourceError(path, f"{where}: not a number", row=row, field="kg_per_kwh", found=cell,
                          expected="kilograms per kWh as a number (>= 0)")
    v = float(cell)
    if not math.isfinite(v) or v < 0:
        raise SourceError(path, f"{where}: not a content", row=row, field="kg_per_kwh", found=cell,
                          expected="a finite number >= 0")
    qualifier = Qualifier.ZERO if v == 0 else Qualifier.EXACT
    return {"value": v, "qualifier": qualifier.value, "low": v, "high": v, "raw": cell_text(cell)}
