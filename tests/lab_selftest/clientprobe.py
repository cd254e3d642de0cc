"""Tiny measurements run *inside* the lab's client namespace by the self-tests:
``python -m tests.lab_selftest.clientprobe <command> ...`` prints one JSON object.

Commands: ``tcp``, ``tls``, ``https``, ``dns``, ``doh``. Failures are values (errno names).
"""

from __future__ import annotations

import argparse
import base64
import errno
import json
import socket
import ssl
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _error(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"cert:{exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"ssl:{exc.reason}"
    if isinstance(exc, OSError) and exc.errno:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    return type(exc).__name__


def _family(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def tcp(args: argparse.Namespace) -> dict[str, Any]:
    start = time.monotonic()
    sock = socket.socket(_family(args.address), socket.SOCK_STREAM)
    sock.settimeout(args.timeout)
    try:
        sock.connect((args.address, args.port))
        return {"ok": True, "elapsed": time.monotonic() - start}
    except OSError as exc:
        return {"ok": False, "error": _error(exc), "elapsed": time.monotonic() - start}
    finally:
        sock.close()


def _context(args: argparse.Namespace) -> ssl.SSLContext:
    if args.verify == "none":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif args.verify == "system":
        ctx = ssl.create_default_context()  # SSL_CERT_FILE: the simulated OS store
    else:
        ctx = ssl.create_default_context(cafile=args.verify)
    return ctx


def _cert_fields(tls: ssl.SSLSocket) -> dict[str, Any]:
    der = tls.getpeercert(binary_form=True)
    if not der:
        return {}
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)

    def cn(name: x509.Name) -> str:
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(attrs[0].value) if attrs else ""

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = [str(n) for n in san.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        names = []
    return {"issuer": cn(cert.issuer), "subject": cn(cert.subject), "san": names}


def tls(args: argparse.Namespace) -> dict[str, Any]:
    start = time.monotonic()
    sock = socket.socket(_family(args.address), socket.SOCK_STREAM)
    sock.settimeout(args.timeout)
    try:
        sock.connect((args.address, args.port))
    except OSError as exc:
        sock.close()
        return {"stage": "tcp", "ok": False, "error": _error(exc)}
    try:
        with _context(args).wrap_socket(sock, server_hostname=args.name) as tls_sock:
            result = {
                "stage": "tls",
                "ok": True,
                "elapsed": time.monotonic() - start,
                "version": tls_sock.version(),
                **_cert_fields(tls_sock),
            }
            return result
    except (OSError, ssl.SSLError) as exc:
        return {
            "stage": "tls",
            "ok": False,
            "error": _error(exc),
            "elapsed": time.monotonic() - start,
        }


def https(args: argparse.Namespace) -> dict[str, Any]:
    """One request pinned to an address; reads the body until EOF, ``--max`` bytes or a
    stall of ``--timeout`` seconds (reported with the bytes received so far)."""
    start = time.monotonic()
    sock = socket.socket(_family(args.address), socket.SOCK_STREAM)
    sock.settimeout(args.timeout)
    received = b""
    try:
        sock.connect((args.address, args.port))
        conn: socket.socket = sock
        if not args.plain:
            conn = _context(args).wrap_socket(sock, server_hostname=args.name)
        host = args.host or args.name
        request = (
            f"GET {args.path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: clientprobe\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        )
        conn.sendall(request.encode())
        while len(received) < args.max:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
        error = None
    except (OSError, ssl.SSLError) as exc:
        error = _error(exc)
    finally:
        sock.close()
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n") if head else []
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else None
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return {
        "ok": error is None,
        "error": error,
        "status": status,
        "headers": headers,
        "body": body[:2000].decode("utf-8", "replace"),
        "body_len": len(body),
        "received": len(received),
        "elapsed": time.monotonic() - start,
    }


def dns_query(args: argparse.Namespace) -> dict[str, Any]:
    """Send one UDP query and record every reply for ``--listen`` seconds."""
    import dns.message
    import dns.rcode

    query = dns.message.make_query(args.name, args.type)
    sock = socket.socket(_family(args.server), socket.SOCK_DGRAM)
    start = time.monotonic()
    sock.sendto(query.to_wire(), (args.server, 53))
    replies = []
    deadline = start + args.listen
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            data, peer = sock.recvfrom(65535)
        except TimeoutError:
            break
        except OSError as exc:
            replies.append({"error": _error(exc), "t": time.monotonic() - start})
            continue
        try:
            msg = dns.message.from_wire(data)
        except Exception as exc:
            replies.append({"error": type(exc).__name__, "t": time.monotonic() - start})
            continue
        if msg.id != query.id:
            continue
        answers = [rd.to_text() for rrset in msg.answer for rd in rrset]
        replies.append(
            {
                "from": peer[0],
                "rcode": dns.rcode.to_text(msg.rcode()),
                "answers": answers,
                "t": time.monotonic() - start,
            }
        )
    sock.close()
    return {"replies": replies}


def doh(args: argparse.Namespace) -> dict[str, Any]:
    import dns.message
    import dns.rcode

    query = dns.message.make_query(args.name, args.type)
    query.id = 0
    wire = query.to_wire()
    url = urllib.parse.urlsplit(args.url)
    if args.method == "GET":
        encoded = base64.urlsafe_b64encode(wire).rstrip(b"=").decode()
        request = (
            f"GET {url.path}?dns={encoded} HTTP/1.1\r\nHost: {url.hostname}\r\n"
            "Accept: application/dns-message\r\nConnection: close\r\n\r\n"
        ).encode()
    else:
        request = (
            f"POST {url.path} HTTP/1.1\r\nHost: {url.hostname}\r\n"
            "Content-Type: application/dns-message\r\nAccept: application/dns-message\r\n"
            f"Content-Length: {len(wire)}\r\nConnection: close\r\n\r\n"
        ).encode() + wire
    sock = socket.create_connection((args.address, 443), timeout=args.timeout)
    with _context(args).wrap_socket(sock, server_hostname=url.hostname) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    if status != 200:
        return {"status": status}
    msg = dns.message.from_wire(body)
    return {
        "status": status,
        "rcode": dns.rcode.to_text(msg.rcode()),
        "content_type": [
            line for line in head.decode().split("\r\n") if line.lower().startswith("content-type")
        ],
        "answers": [rd.to_text() for rrset in msg.answer for rd in rrset],
    }


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("tcp")
    p.add_argument("address")
    p.add_argument("port", type=int)
    p.add_argument("--timeout", type=float, default=2.0)
    p.set_defaults(fn=tcp)
    for name, fn in (("tls", tls), ("https", https)):
        p = sub.add_parser(name)
        p.add_argument("address")
        p.add_argument("name")
        p.add_argument("--port", type=int, default=443)
        p.add_argument("--verify", default="none", help="none | system | CAFILE")
        p.add_argument("--timeout", type=float, default=2.0)
        if name == "https":
            p.add_argument("--path", default="/")
            p.add_argument("--host")
            p.add_argument("--max", type=int, default=10_000_000)
            p.add_argument("--plain", action="store_true", help="plain HTTP")
        p.set_defaults(fn=fn)
    p = sub.add_parser("dns")
    p.add_argument("server")
    p.add_argument("name")
    p.add_argument("--type", default="A")
    p.add_argument("--listen", type=float, default=0.5)
    p.set_defaults(fn=dns_query)
    p = sub.add_parser("doh")
    p.add_argument("url")
    p.add_argument("address")
    p.add_argument("name")
    p.add_argument("--type", default="A")
    p.add_argument("--method", default="GET")
    p.add_argument("--verify", default="none")
    p.add_argument("--timeout", type=float, default=3.0)
    p.set_defaults(fn=doh)
    return parser


def run_one(argv: list[str]) -> dict[str, Any]:
    args = parser().parse_args(argv)
    result: dict[str, Any] = args.fn(args)
    return result


def main(argv: list[str] | None = None) -> int:
    """``clientprobe CMD ARGS...`` prints one result; ``clientprobe batch`` reads a JSON list
    of argument lists on stdin, runs them concurrently and prints the list of results."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["batch"]:
        jobs = json.load(sys.stdin)
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            results = list(pool.map(run_one, jobs))
        json.dump(results, sys.stdout)
    else:
        json.dump(run_one(argv), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
