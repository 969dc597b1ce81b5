"""The mineral dossier: one self-contained HTML page per mineral.

Sections: key facts; net import reliance over time (published, and computed from the
salient statistics side by side); world production by country for each stage; US import
sources (USGS shares, partner groups, USITC customs values); concentration across vintages;
supply risk by every method with its breakdown; price history with policy events marked;
export controls and agreements that touch the mineral; the sources cited.
"""

from __future__ import annotations

import pandas as pd

from critmin.analysis import concentration as conc
from critmin.analysis import dependency as dep
from critmin.analysis import events as ev
from critmin.analysis import prices as pr
from critmin.analysis import risk
from critmin.analysis.inputs import RiskInputs, build_inputs
from critmin.analysis.interval import from_published
from critmin.report import charts
from critmin.report.data import citations
from critmin.report.html import esc, figure, num, page, pct, score_cell, table

FEOC = dep.FEOC
STAGE_TITLE = {"mine": "Mine production", "processing": "Processing (refinery, smelter, plant)"}


def _country_name(iso: str | None, fallback: str = "") -> str:
    if not iso:
        return fallback
    from critmin.vocab import countries as vk

    try:
        return vk.country_name(iso)
    except Exception:  # an ISO3 the vocabulary lacks: show the code
        return iso


def _ids(commodity) -> list[str]:
    return [commodity.commodity_id] + ([commodity.group_id] if commodity.group_id else [])


class Dossier:
    """Collects sections and the source ids they cite."""

    def __init__(self):
        self.parts: list[str] = []
        self.sources: set[str] = set()

    def add(self, html: str) -> None:
        self.parts.append(html)

    def cite(self, *ids) -> None:
        self.sources.update(i for i in ids if isinstance(i, str) and i)


def build(mineral: str, tables: dict, inputs: RiskInputs | None = None, *, generated: str | None = None) -> str:
    """The dossier of ``mineral`` (an id, name or symbol) as an HTML string.

    Parameters
    ----------
    tables
        From :func:`critmin.report.data.load`.
    inputs
        Pre-built :class:`~critmin.analysis.inputs.RiskInputs` (built from ``tables`` when
        not given).
    """
    from critmin.vocab import commodities as vc

    commodity = vc.lookup(mineral)
    cid = commodity.commodity_id
    ids = _ids(commodity)
    inputs = inputs or build_inputs(tables)
    m = inputs.minerals.get(cid)
    d = Dossier()
    d.add('<nav><a href="#reliance">Import reliance</a><a href="#production">Production</a><a href="#imports">Import sources</a>'
          '<a href="#concentration">Concentration</a><a href="#risk">Risk</a><a href="#prices">Prices</a>'
          '<a href="#policy">Export controls &amp; agreements</a><a href="#sources">Sources</a></nav>')
    _key_facts(d, commodity, m, inputs)
    _reliance(d, commodity, tables)
    _production(d, commodity, m, inputs, tables)
    _imports(d, commodity, m, inputs, tables)
    _concentration(d, commodity, inputs)
    _risk(d, commodity, m, inputs, tables)
    events = ev.policy_events(tables.get("export_controls"), tables.get("agreements"))
    _prices(d, commodity, tables, events)
    _policy(d, commodity, tables)
    _sources(d, tables.get("manifest", {}))
    lists = [str(y) for y in (2018, 2022, 2025) if m is not None and m.on_list.get(y)]
    subtitle = (f"{commodity.name}" + (f" ({commodity.symbol})" if commodity.symbol else "")
                + (f"; on the US critical-mineral list of {', '.join(lists)}" if lists else "; not on a US critical-mineral list")
                + (f"; member of {commodity.group_id}" if commodity.group_id else ""))
    return page(f"critmin dossier: {commodity.name}", "".join(d.parts), subtitle=subtitle, generated=generated)


def for_mineral(mineral: str, *, generated: str | None = None) -> str:
    """The dossier of a mineral on the installed snapshot, from the risk inputs every
    interface shares (:func:`critmin.api.risk_inputs`): what ``critmin mineral`` writes and
    ``/api/v1/minerals/{mineral}/dossier.html`` answers."""
    from critmin import api
    from critmin.report import data
    from critmin.vocab import commodities as vc

    commodity = vc.lookup(mineral)
    return build(commodity.commodity_id, data.load(_ids(commodity)), api.risk_inputs(), generated=generated)


