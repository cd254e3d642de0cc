"""Requests through an explicit HTTP proxy, against a small CONNECT proxy on loopback that
relays, asks for a login, fails upstream (502, a reset after CONNECT) or is not there."""

from __future__ import annotations

import contextlib
import http.server
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.http import fetch_through_proxy
from clearsight.probes.tls import TrustStores

from .loopback_servers import Pki, http_server, make_pki, raw_tcp_server, reset

NAME = "service.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), NAME)


class _Hello(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<html><title>Hello</title>through</html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site(pki: Pki) -> Iterator[int]:
    with http_server(_Hello, tls=(pki.cert_pem, pki.key_pem)) as port:
        yield port


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """/ -> /home on the same origin -> another origin; /loop -> /loop."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        location = {
            "/": f"https://{NAME}:{port}/home",
            "/home": "https://other.test/welcome",
            "/loop": "/loop",
        }[self.path]
        self.send_response(301 if self.path == "/" else 302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def redirecting_site(pki: Pki) -> Iterator[int]:
    with http_server(_Redirecting, tls=(pki.cert_pem, pki.key_pem)) as port:
        yield port


def _ctx(timeout: float = 2.0) -> ProbeContext:
    return ProbeContext(timeout_s=timeout, deadline=time.monotonic() + 30)


def _head(conn: socket.socket) -> bytes:
    conn.settimeout(3)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _relay(conn: socket.socket) -> None:
    head = _head(conn)
    target = head.split(b" ")[1].decode()
    port = int(target.rsplit(":", 1)[1])
    with contextlib.closing(socket.create_connection(("127.0.0.1", port), timeout=3)) as up:
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        sockets = [conn, up]
        while True:
            ready, _, _ = select.select(sockets, [], [], 3)
            if not ready:
                break
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    conn.close()
                    return
                (up if sock is conn else conn).sendall(data)
    conn.close()


def _answer(status: bytes) -> object:
    def serve(conn: socket.socket) -> None:
        _head(conn)
        conn.sendall(
            b"HTTP/1.1 " + status + b"\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n"
        )
        conn.close()

    return serve


def _reset_after_connect(conn: socket.socket) -> None:
    _head(conn)
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    time.sleep(0.05)
    reset(conn)


def _context(pki: Pki) -> object:
    return TrustStores.build(Path(pki.ca_pem)).public


def test_a_working_proxy_relays_the_request(pki: Pki, site: int) -> None:
    with raw_tcp_server(_relay) as port:
        record = fetch_through_proxy(
            _ctx(), f"https://{NAME}:{site}/", f"127.0.0.1:{port}", ssl_context=_context(pki)
        )
    assert record.failure is None and record.status == 200, record
    assert record.via == "proxy" and record.proxy == f"127.0.0.1:{port}"
    assert record.title == "Hello" and record.address == "127.0.0.1" and record.port == port


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (b"407 Proxy Authentication Required", failures.PROXY_AUTH_REQUIRED),
        (b"502 Bad Gateway", failures.PROXY_TUNNEL_FAILED),
    ],
)
def test_a_proxy_refusing_the_tunnel(pki: Pki, site: int, status: bytes, failure: str) -> None:
    with raw_tcp_server(_answer(status)) as port:  # type: ignore[arg-type]
        record = fetch_through_proxy(
            _ctx(), f"https://{NAME}:{site}/", f"127.0.0.1:{port}", ssl_context=_context(pki)
        )
    assert record.failure == failure, record
    assert record.proxy_status == int(status.split()[0])


def test_a_reset_after_connect_is_the_upstream_failing(pki: Pki, site: int) -> None:
    with raw_tcp_server(_reset_after_connect) as port:
        record = fetch_through_proxy(
            _ctx(), f"https://{NAME}:{site}/", f"127.0.0.1:{port}", ssl_context=_context(pki)
        )
    assert record.failure in (failures.CONNECTION_RESET, failures.EOF), record
    assert record.proxy_status is None


def test_a_proxy_that_is_not_there(pki: Pki, site: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    record = fetch_through_proxy(
        _ctx(), f"https://{NAME}:{site}/", f"127.0.0.1:{free}", ssl_context=_context(pki)
    )
    assert record.failure == "proxy_connection_refused", record


def test_a_plain_http_url_gets_the_proxys_own_answer(pki: Pki) -> None:
    with raw_tcp_server(_answer(b"407 Proxy Authentication Required")) as port:  # type: ignore[arg-type]
        record = fetch_through_proxy(
            _ctx(), "http://plain.test/", f"127.0.0.1:{port}", ssl_context=None
        )
    assert record.status == 407 and record.proxy_status == 407 and record.failure is None


def test_same_origin_redirects_are_followed_through_the_proxy(
    pki: Pki, redirecting_site: int
) -> None:
    """A browser using the proxy follows them; the one to another origin is where the way
    goes on (``final_url``), fetched through the proxy by the engine."""
    url = f"https://{NAME}:{redirecting_site}/"
    with raw_tcp_server(_relay) as port:
        record = fetch_through_proxy(_ctx(), url, f"127.0.0.1:{port}", ssl_context=_context(pki))
    assert record.failure is None and record.status == 302, record
    assert [(r.status, r.location) for r in record.redirects] == [
        (301, f"https://{NAME}:{redirecting_site}/home"),
        (302, "https://other.test/welcome"),
    ]
    assert record.url == url and record.final_url == "https://other.test/welcome"
    assert record.via == "proxy" and record.proxy == f"127.0.0.1:{port}"


def test_a_same_origin_loop_through_the_proxy_is_too_many_redirects(
    pki: Pki, redirecting_site: int
) -> None:
    url = f"https://{NAME}:{redirecting_site}/loop"
    with raw_tcp_server(_relay) as port:
        record = fetch_through_proxy(
            _ctx(), url, f"127.0.0.1:{port}", ssl_context=_context(pki), max_redirects=2
        )
    assert record.failure == failures.TOO_MANY_REDIRECTS and record.status is None, record
    assert len(record.redirects) == 3
    assert record.via == "proxy" and record.proxy == f"127.0.0.1:{port}"
