"""In-process cache of read responses, keyed by the snapshot's fingerprint.

Every read endpoint of the knowledge base and the risk analytics is a pure function of
the snapshot (and of the request's path and query), so its whole response can be kept and
replayed. The key starts with the SHA-256 of the snapshot's ``manifest.json`` (which holds
the checksum of every table): a rebuilt snapshot changes the fingerprint and every old
entry stops matching. The manifest is re-examined at most once a second (its size and
modification time; re-hashed only when they change).

:class:`ResponseCache` is a plain ASGI middleware (no per-request Starlette objects), so a
cache hit costs a dictionary lookup and one ``send``.
"""

from __future__ import annotations

import hashlib
from datetime import date as _date
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path


class SnapshotFingerprint:
    """SHA-256 of a snapshot's manifest, refreshed when the file changes."""

    def __init__(self, snapshot_dir: Path | None = None, min_interval: float = 1.0) -> None:
        self._dir = snapshot_dir
        self._interval = min_interval
        self._checked = 0.0
        self._stat: tuple[int, int] | None = None
        self._value = "none"
        self._lock = threading.Lock()

    @property
    def manifest_path(self) -> Path:
        from critmin.snapshot import MANIFEST, default_dir

        return Path(self._dir or default_dir()) / MANIFEST

    def __call__(self) -> str:
        now = time.monotonic()
        if now - self._checked < self._interval:
            return self._value
        with self._lock:
            self._checked = now
            try:
                st = os.stat(self.manifest_path)
            except OSError:
                self._stat, self._value = None, "none"
                return self._value
            stat = (st.st_size, st.st_mtime_ns)
            if stat != self._stat:
                previous = self._value
                self._value = hashlib.sha256(self.manifest_path.read_bytes()).hexdigest()
                self._stat = stat
                if previous not in ("none", self._value):
                    from critmin import store

                    store.reset()  # a rebuilt snapshot: reopen the views on the new files
            return self._value


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

    def __init__(self, app, fingerprint: SnapshotFingerprint, prefixes: tuple[str, ...], max_entries: int = 4096,
                 max_body: int = 8 * 1024 * 1024, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.app = app
        self.fingerprint = fingerprint
        self.prefixes = prefixes
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
        fingerprint = self.fingerprint()
        key = (fingerprint, _date.today(), scope["method"], scope["path"], scope.get("query_string", b""))
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
