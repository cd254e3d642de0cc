"""TLS handshakes: the innocuous control and the real name, with the certificate's fields.

Trust is judged three ways, because the diagnosis must tell them apart (docs/design.md, "TLS
verdict order"): certifi plus the profile's ``ca_file`` (the public web, or what the
profile's owner vouches for), the operating system's store (which also holds the roots a
company or antivirus installs to inspect traffic on purpose), and not at all. A failed
verification is followed by separate handshakes that send no application data.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import certifi
import truststore
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from clearsight.probes import failures, tcp
from clearsight.probes.context import ProbeContext, elapsed_ms, probe_failure
from clearsight.probes.records import Certificate, TlsHandshake

# The name sent in control handshakes: ordinary, unremarkable, and served by nobody on the
# lab's or a censor's block lists. OONI's tlsmiddlebox uses the same idea.
CONTROL_SERVER_NAME = "example.com"

_VERIFY_NAMES = {
    failures.TLS_CERT_EXPIRED: "expired",
    failures.TLS_CERT_NOT_YET_VALID: "not_yet_valid",
    failures.TLS_CERT_NAME_MISMATCH: "name_mismatch",
    failures.TLS_CERT_UNTRUSTED: "untrusted",
}


# What a read cut by the watchdog looks like.
_CUT_AT_DEADLINE = frozenset(
    {failures.EOF, failures.CONNECTION_RESET, failures.TLS_HANDSHAKE_FAILED, failures.UNKNOWN}
)


@dataclass(frozen=True)
class TrustStores:
    """The three SSL contexts of a run, built once (building one costs ~10 ms)."""

    public: ssl.SSLContext  # certifi + the profile's ca_file
    system: ssl.SSLContext  # the OS store, through truststore
    unverified: ssl.SSLContext

    @classmethod
    def build(cls, ca_file: Path | None = None) -> TrustStores:
        public = ssl.create_default_context(cafile=certifi.where())
        if ca_file is not None:
            public.load_verify_locations(cafile=str(ca_file))
        system = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        for context in (public, system, unverified):
            context.set_alpn_protocols(["http/1.1"])
        return cls(public, system, unverified)


def certificate_fields(der: bytes) -> Certificate | None:
    """The fields a person or the diagnosis needs; None when the bytes are not a certificate."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except Exception:
        return None
    sans: list[str] = []
    with contextlib.suppress(Exception):
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        san = ext.value
        assert isinstance(san, x509.SubjectAlternativeName)
        sans.extend(san.get_values_for_type(x509.DNSName))
        sans.extend(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    return Certificate(
        subject=_name_text(cert, "subject"),
        common_name=_common_name(cert, "subject"),
        sans=tuple(sans[:100]),
        issuer=_name_text(cert, "issuer"),
        issuer_common_name=_common_name(cert, "issuer"),
        not_before=_date_text(cert, "not_valid_before"),
        not_after=_date_text(cert, "not_valid_after"),
        sha256=hashlib.sha256(der).hexdigest(),
        self_signed=_self_signed(cert),
    )


def _date_text(cert: x509.Certificate, which: str) -> str:
    """A validity date in ISO 8601 ("" when the certificate's date cannot be read: the
    certificate comes from the network, and one unreadable field must not lose the rest)."""
    try:
        moment = getattr(cert, f"{which}_utc", None)
        if moment is None:  # cryptography before 42
            moment = getattr(cert, which).replace(tzinfo=UTC)
        return str(moment.isoformat())
    except Exception:
        return ""


def _self_signed(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.issuer == cert.subject)
    except Exception:
        return False


def _name_text(cert: x509.Certificate, which: str) -> str:
    try:
        name = cert.subject if which == "subject" else cert.issuer
        return name.rfc4514_string()[:500]
    except Exception:
        return ""


def _common_name(cert: x509.Certificate, which: str) -> str | None:
    try:  # the names are parsed on first use: a malformed one raises here
        name = cert.subject if which == "subject" else cert.issuer
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not attrs:
            return None
        value = attrs[0].value
        return (value if isinstance(value, str) else value.decode("utf-8", "replace"))[:500]
    except Exception:
        return None


@dataclass(frozen=True)
class _Attempt:
    failure: str | None
    server_responded: bool
    alert: str | None
    version: str | None
    der: bytes | None
    elapsed_ms: float
    sock: ssl.SSLSocket | None = None  # kept open when asked to, on success


def _handshake(
    ctx: ProbeContext,
    context: ssl.SSLContext,
    address: str,
    port: int,
    server_name: str,
    sock: socket.socket | None = None,
    *,
    keep: bool = False,
) -> _Attempt:
    """One handshake (on ``sock``, or on a new connection); ``keep``: on success, the
    secure connection stays open in the result (the caller closes it)."""
    start = time.monotonic()
    if sock is None:
        connection = tcp.connect(ctx, address, port)
        if connection.sock is None:
            return _Attempt(connection.failure, False, None, None, None, elapsed_ms(start))
        sock = connection.sock
    tls_sock: ssl.SSLSocket | None = None
    deadline: float | None = None
    kept = False
    try:
        ctx.check()
        deadline = ctx.op_deadline()
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        with ctx.watchdog.guard(sock, deadline):
            tls_sock = context.wrap_socket(sock, server_hostname=server_name)
        der = tls_sock.getpeercert(binary_form=True)
        kept = keep
        return _Attempt(
            None,
            True,
            None,
            tls_sock.version(),
            der,
            elapsed_ms(start),
            tls_sock if keep else None,
        )
    except Exception as exc:
        failure = probe_failure(ctx, exc)
        if (
            failure in _CUT_AT_DEADLINE
            and deadline is not None
            and time.monotonic() >= deadline - 0.01
        ):
            # The watchdog shut a handshake that was still dripping in at its deadline.
            failure = failures.DEADLINE if ctx.remaining() <= 0 else failures.TIMEOUT
        alert = None
        responded = False
        if failure == failures.TLS_ALERT:
            alert = (getattr(exc, "reason", None) or "").lower() or None
            responded = True
        elif failure in _VERIFY_NAMES:
            responded = True
        return _Attempt(failure, responded, alert, None, None, elapsed_ms(start))
    finally:
        if not kept:
            with contextlib.suppress(OSError):
                (tls_sock or sock).close()


def control_handshake(
    ctx: ProbeContext,
    trust: TrustStores,
    address: str,
    port: int,
    sock: socket.socket | None = None,
) -> TlsHandshake:
    """A handshake with an innocuous name: does this address answer TLS at all?"""
    started_s = ctx.elapsed_s()
    attempt = _handshake(ctx, trust.unverified, address, port, CONTROL_SERVER_NAME, sock)
    return TlsHandshake(
        address=address,
        port=port,
        server_name=CONTROL_SERVER_NAME,
        control=True,
        failure=attempt.failure,
        server_responded=attempt.server_responded,
        alert=attempt.alert,
        tls_version=attempt.version,
        certificate=certificate_fields(attempt.der) if attempt.der else None,
        elapsed_ms=attempt.elapsed_ms,
        started_s=started_s,
    )


@dataclass(frozen=True)
class VerifiedHandshake:
    """A real-name handshake and, when the certificate was trusted, its connection, still
    open for the request (the caller closes it)."""

    record: TlsHandshake
    sock: ssl.SSLSocket | None = None
    trusted_by: str | None = None  # "public" (certifi + ca_file) | "system" (the OS store)


def real_name_connection(
    ctx: ProbeContext,
    trust: TrustStores,
    address: str,
    port: int,
    server_name: str,
    *,
    since_real_name_probe_s: float | None = None,
    previous_real_name: str | None = None,
    sock: socket.socket | None = None,
) -> VerifiedHandshake:
    """The handshake with the service's own name, verified; on a certificate problem, the
    OS store's opinion and the certificate's fields from separate handshakes that send no
    data. The connection whose certificate was trusted stays open, so the request goes out
    on it (one round trip instead of three: no second connect and handshake). ``sock``: a
    connection to the address made for the first handshake (the caller opened it while
    the innocuous control ran)."""
    started_s = ctx.elapsed_s()
    first = _handshake(ctx, trust.public, address, port, server_name, sock, keep=True)
    verify = "ok" if first.failure is None else _VERIFY_NAMES.get(first.failure, "not_checked")
    os_verify = "not_checked"
    der = first.der
    sock, trusted_by = (first.sock, "public") if first.failure is None else (None, None)
    if first.failure in _VERIFY_NAMES:
        second = _handshake(ctx, trust.system, address, port, server_name, keep=True)
        if second.failure is None:
            os_verify = "ok"
            der = second.der
            sock, trusted_by = second.sock, "system"
        else:
            os_verify = _VERIFY_NAMES.get(second.failure, "not_checked")
        if der is None:
            third = _handshake(ctx, trust.unverified, address, port, server_name)
            der = third.der
    record = TlsHandshake(
        address=address,
        port=port,
        server_name=server_name,
        control=False,
        failure=first.failure,
        server_responded=first.server_responded,
        alert=first.alert,
        tls_version=first.version,
        verify=verify,
        os_verify=os_verify,
        verify_error=first.failure if first.failure in _VERIFY_NAMES else None,
        certificate=certificate_fields(der) if der else None,
        elapsed_ms=first.elapsed_ms,
        since_real_name_probe_s=since_real_name_probe_s,
        previous_real_name=previous_real_name,
        started_s=started_s,
    )
    return VerifiedHandshake(record, sock, trusted_by)
