"""The web layer's own database: API keys, saved scenarios and their runs.

SQLite by default (no server to install), at ``$CRITMIN_DB_URL`` or
``~/.local/share/critmin/critmin.db``; any SQLAlchemy URL works, so moving to PostgreSQL
for many users is a setting (``CRITMIN_DB_URL=postgresql+psycopg://...``), not a rewrite.
The tables are SQLAlchemy Core objects; the schema is created and evolved only by the
Alembic migrations in ``critmin/web/storage/migrations`` (:func:`migrate` runs them to ``head``
when the app starts), so an existing database is upgraded in place.

Everything here is plain functions over an :class:`~sqlalchemy.engine.Engine`; the routes
call them and never write SQL themselves. JSON documents (a scenario, a run's results)
are stored as JSON columns, which SQLite and PostgreSQL both support.

Both databases store the same thing because what reaches them was checked at the edge
(:mod:`critmin.model.scenario`): names fit their columns (PostgreSQL enforces
``VARCHAR(n)``, SQLite does not), no text holds a NUL (PostgreSQL refuses it) or a lone
surrogate (not encodable). Name searches escape ``%`` and ``_``, so they match literally.

Several server processes may share one SQLite file: it runs in WAL mode with a 30-second
busy timeout, and a key's ``last_used_at`` is written at most once a minute
(:data:`TOUCH_INTERVAL`), so an authenticated request does not add a write of its own. A
write that still finds the database locked is retried; if it stays locked the request
answers 503 with ``Retry-After`` (never a 500). PostgreSQL is the choice for many writers.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key_id", sa.String(16), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("secret_hash", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
)

scenarios = sa.Table(
    "scenarios",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("mineral", sa.String(100), nullable=True),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(16), nullable=True),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scenario_id", sa.Integer, sa.ForeignKey("scenarios.id", ondelete="SET NULL"), nullable=True),
    sa.Column("scenario_name", sa.String(200), nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("critmin_version", sa.String(40), nullable=False),
    sa.Column("snapshot_fingerprint", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(16), nullable=True),
)

sa.Index("ix_runs_scenario_id", runs.c.scenario_id)


def default_url() -> str:
    """``$CRITMIN_DB_URL``, else SQLite at ``~/.local/share/critmin/critmin.db``."""
    url = os.environ.get("CRITMIN_DB_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "critmin"
    return f"sqlite:///{base / 'critmin.db'}"


#: Seconds a SQLite connection waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 30
#: A key's ``last_used_at`` is written only when it is older than this (seconds).
TOUCH_INTERVAL = 60


class DatabaseBusy(Exception):
    """The database stayed locked (SQLite with several writers) or no connection was free; 503."""


def make_engine(url: str | None = None) -> sa.Engine:
    """An engine for ``url`` (default :func:`default_url`); creates a SQLite file's folder."""
    url = url or default_url()
    parsed = sa.engine.make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # the busy timeout is set at connect, before any statement (setting WAL takes a lock too)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S}
        kwargs["pool_size"] = 20  # the server runs up to 40 request threads; SQLite connections are cheap
    else:
        kwargs["pool_pre_ping"] = True  # a restarted PostgreSQL server is reconnected, not a 500
    engine = sa.create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # foreign keys and concurrent readers
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


def _writing(fn):
    """Run a write; a locked SQLite database is retried, then :class:`DatabaseBusy` (503), never a 500."""

    def run(*args, **kwargs):
        for attempt in range(3):
            try:
                return fn(*args, **kwargs)
            except sa.exc.OperationalError as exc:
                if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
                    raise
                if attempt == 2:
                    raise DatabaseBusy("the database is busy (locked by another writer); retry in a moment") from None
                time.sleep(0.05 * (attempt + 1))
            except sa.exc.TimeoutError:
                raise DatabaseBusy("the database has no free connection (too many requests at once); "
                                   "retry in a moment") from None
        raise AssertionError("unreachable")  # pragma: no cover

    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(text: str) -> bool:
    """Whether both databases store ``text`` as given: no NUL (PostgreSQL), no lone surrogate (UTF-8)."""
    return _UNSTORABLE.search(text) is None


