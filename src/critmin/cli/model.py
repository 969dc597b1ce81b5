"""Policy-model commands: ``critmin simulate``, ``critmin compare``, ``critmin scenarios``.

Nothing heavy is imported at module level (numpy, pandas and the model load inside the commands), so ``critmin --help``
stays fast. Every number comes from :mod:`critmin.model`; this module parses and presents.

Both engines: a scenario file or preset with ``engine: chain`` is solved by the chain engine
(every mineral, every horizon year, ranges where a market's inputs are bounded), the others
by the Armington engine (:func:`critmin.model.engines.simulate_any`).

Exit codes: 0 success; 1 a scenario was solved but has no equilibrium (``simulate`` prints
the status and the reason, with null figures, never zeros; ``compare`` exits 1 when any
chain market did not solve); 2 a bad request (unknown preset, missing file, invalid YAML or
scenario field, a knowledge-base market whose data are missing or withheld, a ``--year``
outside the horizon: the message names the field or the missing figure).
"""

from __future__ import annotations

from typing import List, Optional

import typer

from critmin.cli.app import app, check_format, run_command
from critmin.cli.output import Format, emit, write_json

SCENARIO_HELP = "A scenario YAML file, or a preset name (see `critmin scenarios`)."


def _model_errors(fn):
    """Run ``fn``; scenario and market errors become ``error: ...`` on stderr and exit code 2."""
    from critmin.model import MarketError, ScenarioError

    def guarded():
        try:
            return fn()
        except (ScenarioError, MarketError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return run_command(guarded)


def _label(item: str) -> str:
    from pathlib import Path

    path = Path(item)
    return path.stem if path.suffix else item


def simulate_command(
    scenario: str = typer.Argument(..., help=SCENARIO_HELP),
    fmt: str = typer.Option("table", "--format", help="table, json or csv (csv: a chain scenario's per-year table)."),
    year: Optional[int] = typer.Option(None, "--year", help="Chain scenarios: show this horizon year only."),
) -> None:
    """Solve one scenario: prices, quantities, welfare and fiscal cost, assumptions.

    A chain scenario (``engine: chain``) gives, per mineral and horizon year, the focus region's
    prices, imports, use, production, fiscal cost and welfare change, and prices by region and
    stage, each as low-high where the market's inputs are bounded, with units and bases.
    """

    fmt = check_format(fmt, ("table", "json", "csv"))

    def go():
        from critmin.model import cli_support, simulate
        from critmin.model.engines import engine_of, load_any

        if engine_of(load_any(scenario)) == "chain":
            _simulate_chain(scenario, fmt, year)
            return
        if year is not None:
            raise _bad("--year: an Armington scenario is one static year (--year is for chain scenarios)")
        if fmt is Format.csv:
            raise _bad("--format csv: is for chain scenarios (their per-year table); use json for an Armington one")
        if fmt is Format.json:
            result = simulate(scenario)
            write_json(result.to_dict())
        else:
            data = cli_support.simulate_data(scenario)
            result = data["result"]
            _print_simulation(data)
        if not result.converged:
            raise typer.Exit(1)

    _model_errors(go)


def _bad(message: str):
    from critmin.model import ScenarioError

    return ScenarioError(message)


def _simulate_chain(scenario: str, fmt: Format, year: int | None) -> None:
    from critmin.model.engines import simulate_any

    sim = simulate_any(scenario)
    tables = dict(sim.tables)
    if year is not None:
        years = sim.result.years
        if year not in years:
            raise _bad(f"--year: {year} is outside the scenario's horizon {years[0]}-{years[-1]}")
        tables = {k: (v.xs(year, level="year", drop_level=False) if "year" in v.index.names else v)
                  for k, v in tables.items()}
    if fmt is Format.json:
        sim.tables = tables
        write_json(sim.to_dict())
    elif fmt is Format.csv:
        emit(tables["years"].reset_index(), Format.csv)
    else:
        _print_chain(sim, tables)
    if not sim.converged:
        raise typer.Exit(1)


def _span_text(row, name: str) -> str:
    """``low-high`` (or one figure when they agree; empty when null)."""
    import math

    lo, hi = row.get(f"{name}_low"), row.get(f"{name}_high")
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)) or (
            isinstance(hi, float) and math.isnan(hi)):
        return ""
    if lo == hi or abs(hi - lo) <= 5e-5 * max(abs(lo), abs(hi)):
        return f"{lo:,.4g}"
    return f"{lo:,.4g} to {hi:,.4g}"


def _spans(frame, names: dict[str, str], keep: tuple[str, ...]):
    """A display table: ``keep`` columns as they are, each ``names`` figure as its low-high text."""
    import pandas as pd

    flat = frame.reset_index()
    out = pd.DataFrame({k: flat[k] for k in keep if k in flat.columns})
    for name, title in names.items():
        out[title] = [_span_text(r, name) for r in flat.to_dict("records")]
    return out


