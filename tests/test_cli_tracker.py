"""``critmin tracker`` as a user types it, and critmin.api.tracker, on the committed snapshot.

The register is the snapshot's measures and agreements plus critmin's built-in dates
(China's suspensions until 10 and 27 November 2026, the Section 232 calendar); these tests
walk that calendar with ``--today`` and add a user file in a temporary register folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from critmin import snapshot, store

CRITMIN = [sys.executable, "-m", "critmin.cli"]


@pytest.fixture(autouse=True)
def committed_snapshot(monkeypatch):
    monkeypatch.delenv("CRITMIN_SNAPSHOT", raising=False)
    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot (run critmin data build)")
    store.reset()
    yield
    store.reset()


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    f = tmp_path / "register"
    monkeypatch.setenv("CRITMIN_REGISTER_DIR", str(f))
    return f


def run(*args, folder=None):
    env = {**os.environ}
    if folder is not None:
        env["CRITMIN_REGISTER_DIR"] = str(folder)
    return subprocess.run([*CRITMIN, *args], capture_output=True, text=True, env=env, timeout=120)


def by_id(rows):
    return {r["id"]: r for r in rows}


def test_the_calendar_of_china_s_suspensions(folder):
    from critmin import api

    july = api.tracker("2026-07-01")
    m = july["measures"].set_index("id")
    assert july["next"]["date"] == "2026-07-13" and july["next"]["days_from_today"] == 12
    assert (m.loc["CN-2025-57", "status"], m.loc["CN-2025-57", "until"]) == ("suspended", "2026-11-10")
    assert (m.loc["CN-2024-46-US", "status"], m.loc["CN-2024-46-US", "until"]) == ("suspended", "2026-11-27")
    assert m.loc["CN-2023-23", "status"] == "in_force" and m.loc["CN-2010-REE-QUOTA", "status"] == "lifted"

    mid = api.tracker("2026-11-15")
    m = mid["measures"].set_index("id")
    assert m.loc["CN-2025-57", "status"] == "suspension_lapsed" and bool(m.loc["CN-2025-57", "needs_check"])
    assert m.loc["CN-2024-46-US", "status"] == "suspended"
    assert mid["next"]["date"] == "2026-11-27"

    december = api.tracker("2026-12-06")
    assert december["next"]["date"] is None
    assert "no date on or after today is recorded" in december["next"]["message"]
    assert "2026-11-27" in december["next"]["message"]
    assert december["counts"]["suspension_lapsed"] == 7  # Nos. 55-58, 61, 62 and No. 46


def test_filters(folder):
    from critmin import api

    ga = api.tracker("2026-07-01", mineral="Ga")["measures"]
    assert {"CN-2023-23", "CN-2024-46-US"} <= set(ga["id"]) and all("gallium" in m for m in ga["minerals"])
    us = api.tracker("2026-07-01", country="USA")
    assert list(us["measures"]["id"]) == ["CN-2024-46-US"]  # aimed at the US
    assert us["next"]["date"] == "2026-07-13"  # US policy dates concern every partner
    cod = api.tracker("2026-07-01", country="Congo (Kinshasa)")["measures"]
    assert list(cod["id"]) == ["USGS-T4-COD-1"]


def test_cli_json_and_table(folder):
    r = run("tracker", "--today", "2026-07-01", "--format", "json", folder=folder)
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["today"] == "2026-07-01" and body["next"]["date"] == "2026-07-13"
    assert by_id(body["measures"])["CN-2025-57"]["status"] == "suspended"
    r = run("tracker", "--today", "2026-12-06", folder=folder)
    assert r.returncode == 0, r.stderr
    assert "no date on or after today is recorded" in r.stdout and "suspension lapsed" in r.stdout
    assert "check: CN-2025-57" in r.stdout


def test_cli_bad_arguments_exit_non_zero(folder):
    r = run("tracker", "--today", "tomorrow", folder=folder)
    assert r.returncode == 2 and "not a date" in r.stderr
    r = run("tracker", "--mineral", "kryptonite", folder=folder)
    assert r.returncode == 2 and "unknown mineral" in r.stderr


EXTENSION = """
    format: critmin-register/1
    entries:
      - id: TEST-EXTENSION
        kind: status
        applies_to: [CN-2025-57]
        status: extended
        date: 2026-11-05
        until: 2027-11-10
        title: A hypothetical extension (test)
        source_url: https://example.org/test
        verification: unverified
"""


def test_validate_add_and_the_extension_counts(tmp_path, folder):
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent(EXTENSION).replace("2027-11-10", "10/11/2027").replace("CN-2025-57", "CN-1999-1"))
    r = run("tracker", "validate", str(bad), folder=folder)
    assert r.returncode == 1
    assert "row 4, field 'applies_to'" in r.stderr and "field 'until'" in r.stderr and "nothing was added" in r.stderr
    r = run("tracker", "add", str(bad), folder=folder)
    assert r.returncode == 1 and not folder.exists()

    good = tmp_path / "extension.yaml"
    good.write_text(textwrap.dedent(EXTENSION))
    r = run("tracker", "validate", str(good), folder=folder)
    assert r.returncode == 0 and "1 entries, all valid" in r.stdout
    r = run("tracker", "add", str(good), folder=folder)
    assert r.returncode == 0, r.stderr
    assert (folder / "extension.yaml").is_file()
    body = json.loads(run("tracker", "--today", "2026-12-06", "--format", "json", folder=folder).stdout)
    m = by_id(body["measures"])["CN-2025-57"]
    assert (m["status"], m["until"]) == ("suspended", "2027-11-10") and "TEST-EXTENSION" in m["changes"]
    assert body["next"]["date"] == "2027-11-10"
    assert by_id(body["measures"])["CN-2025-58"]["status"] == "suspension_lapsed"  # not extended
    r = run("tracker", "add", str(good), folder=folder)
    assert r.returncode == 2 and "--replace" in r.stderr


def test_builtin_suspensions_agree_with_the_compiled_register(folder):
    """Every measure the compiled register publishes as 'suspended ... until DATE' is
    suspended until that same date by a dated built-in change, and none is left without one."""
    import re

    from critmin import api

    table = store.table("export_controls").drop_duplicates("measure_id").set_index("measure_id")
    published = table[table["status"] == "suspended"]
    during = api.tracker("2026-01-01")["measures"].set_index("id")
    assert len(published) == 7
    for mid, row in published.iterrows():
        m = re.search(r"until (\d{4}-\d{2}-\d{2})", str(row["scope_notes"]))
        assert during.loc[mid, "status"] == "suspended" and during.loc[mid, "changes"], mid
        if m:  # No. 70's six measures; No. 46's suspension (No. 72) is published without its end
            assert during.loc[mid, "until"] == m.group(1), mid
    assert during.loc["CN-2024-46-US", "until"] == "2026-11-27"
