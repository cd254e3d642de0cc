"""Small real servers on loopback for probe tests: DNS over UDP, HTTP(S), raw TLS."""

from __future__ import annotations

import base64
import contextlib
import datetime
import http.server
import ipaddress
import socket
import socketserver
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dns.message
import dns.rrset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DnsHandler = Callable[[dns.message.Message, socket.socket, tuple[str, int]], None]


def answer(query: dns.message.Message, *addresses: str, rcode: int = 0) -> bytes:
    reply = dns.message.make_response(query)
    reply.set_rcode(rcode)
    name = query.question[0].name
    for address in addresses:
        rdtype = "AAAA" if ":" in address else "A"
        reply.answer.append(dns.rrset.from_text(name, 60, "IN", rdtype, address))
    return reply.to_wire()


@contextlib.contextmanager
def udp_dns_server(handler: DnsHandler) -> Iterator[int]:
    """A DNS server on 127.0.0.1; ``handler`` decides what (and when) to send back."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                query = dns.message.from_wire(data)
            except Exception:
                continue
            threading.Thread(target=handler, args=(query, sock, peer), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        sock.close()


@dataclass(frozen=True)
class Pki:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path
    expired_cert_pem: Path


def make_pki(
    folder: Path, name: str | None = "service.test", *, addresses: Sequence[str] = ()
) -> Pki:
    """A test CA and a certificate (plus an expired twin) for ``name`` (a DNS name) and/or
    ``addresses`` (IP literals: what an https://127.0.0.x URL is verified against)."""
    now = datetime.datetime.now(datetime.UTC)
    common_name = name or addresses[0]
    alt_names: list[x509.GeneralName] = [x509.DNSName(name)] if name else []
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loopback Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())

    def leaf(not_before: datetime.datetime, not_after: datetime.datetime) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .sign(ca_key, hashes.SHA256())
        )

    good = leaf(now - datetime.timedelta(days=1), now + datetime.timedelta(days=10))
    expired = leaf(now - datetime.timedelta(days=20), now - datetime.timedelta(days=10))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(good.public_bytes(pem))
    (folder / "expired.pem").write_bytes(expired.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Pki(folder / "ca.pem", folder / "cert.pem", folder / "key.pem", folder / "expired.pem")


class _Threaded(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def http_server(
    handler: type[http.server.BaseHTTPRequestHandler],
    tls: tuple[Path, Path] | None = None,
) -> Iterator[int]:
    """An HTTP (or, with ``tls=(cert, key)``, HTTPS) server on 127.0.0.1."""
    server = _Threaded(("127.0.0.1", 0), handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def raw_tcp_server(on_connect: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that hands each connection to ``on_connect``."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=on_connect, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def reset(conn: socket.socket) -> None:
    """Close with a TCP RST, as an injecting censor does."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def read_some(conn: socket.socket, timeout: float = 2.0) -> bytes:
    conn.settimeout(timeout)
    try:
        return conn.recv(4096)
    except OSError:
        return b""


def hold(conn: socket.socket, seconds: float) -> None:
    time.sleep(seconds)
    with contextlib.suppress(OSError):
        conn.close()


@contextlib.contextmanager
def silent_tcp_port() -> Iterator[int]:
    """A port on 127.0.0.1 that never answers a SYN, as a blackholed address: a listener
    whose accept queue is full (Linux drops a SYN it has no room for) and never accepts."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def closed_tcp_port() -> int:
    """A port on 127.0.0.1 where nothing listens (a connect is refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def doh_address(name: str) -> str:
    """The address the loopback DoH server answers for ``name``."""
    return f"198.51.100.{sum(name.encode()) % 250 + 1}"


def doh_handler(
    *, close_each: bool = False
) -> tuple[type[http.server.BaseHTTPRequestHandler], list[int]]:
    """A DoH server answering every name with ``doh_address(name)``; the list counts its
    connections."""
    connections: list[int] = []
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: pipelined requests answered in order

        def log_message(self, *args: object) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            with lock:
                connections.append(1)

        def do_GET(self) -> None:
            encoded = parse_qs(urlsplit(self.path).query)["dns"][0]
            query = dns.message.from_wire(base64.urlsafe_b64decode(encoded + "=="))
            name = str(query.question[0].name).rstrip(".")
            body = answer(query, doh_address(name))
            self.send_response(200)
            self.send_header("Content-Type", "application/dns-message")
            self.send_header("Content-Length", str(len(body)))
            if close_each:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

    return Handler, connections
