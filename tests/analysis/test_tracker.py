"""Statuses from dates: the tracker walks the calendar (critmin.analysis.tracker)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.analysis import tracker as tr
from critmin.analysis.tracker import Day, Entry

D = dt.date


def measure(eid="M", effective=D(2025, 11, 8), announced=D(2025, 10, 9), end=None, status="active"):
    return Entry(eid, tr.MEASURE, title=f"measure {eid}", announced=Day(announced) if announced else None,
                 effective=Day(effective) if effective else None, end=Day(end) if end else None, status=status)


def change(eid, status, date, until=None, applies=("M",), part=""):
    return Entry(eid, tr.STATUS, title=eid, status=status, date=Day(date), until=Day(until) if until else None,
                 applies_to=tuple(applies), part=part)


SUSPENSION = change("No70", "suspended", D(2025, 11, 7), D(2026, 11, 10))


@pytest.mark.parametrize("today, status, until, next_at", [
    (D(2025, 10, 20), "announced", None, D(2025, 11, 7)),  # the suspension comes before the planned start
    (D(2025, 11, 7), "suspended", D(2026, 11, 10), D(2026, 11, 10)),
    (D(2026, 11, 10), "suspended", D(2026, 11, 10), D(2026, 11, 10)),  # the end day is still covered
    (D(2026, 11, 11), "suspension_lapsed", None, None),
    (D(2027, 6, 1), "suspension_lapsed", None, None),
])
def test_a_suspension_runs_out_unless_extended(today, status, until, next_at):
    s = tr.status_on(measure(), [SUSPENSION], today)
    assert s.status == status
    assert (s.until.date if s.until else None) == until
    assert s.next_date == next_at
    assert s.needs_check is (status == "suspension_lapsed")


def test_lapsed_suspension_names_its_end_and_says_nothing_later_is_recorded():
    s = tr.status_on(measure(), [SUSPENSION], D(2026, 12, 6))
    assert s.since.date == D(2026, 11, 11)
    assert "2026-11-10" in s.explanation and "no extension is recorded" in s.explanation


def test_extension_keeps_the_suspension_and_moves_its_end():
    ext = change("No99", "extended", D(2026, 11, 5), D(2027, 11, 10))
    s = tr.status_on(measure(), [SUSPENSION, ext], D(2026, 12, 6))
    assert (s.status, s.until.date, s.next_date) == ("suspended", D(2027, 11, 10), D(2027, 11, 10))
    assert s.changes == ("No70", "No99")
    # before the extension is dated, the old end is what is known
    assert tr.status_on(measure(), [SUSPENSION, ext], D(2026, 6, 1)).until.date == D(2026, 11, 10)


def test_extension_dated_after_the_lapse_renews_the_suspension():
    late = change("late", "extended", D(2026, 12, 1), D(2027, 12, 1))
    assert tr.status_on(measure(), [SUSPENSION, late], D(2026, 11, 20)).status == "suspension_lapsed"
    s = tr.status_on(measure(), [SUSPENSION, late], D(2026, 12, 6))
    assert (s.status, s.since.date, s.until.date) == ("suspended", D(2026, 12, 1), D(2027, 12, 1))


def test_extension_of_a_measure_in_force_moves_its_end():
    m = measure(end=D(2026, 12, 31))
    assert tr.status_on(m, [], D(2027, 1, 2)).status == "expired"
    ext = change("prolong", "extended", D(2026, 12, 15), D(2027, 12, 31))
    s = tr.status_on(m, [ext], D(2027, 1, 2))
    assert (s.status, s.until.date, s.next_date) == ("in_force", D(2027, 12, 31), D(2027, 12, 31))


@pytest.mark.parametrize("kind, status", [("resumed", "in_force"), ("lapsed", "in_force"), ("lifted", "lifted")])
def test_changes_that_end_a_suspension(kind, status):
    c = change("c", kind, D(2026, 3, 1))
    s = tr.status_on(measure(), [SUSPENSION, c], D(2026, 12, 6))
    assert s.status == status and s.since.date == D(2026, 3, 1) and not s.needs_check


def test_reinstated_after_lifting():
    lift, back = change("l", "lifted", D(2026, 1, 1)), change("r", "reinstated", D(2026, 6, 1))
    assert tr.status_on(measure(), [lift, back], D(2026, 3, 1)).status == "lifted"
    assert tr.status_on(measure(), [lift, back], D(2026, 7, 1)).status == "in_force"


def test_published_status_stands_only_when_no_dated_change_exists():
    m = measure(status="suspended")
    s = tr.status_on(m, [], D(2026, 1, 1))
    assert s.status == "suspended" and s.until is None and s.needs_check  # nothing to count down to
    assert tr.status_on(m, [SUSPENSION], D(2025, 10, 20)).status == "announced"  # the dates decide
    assert tr.status_on(measure(status="lifted"), [], D(2026, 1, 1)).status == "lifted"


def test_future_change_is_the_next_date_when_it_comes_first():
    s = tr.status_on(measure(effective=D(2024, 1, 1), announced=None), [SUSPENSION], D(2025, 6, 1))
    assert s.status == "in_force" and s.next_date == D(2025, 11, 7) and s.next_what.startswith("suspended")


def test_agreement_signing_and_end():
    a = Entry("A", tr.AGREEMENT, title="framework", date=Day(D(2025, 10, 20)), end=Day(D(2026, 10, 20)))
    assert tr.status_on(a, [], D(2025, 10, 1)).status == "announced"
    assert tr.status_on(a, [], D(2026, 1, 1)).status == "signed"
    assert tr.status_on(a, [], D(2026, 10, 21)).status == "expired"


def test_month_precision_dates_pass_when_the_month_is_over():
    april = Day(D(2025, 4, 1), "month")
    assert tr.date_status(april, D(2025, 4, 30)) == "today"
    assert tr.date_status(april, D(2025, 5, 1)) == "passed"
    assert tr.date_status(april, D(2025, 3, 31)) == "upcoming"
    assert Day(D(2025, 1, 1), "year").last == D(2025, 12, 31)


def _register():
    deadline = Entry("D180", tr.DATE, title="180 days", date=Day(D(2026, 7, 13)))
    return [measure(), SUSPENSION, deadline]


def test_next_date_walks_the_calendar_and_says_when_none_is_recorded():
    reg = _register()
    for today, expected in [(D(2026, 1, 1), "2026-07-13"), (D(2026, 7, 13), "2026-07-13"),
                            (D(2026, 7, 14), "2026-11-10"), (D(2026, 11, 11), None)]:
        nxt = tr.next_date(tr.calendar(reg, today), today)
        assert nxt["date"] == expected
    nxt = tr.next_date(tr.calendar(reg, D(2026, 11, 11)), D(2026, 11, 11))
    assert "no date on or after today is recorded" in nxt["message"] and "2026-11-10" in nxt["message"]


def test_an_extension_supersedes_the_old_end_on_the_calendar():
    reg = [*_register(), change("No99", "extended", D(2026, 11, 5), D(2027, 11, 10))]
    items = tr.calendar(reg, D(2026, 11, 6))
    old = next(i for i in items if i["kind"] == "status_end" and i["entry_id"] == "No70")
    assert old["status"] == "superseded" and old["superseded_by"] == "No99"
    assert tr.next_date(items, D(2026, 11, 6))["date"] == "2027-11-10"


# --- invariants over random histories --------------------------------------------------------------
days = st.dates(min_value=D(2024, 1, 1), max_value=D(2028, 12, 31))


@st.composite
def histories(draw):
    n = draw(st.integers(0, 6))
    out = []
    for i in range(n):
        kind = draw(st.sampled_from(tr.CHANGES))
        start = draw(days)
        until = draw(st.dates(min_value=start, max_value=D(2029, 12, 31))) if kind in tr.CHANGES_WITH_UNTIL else None
        out.append(change(f"c{i}", kind, start, until))
    return out


@settings(max_examples=300, deadline=None)
@given(histories(), days, st.one_of(st.none(), days))
def test_invariants_of_any_history(changes, today, end):
    m = measure(effective=D(2025, 1, 1), announced=None, end=end if end and end >= D(2025, 1, 1) else None)
    s = tr.status_on(m, changes, today)
    assert s.status in ("announced", "in_force", "suspended", "suspension_lapsed", "expired", "lifted")
    # never "suspended" past the recorded end of the suspension
    if s.status == "suspended" and s.until is not None:
        assert s.until.last >= today
    # the next date is never in the past
    assert s.next_date is None or s.next_date >= today
    # a status never depends on changes dated after today
    past = [c for c in changes if c.date.date <= today]
    assert tr.status_on(m, past, today).status == s.status
    # a suspension covering today, recorded last, always wins
    cover = change("zz", "suspended", today, today + dt.timedelta(days=30))
    later_than_all = [c for c in past if c.date.date < today]
    assert tr.status_on(m, [*later_than_all, cover], today).status == "suspended"
