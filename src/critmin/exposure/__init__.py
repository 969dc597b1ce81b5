"""Company exposure: a bill of materials in; exposure by mineral, stage and country, policy cost
and origin rules out.

>>> from critmin import exposure
>>> res = exposure.assess(exposure.example_path("battery_pack"), rule_sets=["ira30d"])   # doctest: +SKIP
>>> res.company; res.indicators; res.eligibility                                         # doctest: +SKIP

Modules: :mod:`bom` (reading and validating a bill), :mod:`contents` (the content library),
:mod:`upstream` (upstream-shares providers), :mod:`exposure` (the arithmetic), :mod:`policy`
(scenario cost), :mod:`rules` (USMCA, marketplace, IRC 30D), :mod:`diversification`,
:mod:`assess` (everything in one call), :mod:`trade_shares` (upstream shares from CEPII BACI exports).
"""

from critmin.exposure.assess import ExposureResult, assess, example_names, example_path
from critmin.exposure.bom import Bom, BomError, BomProblem, read_bom, read_bom_bytes, validate_bom
from critmin.exposure.contents import content_library, mass_fraction, not_covered
from critmin.exposure.policy import ScenarioEffects, engine_price_changes
from critmin.exposure.rules import load_rules, rvc_net_cost, rvc_transaction_value
from critmin.exposure.upstream import ChainedShares, FixedShares, ProductionShares, ShareSet, UpstreamShares

__all__ = [
    "Bom", "BomError", "BomProblem", "ChainedShares", "ExposureResult", "FixedShares", "ProductionShares",
    "ScenarioEffects", "ShareSet", "UpstreamShares", "assess", "content_library", "engine_price_changes",
    "example_names", "example_path", "load_rules", "mass_fraction", "not_covered", "read_bom", "read_bom_bytes",
    "rvc_net_cost", "rvc_transaction_value", "validate_bom",
]
