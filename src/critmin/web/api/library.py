"""REST endpoints the scenario builder needs beyond running: any market's base point, renaming a
saved scenario, a comparison on one basis of units, and "who am I" for a signed-in key.

``POST /markets/resolve``
    The base point of the market a scenario gives in any of its three forms (a named model
    market, a knowledge-base market with its options, an inline market), so every preset, even
    one whose market is not in ``/markets`` (a knowledge-base market with grouped regions), can
    be opened and edited in the builder.
``PATCH /scenarios/{id}``
    Rename a saved scenario (needs a key); its spec's name changes with it.
``POST /comparison``
    Like ``/compare`` but every row in words with its unit, quantities and prices converted to one
    mass unit (:func:`critmin.model.comparison.comparison_table`), and each column's market. A
    chain-engine scenario's figures come per mineral, as ``{"low", "high"}`` where its market's
    bounded inputs give a range.
``GET /auth/key``
    The key sent in ``X-API-Key``: id, name, administrator or not (401 when missing or invalid),
    for the page's sign-in.

The solving, the checks and the error answers are :mod:`critmin.web.api.scenarios`' (one way to
run a scenario); this module only adds what the builder shows.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional, Union

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from pydantic import BaseModel, ConfigDict, Field

from critmin.model.chain.scenario_file import ChainScenario
from critmin.model.scenario import MarketFromKB, MarketRef, MarketSpec, Name, Scenario, Text
from critmin.web.api import scenarios as sc
from critmin.web.api.responses import BODY_RESPONSES, RESPONSES, WRITE_RESPONSES, clean, json_response, problem, records
from critmin.web.storage import db

router = APIRouter(responses=RESPONSES, tags=["scenario library"])


class MarketDocument(BaseModel):
    """A scenario's ``market``, in any of its forms: ``{ref}``, ``{from_kb: {...}}`` or inline."""

    model_config = ConfigDict(extra="forbid")

    market: Union[MarketRef, MarketFromKB, MarketSpec]


@router.post("/markets/resolve", responses=BODY_RESPONSES,
             summary="The specification and calibrated base point of a scenario's market, in any of its forms")
def resolve_market(body: MarketDocument):
    from critmin.model.policies import build_market, market_spec

    scenario = Scenario.model_validate({"name": "market", "market": body.market.model_dump(mode="json", by_alias=True,
                                                                                            exclude_none=True)})
    scenario = sc._checked(scenario)  # no file paths, known refs, at most MAX_REGIONS regions
    spec = sc._model_call(lambda: market_spec(scenario))
    m = sc._model_call(lambda: build_market(spec))
    flows = m.flows_frame()
    return json_response({
        "name": sc.mineral_of(scenario),
        "market": sc.spec_of(scenario)["market"],
        "spec": clean(spec.model_dump(mode="json", by_alias=True)),
        "regions": list(m.regions),
        "base": records(m.summary().reset_index()),
        "base_flows": [{"origin": o, "destination": d, "quantity": float(flows.loc[o, d])}
                       for o in m.regions for d in m.regions if flows.loc[o, d] > 0],
    })


class Rename(BaseModel):
    """A saved scenario's new name (and, optionally, description)."""

    model_config = ConfigDict(extra="forbid")

    name: Name = Field(..., min_length=1, description="The new name (not blank).")
    description: Optional[Text] = None


@router.patch("/scenarios/{scenario_id}", responses=WRITE_RESPONSES,
              summary="Rename a saved scenario (needs an API key)")
def rename_saved(request: Request, body: Rename, scenario_id: int = Path(..., ge=1, le=2**31 - 1),
                 key_id: str = Depends(sc.require_key)):
    name = body.name.strip()
    if not name:
        raise problem(422, "the new name must not be blank")
    if not db.storable_text(name) or (body.description is not None and not db.storable_text(body.description)):
        raise problem(422, "the name and description must be text without NUL characters")
    row = db.rename_scenario(sc.engine(request), scenario_id, name, body.description)
    if row is None:
        raise problem(404, f"no saved scenario with id {scenario_id}")
    return json_response(row)


class ComparisonRequest(sc.CompareRequest):
    pass


def _column(label: str, summary: dict, result: dict | None, focus: str | None) -> Any:
    from critmin.model.comparison import Column

    result = result or {}
    return Column(label=label, summary=summary, unit=result.get("unit"), price_unit=result.get("price_unit"),
                  mineral=result.get("mineral"), stage=result.get("stage"), focus=focus)


@router.post("/comparison", responses=BODY_RESPONSES,
             summary="Compare scenarios and stored runs: every metric in words with its unit, on one mass unit")
def comparison(request: Request, body: ComparisonRequest,
               basis: str = Query("t", pattern=r"^(t|kg|kt)$", description="Mass unit of quantities and prices.")):
    from critmin.model.comparison import comparison_table

    labels: list[str] = []
    found: list[tuple[dict, dict | None, str | None] | None] = []
    to_solve: list[tuple[int, Scenario]] = []
    for i, item in enumerate(body.items):
        if item.run_id is not None:
            run = sc._run(request, item.run_id)
            labels.append(item.label or f"run {run['id']}: {run['scenario_name']}")
            found.append((run["summary"], run["result"], (run["spec"] or {}).get("focus")))
            continue
        if item.preset is not None:
            s = sc._load_preset(item.preset)
            labels.append(item.label or f"preset: {s.name}")
        elif item.scenario_id is not None:
            row = sc._saved(request, item.scenario_id)
            s = sc._parse_saved(row)
            labels.append(item.label or f"saved {row['id']}: {s.name}")
        else:
            s = item.scenario  # type: ignore[assignment]
            labels.append(item.label or s.name)
        found.append(None)
        to_solve.append((i, s))
    chains: dict[int, Any] = {}
    armington = [(i, s) for i, s in to_solve if not isinstance(s, ChainScenario)]
    if armington:
        results = sc.solve([s for _, s in armington])
        for (i, s), r in zip(armington, results):
            d = clean(r.to_dict())
            found[i] = (clean(r.summary().to_dict()), d, s.focus)
    for i, s in to_solve:
        if isinstance(s, ChainScenario):
            _, sim = sc.solve_chain(s)
            payload = sc.chain_payload(sim, s)
            found[i] = ({"status": payload["status"], "message": payload["message"] or payload["failure_note"]},
                        {"mineral": ", ".join(s.minerals), "stage": "chain engine"}, s.focus)
            chains[i] = payload["summary"]
    labels = sc._unique(labels)
    columns = [_column(lab, *f) for lab, f in zip(labels, found)]  # type: ignore[misc]
    columns = [dataclasses.replace(c, chain=chains[i]) if i in chains else c for i, c in enumerate(columns)]
    return json_response(comparison_table(columns, basis=basis))


@router.get("/auth/key", responses=WRITE_RESPONSES, summary="The API key sent in X-API-Key: id, name, administrator")
def who_am_i(request: Request, _declared: Optional[str] = Security(sc.API_KEY_HEADER)):
    from critmin.web.storage.keys import presented_key, verified_key

    row = verified_key(sc.engine(request), presented_key(request.headers))
    return json_response({"key_id": row["key_id"], "name": row["name"], "admin": bool(row["is_admin"])})


__all__ = ["router"]
