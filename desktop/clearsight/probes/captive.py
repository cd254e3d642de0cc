"""Captive-portal check: a plain HTTP URL whose true answer is known.

A hotel's login page shows up as a redirect, a changed body, or a private address for
the check's host (docs/censorship.md, "Captive portals").
"""

from __future__ import annotations

from clearsight.probes.context import ProbeContext
from clearsight.probes.http import fetch
from clearsight.probes.records import CaptiveCheck


def captive_check(
    ctx: ProbeContext,
    url: str,
    addresses: tuple[str, ...],
    expect_status: int | None,
    expect_body: str | None,
    lookup_failure: str | None = None,
    resolved: tuple[str, ...] | None = None,
) -> CaptiveCheck:
    """``addresses``: where to send the request; ``resolved``: what the lookup returned
    (recorded: a private address for the check's host is evidence of a portal)."""
    started_s = ctx.elapsed_s()
    base = CaptiveCheck(
        url=url,
        expect_status=expect_status,
        expect_body=expect_body,
        addresses=resolved if resolved is not None else addresses,
        started_s=started_s,
    )
    if not addresses:
        return _with(base, failure=lookup_failure or "no_answer")
    response = fetch(ctx, url, addresses[0], ssl_context=None, follow_redirects=False)
    location = response.redirects[0].location if response.redirects else None
    matched = response.failure is None and not response.redirects
    if matched and expect_status is not None:
        matched = response.status == expect_status
    if matched and expect_body is not None:
        matched = expect_body.strip() in response.body_prefix
    return _with(
        base,
        status=response.status
        if response.status is not None
        else (response.redirects[0].status if response.redirects else None),
        location=location,
        body_prefix=response.body_prefix[:512],
        matched=matched,
        failure=response.failure,
        elapsed_ms=response.elapsed_ms,
    )


def _with(base: CaptiveCheck, **changes: object) -> CaptiveCheck:
    import dataclasses

    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
