"""REST endpoints of the policy model: markets, presets, running, saving and comparing.

Scenarios are the model's own schema (:class:`critmin.model.scenario.Scenario`, the same
as the YAML files): the request body is validated by it, so a typo in a field is a 422
naming the field path (``body.policies.tariffs.0.rate``). Problems only the model can see
(an unknown region, a market that does not balance) are :class:`ScenarioError` or
:class:`MarketError`, also 422. Results are :meth:`Result.to_dict` and
:meth:`Result.summary`, exactly what ``critmin`` prints.

Reads need no key; saving, storing runs, uploading and deleting need one (see
:mod:`critmin.web.storage.keys`). Every write validates completely (the scenario is compiled on its
market) before anything is stored, so a bad request writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from fastapi import APIRouter, Depends, File, Path, Query, Request, Security, UploadFile
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from critmin.model.outcome import failure_note, outcome_counts
from critmin.model.chain.scenario_file import ChainScenario
from critmin.model.scenario import Scenario
from critmin.snapshot.manifest import per_snapshot
from critmin.web.storage import db
from critmin.web.api.responses import (BODY_RESPONSES, RESPONSES, WRITE_RESPONSES, Format, clean, csv_response, json_response,
                                   problem, records)

router = APIRouter(responses=RESPONSES, tags=["scenarios"])

NAME_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"
#: A knowledge-base market id, ``kb:<commodity id>:<stage>`` (e.g. ``kb:gallium:processing``).
KB_PREFIX = "kb:"
KB_LIST_YEAR = 2025
MARKET_NAME_PATTERN = r"^(kb:[a-z0-9-]{1,60}:(processing|mine)|[A-Za-z0-9_-]{1,80})$"
MAX_REGIONS = 40
MAX_COMPARE = 8
RESULT_TABLES = ("prices", "quantities", "flows", "welfare", "binding")


class ArmingtonDocument(Scenario):
    """An Armington scenario as a request body: ``engine`` may be given as ``armington`` (and is dropped)."""

    @model_validator(mode="before")
    @classmethod
    def _drop_engine(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("engine") == "armington":
            return {k: v for k, v in data.items() if k != "engine"}
        return data


def _engine_tag(value: Any) -> str | None:
    """``chain`` for ``engine: chain``, ``armington`` without ``engine`` or with ``engine: armington``, else None."""
    engine = value.get("engine", "armington") if isinstance(value, dict) else getattr(value, "engine_name", None)
    if isinstance(value, Scenario):
        return "armington"
    return engine if engine in ("armington", "chain") else None


#: A request body holding a scenario of either engine (the YAML as JSON); ``engine: chain`` selects the chain engine.
ScenarioDocument = Annotated[
    Union[Annotated[ArmingtonDocument, Tag("armington")], Annotated[ChainScenario, Tag("chain")]],
    Discriminator(_engine_tag, custom_error_type="engine",
                  custom_error_message="engine must be 'armington' (or absent) or 'chain'"),
]


class ModelInputError(Exception):
    """A scenario the model rejects or cannot solve; answered with 422."""


def engine(request: Request):
    return request.app.state.engine


API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key from `critmin keys create NAME` (also accepted as `Authorization: Bearer`).")


def require_key(request: Request, _declared: Optional[str] = Security(API_KEY_HEADER)) -> str:
    """The id of the valid API key sent with a write request (401 otherwise)."""
    from critmin.web.storage.keys import presented_key, verify_key

    return verify_key(request.app.state.engine, presented_key(request.headers))


# --- model calls ------------------------------------------------------------------------

def _checked(scenario: Scenario) -> Scenario:
    """Drop the server-side file path (a client must not point the loader at files)."""
    from critmin.model.policies import market_spec

    scenario = scenario.model_copy(update={"source_path": None})
    if hasattr(scenario.market, "ref"):
        from critmin.model.scenario import PRESET_DIR

        ref = scenario.market.ref
        if ref.startswith(KB_PREFIX):
            _, mineral, stage = (ref.split(":") + ["", ""])[:3]
            raise ModelInputError(f"market.ref: {ref!r} is a knowledge-base market; send it as "
                                  f"market: {{from_kb: {{mineral: {mineral!r}, stage: {stage!r}}}}}")
        if not (PRESET_DIR / f"market_{scenario.market.ref}.yaml").is_file():
            raise ModelInputError(f"market.ref: no market named {scenario.market.ref!r}; known: {', '.join(market_names())}")
    spec = _model_call(lambda: market_spec(scenario))
    if len(spec.regions) > MAX_REGIONS:
        raise ModelInputError(f"market.regions: at most {MAX_REGIONS} regions in a web request (got {len(spec.regions)})")
    return scenario


def _model_call(fn):
    """Run a model function, turning its input errors into :class:`ModelInputError`."""
    import numpy as np

    from critmin.model import MarketError, ScenarioError

    try:
        with np.errstate(all="ignore"):
            return fn()
    except (ScenarioError, MarketError) as exc:
        raise ModelInputError(str(exc)) from None
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, IndexError, KeyError, OverflowError) as exc:
        raise ModelInputError(f"the model cannot solve this scenario: {type(exc).__name__}: {exc}") from None


def validate(scenario: Scenario) -> Scenario:
    """Check the scenario compiles on its market (nothing solved)."""
    from critmin.model import prepare_scenario

    if isinstance(scenario, ChainScenario):
        raise ModelInputError("engine: saving and storing runs of chain-engine scenarios is not supported yet; "
                              "solve them with POST /api/v1/scenarios/run")
    scenario = _checked(scenario)
    _model_call(lambda: prepare_scenario(scenario))
    return scenario


def solve(scenarios: list[Scenario]) -> list:
    from critmin.model import simulate_many

    if any(isinstance(s, ChainScenario) for s in scenarios):
        raise ModelInputError("engine: saving and storing runs of chain-engine scenarios is not supported yet; "
                              "solve them with POST /api/v1/scenarios/run")
    checked = [_checked(s) for s in scenarios]
    return _model_call(lambda: simulate_many(checked))


# --- chain-engine scenarios ----------------------------------------------------------------

def _chain_checked(scenario: ChainScenario) -> tuple[ChainScenario, list[dict], list[str]]:
    """The scenario without a server-side path, its minerals' markets (calibrated variants) and its notes.

    Every market is built and every policy compiled on it (nothing solved), so a bad region, stage or
    market is a 422 before any solve; a market with more than :data:`MAX_REGIONS` regions is refused.
    """
    from critmin.model.chain.scenario_file import check_scenario, market_variants

    scenario = scenario.model_copy(update={"source_path": None})
    minerals = []
    for mineral, entry in scenario.minerals.items():
        variants = _model_call(lambda: market_variants(entry))
        first = next(iter(variants.values()))
        if len(first.regions) > MAX_REGIONS:
            raise ModelInputError(f"minerals.{mineral}.market: at most {MAX_REGIONS} regions in a web request "
                                  f"(got {len(first.regions)})")
        minerals.append({"mineral": mineral, "market": _chain_market_label(entry.market),
                         "variants": list(variants), "bounded": len(variants) > 1, "regions": list(first.regions),
                         "stages": [{"name": st.name, "basis": st.basis, "unit": st.unit, "price_unit": st.price_unit}
                                    for st in first.stages]})
    notes = _model_call(lambda: check_scenario(scenario))
    return scenario, minerals, notes


def _chain_market_label(market) -> Any:
    from critmin.model.chain.scenario_file import KBMarketRef, MarketFileRef

    if isinstance(market, KBMarketRef):
        return market.key()
    if isinstance(market, MarketFileRef):
        return {"ref": market.ref}
    return "inline"


def solve_chain(scenario: ChainScenario):
    """A chain scenario checked and solved: :class:`critmin.model.engines.Simulation`."""
    from critmin.model.engines import simulate_any

    checked, _, _ = _chain_checked(scenario)
    return checked, _model_call(lambda: simulate_any(checked))


def chain_payload(sim, scenario: ChainScenario) -> dict:
    """The JSON answer for one solved chain scenario (see /work/helpers/chain-rest.md and docs/web.md)."""
    r = sim.result

    def rows(frame):
        return records(frame.reset_index()) if not frame.empty else []

    return {"engine": "chain", "scenario": spec_of(scenario), "status": sim.status, "message": sim.message,
            "outcome": r.outcome(), "failure_note": r.failure_note(), "notes": list(sim.notes),
            "summary": rows(sim.tables["summary"]), "years": rows(sim.tables["years"]),
            "prices": rows(sim.tables["prices"]), "result": clean(r.to_dict())}


def chain_summary_flat(sim) -> dict:
    """A chain scenario's summary as one column of a comparison: ``<mineral>.<figure>`` -> value."""
    out: dict[str, Any] = {"engine": "chain", "status": sim.status, "message": sim.message}
    frame = sim.tables["summary"]
    for mineral, row in frame.iterrows():
        for key, value in row.items():
            out[f"{mineral}.{key}"] = value
    return clean(out)


