"""What the reports read: the analysis tables plus prices, customs values and the manifest.

This is the reports' only I/O; everything after it is computed by :mod:`critmin.analysis`.
"""

from __future__ import annotations

import pandas as pd

from critmin.analysis import inputs as ai


def load(commodity_ids: list[str] | None = None, *, with_prices: bool = True, snapshot_dir=None) -> dict:
    """Tables for a dossier (``commodity_ids`` given: prices only for them) or the overview.

    Returns the tables of :func:`critmin.analysis.inputs.read_tables` plus ``customs``
    (USITC annual imports, customs value), ``prices`` (when asked) and ``manifest``.
    """
    from critmin import store
    from critmin.snapshot import load_manifest

    manifest = load_manifest(snapshot_dir) if snapshot_dir else load_manifest()
    tables = ai.read_tables(snapshot_dir=snapshot_dir)
    have = set(manifest["tables"])
    if "trade" in have:
        tables["customs"] = store.query(
            """SELECT flow, partner_iso3, partner_name, hts, description, commodity_ids, year, period, measure,
                      unit, value, qualifier, source_id
               FROM trade WHERE flow = 'imports' AND measure = 'customs_value' AND period = 'annual'""",
            snapshot_dir=snapshot_dir,
        )
    else:
        tables["customs"] = pd.DataFrame()
    if with_prices and "prices" in have:
        if commodity_ids:
            tables["prices"] = store.query("SELECT * FROM prices WHERE commodity_id IN (SELECT unnest(?))",
                                           [list(commodity_ids)], snapshot_dir=snapshot_dir)
        else:
            tables["prices"] = store.query("SELECT * FROM prices", snapshot_dir=snapshot_dir)
    else:
        tables["prices"] = pd.DataFrame()
    tables["manifest"] = manifest
    return tables


def citations(manifest: dict, source_ids) -> list[dict]:
    """Manifest entries (title, publisher, citation, DOI, licence) for the sources used."""
    wanted = {s for s in source_ids if s}
    out = []
    for s in manifest.get("sources", []):
        if s["source_id"] in wanted:
            out.append({"source_id": s["source_id"], "title": s.get("title", ""), "publisher": s.get("publisher", ""),
                        "citation": s.get("citation", ""), "doi": s.get("doi", ""), "licence": s.get("licence", ""),
                        "vintage": s.get("vintage")})
    return sorted(out, key=lambda r: r["source_id"])
