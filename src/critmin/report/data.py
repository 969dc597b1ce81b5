"""What the reports read: the analysis tables plus prices, customs values and the manifest.

This is the reports' only I/O, through the query layer (:mod:`critmin.kb`); everything after
it is computed by :mod:`critmin.analysis`.
"""

from __future__ import annotations

import pandas as pd

from critmin import kb


def load(commodity_ids: list[str] | None = None, *, with_prices: bool = True, snapshot_dir=None) -> dict:
    """Tables for a dossier (``commodity_ids`` given: prices only for them) or the overview.

    Returns the tables of :func:`critmin.kb.read_tables` plus ``customs`` (USITC annual
    imports, customs value), ``prices`` (when asked) and ``manifest``.
    """
    from critmin.snapshot import load_manifest

    manifest = load_manifest(snapshot_dir)
    if snapshot_dir is None:  # the analysis tables every interface shares, read once per snapshot
        from critmin import api

        tables = dict(api.analysis_tables())
    else:
        tables = kb.read_tables(snapshot_dir=snapshot_dir)
    have = set(manifest["tables"])
    tables["customs"] = kb.customs_annual(snapshot_dir) if "trade" in have else pd.DataFrame()
    if with_prices and "prices" in have:
        tables["prices"] = kb.prices(list(commodity_ids) if commodity_ids else None, snapshot_dir=snapshot_dir)
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