def run_payload(scenario) -> dict:
    """Solve a scenario of either engine and give its JSON answer."""
    if isinstance(scenario, ChainScenario):
        checked, sim = solve_chain(scenario)
        return chain_payload(sim, checked)
    (result,) = solve([scenario])
    return {"engine": "armington", **result_payload(result, scenario)}


def result_payload(result, scenario: Scenario) -> dict:
    """The JSON answer for one solved scenario: spec, headline summary and every table."""
    return {
        "scenario": spec_of(scenario),
        "summary": clean(result.summary().to_dict()),
        "result": clean(result.to_dict()),
    }


def spec_of(scenario: Scenario) -> dict:
    """The scenario as JSON, as it is saved: a supply elasticity of +inf is the string "Infinity"."""
    import json

    return json.loads(scenario.model_dump_json(by_alias=True))


def mineral_of(scenario: Scenario) -> str | None:
    if isinstance(scenario, ChainScenario):
        return ", ".join(scenario.minerals)
    m = scenario.market
    return getattr(m, "ref", None) or getattr(m, "mineral", None)


def market_names() -> list[str]:
    from critmin.model.scenario import PRESET_DIR

    return sorted(p.stem[len("market_"):] for p in PRESET_DIR.glob("market_*.yaml"))


# --- knowledge-base markets ----------------------------------------------------------------

