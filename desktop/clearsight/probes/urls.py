"""Where a URL leads: scheme, host and port, the way every layer reads it."""

from __future__ import annotations

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