# ---------------------------------------------------------------- sections
def key_facts(m, inputs: RiskInputs) -> list[dict]:
    """The dossier's key figures as data (also what the consistency test reads): the
    published reliance with its qualifier, per stage the top producer, its share and the
    HHI (with how each was derived), and the composite score."""
    facts = []
    if m is not None and m.nir_vintage:
        facts.append({"kind": "reliance", "value": m.nir_value, "qualifier": m.nir_qualifier, "low": m.nir_low,
                      "high": m.nir_high, "display": m.nir_display, "year": m.nir_year, "vintage": m.nir_vintage,
                      "text": dep.describe_reliance(m.nir_value, m.nir_qualifier, m.nir_low, m.nir_high),
                      "source_id": m.nir_source})
    for stage in ("mine", "processing"):
        sd = m.stages.get(stage) if m is not None else None
        if sd is not None and sd.hhi is not None:
            facts.append({"kind": "stage", "stage": stage, "hhi": sd.hhi, "top_country": sd.top1_country,
                          "top_share": sd.top1_share, "share_qualifier": sd.share_qualifier, "year": sd.year,
                          "vintage": sd.vintage, "derived_from": sd.derived_from, "source_id": sd.source_id})
    if m is not None:
        r = risk.evaluate_all_stages("composite", m, inputs)
        facts.append({"kind": "composite", "status": r.status, "score": r.score, "low": r.low, "high": r.high,
                      "stage": r.stage})
    return facts


def _key_facts(d: Dossier, commodity, m, inputs: RiskInputs) -> None:
    kp = []
    for f in key_facts(m, inputs):
        if f["kind"] == "reliance":
            kp.append((f["text"], f"US net import reliance {f['year']} (MCS {f['vintage']})"))
            d.cite(f["source_id"])
        elif f["kind"] == "stage":
            label = f"{f['stage']}: top producer {_country_name(f['top_country'])}" if f["top_country"] else f["stage"]
            when = f"{f['year']}" if f["year"] else "EU CRM 2023"
            est = ", estimated" if f["share_qualifier"] == "estimated" else ""
            kp.append((pct(f["top_share"], 0), f"{label} ({when}{est})"))
            kp.append((f"{f['hhi']:.2f}", f"{f['stage']}-stage HHI (0-1)"))
        else:
            text, _ = score_cell(f["status"], f["score"], f["low"], f["high"], 2)
            kp.append((text, f"critmin composite risk ({f['stage'] or 'n/a'} stage, 0-1)"))
    body = "".join(f'<div class="kpi"><b>{esc(v)}</b><span>{esc(lbl)}</span></div>' for v, lbl in kp)
    d.add(f'<div class="kpis">{body}</div>')
    if m is not None and m.via_group:
        d.add(f'<p class="muted">Shown for the group, as the publishers report it only there: {esc("; ".join(m.via_group))}.</p>')