@per_snapshot(maxsize=1)
def kb_market_trials() -> list:
    """:func:`critmin.model.calibrate_kb.available_kb_markets` for the 2025 list, once per snapshot.

    Kept per snapshot fingerprint (a rebuilt snapshot is tried again); the warm-up thread
    calls this at start, so the builder's first request finds it ready. Raises what the
    model raises for a missing snapshot.
    """
    from critmin.model.calibrate_kb import available_kb_markets

    return available_kb_markets(KB_LIST_YEAR)


def kb_name(commodity_id: str, stage: str) -> str:
    return f"{KB_PREFIX}{commodity_id}:{stage}"


def kb_market_document(commodity_id: str, stage: str) -> dict:
    """The scenario ``market`` a knowledge-base market id stands for (the presets' form)."""
    return {"from_kb": {"mineral": commodity_id, "stage": stage}}


def _kb_item(trial) -> dict:
    m = trial.market
    return {"name": kb_name(trial.commodity_id, trial.stage), "kind": "kb",
            "label": f"{trial.name}, {trial.stage} (knowledge base; {m.unit}, {m.price_unit})",
            "mineral": m.mineral, "commodity_id": trial.commodity_id, "stage": trial.stage, "unit": m.unit,
            "price_unit": m.price_unit, "regions": list(m.regions),
            "market": kb_market_document(trial.commodity_id, trial.stage), "assumptions": list(m.assumptions)}


