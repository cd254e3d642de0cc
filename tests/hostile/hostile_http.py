"""Hostile HTTP(S) and TLS servers on 127.0.0.1: every way a server (or a censor standing in
for it) can misbehave after the TCP handshake.

``hostile_server(behaviour, tls=...)`` serves one behaviour; with ``tls`` the HTTP
behaviours run after a real handshake with a certificate for the address 127.0.0.1
(``make_pki``), the ``tls_*`` behaviours instead of one.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.unit.probes.loopback_servers import Pki
from tests.unit.probes.loopback_servers import make_pki as make_loopback_pki

Handler = Callable[[socket.socket, threading.Event, str], None]


def make_pki(folder: Path) -> Pki:
    """A CA and a certificate for the IP addresses 127.0.0.1 to 127.0.0.254 (every hostile
    server can have an address of its own)."""
    return make_loopback_pki(folder, None, addresses=[f"127.0.0.{n}" for n in range(1, 255)])


# ------------------------------------------------------------------------ helpers


def _read_request(conn: socket.socket) -> str:
    """The request's path ("" when none came)."""
    conn.settimeout(5)
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) > 1 else ""


def _send(conn: socket.socket, data: bytes) -> bool:
    try:
        conn.sendall(data)
        return True
    except OSError:
        return False


def _drip(conn: socket.socket, data: bytes, every_s: float, stop: threading.Event) -> None:
    for index in range(len(data)):
        if stop.wait(every_s) or not _send(conn, data[index : index + 1]):
            return


def _forever(conn: socket.socket, chunk: bytes, stop: threading.Event, *, pause: float = 0) -> None:
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline:
        if not _send(conn, chunk):
            return
        if pause:
            time.sleep(pause)


def _hold(stop: threading.Event, seconds: float = 60) -> None:
    stop.wait(seconds)


OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"

# ------------------------------------------------------------------------ HTTP behaviours


