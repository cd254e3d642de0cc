"""The lab's server process: one per namespace (world, censor), configured over a Unix socket.

Run as ``ip netns exec <ns> python -m tests.lab.servers --control <socket>``. The lab sends
``{"op": "configure", "config": {...}}`` (the whole desired state) and the process binds the
listeners it lacks, closes the ones no longer wanted, swaps in the new behaviour and answers
``{"ok": true}`` only when everything is bound: a reply means "ready".

Listener kinds (``{"kind", "address", "port"}``):

``http`` / ``https``
    A lab web site (or several on one address). HTTPS picks the certificate by SNI among the
    sites on the listening address; an unknown SNI gets the address's first site (an
    innocuous name still completes the handshake). The TLS handshake runs in the connection's
    own thread, never in the accept loop.
``dns``
    UDP DNS from zone data plus per-name overrides (answer / nxdomain / servfail / refused /
    drop = silence). One socket per address.
``mitm``
    TLS interceptor (censor): a certificate for whatever SNI the client sends, signed by the
    listener's CA; then it relays to the original destination (``SO_ORIGINAL_DST``) or answers
    by itself.
``portal``
    Captive portal: every request → 302 to the login page, which it serves.
``blockproxy``
    Transparent HTTP proxy (censor): a request whose Host is blocked gets the block page; any
    other request is relayed to its original destination.

NFQUEUE workers (censor): ``inject`` (DNS race injection: a spoofed forged reply is sent from
the queried address, then the query goes on) and ``delay`` (every queued packet is held for
``ms`` milliseconds).
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import heapq
import http
import ipaddress
import json
import os
import random
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

from tests.lab import dnsutil
from tests.lab.netlink import NF_ACCEPT, NfQueue, QueuedPacket

SO_ORIGINAL_DST = 80
IO_TIMEOUT = 30.0
HANDSHAKE_TIMEOUT = 10.0
MAX_HEAD = 65536


# --------------------------------------------------------------------------------------------
# State built from a configuration


@dataclass
class SiteState:
    name: str
    addresses: list[str]
    behaviour: dict[str, Any]
    context: ssl.SSLContext | None = None


@dataclass
class State:
    config: dict[str, Any]
    sites: list[SiteState] = field(default_factory=list)
    sites_by_address: dict[str, list[SiteState]] = field(default_factory=dict)
    dns_by_address: dict[str, dict[str, Any]] = field(default_factory=dict)
    zone: dnsutil.Zone = field(default_factory=dict)
    mitm: dict[int, dict[str, Any]] = field(default_factory=dict)

    def site_for(self, address: str, host: str | None) -> SiteState | None:
        candidates = self.sites_by_address.get(address, [])
        if host:
            wanted = host.lower().rstrip(".")
            for site in candidates:
                if site.name == wanted:
                    return site
        return candidates[0] if candidates else None


def _sni_callback(sslsock: ssl.SSLSocket, server_name: str | None, _ctx: ssl.SSLContext) -> None:
    server: LabServer = SERVER
    sslsock._lab_sni = server_name  # type: ignore[attr-defined]
    try:
        local = sslsock.getsockname()[0]
    except OSError:
        return
    site = server.state.site_for(local, server_name)
    if site is not None and site.context is not None and site.context is not sslsock.context:
        sslsock.context = site.context


def _mitm_sni_callback(
    sslsock: ssl.SSLSocket, server_name: str | None, _ctx: ssl.SSLContext
) -> None:
    """The interceptor's SNI hook: a certificate for whatever name the client asked for."""
    sslsock._lab_sni = server_name  # type: ignore[attr-defined]
    try:
        port = sslsock.getsockname()[1]
        name = server_name or original_destination(sslsock)[0]
        ctx = SERVER._mitm_context(port, name)
    except (OSError, KeyError):
        return
    ctx.sni_callback = _mitm_sni_callback  # type: ignore[assignment]
    sslsock.context = ctx


def _server_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.sni_callback = _sni_callback  # type: ignore[assignment]
    return ctx


