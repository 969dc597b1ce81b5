"""The status of export controls, agreements and dates on a given day, from their dates.

A register entry (:class:`Entry`) is a measure (an export control), an agreement, a status
change of measures or agreements (:class:`StatusChange`: suspended, extended, resumed,
lifted, reinstated, lapsed) or a date to watch. Nothing here reads a file or the clock:
``today`` is always an argument, so the same register gives the right answer on any day and
the tests can walk the calendar.

Rules
-----
A measure's status on ``today`` follows from its own dates and the status changes dated on
or before ``today``, applied in date order:

* ``announced``: its effective date (or, without one, its announcement) is after today;
* ``in_force``: in effect, not suspended, lifted or expired;
* ``suspended``: a suspension covers today (its start <= today <= its end, ``until``);
* ``suspension_lapsed``: a suspension ended before today and no later change extends it,
  lifts the measure or says otherwise: the measure applies again by its own terms. The
  register cannot know what happened after its last entry, so the status names the day
  the suspension ended and that no extension is recorded;
* ``expired``: the measure's own end date is before today and nothing extends it;
* ``lifted``: withdrawn (the WTO DS431 quotas).

``extended`` moves the end of the suspension in place (or just lapsed, when the extension
is dated after the end), else the end of the measure itself. ``resumed`` ends a suspension
early; ``reinstated`` undoes a lifting; ``lapsed`` records that a suspension was confirmed
to have ended.

An agreement is ``announced`` before its signing date, ``signed`` from it, ``expired``
after its end date, ``suspended`` or ``lifted`` (terminated) by status changes as above.
A date to watch is ``upcoming``, ``today`` or ``passed``; a month-precision date passes
when its month is over.

The date to watch next (:func:`next_date`) is the earliest item of the :func:`calendar` on
or after today: a date entry, a status change, the end of a suspension or extension that no
later change replaced, a measure's effective date, a measure's or an agreement's end date.
When none is recorded, it says so (and names the last date recorded) instead of inventing
one.
"""

from __future__ import annotations

import calendar as _months
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Kinds of register entries.
MEASURE, AGREEMENT, STATUS, DATE = "measure", "agreement", "status", "date"
KINDS = (MEASURE, AGREEMENT, STATUS, DATE)
#: Status changes a :class:`StatusChange` can record.
CHANGES = ("suspended", "extended", "resumed", "lifted", "reinstated", "lapsed")
#: Changes that carry an end date (``until``) and those that must not.
CHANGES_WITH_UNTIL = ("suspended", "extended")
#: How far a date or entry has been checked, strongest first.
VERIFICATION = ("official", "corroborated", "secondary", "unverified")


@dataclass(frozen=True)
class Day:
    """A date as published: day precision, or month precision (``2025-04``)."""

    date: dt.date
    precision: str = "day"  # "day" | "month" | "year"

    @property
    def last(self) -> dt.date:
        """The last day the published date can mean (the end of its month or year)."""
        if self.precision == "month":
            return self.date.replace(day=_months.monthrange(self.date.year, self.date.month)[1])
        if self.precision == "year":
            return self.date.replace(month=12, day=31)
        return self.date

    def text(self) -> str:
        return {"month": self.date.strftime("%Y-%m"), "year": str(self.date.year)}.get(self.precision, self.date.isoformat())


@dataclass(frozen=True)
class Entry:
    """One register entry; which fields matter depends on ``kind`` (see module docstring)."""

    entry_id: str
    kind: str
    title: str = ""
    country_iso3: str | None = None  # the restricting country; an agreement's partner
    partners: tuple[str, ...] = ()  # agreement partners (ISO3)
    target_iso3: str | None = None  # the destination a measure is aimed at (China -> USA)
    materials: tuple[str, ...] = ()  # as published
    commodity_ids: tuple[str, ...] = ()
    measure_type: str = ""
    announced: Day | None = None
    effective: Day | None = None
    end: Day | None = None
    date: Day | None = None  # date entries and status changes
    status: str = ""  # the change of a status entry; the published status of a snapshot measure
    until: Day | None = None
    applies_to: tuple[str, ...] = ()
    part: str = ""  # the part of a measure a status change covers ("clause 2")
    category: str = ""
    detail: str = ""
    source_url: str | None = None
    verification: str = "unverified"
    verification_note: str = ""
    origin: str = ""  # where the entry comes from: built-in, a snapshot table, or a user file
    origin_row: int | None = None


