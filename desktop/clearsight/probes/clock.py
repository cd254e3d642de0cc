"""The local clock against a server's ``Date`` header.

A wrong clock makes every certificate look invalid, so this is checked first, with a
handshake that does not verify certificates (docs/design.md, "Check the clock first").
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.http import fetch_bytes
from clearsight.probes.records import ClockCheck


def parse_http_date(value: str) -> datetime | None:
    """The moment a ``Date`` header names, in UTC; None for anything that is not a date
    (the header comes from the network: "31 Dec 9999 23:59:59 -2359" is past the last
    moment a datetime can hold once converted to UTC)."""
    try:
        parsed = parsedate_to_datetime(value)
        if parsed is None:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def clock_check(
    ctx: ProbeContext,
    unverified: ssl.SSLContext,
    url: str,
    addresses: tuple[str, ...],
    lookup_failure: str | None = None,
) -> ClockCheck:
    started_s = ctx.elapsed_s()
    if not addresses:
        return ClockCheck(url=url, failure=lookup_failure or "no_answer", started_s=started_s)
    response = fetch_bytes(
        ctx,
        url,
        addresses[0],
        ssl_context=unverified if url.startswith("https") else None,
        max_body=1024,
    )
    local = datetime.now(UTC)
    date_header = dict(response.headers).get("date")
    server = parse_http_date(date_header) if date_header else None
    if server is None:
        return ClockCheck(
            url=url,
            address=addresses[0],
            local_time=local.isoformat(),
            failure=response.failure or failures.HTTP_PROTOCOL_ERROR,
            started_s=started_s,
        )
    return ClockCheck(
        url=url,
        address=addresses[0],
        server_date=server.isoformat(),
        local_time=local.isoformat(),
        skew_s=round((local - server).total_seconds(), 1),
        started_s=started_s,
    )
