"""The FastAPI application: REST API under ``/api/v1``, dashboard pages, static assets.

:func:`create_app` wires the routers, the error handlers, the response cache and the
request-size limit, and opens (and migrates) the database. Errors always answer
``{"detail": "<a sentence saying what is wrong>"}`` with a 4xx status for anything the
client can fix: 404 for an unknown mineral, preset, scenario or run, or for data the
snapshot does not have; 401 for a missing, wrong or revoked API key; 400 for a request body
that cannot be read at all (a broken multipart form); 413 for an oversized body (declared
or chunked); 422 for a malformed parameter, body or scenario (with ``errors``, one entry per
field), including a NUL character anywhere in the URL and JSON nested too deeply to parse;
503 when no snapshot is installed. A 500 means a bug in critmin; it is logged, answered
with a JSON body, and the connection stays usable for the client's next request.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from critmin.web.api.cache import ResponseCache, snapshot_key
from critmin.web.storage import db

API_PREFIX = "/api/v1"
WEB_DIR = Path(__file__).resolve().parent
log = logging.getLogger("critmin.web")

#: Read endpoints whose answers depend only on the snapshot (and on the code): cached.
CACHED_PREFIXES = tuple(
    f"{API_PREFIX}{p}" for p in ("/minerals", "/nir", "/sources", "/tables", "/vintages", "/countries", "/risk",
                                 "/concentration", "/tracker", "/markets", "/presets", "/report", "/trade")
)
#: Of those, the ones whose answers also depend on the day and on the user's register files.
DAY_PREFIXES = (f"{API_PREFIX}/tracker",)


#: An oversized body is read and thrown away up to this size, so the client's connection stays
#: usable for its next request; beyond it the answer closes the connection.
DRAIN_LIMIT = 16 * 1024 * 1024


class RequestGuard:
    """The outermost ASGI middleware of the application: what every request passes first.

    * A NUL character anywhere in the path or the query is a 422 naming the parameter
      (databases refuse NUL in text; no parameter of this API can hold one).
    * A request body is read completely before the application sees it, declared or chunked,
      and refused with 413 beyond ``max_bytes`` (the rest is drained, up to
      :data:`DRAIN_LIMIT`, so the connection stays usable).
    * An exception no handler turned into an answer is logged and answered with a JSON 500
      here instead of propagating to the server, which would reset the connection: the
      client's next request on the same keep-alive connection still works.
    """

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        problem = _url_problem(scope)
        if problem is not None:
            await _send_json(send, 422, {"detail": f"invalid request: {problem[0]}: {problem[1]}",
                                         "errors": [{"field": problem[0], "message": problem[1], "type": "nul"}]})
            return
        downstream_receive = receive
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            body = await self._read_body(scope, receive, send)
            if body is None:  # refused (413) or the client left
                return
            delivered = False

            async def downstream_receive():
                nonlocal delivered
                if not delivered:
                    delivered = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()  # after the body: only a disconnect can come

        try:
            await self.app(scope, downstream_receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the last line of defence: log, answer, keep the connection
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _send_json(send, 500, {"detail": f"internal error ({type(exc).__name__}); this is a bug in "
                                                       "critmin, please report it"})

    async def _read_body(self, scope, receive, send) -> bytes | None:
        declared = dict(scope.get("headers") or []).get(b"content-length")
        size = int(declared) if declared is not None and declared.isdigit() else None
        if size is not None and size > self.max_bytes:
            await self._refuse(receive, send, already=0, declared=size)
            return None
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            seen += len(chunk)
            chunks.append(chunk)
            if seen > self.max_bytes:
                await self._refuse(receive, send, already=seen,
                                   declared=size, more=message.get("more_body", False))
                return None
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, receive, send, *, already: int, declared: int | None, more: bool = True) -> None:
        keep = declared is None or declared <= DRAIN_LIMIT
        while more and keep:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            already += len(message.get("body", b""))
            more = message.get("more_body", False)
            keep = already <= DRAIN_LIMIT
        await _send_json(send, 413, {"detail": f"request body too large: the limit is {self.max_bytes:,} bytes"},
                         close=more)


def _url_problem(scope) -> tuple[str, str] | None:
    """``(field, message)`` when the path or a query parameter holds a NUL character."""
    if "\x00" in scope.get("path", ""):
        return "path", "contains a NUL character (U+0000)"
    raw = scope.get("query_string", b"")
    if b"\x00" in raw or b"%00" in raw.lower():
        from urllib.parse import parse_qsl

        for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            if "\x00" in key or "\x00" in value:
                name = key.replace("\x00", "\\x00")
                return f"query.{name}", "contains a NUL character (U+0000)"
        return "query", "contains a NUL character (U+0000)"
    return None


async def _send_json(send, status: int, payload: dict, close: bool = False) -> None:
    from critmin.web.api.responses import dumps

    body = dumps(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error(status: int, message: str, headers: dict | None = None, **extra) -> Response:
    from critmin.web.api.responses import dumps

    return Response(dumps({"detail": message, **extra}), status_code=status, media_type="application/json",
                    headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from sqlalchemy.exc import DataError

    from critmin.errors import CritminError, InvalidRequestError, SnapshotError, UnknownCommodityError
    from critmin.model.scenario import field_path
    from critmin.web.api.scenarios import ModelInputError
    from critmin.web.storage.keys import ApiKeyError, NotAdminError

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = []
        lines = []
        for e in exc.errors():
            loc = field_path(e.get("loc", ()))
            msg = e.get("msg", "invalid")
            errors.append({"field": loc, "message": msg, "type": e.get("type")})
            lines.append(f"{loc}: {msg}")
        return _error(422, "invalid request: " + "; ".join(lines[:10]) + (" ..." if len(lines) > 10 else ""), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.__cause__ is not None:
            return _unreadable_body(exc.__cause__)
        if exc.status_code == 404 and request.method in ("GET", "HEAD") and not request.url.path.startswith(
                (API_PREFIX + "/", "/static/", "/openapi.json")):
            from critmin.web import pages

            return pages.not_found_path(request.url.path)  # a person's mistyped address: the 404 page
        return _error(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(ApiKeyError)
    async def _key(request: Request, exc: ApiKeyError):
        return _error(401, str(exc), headers={"www-authenticate": 'ApiKey header="X-API-Key"'})

    @app.exception_handler(NotAdminError)
    async def _not_admin(request: Request, exc: NotAdminError):
        return _error(403, str(exc))

    @app.exception_handler(ModelInputError)
    async def _model(request: Request, exc: ModelInputError):
        return _error(422, str(exc))

    @app.exception_handler(UnknownCommodityError)
    async def _unknown(request: Request, exc: UnknownCommodityError):
        return _error(404, str(exc))

    @app.exception_handler(db.DatabaseBusy)
    async def _busy(request: Request, exc: db.DatabaseBusy):
        return _error(503, str(exc), headers={"retry-after": "1"})

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError):
        # the edge validation should have refused this value; answer what it would have said
        log.warning("a value reached the database that it refuses: %s", exc.orig)
        return _error(422, f"invalid request: a value cannot be stored: {str(exc.orig).splitlines()[0]}")

    @app.exception_handler(SnapshotError)
    async def _snapshot(request: Request, exc: SnapshotError):
        return _error(503, f"the knowledge base is not available: {exc}")

    @app.exception_handler(InvalidRequestError)
    async def _invalid(request: Request, exc: InvalidRequestError):
        return _error(422, f"invalid request: {exc}")

    @app.exception_handler(CritminError)
    async def _critmin(request: Request, exc: CritminError):
        # critmin.api raises CritminError for data the snapshot does not have ("no processing-stage
        # production data for X"); the parameters with closed value sets were validated already.
        return _error(404, str(exc))

    # an exception no handler above answers is caught, logged and answered by RequestGuard, which
    # (unlike Starlette's last-resort handler) does not re-raise it into the server: the
    # connection stays open for the client's next request


def _unreadable_body(cause: BaseException) -> Response:
    """FastAPI answers 400 "error parsing the body" for any failure of the JSON parser; say which."""
    if isinstance(cause, RecursionError):
        return _error(422, "invalid request: body: the JSON is nested too deeply to read (a scenario nests 6 levels)",
                      errors=[{"field": "body", "message": "nested too deeply", "type": "json_depth"}])
    if isinstance(cause, UnicodeDecodeError):
        return _error(422, f"invalid request: body: not UTF-8 text ({cause.reason} at byte {cause.start})",
                      errors=[{"field": "body", "message": "not UTF-8", "type": "json_encoding"}])
    if isinstance(cause, ValueError):  # e.g. an integer of more than 4,300 digits
        return _error(422, f"invalid request: body: a value cannot be read: {cause}",
                      errors=[{"field": "body", "message": str(cause), "type": "json_value"}])
    return _error(400, f"the request body cannot be read: {cause}")


def warm_up(app: FastAPI) -> None:
    """Compute the expensive whole-snapshot frames (risk inputs, the overview) and try the
    knowledge-base markets once, so the first visitor does not wait for them. Failures are
    logged, not raised: an endpoint that needs a missing piece answers with its own error later."""
    from critmin import api
    from critmin.web.api import scenarios

    try:
        import pycountry

        pycountry.countries.get(alpha_3="USA")  # loads its database (the /countries endpoint needs it)
        api.risk_inputs()
        api.overview(2025)
    except Exception:  # noqa: BLE001 - a partial snapshot still serves what it can
        log.warning("warm-up incomplete", exc_info=True)
    try:
        from critmin.model.kernel import newton

        # on its own thread, not holding up the warm flag: after an install numba compiles once (tens of seconds);
        # until then a chain scenario runs on the numpy kernel, with the same answers
        newton.warm_compiled(background=True)
    except Exception:  # noqa: BLE001 - the numpy kernel answers the same, slower
        log.warning("compiled chain kernel not loaded", exc_info=True)
    try:
        scenarios.kb_market_trials()
        api.markets(scenarios.KB_LIST_YEAR)  # the chain engine's markets (/markets?engine=chain), calibrated once
    except Exception:  # noqa: BLE001 - /markets answers with the reason later
        log.warning("knowledge-base markets not tried at start", exc_info=True)
    finally:
        # the warm-up leaves millions of long-lived objects (frames, calibrated markets, cached
        # responses); moved out of the collector's view, a full collection no longer walks them
        # on a request's time (the pauses were the p99 of the load benchmark)
        import gc

        gc.collect()
        gc.freeze()
        app.state.warm.set()


def create_app(db_url: str | None = None, *, snapshot_dir: Path | None = None, max_body_bytes: int = 1_000_000,
               max_upload_bytes: int = 256 * 1024, cache_entries: int = 4096,
               cache_bytes: int = 64 * 1024 * 1024, warm: bool = True) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    db_url
        SQLAlchemy URL of the scenarios database; default ``$CRITMIN_DB_URL`` or SQLite at
        ``~/.local/share/critmin/critmin.db``. Migrated to the latest schema on start.
    snapshot_dir
        The snapshot whose fingerprint (:func:`critmin.snapshot.fingerprint`) keys the
        response cache; default the one :mod:`critmin.store` reads (``$CRITMIN_SNAPSHOT``
        or the package's own).
    max_body_bytes, max_upload_bytes
        Request-body limit for every endpoint, and the smaller one for scenario uploads.
    cache_entries, cache_bytes
        Bounds of the response cache: responses kept, and bytes of their bodies.
    warm
        Compute the expensive analysis frames in a background thread at start
        (``app.state.warm`` is set when done).
    """
    import threading

    from critmin import __version__
    from critmin.web import api, pages

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
    app.state.fingerprint = snapshot_key(snapshot_dir)

    _install_error_handlers(app)
    for router in api.ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    from critmin.web.api import jobs  # background risk runs (issue 13): Monte Carlo, stockpile, project, ranking

    app.include_router(jobs.router, prefix=API_PREFIX)
    from critmin.web.api import exposure as exposure_api  # company exposure: bills in, exposure out

    app.include_router(exposure_api.router, prefix=API_PREFIX)

    from critmin.web.api.responses import RESPONSES

    @app.get(f"{API_PREFIX}/health", tags=["service"], responses=RESPONSES,
             summary="Service status: version, snapshot, database")
    def health():
        from critmin.web.api.responses import json_response

        fp = app.state.fingerprint()
        return json_response({
            "status": "ok", "critmin_version": __version__, "snapshot_fingerprint": None if fp == "none" else fp,
            "database": engine.url.get_backend_name(), "schema_revision": db.current_revision(engine),
            "risk_analytics": api.risk.available(), "cache": {"hits": cache.hits, "misses": cache.misses,
                                                                     "entries": cache.size[0], "bytes": cache.size[1]},
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
    cache = ResponseCache(None, app.state.fingerprint, CACHED_PREFIXES, max_entries=cache_entries,
                          max_bytes=cache_bytes, day_prefixes=DAY_PREFIXES)
    app.state.cache = cache
    app.add_middleware(_CacheMiddleware, cache=cache)
    app.add_middleware(RequestGuard, max_bytes=max_body_bytes)
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
