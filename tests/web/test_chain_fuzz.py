"""Generated chain-engine documents against the REST endpoints: never a 5xx, a 4xx always says why.

The schema-driven fuzzing (test_fuzz.py) reaches the chain schema only by chance; this one
builds documents that get past the schema (a valid inline market) and then vary every instrument's
numbers, regions, stages and years, including extreme and nonsensical values, so the model itself
is exercised through the API. A 200 must carry a status and, when not converged, null figures.
"""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.test_chain_api import API, TESTIUM

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

# mostly values that pass the schema (so the model runs), sometimes ones that must not
regions = st.sampled_from(["USA", "CHN", "ROW"] * 4 + ["XXX"])
stages = st.sampled_from(["processing"] * 8 + ["mine"])
extreme = st.one_of(st.floats(min_value=-1e6, max_value=1e12, allow_nan=False, allow_infinity=False),
                    st.sampled_from([0, 1e-300, -1, 0.999999, 1, 1e308]))
numbers = st.one_of(st.floats(0.01, 0.9), st.floats(0.01, 0.9), st.floats(1, 5000), st.floats(1, 5000), extreme)
years = st.one_of(st.none(), st.none(), st.builds(lambda a, n: [a, a + n], st.integers(2024, 2032), st.integers(-1, 5)))


def timed(d: dict, y) -> dict:
    return {**d, **({"years": y} if y is not None else {})}


policy = st.one_of(
    st.builds(lambda i, o, s, r, y: ("tariffs", timed({"importer": i, "origins": [o], "stage": s, "rate": r}, y)),
              regions, regions, stages, numbers, years),
    st.builds(lambda i, s, p, y: ("minimum_import_prices", timed({"importer": i, "stage": s, "price": p}, y)),
              regions, stages, numbers, years),
    st.builds(lambda e, k, q, r, y: ("export_restrictions", timed(
        {"exporter": e, "stage": "processing", "kind": k,
         **({"quantity": q} if k == "quota" else {"rate": r} if k == "tax" else
            {"days": r} if k == "licensing_delay" else {})}, y)),
              regions, st.sampled_from(["ban", "quota", "tax", "licensing_delay", "embargo"]), numbers, numbers, years),
    st.builds(lambda p, g, f, u, c, y: ("price_floors", timed(
        {"payer": p, "producers": [g], "stage": "processing", "floor": f, "upside_share": u,
         **({"volume_cap": c} if c else {})}, y)), regions, regions, numbers, numbers, numbers, years),
    st.builds(lambda r, q, y: ("stockpiles", timed({"region": r, "stage": "processing", "quantity": q}, y)),
              regions, numbers, years),
    st.builds(lambda r, c, u, s, ramp: ("new_capacity", {"name": "plant", "region": r, "stage": "processing",
                                                         "capacity": c, "unit_cost": u, "start": s,
                                                         "ramp_years": ramp}),
              regions, numbers, numbers, st.integers(2020, 2040), st.integers(-1, 70)),
    st.builds(lambda r, c, g, y: ("demand", timed({"region": r, "stage": "processing", "change": c, "growth": g}, y)),
              regions, numbers, numbers, years),
    st.builds(lambda m, t, y: ("clubs", timed({"members": m, "stage": "processing", "external_tariff": t}, y)),
              st.lists(regions, min_size=1, max_size=3), numbers, years),
)


@st.composite
def documents(draw):
    market = copy.deepcopy(TESTIUM)
    market["production"][0]["quantity"] = draw(st.one_of(st.just(800), st.just(800), st.just(800), numbers))
    market["trade"][0]["quantity"] = draw(st.one_of(st.just(40), st.just(40), st.just(40), numbers))
    market["prices"][0]["price"] = draw(st.one_of(st.just(1000), st.just(1000), st.just(1000), numbers))
    policies: dict = {}
    for key, item in draw(st.lists(policy, max_size=3)):
        policies.setdefault(key, []).append(item)
    start = draw(st.integers(2024, 2035))  # 2024, the base year, is refused
    end = start + draw(st.sampled_from([0, 1, 2, 4, 9, -1]))
    return {"engine": "chain", "name": "fuzz", "focus": draw(st.sampled_from(["USA", "ROW", None])),
            "horizon": {"start": start, "end": end, "discount_rate": draw(st.sampled_from([0.0, 0.03, 0.999]))},
            "minerals": {"testium": {"market": market, "policies": policies}}}


@pytest.mark.parametrize("path", ["/scenarios/validate", "/scenarios/run"])
def test_generated_chain_documents_never_make_a_server_error(client, path):
    seen: dict[int, int] = {}

    @given(d=documents())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(d):
        r = client.post(f"{API}{path}", json=d)
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500, (d, r.text)
        body = r.json()
        if r.status_code >= 400:
            assert r.status_code == 422 and body["detail"]
            # plain words: a field and what is wrong, never a Python exception leaking through
            assert "the model cannot solve this scenario" not in body["detail"], (d, body["detail"])
        elif path.endswith("run"):
            assert body["status"]
            if body["status"] != "converged":
                assert body["message"]
                assert all(row["use_price_low"] is None for row in body["years"])

    run()
    print(f"{path}: answers by status {seen}")
    assert seen.get(422) and seen.get(200), seen  # both valid and invalid documents were generated
