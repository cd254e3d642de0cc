"""Failure names: the fixed vocabulary probes use instead of exceptions.

Learned from OONI's measurexlite: a failure is data with a stable name, so the
diagnosis (and a person reading a report) never has to interpret exception text.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl

TIMEOUT = "timeout"
CONNECTION_RESET = "connection_reset"
CONNECTION_REFUSED = "connection_refused"
HOST_UNREACHABLE = "host_unreachable"
NETWORK_UNREACHABLE = "network_unreachable"
NXDOMAIN = "nxdomain"
NO_ANSWER = "no_answer"
DNS_SERVFAIL = "dns_servfail"
DNS_REFUSED = "dns_refused"
DNS_MALFORMED = "dns_malformed"
NO_RESOLVER = "no_resolver"
EOF = "eof"  # the peer closed the connection
TLS_ALERT = "tls_alert"
TLS_HANDSHAKE_FAILED = "tls_handshake_failed"
TLS_CERT_UNTRUSTED = "tls_cert_untrusted"
TLS_CERT_NAME_MISMATCH = "tls_cert_name_mismatch"
TLS_CERT_EXPIRED = "tls_cert_expired"
TLS_CERT_NOT_YET_VALID = "tls_cert_not_yet_valid"
HTTP_PROTOCOL_ERROR = "http_protocol_error"
DOH_HTTP_ERROR = "doh_http_error"  # the DoH server answered, but not with a DNS message
TOO_MANY_REDIRECTS = "too_many_redirects"
PERMISSION_DENIED = "permission_denied"  # e.g. macOS local-network permission
ADDRESS_UNAVAILABLE = "address_unavailable"  # no route / no address of that family
CANCELLED = "cancelled"
DEADLINE = "deadline"
NOT_RUN = "not_run"
# Through a proxy: the proxy asked for a login (407), or refused to open the tunnel (502,
# 503, ...); "proxy_<name>" (e.g. proxy_connection_refused) when the proxy itself failed.
PROXY_AUTH_REQUIRED = "proxy_auth_required"
PROXY_TUNNEL_FAILED = "proxy_tunnel_failed"
UNKNOWN = "unknown_error"

# Failures that mean "nothing came back": the address may be blackholed.
SILENT = frozenset({TIMEOUT})
# Failures where something on the path (or the server) actively answered "no".
ACTIVE_REFUSALS = frozenset({CONNECTION_RESET, CONNECTION_REFUSED, HOST_UNREACHABLE, EOF})
# A request sent over a good connection that got no answer at all (no status line).
UNANSWERED = frozenset({TIMEOUT, CONNECTION_RESET, EOF})

_ERRNO_NAMES = {
    errno.ECONNRESET: CONNECTION_RESET,
    errno.ECONNABORTED: CONNECTION_RESET,
    errno.EPIPE: CONNECTION_RESET,
    errno.ECONNREFUSED: CONNECTION_REFUSED,
    errno.EHOSTUNREACH: HOST_UNREACHABLE,
    errno.EHOSTDOWN: HOST_UNREACHABLE,
    errno.ENETUNREACH: NETWORK_UNREACHABLE,
    errno.ENETDOWN: NETWORK_UNREACHABLE,
    errno.ETIMEDOUT: TIMEOUT,
    errno.EACCES: PERMISSION_DENIED,
    errno.EPERM: PERMISSION_DENIED,
    errno.EADDRNOTAVAIL: ADDRESS_UNAVAILABLE,
    errno.EAFNOSUPPORT: ADDRESS_UNAVAILABLE,
}


def failure_name(exc: BaseException) -> str:
    """The failure name for an exception raised by a socket, ssl or http operation."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _cert_failure(exc)
    if isinstance(exc, socket.timeout | TimeoutError):
        return TIMEOUT
    if isinstance(exc, ssl.SSLZeroReturnError | ssl.SSLEOFError):
        return EOF
    if isinstance(exc, ssl.SSLError):
        reason = (getattr(exc, "reason", None) or "").upper()
        if "ALERT" in reason:
            return TLS_ALERT
        if "UNEXPECTED_EOF" in reason or "EOF" in reason:
            return EOF
        if "WRONG_VERSION_NUMBER" in reason or "RECORD_LAYER" in reason:
            return TLS_HANDSHAKE_FAILED
        return TLS_HANDSHAKE_FAILED
    if isinstance(exc, http.client.RemoteDisconnected):
        # A clean close before any answer (it subclasses ConnectionResetError, but no RST
        # came: a reset surfaces as ECONNRESET from the socket itself).
        return EOF
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return CONNECTION_RESET
    if isinstance(exc, ConnectionRefusedError):
        return CONNECTION_REFUSED
    if isinstance(exc, OSError) and exc.errno in _ERRNO_NAMES:
        return _ERRNO_NAMES[exc.errno]
    if isinstance(exc, OSError) and exc.errno is None and "timed out" in str(exc):
        return TIMEOUT
    return UNKNOWN


def _cert_failure(exc: ssl.SSLCertVerificationError) -> str:
    code = getattr(exc, "verify_code", None)
    message = (getattr(exc, "verify_message", "") or "").lower()
    if code == 10 or "expired" in message:  # X509_V_ERR_CERT_HAS_EXPIRED
        return TLS_CERT_EXPIRED
    if code == 9 or "not yet valid" in message:  # X509_V_ERR_CERT_NOT_YET_VALID
        return TLS_CERT_NOT_YET_VALID
    if code == 62 or "hostname mismatch" in message or "ip address mismatch" in message:
        return TLS_CERT_NAME_MISMATCH
    return TLS_CERT_UNTRUSTED