@dataclass(frozen=True)
class StatusOnDay:
    """The computed status of a measure or an agreement on ``today``."""

    entry_id: str
    status: str
    since: Day | None
    until: Day | None
    next_date: dt.date | None
    next_what: str
    explanation: str
    changes: tuple[str, ...] = field(default_factory=tuple)  # ids of the status changes applied
    needs_check: bool = False


def _start(entry: Entry) -> Day | None:
    return entry.effective or entry.announced


def _label(change: Entry) -> str:
    what = change.title or change.entry_id
    return f"{what}{f' ({change.part})' if change.part else ''}"


def status_on(entry: Entry, changes: Sequence[Entry], today: dt.date) -> StatusOnDay:
    """The status of one measure or agreement on ``today`` (rules in the module docstring).

    Parameters
    ----------
    entry
        A ``measure`` or ``agreement`` entry.
    changes
        Status changes (``kind == "status"``) whose ``applies_to`` names this entry; those
        dated after ``today`` are not applied but can be the next date.
    today
        The reference day.
    """
    if entry.kind not in (MEASURE, AGREEMENT):
        raise ValueError(f"status_on needs a measure or an agreement, not {entry.kind!r}")
    start = _start(entry) if entry.kind == MEASURE else (entry.date or entry.announced)
    base = "in_force" if entry.kind == MEASURE else "signed"
    state, since, explanation = base, start, ""
    # A snapshot measure published only as "lifted" or "suspended", with no dated change
    # recorded for it, keeps the published status: there is no date to compute from.
    undated = entry.kind == MEASURE and not changes
    if undated and entry.status == "lifted":
        state, explanation = "lifted", "lifted, as published (no date recorded)"
    elif undated and entry.status == "suspended":
        state, explanation = "suspended", "suspended, as published; no end date recorded"
    end = entry.end
    suspension_end: Day | None = None
    lapsed: Day | None = None  # the end of a suspension that ran out with nothing recorded after it
    applied: list[str] = []

    def run_out(day: dt.date) -> None:
        nonlocal state, lapsed, suspension_end
        if state == "suspended" and suspension_end is not None and suspension_end.last < day:
            state, lapsed, suspension_end = base, suspension_end, None

    ordered = sorted(changes, key=lambda c: (c.date.date if c.date else dt.date.min, c.entry_id))
    for c in ordered:
        if c.date is None or c.date.date > today:
            continue
        run_out(c.date.date)
        applied.append(c.entry_id)
        if c.status == "suspended":
            state, since, suspension_end, lapsed = "suspended", c.date, c.until, None
            explanation = f"suspended from {c.date.text()} until {c.until.text() if c.until else '?'} by {_label(c)}"
        elif c.status == "extended" and state == "suspended":
            suspension_end = c.until
            explanation = f"suspension extended until {c.until.text()} by {_label(c)}"
        elif c.status == "extended" and lapsed is not None:
            state, since, suspension_end, lapsed = "suspended", c.date, c.until, None
            explanation = f"suspension renewed from {c.date.text()} until {c.until.text()} by {_label(c)}"
        elif c.status == "extended":
            end = c.until
            explanation = f"extended until {c.until.text()} by {_label(c)}"
        elif c.status in ("resumed", "lapsed", "reinstated"):
            state, since, suspension_end, lapsed = base, c.date, None, None
            explanation = {"resumed": "suspension ended early on {d} by {w}",
                           "lapsed": "suspension ended on {d}, as recorded by {w}",
                           "reinstated": "reinstated on {d} by {w}"}[c.status].format(d=c.date.text(), w=_label(c))
        elif c.status == "lifted":
            state, since, suspension_end, lapsed = "lifted", c.date, None, None
            explanation = f"lifted on {c.date.text()} by {_label(c)}"
    run_out(today)

    until: Day | None = None
    next_at: dt.date | None = None
    next_what = ""
    needs_check = False
    if state == "suspended":
        until = suspension_end
        if suspension_end is not None:
            next_at, next_what = suspension_end.last, "end of the suspension"
        else:
            needs_check = True  # suspended with no end recorded: nothing to count down to
    elif state == base and start is not None and start.date > today:
        state = "announced"
        explanation = f"{'takes effect' if entry.kind == MEASURE else 'to be signed'} on {start.text()}"
        next_at, next_what = start.date, "takes effect" if entry.kind == MEASURE else "signing"
    elif state == base and end is not None and end.last < today:
        state, since, needs_check = "expired", Day(end.last + dt.timedelta(days=1)), True
        explanation = f"its end date {end.text()} has passed and no extension is recorded"
    elif state == base and lapsed is not None:
        state, since, needs_check = "suspension_lapsed", Day(lapsed.last + dt.timedelta(days=1)), True
        explanation = (f"the suspension ended on {lapsed.text()} and no extension is recorded: the measure "
                       "applies again by its own terms (check for a later announcement)")
    elif state == base:
        if not explanation:
            explanation = (f"in effect since {start.text()}" if entry.kind == MEASURE and start else
                           f"signed {start.text()}" if start else "in effect as published (no date recorded)")
        until = end
        if end is not None:
            next_at, next_what = end.last, "end date"
    future = [c for c in ordered if c.date is not None and c.date.date > today]
    if future and (next_at is None or future[0].date.date < next_at):
        next_at, next_what = future[0].date.date, f"{future[0].status}: {_label(future[0])}"
    return StatusOnDay(entry.entry_id, state, since, until, next_at, next_what, explanation, tuple(applied), needs_check)


