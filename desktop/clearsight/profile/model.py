"""What a profile says to test: frozen, validated values (docs/design.md, "Profile").

The loader (``loader.py``) builds these from a ``.clearsight`` file and checks every
value; the classes themselves only hold data and derive a few conveniences. Addresses
and networks are kept as normalised strings (``ipaddress`` compressed form), so they
compare equal to what a probe records.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

FORMAT: Final = 1
LANGUAGES: Final = ("en", "zh_CN")
#: A name in other languages, as ``names = { zh_CN = "百度" }`` gives it: (language, name).
Names = tuple[tuple[str, str], ...]


def name_in(name: str, names: Names, language: str) -> str:
    """The name in ``language`` where the profile gives one, else the name as written."""
    return dict(names).get(language, name)


VPN_PROTOCOLS: Final = ("openvpn-udp", "openvpn-tcp", "ikev2", "wireguard", "tcp", "https")


@dataclass(frozen=True)
class Settings:
    """How long each operation and the whole run may take, extra trust, language.

    ``deadline_s`` left at 0 (or omitted) becomes ``4 × timeout_s``.
    """

    timeout_s: float = 5.0
    deadline_s: float = 0.0
    ca_file: Path | None = None
    language: str = "en"

    def __post_init__(self) -> None:
        if self.deadline_s <= 0:
            object.__setattr__(self, "deadline_s", 4 * self.timeout_s)


@dataclass(frozen=True)
class Resolver:
    """A plain DNS resolver compared with the system resolver (``address``: an IP literal)."""

    name: str
    address: str


@dataclass(frozen=True)
class DohResolver:
    """A DNS-over-HTTPS reference; ``bootstrap`` are IP literals of the URL's host."""

    name: str
    url: str
    bootstrap: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class DnsInjection:
    """Addresses that run no DNS server (any A/AAAA answer from them was injected).

    ``names`` is None when the profile leaves it to the default: the hosts of the
    non-domestic services (see ``Profile.injection_names``).
    """

    probe_addresses: tuple[str, ...]
    names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CaptiveCheckSpec:
    """A captive-portal check: the URL answers with this status and/or this body text."""

    url: str
    expect_status: int | None = None
    expect_body: str | None = None


@dataclass(frozen=True)
class ExitCheckSpec:
    """Where to learn the public IP and exit country (Cloudflare trace format)."""

    url: str


@dataclass(frozen=True)
class Service:
    """Something the user relies on; ``domestic`` services are controls expected to work."""

    id: str
    name: str
    group: str
    urls: tuple[str, ...]
    domestic: bool = False
    sensitive: bool = False
    known_networks: tuple[str, ...] = ()
    names: Names = ()  # the name in other languages (the default profile's: 百度, 谷歌地图)

    def name_in(self, language: str) -> str:
        return name_in(self.name, self.names, language)

    @property
    def hosts(self) -> tuple[str, ...]:
        """The host names of ``urls``, lower-case, in order, without repeats."""
        return _unique(_host(url) for url in self.urls)


@dataclass(frozen=True)
class VpnEndpoint:
    """A VPN gateway to probe without credentials (``protocol`` in ``VPN_PROTOCOLS``)."""

    name: str
    host: str
    port: int
    protocol: str


@dataclass(frozen=True)
class VpnSettings:
    """``expected``: warn when no VPN carries the traffic; ``endpoints``: gateways to probe."""

    expected: bool = False
    endpoints: tuple[VpnEndpoint, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A whole profile, as loaded (and, with ``include_default``, merged onto the default).

    ``explicit_keys`` names the table and top-level keys the file itself set
    (``"settings.timeout_s"``, ``"vpn.expected"``, ``"country"`` …) so that merging can
    let the profile win key by key; None (a profile built in code) means every key
    counts as set. ``source`` is the profile file (None: the built-in default).
    """

    format: int
    name: str
    support_contact: str | None
    country: str
    include_default: bool
    settings: Settings
    resolvers: tuple[Resolver, ...]
    doh: tuple[DohResolver, ...]
    dns_injection: DnsInjection | None
    captive_checks: tuple[CaptiveCheckSpec, ...]
    exit_check: ExitCheckSpec | None
    services: tuple[Service, ...]
    vpn: VpnSettings
    source: Path | None = None
    explicit_keys: frozenset[str] | None = field(default=None, compare=False, repr=False)
    names: Names = ()  # the profile's name in other languages

    def name_in(self, language: str) -> str:
        return name_in(self.name, self.names, language)

    def names_by_language(self) -> dict[str, str]:
        """The profile's name in every language Clearsight speaks (for the report)."""
        return {language: self.name_in(language) for language in LANGUAGES}

    def service_names_by_language(self) -> dict[str, dict[str, str]]:
        """Service id -> its name in every language Clearsight speaks (for the report)."""
        return {
            s.id: {language: s.name_in(language) for language in LANGUAGES} for s in self.services
        }

    @property
    def is_builtin(self) -> bool:
        """True for the built-in default profile on its own."""
        return self.source is None

    @property
    def domestic_services(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.domestic)

    @property
    def foreign_services(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if not s.domestic)

    @property
    def sensitive_services(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.sensitive)

    @property
    def groups(self) -> tuple[str, ...]:
        """Service groups in the order they first appear."""
        return _unique(s.group for s in self.services)

    @property
    def injection_names(self) -> tuple[str, ...]:
        """Names for the DNS-injection probe: the profile's own list, or the hosts of
        the non-domestic services' URLs (IP-literal hosts left out)."""
        if self.dns_injection is not None and self.dns_injection.names is not None:
            return self.dns_injection.names
        return _unique(
            host
            for service in self.foreign_services
            for host in service.hosts
            if not _is_ip_literal(host)
        )

    def service(self, service_id: str) -> Service | None:
        """The service with this id, or None."""
        for s in self.services:
            if s.id == service_id:
                return s
        return None

    def without_sensitive(self) -> Profile:
        """The same profile without the services marked sensitive (the user's choice)."""
        return replace(self, services=tuple(s for s in self.services if not s.sensitive))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return tuple(seen)
