"""The company-exposure report: one self-contained HTML file a buyer can forward, and its PDF.

It presents an :class:`~critmin.exposure.ExposureResult` (every figure is
:func:`critmin.exposure.assess`'s; nothing is computed here but formatting): key figures,
exposure by mineral and stage (China and foreign-entity-of-concern shares, concentration,
governance, declared versus inferred), by country, the policy cost per scenario and year with
its range, eligibility of each part with the reason, alternative origins, export controls on
the paths, assumptions and the content sources. Charts are inline SVG (matplotlib, as the
dossier's); the print stylesheet lays it out on A4. :func:`to_pdf` prints the same HTML with
headless Chromium when it is installed and says so clearly when it is not.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path

from critmin.report.html import esc, figure, is_missing, page, pct, table

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

PRINT_CSS = ("<style>@page{size:A4;margin:14mm 12mm}"
             "@media print{nav{display:none}h2{break-after:avoid}tr,figure,.kpi{break-inside:avoid}"
             ".scroll{overflow:visible}table{font-size:9.5px}main{max-width:none}}"
             ".elig-yes{color:#2f6b42;font-weight:600}.elig-no{color:#b03a2e;font-weight:600}"
             ".elig-unknown{color:#5b6472;font-weight:600}</style>")


class PdfUnavailable(RuntimeError):
    """No headless Chromium to print the PDF with (or it failed)."""


# ---------------------------------------------------------------- formatting

def tonnes(lo, hi) -> str:
    """Tonnes per year as a value or a range; small amounts in kg so they do not print as 0."""
    if is_missing(lo) or is_missing(hi):
        return "—"
    lo, hi = float(lo), float(hi)

    def one(v: float) -> str:
        if v == 0:
            return "0"
        if abs(v) < 1:
            kg = v * 1000
            return f"{kg:.3g} kg" if abs(kg) >= 0.001 else f"{kg * 1000:.3g} g"
        return f"{v:,.1f} t" if v < 1000 else f"{v:,.0f} t"

    return one(lo) if math.isclose(lo, hi, rel_tol=1e-9, abs_tol=0) else f"{one(lo)} – {one(hi)}"


def usd(lo, hi=None) -> str:
    """Dollars (a range when the ends differ); a missing value is a dash, never 0."""
    hi = lo if hi is None else hi
    if is_missing(lo) or is_missing(hi):
        return "—"

    def one(v: float) -> str:
        v = float(v)
        sign = "−" if v < 0 else ""
        v = abs(v)
        if v >= 1e6:
            return f"{sign}${v / 1e6:,.2f} M"
        return f"{sign}${v:,.0f}"

    return one(lo) if math.isclose(float(lo), float(hi), rel_tol=1e-9) else f"{one(lo)} to {one(hi)}"


def share_range(lo, hi) -> str:
    if is_missing(lo) or is_missing(hi):
        return "—"
    return pct(lo) if math.isclose(float(lo), float(hi), abs_tol=5e-4) else f"{pct(lo)}–{pct(hi)}"


def verdict(v) -> str:
    if v is True:
        return '<span class="elig-yes">eligible</span>'
    if v is False:
        return '<span class="elig-no">not eligible</span>'
    return '<span class="elig-unknown">undetermined</span>'


def _country(iso) -> str:
    from critmin.vocab import countries as vk

    if iso in (None, "", "unknown"):
        return "unknown (no evidence)"
    if iso == "unassigned":
        return "unassigned (no country accounts for it)"
    try:
        return f"{vk.country_name(iso)} ({iso})"
    except Exception:  # noqa: BLE001 - a code the vocabulary lacks still prints
        return str(iso)


def _basis(b) -> str:
    return {"bill": "supplier (bill)", "declared": "declared", "inferred": "inferred", "unknown": "unknown"}.get(str(b), str(b))


# ---------------------------------------------------------------- the report

def build(res, *, bill_name: str = "", scenarios=(), rules=(), year: int = 2026, generated: str | None = None) -> str:
    """The report of an :class:`~critmin.exposure.ExposureResult` as an HTML string."""
    name = bill_name or Path(str(res.bill)).name
    parts = ['<nav><a href="#summary">Summary</a><a href="#minerals">By mineral and stage</a>'
             '<a href="#countries">By country</a><a href="#cost">Policy cost</a><a href="#eligibility">Eligibility</a>'
             '<a href="#alternatives">Alternatives</a><a href="#controls">Export controls</a>'
             '<a href="#assumptions">Assumptions and sources</a></nav>', PRINT_CSS]
    parts.append(_summary(res))
    parts.append(_minerals(res))
    parts.append(_countries(res))
    parts.append(_cost(res, scenarios))
    parts.append(_eligibility(res, rules, year))
    parts.append(_alternatives(res))
    parts.append(_controls(res))
    parts.append(_assumptions(res))
    subtitle = (f"Bill {name}; scenarios: {', '.join(scenarios) or 'none'}; rule sets: {', '.join(rules) or 'none'}; "
                f"rules applied for {year}. Upstream stages the bill does not declare are inferred from world shares "
                "and labelled so; ranges show bounded contents and shares.")
    return page(f"Supply-chain exposure: {name}", "".join(parts), subtitle=subtitle, generated=generated)


def _summary(res) -> str:
    ind = res.indicators
    minerals = sorted(set(ind["commodity_id"])) if not ind.empty else []
    kpis = [(str(len(minerals)), "minerals in the bill"), (str(len(res.products)), "product-stage-country rows")]
    if not ind.empty:
        sup = ind[ind["stage"] == "supplier"]
        t_lo, t_hi = sup["tonnes_low"].sum(), sup["tonnes_high"].sum()
        kpis[1] = (tonnes(t_lo, t_hi), "contained minerals a year (all minerals)")
        top = ind.sort_values("china_share_high", ascending=False).iloc[0]
        kpis.append((share_range(top["china_share_low"], top["china_share_high"]),
                     f"largest China share: {top['commodity_id']}, {top['stage']} stage"))
        inferred = ind[ind["basis"].astype(str).str.contains("inferred")]
        kpis.append((str(len(inferred)), "mineral-stage rows resting on inferred (not declared) origins"))
    total = res.cost_summary[res.cost_summary["year"].astype(str) == "total"] if not res.cost_summary.empty else None
    if total is not None:
        for _, r in total.iterrows():
            kpis.append((usd(r["cost_low"], r["cost_high"]), f"cost over the horizon: {r['scenario']}"))
    if not res.eligibility.empty:
        verdicts = res.eligibility[res.eligibility["level"] != "part"]
        for rs, g in verdicts.groupby("rule_set", sort=True):
            last = g.groupby(["root_id", "part_id"], sort=False).tail(1)
            ok = int((last["eligible"] == True).sum())  # noqa: E712 - None is undetermined, not False
            kpis.append((f"{ok} of {len(last)}", f"assemblies eligible under {rs}"))
    body = "".join(f'<div class="kpi"><b>{esc(v)}</b><span>{esc(t)}</span></div>' for v, t in kpis)
    return f'<h2 id="summary">Summary</h2><div class="kpis">{body}</div>'


def _minerals(res) -> str:
    from critmin.report import charts

    ind = res.indicators
    if ind.empty:
        return '<h2 id="minerals">Exposure by mineral and stage</h2><p>No line of the bill holds a mineral.</p>'
    rows = []
    for _, r in ind.iterrows():
        if not is_missing(r["unknown_share"]) and float(r["unknown_share"]) >= 0.9995:  # no country known at all
            rows.append({"mineral": r["commodity_id"], "stage": r["stage"], "tonnes": tonnes(r["tonnes_low"], r["tonnes_high"]),
                         "china": "unknown", "feoc": "unknown", "hhi": "unknown", "unassigned": pct(r["unassigned_share"]),
                         "unknown": pct(r["unknown_share"]), "wgi": "—", "basis": "no evidence"})
            continue
        rows.append({
            "mineral": r["commodity_id"], "stage": r["stage"], "tonnes": tonnes(r["tonnes_low"], r["tonnes_high"]),
            "china": share_range(r["china_share_low"], r["china_share_high"]),
            "feoc": share_range(r["feoc_share_low"], r["feoc_share_high"]),
            "hhi": _hhi(r),
            "unassigned": pct(r["unassigned_share"]), "unknown": pct(r["unknown_share"]),
            "wgi": "—" if is_missing(r["wgi_mean"]) else f"{float(r['wgi_mean']):+.2f}",
            "basis": str(r["basis"]),
        })
    cols = [("mineral", "Mineral"), ("stage", "Stage"), ("tonnes", "Tonnes a year"), ("china", "China share"),
            ("feoc", "FEOC share"), ("hhi", "Concentration (HHI)"), ("unassigned", "Unassigned"),
            ("unknown", "Unknown"), ("wgi", "Governance (WGI)"), ("basis", "Origins")]
    # a stage whose share cannot be computed (no tonnes with a known country) has no bar; the table says why
    up = ind[(ind["stage"] != "supplier") & ind["feoc_share_high"].notna() & ind["feoc_share_low"].notna()
             & (ind["unknown_share"].fillna(1.0) < 0.9995)]
    up = up.sort_values(["commodity_id", "stage"])
    svg = ""
    if not up.empty:
        labels = [f"{r.commodity_id} · {r.stage}" for r in up.itertuples()]
        svg = figure(charts.share_bars(
            labels, [float(x) for x in up["feoc_share_high"]], [False] * len(up),  # every bar is an FEOC share: one colour, no legend
            bounds=[(float(a), float(b)) for a, b in zip(up["feoc_share_low"], up["feoc_share_high"])],
            title="Share of the company's tonnes from foreign countries of concern", xlabel="percent of tonnes",
            source="critmin exposure (the bill; declared or inferred origins)"),
            "Upper end of the share; a whisker spans the range where contents or shares are bounded.")
    return ('<h2 id="minerals">Exposure by mineral and stage</h2>'
            '<p class="muted">Supplier = the direct supplier\'s country (the bill); mine and processing = declared '
            'origins where the bill gives them, else inferred from world production shares. '
            'FEOC = foreign entity of concern countries. WGI from −2.5 (worst) to +2.5.</p>'
            + svg + table(rows, cols, sortable=True))


def _hhi(r) -> str:
    lo, hi = r["hhi_low"], r["hhi_high"]
    if is_missing(lo) or is_missing(hi):
        return "—"
    text = f"{float(lo):.2f}" if math.isclose(float(lo), float(hi), abs_tol=5e-3) else f"{float(lo):.2f}–{float(hi):.2f}"
    if not is_missing(r.get("hhi_max")) and float(r["hhi_max"]) > float(hi) + 5e-3:
        text += f" (up to {float(r['hhi_max']):.2f})"
    return text


def _countries(res) -> str:
    c = res.company
    if c.empty:
        return ""
    rows = [{"mineral": r["commodity_id"], "stage": r["stage"], "country": _country(r["country"]),
             "tonnes": tonnes(r["tonnes_low"], r["tonnes_high"]), "spend": usd(r["spend_low"], r["spend_high"]),
             "basis": _basis(r["basis"]), "sort": float(r["tonnes_high"])} for _, r in c.iterrows()]
    cols = [("mineral", "Mineral"), ("stage", "Stage"), ("country", "Country"), ("tonnes", "Tonnes a year"),
            ("spend", "Spend exposed a year"), ("basis", "Basis")]
    return ('<h2 id="countries">By country</h2><p class="muted">Spend exposed is the annual purchase value of the '
            'lines holding the mineral, times the country\'s share; it is not additive across minerals.</p>'
            + table(rows, cols, sortable=True, sort_keys={"tonnes": "sort"}))


def _cost(res, scenarios) -> str:
    head = '<h2 id="cost">Cost of each policy scenario</h2>'
    if res.cost_summary.empty:
        why = "The scenarios touch no line of the bill." if scenarios else "No scenario was chosen."
        return f"{head}<p>{why}</p>"
    rows = [{"scenario": r["scenario"], "year": str(r["year"]), "cost": usd(r["cost_low"], r["cost_high"]),
             "unknown": "" if is_missing(r.get("unknown_parts")) or not r.get("unknown_parts") else
             f"{int(r['unknown_parts'])} part(s) not computable: the total is null"} for _, r in res.cost_summary.iterrows()]
    detail = [{"scenario": r["scenario"], "channel": r["channel"], "product": r["root_id"], "part": r["part_id"],
               "mineral": r["commodity_id"], "year": str(r["year"]), "cost": usd(r["cost_low"], r["cost_high"]),
               "detail": r["detail"]} for _, r in res.costs.iterrows()]
    return (head + '<p class="muted">Price channel: the company\'s tonnes × base price × the engine\'s price change; '
            'duty channel: units × unit value × the tariff on direct imports. A negative cost is a saving.</p>'
            + table(rows, [("scenario", "Scenario"), ("year", "Year"), ("cost", "Cost to the company"),
                           ("unknown", "Note")])
            + "<h3>By channel, product and mineral</h3>"
            + table(detail, [("scenario", "Scenario"), ("channel", "Channel"), ("product", "Product"), ("part", "Part"),
                             ("mineral", "Mineral"), ("year", "Year"), ("cost", "Cost"), ("detail", "How")], sortable=True))


def _eligibility(res, rules, year) -> str:
    head = '<h2 id="eligibility">Eligibility under the rule sets</h2>'
    if res.eligibility.empty:
        return head + ("<p>No rule set was chosen.</p>" if not rules else "<p>No part to assess.</p>")
    rows = []
    for _, r in res.eligibility.iterrows():
        v = r["eligible"]
        val = "" if is_missing(r["value"]) else f"{float(r['value']):.1f}"
        thr = "" if is_missing(r["threshold"]) else str(r["threshold"])
        rows.append({"rules": r["rule_set"], "product": r["root_id"], "part": r["part_id"], "level": r["level"],
                     "requirement": r["requirement"], "verdict": verdict(v if v in (True, False) else None),
                     "value": val, "threshold": thr, "reason": r["reason"]})
    return (head + f'<p class="muted">Applied for {esc(year)}. Undetermined means the bill or the rules lack what the '
            'test needs (the reason says what).</p>'
            + table(rows, [("rules", "Rules"), ("product", "Product"), ("part", "Part"), ("level", "Level"),
                           ("requirement", "Requirement"), ("verdict", "Verdict"), ("value", "Value"),
                           ("threshold", "Threshold"), ("reason", "Why")], sortable=True, raw={"verdict"}))


def _alternatives(res) -> str:
    d = res.diversification
    head = '<h2 id="alternatives">Alternative origins</h2>'
    if d.empty:
        return head + "<p>No exposed path has an alternative producer in the knowledge base.</p>"
    rows = [{"mineral": r["commodity_id"], "stage": r["stage"], "now": _country(r["country"]),
             "alt": _country(r["alternative"]), "share": pct(r["alt_share"]),
             "output": "—" if is_missing(r["alt_output"]) else f"{float(r['alt_output']):,.0f} {r['alt_unit'] or ''}".strip(),
             "spare": r["spare_capacity"], "wgi": "—" if is_missing(r["governance_wgi"]) else f"{float(r['governance_wgi']):+.2f}",
             "groups": r["groups"] or "", "agreement": "yes" if r["us_agreement"] is True else "no",
             "switch": "" if is_missing(r.get("scenario")) else f"{r['scenario']}: "
             + usd(r["switch_cost_change_low"], r["switch_cost_change_high"]),
             "note": r.get("note") or ""} for _, r in d.iterrows()]
    return (head + table(rows, [("mineral", "Mineral"), ("stage", "Stage"), ("now", "Current"), ("alt", "Alternative"),
                                ("share", "World share"), ("output", "Output"), ("spare", "Spare capacity"),
                                ("wgi", "WGI"), ("groups", "Groups"), ("agreement", "US agreement"),
                                ("switch", "Cost change of switching"), ("note", "Note")], sortable=True))


def _controls(res) -> str:
    c = res.controls
    head = '<h2 id="controls">Export controls in force on the paths</h2>'
    if c.empty:
        return head + "<p>None of the knowledge base's export controls in force touches the bill's paths.</p>"
    rows = [{"mineral": r["commodity_id"], "stage": r["stage"], "country": _country(r["country"]),
             "measure": r["measure_id"], "type": r["control_type"], "status": r["status"],
             "since": "" if is_missing(r["effective_date"]) else str(r["effective_date"])[:10]} for _, r in c.iterrows()]
    return head + table(rows, [("mineral", "Mineral"), ("stage", "Stage"), ("country", "Country"), ("measure", "Measure"),
                               ("type", "Control"), ("status", "Status"), ("since", "In force since")], sortable=True)


def _assumptions(res) -> str:
    items = "".join(f"<li>{esc(a)}</li>" for a in res.assumptions)
    srcs = "".join(f"<li>{esc(s)}</li>" for s in res.sources)
    return (f'<h2 id="assumptions">Assumptions and sources</h2><h3>Assumptions</h3><ul>{items}</ul>'
            f"<h3>Sources of the mineral contents</h3><ul>{srcs or '<li>none (the bill gives its own contents)</li>'}</ul>")


# ---------------------------------------------------------------- PDF

def chromium() -> str | None:
    """The headless Chromium to print with: ``$CRITMIN_CHROMIUM`` or a usual install path."""
    import os

    for cand in (os.environ.get("CRITMIN_CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def to_pdf(html_text: str, *, timeout: float = 90.0) -> bytes:
    """Print the report's HTML to PDF with headless Chromium (``--print-to-pdf``).

    Raises
    ------
    PdfUnavailable
        When Chromium is not installed (set ``CRITMIN_CHROMIUM`` or install it, e.g.
        ``apt-get install chromium``) or did not produce a PDF.
    """
    exe = chromium()
    if exe is None:
        raise PdfUnavailable("PDF needs headless Chromium, which is not installed here (looked for "
                             f"{', '.join(CHROMIUM_CANDIDATES)} and $CRITMIN_CHROMIUM); install it "
                             "(apt-get install chromium) or use the HTML report and print it from a browser")
    with tempfile.TemporaryDirectory(prefix="critmin-pdf-") as tmp:
        src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(html_text, encoding="utf-8")
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp}/profile",
               "--no-pdf-header-footer", f"--print-to-pdf={out}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailable(f"Chromium could not print the PDF: {exc}") from None
        if not out.is_file() or out.stat().st_size == 0 or not out.read_bytes().startswith(b"%PDF"):
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PdfUnavailable(f"Chromium did not produce a PDF (exit {proc.returncode}): {' '.join(tail)}")
        return out.read_bytes()
