"""The FastAPI application: REST API under ``/api/v1``, dashboard pages, static assets.

:func:`create_app` wires the routers, the error handlers, the response cache and the
request-size limit, and opens (and migrates) the database. Errors always answer
``{"detail": "<a sentence saying what is wrong>"}`` with a 4xx status for anything the
client can fix: 404 for an unknown mineral, preset, scenario or run, or for data the
snapshot does not have; 401 for a missing, wrong or revoked API key; 413 for an oversized
body; 422 for a malformed parameter or scenario (with ``errors``, one entry per field);
503 when no snapshot is installed. A 500 means a bug in critmin.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from critmin.web import db
from critmin.web.cache import ResponseCache, SnapshotFingerprint

API_PREFIX = "/api/v1"
WEB_DIR = Path(__file__).resolve().parent
log = logging.getLogger("critmin.web")

#: Read endpoints whose answers depend only on the snapshot (and on the code): cached.
CACHED_PREFIXES = tuple(
    f"{API_PREFIX}{p}" for p in ("/minerals", "/nir", "/sources", "/tables", "/vintages", "/countries", "/risk",
                                 "/concentration", "/tracker", "/markets", "/presets", "/report")
)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413, before parsing."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        seen = 0
        started = False

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_413(send, self.max_bytes)


async def _send_413(send, limit: int) -> None:
    body = f'{{"detail":"request body too large: the limit is {limit:,} bytes"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"detail": message, **extra}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from critmin.errors import CritminError, SnapshotError, UnknownCommodityError
    from critmin.web.auth import ApiKeyError
    from critmin.web.routes_scenarios import ModelInputError

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = []
        lines = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e.get("loc", ()))
            msg = e.get("msg", "invalid")
            errors.append({"field": loc, "message": msg, "type": e.get("type")})
            lines.append(f"{loc}: {msg}")
        return _error(422, "invalid request: " + "; ".join(lines[:10]) + (" ..." if len(lines) > 10 else ""), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(ApiKeyError)
    async def _key(request: Request, exc: ApiKeyError):
        return JSONResponse({"detail": str(exc)}, status_code=401, headers={"www-authenticate": 'ApiKey header="X-API-Key"'})

    @app.exception_handler(ModelInputError)
    async def _model(request: Request, exc: ModelInputError):
        return _error(422, str(exc))

    @app.exception_handler(UnknownCommodityError)
    async def _unknown(request: Request, exc: UnknownCommodityError):
        return _error(404, str(exc))

    @app.exception_handler(SnapshotError)
    async def _snapshot(request: Request, exc: SnapshotError):
        return _error(503, f"the knowledge base is not available: {exc}")

    @app.exception_handler(CritminError)
    async def _critmin(request: Request, exc: CritminError):
        # critmin.api raises CritminError for data the snapshot does not have ("no processing-stage
        # production data for X"); the parameters with closed value sets were validated already.
        return _error(404, str(exc))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); this is a bug in critmin, please report it")


def warm_up(app: FastAPI) -> None:
    """Compute the expensive whole-snapshot frames (risk inputs, rankings, concentration) and
    try the knowledge-base markets once, so the first visitor does not wait for them. Failures
    are logged, not raised: an endpoint that needs a missing piece answers with its own error later."""
    from critmin.web import routes_risk, routes_scenarios
    from critmin.web.routes_data import ListYear

    try:
        import pycountry

        pycountry.countries.get(alpha_3="USA")  # loads its database (the /countries endpoint needs it)
        routes_risk.concentration_frame()
        routes_risk.risk_inputs()
        routes_risk._ranking(routes_risk.Method.composite, None, int(ListYear.y2025))
    except Exception:  # noqa: BLE001 - a partial snapshot still serves what it can
        log.warning("warm-up incomplete", exc_info=True)
    try:
        routes_scenarios.kb_market_trials(app.state.fingerprint())
    except Exception:  # noqa: BLE001 - /markets answers with the reason later
        log.warning("knowledge-base markets not tried at start", exc_info=True)
    finally:
        app.state.warm.set()


def create_app(db_url: str | None = None, *, snapshot_dir: Path | None = None, max_body_bytes: int = 1_000_000,
               max_upload_bytes: int = 256 * 1024, cache_entries: int = 4096, warm: bool = True) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    db_url
        SQLAlchemy URL of the scenarios database; default ``$CRITMIN_DB_URL`` or SQLite at
        ``~/.local/share/critmin/critmin.db``. Migrated to the latest schema on start.
    snapshot_dir
        The snapshot whose manifest fingerprints the response cache; default the one
        :mod:`critmin.store` reads (``$CRITMIN_SNAPSHOT`` or the package's own).
    max_body_bytes, max_upload_bytes
        Request-body limit for every endpoint, and the smaller one for scenario uploads.
    warm
        Compute the expensive analysis frames in a background thread at start
        (``app.state.warm`` is set when done).
    """
    import threading

    from critmin import __version__
    from critmin.web import pages, routes_data, routes_risk, routes_scenarios, routes_tracker

    app = FastAPI(
        title="critmin",
        version=__version__,
        summary="Critical-minerals supply-chain security and trade policy: knowledge base, risk, policy scenarios.",
        description=(
            "Read endpoints need no key and are cached per snapshot. Writes (saving scenarios, storing runs) need an "
            "API key in the `X-API-Key` header (`critmin keys create NAME`). Lists answer "
            "`{items, total, limit, offset, meta}`; add `format=csv` for a spreadsheet."
        ),
        openapi_url="/openapi.json",
        docs_url=None,  # served below from the vendored Swagger UI: FastAPI's default loads it from a CDN
        redoc_url=None,
    )
    engine = db.make_engine(db_url)
    db.migrate(engine)
    app.state.engine = engine
    app.state.max_upload_bytes = max_upload_bytes
    app.state.fingerprint = SnapshotFingerprint(snapshot_dir)

    _install_error_handlers(app)
    for module in (routes_data, routes_tracker, routes_risk, routes_scenarios):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.get(f"{API_PREFIX}/health", tags=["service"], summary="Service status: version, snapshot, database")
    def health():
        from critmin.web.responses import json_response

        fp = app.state.fingerprint()
        return json_response({
            "status": "ok", "critmin_version": __version__, "snapshot_fingerprint": None if fp == "none" else fp,
            "database": engine.url.get_backend_name(), "schema_revision": db.current_revision(engine),
            "risk_analytics": routes_risk.available(), "cache": {"hits": cache.hits, "misses": cache.misses},
        })

    @app.get("/api/docs", include_in_schema=False)
    def api_docs():
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="critmin API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css", swagger_favicon_url="data:,",
        )

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    # the cache sits inside the error handling (its misses go through the routes) and outside
    # the routing, so a hit skips FastAPI's routing and validation entirely
    cache = ResponseCache(None, app.state.fingerprint, CACHED_PREFIXES, max_entries=cache_entries)
    app.state.cache = cache
    app.add_middleware(_CacheMiddleware, cache=cache)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.state.warm = threading.Event()
    if warm:
        threading.Thread(target=warm_up, args=(app,), name="critmin-warm-up", daemon=True).start()
    else:
        app.state.warm.set()
    return app


class _CacheMiddleware:
    """Adapter so the cache runs as the innermost user middleware."""

    def __init__(self, app, cache: ResponseCache) -> None:
        cache.app = app
        self.cache = cache

    async def __call__(self, scope, receive, send):
        await self.cache(scope, receive, send)