def _print_chain(sim, tables: dict) -> None:
    r = sim.result
    sc = r.scenario
    h = sc.horizon
    typer.echo(f"scenario: {sim.name}")
    typer.echo(f"engine: chain (homogeneous goods by stage, in physical tonnes); horizon {h.start}-{h.end}; "
               f"focus region: {sc.focus}")
    typer.echo(f"status: {sim.status}")
    if sim.message:
        typer.echo(f"message: {sim.message}")
    note = r.failure_note()
    if note:
        typer.echo(f"note: {note}")
    typer.echo("ranges: 'a to b' is the lowest and highest value across a market's variants (its low and high "
               "corners where an input is bounded); one figure where they agree; empty where null")
    years, prices = tables["years"], tables["prices"]
    units = r.units().set_index(["mineral", "stage"])
    for mineral in r.runs:
        market = sc.minerals[mineral].market
        label = market.key() if hasattr(market, "key") else (f"chain_market_{market.ref}.yaml"
                                                             if hasattr(market, "ref") else "inline market")
        u = units.xs(mineral, level="mineral")
        bases = "; ".join(f"{st}: {row.basis}, quantities in {row.unit}, prices in {row.price_unit}"
                          for st, row in u.iterrows())
        typer.echo("")
        typer.echo(f"== {mineral} ({label}; {', '.join(r.runs[mineral])}) ==")
        typer.echo(f"bases and units: {bases}; money in {u.iloc[-1].currency}")
        if not years.empty and mineral in years.index.get_level_values("mineral"):
            ym = years.xs(mineral, level="mineral")
            emit(_spans(ym, {"use_price": "use price", "use_price_change_pct": "change %",
                             "producer_price": "producer price", "imports": "imports", "use": "use",
                             "production": "production", "fiscal_cost": "fiscal cost",
                             "welfare_total": "welfare change"},
                        ("year", "stage", "status")), Format.table,
                 title=f"{sc.focus} by year (use = final use plus processing feed; welfare and fiscal cost in "
                       f"{u.iloc[-1].currency} per year)")
        if not prices.empty and mineral in prices.index.get_level_values("mineral"):
            pm = prices.xs(mineral, level="mineral")
            emit(_spans(pm, {"producer_price_baseline": "producer price (baseline)",
                             "producer_price": "producer price", "use_price": "use price",
                             "use_price_change_pct": "use price change %"},
                        ("year", "stage", "region")), Format.table, title="Prices by region and stage")
    summary = tables["summary"]
    if not summary.empty:
        cols = [c[:-4] for c in summary.columns if c.endswith("_low")]
        emit(_spans(summary, {c: c for c in cols}, ("mineral", "status")).set_index("mineral").T.reset_index()
             .rename(columns={"index": "over the horizon"}), Format.table,
             title="Horizon totals (quantities in each mineral's unit; money in its currency, discounted at the "
                   "scenario's rate where named)")
    if sim.notes:
        typer.echo("notes:")
        for line in sim.notes:
            typer.echo(f"  - {line}")
    for title, groups in (("assumptions", sim.assumptions), ("sources", sim.sources)):
        typer.echo(f"{title}:")
        for group, lines in groups.items():
            for line in lines:
                typer.echo(f"  - [{group}] {line}")


def _print_simulation(data: dict) -> None:
    import math


    header = data["header"]
    for key, value in header.items():
        if value not in ("", None):
            if isinstance(value, float):
                shown = f"{value:,.4g}" if math.isfinite(value) else "null"  # a figure the solve did not give
            else:
                shown = value
            typer.echo(f"{key}: {shown}")
    result = data["result"]
    if not result.converged:
        typer.echo("no results: the scenario did not solve (see status and message)")
    else:
        titles = {"prices": "Prices (base and scenario)", "quantities": "Quantities by region",
                  "welfare": "Welfare change from the base by region (currency units per year)",
                  "binding": "Instruments: do they bind?", "flows": "Bilateral flows"}
        for name, frame in data["tables"].items():
            if frame.empty:
                continue
            table = frame.reset_index() if name in ("prices", "quantities", "welfare") else frame
            if name == "flows":
                table = table[["origin", "destination", "quantity_base", "quantity", "quantity_change",
                               "delivered_price", "value_delivered", "tariff_rate", "levy_per_unit",
                               "quota_rent_per_unit", "permitted"]]
            emit(table, Format.table, title=titles.get(name, name))
    typer.echo("assumptions:")
    for line in data["assumptions"]:
        typer.echo(f"  - {line}")