def _reliance(d: Dossier, commodity, tables: dict) -> None:
    d.add('<h2 id="reliance">Net import reliance over time</h2>')
    salient = tables.get("salient", pd.DataFrame())
    ids = _ids(commodity)
    own = salient[salient["commodity_id"] == commodity.commodity_id] if not salient.empty else salient
    sal = own if not own.empty else (salient[salient["commodity_id"].isin(ids)] if not salient.empty else salient)
    nir_rows = sal[sal["statistic"] == "nir"] if not sal.empty else sal
    if nir_rows.empty:
        d.add('<p class="muted">USGS publishes no net-import-reliance statistic for this mineral.</p>')
    else:
        spliced = pr.splice_vintages(nir_rows.assign(detail=nir_rows["form"].fillna("").astype(str) + " " + nir_rows["detail"].astype(str),
                                                     unit=nir_rows["unit"].fillna("")))
        lines, codes = [], []
        for name, g in spliced.groupby("series", sort=True):
            xs, ys, ranges = [], [], []
            for r in g.sort_values("year").to_dict("records"):
                iv = from_published(r["value"], r["qualifier"], r["low"], r["high"], cap=100.0)
                if iv is not None and iv.is_point:
                    xs.append(int(r["year"]))
                    ys.append(iv.low)
                elif iv is not None:
                    ranges.append((int(r["year"]), iv.low, iv.high))
                else:
                    codes.append(f"{int(r['year'])}: {r['raw']} ({r['qualifier']})")
            if xs or ranges:
                lines.append({"label": _short(name), "x": xs, "y": ys, "ranges": ranges, "style": "-o", "legend": True})
        src = sorted(set(spliced["source_id"]))
        d.cite(*src)
        if lines:
            d.add(figure(charts.time_lines(lines, title=f"US net import reliance, {commodity.name}", ylabel="percent of apparent consumption",
                                           source="USGS Mineral Commodity Summaries 2023-2026, salient statistics (latest vintage per year)",
                                           ylim=(-3, 105)),
                         "Points are published values; a vertical bar is a published bound (e.g. >95 drawn from 95 to 100)."
                         + (" Not numbers: " + "; ".join(codes) + "." if codes else "")))
        side = dep.nir_side_by_side(sal)
        side = side.sort_values("vintage").drop_duplicates(["commodity_id", "form", "year"], keep="last")
        side = side[side["published_qualifier"].notna() | side["computed_nir"].notna()].sort_values(["year", "form"])
        rows = []
        for r in side.to_dict("records"):
            rows.append({"year": r["year"], "form": r["form"], "vintage": r["vintage"],
                         "published": r["published_raw"] if isinstance(r["published_raw"], str) else "—",
                         "qualifier": r["published_qualifier"] if isinstance(r["published_qualifier"], str) else "",
                         "computed": num(r["computed_nir"], 3) if r["computed_nir"] is not None else "—",
                         "diff": num(r["difference"], 2), "why": r["reason"] or ("stock change included" if r["stock_change_included"] else "")})
        d.add("<h3>Published and computed side by side</h3>"
              '<p class="muted">Computed = (imports − exports + stock release) / apparent consumption × 100 from the same '
              "salient table; shown only where every input is a number. USGS rounds NIR to whole percent.</p>")
        d.add(table(rows, [("year", "Year"), ("form", "Form"), ("vintage", "MCS"), ("published", "Published NIR %"),
                           ("qualifier", "Qualifier"), ("computed", "Computed %"), ("diff", "Computed − published"),
                           ("why", "Note")], numeric={"published", "computed", "diff"}))


def _short(name: str, n: int = 60) -> str:
    name = " ".join(str(name).split())
    return name if len(name) <= n else name[: n - 1] + "…"


def _production(d: Dossier, commodity, m, inputs: RiskInputs, tables: dict) -> None:
    d.add('<h2 id="production">World production by country, per stage</h2>')
    if m is None or not m.stages:
        d.add('<p class="muted">No world production table for this mineral in the USGS MCS or the EU CRM 2023 data.</p>')
        return
    figs = []
    for stage in ("mine", "processing"):
        sd = m.stages.get(stage)
        if sd is None:
            figs.append(f'<div><h3>{esc(STAGE_TITLE[stage])}</h3><p class="muted">No {stage}-stage data published.</p></div>')
            continue
        items = sorted(sd.shares.items(), key=lambda kv: -kv[1].high)
        top = [(c, iv) for c, iv in items if iv.high > 0][:12]
        rest = sum(iv.low for c, iv in items[12:])
        labels = [_country_name(c) for c, _ in top]
        shares = [iv.low if iv.is_point else iv.high for _, iv in top]
        bounds = [None if iv.is_point else (iv.low, iv.high) for _, iv in top]
        hl = [c in FEOC for c, _ in top]
        listed = sum(iv.low for _, iv in items)
        if rest > 0:
            labels.append("other listed countries")
            shares.append(rest)
            bounds.append(None)
            hl.append(False)
        if 1 - listed > 0.005:
            labels.append("not assigned (Other countries, withheld)")
            shares.append(1 - listed)
            bounds.append(None)
            hl.append(False)
        if sd.share_qualifier == "estimated":
            labels = [f"{x} (e)" if i < len(top) else x for i, x in enumerate(labels)]
        if sd.origin == "usgs_mcs":
            when, source = f"{sd.year}", f"USGS Mineral Commodity Summaries {sd.vintage}, world production ({sd.series_label}; {sd.unit})"
        elif sd.origin == "wmd":
            when, source = f"{sd.year}", f"World Mining Data, table 6.4 ({sd.series_label}; {sd.unit})"
        elif sd.origin == "baci_exports":
            when, source = f"{sd.year}", f"CEPII BACI, share of world export value ({sd.series_label}); a proxy for production"
        else:
            when, source = "EU CRM 2023", f"European Commission, Study on the critical raw materials for the EU 2023 ({sd.series_label})"
        d.cite(sd.source_id)
        svg = charts.share_bars(labels, shares, hl, title=f"{STAGE_TITLE[stage]}, share of world total, {when}",
                                xlabel="percent of world export value" if sd.origin == "baci_exports" else "percent of world production", source=source, bounds=bounds, width=5.6)
        notes = []
        if sd.unknown_countries:
            notes.append("withheld or bounded: " + ", ".join(_country_name(c) for c in sd.unknown_countries))
        hhi_txt = f"HHI {sd.hhi:.3f}" + (f" (at most {sd.hhi_max:.3f} if the unassigned share were one producer)" if sd.hhi_max and sd.hhi_max - sd.hhi > 0.0005 else "")
        if sd.share_qualifier == "estimated":
            hhi_txt += "; (e): shares of figures USGS marks as estimated"
        figs.append(f"<div><h3>{esc(STAGE_TITLE[stage])}</h3>" + figure(svg, hhi_txt + ("; " + "; ".join(notes) if notes else "")) + "</div>")
    d.add(f'<div class="grid2">{"".join(figs)}</div>')