def _kb_trial(request: Request, name: str):
    """The successful trial behind ``kb:<mineral>:<stage>``, else 404 with the reason."""
    _, cid, stage = name.split(":")
    trials = kb_market_trials()
    trial = next((t for t in trials if t.commodity_id == cid and t.stage == stage), None)
    if trial is None:
        raise problem(404, f"unknown knowledge-base market {name!r}: {cid!r} is not a mineral on the "
                           f"{KB_LIST_YEAR} critical-mineral list (see /api/v1/minerals?list_year={KB_LIST_YEAR})")
    if not trial.ok:
        raise problem(404, f"knowledge-base market {name!r} cannot be calibrated: {trial.error}")
    return trial


# --- markets and presets ----------------------------------------------------------------

@router.get("/markets", summary="Markets a scenario can use: model markets (market: {ref: NAME}) and knowledge-base "
                                "markets that calibrate (market: {from_kb: {mineral, stage}})")
def markets(request: Request,
            engine_name: Literal["armington", "chain"] = Query(
                "armington", alias="engine", description="armington (today's builder markets) or chain (every "
                "knowledge-base market and linked chain with its status, and the chain market files)"),
            status: Optional[Literal["calibrated", "missing"]] = Query(
                None, description="chain markets only: calibrated or missing")):
    from critmin.errors import CritminError
    from critmin.model.scenario import load_market_spec

    if engine_name == "chain":
        return json_response(chain_markets(status))
    if status is not None:
        raise problem(422, "status: filters chain markets only (add engine=chain)")

    items = []
    for name in market_names():
        spec = load_market_spec(name)
        items.append({"name": name, "kind": "model", "label": f"{name} ({spec.unit}, {spec.price_unit})",
                      "mineral": spec.mineral, "stage": spec.stage, "unit": spec.unit,
                      "price_unit": spec.price_unit, "regions": list(spec.regions), "market": {"ref": name},
                      "assumptions": [f"source: {s}" for s in spec.sources] + list(spec.notes)})
    unavailable: list[dict] = []
    meta: dict = {"kb_list_year": KB_LIST_YEAR}
    try:
        trials = kb_market_trials()
    except CritminError as exc:  # no snapshot: the model markets still work
        meta["kb_error"] = f"the knowledge base is not available: {exc}"
    else:
        for t in trials:
            if t.ok:
                items.append(_kb_item(t))
            else:
                unavailable.append({"name": kb_name(t.commodity_id, t.stage), "mineral": t.name,
                                    "commodity_id": t.commodity_id, "stage": t.stage, "reason": t.error})
    return json_response({"items": items, "total": len(items), "limit": None, "offset": 0, "meta": meta,
                          "unavailable": unavailable})


def chain_market_files() -> list[dict]:
    """The chain market files shipped with critmin (``chain_market_<name>.yaml``), as /markets items."""
    from critmin.model.chain.scenario_file import load_market_file
    from critmin.model.scenario import PRESET_DIR

    items = []
    for path in sorted(PRESET_DIR.glob("chain_market_*.yaml")):
        name = path.stem[len("chain_market_"):]
        spec = _model_call(lambda: load_market_file(name))
        sources, _ = spec.labels()
        stages = [{"name": st.name, "basis": st.basis, "unit": st.unit, "price_unit": st.price_unit}
                  for st in spec.stages]
        items.append({"name": name, "kind": "file", "market": {"ref": name}, "mineral": spec.mineral,
                      "stage": ", ".join(st["name"] for st in stages), "status": "calibrated",
                      "basis": " -> ".join(st["basis"] for st in stages), "unit": stages[-1]["unit"],
                      "price_unit": stages[-1]["price_unit"], "price": None, "price_series": None,
                      "stages": stages, "regions": [r if isinstance(r, str) else next(iter(r)) for r in spec.regions],
                      "flow_method": "market file", "bounded": spec.bounded, "link": None, "sources": sources,
                      "missing": None})
    return items


