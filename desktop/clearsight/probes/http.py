"""HTTP(S) requests through requests, pinned to one address, without environment proxies.

Pinning matters: the direct measurement must use the address that passed the TCP check,
not whatever a second lookup returns, and must never go through a proxy the user set
in the environment (docs/design.md, "HTTP"). A whole request (connect, handshake, headers and
the bounded body) has one deadline, enforced by the socket watchdog, so a server that
drips one byte a second or never stops sending cannot hold the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from clearsight import __version__
from clearsight.probes import failures
from clearsight.probes.context import ProbeContext, elapsed_ms, probe_failure
from clearsight.probes.records import HttpFetch, Redirect
from clearsight.probes.urls import endpoint

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

# Unverified requests are deliberate here (the clock check, the throttling control); the
# warning would only reach the user's terminal.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

MAX_BODY_BYTES = 64 * 1024  # enough to see a freeze after ~16 KB
MAX_PREFIX_CHARS = 2048
MAX_REDIRECTS = 5  # on one origin; a whole chain: ``engine/service_flow.py``
USER_AGENT = f"Mozilla/5.0 (compatible; Clearsight/{__version__}; +network-diagnostics)"
SHOWN_HEADERS = ("server", "location", "content-type", "content-length", "date", "via")
_TITLE = re.compile(rb"<title[^>]*>(.{0,300}?)</title", re.IGNORECASE | re.DOTALL)


@dataclass
class _Watch:
    """The sockets of one request, each shut down at the request's deadline."""

    ctx: ProbeContext
    deadline: float
    tokens: list[int] = field(default_factory=list)

    def adopt(self, sock: socket.socket) -> None:
        self.tokens.append(self.ctx.watchdog.register(sock, self.deadline))

    def release(self) -> None:
        for token in self.tokens:
            self.ctx.watchdog.unregister(token)


def _watched(
    base: type[HTTPConnection], watch: _Watch, opened: list[socket.socket] | None = None
) -> type[HTTPConnection]:
    """``base`` with every socket under the request's deadline. ``opened``: a connection
    already made (and, for HTTPS, verified by the real-name handshake) that the first
    request goes out on instead of a new one."""

    class WatchedConnection(base):  # type: ignore[valid-type,misc]
        def _new_conn(self) -> socket.socket:
            sock: socket.socket = super()._new_conn()
            watch.adopt(sock)
            return sock

        def connect(self) -> None:
            if not opened:
                super().connect()
                return
            self.sock = opened.pop()
            watch.adopt(self.sock)
            self._has_connected_to_proxy = False
            if isinstance(self, HTTPSConnection):
                self.is_verified = True  # by the handshake that opened it

    return WatchedConnection


class PinnedAdapter(HTTPAdapter):
    """Sends every request of a session to one (address, port), whatever the URL's host."""

    def __init__(self, pool: HTTPConnectionPool) -> None:
        super().__init__(max_retries=0)
        self._pool = pool

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        return self._pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """The pool's SSL context decides trust; requests must not load certifi into it."""

    def close(self) -> None:
        super().close()
        self._pool.close()


class _FreshHTTPPool(HTTPConnectionPool):
    """Every request on a connection of its own. Requests here say ``Connection: close``; a
    server that then closes after its answer without saying so (many do) must not turn the
    next redirect hop, sent on the connection it closed, into a "reset"."""

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        if conn is not None:
            conn.close()
        super()._put_conn(conn)


class _FreshHTTPSPool(HTTPSConnectionPool):
    __doc__ = _FreshHTTPPool.__doc__

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        if conn is not None:
            conn.close()
        super()._put_conn(conn)


