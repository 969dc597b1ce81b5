"""The result every supply-risk method returns: a score with its breakdown and sources."""

from __future__ import annotations

from dataclasses import dataclass, field

from critmin.analysis.interval import Interval

OK = "ok"
BOUNDED = "bounded"
INSUFFICIENT = "insufficient_data"


@dataclass(frozen=True)
class RiskResult:
    """One method applied to one mineral (and stage).

    Attributes
    ----------
    method, version
        The method's name and version (:data:`critmin.analysis.risk.METHODS`).
    status
        ``ok`` (a number), ``bounded`` (only bounds are known because an input was
        published as a bound, e.g. net import reliance ``>95``) or ``insufficient_data``
        (an input is missing: ``missing`` lists it, and no score is given).
    score, low, high
        The score when known exactly; its bounds when bounded (``score`` then null).
    terms
        The breakdown: every term of the formula, named as in the method's docstring.
    missing
        What is missing, in words a user can act on (``"EoL-RIR (end-of-life recycling
        input rate)"``, ``"WGI of COD"``).
    sources
        Source ids of the snapshot (and citations of caller-supplied inputs) used.
    """

    method: str
    version: str
    commodity_id: str | None
    stage: str | None
    status: str
    score: float | None
    low: float | None
    high: float | None
    terms: dict = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def as_record(self) -> dict:
        """A flat dict: the fixed fields, then ``term_<name>`` per breakdown term."""
        rec = {
            "method": self.method, "version": self.version, "commodity_id": self.commodity_id,
            "stage": self.stage, "status": self.status, "score": self.score, "low": self.low,
            "high": self.high, "missing": "; ".join(self.missing), "sources": "; ".join(self.sources),
            "notes": "; ".join(self.notes),
        }
        for k, v in self.terms.items():
            rec[f"term_{k}"] = v
        return rec


def finish(
    method: str,
    version: str,
    commodity_id: str | None,
    stage: str | None,
    value: Interval | None,
    terms: dict,
    missing: list[str] | tuple[str, ...],
    sources: list[str] | tuple[str, ...],
    notes: list[str] | tuple[str, ...] = (),
    digits: int = 6,
) -> RiskResult:
    """Build a :class:`RiskResult`; with anything missing, no score at all."""
    missing = tuple(dict.fromkeys(missing))
    sources = tuple(dict.fromkeys(s for s in sources if s))
    if missing or value is None:
        return RiskResult(method, version, commodity_id, stage, INSUFFICIENT, None, None, None,
                          terms, missing or ("an input of the method",), sources, tuple(notes))
    lo, hi = round(value.low, digits), round(value.high, digits)
    if lo == hi:
        return RiskResult(method, version, commodity_id, stage, OK, lo, lo, hi, terms, (), sources, tuple(notes))
    return RiskResult(method, version, commodity_id, stage, BOUNDED, None, lo, hi, terms, (), sources, tuple(notes))


def term(iv: Interval | None, digits: int = 6):
    """A breakdown term: the number, or ``[low, high]`` when bounded, or ``None``."""
    if iv is None:
        return None
    if iv.is_point:
        return round(iv.low, digits)
    return [round(iv.low, digits), round(iv.high, digits)]
