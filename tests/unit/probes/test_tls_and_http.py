"""TLS handshakes and pinned HTTP requests against real servers on loopback."""

from __future__ import annotations

import http.server
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.http import fetch
from clearsight.probes.records import TlsHandshake
from clearsight.probes.tls import TrustStores, control_handshake, real_name_connection

from .loopback_servers import Pki, hold, http_server, make_pki, raw_tcp_server, read_some, reset

NAME = "service.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), NAME)


def _ctx(timeout: float = 1.0) -> ProbeContext:
    return ProbeContext(timeout_s=timeout, deadline=time.monotonic() + 30)


def real_name_handshake(
    ctx: ProbeContext, trust: TrustStores, address: str, port: int, name: str
) -> TlsHandshake:
    """The real-name handshake's record (its verified connection closed)."""
    verified = real_name_connection(ctx, trust, address, port, name)
    if verified.sock is not None:
        verified.sock.close()
    return verified.record


class _Hello(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        routes = {
            "/": (200, b"<html><title>Hello</title>ok</html>"),
            "/geo": (451, b"<title>Unavailable</title>not available in your country"),
        }
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/elsewhere":
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/blocked.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/hop":
            self.send_response(301)
            self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/endless":
            self.send_response(200)
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(10000):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if self.path == "/freeze":
            self.send_response(200)
            self.send_header("Content-Length", "200000")
            self.end_headers()
            self.wfile.write(b"y" * 16384)
            self.wfile.flush()
            time.sleep(3)
            return
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"z")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return
        status, body = routes.get(self.path, (404, b"missing"))
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def https_port(pki: Pki) -> Iterator[int]:
    with http_server(_Hello, tls=(pki.cert_pem, pki.key_pem)) as port:
        yield port


@pytest.fixture(scope="module")
def expired_port(pki: Pki) -> Iterator[int]:
    with http_server(_Hello, tls=(pki.expired_cert_pem, pki.key_pem)) as port:
        yield port


@pytest.fixture(scope="module")
def http_port() -> Iterator[int]:
    with http_server(_Hello) as port:
        yield port


def test_a_certificate_from_the_profile_ca_is_valid_and_its_fields_recorded(pki, https_port):
    trust = TrustStores.build(pki.ca_pem)
    record = real_name_handshake(_ctx(), trust, "127.0.0.1", https_port, NAME)
    assert record.failure is None and record.verify == "ok"
    assert record.certificate is not None
    assert record.certificate.sans == (NAME,)
    assert record.certificate.issuer_common_name == "Loopback Test CA"


def test_an_unknown_authority_is_untrusted_and_the_leaf_is_still_read(pki, https_port):
    record = real_name_handshake(_ctx(), TrustStores.build(None), "127.0.0.1", https_port, NAME)
    assert record.failure == failures.TLS_CERT_UNTRUSTED
    assert (record.verify, record.os_verify) == ("untrusted", "untrusted")
    assert record.certificate is not None and record.certificate.common_name == NAME


def test_another_name_is_a_name_mismatch(pki, https_port):
    trust = TrustStores.build(pki.ca_pem)
    record = real_name_handshake(_ctx(), trust, "127.0.0.1", https_port, "other.test")
    assert record.verify == "name_mismatch"


def test_an_expired_certificate_from_a_trusted_authority_is_expired(pki, expired_port):
    trust = TrustStores.build(pki.ca_pem)
    record = real_name_handshake(_ctx(), trust, "127.0.0.1", expired_port, NAME)
    assert record.verify == "expired"


def test_the_control_handshake_uses_an_innocuous_name_and_ignores_trust(https_port):
    record = control_handshake(_ctx(), TrustStores.build(None), "127.0.0.1", https_port)
    assert record.control and record.server_name == "example.com"
    assert record.failure is None and record.server_responded


def test_a_reset_after_the_client_hello_is_connection_reset():
    def censor(conn: socket.socket) -> None:
        read_some(conn)
        reset(conn)

    with raw_tcp_server(censor) as port:
        record = real_name_handshake(_ctx(), TrustStores.build(None), "127.0.0.1", port, NAME)
    assert record.failure == failures.CONNECTION_RESET
    assert not record.server_responded


def test_a_handshake_that_never_completes_ends_at_the_timeout():
    with raw_tcp_server(lambda conn: hold(conn, 5)) as port:
        started = time.monotonic()
        record = real_name_handshake(_ctx(0.5), TrustStores.build(None), "127.0.0.1", port, NAME)
        took = time.monotonic() - started
    assert record.failure == failures.TIMEOUT
    assert took < 2.0


def test_https_get_is_pinned_to_the_address_and_verified(pki, https_port):
    trust = TrustStores.build(pki.ca_pem)
    result = fetch(_ctx(), f"https://{NAME}:{https_port}/", "127.0.0.1", ssl_context=trust.public)
    assert result.failure is None and result.status == 200
    assert result.title == "Hello" and result.body_complete


def test_same_host_redirects_are_followed_and_loops_are_bounded(http_port):
    ok = fetch(_ctx(), f"http://{NAME}:{http_port}/hop", "127.0.0.1", ssl_context=None)
    assert ok.status == 200 and [r.status for r in ok.redirects] == [301]
    loop = fetch(_ctx(), f"http://{NAME}:{http_port}/loop", "127.0.0.1", ssl_context=None)
    assert loop.failure == failures.TOO_MANY_REDIRECTS
    assert len(loop.redirects) == 6


def test_a_redirect_to_another_host_is_recorded_not_followed(http_port):
    result = fetch(_ctx(), f"http://{NAME}:{http_port}/elsewhere", "127.0.0.1", ssl_context=None)
    assert result.status == 302
    assert result.final_url == "http://10.0.0.1/blocked.html"


def test_an_endless_body_is_read_only_up_to_the_bound(http_port):
    result = fetch(_ctx(), f"http://{NAME}:{http_port}/endless", "127.0.0.1", ssl_context=None)
    assert result.status == 200 and result.body_bytes == 64 * 1024
    assert not result.stalled


def test_a_body_that_freezes_after_16_kb_is_stalled(http_port):
    started = time.monotonic()
    result = fetch(_ctx(1.0), f"http://{NAME}:{http_port}/freeze", "127.0.0.1", ssl_context=None)
    assert time.monotonic() - started < 2.5
    assert result.stalled and result.body_bytes == 16384
    assert result.failure == failures.TIMEOUT


def test_a_server_dripping_bytes_cannot_hold_the_request_past_its_timeout(http_port):
    started = time.monotonic()
    result = fetch(_ctx(1.0), f"http://{NAME}:{http_port}/drip", "127.0.0.1", ssl_context=None)
    assert time.monotonic() - started < 2.5
    assert result.stalled and 0 < result.body_bytes < 1000


def test_cancel_unblocks_a_request_at_once(http_port):
    ctx = _ctx(10.0)
    import threading

    threading.Timer(0.3, ctx.cancel).start()
    started = time.monotonic()
    result = fetch(ctx, f"http://{NAME}:{http_port}/freeze", "127.0.0.1", ssl_context=None)
    assert time.monotonic() - started < 1.0
    assert result.failure == failures.CANCELLED


def test_no_proxy_from_the_environment_is_used(monkeypatch, http_port, tmp_path: Path):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    result = fetch(_ctx(), f"http://{NAME}:{http_port}/", "127.0.0.1", ssl_context=None)
    assert result.status == 200
