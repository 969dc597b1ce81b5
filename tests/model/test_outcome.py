"""A failed solve never yields a number: the null-and-reason contract through the public API.

Each scenario below fails in a different way (infeasible, a stalled Newton search, no
equilibrium, a singular Jacobian). For each, every figure that needs the solution must be
null, the base point and the instrument settings stay, and the status and the reason are
given; aggregates (compare, sweeps, batch summaries) count the failures and never turn a
missing member into a number.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from critmin.model import compare, simulate, simulate_many, sweep

GALLIUM = {"ref": "gallium"}


def _on_gallium(**policies):
    return {"name": "failing", "focus": "USA", "market": GALLIUM, "policies": policies}


INFEASIBLE = {
    "name": "no supplier left", "focus": "USA",
    "market": {"regions": ["USA", "CHN", "AUS"], "price": 50.0, "production": {"USA": 0.0, "CHN": 21.0, "AUS": 4.0},
               "consumption": {"USA": 6.0, "CHN": 15.0, "AUS": 4.0}},
    "policies": {"export_restrictions": [{"exporter": "CHN", "kind": "ban", "importers": "all"},
                                         {"exporter": "AUS", "kind": "ban", "importers": "all"}]},
}

#: scenario, the status it must end with
FAILING = [
    pytest.param(_on_gallium(price_floors=[{"region": "CHN", "floor": 1.0e9}]), id="floor-1e9"),
    pytest.param(INFEASIBLE, id="infeasible"),
    pytest.param(_on_gallium(capacity=[{"region": "CHN", "add": 1e300}]), id="capacity-1e300"),
    pytest.param(_on_gallium(stockpile=[{"region": "USA", "quantity": 1e15}]), id="stockpile-1e15"),
]

#: columns that do not depend on the solve, per table (plus every ``*_base`` column)
KEPT = {
    "prices": {"region"},
    "quantities": {"region", "stockpile_purchase"},
    "flows": {"origin", "destination", "tariff_rate", "export_tax_rate", "permitted"},
    "welfare": {"region"},
    "binding": {"instrument", "where", "measure"},
}


def _nulls_only(records: list[dict], kept: set[str]) -> list[tuple[str, object]]:
    """Every (column, value) of ``records`` that should be null and is not."""
    bad = []
    for row in records:
        for key, value in row.items():
            if key in kept or key.endswith("_base"):
                continue
            if value is not None:
                bad.append((key, value))
    return bad


@pytest.mark.parametrize("scenario", FAILING)
def test_every_figure_of_a_failed_member_is_null_with_the_reason(scenario):
    r = simulate(scenario)
    assert r.status != "converged"
    assert r.message, "a failed member says why"
    payload = r.to_dict()
    for table, kept in KEPT.items():
        assert _nulls_only(payload[table], kept) == [], table
    world = r.welfare().loc["World"]
    assert world.isna().all(), world  # never a 0.0 total of unknown parts
    ind = r.indicators()
    assert all(math.isnan(v) for k, v in ind.items() if not k.startswith("base_")), ind
    assert not math.isnan(ind["base_import_hhi"])  # the base point is known
    assert r.fiscal().isna().all().all()
    summary = r.summary()
    assert summary["status"] == r.status and summary["message"] == r.message
    numbers = summary.drop(["status", "message", "iterations"])
    assert numbers.isna().all(), numbers[numbers.notna()]
    assert r.failed


def test_the_published_example_no_longer_reports_a_diversified_zero():
    """Issue 8's example: the World welfare row and the import HHI were 0.0."""
    r = simulate(_on_gallium(price_floors=[{"region": "CHN", "floor": 1.0e9}]))
    payload = r.to_dict()
    world = next(row for row in payload["welfare"] if row["region"] == "World")
    assert world["total"] is None and world["consumer_surplus"] is None
    assert payload["indicators"]["import_hhi"] is None
    assert payload["indicators"]["base_import_hhi"] == pytest.approx(0.5)


def test_a_converged_member_keeps_all_its_figures():
    r = simulate(_on_gallium(tariffs=[{"importer": "USA", "origins": ["CHN"], "rate": 0.25}]))
    assert r.converged and r.message == ""
    assert np.isfinite(r.welfare().to_numpy()).all()
    assert r.welfare().loc["World", "total"] == pytest.approx(r.welfare().drop("World")["total"].sum())
    assert all(np.isfinite(v) for v in r.indicators().values())
    assert not r.failed