def _pool(
    scheme: str,
    address: str,
    port: int,
    ssl_context: ssl.SSLContext | None,
    server_name: str,
    watch: _Watch,
    timeout: float,
    opened: list[socket.socket],
) -> HTTPConnectionPool:
    pool_timeout = urllib3.Timeout(connect=timeout, read=timeout)
    if scheme == "https":
        assert ssl_context is not None
        return _https_pool(address, port, pool_timeout, ssl_context, server_name, watch, opened)
    pool = _FreshHTTPPool(address, port, timeout=pool_timeout, maxsize=1, retries=False)
    pool.ConnectionCls = _watched(HTTPConnection, watch, opened)
    return pool


def _https_pool(
    address: str,
    port: int,
    timeout: urllib3.Timeout,
    ssl_context: ssl.SSLContext,
    server_name: str,
    watch: _Watch,
    opened: list[socket.socket],
) -> HTTPSConnectionPool:
    pool = _FreshHTTPSPool(
        address,
        port,
        timeout=timeout,
        maxsize=1,
        retries=False,
        ssl_context=ssl_context,
        cert_reqs=ssl_context.verify_mode,
        server_hostname=server_name,
    )
    pool.ConnectionCls = _watched(HTTPSConnection, watch, opened)  # type: ignore[assignment]
    return pool


