"""Scenario files: validation, presets, the public API and the CLI helpers."""

import json

import numpy as np
import pytest
import yaml

from critmin.model import ScenarioError, compare, list_presets, load_scenario, simulate, simulate_many, sweep
from critmin.model import cli_support

INLINE = {
    "name": "inline",
    "focus": "USA",
    "market": {
        "regions": ["USA", "CHN", "AUS"],
        "price": 50.0,
        "production": {"USA": 1.0, "CHN": 20.0, "AUS": 4.0},
        "consumption": {"USA": 6.0, "CHN": 15.0, "AUS": 4.0},
    },
    "policies": {},
}


def _with(**policies):
    return {**INLINE, "policies": policies}


def test_presets_load_and_solve():
    presets = list_presets()
    assert len(presets) >= 6
    results = simulate_many(list(presets.name))
    for name, r in zip(presets.name, results):
        assert r.converged, (name, r.message)
        assert r.residual < 1e-9
        # every preset says where its numbers come from: the knowledge base, or illustrative assumptions
        assert any("ILLUSTRATIVE" in a or a.startswith("source: USGS MCS 2026") for a in r.assumptions), name


def test_gallium_ban_preset_zeroes_the_flow_and_raises_us_price():
    r = simulate("gallium_china_ban")
    flows = r.flows().set_index(["origin", "destination"])
    assert flows.loc[("CHN", "USA"), "quantity"] == 0.0
    assert r.prices().loc["USA", "consumer_price_change_pct"] > 0
    assert r.binding().query("instrument == 'export_ban'").binds.all()


def test_validation_errors_name_the_field():
    bad = _with(tariffs=[{"importer": "USA", "rate": "high"}])
    with pytest.raises(ScenarioError, match=r"policies\.tariffs\.0\.rate"):
        simulate(bad)
    with pytest.raises(ScenarioError, match=r"policies\.export_restrictions\.0"):
        simulate(_with(export_restrictions=[{"exporter": "CHN", "kind": "quota"}]))
    with pytest.raises(ScenarioError, match="polices"):
        simulate({**INLINE, "polices": {}})
    with pytest.raises(ScenarioError, match=r"policies\.price_floors\.0\.upside_share"):
        simulate(_with(price_floors=[{"region": "USA", "floor": 10, "upside_share": 1.5}]))


def test_unknown_regions_name_the_field():
    with pytest.raises(ScenarioError, match=r"policies\.tariffs\.0\.origins: unknown region 'RUS'"):
        simulate(_with(tariffs=[{"importer": "USA", "origins": ["RUS"], "rate": 0.1}]))
    with pytest.raises(ScenarioError, match="focus"):
        simulate({**INLINE, "focus": "XXX"})


def test_market_needs_flows_or_totals():
    market = {k: v for k, v in INLINE["market"].items() if k != "consumption"}
    with pytest.raises(ScenarioError, match="production"):
        simulate({**INLINE, "market": market})


def test_market_defined_from_scratch_with_flows_and_base_tariffs():
    scenario = {
        "name": "scratch",
        "focus": "HOME",
        "market": {
            "regions": ["HOME", "A", "B"],
            "price": 1.0,
            "flows": {"HOME": {"HOME": 10}, "A": {"HOME": 5, "A": 20}, "B": {"HOME": 5, "B": 20}},
            "base_tariffs": [{"importer": "HOME", "origins": ["A"], "rate": 0.1}],
            "elasticities": {"substitution": 4, "demand": 1, "supply": 2},
        },
        "policies": {"tariffs": [{"importer": "HOME", "origins": "all", "rate": 0.1}]},
    }
    r = simulate(scenario)
    assert r.converged
    flows = r.flows().set_index(["origin", "destination"])
    assert flows.loc[("A", "HOME"), "tariff_rate"] == pytest.approx(0.2)
    assert flows.loc[("B", "HOME"), "tariff_rate"] == pytest.approx(0.1)
    assert "user-supplied matrix" in " ".join(r.assumptions)


def test_club_is_duty_free_inside_and_applies_common_external_tariff():
    scenario = _with(
        tariffs=[{"importer": "USA", "origins": "all", "rate": 0.3}],
        clubs=[{"members": ["USA", "AUS"], "external_tariff": 0.2}],
    )
    r = simulate(scenario)
    flows = r.flows().set_index(["origin", "destination"])
    # club first (AUS 0, CHN 0.2), then the additional 30% duty on all origins
    assert flows.loc[("CHN", "USA"), "tariff_rate"] == pytest.approx(0.5)


