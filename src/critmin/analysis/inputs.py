"""The inputs of every risk method, assembled from the snapshot's tables.

The tables come from :func:`critmin.kb.read_tables` (the query layer); :func:`build_inputs`
is pure: from those tables it builds, once, for every mineral the per-stage production shares, the
published net import reliance, the import sources, the share of imports in supply, the
countries with export controls in force, and the governance scores, so that the methods
run on small dictionaries instead of filtering large frames per mineral.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from critmin.analysis import concentration as conc
from critmin.analysis import dependency as dep
from critmin.analysis.interval import Interval, from_published
from critmin.analysis.risk import governance as gov
from critmin.values import format_value

@dataclass
class StageData:
    """World production of one stage of one mineral: the series used and its shares."""

    shares: dict[str, Interval]
    hhi: float | None
    hhi_max: float | None
    china_share: float | None
    feoc_share: float | None
    vintage: int | None
    year: int | None
    series_label: str
    unit: str
    status: str
    unknown_countries: list[str]
    source_id: str | None
    origin: str = "usgs_mcs"
    derived_from: str = "usgs_production"
    status_reason: str = ""
    #: The largest producer and its share (:func:`critmin.analysis.concentration.concentration_table`'s
    #: ``top1_country``/``top1_share`` of the series used): the one top producer every interface shows.
    top1_country: str | None = None
    top1_share: float | None = None
    #: ``exact`` or ``estimated``: the qualifier of the figures the shares come from.
    share_qualifier: str | None = None


@dataclass
class MineralInputs:
    """Every input the risk methods take, for one mineral."""

    commodity_id: str
    name: str
    stages: dict[str, StageData] = field(default_factory=dict)
    nir: Interval | None = None
    #: The published reliance as :func:`critmin.values.format_value` shows it (``100e``, ``>95``, ``E``).
    nir_display: str = ""
    #: Its qualifier (``exact``, ``estimated``, ``greater_than``, ``net_exporter``...).
    nir_qualifier: str = ""
    #: Where it was published: ``figure``, ``salient`` or ``critical_salient``.
    nir_table: str = ""
    #: The published figure in percent (a number only where one was published) and its bounds.
    nir_value: float | None = None
    nir_low: float | None = None
    nir_high: float | None = None
    nir_vintage: int | None = None
    nir_year: int | None = None
    nir_form: str = ""
    nir_source: str | None = None
    import_shares: list[tuple[str | None, Interval]] | None = None
    import_period: str | None = None
    import_source: str | None = None
    import_form: str = ""
    import_fraction: Interval | None = None
    import_fraction_year: int | None = None
    export_control_countries: frozenset[str] = frozenset()
    importer: str = "USA"
    trade_blocks: dict = field(default_factory=dict)
    domestic: dict = field(default_factory=dict)
    stage_fractions: dict = field(default_factory=dict)
    on_list: dict[int, bool] = field(default_factory=dict)
    group_id: str | None = None
    via_group: list[str] = field(default_factory=list)
    is_group: bool = False

    def listed(self, year: int) -> bool:
        """On the list of ``year`` as an entry of its own (a group such as rare earths is
        covered through its members, which are counted instead)."""
        return bool(self.on_list.get(year)) and not self.is_group


@dataclass
class RiskInputs:
    """Inputs for all minerals plus the shared governance scores."""

    minerals: dict[str, MineralInputs]
    wgi: dict[str, float]
    wgi_info: dict
    pv: dict[str, float]
    pv_info: dict
    concentration: pd.DataFrame
    groups: dict[str, frozenset[str]]
    eu_concentration: pd.DataFrame
    stage_view: pd.DataFrame
    importer: str = "USA"
    trade_year: int | None = None


def _shares_by_series(production: pd.DataFrame, chosen: pd.DataFrame, folded=None) -> dict[tuple[str, str], dict[str, Interval]]:
    """Country shares of the chosen series, keyed by (commodity, stage), in one pass."""
    if chosen.empty:
        return {}
    production, _ = folded if folded is not None else conc.fold_fragments(production)
    p = production[(production["measure"] == "production") & (production["country_kind"] == "country")]
    p = p.assign(form=p["form"].fillna(""), unit=p["unit"].fillna(""), series_label=p["series_label"].fillna(""))
    p = p[p["qualifier"].isin(conc.NUMERIC) & p["value"].notna()]
    keys = conc.SERIES_KEY
    merged = p.merge(chosen[keys + ["world_total"]], on=keys, how="inner")
    merged = merged.assign(share=merged["value"] / merged["world_total"])
    merged = merged.groupby(["commodity_id", "stage", "country_iso3"], as_index=False)["share"].sum()
    out: dict[tuple[str, str], dict[str, Interval]] = {}
    for (cid, stage, iso), s in zip(zip(merged["commodity_id"], merged["stage"], merged["country_iso3"]), merged["share"]):
        if s == s:  # not NaN
            out.setdefault((cid, stage), {})[iso] = Interval.exact(float(s))
    return out


def _eu_shares(eu_shares: pd.DataFrame, chosen: pd.DataFrame) -> dict[tuple[str, str], dict[str, Interval]]:
    """Country shares (fractions, bounded where published ``<x%``) of the EU series chosen."""
    if eu_shares is None or eu_shares.empty or chosen.empty:
        return {}
    g = eu_shares[(eu_shares["scope"] == "global") & (eu_shares["country_kind"] == "country")]
    g = g.assign(stage=g["stage"].map(conc.EU_STAGE))
    wanted = {(c, s, lbl.split("(", 1)[1].rstrip(")")) for c, s, lbl in zip(chosen["commodity_id"], chosen["stage"], chosen["series_label"])}
    out: dict[tuple[str, str], dict[str, Interval]] = {}
    for r in g.to_dict("records"):
        if (r["commodity_id"], r["stage"], r["material"]) not in wanted:
            continue
        iv = from_published(r["value"], r["qualifier"], r["low"], r["high"], cap=100.0)
        if iv is None:
            continue
        d = out.setdefault((r["commodity_id"], r["stage"]), {})
        prev = d.get(r["country_iso3"])
        iv = Interval(iv.low / 100, iv.high / 100)
        d[r["country_iso3"]] = iv if prev is None else prev + iv
    return out


_ALL_FORM = ("", "all", "all forms")


_FORM_STOP = {"of", "and", "the", "content", "all", "forms", "form", "other", "including", "in"}


def _form_words(text: str | None, commodity_id: str) -> frozenset[str]:
    """Significant words of a published form, without the commodity's own name."""
    import re

    if not isinstance(text, str):
        return frozenset()
    name = {w for w in re.split(r"[^a-z0-9]+", commodity_id.replace("-", " ").lower()) if w}
    words = {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}
    words = {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words}
    name = {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in name}
    return frozenset(words - _FORM_STOP - name)