def build_state(config: dict[str, Any]) -> State:
    state = State(config=config)
    for raw in config.get("sites", []):
        site = SiteState(
            name=raw["name"].lower(),
            addresses=list(raw["addresses"]),
            behaviour=dict(raw.get("behaviour", {})),
        )
        if raw.get("cert") and raw.get("key"):
            site.context = _server_context(raw["cert"], raw["key"])
        state.sites.append(site)
        for address in site.addresses:
            state.sites_by_address.setdefault(address, []).append(site)
    state.zone = {dnsutil.normalize(k): v for k, v in config.get("zone", {}).items()}
    for server in config.get("dns", []):
        state.dns_by_address[server["address"]] = server
    for port, mitm in config.get("mitm", {}).items():
        state.mitm[int(port)] = mitm
    return state


# --------------------------------------------------------------------------------------------
# HTTP plumbing


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    head: bytes
    rest: bytes

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path or "/"

    @property
    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.target).query)

    @property
    def host(self) -> str | None:
        host = self.headers.get("host")
        if not host:
            return None
        if host.startswith("["):
            return host[1:].split("]", 1)[0]
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def read_request(sock: socket.socket, data: bytes = b"") -> Request | None:
    """The next request on ``sock``; ``data``: bytes already read past the last one (a
    pipelining client sends its requests back to back)."""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            return None
        chunk = sock.recv(16384)
        if not chunk:
            return None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return Request(parts[0].upper(), parts[1], parts[2], headers, head + b"\r\n\r\n", rest)


def read_body(sock: socket.socket, request: Request) -> bytes:
    length = int(request.headers.get("content-length", "0") or "0")
    body = request.rest
    while len(body) < length:
        chunk = sock.recv(min(65536, length - len(body)))
        if not chunk:
            break
        body += chunk
    return body[:length]


def send_response(
    sock: socket.socket,
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
    head_only: bool = False,
    keep_alive: bool = False,
) -> None:
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Status"
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"Date: {formatdate(usegmt=True)}",
        "Server: clearsight-lab",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
    ]
    if status != 204 and content_type:
        lines.append(f"Content-Type: {content_type}")
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    if head_only or not body:
        return
    # 4 KB writes (4 KB TLS records): a client sees the body arrive in steps, so a transfer
    # frozen after ~16 KB shows the bytes that got through.
    view = memoryview(body)
    for start in range(0, len(body), 4096):
        sock.sendall(view[start : start + 4096])


