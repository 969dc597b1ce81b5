"""REST tracker on the tiny snapshot: statuses computed for the day asked about.

The tiny snapshot holds CN-2025-57 (published "suspended until 2026-11-10"), CN-2023-23
and a DRC quota; the built-in register suspends CN-2025-57 from 7 November 2025 until
10 November 2026 (Announcement 2025 No. 70).
"""

from __future__ import annotations

import pytest

API = "/api/v1"


def get(client, path, status=200):
    r = client.get(API + path)
    assert r.status_code == status, (path, r.status_code, r.text[:400])
    return r.json()


def statuses(body):
    return {m["id"]: m for m in body["measures"]}


def test_status_follows_the_calendar(client):
    july = get(client, "/tracker/status?today=2026-07-01")
    m = statuses(july)
    assert (m["CN-2025-57"]["status"], m["CN-2025-57"]["until"]) == ("suspended", "2026-11-10")
    assert m["CN-2023-23"]["status"] == "in_force" and m["COD-2025-QUOTA"]["since"] == "2025"
    assert july["next"]["date"] == "2026-07-13" and july["counts"] == {"suspended": 1, "in_force": 2}
    late = statuses(get(client, "/tracker/status?today=2026-11-11"))
    assert late["CN-2025-57"]["status"] == "suspension_lapsed" and late["CN-2025-57"]["needs_check"] is True
    before = statuses(get(client, "/tracker/status?today=2025-10-20"))
    assert before["CN-2025-57"]["status"] == "announced" and before["CN-2025-57"]["next_date"] == "2025-11-07"


def test_status_filters_and_agreements(client):
    ga = get(client, "/tracker/status?today=2026-07-01&mineral=Ga")
    assert [m["id"] for m in ga["measures"]] == ["CN-2023-23"]
    cod = get(client, "/tracker/status?today=2026-07-01&country=COD")
    assert [m["id"] for m in cod["measures"]] == ["COD-2025-QUOTA"]
    assert {a["status"] for a in ga["agreements"]} == {"signed"}


def test_dates_say_when_no_later_date_is_recorded(client):
    body = get(client, "/tracker/dates?today=2027-01-01")
    assert body["next"] is None and "no date on or after today is recorded" in body["next_message"]
    summary = get(client, "/tracker/summary?today=2026-07-01")
    assert summary["measures_by_status_today"] == {"suspended": 1, "in_force": 2}


@pytest.mark.parametrize("path, fragment", [
    ("/tracker/status?today=soon", "query.today"),
    ("/tracker/status?mineral=kryptonite", "unknown mineral"),
])
def test_bad_requests(client, path, fragment):
    r = client.get(API + path)
    assert 400 <= r.status_code < 500 and fragment in r.text
