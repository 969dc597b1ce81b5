"""Readers, one per publisher format. See :mod:`critmin.sources.base` for the contract.

``READERS`` lists every reader the snapshot build runs, as ``module:function``; each
returns one manifest entry and its table fragments.

What a reader expects of its files
----------------------------------
Every reader declares the shape its publisher documents, as data beside its code, in an
:class:`~critmin.sources.expectations.Expectation` attached with the
:func:`~critmin.sources.expectations.expects` decorator. The build checks each result
against it (:func:`critmin.sources.expectations.check`) before anything is written. A new
reader needs a few lines::

    from critmin.sources.expectations import Expectation, Shape, Values, expects

    EXPECTED = Expectation(                       # (the Pink Sheet reader's declaration)
        files=(f"{FOLDER}/{FILE}",),              # must exist and be read
        shapes=(Shape(f"{FOLDER}/{FILE}", rows=791, distinct={"commodity_id": 12}, last={"year": 2025},
                      doc="monthly 1960M01-2025M11, updated 2025-12-02 (SOURCES.md §3c)"),),
        tables={"prices": Values(field="{series_id} {year}-{month}")},   # names the field in errors
    )

    @expects(EXPECTED)
    def read_pinksheet(data_dir: Path) -> ReadResult: ...

``Values`` takes ``words`` (:class:`~critmin.sources.expectations.Words`), ``signed``
(``Signed``), ``bounds`` (``Bounds``, also for plain numeric columns) and ``codes``
(``Code``); rows are selected with ``Where(column=value | (values,) | re.compile(...))``.
``anomalies`` and ``repeated`` list single published cells or rows that are known to be
wrong, with the reason.

Without a declaration the build still applies the default value rules (below) and the
keys, and prints that the reader declares nothing. What the checker does by default:

* a cell read as ``text`` (neither a number nor a code: ``1OO``, ``12,5OO``) is an error
  naming file, row and field, unless a ``Words`` rule documents the words for that field;
* a negative number in ``value``/``low``/``high`` is an error unless a ``Signed`` rule says
  where the publisher allows it;
* ``E`` (net exporter) is an error outside the fields a ``Code`` rule names;
* two rows with the same key of :mod:`critmin.schema` are an error naming both rows;
* a missing expected file, and (unless ``critmin data build --accept-row-changes``) a file
  whose rows, distinct values or last row differ from its ``Shape``, fail the build.

Fields where text may remain (``qualifier`` ``text``, the words kept in ``raw``)
-------------------------------------------------------------------------------
Only these, because the publisher prints words there:

* MCS world tables 2023-2025 and the MCS2026 world sections (``production``): reserves
  given as ``Large``, ``Moderate``, ``Moderate to large``, ``Categorized as "large"``; any
  measure given as ``Included in World total`` / ``Included with Other countries`` /
  ``Included with ilmenite`` (a figure counted in another row).
* MCS salient statistics 2023-2025 and MCS2026 (``salient``), prices only: ``Variable,
  depending on type of product`` (dimension stone), ``Variable, depending on size, type,
  and quality`` (gemstones).
* Known cells, declared one by one as anomalies: MCS2026 rows 5086 and 7450 (``?1``,
  ``?10``: a character lost in the cp1252 export).

Negative numbers are allowed in: Government-stockpile shipments (MCS salient
``Shipments_Gov_*``, tungsten ``Shipments_Concentrate_t``/``Shipments_Other_t``, MCS2026
"Shipments from Government stockpile"), thorium apparent consumption (its metadata), DS140
government shipments and stock changes, and a handful of published cells declared as
anomalies (asbestos imports 2023, tellurium exports 2020, industrial-diamond stone exports
2022-2023, DS140 sheet-mica shipments); each anomaly's reason is added to the row's notes.
"""

from __future__ import annotations

READERS: tuple[str, ...] = (
    "critmin.sources.critical_lists:read_critical_lists",
    "critmin.sources.usgs_mcs_world:read_mcs2023_world",
    "critmin.sources.usgs_mcs_world:read_mcs2024_world",
    "critmin.sources.usgs_mcs_world:read_mcs2025_world",
    "critmin.sources.usgs_mcs_salient:read_mcs2023_salient",
    "critmin.sources.usgs_mcs_salient:read_mcs2024_salient",
    "critmin.sources.usgs_mcs_salient:read_mcs2025_salient",
    "critmin.sources.usgs_mcs2026:read_mcs2026",
    "critmin.sources.usgs_mcs_trends:read_mcs2023_trends",
    "critmin.sources.usgs_mcs_trends:read_mcs2024_trends",
    "critmin.sources.usgs_mcs_trends:read_mcs2025_trends",
    "critmin.sources.usgs_mcs_trends:read_mcs2026_trends",
    "critmin.sources.export_register:read_export_register",
    "critmin.sources.worldbank_wgi:read_wgi",
    "critmin.sources.usitc_dataweb:read_usitc",
    "critmin.sources.worldbank_prices:read_pinksheet",
    "critmin.sources.usgs_ds140:read_ds140",
    "critmin.sources.eu_crm:read_eu_crm",
    "critmin.sources.usgs_myb:read_myb_rare_earths",
    "critmin.sources.cepii_baci:read_baci",
    "critmin.sources.world_mining_data:read_wmd",
    "critmin.sources.busch2024_intensity:read_batpac",
    "critmin.sources.busch2024_deposits:read_busch2024_deposits",
)