def page(title: str, text: str, size: int | None = None) -> bytes:
    body = (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{text}</p>\n"
    ).encode()
    tail = b"</body></html>\n"
    if size is not None and size > len(body) + len(tail):
        filler = size - len(body) - len(tail)
        line = b"<!-- lab padding lab padding lab padding lab padding lab padding -->\n"
        body += (line * (filler // len(line) + 1))[:filler]
    return body + tail


def relay(a: socket.socket, b: socket.socket, idle_timeout: float = IO_TIMEOUT) -> None:
    """Copy bytes both ways until either side closes or nothing moves for idle_timeout.
    Reads are non-blocking (a TLS socket may consume a record without application data)."""
    peers: dict[socket.socket, socket.socket] = {a: b, b: a}
    try:
        while True:
            ready: list[socket.socket] = [
                s for s in peers if isinstance(s, ssl.SSLSocket) and s.pending()
            ]
            if not ready:
                ready, _, _ = select.select(list(peers), [], [], idle_timeout)
                if not ready:
                    return
            for sock in ready:
                sock.setblocking(False)
                try:
                    data = sock.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    continue
                finally:
                    sock.settimeout(IO_TIMEOUT)
                if not data:
                    return
                peers[sock].sendall(data)
    except OSError:
        return


def original_destination(sock: socket.socket) -> tuple[str, int]:
    if sock.family == socket.AF_INET6:
        raw = sock.getsockopt(socket.IPPROTO_IPV6, SO_ORIGINAL_DST, 28)
        port = struct.unpack_from("!H", raw, 2)[0]
        return str(ipaddress.IPv6Address(raw[8:24])), port
    raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port = struct.unpack_from("!H", raw, 2)[0]
    return socket.inet_ntoa(raw[4:8]), port


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except OSError:
        sock.close()
        raise
    return sock


# --------------------------------------------------------------------------------------------
# The server


class LabServer:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.state = State(config={})
        self.listeners: dict[tuple[str, str, int], socket.socket] = {}
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=20000)
        self.injector: Injector | None = None
        self.delayer: Delayer | None = None
        self._authorities: dict[str, Any] = {}
        self._mitm_contexts: dict[tuple[str, str], ssl.SSLContext] = {}
        self._lock = threading.Lock()

    # ---- configuration

    def configure(self, config: dict[str, Any]) -> None:
        state = build_state(config)
        wanted = {
            (item["kind"], item["address"], int(item["port"]))
            for item in config.get("listeners", [])
        }
        with self._lock:
            for key in list(self.listeners):
                if key not in wanted:
                    with contextlib.suppress(OSError):
                        self.listeners.pop(key).close()
            self.state = state
            for key in sorted(wanted):
                if key not in self.listeners:
                    self.listeners[key] = self._bind(*key)
            self._configure_queues(config)

    def _configure_queues(self, config: dict[str, Any]) -> None:
        inject = config.get("inject")
        if inject and inject.get("names"):
            if self.injector is None:
                self.injector = Injector(self, int(inject["queue"]))
            self.injector.names = {dnsutil.normalize(k): v for k, v in inject["names"].items()}
        elif self.injector is not None:
            self.injector.close()
            self.injector = None
        delay = config.get("delay")
        if delay and delay.get("ms"):
            if self.delayer is None:
                self.delayer = Delayer(int(delay["queue"]))
            self.delayer.delay_s = float(delay["ms"]) / 1000.0
        elif self.delayer is not None:
            self.delayer.close()
            self.delayer = None

    def _bind(self, kind: str, address: str, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        if kind == "dns":
            sock = socket.socket(family, socket.SOCK_DGRAM)
        else:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((address, port))
        except OSError as exc:
            sock.close()
            raise OSError(exc.errno, f"cannot bind {kind} {address}:{port}: {exc}") from exc
        if kind == "dns":
            threading.Thread(
                target=self._dns_loop, args=(sock, address), daemon=True, name=f"dns-{address}"
            ).start()
        else:
            sock.listen(256)
            threading.Thread(
                target=self._accept_loop,
                args=(sock, kind, address, port),
                daemon=True,
                name=f"{kind}-{address}:{port}",
            ).start()
        return sock

    def event(self, **fields: Any) -> None:
        fields["t"] = time.time()
        self.events.append(fields)

    # ---- DNS

    def _dns_loop(self, sock: socket.socket, address: str) -> None:
        while True:
            try:
                data, peer = sock.recvfrom(65535)
            except OSError:
                return
            server = self.state.dns_by_address.get(address, {})
            overrides = server.get("overrides", {})
            zone = self.state.zone if server.get("zone", True) else {}
            reply = dnsutil.respond_wire(
                data, zone, overrides, subdomains=bool(server.get("subdomains", False))
            )
            self.event(kind="dns", server=address, client=peer[0], answered=reply is not None)
            if reply is not None:
                with contextlib.suppress(OSError):
                    sock.sendto(reply, peer)

    # ---- TCP

    def _accept_loop(self, sock: socket.socket, kind: str, address: str, port: int) -> None:
        while True:
            try:
                conn, peer = sock.accept()
            except OSError:
                return
            threading.Thread(
                target=self._connection, args=(conn, peer, kind, address, port), daemon=True
            ).start()

    def _connection(
        self, conn: socket.socket, peer: Any, kind: str, address: str, port: int
    ) -> None:
        conn.settimeout(IO_TIMEOUT)
        try:
            if kind == "http":
                self._serve_http(conn, peer[0], address, tls=False, sni=None)
            elif kind == "https":
                conn.settimeout(HANDSHAKE_TIMEOUT)
                site = self.state.site_for(address, None)
                if site is None or site.context is None:
                    return
                tls = site.context.wrap_socket(
                    conn, server_side=True, do_handshake_on_connect=False
                )
                conn = tls
                try:
                    tls.do_handshake()
                except (OSError, ssl.SSLError) as exc:
                    self.event(
                        kind="tls",
                        address=address,
                        client=peer[0],
                        sni=getattr(tls, "_lab_sni", None),
                        ok=False,
                        error=str(exc),
                    )
                    return
                sni = getattr(tls, "_lab_sni", None)
                self.event(kind="tls", address=address, client=peer[0], sni=sni, ok=True)
                tls.settimeout(IO_TIMEOUT)
                self._serve_http(tls, peer[0], address, tls=True, sni=sni)
            elif kind == "mitm":
                conn = self._serve_mitm(conn, peer[0], port)
            elif kind == "portal":
                self._serve_portal(conn, peer[0])
            elif kind == "blockproxy":
                self._serve_blockproxy(conn, peer[0])
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _serve_http(
        self, sock: socket.socket, client: str, address: str, *, tls: bool, sni: str | None
    ) -> None:
        request = read_request(sock)
        if request is None:
            return
        state = self.state
        site = state.site_for(address, request.host or sni)
        self.event(
            kind="http",
            address=address,
            client=client,
            tls=tls,
            sni=sni,
            host=request.host,
            method=request.method,
            path=request.path,
            site=site.name if site else None,
        )
        head_only = request.method == "HEAD"
        if site is None:
            send_response(sock, 404, page("Not found", "No site here."), head_only=head_only)
            return
        b = site.behaviour
        routes: dict[str, dict[str, Any]] = b.get("routes", {})
        if b.get("delay_ms"):
            time.sleep(float(b["delay_ms"]) / 1000.0)
        if b.get("doh") and request.path == b.get("doh_path", "/dns-query"):
            self._serve_doh_connection(sock, request, state)
            return
        if request.path in routes:
            route = routes[request.path]
            send_response(
                sock,
                int(route.get("status", 200)),
                str(route.get("body", "")).encode(),
                content_type=route.get("content_type", "text/plain; charset=utf-8"),
                headers=route.get("headers"),
                head_only=head_only,
            )
            return
        if request.path == "/cdn-cgi/trace" and b.get("trace", True):
            lines = [
                "fl=lab",
                f"h={request.host or site.name}",
                f"ip={client}",
                f"ts={time.time():.3f}",
                f"visit_scheme={'https' if tls else 'http'}",
                f"uag={request.headers.get('user-agent', '')}",
                "colo=LAB",
                "sliver=none",
                "http=http/1.1",
                f"loc={b.get('trace_loc', 'CN')}",
                f"tls={sock.version() if isinstance(sock, ssl.SSLSocket) else 'off'}",
                f"sni={'plaintext' if sni else 'off'}",
                "warp=off",
                "gateway=off",
                "rbi=off",
                "kex=X25519",
            ]
            send_response(
                sock,
                200,
                ("\n".join(lines) + "\n").encode(),
                content_type="text/plain",
                head_only=head_only,
            )
            return
        if b.get("redirect"):
            status = int(b.get("status", 302))
            send_response(
                sock,
                status if 300 <= status < 400 else 302,
                page("Moved", f"See {b['redirect']}"),
                headers={"Location": b["redirect"]},
                head_only=head_only,
            )
            return
        status = int(b.get("status", 200))
        title = b.get("title") or site.name
        text = b.get("text") or f"This is {site.name}, a lab web site."
        if b.get("region_blocked"):
            title = b.get("title") or "Not available in your region"
            text = b.get("text") or (
                "Sorry, this service is not available in your country or region."
            )
        body = b.get("body")
        data = body.encode() if body is not None else page(title, text, b.get("body_bytes"))
        send_response(sock, status, data, headers=b.get("headers"), head_only=head_only)

    def _serve_doh_connection(self, sock: socket.socket, request: Request, state: State) -> None:
        """Answer DoH GETs one after another on the same connection (HTTP/1.1 keep-alive,
        pipelined requests answered in order, as RFC 9112 asks of a server), until the
        client asks to close or goes quiet. POSTs close after their answer."""
        current: Request | None = request
        while current is not None:
            keep = current.method in ("GET", "HEAD") and (
                current.headers.get("connection", "").lower() != "close"
            )
            if not self._serve_doh(sock, current, state, keep_alive=keep):
                return
            current = read_request(sock, current.rest)
            if current is not None and current.path != request.path:
                return

    def _serve_doh(
        self, sock: socket.socket, request: Request, state: State, *, keep_alive: bool = False
    ) -> bool:
        """Answer one DoH request; True when the connection stays open for the next."""
        if request.method == "POST":
            if (
                request.headers.get("content-type", "").split(";")[0].strip()
                != "application/dns-message"
            ):
                send_response(sock, 415, page("Unsupported media type", "Use dns-message."))
                return False
            wire = read_body(sock, request)
        elif request.method in ("GET", "HEAD"):
            values = request.query.get("dns")
            if not values:
                send_response(sock, 400, page("Bad request", "Missing dns parameter."))
                return False
            encoded = values[0]
            try:
                wire = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except ValueError:
                send_response(sock, 400, page("Bad request", "Bad base64url."))
                return False
        else:
            send_response(sock, 405, page("Method not allowed", "GET or POST."))
            return False
        answer = dnsutil.respond_wire(wire, state.zone)
        if answer is None:
            send_response(sock, 400, page("Bad request", "Not a DNS query."))
            return False
        self.event(kind="doh", method=request.method)
        send_response(
            sock,
            200,
            answer,
            content_type="application/dns-message",
            headers={"Cache-Control": "max-age=60"},
            head_only=request.method == "HEAD",
            keep_alive=keep_alive,
        )
        return keep_alive

    # ---- censor: interceptor, portal, block proxy

    def _authority(self, cert: str, key: str) -> Any:
        from tests.lab.pki import CertAuthority

        with self._lock:
            ca = self._authorities.get(cert)
            if ca is None:
                ca = CertAuthority.load(Path(cert), Path(key), self.workdir / "mitm-certs")
                self._authorities[cert] = ca
            return ca

    def _mitm_context(self, port: int, name: str) -> ssl.SSLContext:
        mitm = self.state.mitm[port]
        key = (mitm["ca_cert"], name)
        with self._lock:
            ctx = self._mitm_contexts.get(key)
        if ctx is None:
            leaf = self._authority(mitm["ca_cert"], mitm["ca_key"]).issue((name,))
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(leaf.cert_path), str(leaf.key_path))
            ctx.set_alpn_protocols(["http/1.1"])
            with self._lock:
                self._mitm_contexts[key] = ctx
        return ctx

    def _serve_mitm(self, conn: socket.socket, client: str, port: int) -> socket.socket:
        dst, dst_port = original_destination(conn)
        mitm = self.state.mitm.get(port)
        if mitm is None:
            return conn
        base = self._mitm_context(port, dst)
        base.sni_callback = _mitm_sni_callback  # type: ignore[assignment]
        conn.settimeout(HANDSHAKE_TIMEOUT)
        tls = base.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except (OSError, ssl.SSLError) as exc:
            self.event(
                kind="mitm",
                client=client,
                dst=dst,
                sni=getattr(tls, "_lab_sni", None),
                ok=False,
                error=str(exc),
            )
            return tls
        sni = getattr(tls, "_lab_sni", None) or None
        self.event(kind="mitm", client=client, dst=dst, sni=sni, ok=True)
        tls.settimeout(IO_TIMEOUT)
        if not mitm.get("relay", True):
            request = read_request(tls)
            if request is not None:
                send_response(tls, 200, page("Intercepted", f"{sni or dst} via the censor."))
            return tls
        try:
            upstream_raw = _connect(dst, dst_port, 5.0)
        except OSError:
            send_response(tls, 502, page("Bad gateway", "The interceptor could not connect."))
            return tls
        client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_ctx.check_hostname = False
        client_ctx.verify_mode = ssl.CERT_NONE
        client_ctx.set_alpn_protocols(["http/1.1"])
        upstream = client_ctx.wrap_socket(upstream_raw, server_hostname=sni)
        try:
            upstream.settimeout(IO_TIMEOUT)
            relay(tls, upstream)
        finally:
            upstream.close()
        return tls

    def _serve_portal(self, sock: socket.socket, client: str) -> None:
        request = read_request(sock)
        if request is None:
            return
        portal = self.state.config.get("portal", {})
        login_path = portal.get("login_path", "/login")
        self.event(kind="portal", client=client, host=request.host, path=request.path)
        if request.path == login_path:
            send_response(
                sock,
                200,
                page(
                    portal.get("title", "Guest Wi-Fi login"), "Accept the terms of use to continue."
                ),
            )
            return
        send_response(
            sock,
            302,
            page("Login required", "Redirecting to the login page."),
            headers={"Location": portal["login_url"]},
        )

    def _serve_blockproxy(self, sock: socket.socket, client: str) -> None:
        dst, dst_port = original_destination(sock)
        request = read_request(sock)
        if request is None:
            return
        config = self.state.config.get("blockpage", {})
        host = (request.host or "").lower().rstrip(".")
        blocked = {h.lower() for h in config.get("hosts", [])}
        if host in blocked or any(host.endswith("." + h) for h in blocked):
            self.event(kind="blockpage", client=client, host=host, dst=dst)
            send_response(
                sock,
                int(config.get("status", 200)),
                page(
                    config.get("title", "Access denied"),
                    config.get("text", "This website has been blocked in accordance with the law."),
                ),
            )
            return
        self.event(kind="proxied", client=client, host=host, dst=dst)
        try:
            upstream = _connect(dst, dst_port, 5.0)
        except OSError:
            send_response(sock, 502, page("Bad gateway", "Upstream unreachable."))
            return
        try:
            upstream.sendall(request.head + request.rest)
            upstream.settimeout(IO_TIMEOUT)
            relay(sock, upstream)
        finally:
            upstream.close()


SERVER: LabServer


# --------------------------------------------------------------------------------------------
# NFQUEUE workers


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_udp_packet(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    """An IPv4 or IPv6 packet carrying a UDP datagram, checksums included."""
    length = 8 + len(payload)
    if ":" in src:
        s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
        pseudo = s + d + struct.pack("!I3xB", length, socket.IPPROTO_UDP)
        udp = struct.pack("!HHHH", sport, dport, length, 0) + payload
        csum = _checksum(pseudo + udp) or 0xFFFF
        udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
        header = struct.pack("!IHBB", 6 << 28, length, socket.IPPROTO_UDP, 64) + s + d
        return header + udp
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    pseudo = s + d + struct.pack("!xBH", socket.IPPROTO_UDP, length)
    udp = struct.pack("!HHHH", sport, dport, length, 0) + payload
    csum = _checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + length,
        random.randrange(1, 65535),
        0x4000,
        64,
        socket.IPPROTO_UDP,
        0,
        s,
        d,
    )
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + udp


def parse_udp(packet: bytes) -> tuple[str, str, int, int, bytes] | None:
    """(src, dst, sport, dport, payload) of a UDP packet, or None."""
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4:
        ihl = (packet[0] & 0x0F) * 4
        if packet[9] != socket.IPPROTO_UDP:
            return None
        src, dst = socket.inet_ntoa(packet[12:16]), socket.inet_ntoa(packet[16:20])
        udp = packet[ihl:]
    elif version == 6:
        if packet[6] != socket.IPPROTO_UDP:
            return None
        src = str(ipaddress.IPv6Address(packet[8:24]))
        dst = str(ipaddress.IPv6Address(packet[24:40]))
        udp = packet[40:]
    else:
        return None
    if len(udp) < 8:
        return None
    sport, dport, length = struct.unpack_from("!HHH", udp)
    return src, dst, sport, dport, udp[8:length]


class Injector:
    """DNS race injection: for a queued query whose name is listed, send a forged reply
    spoofed from the queried address, then let the query through."""

    def __init__(self, server: LabServer, queue_num: int) -> None:
        self.server = server
        self.names: dnsutil.Overrides = {}
        self.raw4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.raw6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.queue = NfQueue(queue_num, self._handle, copy_payload=True)

    def _handle(self, packet: QueuedPacket) -> None:
        try:
            parsed = parse_udp(packet.payload)
            if parsed is not None:
                src, dst, sport, dport, payload = parsed
                reply = dnsutil.respond_wire(
                    payload, {}, self.names, subdomains=True, only_overrides=True
                )
                if reply is not None:
                    forged = build_udp_packet(dst, src, dport, sport, reply)
                    if ":" in src:
                        self.raw6.sendto(forged, (src, 0, 0, 0))
                    else:
                        self.raw4.sendto(forged, (src, 0))
                    self.server.event(kind="inject", client=src, resolver=dst)
        finally:
            self.queue.verdict(packet.packet_id, NF_ACCEPT)

    def close(self) -> None:
        self.queue.close()
        self.raw4.close()
        self.raw6.close()


class Delayer:
    """Holds every queued packet for ``delay_s`` seconds, then accepts it (order kept)."""

    def __init__(self, queue_num: int) -> None:
        self.delay_s = 0.0
        self._heap: list[tuple[float, int, int]] = []
        self._counter = 0
        self._cond = threading.Condition()
        self._closed = False
        self.queue = NfQueue(queue_num, self._handle, copy_payload=False)
        self._thread = threading.Thread(target=self._release, daemon=True, name="delayer")
        self._thread.start()

    def _handle(self, packet: QueuedPacket) -> None:
        with self._cond:
            self._counter += 1
            heapq.heappush(
                self._heap, (time.monotonic() + self.delay_s, self._counter, packet.packet_id)
            )
            self._cond.notify()

    def _release(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = None if not self._heap else self._heap[0][0] - time.monotonic()
                    self._cond.wait(timeout)
                if self._closed:
                    return
                due: list[int] = []
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
            for packet_id in due:
                self.queue.verdict(packet_id, NF_ACCEPT)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            pending = [entry[2] for entry in self._heap]
            self._heap.clear()
            self._cond.notify()
        for packet_id in pending:
            self.queue.verdict(packet_id, NF_ACCEPT)
        self.queue.close()


# --------------------------------------------------------------------------------------------
# Control channel


def _handle_control(server: LabServer, conn: socket.socket) -> None:
    with conn, conn.makefile("rwb") as stream:
        for line in stream:
            try:
                message = json.loads(line)
                op = message.get("op")
                if op == "configure":
                    server.configure(message["config"])
                    reply: dict[str, Any] = {"ok": True}
                elif op == "ping":
                    reply = {"ok": True, "pid": os.getpid()}
                elif op == "events":
                    events = list(server.events)
                    if message.get("clear"):
                        server.events.clear()
                    reply = {"ok": True, "events": events}
                else:
                    reply = {"ok": False, "error": f"unknown op {op!r}"}
            except Exception as exc:
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            stream.write(json.dumps(reply).encode() + b"\n")
            stream.flush()


def main(argv: list[str] | None = None) -> int:
    global SERVER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control", required=True, help="Unix socket path for the lab")
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args(argv)
    SERVER = LabServer(Path(args.workdir))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = args.control + ".tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    control.bind(tmp)
    control.listen(16)
    os.rename(tmp, args.control)  # the path appears only once it accepts connections
    while True:
        conn, _ = control.accept()
        threading.Thread(target=_handle_control, args=(SERVER, conn), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