def _pinned_session(
    ctx: ProbeContext,
    url: str,
    address: str,
    ssl_context: ssl.SSLContext | None,
    server_name: str,
    deadline: float,
    opened: socket.socket | None = None,
) -> tuple[requests.Session, _Watch]:
    where = endpoint(url)
    scheme, port = where.scheme, where.port
    watch = _Watch(ctx, deadline)
    session = requests.Session()
    session.trust_env = False  # no environment proxies, no .netrc
    timeout = max(0.05, deadline - time.monotonic())
    first = [opened] if opened is not None else []
    adapter = PinnedAdapter(
        _pool(scheme, address, port, ssl_context, server_name, watch, timeout, first)
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, watch


@dataclass(frozen=True)
class RawResponse:
    """A small response read whole (DNS-over-HTTPS answers, trace pages)."""

    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    failure: str | None
    elapsed_ms: float


def fetch_bytes(
    ctx: ProbeContext,
    url: str,
    address: str,
    *,
    ssl_context: ssl.SSLContext | None,
    accept: str = "*/*",
    max_body: int = MAX_BODY_BYTES,
    timeout_s: float | None = None,
) -> RawResponse:
    """GET ``url`` at ``address``, no redirects; the body up to ``max_body`` bytes."""
    start = time.monotonic()
    where = endpoint(url)
    scheme, host, port = where.scheme, where.host, where.port
    deadline = ctx.op_deadline(timeout_s)
    session, watch = _pinned_session(ctx, url, address, ssl_context, host, deadline)
    try:
        ctx.check()
        remaining = max(0.05, deadline - time.monotonic())
        response = session.get(
            url,
            headers={
                "Host": _host_header(host, scheme, port),
                "User-Agent": USER_AGENT,
                "Accept": accept,
                "Accept-Encoding": "identity",
            },
            allow_redirects=False,
            stream=True,
            timeout=(remaining, remaining),
        )
        body = _read_body(ctx, response, max_body, deadline, keep=max_body)
        response.close()
        headers = tuple((k.lower(), str(v)[:300]) for k, v in list(response.headers.items())[:50])
        return RawResponse(
            response.status_code, headers, bytes(body.data), body.failure, elapsed_ms(start)
        )
    except Exception as exc:
        failure = _request_failure(ctx, exc, deadline)
        return RawResponse(None, (), b"", failure, elapsed_ms(start))
    finally:
        watch.release()
        with contextlib.suppress(Exception):
            session.close()


def _host_header(host: str, scheme: str, port: int) -> str:
    default = 443 if scheme == "https" else 80
    shown = f"[{host}]" if ":" in host else host
    return shown if port == default else f"{shown}:{port}"


@dataclass
class _Body:
    data: bytearray = field(default_factory=bytearray)
    total: int = 0
    complete: bool = False
    stalled: bool = False
    failure: str | None = None


def _read_body(
    ctx: ProbeContext,
    response: requests.Response,
    limit: int,
    deadline: float,
    keep: int = MAX_PREFIX_CHARS * 2,
) -> _Body:
    body = _Body()
    raw = response.raw
    while body.total < limit:
        try:
            chunk = raw.read1(min(16384, limit - body.total), decode_content=False)
        except Exception as exc:
            body.failure = _unwrapped_failure(ctx, exc)
            if time.monotonic() >= deadline - 0.01 and body.failure != failures.CANCELLED:
                # The watchdog shut the socket at the request's deadline mid-body.
                body.failure = failures.DEADLINE if ctx.remaining() <= 0 else failures.TIMEOUT
            elif body.failure == failures.UNKNOWN:
                body.failure = failures.HTTP_PROTOCOL_ERROR
            body.stalled = body.total > 0 and body.failure in (
                failures.TIMEOUT,
                failures.DEADLINE,
                failures.EOF,
                failures.CONNECTION_RESET,
                failures.HTTP_PROTOCOL_ERROR,
            )
            return body
        if not chunk:
            if ctx.cancelled:
                body.failure = failures.CANCELLED
            elif time.monotonic() >= deadline - 0.01:
                # The watchdog shut the socket at the request's deadline: the body stalled.
                body.failure = failures.DEADLINE if ctx.remaining() <= 0 else failures.TIMEOUT
                body.stalled = body.total > 0
            else:
                body.complete = True
            return body
        body.total += len(chunk)
        if len(body.data) < keep:
            body.data.extend(chunk[: keep - len(body.data)])
    return body


def fetch(
    ctx: ProbeContext,
    url: str,
    address: str,
    *,
    ssl_context: ssl.SSLContext | None,
    server_name: str | None = None,
    control: bool = False,
    max_body: int = MAX_BODY_BYTES,
    follow_redirects: bool = True,
    timeout_s: float | None = None,
    opened: socket.socket | None = None,
    max_redirects: int = MAX_REDIRECTS,
) -> HttpFetch:
    """GET ``url`` at ``address``. Same-origin redirects are followed (pinned, at most
    ``max_redirects``); a redirect to another origin is recorded, not followed here: the
    engine measures the new host like the first (``engine/service_flow.py``).
    ``opened``: a connection to ``address`` made for this request (the one the real-name
    handshake just verified); the first request goes out on it, later hops on new ones."""
    started_s = ctx.elapsed_s()
    start = time.monotonic()
    where = endpoint(url)
    scheme, host, port = where.scheme, where.host, where.port
    sni = server_name or host
    deadline = ctx.op_deadline(timeout_s)
    redirects: list[Redirect] = []
    current = url
    result = HttpFetch(
        url=url,
        host=host,
        address=address,
        port=port,
        control=control,
        on_verified_connection=opened is not None,
    )
    session, watch = _pinned_session(ctx, url, address, ssl_context, sni, deadline, opened)
    try:
        for _hop in range(max(0, max_redirects) + 1):
            ctx.check()
            hop_parts = urlsplit(current)
            headers = {
                "Host": _host_header(host, scheme, port),
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Accept-Encoding": "identity",
                "Connection": "close",
            }
            remaining = max(0.05, deadline - time.monotonic())
            response = session.get(
                current,
                headers=headers,
                allow_redirects=False,
                stream=True,
                timeout=(remaining, remaining),
                verify=True,
            )
            ttfb = elapsed_ms(start)
            location = response.headers.get("location")
            if response.is_redirect and location and not follow_redirects:
                # Not followed, but where it leads is recorded (a login page's address).
                redirects.append(Redirect(response.status_code, urljoin(current, location[:2000])))
                return _finish(
                    result,
                    response,
                    _Body(complete=True),
                    redirects,
                    hop_parts.geturl(),
                    ttfb,
                    start,
                    started_s,
                )
            if response.is_redirect and location and follow_redirects:
                target = urljoin(current, location[:2000])
                target_parts = urlsplit(target)
                redirects.append(Redirect(response.status_code, target))
                response.close()
                same_origin = (
                    (target_parts.hostname or "").lower() == host
                    and (target_parts.scheme or scheme) == scheme
                    and (target_parts.port or port) == port
                )
                if same_origin and len(redirects) <= max_redirects:
                    current = target
                    continue
                if same_origin:
                    return _result(
                        result,
                        redirects,
                        failure=failures.TOO_MANY_REDIRECTS,
                        start=start,
                        started_s=started_s,
                    )
                # Another host: record where it leads and stop here.
                return _finish(
                    result,
                    response,
                    _Body(complete=True),
                    redirects,
                    target,
                    ttfb,
                    start,
                    started_s,
                )
            body = _read_body(ctx, response, max_body, deadline)
            response.close()
            return _finish(
                result, response, body, redirects, hop_parts.geturl(), ttfb, start, started_s
            )
        return _result(
            result, redirects, failure=failures.TOO_MANY_REDIRECTS, start=start, started_s=started_s
        )
    except Exception as exc:
        return _result(
            result,
            redirects,
            failure=_request_failure(ctx, exc, deadline),
            start=start,
            started_s=started_s,
        )
    finally:
        watch.release()
        with contextlib.suppress(Exception):
            session.close()


def _request_failure(ctx: ProbeContext, exc: BaseException, deadline: float | None = None) -> str:
    """Dig the socket or TLS error out of requests' and urllib3's wrappers. With the
    request's ``deadline``: a connection the watchdog cut there (a server dripping its
    handshake or headers) timed out, whatever the cut looked like."""
    name = _unwrapped_failure(ctx, exc)
    if (
        deadline is not None
        and name in _CUT_AT_DEADLINE
        and time.monotonic() >= deadline - 0.01
        and not ctx.cancelled
    ):
        return failures.DEADLINE if ctx.remaining() <= 0 else failures.TIMEOUT
    return name


# What a request cut by the watchdog looks like.
_CUT_AT_DEADLINE = frozenset(
    {
        failures.EOF,
        failures.CONNECTION_RESET,
        failures.HTTP_PROTOCOL_ERROR,
        failures.TLS_HANDSHAKE_FAILED,
        failures.UNKNOWN,
    }
)


def _unwrapped_failure(ctx: ProbeContext, exc: BaseException) -> str:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.InvalidChunkLength):
            return failures.CANCELLED if ctx.cancelled else failures.HTTP_PROTOCOL_ERROR
        if isinstance(current, http.client.IncompleteRead) and not isinstance(
            current.__context__,
            ValueError,  # a chunk size that is not a number
        ):
            # The server closed before the length it announced (a reset is an OSError).
            return failures.CANCELLED if ctx.cancelled else failures.EOF
        if isinstance(current, http.client.HTTPException) and not isinstance(
            current, http.client.RemoteDisconnected
        ):
            # A status line that is not HTTP, a header line over 64 KB, over 100 headers,
            # a broken chunk: the answer is not HTTP (a closed connection is an EOF).
            return failures.CANCELLED if ctx.cancelled else failures.HTTP_PROTOCOL_ERROR
        if isinstance(current, OSError | ssl.SSLError) and not isinstance(
            current, requests.RequestException
        ):
            name = probe_failure(ctx, current)
            if name != failures.UNKNOWN:
                return name
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
            continue
        args = getattr(current, "args", ())
        nested = next((a for a in args if isinstance(a, BaseException)), None)
        current = nested or current.__cause__ or current.__context__
    name = probe_failure(ctx, exc)
    if isinstance(exc, requests.exceptions.Timeout | urllib3.exceptions.TimeoutError):
        return failures.DEADLINE if ctx.remaining() <= 0 else failures.TIMEOUT
    if name == failures.UNKNOWN and isinstance(
        exc, requests.exceptions.ConnectionError | urllib3.exceptions.ProtocolError
    ):
        text = str(exc).lower()
        if "reset" in text:
            return failures.CONNECTION_RESET
        if "remote end closed" in text or "aborted" in text:
            return failures.EOF
        return failures.HTTP_PROTOCOL_ERROR
    return name


