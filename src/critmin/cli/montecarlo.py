"""Risk commands: ``critmin montecarlo``, ``critmin stockpile``, ``critmin project``, ``critmin disruptions``.

Only typer is imported at module
level (numpy, pandas, the model and Dask load inside the commands), so ``critmin --help``
stays light. Every number comes from :mod:`critmin.model.montecarlo`; this module parses,
shows a Rich progress bar on stderr and presents.

Exit codes: 0 success; 2 a bad request (unknown mineral or market, a mineral without a
calibrated market -- the reason is printed --, a bad option value, a resume whose
parameters differ from the run directory's, a project without the inputs it needs).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from critmin.cli.app import app, check_format, run_command
from critmin.cli.output import Format, emit, write_json

FORMATS = ("table", "json", "csv")
RUN_FORMATS = FORMATS + ("html",)


def _format(value: str):
    return check_format(value, FORMATS)


def _run_format(value: str, output: Optional[Path]):
    """``--format`` of a run command: table, json, csv, or html (an HTML report, which needs ``-o FILE``)."""
    if value == "html":
        if output is None:
            typer.echo("error: --format html writes a report file: give -o FILE", err=True)
            raise typer.Exit(2)
        return "html"
    if value not in RUN_FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(RUN_FORMATS)} (got {value!r})", err=True)
        raise typer.Exit(2)
    if output is not None:
        typer.echo("error: -o/--output is for --format html", err=True)
        raise typer.Exit(2)
    return check_format(value, FORMATS)


def _write_report(payload: dict, output: Path) -> None:
    """The HTML report of a run's payload, written aside and renamed (nothing half-written)."""
    import os

    from critmin.report import montecarlo as report

    text = report.build(payload)
    output = Path(output)
    if output.parent and not output.parent.exists():
        raise ValueError(f"-o {output}: the directory {output.parent} does not exist")
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)
    typer.echo(f"wrote {output} ({len(text):,} bytes)", err=True)


OUTPUT_HELP = "With --format html: the report file to write."


def _guard(fn):
    """Run ``fn``: critmin's errors and bad values become ``error: ...`` and exit code 2."""

    def guarded():
        try:
            return fn()
        except (ValueError, KeyError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return run_command(guarded)


class _Bar:
    """A Rich progress bar on stderr fed by the runner's progress callback (off with --quiet or when
    stderr is not a terminal)."""

    def __init__(self, label: str, quiet: bool, unit: str = "scenario-years", steps: str = "chunks") -> None:
        self.label, self.quiet, self.unit, self.steps = label, quiet, unit, steps
        self.progress = None
        self.task = None

    def __enter__(self):
        import sys

        if not self.quiet and sys.stderr.isatty():  # no bar in a pipe or a log file
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn(self.steps), TimeElapsedColumn(), TimeRemainingColumn(),
                                     console=Console(stderr=True), transient=True)
            self.progress.__enter__()
        return self

    def __call__(self, done: int, total: int, years: int) -> None:
        if self.progress is None:
            return
        if self.task is None:
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, completed=done, total=total,
                             description=f"{self.label} ({years:,} {self.unit})")

    def relabel(self, label: str) -> None:
        self.label = label
        if self.progress is not None and self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)
        return False


def _run_options(draws, seed, horizon, method, backend, scheduler, workers, run_dir, resume) -> dict:
    if method not in ("random", "lhs"):
        raise ValueError(f"--method must be random or lhs (got {method!r})")
    if backend not in ("auto", "inprocess", "dask"):
        raise ValueError(f"--backend must be auto, inprocess or dask (got {backend!r})")
    if resume and run_dir is None:
        raise ValueError("--resume needs --run-dir")
    return {"draws": draws, "seed": seed, "horizon": horizon, "method": method, "backend": backend,
            "scheduler": scheduler, "workers": workers, "run_dir": run_dir, "resume": resume}


def _print_header(pairs: dict) -> None:
    for k, v in pairs.items():
        if v in (None, ""):
            continue
        shown = f"{v:,.4g}" if isinstance(v, float) else v
        typer.echo(f"{k}: {shown}")


def _emit(frame, fmt, title, columns=None):

    if frame is None or len(frame) == 0:
        return
    emit(frame, fmt, title=title, columns=columns)


