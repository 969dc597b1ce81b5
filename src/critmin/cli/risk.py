"""Risk commands: ``risk``, ``eu-crm``, ``gap``, ``mineral`` and ``overview``.

They parse, call :mod:`critmin.api` (rankings, concentration, the EU reproduction) and
:mod:`critmin.report` (the HTML dossier and overview), and present; nothing is computed here.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from critmin.cli.app import FORMAT_HELP, app, run_command
from critmin.cli.output import Format, emit


class Method(str, Enum):
    composite = "composite"
    geopolrisk = "geopolrisk"
    eu_crm = "eu_crm"
    usgs2021 = "usgs2021"


class Stage(str, Enum):
    mine = "mine"
    processing = "processing"


#: Columns a caller may supply in ``--inputs`` (fractions, 0-1).
CALLER_PARAMETERS = ("eol_rir", "substitution_index", "economic_vulnerability", "eu_import_reliance")


def read_caller_inputs(path: Path) -> dict[str, dict[str, float]]:
    """Read caller-supplied method parameters from a CSV.

    The file has a ``commodity_id`` column and any of :data:`CALLER_PARAMETERS` as
    fractions in [0, 1]; a blank cell means "not supplied". Anything else is an error that
    names the row and column.
    """
    import csv

    from critmin.errors import CritminError
    from critmin.vocab import commodities as vc

    out: dict[str, dict[str, float]] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        if "commodity_id" not in fields:
            raise CritminError(f"{path}: expected a 'commodity_id' column; found {fields}")
        unknown = [f for f in fields if f != "commodity_id" and f not in CALLER_PARAMETERS]
        if unknown:
            raise CritminError(f"{path}: unknown column(s) {unknown}; allowed: {', '.join(CALLER_PARAMETERS)}")
        for i, row in enumerate(reader, start=2):
            cid = vc.lookup(row["commodity_id"]).commodity_id
            params = {}
            for k in CALLER_PARAMETERS:
                text = (row.get(k) or "").strip()
                if not text:
                    continue
                try:
                    v = float(text)
                except ValueError:
                    raise CritminError(f"{path}, row {i}, column {k!r}: expected a number in [0, 1], found {text!r}") from None
                if not 0.0 <= v <= 1.0:
                    raise CritminError(f"{path}, row {i}, column {k!r}: expected a fraction in [0, 1], found {v}")
                params[k] = v
            out[cid] = params
    return out


#: Columns of an ``--inputs`` file for ``critmin eu-crm`` (fractions, 0-1, and a citation).
EU_PARAMETER_COLUMNS = ("material", "stage", "import_reliance", "eol_rir", "substitution_index", "source")


def read_eu_parameters(path: Path) -> dict:
    """Read the EU's per-material parameters (``critmin eu-crm --inputs``).

    Columns: ``material`` (any spelling of an EU CRM material), ``stage`` (``extraction``,
    ``processing`` or blank for both; IR differs by stage), ``import_reliance``,
    ``eol_rir``, ``substitution_index`` (fractions in [0, 1]; blank = not supplied) and
    ``source`` (where the numbers come from; blank is recorded as "user assumption").
    Several rows of one material combine (one per stage). Anything else is an error that
    names the row and column.
    """
    import csv

    from critmin.analysis.risk.eu_crm import EUParameters
    from critmin.errors import CritminError
    from critmin.sources.eu_crm import material_name

    rows: dict[str, dict] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        if "material" not in fields:
            raise CritminError(f"{path}: expected a 'material' column; found {fields}")
        unknown = [f for f in fields if f not in EU_PARAMETER_COLUMNS]
        if unknown:
            raise CritminError(f"{path}: unknown column(s) {unknown}; allowed: {', '.join(EU_PARAMETER_COLUMNS)}")
        for i, row in enumerate(reader, start=2):
            material = material_name((row.get("material") or "").strip())
            if not material:
                raise CritminError(f"{path}, row {i}, column 'material': expected an EU CRM material name")
            stage = (row.get("stage") or "").strip() or "*"
            if stage not in ("*", "extraction", "processing"):
                raise CritminError(f"{path}, row {i}, column 'stage': expected extraction, processing or blank, found {stage!r}")
            acc = rows.setdefault(material, {"ir": {}, "eol_rir": None, "substitution_index": None, "source": set()})
            for k in ("import_reliance", "eol_rir", "substitution_index"):
                text = (row.get(k) or "").strip()
                if not text:
                    continue
                try:
                    v = float(text)
                except ValueError:
                    raise CritminError(f"{path}, row {i}, column {k!r}: expected a number in [0, 1], found {text!r}") from None
                if not 0.0 <= v <= 1.0:
                    raise CritminError(f"{path}, row {i}, column {k!r}: expected a fraction in [0, 1], found {v}")
                if k == "import_reliance":
                    acc["ir"][stage] = v
                else:
                    acc[k] = v
            acc["source"].add((row.get("source") or "").strip() or "user assumption")
    return {m: EUParameters(a["ir"], a["eol_rir"], a["substitution_index"], "; ".join(sorted(a["source"])))
            for m, a in rows.items()}


@app.command("risk")
def risk_command(
    method: Method = typer.Option(Method.composite, "--method", help="composite, geopolrisk, eu_crm or usgs2021."),
    stage: Optional[Stage] = typer.Option(None, "--stage", help="mine or processing; default the higher of the two."),
    list_year: Optional[int] = typer.Option(None, "--list", help="Only minerals on the US list of 2022 or 2025 (or 2018)."),
    top: Optional[int] = typer.Option(None, "--top", min=1, help="Show the first N rows."),
    inputs_file: Optional[Path] = typer.Option(None, "--inputs", exists=True, dir_okay=False,
                                               help="CSV of caller-supplied parameters: commodity_id, eol_rir, "
                                                    "substitution_index, economic_vulnerability, eu_import_reliance."),
    importer: str = typer.Option("USA", "--importer", help="GeoPolRisk only: the importer (ISO3 or EU27) on bilateral trade."),
    year: Optional[int] = typer.Option(None, "--year", help="GeoPolRisk only: trade year (default the latest)."),
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """Rank minerals by a supply-risk method, with the breakdown of every score."""

    def go():
        from critmin import api
        from critmin.analysis import risk

        overrides = read_caller_inputs(inputs_file) if inputs_file else None
        df = api.ranking(method.value, stage.value if stage else None, list_year, top, overrides, importer, year)
        terms = [c for c in df.columns if c.startswith("term_") and c != "term_weights"]
        if fmt is not Format.table:
            emit(df.drop(columns=["term_weights"], errors="ignore"), fmt)
            return
        from critmin.report.html import score_cell

        view = df.assign(score_text=[score_cell(s, a, b, c)[0] for s, a, b, c in zip(df["status"], df["score"], df["low"], df["high"])])
        view = view.rename(columns={t: t[5:] for t in terms})
        version, desc = risk.METHODS[method.value]
        title = f"{desc} [{method.value} {version}]" + (f", {stage.value} stage" if stage else ", higher stage")
        emit(view, fmt, title=title,
             columns=["rank", "commodity_id", "stage", "score_text"] + [t[5:] for t in terms] + ["missing"])
        typer.echo("score_text: a number; a range when an input is published only as a bound; "
                   "'insufficient data' lists what is missing.")

    run_command(go)


@app.command("eu-crm")
def eu_crm_command(
    inputs_file: Optional[Path] = typer.Option(None, "--inputs", exists=True, dir_okay=False,
                                               help="CSV of the EU's parameters: material, stage, import_reliance, "
                                                    "eol_rir, substitution_index, source (fractions)."),
    wgi_year: Optional[int] = typer.Option(None, "--wgi-year", help="WGI year; default the latest in the snapshot."),
    tolerance: float = typer.Option(0.1, "--tolerance", min=0.0, help="Distance from the published SR that counts as reproduced."),
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """The EU's own 2023 supply risk recomputed from its published inputs, beside the published SR."""

    def go():
        from critmin import api

        params = read_eu_parameters(inputs_file) if inputs_file else None
        df, info = api.eu_crm_reproduction(params, wgi_year, tolerance)
        if fmt is not Format.table:
            emit(df.drop(columns=["terms"]), fmt)
            return
        from critmin.analysis.interval import Interval, describe

        view = df.assign(
            sr=[describe(Interval(lo, hi), 3) if lo is not None and lo == lo else "cannot be bounded"
                for lo, hi in zip(df["sr_low"], df["sr_high"])],
            missing=df["missing"].map(lambda m: "; ".join(m)),
        )
        emit(view, fmt, title=f"EU CRM 2023 supply risk from the EU's published inputs (WGI {info['year']}, "
                              f"{info['release']}; tolerance {tolerance:g})",
             columns=["material", "commodity_id", "form", "published_sr", "sr", "status", "consistent", "missing"])
        counts = df["status"].value_counts().to_dict()
        bounded = df["consistent"].dropna()
        typer.echo(
            f"{len(df)} materials with a published 2023 SR: {counts.get('reproduced', 0)} reproduced within "
            f"{tolerance:g}, {counts.get('differs', 0)} differ, {counts.get('insufficient_data', 0)} lack inputs. "
            f"The EU files hold the global supply shares, the EU sourcing shares and t; IR, EoL-RIR and SI_SR are "
            f"not in them (supply them with --inputs). Without them the published SR lies within what the shares "
            f"allow for {int(bounded.sum())} materials, above it for {int((~bounded.astype(bool)).sum())}, and "
            f"{int(df['consistent'].isna().sum())} cannot be bounded (no global shares of the material, or no EU "
            f"sourcing shares of a stage).")

    run_command(go)