def _result(
    base: HttpFetch,
    redirects: list[Redirect],
    *,
    failure: str,
    start: float,
    started_s: float,
) -> HttpFetch:
    return HttpFetch(
        url=base.url,
        host=base.host,
        address=base.address,
        port=base.port,
        control=base.control,
        on_verified_connection=base.on_verified_connection,
        redirects=tuple(redirects),
        failure=failure,
        elapsed_ms=elapsed_ms(start),
        started_s=started_s,
    )


def _finish(
    base: HttpFetch,
    response: requests.Response,
    body: _Body,
    redirects: list[Redirect],
    final_url: str,
    ttfb: float,
    start: float,
    started_s: float,
) -> HttpFetch:
    headers = tuple(
        (name, str(response.headers[name])[:300])
        for name in SHOWN_HEADERS
        if name in response.headers
    )
    prefix_bytes = bytes(body.data)
    title_match = _TITLE.search(prefix_bytes)
    title = (
        " ".join(title_match.group(1).decode("utf-8", "replace").split())[:200]
        if title_match
        else None
    )
    encoding = response.encoding or "utf-8"
    try:
        prefix = prefix_bytes.decode(encoding, "replace")[:MAX_PREFIX_CHARS]
    except LookupError:
        prefix = prefix_bytes.decode("utf-8", "replace")[:MAX_PREFIX_CHARS]
    return HttpFetch(
        url=base.url,
        host=base.host,
        address=base.address,
        port=base.port,
        control=base.control,
        on_verified_connection=base.on_verified_connection,
        status=response.status_code,
        headers=headers,
        redirects=tuple(redirects),
        final_url=final_url,
        body_bytes=body.total,
        body_complete=body.complete,
        stalled=body.stalled,
        body_prefix=prefix,
        title=title,
        failure=body.failure,
        ttfb_ms=ttfb,
        elapsed_ms=elapsed_ms(start),
        started_s=started_s,
    )