def _imports(d: Dossier, commodity, m, inputs: RiskInputs, tables: dict) -> None:
    d.add('<h2 id="imports">US import sources</h2>')
    ids = _ids(commodity)
    shares = tables.get("import_shares", pd.DataFrame())
    mine = shares[shares["commodity_id"] == commodity.commodity_id] if not shares.empty else shares
    if mine.empty and not shares.empty:
        mine = shares[shares["commodity_id"].isin(ids)]
    figs = []
    if m is not None and m.import_shares:
        items = sorted(m.import_shares, key=lambda kv: -kv[1].high)
        labels = [_country_name(c) if c else "Other (not named by USGS)" for c, _ in items]
        svg = charts.share_bars(labels, [iv.high for _, iv in items], [c in FEOC for c, _ in items],
                                title=f"Share of US imports by partner, {m.import_period}", xlabel="percent of US imports",
                                source="USGS Mineral Commodity Summaries 2026, import sources (2021-24)", width=5.6)
        figs.append("<div>" + figure(svg) + "</div>")
        d.cite(m.import_source)
    customs = tables.get("customs", pd.DataFrame())
    cust = pd.DataFrame()
    if not customs.empty:
        cust = dep.customs_by_partner(customs, commodity.commodity_id)
        if cust.empty and commodity.group_id:
            cust = dep.customs_by_partner(customs, commodity.group_id)
    if not cust.empty:
        year = int(cust["year"].max())
        last = cust[cust["year"] == year].sort_values("customs_value_usd", ascending=False).head(12)
        total = last["customs_value_usd"].sum()
        svg = charts.share_bars([f"{_country_name(i, n)} (${v / 1e6:,.1f} M)" for i, n, v in zip(last["partner_iso3"], last["partner_name"], last["customs_value_usd"])],
                                list(last["share_of_listed"]), [i in FEOC for i in last["partner_iso3"]],
                                title=f"US imports for consumption by partner, {year}, customs value",
                                xlabel="percent of imports from the 18 partners in the extract",
                                source=f"USITC DataWeb (U.S. Census data), HTS {', '.join(sorted(set(', '.join(last['hts']).split(', '))))}", width=5.6)
        figs.append("<div>" + figure(svg, f"Total from these partners ${total / 1e6:,.1f} million. HS 4-digit headings can "
                                     "include other materials; the extract has 18 partners and no world total.") + "</div>")
        d.cite("usitc-dataweb")
    if figs:
        d.add(f'<div class="grid2">{"".join(figs)}</div>')
    if not mine.empty:
        ec = {commodity.commodity_id: m.export_control_countries if m is not None else frozenset()}
        g = dep.import_group_shares(mine.assign(commodity_id=commodity.commodity_id), inputs.groups, ec)
        rows = []
        seen = set()
        for r in g.to_dict("records"):
            key = tuple(round(r[f"{k}_share"], 4) for k in ("feoc", "allies", "g7", "usmca", "agreement", "export_control", "unassigned"))
            if key in seen:  # the same shares published twice (MCS data file and its Figure 3)
                continue
            seen.add(key)
            rows.append({"form": r["form"] or "(all)", "source": r["source_id"], "feoc": _rng(r["feoc_share"], r["feoc_share_max"]),
                         "china": _rng(r["china_share"], r["china_share_max"]), "allies": _rng(r["allies_share"], r["allies_share_max"]),
                         "g7": _rng(r["g7_share"], r["g7_share_max"]), "usmca": _rng(r["usmca_share"], r["usmca_share_max"]),
                         "agreement": _rng(r["agreement_share"], r["agreement_share_max"]),
                         "xc": _rng(r["export_control_share"], r["export_control_share_max"]),
                         "unassigned": pct(r["unassigned_share"], 0), "status": r["status"]})
        d.add("<h3>Share of US imports by partner group (2021-24)</h3>"
              '<p class="muted">At least the named partners\' sum; after the dash, at most that plus the share USGS leaves '
              'unassigned ("Other"). FEOC: China with Hong Kong, Russia, North Korea, Iran. Allies: G7, USMCA and the 2025 '
              "agreement partners (FEOC excluded). Export controls: partners with a control in force on this mineral.</p>")
        d.add(table(rows, [("form", "Form"), ("feoc", "FEOC"), ("china", "China+HK"), ("allies", "Allies"), ("g7", "G7"),
                           ("usmca", "USMCA"), ("agreement", "2025 agreements"), ("xc", "Export-control countries"),
                           ("unassigned", "Unassigned"), ("status", "Status"), ("source", "Source")],
                    numeric={"feoc", "china", "allies", "g7", "usmca", "agreement", "xc", "unassigned"}))
        d.cite(*mine["source_id"].unique())
    if mine.empty and cust.empty:
        d.add('<p class="muted">USGS publishes no import-source shares for this mineral and no USITC heading in the '
              "snapshot maps to it.</p>")


