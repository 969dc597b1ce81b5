"""REST endpoints of company exposure: a bill of materials in, exposure, policy cost and rules out.

Every figure is :func:`critmin.exposure.assess`'s; this module parses the request, calls it
and presents the result (JSON, or the forwardable HTML/PDF report of
:mod:`critmin.report.exposure`).

* ``GET /exposure/options``: the example bills, preset scenarios and rule sets a request may name.
* ``GET /exposure/examples/{name}``: run a shipped example (``?scenario=&rules=&year=``);
  ``GET /exposure/examples/{name}.csv`` downloads it (a template to start from).
* ``POST /exposure``: upload a bill (multipart: ``file``, CSV or XLSX; ``scenario``,
  ``rules`` repeatable; ``year``) and get the results.
* ``.../report.html`` and ``.../report.pdf`` of both: the report a buyer can forward.

A bill with problems is a 422 whose ``errors`` name every bad row (row as a spreadsheet shows
it, column, what was found and what was expected); nothing is computed from it. Scenarios are
preset names and rule sets built-in names only: a request never names a file on the server.
"""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from critmin.snapshot.manifest import per_snapshot
from critmin.web.api.responses import BODY_RESPONSES, _error_docs, dumps, json_response, problem

router = APIRouter(tags=["exposure"])

YEARS = (2000, 2100)


class BillProblem(BaseModel):
    """One problem of one row of a bill (``type: bill``), or of a request parameter (no row)."""

    row: Optional[int] = None
    column: Optional[str] = None
    message: str
    expected: str = ""
    found: str = ""
    field: str
    type: Optional[str] = None


class BillProblems(BaseModel):
    """A bill with problems (``file`` and every problem in ``errors``; nothing was computed), or
    a request that names an unknown scenario, rule set or year (``detail`` says which)."""

    detail: str
    file: Optional[str] = None
    errors: Optional[list[BillProblem]] = None


class ExposureResults(BaseModel):
    """What :func:`critmin.exposure.assess` returns, every table as records (nulls where unknown).

    Tables: ``company``, ``indicators``, ``product_indicators``, ``products``, ``parts``,
    ``lines``, ``paths``, ``controls``, ``costs``, ``cost_summary``, ``eligibility``,
    ``diversification``, ``library``; plus ``assumptions`` and ``sources``, and ``request``
    (the bill's name, scenarios, rule sets and year).
    """

    model_config = {"extra": "allow"}
    bill: str
    request: dict
    assumptions: list[str]
    sources: list[str]


_BILL_422 = {422: {"model": BillProblems, "description": "The bill has problems (every bad row named in `errors`: row, "
                                                         "column, found, expected; nothing computed), or an unknown "
                                                         "scenario, rule set or year."}}
RESULT_RESPONSES: dict = {200: {"model": ExposureResults, "description": "Exposure, cost, eligibility, alternatives."},
                          **_error_docs(404, 413, 503), **_BILL_422}
REPORT_RESPONSES: dict = {200: {"content": {"text/html": {}, "application/pdf": {}},
                                "description": "The report (HTML, or PDF printed from it by headless Chromium)."},
                          **_error_docs(404, 413, 503),
                          501: {"description": "PDF asked for and Chromium is not installed on the server."},
                          **_BILL_422}


# --------------------------------------------------------------------------- checking a request

def _presets() -> list[dict]:
    from critmin.model import list_presets

    return list_presets(None)[["name", "scenario", "engine"]].to_dict("records")


