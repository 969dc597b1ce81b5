"""Shared offline helpers for the live-source tests.

:class:`FakeOpener` serves bytes by URL and records the requests it saw;
:func:`no_network` (an autouse fixture once imported into a test module) makes any
attempt to open a socket or resolve a host name raise :class:`NetworkBlocked`, so a test
that would reach the network fails loudly instead.
"""

from __future__ import annotations

import email.message
import io
import socket
import urllib.error
from typing import Callable

import pytest


class NetworkBlocked(RuntimeError):
    """Raised by the socket guard: a test tried to use the network."""


def _blocked(*args, **kwargs):
    raise NetworkBlocked("a live-source test tried to open a network connection")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No socket, connection or DNS look-up for the duration of a test."""
    monkeypatch.setattr(socket, "socket", _blocked)
    monkeypatch.setattr(socket, "create_connection", _blocked)
    monkeypatch.setattr(socket, "getaddrinfo", _blocked)
    yield


class FakeResponse:
    """A minimal HTTP response: ``read``, ``status``, ``headers``, ``close``."""

    def __init__(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None, declared_length: int | None = None) -> None:
        self._body = io.BytesIO(body)
        self.status = status
        self.reason = "OK" if status < 400 else "Error"
        self.headers = email.message.Message()
        for k, v in (headers or {}).items():
            self.headers[k] = v
        if declared_length is not None:
            self.headers["Content-Length"] = str(declared_length)
        self.closed = False

    def read(self, amt: int = -1) -> bytes:
        return self._body.read(amt)

    def getcode(self) -> int:
        return self.status

    def close(self) -> None:
        self.closed = True


Route = bytes | Exception | Callable[[object], object]


class FakeOpener:
    """Serves registered URLs; each route is bytes, an exception to raise, or a list of them
    (one per successive request, the last repeating). Unknown URLs give HTTP 404."""

    def __init__(self, routes: dict[str, Route | list[Route]] | None = None) -> None:
        self.routes: dict[str, list[Route]] = {}
        self.requests: list[object] = []
        self.timeouts: list[float] = []
        for url, route in (routes or {}).items():
            self.add(url, route)

    def add(self, url: str, route: Route | list[Route]) -> None:
        self.routes[url] = list(route) if isinstance(route, list) else [route]

    def calls(self, url: str) -> int:
        return sum(1 for r in self.requests if r.full_url == url)

    def open(self, request, timeout=None):
        self.requests.append(request)
        self.timeouts.append(timeout)
        url = request.full_url
        if url not in self.routes:
            raise urllib.error.HTTPError(url, 404, "Not Found", email.message.Message(), io.BytesIO(b""))
        queue = self.routes[url]
        route = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(route, Exception):
            raise route
        if callable(route):
            route = route(request)
        if isinstance(route, FakeResponse):
            return route
        return FakeResponse(route)


def http_error(url: str, code: int, headers: dict[str, str] | None = None) -> urllib.error.HTTPError:
    msg = email.message.Message()
    for k, v in (headers or {}).items():
        msg[k] = v
    return urllib.error.HTTPError(url, code, {404: "Not Found", 503: "Service Unavailable", 429: "Too Many Requests"}.get(code, "Error"), msg, io.BytesIO(b""))