def _rng(lo, hi) -> str:
    if lo is None or pd.isna(lo):
        return "—"
    if hi is None or pd.isna(hi) or abs(hi - lo) < 0.005:
        return pct(lo, 0)
    return f"{pct(lo, 0)}–{pct(hi, 0)}"


def _concentration(d: Dossier, commodity, inputs: RiskInputs) -> None:
    d.add('<h2 id="concentration">Concentration by stage and vintage</h2>')
    c = inputs.concentration
    ids = _ids(commodity)
    rows_df = c[c["commodity_id"].isin(ids) & c["primary"]]
    eu = inputs.eu_concentration
    eu_rows = eu[eu["commodity_id"] == commodity.commodity_id] if not eu.empty else eu
    rows = []
    for r in pd.concat([rows_df, eu_rows]).to_dict("records"):
        rows.append({"stage": r["stage"], "source": "EU CRM 2023" if r["share_basis"] == "published_shares" else f"MCS {r['vintage']}",
                     "year": "" if pd.isna(r["year"]) else int(r["year"]), "series": _short(r["series_label"], 50),
                     "hhi": num(r["hhi"], 3), "hhi_max": num(r["hhi_max"], 3), "top1": f"{_country_name(r['top1_country'])} {pct(r['top1_share'], 0)}" if r["top1_country"] else "—",
                     "top3": pct(r["top3_share"], 0), "china": pct(r["china_share"], 0), "status": r["status"]})
        d.cite(r["source_id"])
    if not rows:
        d.add('<p class="muted">No production series to measure.</p>')
        return
    d.add('<p class="muted">HHI = Σ s² over listed producers (0-1); "HHI max" counts the unassigned share as one more '
          "producer. Each MCS vintage reports two years (the earlier revised, the later estimated).</p>")
    d.add(table(rows, [("stage", "Stage"), ("source", "Source"), ("year", "Year"), ("series", "Series (as published)"),
                       ("hhi", "HHI"), ("hhi_max", "HHI max"), ("top1", "Top producer"), ("top3", "Top-3"), ("china", "China"),
                       ("status", "Status")], numeric={"hhi", "hhi_max", "top3", "china"}, sortable=True))


