"""Policy events as dated rows: export controls, US agreements, the Section 232 decision.

Columns: ``date`` (Timestamp), ``precision`` (``day`` or ``month``), ``kind``
(``export_control``, ``agreement``, ``us_policy``), ``country_iso3``, ``commodity_id``
(null for events that touch every mineral), ``label``, ``status``, ``source``.

The Section 232 events are those of the project's domain primer: investigation opened in
April 2025 (month precision), proclamation of 14 January 2026 (no tariffs; negotiate
agreements), first progress update due 13 July 2026 (180 days later).
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["date", "precision", "kind", "country_iso3", "commodity_id", "label", "status", "source"]

US_POLICY = [
    ("2025-04-01", "month", "Section 232 investigation of processed critical minerals opened"),
    ("2026-01-14", "day", "Section 232 proclamation: imports threaten national security; no tariffs, negotiate agreements"),
    ("2026-07-13", "day", "Section 232: first progress update due (180 days)"),
]


def policy_events(export_controls: pd.DataFrame | None = None, agreements: pd.DataFrame | None = None) -> pd.DataFrame:
    """All dated events; an export control contributes its effective date (else announced)."""
    rows = []
    if export_controls is not None and not export_controls.empty:
        for r in export_controls.to_dict("records"):
            when = r.get("effective_date")
            if when is None or pd.isna(when):
                when = r.get("announced_date")
            if when is None or pd.isna(when):
                if r.get("year") is None or pd.isna(r.get("year")):
                    continue
                when, precision = pd.Timestamp(year=int(r["year"]), month=1, day=1), "year"
            else:
                precision = "day"
            label = f"{r.get('country_iso3')}: {r.get('control_type')} ({r.get('materials') or r.get('commodity_id')})"
            rows.append([pd.Timestamp(when), precision, "export_control", r.get("country_iso3"), r.get("commodity_id"),
                         label, r.get("status"), r.get("source_id")])
    if agreements is not None and not agreements.empty:
        for r in agreements.to_dict("records"):
            when = r.get("signing_date")
            if when is None or pd.isna(when):
                continue
            rows.append([pd.Timestamp(when), "day", "agreement", r.get("country_iso3"), None,
                         f"US-{r.get('country_iso3')}: {r.get('agreement')}", "signed", r.get("source_id")])
    for when, precision, label in US_POLICY:
        rows.append([pd.Timestamp(when), precision, "us_policy", "USA", None, label, None, "primer"])
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values("date").reset_index(drop=True)


def events_for(events: pd.DataFrame, commodity_ids: list[str], *, include_general: bool = True) -> pd.DataFrame:
    """Events touching any of ``commodity_ids``, plus (optionally) those touching every
    mineral: US policy and the agreements. An export control whose material critmin could
    not map to a commodity touches none."""
    mask = events["commodity_id"].isin(commodity_ids)
    if include_general:
        mask |= events["commodity_id"].isna() & events["kind"].isin(["us_policy", "agreement"])
    return events[mask].drop_duplicates(["date", "kind", "country_iso3", "label"]).reset_index(drop=True)
