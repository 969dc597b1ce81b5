"""Default behavioural elasticities and their provenance.

Every default is labelled. None of the defaults below is an econometric estimate
for a processed critical mineral: they are *assumptions*, and every result that
uses one says so in its ``assumptions`` list. Users override them per region in
the scenario file (``market.elasticities``).

Sign conventions (all non-negative numbers):

* ``substitution`` (sigma_d): Armington elasticity of substitution between
  origins in the CES nest of destination d.
* ``demand`` (epsilon_d): absolute own-price elasticity of composite demand in
  d, ``D_d = B_d P_d**(-epsilon_d)``.
* ``supply`` (eta_o): own-price elasticity of supply of origin o,
  ``S_o = A_o p_o**eta_o``; ``inf`` means perfectly elastic supply at the base
  price (a small-country or price-taking origin).

References
----------
.. [1] Armington, P. S. (1969). "A Theory of Demand for Products Distinguished
   by Place of Production". IMF Staff Papers 16(1), 159-178.
.. [2] Francois, J. F. and H. K. Hall (2003). "Global Simulation Analysis of
   Industry-Level Trade Policy", version 3.0. (GSIM: the same three elasticity
   types, supplied by the user.)
"""

from __future__ import annotations

from dataclasses import dataclass

ELASTICITY_KINDS = ("substitution", "demand", "supply")


@dataclass(frozen=True)
class ElasticityDefault:
    """A default elasticity value with its provenance.

    Attributes
    ----------
    kind : str
        One of ``substitution``, ``demand``, ``supply``.
    value : float
        The default value.
    source : str
        ``"assumption"`` or a full citation.
    rationale : str
        Why this value, in one sentence.
    """

    kind: str
    value: float
    source: str
    rationale: str

    @property
    def is_assumption(self) -> bool:
        return self.source == "assumption"

    def describe(self) -> str:
        label = "user-overridable assumption" if self.is_assumption else f"source: {self.source}"
        return f"{self.kind} elasticity default {self.value:g} ({label}): {self.rationale}"


DEFAULT_ELASTICITIES: dict[str, ElasticityDefault] = {
    "substitution": ElasticityDefault(
        "substitution",
        3.0,
        "assumption",
        "a processed mineral of one grade is close to homogeneous, but qualification of "
        "suppliers and origin rules keep origins imperfect substitutes in the short run",
    ),
    "demand": ElasticityDefault(
        "demand",
        0.5,
        "assumption",
        "processed minerals are a small cost share of the goods they enter, so short-run "
        "demand is price-inelastic",
    ),
    "supply": ElasticityDefault(
        "supply",
        1.0,
        "assumption",
        "refining capacity is slow to build; unit elasticity is a neutral medium-run guess",
    ),
}