def test_mip_exemption_and_binding_report():
    r = simulate(_with(minimum_import_prices=[{"importer": "USA", "price": 80, "exempt": ["AUS"]}]))
    b = r.binding()
    assert list(b["where"]) == ["CHN -> USA"]
    assert bool(b.binds.iloc[0])


def test_scenario_elasticity_override_is_noted():
    r = simulate({**INLINE, "elasticities": {"substitution": 8.0}})
    assert any("overridden by the scenario" in a for a in r.assumptions)


def test_load_scenario_from_yaml_with_market_reference(tmp_path):
    market = dict(INLINE["market"], kind="market")
    (tmp_path / "market_mini.yaml").write_text(yaml.safe_dump(market))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"name": "s", "market": {"ref": "mini"},
                                                      "policies": {"stockpile": [{"region": "USA", "quantity": 1}]}}))
    s = load_scenario(tmp_path / "s.yaml")
    r = simulate(s)
    assert r.converged and r.welfare().loc["USA", "stockpile_cost"] > 0
    with pytest.raises(ScenarioError, match="market file"):
        load_scenario(tmp_path / "market_mini.yaml")
    (tmp_path / "broken.yaml").write_text("name: [unclosed")
    with pytest.raises(ScenarioError, match="YAML"):
        load_scenario(tmp_path / "broken.yaml")


def test_compare_puts_scenarios_side_by_side():
    frame = compare(["gallium_china_ban", "gallium_talks_fail_mip", _with()])
    assert list(frame.columns) == ["China bans gallium exports to the US (from-scratch market)",
                                   "Talks fail: US minimum import price on gallium (from-scratch market)", "inline"]
    assert "USA_net_import_reliance_pct" in frame.index
    assert frame.loc["world_welfare_change", "inline"] == 0.0


def test_sweep_is_one_batch():
    batch = sweep(_with(), "tariff", np.linspace(0, 1, 11), index=(1, 0))
    assert all(s == "converged" for s in batch.status)
    imports = batch.solution.state.X[:, 1, 0]
    assert np.all(np.diff(imports) < 0)


def test_cli_support_outputs():
    text = cli_support.simulate_text("ndpr-style-floor-cfd")
    assert "== welfare ==" in text and "assumptions" in text and "status: converged" in text
    payload = json.loads(cli_support.simulate_json("ndpr-style-floor-cfd"))
    assert payload["status"] == "converged" and payload["binding"][0]["instrument"] == "price_floor_cfd"
    table = cli_support.compare_text(["ndpr-style-floor-cfd", "section232-tariff-25"])
    assert "USA_fiscal_cost" in table
    assert json.loads(cli_support.compare_json(["ndpr-style-floor-cfd"]))
    assert "gallium_china_ban" in cli_support.scenarios_text()


def test_failed_scenario_reports_status_in_text():
    bad = _with(export_restrictions=[{"exporter": "CHN", "kind": "ban", "importers": "all"},
                                     {"exporter": "AUS", "kind": "ban", "importers": "all"}])
    bad["market"] = dict(bad["market"], production={"USA": 0.0, "CHN": 21.0, "AUS": 4.0})
    r = simulate(bad)
    assert r.status == "infeasible" and "USA" in r.message
    assert np.isnan(r.prices().producer_price).all()
    text = cli_support.simulate_text(bad)
    assert "status: infeasible" in text and "no results" in text


def test_every_preset_solves_and_knowledge_base_presets_say_where_their_numbers_come_from():
    presets = list_presets()
    names = list(presets["name"])
    for wanted in ("talks-fail-mip-gallium", "china-bans-gallium-to-us", "allied-club-common-floor-rare-earths",
                   "ndpr-style-floor-cfd", "section232-tariff-25", "stockpile-release", "allied-capacity"):
        assert wanted in names
    results = simulate_many(names)
    for name, r in zip(names, results):
        assert r.converged, (name, r.message)
        assert presets.loc[presets["name"] == name, "description"].iloc[0], name
    kb = {n: r for n, r in zip(names, results) if any("USGS MCS 2026" in a for a in r.assumptions)}
    assert {"talks-fail-mip-gallium", "china-bans-gallium-to-us", "stockpile-release", "allied-capacity",
            "china-gallium-export-quota", "cobalt-tariff-outside-allies"} <= set(kb)
    ban = kb["china-bans-gallium-to-us"]
    assert ban.flows().set_index(["origin", "destination"]).loc[("CHN", "USA"), "quantity"] == 0.0
    assert ban.prices().loc["USA", "consumer_price_change_pct"] > 0
    release = kb["stockpile-release"]
    assert release.prices().loc["USA", "consumer_price"] < ban.prices().loc["USA", "consumer_price"]
    capacity = kb["allied-capacity"]
    assert capacity.indicators()["net_import_reliance_pct"] < capacity.indicators()["base_net_import_reliance_pct"]