def date_status(day: Day, today: dt.date) -> str:
    """``passed``, ``today`` or ``upcoming`` for a date to watch (month precision passes
    when its month is over)."""
    if day.last < today:
        return "passed"
    if day.date <= today <= day.last:
        return "today"
    return "upcoming"


def changes_for(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Status changes by the id of each entry they apply to."""
    out: dict[str, list[Entry]] = {}
    for e in entries:
        if e.kind == STATUS:
            for target in e.applies_to:
                out.setdefault(target, []).append(e)
    return out


#: Status changes that end or replace a suspension recorded earlier.
_ENDS_SUSPENSION = ("extended", "resumed", "lapsed", "lifted", "suspended")


def _superseded(change: Entry, changes: Sequence[Entry]) -> str | None:
    """The id of a later change that replaces ``change``'s end date, or None.

    A suspension's end (``until``) no longer holds once a change dated on or after its
    start and on or before its end touches one of the same measures (an extension, an
    early resumption, a lifting, a new suspension).
    """
    if change.until is None or change.date is None:
        return None
    for other in changes:
        if other is change or other.date is None or other.status not in _ENDS_SUSPENSION:
            continue
        if not set(other.applies_to) & set(change.applies_to):
            continue
        if change.date.date <= other.date.date <= change.until.last and (other.date.date, other.entry_id) > (change.date.date, change.entry_id):
            return other.entry_id
    return None


_CATEGORY = {STATUS: "export_controls", MEASURE: "export_controls", AGREEMENT: "agreements"}


def calendar(entries: Sequence[Entry], today: dt.date) -> list[dict]:
    """Every recorded date, earliest first, each with its status relative to ``today``.

    Items: date entries; each status change on its date; the end of each suspension or
    extension (``until``), marked ``superseded`` when a later change replaced it; and the
    effective dates and end dates of measures and agreements that lie ahead of ``today``
    (past ones are their history, shown with the entry). Keys: ``date`` (ISO), ``precision``,
    ``title``, ``detail``, ``kind`` (``date``, ``status_change``, ``status_end``,
    ``takes_effect``, ``end_date``), ``category``, ``entry_id``, ``country``, ``applies_to``,
    ``source_url``, ``verification``, ``status`` (``passed``, ``today``, ``upcoming`` or
    ``superseded``), ``days_from_today``.
    """
    changes = [e for e in entries if e.kind == STATUS]
    items: list[dict] = []

    def add(day: Day, title: str, detail: str, kind: str, e: Entry, *, superseded: str | None = None) -> None:
        items.append({
            "date": day.date.isoformat(), "precision": day.precision, "title": title, "detail": detail,
            "kind": kind, "category": e.category or _CATEGORY.get(e.kind, "other"),
            "entry_id": e.entry_id, "country": e.country_iso3, "applies_to": list(e.applies_to), "source_url": e.source_url,
            "verification": e.verification,
            "status": "superseded" if superseded else date_status(day, today),
            "superseded_by": superseded, "days_from_today": (day.date - today).days,
        })

    for e in entries:
        if e.kind == DATE and e.date is not None:
            add(e.date, e.title, e.detail, "date", e)
        elif e.kind == STATUS and e.date is not None:
            what = ", ".join(e.applies_to)
            add(e.date, f"{e.title or e.entry_id}: {e.status}", f"{e.status.capitalize()} {what}"
                + (f" until {e.until.text()}" if e.until else "") + (f"; {e.part}" if e.part else "") + ".",
                "status_change", e)
            if e.until is not None:
                add(e.until, f"End of the {'suspension' if e.status in ('suspended', 'extended') else e.status}: "
                    f"{e.title or e.entry_id}", f"Unless extended: {what}" + (f" ({e.part})" if e.part else "") + ".",
                    "status_end", e, superseded=_superseded(e, changes))
        elif e.kind in (MEASURE, AGREEMENT):
            start = e.effective if e.kind == MEASURE else e.date
            if start is not None and start.date > today:
                add(start, f"{e.title or e.entry_id}: {'takes effect' if e.kind == MEASURE else 'signing'}",
                    e.measure_type or e.detail, "takes_effect", e)
            if e.end is not None and e.end.last >= today:
                add(e.end, f"{e.title or e.entry_id}: end date", e.measure_type or e.detail, "end_date", e)
    return sorted(items, key=lambda i: (i["date"], i["kind"], i["entry_id"]))


def next_date(items: Sequence[dict], today: dt.date) -> dict:
    """The date to watch next in a :func:`calendar`, or a statement that none is recorded.

    Returns
    -------
    dict
        ``date`` (ISO or None), ``title``, ``entry_id``, ``verification``,
        ``days_from_today``, ``also`` (other items that day) and ``message``; when nothing on
        or after today is recorded, ``date`` is None and ``message`` names the last date
        recorded instead.
    """
    ahead = [i for i in items if i["status"] in ("today", "upcoming")]
    if ahead:
        first = ahead[0]
        same = [i for i in ahead[1:] if i["date"] == first["date"]]
        return {
            "date": first["date"], "title": first["title"], "entry_id": first["entry_id"],
            "verification": first["verification"], "days_from_today": first["days_from_today"],
            "also": [{"title": i["title"], "entry_id": i["entry_id"]} for i in same],
            "message": f"next date to watch: {first['date']}, {first['title']}"
                       + (f" (and {len(same)} more that day)" if same else ""),
        }
    known = [i for i in items if i["status"] == "passed"]
    message = "no date on or after today is recorded in the register"
    if known:
        last = known[-1]
        message += f" (the last recorded: {last['date']}, {last['title']})"
    return {"date": None, "title": None, "entry_id": None, "verification": None, "days_from_today": None,
            "also": [], "message": message + "; add entries with `critmin tracker add FILE`"}


def evaluate(entries: Sequence[Entry], today: dt.date) -> dict[str, StatusOnDay]:
    """The status of every measure and agreement of the register on ``today``."""
    changes = changes_for(entries)
    return {e.entry_id: status_on(e, changes.get(e.entry_id, []), today)
            for e in entries if e.kind in (MEASURE, AGREEMENT)}


__all__ = [
    "AGREEMENT", "CHANGES", "CHANGES_WITH_UNTIL", "DATE", "Day", "Entry", "KINDS", "MEASURE", "STATUS",
    "StatusOnDay", "VERIFICATION", "calendar", "changes_for", "date_status", "evaluate", "next_date", "status_on",
]
