"""``critmin markets`` as a user types it, and the API function behind it."""

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _run(*args):
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.run([sys.executable, "-m", "critmin.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_markets_json_lists_every_market_with_status_and_what_is_missing():
    r = _run("markets", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    single = [x for x in rows if x["stage"] != "chain"]
    assert len(single) == 122
    assert all(x["market"] == f"kb:{x['mineral']}:{x['stage']}" for x in single)
    ok = [x for x in single if x["status"] == "calibrated"]
    assert len(ok) >= 40
    linked = [x for x in rows if x["stage"] == "chain" and x["status"] == "calibrated"]
    assert len(linked) >= 5 and all(x["market"] == f"kb:{x['mineral']}" and x["link"] and x["sources"]
                                     for x in linked)
    assert all(x["basis"] and x["unit"] == "t" and x["price_unit"] == "USD/t" and x["sources"] and x["regions"]
               for x in ok)
    assert all(x["missing"] for x in rows if x["status"] == "missing")


def test_markets_table_and_a_bad_option():
    r = _run("markets", "--status", "missing")
    assert r.returncode == 0 and "missing" in r.stdout
    bad = _run("markets", "--status", "sometimes")
    assert bad.returncode == 2 and "calibrated or missing" in bad.stderr + bad.stdout


def test_api_markets_is_the_same_table():
    from critmin import api

    df = api.markets()
    assert {"mineral", "stage", "status", "basis", "regions", "sources", "missing"} <= set(df.columns)
    assert ((df["status"] == "calibrated") & (df["stage"] != "chain")).sum() >= 40
    assert {"kb:copper", "kb:rare-earths"} <= set(df.loc[df["status"] == "calibrated", "market"])
