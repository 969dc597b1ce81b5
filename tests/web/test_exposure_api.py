"""REST endpoints of company exposure on the committed snapshot: the three example bills, uploads
of CSV and XLSX, a bad bill's 422 naming every row, the report, and edge cases that must never
be a 500 (empty, binary, huge, wrong columns, XLSX with macros or garbage, zip bombs)."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest

from tests.exposure.conftest import HEADER

API = "/api/v1"
EXAMPLES = ["ev_traction_motor", "radar_module", "battery_pack"]
GOOD = HEADER + "\nP,,,Product,,,,,,USA,,,8501.53,100,1000,,\nP-M,P,2,Magnet,ndfeb-magnet,0.5,,,S,China,,,8505.11,20,,no,\n"
#: two bad rows: an unknown parent and material (row 3), a negative mass and unknown country (row 4)
BAD = (HEADER + "\nP,,,Product,,,,,,USA,,,,100,1000,,\nA,X,1,orphan,coblt,1,,,,USA,,,,1,,,\n"
       "B,P,1,bad mass,cobalt,-1,0.5,,,Narnia,,,,1,,,\n")


def post(client, name: str, data: bytes, **form):
    fields = {k: (v if isinstance(v, list) else [v]) for k, v in form.items()}
    return client.post(API + "/exposure", files={"file": (name, data, "application/octet-stream")}, data=fields)


def xlsx_bytes(csv_text: str, sheet: str = "bill") -> bytes:
    df = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    buf = io.BytesIO()
    df.to_excel(buf, index=False, sheet_name=sheet, engine="openpyxl")
    return buf.getvalue()


def assert_no_computation(body: dict) -> None:
    for table in ("company", "indicators", "costs", "eligibility"):
        assert table not in body


# ------------------------------------------------------------------- examples


def test_options_list_the_examples_presets_and_rules(real_client):
    r = real_client.get(API + "/exposure/options")
    assert r.status_code == 200
    body = r.json()
    assert [e["name"] for e in body["examples"]] == sorted(EXAMPLES)
    assert {x["name"] for x in body["rules"]} == {"usmca", "ira30d", "club"}
    assert "section232-tariff-25" in {s["name"] for s in body["scenarios"]}
    assert body["limits"]["bytes"] > 0 and "part_id" in body["columns"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_end_to_end_equal_the_python_api(real_client, name):
    from critmin import api

    r = real_client.get(API + f"/exposure/examples/{name}", params=[("rules", "usmca"), ("rules", "club"),
                                                                     ("scenario", "talks-fail-mip-gallium")])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["bill"] == f"bom_{name}.csv" and "/" not in body["bill"]  # never the server's path
    assert body["request"]["rules"] == ["usmca", "club"]
    want = api.exposure(str(api_path(name)), scenarios=["talks-fail-mip-gallium"], rules=["usmca", "club"]).to_dict()
    for table in ("company", "indicators", "cost_summary", "eligibility", "diversification"):
        assert body[table] == json.loads(json.dumps(want[table])), table
    assert body["company"] and body["eligibility"] and body["sources"]


def api_path(name):
    from critmin.exposure import example_path

    return example_path(name)


def test_example_csv_download_is_the_shipped_file(real_client):
    r = real_client.get(API + "/exposure/examples/radar_module.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content == api_path("radar_module").read_bytes()


def test_unknown_example_scenario_rules_and_year(real_client):
    assert real_client.get(API + "/exposure/examples/toaster").status_code == 404
    assert real_client.get(API + "/exposure/examples/toaster.csv").status_code == 404
    r = real_client.get(API + "/exposure/examples/radar_module", params={"scenario": "/etc/passwd"})
    assert r.status_code == 422 and "unknown scenario" in r.json()["detail"]
    r = real_client.get(API + "/exposure/examples/radar_module", params={"rules": "../../secret.yaml"})
    assert r.status_code == 422 and "unknown rule set" in r.json()["detail"]
    assert real_client.get(API + "/exposure/examples/radar_module", params={"year": 1066}).status_code == 422
    assert real_client.get(API + "/exposure/examples/radar_module", params={"year": "soon"}).status_code == 422


# ------------------------------------------------------------------- uploads


def test_upload_csv_and_xlsx_give_the_same_results(real_client):
    a = post(real_client, "bill.csv", GOOD.encode(), rules="usmca")
    b = post(real_client, "bill.xlsx", xlsx_bytes(GOOD), rules="usmca")
    assert a.status_code == 200, a.text
    assert b.status_code == 200, b.text
    ja, jb = a.json(), b.json()
    assert ja["bill"] == "bill.csv" and jb["bill"] == "bill.xlsx"
    for t in ("company", "indicators", "eligibility"):
        assert ja[t] == jb[t]
    sup = [r for r in ja["company"] if r["stage"] == "supplier"]
    # 1000 products x 2 magnets x 0.5 kg x 30-32 wt% rare earths (the library's cited range)
    assert sup[0]["tonnes_low"] == pytest.approx(1000 * 2 * 0.5 * 0.30 / 1000)
    assert sup[0]["tonnes_high"] == pytest.approx(1000 * 2 * 0.5 * 0.32 / 1000)


def test_upload_with_a_scenario_prices_it(real_client):
    r = post(real_client, "bill.csv", GOOD.encode(), scenario="section232-tariff-25")
    assert r.status_code == 200, r.text
    summary = r.json()["cost_summary"]
    assert summary and all(s["cost_high"] is None or s["cost_high"] >= s["cost_low"] for s in summary)


def test_bad_bill_is_422_naming_every_row_and_computes_nothing(real_client):
    r = post(real_client, "bad.csv", BAD.encode(), rules="usmca")
    assert r.status_code == 422
    body = r.json()
    assert_no_computation(body)
    assert "nothing was computed" in body["detail"] and body["file"] == "bad.csv"
    named = {(e["row"], e["column"]) for e in body["errors"]}
    assert {(3, "parent_id"), (3, "material"), (4, "mass_kg"), (4, "supplier_country")} <= named
    for e in body["errors"]:
        assert e["message"] and e["field"] == f"row {e['row']}, column {e['column']}"
    assert any(e["expected"] for e in body["errors"])
    # the same problems as the Python API reports
    from critmin.exposure import BomError
    from critmin.exposure.bom import read_bom_bytes

    with pytest.raises(BomError) as info:
        read_bom_bytes(BAD.encode(), "bad.csv")
    assert [(p["row"], p["column"], p["message"]) for p in info.value.to_records()] == \
        [(e["row"], e["column"], e["message"]) for e in body["errors"]]


def test_upload_report_html_and_example_report(real_client):
    r = real_client.post(API + "/exposure/report.html", files={"file": ("bill.csv", GOOD.encode())},
                         data={"rules": ["usmca"]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Supply-chain exposure: bill.csv" in r.text and "<svg" in r.text and "@media print" in r.text
    e = real_client.get(API + "/exposure/examples/ev_traction_motor/report.html", params={"rules": "usmca"})
    assert e.status_code == 200 and "bom_ev_traction_motor.csv" in e.text
    bad = real_client.post(API + "/exposure/report.html", files={"file": ("bad.csv", BAD.encode())})
    assert bad.status_code == 422 and len(bad.json()["errors"]) >= 4
    assert real_client.get(API + "/exposure/examples/radar_module/report.doc").status_code in (404, 422)


def test_pdf_without_chromium_is_501_with_the_reason(real_client, monkeypatch):
    from critmin.report import exposure as rep

    monkeypatch.setattr(rep, "chromium", lambda: None)
    r = real_client.get(API + "/exposure/examples/radar_module/report.pdf")
    assert r.status_code == 501 and "Chromium" in r.json()["detail"]


def test_pdf_with_chromium(real_client):
    from critmin.report import exposure as rep

    if rep.chromium() is None:
        pytest.skip("no Chromium installed")
    r = real_client.get(API + "/exposure/examples/radar_module/report.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_openapi_documents_the_endpoints(real_client):
    spec = real_client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/v1/exposure", "/api/v1/exposure/options", "/api/v1/exposure/examples/{name}",
              "/api/v1/exposure/examples/{name}/report.{kind}", "/api/v1/exposure/report.{kind}"):
        assert p in paths, p
    post_422 = paths["/api/v1/exposure"]["post"]["responses"]["422"]
    assert "BillProblems" in json.dumps(post_422)
    assert "BillProblem" in spec["components"]["schemas"]
    assert "multipart/form-data" in paths["/api/v1/exposure"]["post"]["requestBody"]["content"]


# ------------------------------------------------------------------- edges: never a 500


def _macro_xlsm() -> bytes:
    """A workbook with a vbaProject.bin member (a macro container): the cells are read, nothing runs."""
    src = zipfile.ZipFile(io.BytesIO(xlsx_bytes(GOOD)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"Sub AutoOpen(): Shell \"calc\": End Sub" * 10)
    return buf.getvalue()


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * 60_000_000)
    return buf.getvalue()


EDGES = {
    "empty": ("bill.csv", b""),
    "whitespace": ("bill.csv", b"  \n\n "),
    "header only": ("bill.csv", HEADER.encode()),
    "binary as csv": ("bill.csv", bytes(range(256)) * 20),
    "latin-1": ("bill.csv", (HEADER + "\nP,,,Pièce,,,,,,USA,,,,1,1,,\n").encode("latin-1")),
    "wrong columns": ("bill.csv", b"sku,qty,price\n1,2,3\n"),
    "no part_id": ("bill.csv", b"parent_id,quantity\n,1\n"),
    "one cell": ("bill.csv", b"x"),
    "quote never closed": ("bill.csv", (HEADER + '\nP,,,"open quote\n').encode()),
    "ragged rows": ("bill.csv", (HEADER + "\nP,,,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s\n").encode()),
    "garbage xlsx": ("bill.xlsx", b"PK\x03\x04 not really a zip" * 50),
    "random xlsx": ("bill.xlsx", bytes(range(256)) * 10),
    "csv named xlsx": ("bill.xlsx", GOOD.encode()),
    "zip that is no workbook": ("bill.xlsx", None),
    "unsupported type": ("bill.pdf", b"%PDF-1.4"),
    "no extension": ("bill", GOOD.encode()),
    "huge numbers": ("bill.csv", (HEADER + "\nP,,,p,,,,,,USA,,,,1e400,9" + "9" * 5000 + ",,\n").encode()),
    "nan and inf": ("bill.csv", (HEADER + "\nP,,,p,,,,,,USA,,,,nan,inf,,\n").encode()),
    "nul in csv": ("bill.csv", GOOD.encode().replace(b"Magnet", b"Mag\x00net")),
    "cycle": ("bill.csv", (HEADER + "\nP,,,p,,,,,,USA,,,,1,1,,\nA,B,1,a,,,,,,USA,,,,1,,,\nB,A,1,b,,,,,,USA,,,,1,,,\n").encode()),
}


@pytest.mark.parametrize("case", list(EDGES))
def test_edge_uploads_are_4xx_never_500(real_client, case):
    name, data = EDGES[case]
    if data is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("readme.txt", "not a workbook")
        data = buf.getvalue()
    r = post(real_client, name, data)
    assert r.status_code in (413, 422), (case, r.status_code, r.text[:300])
    body = r.json()
    assert body["detail"]
    assert_no_computation(body)


def test_macro_workbook_is_read_for_its_cells_only(real_client):
    r = post(real_client, "bill.xlsm", _macro_xlsm())
    assert r.status_code == 200, r.text
    assert r.json()["company"]


def test_zip_bomb_is_refused_before_it_is_unpacked(real_client):
    r = post(real_client, "bill.xlsx", _zip_bomb())
    assert r.status_code == 422
    assert "unpacks to" in r.json()["errors"][0]["message"]


def test_huge_upload_is_413(real_client):
    big = (GOOD + "X,P,1,x,,,,,,USA,,,,1,,,\n" * 120_000).encode()
    r = post(real_client, "bill.csv", big)
    assert r.status_code == 413 and "limit" in r.json()["detail"] or "too large" in r.json()["detail"]


def test_too_many_lines_is_422(real_client):
    from critmin.exposure import BomError
    from critmin.exposure.bom import read_bom_bytes

    lines = GOOD + "".join(f"X{i},P,1,x,,,,,,USA,,,,1,,,\n" for i in range(30))
    with pytest.raises(BomError) as info:
        read_bom_bytes(lines.encode(), "b.csv", max_rows=10)
    assert "at most 10 lines" in str(info.value)


def test_missing_file_field_and_broken_multipart(real_client):
    r = real_client.post(API + "/exposure", data={"rules": "usmca"})
    assert r.status_code == 422
    r = real_client.post(API + "/exposure", content=b"--x\r\nnot a form", headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code in (400, 422)
    r = real_client.post(API + "/exposure", json={"file": "x"})
    assert r.status_code in (400, 422)


def test_file_names_never_carry_paths_or_control_characters(real_client):
    r = post(real_client, "../../etc/passwd\x07.csv", BAD.encode())
    assert r.status_code == 422
    name = r.json()["file"]
    assert name.startswith("passwd") and name.endswith(".csv") and "/" not in name and "\x07" not in name


def test_formula_looking_cells_are_text(real_client):
    """A cell a spreadsheet would run (=cmd|...) is an id like any other: kept as text, escaped in the report."""
    bill = HEADER + "\n=cmd|' /C calc'!A0,,,<b>p</b>,,,,,,USA,,,,1,1,,\n"
    r = post(real_client, "bill.csv", bill.encode())
    assert r.status_code == 200, r.text
    rep = real_client.post(API + "/exposure/report.html", files={"file": ("bill.csv", bill.encode())})
    assert rep.status_code == 200 and "<b>p</b>" not in rep.text


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".xlsm", ".txt"]))
    def test_fuzz_any_bytes_never_500(real_client, data, suffix):
        r = post(real_client, "f" + suffix, data)
        assert r.status_code in (200, 413, 422), r.text[:300]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rows=st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=18), min_size=1, max_size=6))
    def test_fuzz_csv_cells_never_500(real_client, rows):
        import csv

        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(HEADER.split(","))
        for row in rows:
            w.writerow(row)
        r = post(real_client, "f.csv", buf.getvalue().encode("utf-8", "surrogatepass"))
        assert r.status_code in (200, 413, 422), r.text[:300]
