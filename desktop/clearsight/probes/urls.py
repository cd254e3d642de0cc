"""Where a URL leads: scheme, host and port, the way every layer reads it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Endpoint:
    scheme: str  # lower-case
    host: str  # lower-case, without brackets
    port: int  # the URL's port, or the scheme's default

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


def endpoint(url: str) -> Endpoint:
    """The URL's endpoint; a malformed port falls back to the scheme's default."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return Endpoint(
        scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)
    )


# The answers a browser follows to another address (RFC 9110, 15.4).
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def redirect_target(url: str, status: int | None, final_url: str | None) -> str | None:
    """Where a browser goes next after the answer to ``url``: the ``Location`` of a
    redirect to another origin (scheme, host or port), which one pinned request cannot
    follow; None when the way ends here. Same-origin redirects are followed inside the
    request itself. A redirect to an address outside the public internet (a private,
    loopback or reserved address literal) is not followed: it is the network's own page
    (a block notice, a login page), judged where it was answered."""
    if status not in REDIRECT_STATUSES or not final_url:
        return None
    here, there = endpoint(url), endpoint(final_url)
    if there.scheme not in ("http", "https") or not there.host or there == here:
        return None
    # As written (a fragment is never sent; a redacted report's tokens hold a "#").
    try:
        literal = ipaddress.ip_address(there.host)
    except ValueError:
        return final_url
    return final_url if literal.is_global else None