def test_compare_counts_failures_and_keeps_their_columns_empty():
    ok = _on_gallium(tariffs=[{"importer": "USA", "origins": ["CHN"], "rate": 0.25}])
    bad = _on_gallium(price_floors=[{"region": "CHN", "floor": 1.0e9}])
    frame = compare([ok, bad], labels=["ok", "bad"])
    assert frame.attrs["outcome"] == {"members": 2, "converged": 1, "failed": 1,
                                      "by_status": {frame.loc["status", "bad"]: 1}}
    assert frame.attrs["failure_note"].startswith("1 of 2 scenarios did not solve (bad: ")
    numbers = frame["bad"].drop(["status", "message", "iterations"])
    assert numbers.isna().all()
    assert frame.loc["USA_import_hhi", "ok"] > 0
    assert compare([ok]).attrs["failure_note"] == ""


def test_a_sweep_counts_its_failed_members_and_nulls_only_them():
    scenario = _on_gallium(price_floors=[{"region": "CHN", "floor": 300.0}])
    china = 1  # market_gallium regions: USA, CHN, ROW
    batch = sweep(scenario, "cfd_floor", np.array([300.0, 1.0e9, 400.0]), index=(china,))
    status = batch.status
    assert status[0] == "converged" and status[2] == "converged" and status[1] != "converged"
    assert batch.outcome() == {"members": 3, "converged": 2, "failed": 1, "by_status": {status[1]: 1}}
    assert "1 of 3 members did not solve" in batch.failure_note()
    frame = batch.summary_frame()
    assert frame.attrs["outcome"]["failed"] == 1
    failed_row = frame.iloc[1].drop(["status", "message", "iterations"])
    assert failed_row.isna().all()
    assert frame.iloc[[0, 2]]["world_welfare_change"].notna().all()
    assert np.isnan(batch.welfare["total"][1]).all() and np.isfinite(batch.welfare["total"][[0, 2]]).all()
    ind = batch.indicators()
    assert np.isnan(ind["import_hhi"][1]) and np.isfinite(ind["import_hhi"][[0, 2]]).all()


def test_simulate_many_mixes_failed_and_converged_members_in_one_batch():
    results = simulate_many([_on_gallium(), _on_gallium(price_floors=[{"region": "CHN", "floor": 1.0e9}])])
    assert results[0].converged and results[0].welfare().loc["World", "total"] == pytest.approx(0.0, abs=1e-6)
    assert results[1].failed and np.isnan(results[1].welfare().loc["World", "total"])


def test_a_converged_member_with_figures_that_overflow_is_reported_as_failed():
    from critmin.model import outcome

    status, messages = outcome.check_finite(["converged", "converged", "infeasible"], ["", "", "why"],
                                            [np.array([[1.0, 2.0], [1.0, np.inf], [np.nan, np.nan]])])
    assert list(status) == ["converged", outcome.NOT_FINITE, "infeasible"]
    assert messages[1] == outcome.NOT_FINITE_MESSAGE and messages[2] == "why"


def test_totals_with_a_missing_part_are_missing():
    import pandas as pd

    from critmin.model import outcome

    frame = pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 2.0]})
    total = outcome.total_row(frame)
    assert np.isnan(total["a"]) and total["b"] == 3.0


def test_a_sweep_refuses_non_finite_instrument_values():
    from critmin.model import ScenarioError

    scenario = _on_gallium(tariffs=[{"importer": "USA", "origins": ["CHN"], "rate": 0.25}])
    with pytest.raises(ScenarioError, match="instruments.tariff: members 1 hold a value that is not a finite"):
        sweep(scenario, "tariff", np.array([0.1, np.nan, 0.3]), index=(1, 0))
    with pytest.raises(ScenarioError, match="instruments.stock"):
        sweep(scenario, "stock", np.array([0.0, np.inf]), index=(0,))
    ok = sweep(scenario, "tariff", np.array([0.1, 0.3]), index=(1, 0))  # NaN blr floors and inf caps are neutral
    assert ok.outcome()["failed"] == 0
