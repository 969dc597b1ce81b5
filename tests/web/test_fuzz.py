"""Property-based fuzzing of the OpenAPI schema with schemathesis, in process (ASGI).

Every operation of ``/openapi.json`` gets generated requests (valid and invalid parameters
and bodies, without an API key and with a valid one), on SQLite and on PostgreSQL; every
answer must not be a 5xx, must have a documented status code and content type, and a JSON
body must match its documented schema. Bounded (``FUZZ_EXAMPLES`` per operation and mode,
default 6) so the suite stays fast; ``FUZZ_EXAMPLES=200 pytest tests/web/test_fuzz.py``
hunts longer (``FUZZ_SEED=N`` draws other examples than the default, derandomised run).
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SEED = os.environ.get("FUZZ_SEED")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_app(web_env, db_backend, request, tmp_path_factory):
    from critmin.web.app import create_app

    if db_backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzzdb') / 'fuzz.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").url("fuzz")
    app = create_app(url, warm=False)
    yield app
    jobs = getattr(app.state, "jobs", None)  # background runs a generated request started (api/jobs.py)
    if jobs is not None:
        jobs.close(cancel=True)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def fuzz_key(fuzz_app) -> str:
    from critmin.web.storage.keys import create_key

    return create_key(fuzz_app.state.engine, "fuzz")[0]


def _operations(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_survives_generated_requests(fuzz_app, fuzz_key):
    from hypothesis import seed

    operations = _operations(fuzz_app)
    assert len(operations) >= 35
    failures = []
    calls = 0
    for op in operations:
        for headers in ({}, {"X-API-Key": fuzz_key}):

            @given(case=op.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=SEED is None, database=None)
            def run(case):
                nonlocal calls
                calls += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            if SEED is not None:
                run = seed(int(SEED))(run)

            try:
                run()
            except Exception as exc:  # collect every failing operation, then report them all
                failures.append(f"{op.label} {'with key' if headers else 'no key'}: {str(exc)[:1500]}")
    print(f"fuzzed {len(operations)} operations with {calls} requests")
    assert not failures, "\n\n".join(failures)