def _terms_html(terms: dict) -> str:
    parts = []
    for k, v in terms.items():
        if k == "weights":
            v = ", ".join(f"{a} {b:g}" for a, b in v.items())
        elif isinstance(v, list):
            v = f"{v[0]:.4g}–{v[1]:.4g}"
        elif isinstance(v, float):
            v = f"{v:.4g}"
        elif v is None:
            v = "—"
        parts.append(f"<span class=\"tag\">{esc(k)} = {esc(v)}</span>")
    return " ".join(parts)


def _risk(d: Dossier, commodity, m, inputs: RiskInputs, tables: dict) -> None:
    d.add('<h2 id="risk">Supply risk by method</h2>')
    if m is None:
        d.add('<p class="muted">No inputs for any method.</p>')
        return
    rows = []
    for name, (version, desc) in risk.METHODS.items():
        for stage in ("mine", "processing"):
            r = risk.evaluate(name, m, stage, inputs)
            text, key = score_cell(r.status, r.score, r.low, r.high)
            rows.append({"method": name, "version": version, "stage": stage, "score": text, "_k": key,
                         "status": r.status, "terms": _terms_html(r.terms),
                         "missing": "; ".join(r.missing), "notes": "; ".join(r.notes)})
            d.cite(*r.sources)
    d.add('<p class="muted">Each method as defined in its module (formula and references in docs/risk.md). '
          "insufficient data = an input critmin does not hold; it is listed, never replaced by a number. "
          "A range = an input was published only as a bound.</p>")
    d.add(table(rows, [("method", "Method"), ("stage", "Stage"), ("score", "Score"), ("status", "Status"),
                       ("terms", "Breakdown"), ("missing", "Missing"), ("notes", "Notes")], raw={"terms"}, numeric={"score"}))
    ea = tables.get("eu_crm_assessment", pd.DataFrame())
    if not ea.empty:
        own = ea[ea["commodity_id"] == commodity.commodity_id]
        if not own.empty:
            wide = own.pivot_table(index=["material", "year"], columns="indicator", values="raw", aggfunc="first").reset_index()
            d.add("<h3>The EU's own published assessment</h3>")
            d.add(table(wide.to_dict("records"), [("material", "EU material"), ("year", "Assessment"), ("SR", "Supply risk (SR)"),
                                                  ("EI", "Economic importance (EI)")], numeric={"SR", "EI"}))
            d.cite(*own["source_id"].unique())


