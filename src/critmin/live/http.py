"""A small fetch layer on :mod:`urllib.request`: timeouts, retries with backoff, a User-Agent.

critmin talks to three web services (ScienceBase, UN Comtrade, and plain file hosts) and
needs very little from HTTP, so this module uses the standard library only. Everything
that touches the network goes through an *opener*: any object with
``open(request, timeout=...)`` that returns a file-like response (``read(n)``, ``status``
or ``getcode()``, ``headers``). The default is :func:`urllib.request.build_opener`; tests
pass a fake that serves bytes by URL, so no test opens a socket.

Behaviour
---------
* Every request carries :data:`USER_AGENT` and a timeout (:attr:`FetchPolicy.timeout`
  seconds for connecting and for each read).
* Transient failures are retried ``retries`` times with exponential backoff
  (``backoff * 2**attempt`` seconds, capped at ``max_backoff``; a numeric ``Retry-After``
  header is honoured up to the same cap): connection errors, timeouts, a body cut short
  (fewer bytes than ``Content-Length``), and HTTP 408, 425, 429, 500, 502, 503 and 504.
  Other HTTP errors (404, 401, 403, ...) and certificate errors fail at once.
* Every failure becomes a :class:`FetchError` (a :class:`~critmin.errors.SourceError`
  whose "file" is the URL) that says what went wrong and how many attempts were made.
  Query parameters that look like credentials (``subscription-key``, ``token``, ...) are
  masked in messages.
* :func:`download` writes atomically: the body streams into a temporary file beside the
  target, its size and checksum are verified, and only then is it renamed into place.
  A failure leaves the target untouched.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from critmin import __version__
from critmin.errors import SourceError

USER_AGENT = f"critmin/{__version__} (critical-minerals research; Python urllib)"
#: HTTP status codes worth another attempt.
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Query parameters whose values never appear in messages.
SECRET_PARAMS = frozenset({"subscription-key", "subscription_key", "key", "apikey", "api_key", "token", "access_token"})
CHUNK = 1 << 20


class Response(Protocol):
    """What an opener returns: a readable body with a status and headers."""

    headers: Any

    def read(self, amt: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class Opener(Protocol):
    """Anything with ``open(request, timeout=...)``, such as :class:`urllib.request.OpenerDirector`."""

    def open(self, request: urllib.request.Request, timeout: float = ...) -> Response: ...


class FetchError(SourceError):
    """A request failed: the message names the URL, the HTTP status or the network error.

    Attributes
    ----------
    url
        The URL with credentials masked.
    status
        The HTTP status code, or ``None`` for network errors.
    attempts
        How many requests were made.
    """

    def __init__(self, url: str, message: str, *, status: int | None = None, attempts: int = 1, expected: str | None = None) -> None:
        self.url = redact(url)
        self.status = status
        self.attempts = attempts
        if attempts > 1:
            message = f"{message} (after {attempts} attempts)"
        super().__init__(self.url, message, expected=expected)


@dataclass(frozen=True)
class FetchPolicy:
    """How patiently to fetch.

    Parameters
    ----------
    timeout
        Seconds allowed for connecting and for each read.
    retries
        Further attempts after the first one fails transiently.
    backoff
        Seconds to wait before the first retry; doubles for each further retry.
    max_backoff
        Upper bound on any single wait, including a server's ``Retry-After``.
    user_agent
        Sent with every request.
    """

    timeout: float = 60.0
    retries: int = 3
    backoff: float = 2.0
    max_backoff: float = 60.0
    user_agent: str = USER_AGENT


DEFAULT_POLICY = FetchPolicy()


@dataclass(frozen=True)
class Checksum:
    """An expected digest: ``algorithm`` is a :mod:`hashlib` name (``md5``, ``sha256``)."""

    algorithm: str
    value: str

    @classmethod
    def parse(cls, spec: object) -> Checksum | None:
        """Read a checksum as catalogues publish it.

        Accepts ``{"type": "MD5", "value": "..."}`` (ScienceBase), ``"sha256:..."``, or a
        bare hex digest whose length gives the algorithm (32 md5, 40 sha1, 64 sha256,
        128 sha512). ``None`` or an empty value gives ``None``.
        """
        if spec is None:
            return None
        if isinstance(spec, Mapping):
            value = str(spec.get("value") or "").strip().lower()
            algorithm = str(spec.get("type") or spec.get("algorithm") or "").strip().lower().replace("-", "")
        else:
            text = str(spec).strip()
            algorithm, _, value = text.rpartition(":")
            algorithm, value = algorithm.strip().lower().replace("-", ""), value.strip().lower()
        if not value:
            return None
        if not algorithm:
            algorithm = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}.get(len(value), "")
        if algorithm not in hashlib.algorithms_available or not all(c in "0123456789abcdef" for c in value):
            raise ValueError(f"unusable checksum {spec!r}: expected a hex digest of md5, sha1, sha256 or sha512")
        return cls(algorithm, value)


def redact(url: str) -> str:
    """The URL with the values of credential-like query parameters replaced by ``***``."""
    parts = urllib.parse.urlsplit(url)
    if not parts.query:
        return url
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    masked = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(masked, safe=",")))


def default_opener() -> Opener:
    """The standard urllib opener (follows redirects, raises ``HTTPError`` on 4xx/5xx)."""
    return urllib.request.build_opener()


def _request(url: str, headers: Mapping[str, str] | None, policy: FetchPolicy) -> urllib.request.Request:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("https", "http"):
        raise FetchError(url, f"unsupported URL scheme {scheme!r}", expected="an http(s) URL")
    all_headers = {"User-Agent": policy.user_agent, "Accept": "*/*"}
    all_headers.update(headers or {})
    return urllib.request.Request(url, headers=all_headers, method="GET")


class _Transient(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


def _status(response: object) -> int:
    status = getattr(response, "status", None)
    if status is None and hasattr(response, "getcode"):
        status = response.getcode()
    return int(status) if status is not None else 200


def _retry_after(headers: object) -> float | None:
    value = headers.get("Retry-After") if headers is not None and hasattr(headers, "get") else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None  # an HTTP date: fall back to our own backoff


def _http_failure(url: str, status: int, reason: str, headers: object, attempts: int) -> None:
    """Raise for an HTTP error status: ``_Transient`` when worth retrying, else ``FetchError``."""
    message = f"HTTP {status} {reason}".strip()
    if status in RETRY_STATUS:
        raise _Transient(message, status, _retry_after(headers))
    hint = {
        401: "valid credentials (for UN Comtrade a subscription key)",
        403: "access to this resource",
        404: "a URL that exists (check the item id or file name)",
    }.get(status, "a successful response")
    raise FetchError(url, message, status=status, attempts=attempts, expected=hint)


def _open(opener: Opener, request: urllib.request.Request, policy: FetchPolicy, attempts: int) -> Response:
    url = request.full_url
    try:
        response = opener.open(request, timeout=policy.timeout)
    except urllib.error.HTTPError as exc:
        try:
            _http_failure(url, exc.code, str(exc.reason or ""), exc.headers, attempts)
        finally:
            exc.close()
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise FetchError(url, f"TLS certificate verification failed: {reason}", attempts=attempts, expected="a valid certificate") from None
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise _Transient(f"timed out after {policy.timeout:g} s") from None
        raise _Transient(f"network error: {reason}") from None
    except (TimeoutError, socket.timeout):
        raise _Transient(f"timed out after {policy.timeout:g} s") from None
    except (ConnectionError, http.client.HTTPException) as exc:
        raise _Transient(f"network error: {exc.__class__.__name__}: {exc}") from None
    status = _status(response)
    if status >= 400:
        headers = getattr(response, "headers", None)
        response.close()
        _http_failure(url, status, getattr(response, "reason", "") or "", headers, attempts)
    return response


def _with_retries(url: str, attempt: Callable[[int], Any], policy: FetchPolicy, sleep: Callable[[float], None]) -> Any:
    """Run ``attempt(n)`` until it succeeds, retrying ``_Transient`` failures with backoff."""
    total = 1 + max(0, policy.retries)
    for n in range(1, total + 1):
        try:
            return attempt(n)
        except _Transient as exc:
            if n == total:
                raise FetchError(url, exc.message, status=exc.status, attempts=n, expected="a reachable server; try again later") from None
            wait = min(policy.max_backoff, policy.backoff * (2 ** (n - 1)))
            if exc.retry_after is not None:
                wait = min(policy.max_backoff, max(wait, exc.retry_after))
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _read_body(response: Response, url: str, policy: FetchPolicy, sink: Callable[[bytes], None]) -> int:
    """Stream the body into ``sink``; a body shorter than ``Content-Length`` is transient."""
    declared = None
    headers = getattr(response, "headers", None)
    if headers is not None and hasattr(headers, "get"):
        try:
            declared = int(headers.get("Content-Length")) if headers.get("Content-Length") is not None else None
        except (TypeError, ValueError):
            declared = None
    received = 0
    try:
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            received += len(chunk)
            sink(chunk)
    except (TimeoutError, socket.timeout):
        raise _Transient(f"timed out after {policy.timeout:g} s while reading") from None
    except (ConnectionError, http.client.IncompleteRead) as exc:
        raise _Transient(f"connection lost while reading ({exc.__class__.__name__})") from None
    finally:
        response.close()
    if declared is not None and received != declared:
        raise _Transient(f"body cut short: received {received} of {declared} bytes")
    return received


def fetch_bytes(
    url: str,
    *,
    opener: Opener | None = None,
    headers: Mapping[str, str] | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """GET ``url`` and return the body.

    Parameters
    ----------
    url
        An http(s) URL.
    opener
        The opener to use; ``None`` for :func:`default_opener`.
    headers
        Extra request headers (they may override the User-Agent).
    policy
        Timeout and retry settings.
    sleep
        Called with the seconds to wait between attempts (tests pass a recorder).

    Raises
    ------
    FetchError
        After the last attempt, or at once for a permanent HTTP error.
    """
    opener = opener or default_opener()
    request = _request(url, headers, policy)

    def attempt(n: int) -> bytes:
        parts: list[bytes] = []
        _read_body(_open(opener, request, policy, n), url, policy, parts.append)
        return b"".join(parts)

    return _with_retries(url, attempt, policy, sleep)


def fetch_json(
    url: str,
    *,
    opener: Opener | None = None,
    headers: Mapping[str, str] | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """GET ``url`` and decode the body as UTF-8 JSON; a body that is not JSON is a :class:`FetchError`."""
    all_headers = {"Accept": "application/json"}
    all_headers.update(headers or {})
    body = fetch_bytes(url, opener=opener, headers=all_headers, policy=policy, sleep=sleep)
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = body[:80].decode("utf-8", "replace")
        raise FetchError(url, f"response is not JSON ({exc.__class__.__name__}); it starts {start!r}", expected="a JSON document") from None


def download(
    url: str,
    target: Path,
    *,
    expected_size: int | None = None,
    checksum: Checksum | None = None,
    opener: Opener | None = None,
    headers: Mapping[str, str] | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download ``url`` to ``target`` atomically, verifying size and checksum.

    The body goes to a temporary file in ``target``'s folder, which is renamed to
    ``target`` only after the checks pass; on any failure the temporary file is removed
    and ``target`` is left as it was.

    Raises
    ------
    FetchError
        The request failed (see :func:`fetch_bytes`), or the size or checksum differs
        from what the catalogue lists. A mismatch is not retried: it usually means the
        file changed after the catalogue was read.
    """
    opener = opener or default_opener()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    request = _request(url, headers, policy)

    def attempt(n: int) -> Path:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            digest = hashlib.new(checksum.algorithm) if checksum else None
            with os.fdopen(fd, "wb") as fh:
                def sink(chunk: bytes) -> None:
                    fh.write(chunk)
                    if digest is not None:
                        digest.update(chunk)

                received = _read_body(_open(opener, request, policy, n), url, policy, sink)
            if expected_size is not None and received != expected_size:
                raise FetchError(
                    url,
                    f"size mismatch: the catalogue lists {expected_size} bytes, received {received}",
                    attempts=n,
                    expected=f"{expected_size} bytes (the file may have changed since the catalogue was read; run again)",
                )
            if checksum is not None and digest is not None and digest.hexdigest() != checksum.value:
                raise FetchError(
                    url,
                    f"{checksum.algorithm} checksum mismatch: got {digest.hexdigest()}",
                    attempts=n,
                    expected=f"{checksum.algorithm} {checksum.value}",
                )
            os.replace(tmp, target)
            return target
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    return _with_retries(url, attempt, policy, sleep)
