"""Calibration of chain-engine markets from the knowledge base, in small modules passing one inputs object.

=================  =====================================================================
module             what it does
=================  =====================================================================
``inputs``         :class:`MarketInputs` and :class:`Figure`: the validated inputs object
``specs``          documented series choices per mineral-stage (defaults and alternatives)
``production``     production by country (USGS MCS, World Mining Data, EU CRM shares)
``trade``          bilateral flows (BACI content tonnes, BACI values, USGS import shares)
``prices``         base price on the market's basis, or a refusal
``consumption``    US salient statistics and the bound on a withheld US output
``assemble``       :func:`calibrate_market`: inputs -> low and high :class:`ChainMarket`
``linked``         :func:`calibrate_chain`: mine -> processing chains, feed balance, coefficients
``rare_earths``    the rare-earth chain's readers (separation stage in REO content)
``elasticities``   behavioural parameters from ``elasticities.csv``, cited or labelled
``registry``       every market (single stages and chains) with its status
``history``        replays of export-control episodes against the knowledge base's prices
=================  =====================================================================

The Armington calibration (:func:`critmin.model.calibrate_kb.calibrate_from_kb`) stays for
the presets and the web builder until the interfaces move to the chain engine.
"""

from .assemble import BASE_YEAR, KBMarket, calibrate_market, range_table
from .elasticities import multiplier_range
from .inputs import Figure, KBBasisError, KBDataError, MarketInputs
from .linked import FeedBalance, KBChain, calibrate_chain, feed_balance
from .registry import by_key, calibrated, chains, markets, missing_reason, universe

__all__ = ["BASE_YEAR", "FeedBalance", "Figure", "KBBasisError", "KBChain", "KBDataError", "KBMarket", "MarketInputs",
           "by_key", "calibrate_chain", "calibrate_market", "calibrated", "chains", "feed_balance", "markets",
           "missing_reason", "multiplier_range", "range_table", "universe"]
