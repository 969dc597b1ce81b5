"""In-process cache of read responses, keyed by the snapshot's fingerprint.

Every read endpoint of the knowledge base and the risk analytics is a pure function of
the snapshot (and of the request's path and query), so its whole response can be kept and
replayed. The key starts with :func:`critmin.snapshot.fingerprint`, the one string every
cache of critmin keys on (it changes whenever any table changes; a stat of the manifest per
request): a rebuilt snapshot makes every old entry stop matching. The tracker's answers
also depend on the day (statuses are computed for today) and on the user's register files
(``critmin tracker add``), so under :data:`DAY_PREFIXES` the key adds the date and
:func:`critmin.register.state`.

:class:`ResponseCache` is a plain ASGI middleware (no per-request Starlette objects), so a
cache hit costs a dictionary lookup and one ``send``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date as _date
from pathlib import Path
from typing import Callable


def snapshot_key(snapshot_dir: Path | None = None) -> Callable[[], str]:
    """The fingerprint of the snapshot the app serves, as a function of no arguments."""
    from critmin.snapshot import fingerprint

    return lambda: fingerprint(snapshot_dir)


CACHEABLE = frozenset({200, 404, 422})


class ResponseCache:
    """ASGI middleware replaying cached GET responses under ``prefixes``.

    Complete 200, 404 and 422 responses are stored (an unknown mineral or a malformed
    parameter is as much a function of the snapshot and the request as an answer is);
    anything else (a 5xx, a 503 while the snapshot is missing, streaming) passes through.
    The cache is bounded twice, least recently used first out: at most ``max_entries``
    responses and at most ``max_bytes`` of bodies (the key includes the whole query string,
    so a client varying a parameter that an endpoint ignores makes new entries; without the
    byte bound a few thousand 1 MB reports would be kept). A body over ``max_body`` is not kept.
    """

    def __init__(self, app, fingerprint: Callable[[], str], prefixes: tuple[str, ...], max_entries: int = 4096,
                 max_body: int = 8 * 1024 * 1024, max_bytes: int = 64 * 1024 * 1024,
                 day_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.fingerprint = fingerprint
        self.prefixes = prefixes
        self.day_prefixes = day_prefixes
        self.max_entries = max_entries
        self.max_body = max_body
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def size(self) -> tuple[int, int]:
        """``(entries, bytes of bodies)`` currently kept."""
        with self._lock:
            return len(self._entries), self._bytes

    def _store(self, key: tuple, status: int, headers: list, body: bytes) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._entries[key] = (status, headers, body)
            self._bytes += len(body)
            while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped[2])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        key = (self.fingerprint(), scope["method"], scope["path"], scope.get("query_string", b""))
        if scope["path"].startswith(self.day_prefixes):
            from critmin import register

            key += (_date.today(), register.state())
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
        if hit is not None:
            self.hits += 1
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": headers + [(b"x-cache", b"hit")]})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        captured: dict = {"status": None, "headers": None, "body": [], "ok": True}

        async def capture(message):
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-cache"]
                message = {**message, "headers": captured["headers"] + [(b"x-cache", b"miss")]}
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
                if sum(map(len, captured["body"])) > self.max_body:
                    captured["ok"] = False
                if not message.get("more_body", False) and captured["ok"] and captured["status"] in CACHEABLE:
                    self._store(key, captured["status"], captured["headers"], b"".join(captured["body"]))
            await send(message)

        await self.app(scope, receive, capture)
