"""``critmin serve`` and ``critmin keys``: the web app and its API keys.

Imports nothing heavy at module level so that ``critmin --help`` stays fast (FastAPI,
SQLAlchemy and uvicorn load inside the commands).
"""

from __future__ import annotations

from typing import Optional

import typer

from critmin.cli.app import FORMAT_HELP, app, run_command
from critmin.cli.output import Format, emit

keys_app = typer.Typer(help="Create, list and revoke the API keys that writes to the web API need.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

db_option = typer.Option(None, "--db", help="Database URL; default $CRITMIN_DB_URL or ~/.local/share/critmin/critmin.db.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, help="Port."),
    db: Optional[str] = db_option,
    workers: int = typer.Option(1, min=1, help="Worker processes (each has its own response cache). On SQLite "
                                               "they share the file (WAL, a 30 s lock wait, 503 if still busy); "
                                               "for many concurrent writers use PostgreSQL (--db)."),
    log_level: str = typer.Option("warning", help="uvicorn log level: critical, error, warning, info, debug."),
) -> None:
    """Start the REST API and the web dashboard (http://HOST:PORT/, API under /api/v1)."""

    def go():
        import os

        import uvicorn

        if db:
            os.environ["CRITMIN_DB_URL"] = db
        typer.echo(f"critmin: dashboard on http://{host}:{port}/  API http://{host}:{port}/api/v1  docs /api/docs")
        uvicorn.run("critmin.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, access_log=log_level in ("info", "debug"))

    run_command(go)


@keys_app.command("create")
def keys_create(
    name: str = typer.Argument(..., help="Who or what the key is for, e.g. 'analyst laptop'."),
    db: Optional[str] = db_option,
    admin: bool = typer.Option(False, "--admin", help="An administrator key: it may also list, create and revoke "
                                                      "keys from the web page and the REST API (/api/v1/admin/keys)."),
) -> None:
    """Create a key and print it once (it is stored only as a salted hash)."""

    def go():
        from critmin.web.storage import keys as auth
        from critmin.web.storage import db as webdb

        engine = webdb.make_engine(db)
        webdb.migrate(engine)
        try:
            key, record = auth.create_key(engine, name, admin=admin)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        typer.echo(key)
        kind = "administrator key" if record["is_admin"] else "key"
        typer.echo(f"{kind} id {record['key_id']} for {record['name']!r}: keep it now, it cannot be shown again. "
                   "Send it as the X-API-Key header.", err=True)

    run_command(go)


@keys_app.command("list")
def keys_list(db: Optional[str] = db_option,
              fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP)) -> None:
    """List keys (id, name, created, revoked, last used); never the keys themselves."""

    def go():
        import pandas as pd

        from critmin.web.storage import db as webdb

        engine = webdb.make_engine(db)
        webdb.migrate(engine)
        rows = webdb.list_keys(engine)
        df = pd.DataFrame(rows, columns=["key_id", "name", "created_at", "revoked_at", "last_used_at", "active",
                                        "admin"])
        emit(df, fmt, title=f"{len(df)} API keys")

    run_command(go)


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="The key id (the 8 hex characters after cmk_)."),
                db: Optional[str] = db_option) -> None:
    """Revoke a key: requests with it are refused from now on."""

    def go():
        from critmin.web.storage import db as webdb

        engine = webdb.make_engine(db)
        webdb.migrate(engine)
        kid = key_id.split("_")[1] if key_id.startswith("cmk_") and key_id.count("_") >= 2 else key_id
        if not webdb.revoke_key(engine, kid):
            typer.echo(f"error: no active key with id {kid!r} (see `critmin keys list`)", err=True)
            raise typer.Exit(1)
        typer.echo(f"revoked {kid}")

    run_command(go)