def chain_markets(status: str | None = None) -> dict:
    """Every chain-engine market a scenario can name: knowledge-base markets and chains with their status, files."""
    from critmin import api

    frame = _model_call(lambda: api.markets(KB_LIST_YEAR))

    def split(text):
        return [x.strip() for x in str(text).split(",") if x.strip()] if isinstance(text, str) else []

    items = []
    for row in frame.to_dict("records"):
        ok = row["status"] == "calibrated"
        items.append({"name": row["market"], "kind": "kb", "market": row["market"], "mineral": row["mineral"],
                      "stage": row["stage"], "status": row["status"],
                      **{k: (row.get(k) or None) if ok else None
                         for k in ("basis", "unit", "price_unit", "price_series", "flow_method", "link")},
                      "price": row.get("price") if ok else None,
                      "regions": split(row.get("regions")) if ok else [],
                      "bounded": bool(row.get("bounded")) if ok else None,
                      "sources": split(row.get("sources")) if ok else [],
                      "missing": None if ok else (row.get("missing") or "not calibrated")})
    items += chain_market_files()
    counts = {"calibrated": sum(i["status"] == "calibrated" for i in items),
              "missing": sum(i["status"] == "missing" for i in items)}
    if status is not None:
        items = [i for i in items if i["status"] == status]
    return {"items": items, "total": len(items), "limit": None, "offset": 0,
            "meta": {"engine": "chain", "list_year": KB_LIST_YEAR, **counts}}


@router.get("/markets/{name}", summary="A market (model or kb:<mineral>:<stage>): its specification and "
                                       "calibrated base point by region")
def market(request: Request, name: str = Path(..., pattern=MARKET_NAME_PATTERN)):
    from critmin.model.policies import build_market
    from critmin.model.scenario import load_market_spec

    if name.startswith(KB_PREFIX):
        from critmin.model.scenario import KBSource, resolve_kb_market

        trial = _kb_trial(request, name)
        source = KBSource.model_validate(kb_market_document(trial.commodity_id, trial.stage)["from_kb"])
        spec = _model_call(lambda: resolve_kb_market(source))
        market_doc = kb_market_document(trial.commodity_id, trial.stage)
    elif name not in market_names():
        raise problem(404, f"unknown market {name!r}; known: {', '.join(market_names())} and the "
                           "kb:<mineral>:<stage> markets listed by /api/v1/markets")
    else:
        spec = load_market_spec(name)
        market_doc = {"ref": name}
    m = _model_call(lambda: build_market(spec))
    flows = m.flows_frame()
    return json_response({
        "name": name,
        "market": market_doc,
        "spec": clean(spec.model_dump(mode="json", by_alias=True)),
        "regions": list(m.regions),
        "base": records(m.summary().reset_index()),
        "base_flows": [{"origin": o, "destination": d, "quantity": float(flows.loc[o, d])}
                       for o in m.regions for d in m.regions if flows.loc[o, d] > 0],
    })


@router.get("/presets", summary="Preset scenarios shipped with critmin (both engines; `engine` says which)")
def presets(mineral: Optional[str] = Query(None, max_length=100),
            engine_name: Optional[Literal["armington", "chain"]] = Query(None, alias="engine"),
            fmt: Format = Query(Format.json, alias="format")):
    from critmin.model import list_presets, load_scenario

    rows = []
    for rec in list_presets(engine_name).to_dict("records"):
        s = load_scenario(rec["name"])
        if isinstance(s, ChainScenario):
            minerals = list(s.minerals)
            market = rec["market"]
        else:
            minerals = [mineral_of(s)]
            market = mineral_of(s)
        if mineral and mineral not in minerals:
            continue
        rows.append({"name": rec["name"], "scenario": rec["scenario"], "description": rec["description"],
                     "market": market, "engine": rec["engine"], "minerals": minerals})
    if fmt is Format.csv:
        return csv_response(rows, "presets", ["name", "scenario", "description", "market", "engine", "minerals"])
    return json_response({"items": rows, "total": len(rows), "limit": None, "offset": 0, "meta": {}})


