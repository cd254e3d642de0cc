"""The public address and its country, from a Cloudflare-trace style page (``ip=…``,
``loc=…`` lines)."""

from __future__ import annotations

import ipaddress
import re
import ssl

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.http import fetch_bytes, fetch_through_proxy
from clearsight.probes.records import ExitCheck

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def parse_trace(text: str) -> tuple[str | None, str | None]:
    """(ip, country) from trace lines; values that are not an address or a country code
    are dropped (the page comes from the network)."""
    ip: str | None = None
    country: str | None = None
    for line in text.splitlines()[:200]:
        key, _, value = line.partition("=")
        value = value.strip()
        if key == "ip" and ip is None:
            try:
                ip = str(ipaddress.ip_address(value))
            except ValueError:
                ip = None
        elif key == "loc" and country is None and _COUNTRY.match(value):
            country = value
    return ip, country


def exit_check(
    ctx: ProbeContext,
    ssl_context: ssl.SSLContext,
    url: str,
    addresses: tuple[str, ...],
    lookup_failure: str | None = None,
) -> ExitCheck:
    started_s = ctx.elapsed_s()
    if not addresses:
        return ExitCheck(url=url, failure=lookup_failure or "no_answer", started_s=started_s)
    response = fetch_bytes(ctx, url, addresses[0], ssl_context=ssl_context, max_body=8192)
    if response.failure is not None or response.status != 200:
        return ExitCheck(
            url=url,
            address=addresses[0],
            failure=response.failure or f"http_{response.status}",
            elapsed_ms=response.elapsed_ms,
            started_s=started_s,
        )
    ip, country = parse_trace(response.body.decode("utf-8", "replace"))
    return ExitCheck(
        url=url,
        address=addresses[0],
        ip=ip,
        country=country,
        failure=None if ip else failures.HTTP_PROTOCOL_ERROR,
        elapsed_ms=response.elapsed_ms,
        started_s=started_s,
    )


def exit_check_through_proxy(
    ctx: ProbeContext, ssl_context: ssl.SSLContext, url: str, proxy: str
) -> ExitCheck:
    """Where websites see traffic that goes through the proxy coming from."""
    started_s = ctx.elapsed_s()
    result = fetch_through_proxy(ctx, url, proxy, ssl_context=ssl_context, max_body=8192)
    if result.failure is not None or result.status != 200:
        return ExitCheck(
            url=url,
            address=result.address,
            via="proxy",
            failure=result.failure or f"http_{result.status}",
            elapsed_ms=result.elapsed_ms,
            started_s=started_s,
        )
    ip, country = parse_trace(result.body_prefix)
    return ExitCheck(
        url=url,
        address=result.address,
        ip=ip,
        country=country,
        via="proxy",
        failure=None if ip else failures.HTTP_PROTOCOL_ERROR,
        elapsed_ms=result.elapsed_ms,
        started_s=started_s,
    )
