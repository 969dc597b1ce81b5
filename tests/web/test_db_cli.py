"""The database layer (migrations, portability) and the ``critmin serve`` / ``critmin keys`` commands.

Migrations and keys run on SQLite and on a throwaway PostgreSQL cluster (``new_db_url``).
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from critmin.cli import app as cli_app
from critmin.web.storage import db
from critmin.web.storage import keys as auth


def test_migrations_create_upgrade_downgrade(new_db_url):
    engine = db.make_engine(new_db_url())
    assert db.current_revision(engine) is None
    db.migrate(engine)
    assert db.current_revision(engine) == "0002"  # 0002: the administrator flag on keys
    tables = set(sa.inspect(engine).get_table_names())
    assert {"api_keys", "scenarios", "runs", "alembic_version"} <= tables
    db.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    db.migrate(engine)
    db.migrate(engine)  # idempotent
    assert db.counts(engine) == {"api_keys": 0, "scenarios": 0, "runs": 0}
    engine.dispose()


def test_the_schema_is_portable_to_postgresql(tmp_path):
    """The same migrations, rendered for PostgreSQL without a server (Alembic offline mode)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(db.Path(db.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", "postgresql://user@localhost/critmin")
    out = io.StringIO()
    cfg.output_buffer = out
    command.upgrade(cfg, "head", sql=True)
    ddl = out.getvalue()
    assert "CREATE TABLE api_keys" in ddl and "CREATE TABLE runs" in ddl
    assert "JSON NOT NULL" in ddl and "TIMESTAMP WITH TIME ZONE" in ddl
    assert "REFERENCES scenarios (id) ON DELETE SET NULL" in ddl


def test_default_url_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CRITMIN_DB_URL", "sqlite:///x.db")
    assert db.default_url() == "sqlite:///x.db"
    monkeypatch.delenv("CRITMIN_DB_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert db.default_url() == f"sqlite:///{tmp_path / 'critmin' / 'critmin.db'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert db.default_url().endswith(".local/share/critmin/critmin.db")


def test_keys_create_list_revoke(new_db_url):
    url = new_db_url()
    runner = CliRunner()
    created = runner.invoke(cli_app, ["keys", "create", "analyst laptop", "--db", url])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("cmk_")
    engine = db.make_engine(url)
    assert auth.verify_key(engine, key) == key.split("_")[1]
    listed = runner.invoke(cli_app, ["keys", "list", "--db", url, "--format", "json"])
    assert listed.exit_code == 0 and '"name": "analyst laptop"' in listed.stdout and key.split("_", 2)[2] not in listed.stdout
    revoked = runner.invoke(cli_app, ["keys", "revoke", key, "--db", url])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    with pytest.raises(auth.ApiKeyError, match="revoked"):
        auth.verify_key(engine, key)
    again = runner.invoke(cli_app, ["keys", "revoke", key.split("_")[1], "--db", url])
    assert again.exit_code == 1 and "no active key" in again.output
    blank = runner.invoke(cli_app, ["keys", "create", "  ", "--db", url])
    assert blank.exit_code == 2 and "name" in blank.output
    # a NUL (PostgreSQL refuses it) or an undecodable byte of argv (a lone surrogate) is refused, not a crash
    for bad in ("a\x00b", "a\udcffb"):
        refused = runner.invoke(cli_app, ["keys", "create", bad, "--db", url])
        assert refused.exit_code == 2 and "NUL" in refused.output, refused.output
    assert len(db.list_keys(engine)) == 1
    engine.dispose()


def test_serve_passes_host_and_port_to_uvicorn(monkeypatch):
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: seen.update(target=target, **kw))
    result = CliRunner().invoke(cli_app, ["serve", "--host", "127.0.0.1", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert seen["target"] == "critmin.web.app:create_app" and seen["factory"] is True
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8123)


def test_cli_help_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, critmin.cli; heavy = [m for m in ('fastapi', 'sqlalchemy', 'uvicorn', 'alembic', 'pandas') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
