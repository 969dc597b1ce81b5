"""The homogeneous-goods policy engine: a mineral as a chain of stage markets in physical tonnes, over years.

Public pieces
-------------
ChainMarket, Stage, ChainError
    The calibrated base-year container (:mod:`critmin.model.chain.market`).
chain_from_tables
    Build one from tidy country tables (:mod:`critmin.model.chain.tables`).
"""

from .market import ChainError, ChainMarket, Stage
from .tables import chain_from_tables, region_map

__all__ = ["ChainError", "ChainMarket", "Stage", "chain_from_tables", "region_map"]