def _load_preset(name: str):
    from critmin.model import list_presets, load_scenario

    if name not in set(list_presets(None)["name"]):
        raise problem(404, f"unknown preset {name!r}; see /api/v1/presets")
    return load_scenario(name)


@router.get("/presets/{name}", summary="A preset scenario's specification (the YAML as JSON)")
def preset(name: str = Path(..., pattern=NAME_PATTERN)):
    return json_response(spec_of(_load_preset(name)))


@router.get("/presets/{name}/result", summary="Solve a preset: summary and every result table")
def preset_result(name: str = Path(..., pattern=NAME_PATTERN)):
    return json_response(run_payload(_load_preset(name)))


# --- running without saving ---------------------------------------------------------------

@router.post("/scenarios/run", responses=BODY_RESPONSES,
             summary="Solve a scenario of either engine given in the body (nothing is stored)")
def run_scenario(scenario: ScenarioDocument):
    return json_response(run_payload(scenario))


@router.post("/scenarios/validate", responses=BODY_RESPONSES,
             summary="Check a scenario of either engine without solving it (markets built, policies compiled)")
def validate_scenario(scenario: ScenarioDocument):
    if isinstance(scenario, ChainScenario):
        checked, minerals, notes = _chain_checked(scenario)
        return json_response({"valid": True, "engine": "chain", "scenario": spec_of(checked),
                              "market": mineral_of(checked), "minerals": minerals, "notes": notes})
    s = validate(scenario)
    return json_response({"valid": True, "engine": "armington", "scenario": spec_of(s), "market": mineral_of(s)})


# --- saved scenarios --------------------------------------------------------------------------

@router.get("/scenarios", summary="Saved scenarios, newest first")
def list_saved(
    request: Request,
    mineral: Optional[str] = Query(None, max_length=100),
    q: Optional[str] = Query(None, max_length=100, description="Name contains (case-insensitive)."),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
):
    total, items = db.list_scenarios(engine(request), mineral=mineral, q=q, limit=limit, offset=offset)
    return json_response({"items": items, "total": total, "limit": limit, "offset": offset, "meta": {}})


@router.post("/scenarios", status_code=201, responses=WRITE_RESPONSES, summary="Save a scenario (needs an API key)")
def save(request: Request, scenario: ScenarioDocument, key_id: str = Depends(require_key)):
    s = validate(scenario)
    return json_response(db.insert_scenario(engine(request), spec_of(s), mineral_of(s), key_id), status_code=201)