def like_pattern(text: str) -> str:
    """``%text%`` for a LIKE with ``ESCAPE '\\'``: the user's ``%`` and ``_`` match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_migrate_lock = threading.Lock()


def _alembic(engine: sa.Engine, action: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    with _migrate_lock, engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # several workers start at once: one migrates, the others wait
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


#: PostgreSQL advisory-lock key held while migrating (any fixed number unique to critmin).
_MIGRATION_LOCK_KEY = 0x43524D4E  # "CRMN"


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` with the Alembic migrations.

    Safe when several server workers start together on a new database: on PostgreSQL they
    take turns (an advisory lock); on SQLite a worker that loses the race to create a table
    finds the schema migrated when it tries again.
    """
    for attempt in range(5):
        try:
            _alembic(engine, "upgrade", revision)
            return
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``"base"``: no tables); for maintenance and tests."""
    _alembic(engine, "downgrade", revision)


def current_revision(engine: sa.Engine) -> str | None:
    """The Alembic revision the database is at (None before the first migration)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive datetimes; they were stored in UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat()


# --- API keys ---------------------------------------------------------------------------

@_writing
def insert_key(engine: sa.Engine, key_id: str, name: str, salt: str, secret_hash: str, admin: bool = False) -> dict:
    with engine.begin() as conn:
        conn.execute(api_keys.insert().values(key_id=key_id, name=name, salt=salt, secret_hash=secret_hash,
                                              created_at=now(), is_admin=bool(admin)))
    return get_key(engine, key_id)  # type: ignore[return-value]


def get_key(engine: sa.Engine, key_id: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).mappings().first()
    return dict(row) if row else None


def key_out(r) -> dict:
    """A key's public record (never its salt or hash)."""
    return {
        "key_id": r["key_id"], "name": r["name"], "created_at": _iso(r["created_at"]),
        "revoked_at": _iso(r["revoked_at"]), "last_used_at": _iso(r["last_used_at"]),
        "active": r["revoked_at"] is None, "admin": bool(r["is_admin"]),
    }