# --- what a scenario may hold: the same refusals for files, dicts and the REST API -------------------

_GALLIUM = {"name": "edge", "market": {"ref": "gallium"}}


@pytest.mark.parametrize("policies, elasticities, field", [
    ({"tariffs": [{"importer": "USA", "rate": float("inf")}]}, {}, "policies.tariffs.0.rate"),
    ({"stockpile": [{"region": "USA", "quantity": float("nan")}]}, {}, "policies.stockpile.0.quantity"),
    ({"capacity": [{"region": "CHN", "add": float("nan")}]}, {}, "policies.capacity.0.add"),
    ({"demand_shocks": [{"region": "USA", "change": float("inf")}]}, {}, "policies.demand_shocks.0.change"),
    ({}, {"supply": float("nan")}, "elasticities.supply"),
    ({}, {"substitution": {"USA": float("-inf")}}, "elasticities.substitution"),
])
def test_non_finite_numbers_are_refused_naming_the_field(policies, elasticities, field):
    scenario = {**_GALLIUM, "policies": policies, "elasticities": elasticities}
    with pytest.raises(ScenarioError, match="finite number|a supply elasticity is a number") as err:
        simulate(scenario)
    assert f"{field}: " in str(err.value) or f"{field}.USA: " in str(err.value), str(err.value)


def test_a_perfectly_elastic_supply_is_the_one_infinity_allowed_and_saved_as_a_string():
    import json as _json

    from critmin.model.scenario import parse_scenario

    yaml_text = "name: elastic\nmarket: {ref: gallium}\nelasticities: {supply: {ROW: .inf}}\n"
    scenario = parse_scenario(yaml.safe_load(yaml_text))
    assert scenario.elasticities.supply == {"ROW": float("inf")}
    saved = _json.loads(scenario.model_dump_json())
    assert saved["elasticities"]["supply"] == {"ROW": "Infinity"}  # standard JSON, and it round-trips
    assert parse_scenario(saved).elasticities.supply == {"ROW": float("inf")}
    assert simulate(scenario).converged
    with pytest.raises(ScenarioError, match="elasticities.supply: a supply elasticity is a number"):
        parse_scenario({**_GALLIUM, "elasticities": {"supply": float("-inf")}})


def test_non_finite_numbers_in_a_yaml_file_are_refused(tmp_path):
    path = tmp_path / "inf.yaml"
    path.write_text("name: inf\nmarket: {ref: gallium}\npolicies:\n  tariffs:\n    - {importer: USA, rate: .inf}\n"
                    "  stockpile:\n    - {region: USA, quantity: .nan}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "policies.tariffs.0.rate" in str(err.value) and "policies.stockpile.0.quantity" in str(err.value)


@pytest.mark.parametrize("update, phrase", [
    ({"name": "n" * 201}, "name: String should have at most 200 characters"),
    ({"name": "a\x00b"}, "name: contains a NUL character"),
    ({"description": "ok\ud800"}, "description: contains a lone surrogate"),
    ({"market": {"ref": "x" * 300}}, "market.ref: a market name is 1 to 100"),
    ({"market": {"ref": "../../etc/passwd"}}, "market.ref"),
    ({"focus": "U" * 65}, "focus"),
])
def test_text_limits_name_the_field(update, phrase):
    with pytest.raises(ScenarioError, match="invalid scenario") as err:
        simulate({**_GALLIUM, **update})
    assert phrase in str(err.value)


def test_hostile_yaml_files_are_scenario_errors(tmp_path):
    cases = {
        "deep.yaml": "name: deep\nmarket: {ref: gallium}\nx: " + "[" * 500 + "]" * 500 + "\n",
        "twice.yaml": "name: a\nname: b\nmarket: {ref: gallium}\n",
        "bomb.yaml": "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
            f"{n}: &{n} [{','.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcde", "bcdef")),
        "date.yaml": "name: x\nwhen: 2024-13-45\nmarket: {ref: gallium}\n",
    }
    phrases = {"deep.yaml": "nested more than 16 levels", "twice.yaml": "appears twice",
               "bomb.yaml": "more than 200,000 values", "date.yaml": "cannot be read"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(ScenarioError) as err:
            load_scenario(tmp_path / name)
        assert phrases[name] in str(err.value), (name, str(err.value))


def test_a_file_name_the_system_refuses_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="not found|unknown preset"):
        load_scenario("x" * 300 + ".yaml")
    with pytest.raises(ScenarioError, match="unknown preset"):
        load_scenario("y" * 300)
