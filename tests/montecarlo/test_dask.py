"""The Dask backend on a local cluster of real worker processes (loopback only).

One cluster serves the module: same results as in-process; a worker killed mid-run is
replaced, its tasks rerun, and every draw is counted once.
"""

import os
import signal
import time

import pandas as pd
import pytest

from critmin.model.montecarlo.design import DEFAULT_ELASTICITY_SPREAD, Design
from critmin.model.montecarlo.runner import run

from .conftest import event

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address="127.0.0.1:0", silence_logs=50)
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def design(evaluator):
    events = (event("BAN", rate=("gamma", 1.5, 5.0)),
              event("LIC", kind="licensing", target="ALL", rate=("fixed", 0.3, float("nan")),
                    severity=("uniform", 0.1, 0.5)))
    return Design(evaluator.info, events, horizon=4, elasticity=DEFAULT_ELASTICITY_SPREAD)


def test_same_numbers_in_process_and_on_the_cluster(evaluator, design, cluster):
    local = run(evaluator, design, 600, 21, method="lhs", backend="inprocess", chunk_draws=60)
    remote = run(evaluator, design, 600, 21, method="lhs", scheduler=cluster.scheduler_address, chunk_draws=60)
    assert remote.backend == "dask"
    pd.testing.assert_frame_equal(local.outcomes, remote.outcomes)
    pd.testing.assert_frame_equal(local.inputs, remote.inputs)


def test_a_killed_worker_does_not_lose_or_double_a_draw(evaluator, design, cluster, tmp_path):
    client = distributed.Client(cluster)
    pids = client.run(os.getpid)
    client.close()
    victim = sorted(pids.values())[0]
    killed = []

    def kill_once(done, total, years):
        if done >= 2 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(time.time())

    expected = run(evaluator, design, 2000, 5, backend="inprocess", chunk_draws=50)
    got = run(evaluator, design, 2000, 5, scheduler=cluster.scheduler_address, chunk_draws=50, run_dir=tmp_path,
              progress=kill_once)
    assert killed, "the worker was not killed mid-run"
    assert got.chunks_computed == got.chunks_total == 40
    assert len(got.outcomes) == 2000 * 4 and not got.outcomes.duplicated(["draw", "year"]).any()
    assert got.inputs["draw"].tolist() == list(range(2000))
    pd.testing.assert_frame_equal(expected.outcomes, got.outcomes)
    # the nanny restarts the killed worker: the cluster is whole again
    deadline = time.time() + 60
    while len(cluster.scheduler_info["workers"]) < 2 and time.time() < deadline:
        time.sleep(0.5)
    assert len(cluster.scheduler_info["workers"]) == 2


def test_the_default_local_cluster_is_started_and_closed(evaluator, design):
    before = {p.pid for p in __import__("multiprocessing").active_children()}
    local = run(evaluator, design, 120, 2, backend="inprocess", chunk_draws=40)
    own = run(evaluator, design, 120, 2, backend="dask", workers=1, chunk_draws=40)
    pd.testing.assert_frame_equal(local.outcomes, own.outcomes)
    after = {p.pid for p in __import__("multiprocessing").active_children()}
    assert after <= before  # its worker processes are gone