def _prices(d: Dossier, commodity, tables: dict, events: pd.DataFrame) -> None:
    d.add('<h2 id="prices">Prices, with policy events marked</h2>')
    ids = _ids(commodity)
    evs = ev.events_for(events, ids)
    evs = evs[evs["date"] >= pd.Timestamp("2010-01-01")].reset_index(drop=True)
    # Charts mark the events on this mineral and the US decisions; the agreements, which
    # touch every mineral, are listed in the table only.
    marks = [{"x": r["date"], "label": r["label"]} if r["kind"] != "agreement" else None for r in evs.to_dict("records")]
    marks = [{"x": e["x"], "label": e["label"], "k": k} for k, e in enumerate(marks, start=1) if e is not None]
    stats_rows = []
    around_rows = []
    salient = tables.get("salient", pd.DataFrame())
    ann = pr.annual_prices(salient, [commodity.commodity_id]) if not salient.empty else pd.DataFrame()
    if ann.empty and not salient.empty:
        ann = pr.annual_prices(salient, ids)
    drew = False
    if not ann.empty:
        for unit, g in ann.groupby("unit"):
            lines = []
            for name, s in g.groupby("series"):
                ser = pr.to_series(s, freq="Y")
                if ser.empty:
                    continue
                lines.append({"label": _short(name, 70), "x": [p.to_timestamp() for p in ser.index], "y": list(ser.values), "style": "-o"})
                stats_rows.append(_stats_row(name, unit, "annual, MCS", ser))
                around_rows += _around_rows(name, ser, evs)
            if lines:
                d.add(figure(charts.time_lines(lines, title=f"US prices, annual ({unit})", ylabel=unit,
                                               source="USGS Mineral Commodity Summaries 2023-2026, salient statistics",
                                               events=[e for e in marks if e["x"] >= pd.Timestamp("2017-06-01")]),
                             "Dashed red lines: policy events numbered as in the table below."))
                drew = True
        d.cite(*ann["source_id"].unique())
    prices = tables.get("prices", pd.DataFrame())
    own = prices[prices["commodity_id"].isin(ids)] if not prices.empty else prices
    monthly = own[own["frequency"] == "monthly"] if not own.empty else own
    for sid, g in (monthly.groupby("series_id") if not monthly.empty else []):
        ser = pr.to_series(g, freq="M")
        if ser.empty:
            continue
        recent = ser[ser.index >= pd.Period("2015-01", freq="M")]
        unit = g["unit"].iloc[0]
        d.add(figure(charts.time_lines([{"label": g["series_label"].iloc[0], "x": [p.to_timestamp() for p in recent.index],
                                          "y": list(recent.values), "style": "-"}],
                                       title=f"{g['series_label'].iloc[0]}, monthly, nominal ({unit})", ylabel=unit,
                                       source="World Bank Commodity Price Data (Pink Sheet), monthly, nominal US$",
                                       events=[e for e in marks if e["x"] >= pd.Timestamp("2015-01-01")])))
        stats_rows.append(_stats_row(g["series_label"].iloc[0], unit, "monthly, World Bank", ser))
        around_rows += _around_rows(g["series_label"].iloc[0], ser, evs)
        d.cite(*g["source_id"].unique())
        drew = True
    annual_hist = own[(own["frequency"] == "annual") & (own["basis"] == "nominal")] if not own.empty else own
    if not annual_hist.empty:
        lines = []
        for sid, g in annual_hist.groupby("series_id"):
            ser = pr.to_series(g, freq="Y")
            if len(ser) < 5:
                continue
            lines.append({"label": _short(g["series_label"].iloc[0], 70), "x": [p.to_timestamp() for p in ser.index],
                          "y": list(ser.values), "style": "-"})
            stats_rows.append(_stats_row(g["series_label"].iloc[0], g["unit"].iloc[0], "annual unit value, USGS DS140", ser))
        if lines:
            unit = annual_hist["unit"].iloc[0]
            d.add(figure(charts.time_lines(lines[:5], title=f"Long-run US unit value, nominal ({unit})", ylabel=unit, logy=True,
                                           source="USGS Data Series 140, historical statistics (unit value of apparent consumption)"),
                         "Log scale. DS140 in the snapshot stops in 1992 for most minerals (2020-21 for lithium and rare earths)."))
            d.cite(*annual_hist["source_id"].unique())
            drew = True
    if not drew:
        d.add('<p class="muted">No price series for this mineral in the snapshot (MCS salient prices, World Bank, DS140).</p>')
    if stats_rows:
        d.add("<h3>Price statistics</h3>"
              '<p class="muted">Volatility: standard deviation of log returns between adjacent periods, annualised. '
              "Drawdown: deepest fall from a running peak. CAGR: compound annual growth first to last.</p>")
        d.add(table(stats_rows, [("series", "Series"), ("kind", "Kind"), ("unit", "Unit"), ("span", "Span"), ("n", "N"),
                                 ("vol", "Volatility / yr"), ("dd", "Max drawdown"), ("cagr", "CAGR"), ("note", "Note")],
                    numeric={"n", "vol", "dd", "cagr"}, sortable=True))
    if len(evs):
        rows = [{"k": k, "date": r["date"].date().isoformat() if r["precision"] == "day" else r["date"].strftime("%Y-%m"),
                 "kind": r["kind"], "label": r["label"], "status": r["status"] or ""} for k, r in enumerate(evs.to_dict("records"), start=1)]
        d.add("<h3>Policy events</h3>")
        d.add(table(rows, [("k", "#"), ("date", "Date"), ("kind", "Kind"), ("label", "Event"), ("status", "Status")]))
    if around_rows:
        d.add("<h3>Prices around the events</h3>"
              '<p class="muted">Last price before the event\'s period and the price one year later (or the latest sooner).</p>')
        d.add(table(around_rows, [("series", "Series"), ("event", "Event"), ("before", "Before"), ("after", "After"), ("change", "Change")],
                    numeric={"before", "after", "change"}))


