"""Address classes the DNS rules use, and the published forged-answer pools."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from importlib import resources

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Iran's resolvers answer blocked names with 10.10.34.34–36 (docs/censorship.md, "DNS").
_IRAN_BLOCK = ipaddress.ip_network("10.10.34.0/24")
_ZERO = ipaddress.ip_network("0.0.0.0/8")
_TEREDO = ipaddress.ip_network("2001::/32")
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
        "169.254.0.0/16",
        "fe80::/10",
    )
)


def parse(address: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def is_private(address: str) -> bool:
    ip = parse(address)
    return ip is not None and any(ip in net for net in _PRIVATE if ip.version == net.version)


def is_bogus(address: str, name: str) -> bool:
    """Never a genuine answer for an ordinary public name, whatever else is known."""
    ip = parse(address)
    if ip is None:
        return True
    if ip.is_loopback or ip.is_unspecified or ip.is_multicast:
        return True
    if ip.version == 4:
        return ip in _ZERO or ip in _IRAN_BLOCK or ip.is_reserved
    return ip in _TEREDO and "teredo" not in name.lower()


def in_networks(address: str, networks: Iterable[str]) -> bool:
    ip = parse(address)
    if ip is None:
        return False
    for text in networks:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        if ip.version == net.version and ip in net:
            return True
    return False


@functools.cache
def forged_pool() -> frozenset[str]:
    """Addresses the Great Firewall's injector was seen returning (resources/forged_pools,
    from the Wallbleed data, NDSS 2025). A match supports a verdict, never decides it."""
    found: set[str] = set()
    folder = resources.files("clearsight.resources") / "forged_pools"
    for filename in ("gfw-forged-a.txt", "gfw-forged-aaaa.txt"):
        text = (folder / filename).read_text(encoding="utf-8")
        for line in text.splitlines():
            ip = parse(line.strip())
            if ip is not None:
                found.add(str(ip))
    return frozenset(found)


def in_forged_pool(address: str) -> bool:
    ip = parse(address)
    return ip is not None and str(ip) in forged_pool()