def montecarlo_command(
    mineral: str = typer.Argument(..., help="A mineral (gallium, cobalt, 'rare earths', lithium...) or 'all' for the "
                                            "expected-loss ranking of every calibrated mineral."),
    draws: int = typer.Option(2000, "--draws", help="Draws (paths of --horizon years)."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed gives the same numbers on any backend."),
    horizon: int = typer.Option(1, "--horizon", help="Years per draw (annual steps)."),
    method: str = typer.Option("random", "--method", help="random or lhs (Latin hypercube)."),
    backend: str = typer.Option("auto", "--backend", help="auto, inprocess or dask (a local cluster unless --scheduler)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Worker processes of the local Dask cluster (default: CPU count)."),
    run_dir: Optional[Path] = typer.Option(None, "--run-dir", help="Checkpoint directory: Parquet per chunk and a manifest."),
    resume: bool = typer.Option(False, "--resume", help="Continue the interrupted run in --run-dir (same parameters)."),
    market: Optional[str] = typer.Option(None, "--market", help="Market key: preset:<name>, kb:<mineral>:<stage>, scratch:<ref>."),
    scenario: Optional[str] = typer.Option(None, "--scenario", help="A preset or scenario YAML whose policies (e.g. a floor) apply every year."),
    library: Optional[Path] = typer.Option(None, "--library", help="Another disruption library CSV (see `critmin disruptions`)."),
    include_disabled: bool = typer.Option(False, "--include-disabled", help="Also simulate the library's disabled (assumption) rows."),
    fixed_elasticities: bool = typer.Option(False, "--fixed-elasticities", help="Do not draw elasticity multipliers."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv (csv: the distributions table, or the ranking) "
                                                      "or html (a report with charts; needs -o FILE)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help=OUTPUT_HELP),
) -> None:
    """Disruption Monte Carlo: distributions of prices, shortfalls, US losses and fiscal costs; loss by event; drivers."""
    fmt = _run_format(fmt, output)

    def go():
        opts = _run_options(draws, seed, horizon, method, backend, scheduler, workers, run_dir, resume)
        if mineral.lower() == "all":
            _ranking(opts, fmt, quiet, output)
            return
        from critmin.model.montecarlo import disruption_montecarlo

        with _Bar(f"{mineral}", quiet) as bar:
            r = disruption_montecarlo(mineral, market=market, scenario=scenario, library=library,
                                      include_disabled=include_disabled,
                                      elasticity=None if fixed_elasticities else _default_spread(),
                                      progress=bar, **opts)
        if fmt == "html":
            from critmin.model.montecarlo.figures import disruption_payload

            _write_report(disruption_payload(r), output)
            return
        _present_run(r, fmt)

    _guard(go)


def _default_spread():
    from critmin.model.montecarlo.design import DEFAULT_ELASTICITY_SPREAD

    return DEFAULT_ELASTICITY_SPREAD


def _present_run(r, fmt) -> None:


    if fmt is Format.json:
        write_json(r.to_dict())
        return
    if fmt is Format.csv:

        emit(r.distributions(), fmt)
        return
    h = r.headline()
    res = r.result
    _print_header({"market": h["market"], "mineral": h["mineral"], "stage": h["stage"],
                   "draws": res.spec.draws, "seed": res.spec.seed, "sampling": res.spec.method,
                   "horizon (years)": r.setup.design.horizon, "backend": res.backend,
                   "run directory": str(res.run_dir) if res.run_dir else None,
                   "scenario-years": res.scenario_years, "solved": res.solved,
                   "status": ", ".join(f"{k} {v}" for k, v in res.status_counts().items()),
                   "seconds": round(res.seconds, 2), "units": f"{h['unit']}, {h['price_unit']}, losses in {h['currency']}/yr"})
    import pandas as pd

    head = pd.DataFrame([{k: h[k] for k in ("expected_welfare_loss", "expected_consumer_loss", "expected_producer_loss",
                                            "expected_fiscal_cost", "p90_welfare_loss", "p99_welfare_loss",
                                            "probability_of_shortfall", "p95_shortfall", "p95_price_change_pct",
                                            "failed_years")}])
    _emit(head, fmt, "Expected annual outcomes for the US (over solved scenario-years)")
    _emit(r.distributions(), fmt, "Distributions per scenario-year")
    _emit(r.by_event(), fmt, "Expected welfare loss by event")
    ev = r.events()
    _emit(ev, fmt, "Disruption events applied (library rows)",
          columns=["label", "kind", "target", "annual_probability_mean", "annual_probability_90_low",
                   "annual_probability_90_high", "duration", "severity", "rate_basis", "duration_basis",
                   "severity_basis"])
    disc = r.discovery()
    _emit(disc["rank_correlations"].head(8), fmt, "Drivers of the worst decile (draw totals): Spearman rank correlations")
    box = disc["prim_box"]
    if len(box):
        a = box.attrs
        _emit(box, fmt, f"PRIM box of the worst decile: coverage {a['coverage']:.2f}, density {a['density']:.2f}, "
                        f"support {a['support']:.2f}")
    typer.echo("assumptions and sources:")
    for line in list(r.info.assumptions) + list(r.setup.notes):
        typer.echo(f"  - {line}")
    typer.echo("  - event sources: see `critmin disruptions --mineral " + r.setup.market.mineral + "`")


def _ranking(opts: dict, fmt, quiet: bool, output: Optional[Path] = None) -> None:
    from critmin.model.montecarlo import expected_loss_ranking

    if opts.get("run_dir") is not None:
        raise ValueError("--run-dir is for one mineral; the ranking runs every market in memory")
    with _Bar("ranking", quiet) as bar:
        ranking, by_event, missing = expected_loss_ranking(
            opts["draws"], opts["seed"], horizon=opts["horizon"], method=opts["method"],
            backend="inprocess" if opts["backend"] == "auto" else opts["backend"], scheduler=opts["scheduler"],
            workers=opts["workers"], progress=bar)
    if fmt == "html":
        from critmin.model.montecarlo.figures import ranking_payload

        _write_report(ranking_payload(ranking, by_event, missing, draws=opts["draws"], seed=opts["seed"],
                                      horizon=opts["horizon"], method=opts["method"]), output)
        return
    if fmt is Format.json:
        from critmin.model.results import json_safe

        payload = json_safe({"ranking": ranking.to_dict(orient="records"), "by_event": by_event.to_dict(orient="records"),
                             "missing": missing.to_dict(orient="records")})
        write_json(payload)
        return
    if fmt is Format.csv:
        emit(ranking, fmt)
        return
    emit(ranking, fmt, title=f"Expected annual US welfare loss from supply disruptions ({opts['draws']} draws, "
                             f"seed {opts['seed']}, horizon {opts['horizon']})",
         columns=["rank", "mineral", "market", "expected_welfare_loss", "expected_consumer_loss", "p90_welfare_loss",
                  "probability_of_shortfall", "top_event", "top_event_share", "failed_years", "currency"])
    if len(missing):
        emit(missing, fmt, title="Minerals without a calibrated market")


def stockpile_command(
    mineral: str = typer.Argument(..., help="A mineral (its default market) ."),
    coverage: List[float] = typer.Option([0.5, 0.8, 0.9, 0.95, 0.99], "--coverage", help="Target probability a stock covers (repeatable)."),
    rule: str = typer.Option("horizon", "--rule", help="horizon: bought once for the horizon; annual: refilled every year."),
    holding_rate: float = typer.Option(0.07, "--holding-rate", help="Yearly holding cost as a share of the stock's value (default: OMB A-94 7% real; storage not included)."),
    discount_rate: float = typer.Option(0.07, "--discount-rate", help="Discount rate of the holding costs."),
    draws: int = typer.Option(1000, "--draws"),
    seed: int = typer.Option(0, "--seed"),
    horizon: int = typer.Option(1, "--horizon", help="Years per draw."),
    method: str = typer.Option("random", "--method"),
    backend: str = typer.Option("auto", "--backend"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler"),
    workers: Optional[int] = typer.Option(None, "--workers"),
    run_dir: Optional[Path] = typer.Option(None, "--run-dir"),
    resume: bool = typer.Option(False, "--resume"),
    market: Optional[str] = typer.Option(None, "--market"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or html (a report; needs -o FILE)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help=OUTPUT_HELP),
) -> None:
    """Stockpile sizing: the stock and release rule covering a probability of shortfall, and its cost."""
    fmt = _run_format(fmt, output)

    def go():
        from critmin.model.montecarlo import stockpile_sizing

        for c in coverage:
            if not 0 < c < 1:
                raise ValueError(f"--coverage must lie in (0, 1), got {c}")
        if rule not in ("horizon", "annual"):
            raise ValueError(f"--rule must be horizon or annual (got {rule!r})")
        opts = _run_options(draws, seed, horizon, method, backend, scheduler, workers, run_dir, resume)
        with _Bar(f"stockpile {mineral}", quiet) as bar:
            table, r = stockpile_sizing(mineral, coverages=tuple(coverage), rule=rule, holding_rate=holding_rate,
                                        discount_rate=discount_rate, market=market, progress=bar, **opts)
        if fmt == "html":
            from critmin.model.montecarlo.figures import stockpile_payload

            _write_report(stockpile_payload(table, r, rule=rule), output)
            return
        if fmt is Format.json:
            from critmin.model.results import json_safe

            payload = json_safe({"sizing": table.to_dict(orient="records"), "headline": r.headline(),
                                 "release_rule": "release, in each year with a shortfall, the quantity that restores "
                                                 "US base consumption (found on the engine), until the stock is empty",
                                 "assumptions": list(r.info.assumptions) + list(r.setup.notes)})
            write_json(payload)
            return
        if fmt is Format.csv:
            emit(table, fmt)
            return
        info = r.info
        _print_header({"market": info.key, "draws": draws, "seed": seed, "horizon (years)": horizon, "rule": rule,
                       "base US consumption": f"{sum(info.base_consumption) / len(info.base_consumption):,.4g} {info.unit}/yr",
                       "base US price": f"{sum(info.base_price) / len(info.base_price):,.4g} {info.price_unit}",
                       "holding cost": f"{holding_rate:.1%} a year of the stock's value"})
        emit(table, fmt, title="Stock covering each target probability of shortfall",
             columns=["target_coverage", "stock", "stock_months_of_consumption", "coverage_achieved",
                      "acquisition_cost", "annual_holding_cost", "holding_cost_pv_over_horizon",
                      "expected_annual_release", "expected_annual_consumer_loss_avoided", "cases_failed", "unit"])
        typer.echo("release rule: in each year with a shortfall, release the quantity that restores US base "
                   "consumption (found on the engine by bisection), until the stock is empty"
                   + ("; not refilled within the horizon" if rule == "horizon" else "; refilled every year"))
        from critmin.model.montecarlo.stockpile import OMB_A94_SOURCE

        typer.echo(f"holding cost default: {OMB_A94_SOURCE}")

    _guard(go)


def project_command(
    mineral: str = typer.Argument(..., help="The mineral the project produces."),
    deposit: Optional[str] = typer.Option(None, "--deposit", help="A lithium deposit of the Busch et al. (2024) table (defaults for every input)."),
    capacity: Optional[float] = typer.Option(None, "--capacity", help="Output per year at full rate (project unit; t Li for lithium)."),
    capex: Optional[float] = typer.Option(None, "--capex", help="Capital cost (money)."),
    opex: Optional[float] = typer.Option(None, "--opex", help="Operating cost per unit of output."),
    construction_years: Optional[int] = typer.Option(None, "--construction-years"),
    ramp_years: Optional[int] = typer.Option(None, "--ramp-years"),
    life_years: Optional[int] = typer.Option(None, "--life-years"),
    tax_rate: Optional[float] = typer.Option(None, "--tax-rate"),
    discount_rate: Optional[float] = typer.Option(None, "--discount-rate", help="Real discount rate (default 7%, OMB A-94)."),
    floor: Optional[float] = typer.Option(None, "--floor", help="Price floor in the price series' basis (lithium: USD per t Li2CO3)."),
    upside_share: float = typer.Option(0.0, "--upside-share", help="Government's share of the price above the floor."),
    term: Optional[int] = typer.Option(None, "--term", help="Years of operation the floor covers (default: the whole life)."),
    confidence: float = typer.Option(0.9, "--confidence", help="Confidence of the break-even floor: P(NPV >= 0)."),
    draws: int = typer.Option(2000, "--draws", help="Price paths."),
    seed: int = typer.Option(0, "--seed"),
    process: str = typer.Option("ou", "--process", help="ou (mean-reverting log price) or gbm."),
    series: Optional[str] = typer.Option(None, "--series", help="Text in the MCS price series name to use (e.g. NdPr)."),
    sigma: Optional[float] = typer.Option(None, "--sigma", help="Give the volatility instead of fitting it."),
    kappa: Optional[float] = typer.Option(None, "--kappa", help="Give the mean-reversion speed."),
    price: Optional[float] = typer.Option(None, "--price", help="Starting price (price series' basis)."),
    quantity: Optional[float] = typer.Option(None, "--quantity", help="Lithium: quantity (t Li/yr) for the marginal allied project."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or html (a report; needs -o FILE)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help=OUTPUT_HELP),
) -> None:
    """A new mine or refinery: NPV and IRR with and without a floor, the break-even floor, the floor's budget."""
    fmt = _run_format(fmt, output)

    def go():
        import pandas as pd

        from critmin.model.montecarlo.project_risk import project_analysis

        if process not in ("ou", "gbm"):
            raise ValueError(f"--process must be ou or gbm (got {process!r})")
        if not 0 <= upside_share <= 1:
            raise ValueError("--upside-share must lie in [0, 1]")
        with _Bar(f"project {mineral}", quiet, unit="price paths", steps="steps") as bar:
            bar(0, 1, 0)  # one vectorised step: the bar says it is running and how long it took
            a = project_analysis(mineral, deposit=deposit, capacity=capacity, capex=capex, opex=opex,
                                 construction_years=construction_years, ramp_years=ramp_years, life_years=life_years,
                                 tax_rate=tax_rate, discount_rate=discount_rate, floor=floor, upside_share=upside_share,
                                 term=term, confidence=confidence, draws=draws, seed=seed, process=process,
                                 series=series, sigma=sigma, kappa=kappa, price=price, quantity=quantity)
            bar(1, 1, draws)
        if fmt == "html":
            from critmin.model.montecarlo.figures import project_payload

            _write_report(project_payload(a), output)
            return
        if fmt is Format.json:
            write_json(a.to_dict())
            return
        if fmt is Format.csv:
            emit(a.returns(), fmt)
            return
        h = a.headline()
        _print_header({k: v for k, v in h.items() if not k.startswith("marginal_")})
        emit(a.returns(), fmt, title=f"NPV and IRR over {draws} price paths ({a.project.currency})")
        fc = a.floor_cost_table()
        if fc is not None:
            emit(fc, fmt, title=f"Fiscal cost of the floor over its term (present value, {a.project.currency}); "
                                f"P(floor pays) {fc.attrs['probability_floor_pays']:.2f}")
        emit(a.price_fan().iloc[:: max(1, a.prices.shape[1] // 10)], fmt,
             title=f"Simulated price per {a.project.unit} ({a.process.describe()})")
        if a.marginal is not None:
            emit(pd.DataFrame([a.marginal]), fmt, title="Marginal allied lithium project (deposit cost curve)")
        typer.echo("project inputs and sources:")
        for k, v in a.project.sources.items():
            typer.echo(f"  - {k}: {v}")
        typer.echo("price history used:")
        for s in a.segments:
            typer.echo(f"  - {s.label}: {s.series.index.min()}..{s.series.index.max()} ({s.source})")
        for n in a.notes + list(a.process.notes):
            typer.echo(f"  - {n}")

    _guard(go)


def disruptions_command(
    mineral: Optional[str] = typer.Option(None, "--mineral", help="Only rows that can apply to this mineral."),
    library: Optional[Path] = typer.Option(None, "--library", help="Another library CSV."),
    fmt: str = typer.Option("table", "--format"),
) -> None:
    """The disruption library: event kinds per exporter and mineral, probabilities, durations, severities, sources."""
    fmt = _format(fmt)

    def go():
        from critmin.model.montecarlo.disruptions import library_table, load_library
        from critmin.model.montecarlo.markets import commodity_id

        table = library_table(load_library(library))
        if mineral is not None:
            cid = commodity_id(mineral)
            table = table[table["mineral"].isin([cid, "*"])]
        if fmt is Format.table:
            emit(table, fmt, title=f"{len(table)} disruption event kinds",
                 columns=["event_id", "exporter", "mineral", "kind", "target", "enabled", "annual_probability_mean",
                          "duration", "severity", "rate_basis", "duration_basis", "severity_basis"])
            if mineral is not None:
                typer.echo("sources:")
                for rec in table.itertuples(index=False):
                    typer.echo(f"  - {rec.event_id}: rate: {rec.rate_source} | duration: {rec.duration_source} | "
                               f"severity: {rec.severity_source}")
        else:
            emit(table, fmt)

    _guard(go)


app.command("montecarlo")(montecarlo_command)
app.command("stockpile")(stockpile_command)
app.command("project")(project_command)
app.command("disruptions")(disruptions_command)
