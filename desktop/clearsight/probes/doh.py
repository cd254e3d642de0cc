"""DNS-over-HTTPS (RFC 8484, wire format, GET) to a reference resolver.

The URL's host is reached at its bootstrap addresses, so no lookup is needed (the local
lookup may be the thing that is forged). Trust: certifi plus the profile's ``ca_file``.
"""

from __future__ import annotations

import base64
import ssl
import time
from urllib.parse import urlsplit, urlunsplit

import dns.message

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext, elapsed_ms
from clearsight.probes.dns_udp import failure_of, parse_reply
from clearsight.probes.http import fetch_bytes
from clearsight.probes.records import DohQuery

MAX_DOH_BYTES = 65535


def doh_query(
    ctx: ProbeContext,
    ssl_context: ssl.SSLContext,
    resolver: str,
    url: str,
    bootstrap: str,
    name: str,
    qtype: str,
) -> DohQuery:
    started_s = ctx.elapsed_s()
    start = time.monotonic()
    message = dns.message.make_query(name, qtype)
    message.id = 0  # RFC 8484 4.1: cache friendly
    encoded = base64.urlsafe_b64encode(message.to_wire()).rstrip(b"=").decode("ascii")
    parts = urlsplit(url)
    query = f"{parts.query}&dns={encoded}" if parts.query else f"dns={encoded}"
    get_url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    response = fetch_bytes(
        ctx,
        get_url,
        bootstrap,
        ssl_context=ssl_context,
        accept="application/dns-message",
        max_body=MAX_DOH_BYTES,
    )

    def record(**kw: object) -> DohQuery:
        return DohQuery(
            resolver=resolver,
            url=url,
            bootstrap=bootstrap,
            name=name,
            qtype=qtype,
            http_status=response.status,
            elapsed_ms=elapsed_ms(start),
            started_s=started_s,
            **kw,  # type: ignore[arg-type]
        )

    if response.failure is not None:
        return record(failure=response.failure)
    if response.status != 200:
        return record(failure=failures.DOH_HTTP_ERROR)
    parsed = parse_reply(response.body, message, bootstrap, 0.0)
    if not parsed.usable:
        return record(failure=failures.DNS_MALFORMED)
    reply = parsed.reply
    # The same reading of the rcode as for plain DNS: FORMERR or NOTIMP from a reference
    # is a broken answer, not a refusal.
    failure = failure_of(reply, qtype)
    addresses = reply.addresses if failure is None else ()  # no answer beside an error rcode
    return record(addresses=addresses, rcode=reply.rcode, failure=failure)
