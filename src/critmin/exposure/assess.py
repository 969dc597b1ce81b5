"""One call from a bill to every table an interface presents: :func:`assess`.

The result is a dataclass of tidy DataFrames (no interface computes anything of its own):

``lines``            one row per bill line and mineral: tonnes per year (low, high), spend
``paths``            every line's paths through the supplier, processing and mine stages
``parts``/``products``/``company``  tonnes and spend by mineral, stage and country per scope
``indicators``       concentration, China/FEOC shares, governance, export controls (company
                     and per product)
``controls``         export controls in force on the company's paths
``costs``/``cost_summary``  the policy cost per scenario, channel, product, mineral and year
``eligibility``      each part and product against the chosen rule sets, with the reason
``diversification``  alternative origins for each exposed path
``library``          the content-library rows the bill used, with their citations
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from critmin.exposure import bom as bom_mod
from critmin.exposure import contents, diversification, exposure, policy, rules
from critmin.snapshot.manifest import per_snapshot


@dataclass
class ExposureResult:
    bill: str
    lines: pd.DataFrame
    paths: pd.DataFrame
    parts: pd.DataFrame
    products: pd.DataFrame
    company: pd.DataFrame
    indicators: pd.DataFrame
    product_indicators: pd.DataFrame
    controls: pd.DataFrame
    costs: pd.DataFrame
    cost_summary: pd.DataFrame
    eligibility: pd.DataFrame
    diversification: pd.DataFrame
    library: pd.DataFrame
    assumptions: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    TABLES = ("company", "indicators", "product_indicators", "products", "parts", "lines", "paths", "controls",
              "costs", "cost_summary", "eligibility", "diversification", "library")

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.TABLES:
            raise KeyError(f"unknown table {name!r}; one of {', '.join(self.TABLES)}")
        return getattr(self, name)

    def to_dict(self) -> dict:
        """JSON-ready: every table as records (NaN as null), plus assumptions and sources."""
        from critmin.model.results import json_safe

        out = {"bill": self.bill, "assumptions": self.assumptions, "sources": self.sources}
        for name in self.TABLES:
            df = getattr(self, name)
            df = df.astype(object).where(df.notna(), None)
            out[name] = json_safe(df.to_dict(orient="records"))
        return out


@per_snapshot(maxsize=1)
def _kb():
    return exposure.load_knowledge_base()


@per_snapshot(maxsize=1)
def _provider():
    """World production shares first; world export shares (CEPII BACI) where production has none."""
    from critmin.exposure.trade_shares import TradeShares
    from critmin.exposure.upstream import ChainedShares, ProductionShares

    trade = TradeShares.from_snapshot()
    production = ProductionShares.from_snapshot()
    return production if trade is None else ChainedShares([production, trade])


@per_snapshot(maxsize=1)
def _library():
    return contents.content_library()


def assess(bill, *, scenarios=(), rule_sets=(), year: int = 2026, years=(2026,), provider=None, kb=None,
           library=None, effects=None, diversify: bool = True) -> ExposureResult:
    """Exposure, policy cost, eligibility and diversification of a bill.

    Parameters
    ----------
    bill
        A path to a CSV/XLSX bill, or a validated :class:`~critmin.exposure.bom.Bom`.
    scenarios
        Scenario files or preset names for the engine (:func:`policy.engine_price_changes`).
    rule_sets
        ``usmca``, ``ira30d``, ``club`` or paths to rule YAML files.
    year, years
        The year the eligibility rules are applied for; the years the policy cost covers.
    provider, kb, library
        Upstream shares, knowledge base and content library (default: from the snapshot);
        tests and the benchmark pass their own.
    effects
        Precomputed :class:`policy.ScenarioEffects` (a new engine's output), used in place of
        running ``scenarios``.

    Raises
    ------
    BomError
        With every problem of the bill; nothing is computed from a bill with problems.
    """
    library = _library() if library is None else library
    b = bill if isinstance(bill, bom_mod.Bom) else bom_mod.read_bom(bill, library=library)
    provider = _provider() if provider is None else provider
    kb = _kb() if kb is None else kb
    lines = exposure.mineral_lines(b, library)
    paths = exposure.exposure_paths(lines, b, provider)
    company = exposure.aggregate(paths, "company")
    effects = list(effects or []) + [policy.engine_price_changes(s, years=years) for s in scenarios]
    costs = pd.concat([policy.scenario_cost(b, lines, e) for e in effects], ignore_index=True) if effects \
        else pd.DataFrame(columns=policy.COST_COLUMNS)
    elig = [rules.evaluate(b, paths, rules.load_rules(r) if not isinstance(r, dict) else r, year=year, kb=kb)
            for r in rule_sets]
    used = library[library["product_id"].isin(set(b.parts["material_id"]))]
    assumptions = [
        "upstream stages without declared origins are inferred and labelled 'inferred': from world production shares "
        "(USGS MCS, EU CRM 2023), else from world export shares of the stage's HS codes (CEPII BACI, a proxy: a "
        "producer that uses its own output exports less); a stage with neither is 'unknown'",
        "spend exposed is the annual purchase value of a line; each mineral in the line is exposed through all of it",
        f"governance: mean of the six WGI estimates, release {kb.wgi_info.get('release')} year {kb.wgi_info.get('year')}",
    ]
    for e in effects:
        assumptions += [f"{e.name}: {a}" for a in e.assumptions]
    sources = sorted({contents.citation(s) for s in used["source_id"]})
    return ExposureResult(
        bill=b.file, lines=lines, paths=paths,
        parts=exposure.aggregate(paths, "part"), products=exposure.aggregate(paths, "product"), company=company,
        indicators=exposure.indicators(paths, kb, "company"), product_indicators=exposure.indicators(paths, kb, "product"),
        controls=exposure.path_controls(paths, kb), costs=costs, cost_summary=policy.cost_summary(costs),
        eligibility=pd.concat(elig, ignore_index=True) if elig else pd.DataFrame(columns=rules.RESULT_COLUMNS),
        diversification=diversification.alternatives(company, provider, kb, effects) if diversify
        else pd.DataFrame(columns=diversification.COLUMNS),
        library=used.reset_index(drop=True), assumptions=assumptions, sources=sources,
    )


def example_path(name: str) -> Path:
    """Path of a shipped example bill (``ev_traction_motor``, ``radar_module``, ``battery_pack``)."""
    from importlib import resources

    names = example_names()
    key = name.removeprefix("bom_").removesuffix(".csv")
    if key not in names:
        from critmin.errors import CritminError

        raise CritminError(f"unknown example {name!r}; choose one of {', '.join(names)}")
    return Path(str(resources.files("critmin.exposure").joinpath("examples", f"bom_{key}.csv")))


def example_names() -> list[str]:
    from importlib import resources

    root = resources.files("critmin.exposure").joinpath("examples")
    return sorted(p.name.removeprefix("bom_").removesuffix(".csv") for p in root.iterdir() if p.name.endswith(".csv"))