@router.post("/scenarios/upload", status_code=201, responses=WRITE_RESPONSES, summary="Save a scenario from a YAML file (needs an API key)")
async def upload(request: Request, file: UploadFile = File(..., description="A scenario YAML file"),
                 key_id: str = Depends(require_key)):
    from critmin.model.scenario import ScenarioError, parse_scenario, parse_yaml

    limit = request.app.state.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise problem(413, f"scenario file too large: more than {limit:,} bytes")
    origin = _upload_name(file.filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise problem(422, f"{origin}: not a UTF-8 YAML file: {exc}") from None
    try:  # depth, size, aliases, repeated keys, then the YAML itself (critmin.model.scenario.parse_yaml)
        parsed = parse_yaml(text, origin)
    except ScenarioError as exc:
        raise problem(422, f"not a UTF-8 YAML file that critmin accepts: {exc}") from None
    scenario = _model_call(lambda: parse_scenario(parsed, origin))
    s = validate(scenario)
    return json_response(db.insert_scenario(engine(request), spec_of(s), mineral_of(s), key_id), status_code=201)


def _upload_name(filename: str | None) -> str:
    """The uploaded file's name for messages: short, and only characters that print."""
    name = "".join(c for c in (filename or "upload") if c.isprintable() and db.storable_text(c))
    return (name[:80] + "...") if len(name) > 80 else (name or "upload")


def _saved(request: Request, scenario_id: int) -> dict:
    row = db.get_scenario(engine(request), scenario_id)
    if row is None:
        raise problem(404, f"no saved scenario with id {scenario_id}")
    return row


def _parse_saved(row: dict) -> Scenario:
    from critmin.model.scenario import parse_scenario

    return _model_call(lambda: parse_scenario(row["spec"], f"saved scenario {row['id']}"))


@router.get("/scenarios/{scenario_id}", summary="A saved scenario")
def get_saved(request: Request, scenario_id: int = Path(..., ge=1, le=2**31 - 1)):
    return json_response(_saved(request, scenario_id))


@router.delete("/scenarios/{scenario_id}", responses=WRITE_RESPONSES, summary="Delete a saved scenario (needs an API key); its runs are kept")
def delete_saved(request: Request, scenario_id: int = Path(..., ge=1, le=2**31 - 1), key_id: str = Depends(require_key)):
    _saved(request, scenario_id)
    db.delete_scenario(engine(request), scenario_id)
    return json_response({"deleted": scenario_id})


@router.post("/scenarios/{scenario_id}/runs", status_code=201, responses=WRITE_RESPONSES, summary="Solve a saved scenario and store the run (needs an API key)")
def run_saved(request: Request, scenario_id: int = Path(..., ge=1, le=2**31 - 1), key_id: str = Depends(require_key)):
    row = _saved(request, scenario_id)
    scenario = _parse_saved(row)
    (result,) = solve([scenario])
    return json_response(_store_run(request, scenario_id, scenario, result, key_id), status_code=201)


@router.post("/runs", status_code=201, responses=WRITE_RESPONSES, summary="Solve a scenario given in the body and store the run (needs an API key)")
def run_and_store(request: Request, scenario: ScenarioDocument, key_id: str = Depends(require_key)):
    (result,) = solve([scenario])
    return json_response(_store_run(request, None, scenario, result, key_id), status_code=201)


def _store_run(request: Request, scenario_id: int | None, scenario: Scenario, result, key_id: str) -> dict:
    from critmin import __version__

    payload = result_payload(result, scenario)
    fp = request.app.state.fingerprint()
    return db.insert_run(engine(request), scenario_id=scenario_id, spec=payload["scenario"], result=payload["result"],
                         summary=payload["summary"], critmin_version=__version__,
                         fingerprint=None if fp == "none" else fp, key_id=key_id)


# --- runs ---------------------------------------------------------------------------------------

@router.get("/runs", summary="Stored runs, newest first (summaries only)")
def list_runs(
    request: Request,
    scenario_id: Optional[int] = Query(None, ge=1, le=2**31 - 1),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
):
    total, items = db.list_runs(engine(request), scenario_id=scenario_id, limit=limit, offset=offset)
    return json_response({"items": items, "total": total, "limit": limit, "offset": offset, "meta": {}})


def _run(request: Request, run_id: int) -> dict:
    row = db.get_run(engine(request), run_id)
    if row is None:
        raise problem(404, f"no run with id {run_id}")
    return row


@router.get("/runs/{run_id}", summary="A stored run with its scenario, summary and result tables")
def get_run(request: Request, run_id: int = Path(..., ge=1, le=2**31 - 1)):
    return json_response(_run(request, run_id))


@router.get("/runs/{run_id}/tables/{table}", summary="One result table of a stored run, as JSON or CSV")
def run_table(
    request: Request,
    run_id: int = Path(..., ge=1, le=2**31 - 1),
    table: Literal["prices", "quantities", "flows", "welfare", "binding", "summary"] = Path(...),
    fmt: Format = Query(Format.json, alias="format"),
):
    row = _run(request, run_id)
    if table == "summary":
        rows = [{"metric": k, "value": v} for k, v in row["summary"].items()]
    else:
        rows = row["result"].get(table, [])
    if fmt is Format.csv:
        return csv_response(rows, f"run{run_id}_{table}")
    return json_response({"items": rows, "total": len(rows), "limit": None, "offset": 0,
                          "meta": {"unit": row["result"].get("unit"), "price_unit": row["result"].get("price_unit")}})


# --- comparison -----------------------------------------------------------------------------------

class CompareItem(BaseModel):
    """One column of a comparison: a preset, a saved scenario, a stored run, or a scenario inline."""

    model_config = ConfigDict(extra="forbid")

    preset: Optional[str] = Field(None, pattern=NAME_PATTERN)
    scenario_id: Optional[int] = Field(None, ge=1, le=2**31 - 1)
    run_id: Optional[int] = Field(None, ge=1, le=2**31 - 1)
    scenario: Optional[ScenarioDocument] = None
    label: Optional[str] = Field(None, max_length=200)

    @model_validator(mode="after")
    def _exactly_one(self) -> "CompareItem":
        given = [k for k in ("preset", "scenario_id", "run_id", "scenario") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of preset, scenario_id, run_id or scenario")
        return self


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[CompareItem] = Field(..., min_length=1, max_length=MAX_COMPARE)


@router.post("/compare", responses=BODY_RESPONSES, summary="Compare scenarios and stored runs side by side (headline numbers)")
def compare(request: Request, body: CompareRequest, fmt: Format = Query(Format.json, alias="format")):
    columns: list[tuple[str, dict]] = []
    to_solve: list[tuple[int, Scenario]] = []
    for i, item in enumerate(body.items):
        if item.run_id is not None:
            run = _run(request, item.run_id)
            columns.append((item.label or f"run {run['id']}: {run['scenario_name']}", run["summary"]))
            continue
        if item.preset is not None:
            s = _load_preset(item.preset)
            label = item.label or f"preset: {s.name}"
        elif item.scenario_id is not None:
            row = _saved(request, item.scenario_id)
            s = _parse_saved(row)
            label = item.label or f"saved {row['id']}: {s.name}"
        else:
            s = item.scenario  # type: ignore[assignment]
            label = item.label or s.name
        columns.append((label, {}))
        to_solve.append((i, s))
    armington = [(i, s) for i, s in to_solve if not isinstance(s, ChainScenario)]
    if armington:
        results = solve([s for _, s in armington])
        for (i, _), r in zip(armington, results):
            columns[i] = (columns[i][0], {"engine": "armington", **clean(r.summary().to_dict())})
    for i, s in to_solve:
        if isinstance(s, ChainScenario):
            _, sim = solve_chain(s)
            columns[i] = (columns[i][0], chain_summary_flat(sim))
    labels = _unique([c[0] for c in columns])
    metrics: list[str] = []
    for _, summ in columns:
        metrics.extend(m for m in summ if m not in metrics)
    rows = [{"metric": m, **{lab: summ.get(m) for lab, (_, summ) in zip(labels, columns)}} for m in metrics]
    if fmt is Format.csv:
        return csv_response(rows, "comparison", ["metric", *labels])
    statuses = [summ.get("status", "unknown") for _, summ in columns]
    return json_response({"columns": labels, "rows": rows,
                          "outcome": {**outcome_counts(statuses),
                                      "note": failure_note(statuses, labels, noun="columns")}})


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        n = seen.get(lab, 0)
        seen[lab] = n + 1
        out.append(lab if n == 0 else f"{lab} ({n + 1})")
    return out


__all__ = ["router", "ModelInputError", "RESULT_TABLES"]