def _check(scenario: list[str], rules: list[str], year: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The request's scenarios and rule sets, each a known name (a 422 naming the bad one otherwise)."""
    from critmin.exposure.rules import BUILTIN

    names = {p["name"] for p in _presets()}
    bad = [s for s in scenario if s not in names]
    if bad:
        raise problem(422, f"invalid request: unknown scenario {bad[0]!r}; choose a preset: {', '.join(sorted(names))}")
    if len(scenario) > 10 or len(rules) > 10:
        raise problem(422, "invalid request: at most 10 scenarios and 10 rule sets at a time")
    bad = [r for r in rules if r not in BUILTIN]
    if bad:
        raise problem(422, f"invalid request: unknown rule set {bad[0]!r}; choose {', '.join(BUILTIN)}")
    if not YEARS[0] <= year <= YEARS[1]:
        raise problem(422, f"invalid request: year {year} out of range {YEARS[0]}-{YEARS[1]}")
    # order-preserving, without repeats: the same scenario twice is one scenario
    return tuple(dict.fromkeys(scenario)), tuple(dict.fromkeys(rules))


def bill_problems(err) -> Response:
    """The 422 of a bill with problems: every row named, in the order of the file."""
    recs = [{**r, "field": f"row {r['row']}, column {r['column']}", "type": "bill"} for r in err.to_records()]
    n = len(recs)
    return Response(dumps({"detail": f"{err.file}: {n} problem{'s' if n != 1 else ''} in the bill of materials; "
                                     "nothing was computed", "file": err.file, "errors": recs}),
                    status_code=422, media_type="application/json")


def _example(name: str):
    from critmin import exposure as ex

    key = name.removeprefix("bom_").removesuffix(".csv")
    if key not in ex.example_names():
        raise problem(404, f"unknown example bill {name!r}; choose one of {', '.join(ex.example_names())}")
    return key, ex.example_path(key)


def _run(bill, name: str, scenarios: tuple, rules: tuple, year: int):
    from critmin import exposure as ex
    from critmin.exposure.rules import RulesError
    from critmin.model import ScenarioError

    try:
        return ex.assess(bill, scenarios=scenarios, rule_sets=rules, year=year, years=(year,))
    except (ScenarioError, RulesError) as exc:
        raise problem(422, f"invalid request: {exc}") from None


def _payload(res, name: str, scenarios: tuple, rules: tuple, year: int) -> dict:
    out = res.to_dict()
    out["bill"] = name  # never the server's path of the file
    out["request"] = {"bill": name, "scenarios": list(scenarios), "rules": list(rules), "year": year}
    return out


@per_snapshot(maxsize=32)
def _example_result(key: str, scenarios: tuple, rules: tuple, year: int) -> dict:
    """An example's results, kept per snapshot (the same request is answered from memory)."""
    from critmin import exposure as ex

    res = _run(ex.example_path(key), key, scenarios, rules, year)
    return {"result": res, "payload": _payload(res, f"bom_{key}.csv", scenarios, rules, year)}


async def _upload(file: UploadFile):
    """The uploaded bill validated, or the 413/422 that says why not."""
    from critmin import exposure as ex
    from critmin.exposure.bom import MAX_BILL_BYTES, read_bom_bytes

    data = await file.read(MAX_BILL_BYTES + 1)
    name = _file_name(file.filename)
    if len(data) > MAX_BILL_BYTES:
        raise problem(413, f"{name}: bill too large: more than {MAX_BILL_BYTES:,} bytes")
    try:
        return read_bom_bytes(data, name), name
    except ex.BomError as err:
        return bill_problems(err), name


def _file_name(filename: Optional[str]) -> str:
    """The uploaded file's name for messages: its last path part, printable, short."""
    base = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in base if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF)
    return (text[:80] + "...") if len(text) > 80 else (text or "upload")


# --------------------------------------------------------------------------- endpoints

@router.get("/exposure/options", summary="Example bills, preset scenarios and rule sets for an exposure request",
            responses=_error_docs(422, 503))
def options():
    from critmin import exposure as ex
    from critmin.exposure.bom import COLUMNS, MAX_BILL_BYTES, MAX_BILL_ROWS
    from critmin.exposure.rules import BUILTIN, load_rules

    import pandas as pd

    examples = []
    for key in ex.example_names():
        raw = pd.read_csv(ex.example_path(key), dtype=str, keep_default_na=False)
        top = raw[raw["parent_id"] == ""]
        examples.append({"name": key, "file": f"bom_{key}.csv", "lines": len(raw),
                         "products": top["description"].tolist(),
                         "download": f"/api/v1/exposure/examples/{key}.csv"})
    rule_sets = []
    for r in BUILTIN:
        spec = load_rules(r)
        rule_sets.append({"name": r, "title": str(spec.get("title") or spec.get("name") or r)})
    return json_response({"examples": examples, "scenarios": _presets(), "rules": rule_sets, "columns": list(COLUMNS),
                          "limits": {"bytes": MAX_BILL_BYTES, "lines": MAX_BILL_ROWS, "types": [".csv", ".xlsx", ".xlsm"]},
                          "years": list(YEARS)})


