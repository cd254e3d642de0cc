"""Servers on 127.0.0.1 for running the real engine from the window: an HTTPS site with a
certificate for the address 127.0.0.1 (from a CA made for the test), and a server that
accepts connections and then says nothing (a check that hangs until it is cancelled)."""

from __future__ import annotations

import contextlib
import http.server
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.unit.probes.loopback_servers import make_pki


def make_ca_and_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, cert.pem, key.pem): a certificate valid for the IP address 127.0.0.1."""
    pki = make_pki(folder, None, addresses=["127.0.0.1"])
    return pki.ca_pem, pki.cert_pem, pki.key_pem


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><head><title>Loopback site</title></head><body>hello</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the engine's control handshakes end abruptly on purpose


@contextlib.contextmanager
def https_site(cert: Path, key: Path) -> Iterator[int]:
    server = _QuietServer(("127.0.0.1", 0), _Page)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers (until the test ends)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            with contextlib.suppress(OSError):
                conn.close()
        listener.close()


def loopback_profile(folder: Path, urls: dict[str, str], ca: Path | None, timeout_s: float) -> Path:
    """A profile file whose services are the given URLs (id -> URL) on 127.0.0.1."""
    lines = [
        "format = 1",
        'name = "Loopback lab"',
        'country = "CN"',
        "include_default = false",
        "",
        "[settings]",
        f"timeout_s = {timeout_s}",
        f"deadline_s = {timeout_s * 4}",
    ]
    if ca is not None:
        lines.append(f'ca_file = "{ca}"')
    for index, (service_id, url) in enumerate(urls.items()):
        lines += [
            "",
            "[[services]]",
            f'id = "{service_id}"',
            f'name = "Loopback {service_id}"',
            'group = "Loopback"',
            f'urls = ["{url}"]',
            f"domestic = {'true' if index == 0 else 'false'}",
        ]
    path = folder / "loopback.clearsight"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
