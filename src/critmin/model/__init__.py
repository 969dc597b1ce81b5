"""Policy-simulation engine.

Two formulations: :mod:`critmin.model.chain` (the default for near-homogeneous goods: stages of
multi-region markets in physical tonnes, linked by input coefficients, over years) and the
Armington partial-equilibrium model in levels (one stage, one year) whose API follows.

Public API
----------
simulate, simulate_many, simulate_batch, compare, sweep, baseline
    Solve scenarios (see :mod:`critmin.model.simulation`).
load_scenario, list_presets
    Scenario files and the presets shipped in ``critmin/scenarios``.
calibrate, calibrate_from_tables, calibrate_from_kb
    Build a :class:`Market` from vectors, tidy tables, or the knowledge-base snapshot.
Market, Instruments, Result, BatchResult
    Data structures.
gsim_linear
    The linearised (GSIM) solution, for comparison with the levels model.
"""

from .calibrate import calibrate, calibrate_from_tables, proportional_sourcing
from .calibrate_kb import KBCalibrationError, calibrate_from_kb
from .instruments import Instruments
from .linearised import gsim_linear
from .market import Market, MarketError
from .results import BatchResult, Result
from .scenario import Scenario, ScenarioError, load_scenario
from .simulation import baseline, compare, list_presets, prepare_scenario, simulate, simulate_batch, simulate_many, sweep

__all__ = [
    "BatchResult",
    "Instruments",
    "KBCalibrationError",
    "Market",
    "MarketError",
    "Result",
    "Scenario",
    "ScenarioError",
    "baseline",
    "calibrate",
    "calibrate_from_kb",
    "calibrate_from_tables",
    "compare",
    "gsim_linear",
    "list_presets",
    "load_scenario",
    "prepare_scenario",
    "proportional_sourcing",
    "simulate",
    "simulate_batch",
    "simulate_many",
    "sweep",
]