@router.get("/exposure/examples/{name}.csv", summary="Download a shipped example bill (a template)",
            responses={200: {"content": {"text/csv": {}}, "description": "The example bill as CSV."},
                       **_error_docs(404, 422)})
def example_csv(name: str = Path(..., max_length=60)):
    key, path = _example(name)
    return Response(path.read_bytes(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="bom_{key}.csv"'})


def _query_opts(scenario, rules, year):
    return _check(list(scenario or []), list(rules or []), year)


@router.get("/exposure/examples/{name}", summary="Run a shipped example bill", responses=RESULT_RESPONSES)
def example(name: str = Path(..., max_length=60),
            scenario: list[str] = Query([], description="Preset scenario name (repeatable): the policy cost."),
            rules: list[str] = Query([], description="usmca, ira30d or club (repeatable)."),
            year: int = Query(2026, description="Year the rules are applied for, and of the policy cost.")):
    key, _ = _example(name)
    scenarios, rule_sets = _query_opts(scenario, rules, year)
    return json_response(_example_result(key, scenarios, rule_sets, year)["payload"])


@router.post("/exposure", summary="Upload a bill of materials (CSV or XLSX) and get its exposure",
             responses={**RESULT_RESPONSES, **BODY_RESPONSES})
async def upload(request: Request,
                 file: UploadFile = File(..., description="The bill: .csv (UTF-8) or .xlsx, at most 2,000,000 bytes "
                                                          "and 20,000 lines (format: docs/exposure.md)."),
                 scenario: list[str] = Form([], description="Preset scenario name (repeatable)."),
                 rules: list[str] = Form([], description="usmca, ira30d or club (repeatable)."),
                 year: int = Form(2026)):
    scenarios, rule_sets = _check(scenario, rules, year)
    bom, name = await _upload(file)
    if isinstance(bom, Response):
        return bom
    res = _run(bom, name, scenarios, rule_sets, year)
    return json_response(_payload(res, name, scenarios, rule_sets, year))


# --------------------------------------------------------------------------- reports

def _report(res, name: str, scenarios: tuple, rules: tuple, year: int, pdf: bool) -> Response:
    from critmin.report import exposure as rep

    text = rep.build(res, bill_name=name, scenarios=scenarios, rules=rules, year=year)
    stem = name.rsplit(".", 1)[0] or "bill"
    if not pdf:
        return Response(text.encode("utf-8"), media_type="text/html; charset=utf-8")
    try:
        data = rep.to_pdf(text)
    except rep.PdfUnavailable as exc:
        raise problem(501, str(exc)) from None
    return Response(data, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="exposure-{stem}.pdf"'})


@router.get("/exposure/examples/{name}/report.{kind}", summary="The forwardable report of an example bill (HTML or PDF)",
            responses=REPORT_RESPONSES)
def example_report(name: str = Path(..., max_length=60), kind: str = Path(..., pattern="^(html|pdf)$"),
                   scenario: list[str] = Query([]), rules: list[str] = Query([]),
                   year: int = Query(2026)):
    key, _ = _example(name)
    scenarios, rule_sets = _query_opts(scenario, rules, year)
    res = _example_result(key, scenarios, rule_sets, year)["result"]
    return _report(res, f"bom_{key}.csv", scenarios, rule_sets, year, kind == "pdf")


@router.post("/exposure/report.{kind}", summary="Upload a bill and get the forwardable report (HTML or PDF)",
             responses={**REPORT_RESPONSES, **BODY_RESPONSES})
async def upload_report(request: Request, kind: str = Path(..., pattern="^(html|pdf)$"),
                        file: UploadFile = File(..., description="The bill: .csv or .xlsx (as for POST /exposure)."),
                        scenario: list[str] = Form([]), rules: list[str] = Form([]), year: int = Form(2026)):
    scenarios, rule_sets = _check(scenario, rules, year)
    bom, name = await _upload(file)
    if isinstance(bom, Response):
        return bom
    res = _run(bom, name, scenarios, rule_sets, year)
    return _report(res, name, scenarios, rule_sets, year, kind == "pdf")