def _stats_row(name, unit, kind, ser) -> dict:
    s = pr.summary(ser)
    return {"series": _short(name, 60), "kind": kind, "unit": unit, "span": f"{s['start']}–{s['end']}", "n": s["n"],
            "vol": pct(s["volatility"], 0), "dd": pct(s["max_drawdown"], 0), "cagr": pct(s["cagr"], 1),
            "note": s.get("note") or ""}


def _around_rows(name, ser, evs) -> list[dict]:
    rows = []
    for k, r in enumerate(evs.to_dict("records"), start=1):
        a = pr.around_event(ser, r["date"])
        if a is None:
            continue
        rows.append({"series": _short(name, 50), "event": f"{k}. {_short(r['label'], 70)}",
                     "before": f"{a['before']:,.4g} ({a['before_period']})", "after": f"{a['after']:,.4g} ({a['after_period']})",
                     "change": pct(a["change"], 0)})
    return rows


def _policy(d: Dossier, commodity, tables: dict) -> None:
    d.add('<h2 id="policy">Export controls and agreements</h2>')
    ids = _ids(commodity)
    ec = tables.get("export_controls", pd.DataFrame())
    rows = []
    if not ec.empty:
        own = ec[ec["commodity_id"].isin(ids)]
        for r in own.sort_values("effective_date", na_position="last").to_dict("records"):
            rows.append({"country": _country_name(r["country_iso3"]), "measure": r["measure_id"], "type": r["control_type"],
                         "materials": _short(r.get("materials") or "", 80),
                         "effective": r["effective_date"].date().isoformat() if not pd.isna(r["effective_date"]) else (str(int(r["year"])) if not pd.isna(r.get("year")) else ""),
                         "status": r["status"], "scope": _short(r.get("scope_notes") or "", 140)})
            d.cite(r["source_id"])
    if rows:
        d.add(table(rows, [("country", "Country"), ("measure", "Measure"), ("type", "Type"), ("materials", "Materials"),
                           ("effective", "Effective"), ("status", "Status"), ("scope", "Scope")]))
    else:
        d.add('<p class="muted">No export control on this mineral in the register (China 2023-2025 register, MCS 2026 Table 4).</p>')
    ag = tables.get("agreements", pd.DataFrame())
    if not ag.empty:
        d.add("<h3>US critical-mineral agreements of 2025 (all minerals)</h3>")
        arows = [{"country": _country_name(r["country_iso3"]), "agreement": r["agreement"],
                  "date": r["signing_date"].date().isoformat() if not pd.isna(r["signing_date"]) else "",
                  "focus": r["focus_area"]} for r in ag.sort_values("signing_date").to_dict("records")]
        d.add(table(arows, [("country", "Partner"), ("agreement", "Agreement"), ("date", "Signed"), ("focus", "Focus")]))
        d.cite(*ag["source_id"].unique())


def _sources(d: Dossier, manifest: dict) -> None:
    d.add('<h2 id="sources">Sources cited</h2>')
    rows = citations(manifest, d.sources)
    items = []
    for r in rows:
        doi = f' doi:<a href="https://doi.org/{esc(r["doi"])}">{esc(r["doi"])}</a>' if r["doi"] else ""
        items.append(f"<li><b>{esc(r['source_id'])}</b>: {esc(r['citation'] or r['title'])}{doi}. Licence: {esc(r['licence'])}.</li>")
    extra = [s for s in sorted(d.sources) if s not in {r["source_id"] for r in rows}]
    if "primer" in extra:
        items.append("<li><b>primer</b>: Section 232 dates from the project's domain primer (Proclamation of 14 January 2026 on "
                     "processed critical minerals).</li>")
    d.add("<ul>" + "".join(items) + "</ul>")
    d.add('<p class="muted">Methods: EC 2017 CRM guidelines (Blengini et al., doi:10.2873/769526); Nassar &amp; Fortier 2021, '
          "USGS OFR 2021-1045; Gemechu et al. 2016, J. Ind. Ecol. 20(1); Santillán-Saldivar et al. 2021, RCR 164; critmin "
          "composite (docs/risk.md).</p>")
