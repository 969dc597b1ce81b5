"""Default behavioural parameters of the homogeneous-goods chain and their provenance.

Every default here is a **labelled assumption**, printed with every result that
uses it, and overridable per stage and region (market or scenario). None is an
econometric estimate for a processed critical mineral: we found no published
short- and long-run supply and demand elasticities by mineral and stage that
we could verify from the sources at hand, and say so rather than quote one.

``substitution`` (sigma_d)
    Dispersion of the origin shares of destination d's physical purchases
    (Eaton and Kortum 2002 / discrete-choice form, see :mod:`critmin.model.kernel.chain`).
    It is the elasticity of the *ratio* of tonnes bought from two origins with
    respect to the ratio of their delivered costs. As sigma grows the market
    tends to the spatial price equilibrium of Samuelson (1952) and Takayama and
    Judge (1971): one price up to trade costs and duties. Published sector-level
    trade elasticities for metals (Hertel et al. 2007, GTAP working paper 26 and
    Economic Modelling 24(4):611-635; Caliendo and Parro 2015, Review of Economic
    Studies 82(1):1-44) are estimated on broad aggregates of many grades and
    products; one grade of one refined metal is closer to homogeneous, so the
    default is set higher, at 20, and the tests cover 4 to 200. We could not
    verify the tabulated values of those papers from the sources at hand, so
    none is quoted and the default is an assumption.
``demand_short``, ``demand_long`` (epsilon)
    Absolute own-price elasticities of final use within one year and in the
    long run. The ratio short/long is the share of the gap to the long-run
    level closed each year (Nerlove partial adjustment).
``supply_short``, ``supply_long`` (eta)
    Own-price elasticities of output within one year and in the long run.

References
----------
.. [1] Samuelson, P. A. (1952). "Spatial Price Equilibrium and Linear Programming".
   American Economic Review 42(3), 283-303.
.. [2] Takayama, T. and G. G. Judge (1971). Spatial and Temporal Price and
   Allocation Models. North-Holland.
.. [3] Eaton, J. and S. Kortum (2002). "Technology, Geography, and Trade".
   Econometrica 70(5), 1741-1779.
.. [4] Nerlove, M. (1958). The Dynamics of Supply: Estimation of Farmers'
   Response to Price. Johns Hopkins Press (partial adjustment).
"""

from __future__ import annotations

from dataclasses import dataclass

CHAIN_ELASTICITY_KINDS = ("substitution", "demand_short", "demand_long", "supply_short", "supply_long")


@dataclass(frozen=True)
class ChainDefault:
    """A default parameter value, its label and why."""

    kind: str
    value: float
    rationale: str

    def describe(self) -> str:
        return f"{self.kind} default {self.value:g} (assumption, overridable): {self.rationale}"


CHAIN_DEFAULTS: dict[str, ChainDefault] = {
    "substitution": ChainDefault(
        "substitution", 20.0,
        "near-homogeneous metal of one grade: a route whose share of a destination's tonnes doubles is "
        "ln2/20 = 3.5% cheaper delivered, relative to the others, than at the base; tested from 4 to 200"),
    "demand_short": ChainDefault(
        "demand_short", 0.2,
        "processed minerals are a small cost share of the goods they enter; users cannot redesign "
        "products within a year"),
    "demand_long": ChainDefault(
        "demand_long", 0.6,
        "over several years users substitute materials and thrift; with the short-run value, "
        "a third of the gap to the long-run level closes each year"),
    "supply_short": ChainDefault(
        "supply_short", 0.3,
        "existing mines and plants can raise utilisation but not capacity within a year"),
    "supply_long": ChainDefault(
        "supply_long", 1.5,
        "new capacity takes several years (permits, construction, qualification); with the short-run "
        "value, a fifth of the gap to the long-run level closes each year"),
}

#: Default annual growth of baseline final use (0: a stationary baseline), an assumption.
DEFAULT_GROWTH = ChainDefault("growth", 0.0, "no trend in final use unless the market or scenario states one")
