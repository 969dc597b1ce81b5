"""Risk at scale: disruption Monte Carlo, stockpiles, floor budgets and project returns.

Everything runs through a small evaluator interface (:mod:`.evaluator`: shocks in,
outcome arrays out, batched), so the engine behind it can change; today it is the static
equilibrium engine of :mod:`critmin.model`.

Modules
-------
sampling          seeded plain random and Latin hypercube draws, independent of chunking
distributions     inverse-CDF distributions of uncertain inputs
register_rates    annual event rates counted from the export-control register
disruptions       the disruption library (``disruptions.csv``) and its matching to a market
design            uniforms -> event paths, elasticity draws, data-interval strata -> shocks
evaluator         the evaluator interface and the adapter for the current engine
markets           which calibrated market a mineral uses (presets, knowledge base, intervals)
runner            chunks, in-process or Dask backends, Parquet checkpoints, resume
summary           distributions, expected loss and its breakdown by event
discovery         scenario discovery: rank correlations, conditional quantiles, PRIM boxes
stockpile         the stock and release rule covering a probability of shortfall, and its cost
disruption_risk   the entry points below
price_paths       price processes fitted to the knowledge base's own price series
floors            the fiscal cost of a price floor (contract for difference) over its term
projects          NPV and IRR of a new mine or refinery, with and without a floor
cost_curve        the lithium deposit cost curve and the marginal allied project
"""

from .disruption_risk import DisruptionRun, disruption_montecarlo, expected_loss_ranking, setup, stockpile_sizing
from .runner import MonteCarloError, RunResult, load_run, run

__all__ = [
    "DisruptionRun",
    "MonteCarloError",
    "RunResult",
    "disruption_montecarlo",
    "expected_loss_ranking",
    "load_run",
    "run",
    "setup",
    "stockpile_sizing",
]