def list_keys(engine: sa.Engine) -> list[dict]:
    """Every key without its hash: id, name, created, revoked, last used, administrator or not."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.id)).mappings().all()
    return [key_out(r) for r in rows]


@_writing
def revoke_key(engine: sa.Engine, key_id: str) -> bool:
    """Revoke a key; False when no active key has that id."""
    with engine.begin() as conn:
        res = conn.execute(
            api_keys.update().where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None)).values(revoked_at=now())
        )
    return res.rowcount > 0


def touch_key(engine: sa.Engine, key_id: str, last_used_at: dt.datetime | None = None) -> bool:
    """Record that a key was used, at most once per :data:`TOUCH_INTERVAL`; True when written.

    ``last_used_at`` is the value the caller read with the key (so most requests write
    nothing). A locked database is not worth failing a request for: the write is skipped.
    """
    if last_used_at is not None:
        if last_used_at.tzinfo is None:
            last_used_at = last_used_at.replace(tzinfo=dt.timezone.utc)
        if (now() - last_used_at).total_seconds() < TOUCH_INTERVAL:
            return False
    cutoff = now() - dt.timedelta(seconds=TOUCH_INTERVAL)
    try:
        with engine.begin() as conn:
            res = conn.execute(api_keys.update()
                               .where(api_keys.c.key_id == key_id,
                                      sa.or_(api_keys.c.last_used_at.is_(None), api_keys.c.last_used_at < cutoff))
                               .values(last_used_at=now()))
    except (sa.exc.OperationalError, sa.exc.TimeoutError):  # busy: the next request records it
        return False
    return res.rowcount > 0


# --- scenarios --------------------------------------------------------------------------

def _scenario_out(row, with_spec: bool = True) -> dict:
    out = {
        "id": row["id"], "name": row["name"], "description": row["description"], "mineral": row["mineral"],
        "created_at": _iso(row["created_at"]), "created_by": row["created_by"],
    }
    if with_spec:
        out["spec"] = row["spec"]
    return out


@_writing
def insert_scenario(engine: sa.Engine, spec: dict, mineral: str | None, key_id: str | None) -> dict:
    with engine.begin() as conn:
        new_id = conn.execute(
            scenarios.insert().values(
                name=spec["name"], description=spec.get("description", ""), mineral=mineral, spec=spec,
                created_at=now(), created_by=key_id,
            )
        ).inserted_primary_key[0]
    return get_scenario(engine, int(new_id))  # type: ignore[return-value]


def get_scenario(engine: sa.Engine, scenario_id: int) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(scenarios).where(scenarios.c.id == scenario_id)).mappings().first()
    return _scenario_out(row) if row else None


def list_scenarios(engine: sa.Engine, *, mineral: str | None = None, q: str | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[int, list[dict]]:
    """Saved scenarios, newest first, with optional mineral and name filters."""
    cond = []
    if mineral:
        cond.append(scenarios.c.mineral == mineral)
    if q:
        cond.append(scenarios.c.name.ilike(like_pattern(q), escape="\\"))
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(scenarios).where(*cond)).scalar_one()
        rows = conn.execute(
            sa.select(scenarios).where(*cond).order_by(scenarios.c.id.desc()).limit(limit).offset(offset)
        ).mappings().all()
    return int(total), [_scenario_out(r, with_spec=False) for r in rows]


@_writing
def rename_scenario(engine: sa.Engine, scenario_id: int, name: str, description: str | None = None) -> dict | None:
    """Give a saved scenario a new name (and optionally description), in its row and in its spec; None if absent.

    The spec's ``name`` is what a run of it is labelled with, so both change together.
    """
    with engine.begin() as conn:
        row = conn.execute(sa.select(scenarios.c.spec).where(scenarios.c.id == scenario_id)).first()
        if row is None:
            return None
        spec = dict(row[0])
        spec["name"] = name
        values: dict[str, Any] = {"name": name}
        if description is not None:
            spec["description"] = description
            values["description"] = description
        conn.execute(scenarios.update().where(scenarios.c.id == scenario_id).values(spec=spec, **values))
    return get_scenario(engine, scenario_id)


@_writing
def delete_scenario(engine: sa.Engine, scenario_id: int) -> bool:
    with engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.scenario_id == scenario_id).values(scenario_id=None))
        res = conn.execute(scenarios.delete().where(scenarios.c.id == scenario_id))
    return res.rowcount > 0


# --- runs -------------------------------------------------------------------------------

def _run_out(row, with_result: bool) -> dict:
    out = {
        "id": row["id"], "scenario_id": row["scenario_id"], "scenario_name": row["scenario_name"],
        "status": row["status"], "summary": row["summary"], "critmin_version": row["critmin_version"],
        "snapshot_fingerprint": row["snapshot_fingerprint"], "created_at": _iso(row["created_at"]),
        "created_by": row["created_by"],
    }
    if with_result:
        out["spec"] = row["spec"]
        out["result"] = row["result"]
    return out


@_writing
def insert_run(engine: sa.Engine, *, scenario_id: int | None, spec: dict, result: dict, summary: dict,
               critmin_version: str, fingerprint: str | None, key_id: str | None) -> dict:
    with engine.begin() as conn:
        new_id = conn.execute(
            runs.insert().values(
                scenario_id=scenario_id, scenario_name=spec["name"], spec=spec, status=result.get("status", "unknown"),
                summary=summary, result=result, critmin_version=critmin_version, snapshot_fingerprint=fingerprint,
                created_at=now(), created_by=key_id,
            )
        ).inserted_primary_key[0]
    return get_run(engine, int(new_id))  # type: ignore[return-value]


def get_run(engine: sa.Engine, run_id: int, with_result: bool = True) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
    return _run_out(row, with_result) if row else None


def list_runs(engine: sa.Engine, *, scenario_id: int | None = None, limit: int = 50, offset: int = 0) -> tuple[int, list[dict]]:
    cond = [runs.c.scenario_id == scenario_id] if scenario_id is not None else []
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(runs).where(*cond)).scalar_one()
        rows = conn.execute(
            sa.select(runs.c.id, runs.c.scenario_id, runs.c.scenario_name, runs.c.status, runs.c.summary,
                      runs.c.critmin_version, runs.c.snapshot_fingerprint, runs.c.created_at, runs.c.created_by)
            .where(*cond).order_by(runs.c.id.desc()).limit(limit).offset(offset)
        ).mappings().all()
    return int(total), [_run_out(r, with_result=False) for r in rows]


def counts(engine: sa.Engine) -> dict[str, int]:
    """Row counts of the three tables (for tests and the health endpoint)."""
    with engine.connect() as conn:
        return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()) for t in (api_keys, scenarios, runs)}
