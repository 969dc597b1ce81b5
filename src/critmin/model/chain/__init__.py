"""The homogeneous-goods policy engine: a mineral as a chain of stage markets in physical tonnes, over years.

Public pieces
-------------
ChainMarket, Stage, ChainError
    The calibrated base-year container (:mod:`critmin.model.chain.market`).
chain_from_tables
    Build one from tidy country tables (:mod:`critmin.model.chain.tables`).
ChainPolicies, Horizon, compile_chain_policies, ORDER
    Declarative instruments and their compilation, one ``apply_<instrument>`` each.
simulate_chain, simulate_chains, stack_scenarios, run_chain
    Solve one scenario, one scenario over several minerals, several scenarios in a batch, or raw arrays.
ChainScenario, simulate_scenario, ScenarioResult, check_scenario, compare_scenarios
    Scenario files (``engine: chain``, :mod:`.scenario_file`) and their solution over every mineral and
    market variant, with units, welfare and ranges (:mod:`.run`, :mod:`.welfare`, :mod:`.units`).
"""

from .instruments import ChainInstruments
from .market import ChainError, ChainMarket, Stage
from .policies import ORDER, ChainScenarioError, compile_chain_policies
from .results import ChainBatch, ChainResult
from .scenario import ChainPolicies, Horizon
from .simulate import run_chain, simulate_chain, simulate_chains, stack_scenarios
from .tables import chain_from_tables, region_map
from .scenario_file import ChainScenario, check_scenario
from .run import ScenarioResult, compare_scenarios, simulate_scenario

__all__ = ["ORDER", "ChainBatch", "ChainError", "ChainInstruments", "ChainMarket", "ChainPolicies", "ChainResult",
           "ChainScenario", "ChainScenarioError", "Horizon", "ScenarioResult", "Stage", "chain_from_tables",
           "check_scenario", "compare_scenarios", "compile_chain_policies", "region_map", "run_chain",
           "simulate_chain", "simulate_chains", "simulate_scenario", "stack_scenarios"]