def _pick_import_shares(import_shares: pd.DataFrame, nir_picked: Mapping[str, dict] | None = None) -> dict[str, dict]:
    """Per commodity, the block of import shares (form, period, source) that the published
    net import reliance describes.

    Preference, in order: a complete block (no withheld share); a block whose form is the
    form of the reliance used (:func:`_pick_nir`: copper "refined" -> "Refined copper", not
    "Copper content of matte, ash, and precipitate"); the block whose partners best match
    the import sources published with that reliance (Jaccard overlap of the names); the
    commodity-wide block (form blank, "All", "All forms"); the most partners; the MCS 2026
    data file over its Figure 3 (same numbers where both exist).
    """
    if import_shares is None or import_shares.empty:
        return {}
    from critmin.vocab import countries as vk

    nir_picked = nir_picked or {}
    df = import_shares[import_shares["vintage"] == import_shares["vintage"].max()]
    blocks: dict[tuple, dict] = {}
    for r in df.to_dict("records"):
        form = r["form"] if isinstance(r["form"], str) else ""
        key = (r["commodity_id"], form, r["period"], r["source_id"])
        b = blocks.setdefault(key, {"shares": [], "complete": True, "partners": set()})
        if r["partner_kind"] == "country" and isinstance(r.get("partner_iso3"), str):
            b["partners"].add(r["partner_iso3"])
        iv = from_published(r["value"], r["qualifier"], r["low"], r["high"], cap=100.0)
        if iv is None:
            b["complete"] = False
            continue
        b["shares"].append((r["partner_iso3"] if r["partner_kind"] == "country" else None, Interval(iv.low / 100, iv.high / 100)))
    nir_sources: dict[str, set[str]] = {}
    for cid, n in nir_picked.items():
        isos = set()
        for name in list(n.get("import_sources") if n.get("import_sources") is not None else []):
            try:
                ref = vk.resolve_country(str(name))
            except Exception:  # a name the NIR reader kept as published; it simply does not count
                continue
            if ref.iso3:
                isos.add(ref.iso3)
        nir_sources[cid] = isos
    out: dict[str, dict] = {}
    for (cid, form, period, source), b in sorted(blocks.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        n = nir_picked.get(cid)
        nir_form = _form_words(n.get("form"), cid) if n else frozenset()
        words = _form_words(form, cid)
        form_match = bool(nir_form) and bool(words) and (nir_form <= words or words <= nir_form)
        if n and not nir_form and not words:
            form_match = True  # both commodity-wide
        published = nir_sources.get(cid, set())
        overlap = len(b["partners"] & published) / len(b["partners"] | published) if published and b["partners"] else 0.0
        score = (b["complete"], form_match, round(overlap, 6), form.strip().lower() in _ALL_FORM, len(b["shares"]),
                 source == "usgs_mcs2026")
        cur = out.get(cid)
        if cur is None or score > cur["_score"]:
            out[cid] = {"_score": score, "shares": b["shares"] if b["complete"] else None, "period": period,
                        "source": source, "form": form, "matches_nir_form": form_match, "nir_sources_overlap": overlap}
    return out


def _export_controls(export_controls: pd.DataFrame, commodities: pd.DataFrame) -> dict[str, frozenset[str]]:
    """Countries with controls in force per commodity; a group and its members share them."""
    if export_controls is None or export_controls.empty:
        return {}
    rows = export_controls[export_controls["status"].map(dep.in_force)]
    direct: dict[str, set[str]] = {}
    for cid, iso in zip(rows["commodity_id"], rows["country_iso3"]):
        if cid and iso:
            direct.setdefault(cid, set()).add(iso)
    out = {k: set(v) for k, v in direct.items()}
    if commodities is not None and not commodities.empty:
        for r in commodities.itertuples(index=False):
            members = list(r.members) if r.members is not None else []
            if r.is_group:
                acc = set(direct.get(r.commodity_id, set()))
                for m in members:
                    acc |= direct.get(m, set())
                if acc:
                    out[r.commodity_id] = acc
            elif r.group_id and r.group_id in direct:
                out.setdefault(r.commodity_id, set()).update(direct[r.group_id])
    return {k: frozenset(v) for k, v in out.items()}


def _wmd_shares(wmd: pd.DataFrame, chosen: pd.DataFrame) -> dict[tuple[str, str], dict[str, Interval]]:
    """Country shares of the World Mining Data sheet and year chosen per (commodity, stage)."""
    out: dict[tuple[str, str], dict[str, Interval]] = {}
    if wmd is None or wmd.empty or chosen.empty:
        return out
    for r in chosen.itertuples(index=False):
        sheet = r.series_label.split(": ", 1)[1]
        g = wmd[(wmd["sheet"] == sheet) & (wmd["year"] == r.year) & (wmd["country_kind"] == "country")
                & wmd["qualifier"].isin(conc.NUMERIC)]
        tot = r.world_total
        if not tot or tot != tot:
            continue
        out[(r.commodity_id, r.stage)] = {iso: Interval.exact(float(v / tot)) for iso, v in g.groupby("country_iso3")["value"].sum().items()}
    return out


def _export_shares(exports: pd.DataFrame, chosen: pd.DataFrame) -> dict[tuple[str, str], dict[str, Interval]]:
    """Exporter shares of world export value behind each ``baci_exports`` concentration."""
    from critmin.vocab import hs6_concordance as hc

    out: dict[tuple[str, str], dict[str, Interval]] = {}
    if exports is None or exports.empty or chosen.empty:
        return out
    for r in chosen.itertuples(index=False):
        g = exports[exports["hs6"].isin(hc.codes_for(r.commodity_id, r.stage)) & (exports["year"] == r.year)]
        g = g[g["exporter_iso3"].notna()]  # an aggregate exporter has no country share
        out[(r.commodity_id, r.stage)] = {iso: Interval.exact(float(v / r.world_total))
                                          for iso, v in g.groupby("exporter_iso3")["value_usd"].sum().items()}
    return out


def build_inputs(tables: Mapping[str, pd.DataFrame], importer: str = "USA", year: int | None = None) -> RiskInputs:
    """Assemble :class:`RiskInputs` from the snapshot tables (pure).

    ``importer`` (ISO3 or ``EU27``) and ``year`` choose the bilateral trade GeoPolRisk is
    computed on (``tables['imports']`` must hold that importer's flows; default the latest
    year of each mineral's codes). The US-published inputs (net import reliance, USGS
    import shares, salient statistics) are used only when the importer is the US.
    """
    from critmin.analysis import domestic_supply as ds
    from critmin.analysis import trade as tr
    from critmin.vocab import hs6_concordance as hc

    production = tables.get("production", pd.DataFrame())
    commodities = tables.get("commodities", pd.DataFrame())
    folded = conc.fold_fragments(production) if not production.empty else None
    concentration = conc.concentration_table(production, folded) if not production.empty else pd.DataFrame(columns=conc.CONCENTRATION_COLUMNS)
    eu_shares = tables.get("eu_crm_supply_shares", pd.DataFrame())
    eu_conc = conc.eu_concentration_table(eu_shares)
    wmd = tables.get("wmd_production", pd.DataFrame())
    # stage_view takes WMD's latest usable year; every sheet has a Total row every year, so
    # the last two years suffice (a quarter of the work)
    wmd_conc = conc.wmd_concentration_table(wmd[wmd["year"] >= wmd["year"].max() - 1] if not wmd.empty else wmd)
    exports = tables.get("world_exports", pd.DataFrame())
    exp_conc = conc.export_concentration_table(exports)
    chosen = conc.stage_view(concentration, eu_conc, wmd_conc, exp_conc)
    shares = _shares_by_series(production, chosen[chosen["origin"] == "usgs_mcs"], folded) if not production.empty else {}
    shares.update(_eu_shares(eu_shares, chosen[chosen["origin"] == "eu_crm_2023"]))
    shares.update(_wmd_shares(wmd, chosen[chosen["origin"] == "wmd"]))
    shares.update(_export_shares(exports, chosen[chosen["origin"] == "baci_exports"]))
    feoc = dep.FEOC
    us = importer == "USA"

    names = {}
    on_list: dict[str, dict[int, bool]] = {}
    group_ids: set[str] = set()
    from critmin.vocab import countries as vk

    groups_vocab = vk.groups()
    if not commodities.empty:
        names = dict(zip(commodities["commodity_id"], commodities["name"]))
        for r in commodities.to_dict("records"):
            on_list[r["commodity_id"]] = {y: bool(r.get(f"on_list_{y}")) for y in (2018, 2022, 2025)}
            if r.get("is_group"):
                group_ids.add(r["commodity_id"])
    agreements = tables.get("agreements", pd.DataFrame())
    agreement_countries = agreements["country_iso3"].dropna().tolist() if not agreements.empty else []
    groups = dep.partner_groups(groups_vocab, agreement_countries)

    minerals: dict[str, MineralInputs] = {}

    def get(cid: str) -> MineralInputs:
        if cid not in minerals:
            minerals[cid] = MineralInputs(cid, names.get(cid, cid), on_list=on_list.get(cid, {}), is_group=cid in group_ids)
        return minerals[cid]

    # The top producer is that of the shares every interface lists (one definition,
    # critmin.analysis.concentration.top_producer); the view is given the same.
    tops = {}
    for r in chosen.to_dict("records"):
        s = shares.get((r["commodity_id"], r["stage"]), {})
        if s:
            tops[(r["commodity_id"], r["stage"])] = conc.top_producer(s)
    if tops:
        keys = list(zip(chosen["commodity_id"], chosen["stage"]))
        chosen = chosen.assign(
            top1_country=[tops[k][0] if k in tops else c for k, c in zip(keys, chosen["top1_country"])],
            top1_share=[tops[k][1] if k in tops else v for k, v in zip(keys, chosen["top1_share"])],
        )
    for r in chosen.to_dict("records"):
        s = shares.get((r["commodity_id"], r["stage"]), {})
        fe = None
        if r["status"] == "ok":
            fe = float(sum(iv.low for c, iv in s.items() if c in feoc))
        elif r["unknown_countries"] and not (set(r["unknown_countries"]) & feoc):
            fe = float(sum(iv.low for c, iv in s.items() if c in feoc))
        get(r["commodity_id"]).stages[r["stage"]] = StageData(
            shares=s, hhi=_f(r["hhi"]), hhi_max=_f(r["hhi_max"]), china_share=_f(r["china_share"]), feoc_share=fe,
            vintage=None if pd.isna(r["vintage"]) else int(r["vintage"]), year=None if pd.isna(r["year"]) else int(r["year"]),
            series_label=r["series_label"], unit=r["unit"], status=r["status"],
            unknown_countries=list(r["unknown_countries"]), source_id=r["source_id"], origin=r["origin"],
            derived_from=r["derived_from"], status_reason=r.get("status_reason") or "",
            top1_country=r["top1_country"] if isinstance(r["top1_country"], str) else None,
            top1_share=_f(r["top1_share"]), share_qualifier=r.get("share_qualifier") if isinstance(r.get("share_qualifier"), str) else None,
        )

    # The published reliance: one per mineral, as every interface counts it
    # (critmin.analysis.dependency.mineral_reliance, latest release); the import block is
    # matched on the mineral's own published forms.
    nir_picked: dict[str, dict] = {}
    figure = tables.get("nir", pd.DataFrame())
    if us and not figure.empty and not commodities.empty:
        v = int(figure["vintage"].max())
        figure = figure[figure["vintage"] == v]
        sal = tables.get("nir_salient", pd.DataFrame())
        sal = sal[sal["vintage"] == v] if not sal.empty else sal
        nir_picked = dep.best_published(figure)
        for r in dep.mineral_reliance(figure, sal, commodities[["commodity_id", "group_id"]]).to_dict("records"):
            if r["qualifier"] == dep.NOT_PUBLISHED:
                continue
            m = get(r["commodity_id"])
            m.nir = dep.reliance_interval(r["value"], r["qualifier"], r["low"], r["high"])
            m.nir_display = format_value(r["value"], r["qualifier"], r["low"], r["high"], r["raw"])
            m.nir_qualifier, m.nir_table = r["qualifier"], r["nir_table"] or ""
            m.nir_value, m.nir_low, m.nir_high = _f(r["value"]), _f(r["low"]), _f(r["high"])
            m.nir_vintage, m.nir_year, m.nir_form = int(r["vintage"]), int(r["year"]), r["form"] or ""
            m.nir_source = r["source_id"]
            if r["via_group"]:
                m.via_group.append(f"net import reliance of {r['via_group']}")

    for cid, r in (_pick_import_shares(tables.get("import_shares", pd.DataFrame()), nir_picked) if us else {}).items():
        m = get(cid)
        m.import_shares, m.import_period, m.import_source = r["shares"], r["period"], r["source"]
        m.import_form = r["form"]

    salient = tables.get("salient", pd.DataFrame()) if us else pd.DataFrame()
    if not salient.empty:
        preferred = {cid: r.get("form") if isinstance(r.get("form"), str) else "" for cid, r in nir_picked.items()}
        for (cid, stage), sf in ds.us_stage_import_fraction(salient, preferred).items():
            if cid in minerals or cid in names:
                get(cid).stage_fractions[stage] = sf
        fr = dep.import_fraction(salient)
        fr = fr[fr["import_fraction"].notna()].sort_values(["commodity_id", "vintage", "year"])
        for cid, g in fr.groupby("commodity_id"):
            last = g.iloc[-1]
            if cid in minerals or cid in names:
                m = get(cid)
                m.import_fraction = Interval.exact(float(last["import_fraction"]))
                m.import_fraction_year = int(last["year"])

    # Bilateral trade (BACI): the importer's imports of each mineral's codes per stage, and
    # its production of the stage in the imports' unit.
    imports = tables.get("imports", pd.DataFrame())
    trade_year = None
    if not imports.empty:
        imports = tr.importer_rows(imports, importer)
        members = tr.bloc_members(importer) if importer in tr.BLOCS else frozenset({importer})
        index = ds.ProductionIndex(concentration, folded[0] if folded is not None else None, wmd)
        arrays = tr.ImportArrays(imports)
        for cid in sorted({e.commodity_id for e in hc.entries().values() if e.commodity_id and e.scope == "in_scope"}):
            for stage in conc.STAGES:
                codes = hc.codes_for(cid, stage, include_stage_mixed=stage == "mine")
                block = tr.trade_block(arrays, importer, cid, stage, codes, year) if codes else None
                if block is None:
                    continue
                m = get(cid)
                m.importer = importer
                m.trade_blocks[stage] = block
                trade_year = max(trade_year or 0, block.year)
                want = block.basis if block.measure() == "content_t" else None
                m.domestic[stage] = ds.importer_production(members, cid, stage, block.year, index, want, other_stage_ok=True)
        for m in minerals.values():
            m.importer = importer
            if m.import_shares is None and m.trade_blocks:
                # Import sources from BACI where USGS publishes none (for the methods that
                # take import shares): the stage with the larger import value.
                b = max(m.trade_blocks.values(), key=lambda b: b.total_value)
                amt = b.value_usd.sum(axis=1) if b.measure() == "value" else b.gross_t.sum(axis=1)
                if amt.sum() > 0:
                    m.import_shares = [(iso, Interval.exact(float(a / amt.sum()))) for iso, a in zip(b.partners, amt)]
                    m.import_period, m.import_source = str(b.year), b.source_id
                    m.import_form = f"HS {', '.join(b.codes)} ({b.measure()})"

    # An element published only inside its group (neodymium in rare earths) takes the
    # group's figures, and says so in ``via_group``.
    group_of = {}
    if not commodities.empty:
        group_of = {c: g for c, g in zip(commodities["commodity_id"], commodities["group_id"]) if isinstance(g, str) and g}
    taken_from_group: list[tuple[str, str, str]] = []
    for cid, gid in group_of.items():
        grp = minerals.get(gid)
        if grp is None:
            continue
        m = get(cid)
        if m.import_shares is None and grp.import_shares is not None:
            m.import_shares, m.import_period, m.import_source = grp.import_shares, grp.import_period, grp.import_source
            m.import_form = grp.import_form
            m.via_group.append(f"import sources of {gid}")
        if m.import_fraction is None and grp.import_fraction is not None:
            m.import_fraction, m.import_fraction_year = grp.import_fraction, grp.import_fraction_year
            m.via_group.append(f"import fraction of {gid}")
        for stage, sd in grp.stages.items():
            if stage not in m.stages:
                m.stages[stage] = sd
                m.via_group.append(f"{stage}-stage production of {gid}")
                taken_from_group.append((cid, gid, stage))
        for stage, b in grp.trade_blocks.items():
            if stage not in m.trade_blocks:
                m.trade_blocks[stage] = b
                if stage in grp.domestic:
                    m.domestic[stage] = grp.domestic[stage]
                m.via_group.append(f"{stage}-stage imports of {gid} (BACI)")
        for stage, sf in grp.stage_fractions.items():
            if stage not in m.stage_fractions:
                m.stage_fractions[stage] = sf
                m.via_group.append(f"{stage}-stage import fraction of {gid}")

    for cid, countries in _export_controls(tables.get("export_controls", pd.DataFrame()), commodities).items():
        if cid in minerals:
            minerals[cid].export_control_countries = countries

    # every listed mineral has an entry, so a ranking shows one without data as insufficient
    # (for an importer other than the US, some have no data at all)
    for cid, years in on_list.items():
        if any(years.values()):
            get(cid)

    wgi, wgi_info = gov.estimates(tables.get("governance", pd.DataFrame()), gov.SIX)
    pv, pv_info = gov.estimates(tables.get("governance", pd.DataFrame()), ("PV",))
    # The stage view lists what every mineral's stages are, a member's taken from its group
    # included (``via_group``), so that every table built on it shows what the dossier and the
    # risk methods use.
    chosen = chosen.assign(via_group=None)
    if taken_from_group:
        by_key = {(r["commodity_id"], r["stage"]): r for r in chosen.to_dict("records")}
        extra = [{**by_key[(gid, stage)], "commodity_id": cid, "via_group": gid}
                 for cid, gid, stage in taken_from_group if (gid, stage) in by_key]
        chosen = pd.concat([chosen, pd.DataFrame(extra, columns=chosen.columns)], ignore_index=True)
        chosen = chosen.sort_values(["commodity_id", "stage"]).reset_index(drop=True)
    return RiskInputs(minerals, wgi, wgi_info, pv, pv_info, concentration, groups, eu_conc, chosen, importer, trade_year)


#: A number or None (None, NaN and text are None): the one helper of dependency.py.
_f = dep._num