# ----------------------------------------------------------------------- through a proxy
_TUNNEL_STATUS = re.compile(r"Tunnel connection failed: (\d{3})")


class _ProxyAdapter(HTTPAdapter):
    """Sends requests through one explicit proxy, verifying with our SSL context, every
    socket under the request's deadline."""

    def __init__(self, ssl_context: ssl.SSLContext | None, watch: _Watch) -> None:
        super().__init__(max_retries=0)
        self._ssl_context = ssl_context
        self._watch = watch

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[Any, Any]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params.get("scheme") == "https" and self._ssl_context is not None:
            return host_params, {"ssl_context": self._ssl_context}
        return host_params, pool_kwargs

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        pool: Any = super().get_connection_with_tls_context(
            request, verify, dict(proxies) if proxies is not None else None, cert
        )
        if not getattr(pool, "_clearsight_watched", False):
            pool.ConnectionCls = _watched(pool.ConnectionCls, self._watch)
            pool._clearsight_watched = True
        return pool  # type: ignore[no-any-return]

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """The SSL context decides trust; requests must not load certifi into it."""


def _proxy_failure(
    ctx: ProbeContext, exc: BaseException, deadline: float | None = None
) -> tuple[str, int | None]:
    """(failure name, the proxy's status to CONNECT) for a request through a proxy:
    ``proxy_<name>`` when the proxy itself could not be reached, ``proxy_auth_required``
    or ``proxy_tunnel_failed`` when it refused to open the tunnel, else the failure of the
    connection it opened (a reset after CONNECT is the proxy's upstream failing)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    to_proxy = False
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        match = _TUNNEL_STATUS.search(str(current))
        if match:
            status = int(match.group(1))
            if status == 407:
                return failures.PROXY_AUTH_REQUIRED, status
            return failures.PROXY_TUNNEL_FAILED, status
        if isinstance(current, requests.exceptions.ProxyError | urllib3.exceptions.ProxyError):
            to_proxy = True
        reason = getattr(current, "reason", None)
        nested = reason if isinstance(reason, BaseException) else None
        if nested is None:
            args = getattr(current, "args", ())
            nested = next((a for a in args if isinstance(a, BaseException)), None)
        current = nested or current.__cause__ or current.__context__
    name = _request_failure(ctx, exc, deadline)
    if to_proxy and name not in (failures.CANCELLED, failures.DEADLINE):
        return "proxy_" + name, None
    return name, None


def fetch_through_proxy(
    ctx: ProbeContext,
    url: str,
    proxy: str,
    *,
    ssl_context: ssl.SSLContext | None,
    max_body: int = MAX_BODY_BYTES,
    timeout_s: float | None = None,
    max_redirects: int = MAX_REDIRECTS,
) -> HttpFetch:
    """GET ``url`` through the HTTP proxy at ``proxy`` ("host:port"), set explicitly (never
    from the environment). The proxy resolves the name. Same-origin redirects are followed
    through the proxy (at most ``max_redirects``); a redirect to another origin is recorded
    (``final_url``), not followed here: the engine fetches it through the proxy like the
    first (``engine/proxy_flow.py``)."""
    started_s = ctx.elapsed_s()
    start = time.monotonic()
    where = endpoint(url)
    host = where.host
    proxy_parts = urlsplit("http://" + proxy)
    proxy_host = proxy_parts.hostname or proxy
    proxy_port = proxy_parts.port or 80
    base = HttpFetch(
        url=url, host=host, address=proxy_host, port=proxy_port, via="proxy", proxy=proxy
    )
    deadline = ctx.op_deadline(timeout_s)
    watch = _Watch(ctx, deadline)
    session = requests.Session()
    session.trust_env = False  # only the proxy given here, no .netrc
    adapter = _ProxyAdapter(ssl_context, watch)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    redirects: list[Redirect] = []
    current = url
    try:
        for _hop in range(max(0, max_redirects) + 1):
            ctx.check()
            remaining = max(0.05, deadline - time.monotonic())
            response = session.get(
                current,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                    "Accept-Encoding": "identity",
                    "Connection": "close",
                },
                proxies={"http": f"http://{proxy}", "https": f"http://{proxy}"},
                allow_redirects=False,
                stream=True,
                timeout=(remaining, remaining),
            )
            ttfb = elapsed_ms(start)
            location = response.headers.get("location")
            final_url = current
            if response.is_redirect and location:
                target = urljoin(current, location[:2000])
                redirects.append(Redirect(response.status_code, target))
                if endpoint(target) == where:
                    response.close()
                    current = target
                    continue
                final_url = target  # another origin: where the way goes on
            body = _read_body(ctx, response, max_body, deadline)
            response.close()
            result = _finish(base, response, body, redirects, final_url, ttfb, start, started_s)
            return dataclasses.replace(
                result,
                via="proxy",
                proxy=proxy,
                proxy_status=407 if response.status_code == 407 else None,
            )
        return dataclasses.replace(
            _result(
                base,
                redirects,
                failure=failures.TOO_MANY_REDIRECTS,
                start=start,
                started_s=started_s,
            ),
            via="proxy",
            proxy=proxy,
        )
    except Exception as exc:
        failure, status = _proxy_failure(ctx, exc, deadline)
        return dataclasses.replace(
            base,
            redirects=tuple(redirects),
            failure=failure,
            proxy_status=status,
            elapsed_ms=elapsed_ms(start),
            started_s=started_s,
        )
    finally:
        watch.release()
        with contextlib.suppress(Exception):
            session.close()
