"""``critmin markets``: every mineral-stage market of the chain engine and its status (parse, call, present)."""

from typing import Optional

import typer


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    from critmin.cli import Format, emit, run_command

    @app.command("markets")
    def markets_command(
        status: Optional[str] = typer.Option(None, "--status", help="calibrated or missing: only those."),
        fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
    ) -> None:
        """Every mineral-stage market of the chain engine: calibrated (basis, unit, price, regions,
        flows, sources) or exactly what the knowledge base lacks."""

        def go():
            from critmin import api
            from critmin.errors import CritminError

            df = api.markets()
            n, total = int((df["status"] == "calibrated").sum()), len(df)
            if status is not None:
                if status not in ("calibrated", "missing"):
                    raise CritminError(f"--status must be calibrated or missing, got {status!r}")
                df = df[df["status"] == status]
            if fmt is not Format.table:
                emit(df, fmt)
                return
            view = df.copy()
            view["price"] = view["price"].map(lambda v: f"{v:,.6g}" if v == v and v is not None else "")
            emit(view, fmt, title=f"chain-engine markets: {n} calibrated of {total} (base year 2024; quantities "
                                  "in t of the basis, prices in USD/t of the same basis)",
                 columns=["mineral", "stage", "status", "basis", "price", "regions", "flow_method", "bounded",
                          "sources", "missing"])

        run_command(go)
