"""The null-and-reason contract: what a batch member that did not solve may report.

A member whose solve failed (infeasible, no equilibrium, a Newton search that stalled, a
market that does not clear) has no equilibrium, so it has no prices, quantities, welfare or
indicators: every figure that depends on the solution is null (NaN in arrays and frames,
``None`` in JSON, an empty cell in CSV) and the member carries its status and the reason
instead. Figures that do not depend on the solve stay: the base point (``*_base`` columns,
``base_*`` indicators) and the instrument settings the user asked for (tariff rates,
permitted flows, stockpile purchases). A converged member whose figures are not all finite
(an overflow on extreme inputs) is reclassified as failed, so "converged" always comes with
numbers.

Aggregates over members (a comparison, a sweep, a batch summary) never fold a failed member
into a number: a total with a missing part is missing (:func:`total_row`), and
:func:`outcome_counts` / :func:`failure_note` say how many members failed and why.

Every engine builds its result tables through these functions from a status array, so the
contract lives here and nowhere else: the Armington engine (:class:`critmin.model.results.BatchResult`)
and the chain engine (:class:`critmin.model.chain.results.ChainBatch`, one status per member for
its whole horizon) report ``status`` and ``message`` per member, null figures for failed members, and
``attrs["outcome"]`` (:func:`outcome_counts`) and ``attrs["failure_note"]`` on their summaries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .kernel.status import STATUS_CONVERGED, STATUS_NAMES, STATUS_NOT_FINITE, STATUS_TEXT

CONVERGED = STATUS_NAMES[STATUS_CONVERGED]
#: Status of a member the kernel called converged but whose figures overflowed (in the one status table).
NOT_FINITE = STATUS_NAMES[STATUS_NOT_FINITE]
NOT_FINITE_MESSAGE = STATUS_TEXT[STATUS_NOT_FINITE]
#: Status name -> code of the one status table (:mod:`critmin.model.kernel.status`).
STATUS_CODES = {name: code for code, name in STATUS_NAMES.items()}


def status_codes(status: Sequence[str] | np.ndarray) -> np.ndarray:
    """Status names as the one status table's integer codes (int16), e.g. for Monte Carlo outcome arrays."""
    try:
        return np.array([STATUS_CODES[str(s)] for s in status], dtype=np.int16)
    except KeyError as err:
        raise ValueError(f"status {err.args[0]!r} is not in the status table {sorted(STATUS_CODES)}") from None


def status_names(codes: np.ndarray, names: Mapping[int, str]) -> np.ndarray:
    """An engine's integer status codes as an object array of status names (vectorised)."""
    table = np.array([names.get(k, f"status_{k}") for k in range(max(names) + 1)], dtype=object)
    return table[np.asarray(codes, dtype=np.intp)]


def failed_mask(status: Sequence[str] | np.ndarray) -> np.ndarray:
    """True for every member whose status is not ``converged``."""
    return np.asarray(status, dtype=object) != CONVERGED


def check_finite(status: Sequence[str] | np.ndarray, messages: Sequence[str],
                 arrays: Iterable[np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """Statuses (an object array) and messages with converged members whose arrays hold a
    non-finite value marked failed (:data:`NOT_FINITE`).

    ``arrays`` have the batch on their first axis (any further shape); NaN entries that a
    converged member legitimately has (an inactive destination, no production) must not be
    passed here: give the arrays every converged member fills.
    """
    status = np.array(status, dtype=object, copy=True)
    messages = list(messages)
    bad = np.zeros(len(status), dtype=bool)
    for a in arrays:
        a = np.asarray(a, dtype=float)
        bad |= ~np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    for i in np.nonzero(bad & (status == CONVERGED))[0]:
        status[i], messages[i] = NOT_FINITE, NOT_FINITE_MESSAGE
    return status, messages


def blank_members(arrays: Mapping[str, np.ndarray], failed: np.ndarray) -> dict[str, np.ndarray]:
    """Copies of batch arrays (batch on the first axis) with every failed member's entries NaN."""
    out = {}
    for key, a in arrays.items():
        a = np.array(a, dtype=float, copy=True)
        a[failed] = np.nan
        out[key] = a
    return out


def withhold(frame: pd.DataFrame, failed: bool, keep: Iterable[str] = ()) -> pd.DataFrame:
    """One member's table with every column except ``keep`` null when the member failed.

    Columns ending in ``_base`` are always kept: the base point does not depend on the solve.
    Boolean and other non-float columns become objects holding ``None``.
    """
    if not failed:
        return frame
    frame = frame.copy()
    kept = set(keep)
    for col in frame.columns:
        if col in kept or str(col).endswith("_base"):
            continue
        if pd.api.types.is_float_dtype(frame[col]):
            frame[col] = np.nan
        else:
            frame[col] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame


def withhold_rows(frame: pd.DataFrame, failed: np.ndarray, keep: Iterable[str] = ()) -> pd.DataFrame:
    """A table with one row per member: the failed rows' columns, except ``keep``, null."""
    failed = np.asarray(failed, dtype=bool)
    if not failed.any():
        return frame
    frame = frame.copy()
    kept = set(keep)
    for col in frame.columns:
        if col in kept or str(col).startswith("base_"):
            continue
        if not pd.api.types.is_float_dtype(frame[col]):
            frame[col] = frame[col].astype(object)
            frame.loc[failed, col] = None
        else:
            frame.loc[failed, col] = np.nan
    return frame


def total_row(frame: pd.DataFrame) -> pd.Series:
    """Column sums where a missing entry makes the total missing (never a partial sum)."""
    return frame.sum(axis=0, skipna=False, min_count=1)


def indicators(values: Mapping[str, float], failed: bool) -> dict[str, float]:
    """A member's indicators with every one not prefixed ``base_`` NaN when it failed."""
    if not failed:
        return dict(values)
    return {k: (v if k.startswith("base_") else float("nan")) for k, v in values.items()}


def outcome_counts(status: Sequence[str]) -> dict[str, object]:
    """``{"members": n, "converged": k, "failed": n - k, "by_status": {status: count}}`` (failures only)."""
    status = list(status)
    failures = Counter(str(s) for s in status if s != CONVERGED)
    n_failed = sum(failures.values())
    return {"members": len(status), "converged": len(status) - n_failed, "failed": n_failed,
            "by_status": dict(sorted(failures.items()))}


def summary_attrs(frame: pd.DataFrame, status: Sequence[str], names: Sequence[str] | None = None,
                  noun: str = "members") -> pd.DataFrame:
    """Attach ``attrs["outcome"]`` and ``attrs["failure_note"]`` to a summary table (returned)."""
    frame.attrs["outcome"] = outcome_counts(status)
    frame.attrs["failure_note"] = failure_note(status, names, noun)
    return frame


def failure_note(status: Sequence[str], names: Sequence[str] | None = None, noun: str = "members") -> str:
    """A sentence saying how many members did not solve and why (empty when all converged).

    ``"1 of 3 scenarios did not solve (floor: line_search_failed); their figures are null"``
    """
    counts = outcome_counts(status)
    if not counts["failed"]:
        return ""
    if names is not None and counts["failed"] <= 10:
        which = ", ".join(f"{n}: {s}" for n, s in zip(names, status) if s != CONVERGED)
    else:
        which = ", ".join(f"{s}: {k}" for s, k in counts["by_status"].items())
    return f"{counts['failed']} of {counts['members']} {noun} did not solve ({which}); their figures are null"
