"""The fetch layer: retries, timeouts, HTTP errors, atomic downloads, no network in tests."""

from __future__ import annotations

import hashlib
import socket
import urllib.error

import pytest

from critmin.errors import SourceError
from critmin.live import http
from critmin.live.http import Checksum, FetchError, FetchPolicy
from tests.live import FakeOpener, FakeResponse, NetworkBlocked, http_error, no_network  # noqa: F401

URL = "https://example.test/data.csv"
FAST = FetchPolicy(timeout=5, retries=2, backoff=0.5, max_backoff=4)


def test_socket_guard_blocks_sockets_and_dns():
    with pytest.raises(NetworkBlocked):
        socket.socket()
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("example.org", 443)


def test_default_opener_would_hit_the_network_and_the_guard_stops_it():
    # Proves the guard covers the real urllib path: without a fake opener the request
    # reaches socket creation / DNS and is stopped there.
    with pytest.raises(NetworkBlocked):
        http.fetch_bytes("https://example.org/", policy=FetchPolicy(retries=0))


def test_fetch_sends_user_agent_and_timeout():
    opener = FakeOpener({URL: b"a,b\n1,2\n"})
    assert http.fetch_bytes(URL, opener=opener, policy=FAST) == b"a,b\n1,2\n"
    request = opener.requests[0]
    assert request.get_header("User-agent").startswith("critmin/")
    assert opener.timeouts == [5]


def test_transient_http_errors_are_retried_with_backoff():
    waits: list[float] = []
    opener = FakeOpener({URL: [http_error(URL, 503), http_error(URL, 502), b"ok"]})
    assert http.fetch_bytes(URL, opener=opener, policy=FAST, sleep=waits.append) == b"ok"
    assert opener.calls(URL) == 3
    assert waits == [0.5, 1.0]


def test_retry_after_header_is_honoured_up_to_the_cap():
    waits: list[float] = []
    opener = FakeOpener({URL: [http_error(URL, 429, {"Retry-After": "3"}), http_error(URL, 429, {"Retry-After": "999"}), b"ok"]})
    http.fetch_bytes(URL, opener=opener, policy=FAST, sleep=waits.append)
    assert waits == [3.0, 4.0]


def test_permanent_http_error_fails_at_once_with_a_clear_message():
    opener = FakeOpener()  # every URL is 404
    with pytest.raises(FetchError) as info:
        http.fetch_bytes(URL, opener=opener, policy=FAST, sleep=lambda s: None)
    assert opener.calls(URL) == 1
    assert info.value.status == 404
    assert "HTTP 404" in str(info.value) and URL in str(info.value)
    assert isinstance(info.value, SourceError)


def test_status_returned_instead_of_raised_is_also_an_error():
    opener = FakeOpener({URL: lambda req: FakeResponse(b"nope", status=403)})
    with pytest.raises(FetchError, match="HTTP 403"):
        http.fetch_bytes(URL, opener=opener, policy=FAST)


def test_timeouts_are_retried_then_reported():
    waits: list[float] = []
    opener = FakeOpener({URL: urllib.error.URLError(socket.timeout("timed out"))})
    with pytest.raises(FetchError) as info:
        http.fetch_bytes(URL, opener=opener, policy=FAST, sleep=waits.append)
    assert opener.calls(URL) == 3
    assert "timed out after 5 s" in str(info.value) and "after 3 attempts" in str(info.value)
    assert info.value.attempts == 3


def test_read_timeout_and_connection_reset_are_transient():
    class SlowBody(FakeResponse):
        def read(self, amt=-1):
            raise TimeoutError

    opener = FakeOpener({URL: [lambda req: SlowBody(b""), ConnectionResetError("reset"), b"fine"]})
    assert http.fetch_bytes(URL, opener=opener, policy=FAST, sleep=lambda s: None) == b"fine"
    assert opener.calls(URL) == 3


def test_body_shorter_than_content_length_is_retried():
    opener = FakeOpener({URL: [lambda req: FakeResponse(b"abc", declared_length=10), b"abcdefghij"]})
    assert http.fetch_bytes(URL, opener=opener, policy=FAST, sleep=lambda s: None) == b"abcdefghij"


def test_dns_failure_is_reported_as_network_error():
    opener = FakeOpener({URL: urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))})
    with pytest.raises(FetchError, match="network error"):
        http.fetch_bytes(URL, opener=opener, policy=FetchPolicy(retries=0))


def test_only_http_urls_are_fetched():
    with pytest.raises(FetchError, match="unsupported URL scheme 'file'"):
        http.fetch_bytes("file:///etc/passwd", opener=FakeOpener())


def test_secrets_are_masked_in_messages():
    url = "https://api.test/get?reporterCode=842&subscription-key=SECRET123"
    with pytest.raises(FetchError) as info:
        http.fetch_bytes(url, opener=FakeOpener(), policy=FetchPolicy(retries=0))
    assert "SECRET123" not in str(info.value)
    assert "subscription-key=%2A%2A%2A" in str(info.value) or "subscription-key=***" in str(info.value)


def test_fetch_json_rejects_html():
    opener = FakeOpener({URL: b"<html>maintenance</html>"})
    with pytest.raises(FetchError, match="not JSON"):
        http.fetch_json(URL, opener=opener)


def test_download_verifies_size_and_checksum(tmp_path):
    body = b"x" * 1000
    target = tmp_path / "sub" / "file.csv"
    opener = FakeOpener({URL: body})
    md5 = hashlib.md5(body).hexdigest()
    http.download(URL, target, expected_size=1000, checksum=Checksum.parse({"type": "MD5", "value": md5}), opener=opener)
    assert target.read_bytes() == body
    assert [p.name for p in target.parent.iterdir()] == ["file.csv"]  # no temporary files left


def test_download_size_mismatch_leaves_target_untouched(tmp_path):
    target = tmp_path / "file.csv"
    target.write_bytes(b"old content")
    opener = FakeOpener({URL: b"new but short"})
    with pytest.raises(FetchError, match="size mismatch: the catalogue lists 999 bytes, received 13"):
        http.download(URL, target, expected_size=999, opener=opener, policy=FAST, sleep=lambda s: None)
    assert opener.calls(URL) == 1  # a mismatch is not retried
    assert target.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.csv"]


def test_download_checksum_mismatch_is_an_error(tmp_path):
    opener = FakeOpener({URL: b"abc"})
    with pytest.raises(FetchError, match="sha256 checksum mismatch"):
        http.download(URL, tmp_path / "f", checksum=Checksum.parse("sha256:" + "0" * 64), opener=opener)
    assert not (tmp_path / "f").exists()


def test_download_failure_mid_body_cleans_up(tmp_path):
    opener = FakeOpener({URL: lambda req: FakeResponse(b"abc", declared_length=50)})
    with pytest.raises(FetchError, match="cut short"):
        http.download(URL, tmp_path / "f.csv", opener=opener, policy=FetchPolicy(retries=1), sleep=lambda s: None)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [({"type": "MD5", "value": "a" * 32}, "md5"), ("b" * 40, "sha1"), ("SHA-256:" + "c" * 64, "sha256"), (None, None)],
)
def test_checksum_forms(spec, algorithm):
    parsed = Checksum.parse(spec)
    assert (parsed.algorithm if parsed else None) == algorithm


def test_checksum_garbage_is_refused():
    with pytest.raises(ValueError, match="unusable checksum"):
        Checksum.parse({"type": "MD5", "value": "not-hex"})