def drip_status(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """One byte per second, from the status line on (slowloris in reverse)."""
    _drip(conn, OK_HEAD + b"Content-Length: 5\r\n\r\nhello", 1.0, stop)


def drip_body(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """Headers at once, then the body one byte per second."""
    if _send(conn, OK_HEAD + b"Content-Length: 100000\r\n\r\n<html>"):
        _drip(conn, b"x" * 100000, 1.0, stop)


def endless_body(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """200 with no length and a body that never ends, as fast as the client reads."""
    if _send(conn, OK_HEAD + b"Connection: close\r\n\r\n"):
        _forever(conn, b"<p>" + b"x" * 65533, stop)


def endless_chunked(conn: socket.socket, stop: threading.Event, path: str) -> None:
    if _send(conn, OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"):
        _forever(conn, b"4000\r\n" + b"y" * 0x4000 + b"\r\n", stop)


def redirect_chain(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """100 redirects, each to the next page on the same site."""
    hop = int(path.rsplit("/", 1)[-1]) if path.rsplit("/", 1)[-1].isdigit() else 0
    target = f"/hop/{hop + 1}" if hop < 100 else "/done"
    _send(conn, f"HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n".encode())


def redirect_loop(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _send(conn, b"HTTP/1.1 301 Moved\r\nLocation: /\r\nContent-Length: 0\r\n\r\n")


def redirect_odd_scheme(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """A redirect to file: (never followed: another host, another scheme)."""
    _send(conn, b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n")


def redirect_javascript(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _send(
        conn,
        b"HTTP/1.1 302 Found\r\nLocation: javascript:alert(document.cookie)\r\n"
        b"Content-Length: 0\r\n\r\n",
    )


def huge_location(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _send(conn, b"HTTP/1.1 302 Found\r\nLocation: /" + b"a" * (1 << 20) + b"\r\n\r\n")


def header_1mb_line(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """One header line of 1 MB."""
    _send(conn, OK_HEAD + b"X-Big: " + b"z" * (1 << 20) + b"\r\nContent-Length: 2\r\n\r\nok")


def headers_1mb_many(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """1 MB of headers in 20,000 short lines."""
    lines = b"".join(b"X-H%05d: %s\r\n" % (i, b"v" * 38) for i in range(20000))
    _send(conn, OK_HEAD + lines + b"Content-Length: 2\r\n\r\nok")


def headers_endless(conn: socket.socket, stop: threading.Event, path: str) -> None:
    if _send(conn, OK_HEAD):
        _forever(conn, b"X-More: " + b"m" * 100 + b"\r\n", stop)


def broken_chunked(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _send(conn, OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nnonsense\r\n")
    _hold(stop, 30)


def chunk_size_huge(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """A chunk that claims 2^64-1 bytes, then a few and silence."""
    _send(conn, OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc")
    _hold(stop, 30)


def bad_status_line(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _send(conn, b"HELLO WORLD \x00\xff\r\n\r\n")


def no_status_line(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """An HTTP/0.9-style answer: bytes with no status line at all."""
    _send(conn, os.urandom(3000))


def status_999(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _send(conn, b"HTTP/1.1 999 Whatever\r\nContent-Length: 2\r\n\r\nok")


def negative_length(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _send(conn, OK_HEAD + b"Content-Length: -5\r\n\r\nhello")


def short_body(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """Claims 1000 bytes, sends 10, closes."""
    _send(conn, OK_HEAD + b"Content-Length: 1000\r\n\r\n0123456789")


def gzip_bomb(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """50 MB of zeros in ~50 KB of gzip: never to be inflated."""
    body = _BOMB()
    _send(
        conn, OK_HEAD + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )


def _bomb() -> Callable[[], bytes]:
    cache: list[bytes] = []

    def get() -> bytes:
        if not cache:
            cache.append(gzip.compress(b"\0" * (50 << 20), compresslevel=9))
        return cache[0]

    return get


_BOMB = _bomb()


def reset_after_headers(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _send(conn, OK_HEAD + b"Content-Length: 100000\r\n\r\n<html>")
    time.sleep(0.05)
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def silence(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _hold(stop)


def close_at_once(conn: socket.socket, stop: threading.Event, path: str) -> None:
    return


def binary_headers(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """Non-ASCII, control characters and a NUL in header names and values."""
    _send(
        conn,
        b"HTTP/1.1 200 \xff\xfe\r\nX-\xe4\xbd\xa0: \x00\x01\x1b[31m\xc3(\r\n"
        b"Content-Type: text/html; charset=x-no-such-charset\r\nContent-Length: 30\r\n\r\n"
        b"<title>\xff\xfe\x00\x1b]0;pwn\x07</title>",
    )


HTTP_BEHAVIOURS: dict[str, Handler] = {
    f.__name__: f
    for f in (
        drip_status,
        drip_body,
        endless_body,
        endless_chunked,
        redirect_chain,
        redirect_loop,
        redirect_odd_scheme,
        redirect_javascript,
        huge_location,
        header_1mb_line,
        headers_1mb_many,
        headers_endless,
        broken_chunked,
        chunk_size_huge,
        bad_status_line,
        no_status_line,
        status_999,
        negative_length,
        short_body,
        gzip_bomb,
        reset_after_headers,
        silence,
        close_at_once,
        binary_headers,
    )
}

# ------------------------------------------------------------------------ TLS behaviours


def _read_client_hello(conn: socket.socket) -> None:
    conn.settimeout(5)
    with contextlib.suppress(OSError):
        conn.recv(16384)


def tls_never_completes(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """Reads the ClientHello and never answers."""
    _read_client_hello(conn)
    _hold(stop)


def tls_partial_record(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """A handshake record header promising 16 KB, then 10 bytes and silence."""
    _read_client_hello(conn)
    _send(conn, b"\x16\x03\x03\x40\x00" + os.urandom(10))
    _hold(stop)


def tls_drip(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """The same, one byte per second: a handshake that never completes but never idles."""
    _read_client_hello(conn)
    _drip(conn, b"\x16\x03\x03\x40\x00" + os.urandom(16379), 1.0, stop)


def tls_garbage(conn: socket.socket, stop: threading.Event, path: str) -> None:
    _read_client_hello(conn)
    _send(conn, os.urandom(5000))


def tls_alert(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """A fatal handshake_failure alert in place of the ServerHello."""
    _read_client_hello(conn)
    _send(conn, b"\x15\x03\x03\x00\x02\x02\x28")


def tls_plain_http(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """A plain-HTTP block page where TLS was expected."""
    _read_client_hello(conn)
    _send(conn, b"HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nForbidden")


def tls_endless(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """Endless handshake records of junk, as fast as the client reads."""
    _read_client_hello(conn)
    _forever(conn, b"\x16\x03\x03\x40\x00" + b"\x00" * 0x4000, stop)


TLS_BEHAVIOURS: dict[str, Handler] = {
    f.__name__: f
    for f in (
        tls_never_completes,
        tls_partial_record,
        tls_drip,
        tls_garbage,
        tls_alert,
        tls_plain_http,
        tls_endless,
    )
}


@dataclass
class HostileServer:
    behaviour: str
    port: int
    tls: bool
    connections: list[int]
    address: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.address}:{self.port}/"


@contextlib.contextmanager
def hostile_server(
    behaviour: str, *, tls: Pki | None = None, address: str = "127.0.0.1"
) -> Iterator[HostileServer]:
    """Serve ``behaviour`` on ``address`` (a loopback address; HTTPS with ``tls``, or a
    ``tls_*`` behaviour)."""
    raw = behaviour in TLS_BEHAVIOURS
    handler = (
        TLS_BEHAVIOURS[behaviour] if raw else HTTP_BEHAVIOURS.get(behaviour) or BENIGN[behaviour]
    )
    context: ssl.SSLContext | None = None
    if tls is not None and not raw:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls.cert_pem), str(tls.key_pem))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stop = threading.Event()
    server = HostileServer(
        behaviour, listener.getsockname()[1], tls is not None or raw, [], address
    )
    threads: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        sock: socket.socket = conn
        try:
            if raw:
                handler(conn, stop, "")
                return
            if context is not None:
                conn.settimeout(5)
                sock = context.wrap_socket(conn, server_side=True)
            path = _read_request(sock)
            sock.settimeout(30)
            handler(sock, stop, path)
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with contextlib.suppress(OSError):
                conn.close()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            server.connections.append(1)
            thread = threading.Thread(target=serve, args=(conn,), daemon=True)
            threads.append(thread)
            thread.start()

    accept = threading.Thread(target=loop, name=f"hostile-{behaviour}", daemon=True)
    accept.start()
    try:
        yield server
    finally:
        stop.set()
        accept.join(2)
        listener.close()
        for thread in threads:
            thread.join(2)


def ok_page(conn: socket.socket, stop: threading.Event, path: str) -> None:
    """A well-behaved page (the warm-up and the control)."""
    body = b"<html><head><title>OK</title></head><body>fine</body></html>"
    _send(conn, OK_HEAD + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


BENIGN: dict[str, Handler] = {"ok_page": ok_page}
