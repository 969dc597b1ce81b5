"""critmin composite supply-risk index, per stage, with explicit weights.

Formula
-------
::

    CSR = 0.25 * HHI + 0.25 * FEOC + 0.30 * NIR + 0.20 * XC

every term on 0-1:

* ``HHI``: concentration of world production of the stage (listed producers);
* ``FEOC``: share of the stage's world production in foreign countries of concern (China,
  Hong Kong, Russia, North Korea, Iran);
* ``NIR``: US net import reliance (fraction; 0 for a net exporter; bounded when published
  bounded);
* ``XC``: share of the stage's world production in countries with an export control in
  force on the mineral.

Why these weights: import reliance is what turns a concentrated market into a US exposure,
so it carries the most (0.30); concentration and adversary control carry a quarter each;
export controls, a narrower and often temporary lever, 0.20. The weights are a policy
choice, not an estimate; pass ``weights`` to use others. Every term must be known: a
missing term gives ``insufficient_data``, never a renormalised score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from critmin.analysis.interval import Interval
from critmin.analysis.risk.result import RiskResult, finish, term

METHOD = "composite"
VERSION = "critmin-composite/1"
WEIGHTS: dict[str, float] = {"hhi": 0.25, "feoc_share": 0.25, "import_reliance": 0.30, "export_control_share": 0.20}
DESCRIPTIONS = {
    "hhi": "HHI of world production of the stage",
    "feoc_share": "FEOC share of world production of the stage",
    "import_reliance": "US net import reliance",
    "export_control_share": "share of world production under export controls in force",
}


def score(
    terms: Mapping[str, Interval | float | None],
    *,
    weights: Mapping[str, float] = WEIGHTS,
    commodity_id: str | None = None,
    stage: str | None = None,
    sources: Sequence[str] = (),
) -> RiskResult:
    """Weighted sum of the terms; each term in [0, 1], weights summing to 1."""
    total_w = sum(weights.values())
    if abs(total_w - 1.0) > 1e-9:
        raise ValueError(f"weights sum to {total_w}, not 1")
    value = Interval(0.0, 0.0)
    missing = []
    out = {}
    for name, w in weights.items():
        x = terms.get(name)
        iv = None if x is None else (x if isinstance(x, Interval) else Interval.exact(float(x)))
        out[name] = term(iv)
        if iv is None:
            missing.append(DESCRIPTIONS.get(name, name))
            continue
        if iv.low < -1e-9 or iv.high > 1 + 1e-9:
            raise ValueError(f"term {name} = {iv} is outside [0, 1]")
        value = value + iv * w
    out["weights"] = dict(weights)
    return finish(METHOD, VERSION, commodity_id, stage, None if missing else value, out, missing, sources)