@app.command("gap")
def gap_command(
    list_year: Optional[int] = typer.Option(None, "--list", help="Only minerals on the US list of 2022 or 2025."),
    changes: bool = typer.Option(False, "--changes", help="Show the change of concentration across MCS vintages instead."),
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """Mining versus processing concentration: where processing is far more concentrated,
    or the US mines but imports the processed form."""

    def go():
        from critmin import api

        if changes:
            df = api.concentration_changes(list_year)
            if fmt is not Format.table:
                emit(df, fmt)
                return
            view = df.assign(**{c: (df[c] * 100).round(1) for c in df.columns if c.startswith(("hhi_", "china_")) and df[c].dtype.kind == "f"})
            emit(view, fmt, title="Concentration by MCS vintage (HHI and China's share, x100)",
                 columns=[c for c in view.columns if c not in ("first_vintage", "last_vintage")])
            return
        df = api.processing_gap(list_year)
        if fmt is not Format.table:
            emit(df, fmt)
            return
        view = df.copy()
        for c in ("mine_hhi", "processing_hhi", "hhi_gap", "mine_china_share", "processing_china_share", "china_gap"):
            view[c] = view[c].round(3)
        view["flags"] = [", ".join(f for f, on in (("processing far more concentrated", a), ("US mines, imports processed", b)) if on)
                         for a, b in zip(df["processing_more_concentrated"], df["us_mines_imports_processed"])]
        view["sources"] = [f"{a or '-'} / {b or '-'}".replace("usgs_mcs", "MCS").replace("eu_crm_2023", "EU")
                           for a, b in zip(df["mine_origin"], df["processing_origin"])]
        emit(view, fmt, title="Mining vs processing concentration (HHI 0-1, shares 0-1); mine / processing source",
             columns=["commodity_id", "nir_published", "mine_hhi", "processing_hhi", "hhi_gap", "mine_china_share",
                      "processing_china_share", "flags", "sources"])

    run_command(go)


@app.command("mineral")
def mineral_command(
    name: str = typer.Argument(..., help="Mineral id, name or symbol, e.g. gallium, 'rare earths', Ga."),
    out: Optional[Path] = typer.Option(None, "--out", help="HTML file to write; default <id>.html here."),
    pdf: Optional[Path] = typer.Option(None, "--pdf", help="Also print the dossier to this PDF (needs Chromium)."),
) -> None:
    """Write a mineral dossier: one self-contained HTML file with charts and sources."""

    def go():
        from critmin.report import dossier
        from critmin.vocab import commodities as vc

        commodity = vc.lookup(name)
        html = dossier.for_mineral(commodity.commodity_id)
        target = out or Path(f"{commodity.commodity_id}.html")
        target.write_text(html, encoding="utf-8")
        typer.echo(f"wrote {target} ({len(html) / 1024:.0f} KiB)")
        if pdf:
            _print_pdf(target, pdf)
            typer.echo(f"wrote {pdf}")

    run_command(go)


@app.command("overview")
def overview_command(
    out: Optional[Path] = typer.Option(None, "--out", help="HTML file to write; default overview.html here."),
    list_year: int = typer.Option(2025, "--list", help="The US critical-mineral list: 2022 or 2025 (or 2018)."),
    pdf: Optional[Path] = typer.Option(None, "--pdf", help="Also print to this PDF (needs Chromium)."),
) -> None:
    """Write the overview of every critical mineral: a sortable table and a risk matrix."""

    def go():
        from critmin.api import LIST_YEARS
        from critmin.errors import CritminError
        from critmin.report import overview

        if list_year not in LIST_YEARS:
            raise CritminError(f"unknown list year {list_year}; choose 2018, 2022 or 2025")
        html = overview.for_list(list_year)
        target = out or Path("overview.html")
        target.write_text(html, encoding="utf-8")
        typer.echo(f"wrote {target} ({len(html) / 1024:.0f} KiB)")
        if pdf:
            _print_pdf(target, pdf)
            typer.echo(f"wrote {pdf}")

    run_command(go)


def _print_pdf(html: Path, pdf: Path) -> None:
    """Print an HTML file to PDF with headless Chromium, if installed."""
    import shutil
    import subprocess

    from critmin.errors import CritminError

    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if exe is None:
        raise CritminError("PDF output needs Chromium (apt-get install chromium); the HTML file was written")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run", "--no-pdf-header-footer", f"--print-to-pdf={pdf.resolve()}", html.resolve().as_uri()]
    res = subprocess.run(cmd, capture_output=True, timeout=120)
    if res.returncode != 0 or not pdf.exists():
        raise CritminError(f"Chromium could not print {html} to PDF: {res.stderr.decode(errors='replace')[-300:]}")