def compare_command(
    scenarios: List[str] = typer.Argument(..., help="Scenario files or preset names (one or more)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv (csv: chain scenarios' per-year table)."),
    year: Optional[int] = typer.Option(None, "--year", help="Chain scenarios: this horizon year only."),
) -> None:
    """Headline numbers of several scenarios side by side (scenarios on one market are solved as one batch).

    Chain scenarios: per scenario and mineral, the horizon totals and, per horizon year, the focus
    region's prices, imports, use, production, fiscal cost and welfare change, as low-high ranges.
    """
    fmt = check_format(fmt, ("table", "json", "csv"))

    def go():
        from critmin.model import cli_support
        from critmin.model.engines import engine_of, load_any
        from critmin.model.results import json_safe

        engines = {engine_of(load_any(s)) for s in scenarios}
        if engines == {"chain"}:
            _compare_chain(scenarios, fmt, year)
            return
        if len(engines) > 1:
            raise _bad("compare chain-engine and Armington scenarios separately: their figures are not on one "
                       "basis (see `critmin scenarios` for each preset's engine)")
        if year is not None:
            raise _bad("--year: Armington scenarios are one static year (--year is for chain scenarios)")
        labels = _unique([_label(s) for s in scenarios])
        frame = cli_support.compare_data(scenarios, labels=labels)
        if fmt is Format.json:
            payload = json_safe({col: frame[col].to_dict() for col in frame.columns})
            write_json(payload)
        else:
            # a scenario that did not solve shows empty cells, never "nan" (numpy scalars in object columns)
            table = frame.reset_index().astype(object)
            emit(table.where(table.notna(), None), fmt,
                 title="Scenarios compared (change from each scenario's own base point)")
        if frame.attrs.get("failure_note"):  # every column says its status; this counts them
            typer.echo(f"note: {frame.attrs['failure_note']}", err=True)

    _model_errors(go)


#: Headline columns of a chain summary shown in a terminal table (suffix -> title); json/csv give all.
_HEADLINES = {"use_price_change_pct_first_year": "use price % (first year)",
              "imports_change_total": "imports change (t, summed)",
              "production_change_total": "production change (t, summed)",
              "fiscal_cost_discounted": "fiscal cost (discounted)",
              "total_change_discounted": "welfare change (discounted)"}


def _headline_columns(summary) -> dict[str, str]:
    out = {}
    names = [c[:-4] for c in summary.columns if c.endswith("_low")]
    for suffix, title in _HEADLINES.items():
        for name in names:
            # the unprefixed fiscal_cost_discounted sums every payer; the focus government's own is shown
            if name.endswith(suffix) and name != "fiscal_cost_discounted":
                focus = name[: -len(suffix)].rstrip("_")
                out[name] = f"{focus} {title}".strip()
    return out


def _compare_chain(scenarios: list[str], fmt: Format, year: int | None) -> None:
    import pandas as pd

    from critmin.model.engines import simulate_any

    labels = _unique([_label(s) for s in scenarios])
    sims = [simulate_any(s) for s in scenarios]
    summary = pd.concat([s.tables["summary"].assign(scenario=lab).set_index("scenario", append=True)
                         .reorder_levels(["scenario", "mineral"]) for lab, s in zip(labels, sims)])
    frames = []
    for lab, s in zip(labels, sims):
        y = s.tables["years"]
        if year is not None:
            h = s.result.years
            if year not in h:
                raise _bad(f"--year: {year} is outside the horizon {h[0]}-{h[-1]} of {lab}")
            y = y.xs(year, level="year", drop_level=False)
        frames.append(y.assign(scenario=lab).set_index("scenario", append=True)
                      .reorder_levels(["scenario", *y.index.names]))
    years = pd.concat(frames)
    failed = [f"{lab}: {s.result.failure_note()}" for lab, s in zip(labels, sims) if not s.converged]
    if fmt is Format.json:
        from critmin.cli.output import records

        write_json({"scenarios": labels, "summary": records(summary.reset_index()),
                    "years": records(years.reset_index()), "failures": failed})
    elif fmt is Format.csv:
        emit(years.reset_index(), Format.csv)
    else:
        typer.echo("ranges: 'a to b' is the lowest and highest value across a market's variants; empty where null")
        emit(_spans(summary, _headline_columns(summary), ("scenario", "mineral", "status", "basis", "unit",
                                                            "price_unit")),
             Format.table, title="Chain scenarios compared: horizon totals for the focus region (all columns: "
                                 "--format json or csv)")
        emit(_spans(years, {"use_price": "use price", "use_price_change_pct": "change %", "imports": "imports",
                            "use": "use", "production": "production", "fiscal_cost": "fiscal cost",
                            "welfare_total": "welfare change"},
                    ("scenario", "mineral", "year", "stage", "basis", "unit", "price_unit")), Format.table,
             title="By year (focus region; money in the market's currency per year)")
    if failed:
        for line in failed:
            typer.echo(f"note: {line}", err=True)
        raise typer.Exit(1)


def scenarios_command(
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List the preset scenarios (usable in place of a file name) with a one-line description."""
    fmt = check_format(fmt, ("table", "json", "csv"))

    def go():
        from critmin.model import cli_support

        frame = cli_support.scenarios_data()
        if fmt is Format.table:
            emit(frame, fmt, title=f"{len(frame)} preset scenarios (use the name in place of a file; engine: "
                                   "chain = homogeneous goods by stage over years, armington = one static year)",
                 columns=["name", "engine", "scenario", "market"])
        else:
            emit(frame, fmt)

    _model_errors(go)


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


app.command("simulate")(simulate_command)
app.command("compare")(compare_command)
app.command("scenarios")(scenarios_command)
