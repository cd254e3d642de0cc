"""Address classes the DNS rules use (docs/design.md, "Ground rules: DNS")."""

from __future__ import annotations

from importlib import resources

import pytest

from clearsight.diagnosis.addresses import (
    forged_pool,
    in_forged_pool,
    in_networks,
    is_bogus,
    is_private,
    parse,
)


@pytest.mark.parametrize(
    ("address", "name", "bogus"),
    [
        ("127.0.0.1", "mail.example.test", True),
        ("127.8.9.10", "mail.example.test", True),
        ("::1", "mail.example.test", True),
        ("0.0.0.0", "mail.example.test", True),
        ("0.1.2.3", "mail.example.test", True),
        ("::", "mail.example.test", True),
        ("10.10.34.34", "news.example.test", True),  # Iran's block address
        ("10.10.34.35", "news.example.test", True),
        ("10.10.34.36", "news.example.test", True),
        ("2001:0:53aa:64c::1", "mail.example.test", True),  # Teredo for an ordinary name
        ("2001:0:53aa:64c::1", "teredo.example.test", False),  # ... but not for Teredo's own
        ("224.0.0.1", "mail.example.test", True),  # multicast
        ("ff02::1", "mail.example.test", True),
        ("240.0.0.1", "mail.example.test", True),  # reserved
        ("not-an-address", "mail.example.test", True),
        # Private and special ranges are not bogus by themselves (intranets, NAT64, labs,
        # proxies' fake-IP ranges): only with a public reference answer (dns_rules).
        ("10.10.35.1", "news.example.test", False),
        ("10.20.30.40", "intranet.example.test", False),
        ("192.168.1.10", "router.example.test", False),
        ("172.16.5.4", "mail.example.test", False),
        ("100.64.0.1", "mail.example.test", False),  # carrier-grade NAT
        ("198.18.0.7", "mail.example.test", False),  # proxy fake-IP range
        ("64:ff9b::cb00:710a", "mail.example.test", False),  # NAT64
        ("fd12:3456::1", "mail.example.test", False),
        ("fe80::1", "mail.example.test", False),
        ("203.0.113.10", "mail.example.test", False),
        ("2001:db8::10", "mail.example.test", False),
        ("31.13.94.37", "mail.example.test", False),  # forged-pool: a real, routable address
        ("2001:4860:4860::8888", "mail.example.test", False),  # 2001:4860 is not Teredo
    ],
)
def test_is_bogus(address: str, name: str, bogus: bool) -> None:
    assert is_bogus(address, name) is bogus


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("10.0.0.1", True),
        ("10.255.255.255", True),
        ("172.16.0.1", True),
        ("172.31.255.254", True),
        ("172.32.0.1", False),
        ("192.168.0.1", True),
        ("169.254.1.1", True),  # link-local
        ("fc00::1", True),  # RFC 4193
        ("fd00:1234::1", True),
        ("fe80::1", True),
        ("8.8.8.8", False),
        ("203.0.113.10", False),
        ("100.64.0.1", False),  # shared address space: not in the DNS rule's private list
        ("198.18.0.7", False),
        ("127.0.0.1", False),  # loopback is bogus, not private
        ("2001:db8::1", False),
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1: an IPv6 address, not private
        ("", False),
        ("example.test", False),
    ],
)
def test_is_private(address: str, private: bool) -> None:
    assert is_private(address) is private


@pytest.mark.parametrize(
    ("address", "networks", "inside"),
    [
        ("203.0.113.120", ["203.0.113.0/24"], True),
        ("203.0.114.1", ["203.0.113.0/24"], False),
        ("142.250.1.1", ["142.250.0.0/15"], True),
        ("142.251.255.255", ["142.250.0.0/15"], True),
        ("142.252.0.0", ["142.250.0.0/15"], False),
        ("2001:db8::10", ["2001:db8::/32"], True),
        ("2001:db9::10", ["2001:db8::/32"], False),
        ("203.0.113.1", ["2001:db8::/32"], False),  # families never match each other
        ("::ffff:203.0.113.1", ["203.0.113.0/24"], False),
        ("203.0.113.1", ["203.0.113.7/24"], True),  # host bits set: still understood
        ("203.0.113.1", ["bad", "also/bad", "203.0.113.0/24"], True),  # bad entries skipped
        ("203.0.113.1", [], False),
        ("nonsense", ["203.0.113.0/24"], False),
        ("203.0.113.1", ["203.0.113.1"], True),  # a single address
    ],
)
def test_in_networks(address: str, networks: list[str], inside: bool) -> None:
    assert in_networks(address, networks) is inside


@pytest.mark.parametrize(
    ("address", "pooled"),
    [
        ("31.13.94.37", True),
        ("157.240.17.35", True),
        ("2a03:2880:f130:83:face:b00c:0:25de", True),
        ("2A03:2880:F130:83:FACE:B00C:0:25DE", True),  # any spelling of the same address
        ("2a03:2880:f130:83:face:b00c:0000:25de", True),
        ("203.0.113.10", False),
        ("31.13.94.255", False),  # a neighbour is not in the pool
        ("", False),
        ("not-an-address", False),
    ],
)
def test_in_forged_pool(address: str, pooled: bool) -> None:
    assert in_forged_pool(address) is pooled


def test_forged_pool_holds_every_listed_address() -> None:
    folder = resources.files("clearsight.resources") / "forged_pools"
    listed = 0
    for filename in ("gfw-forged-a.txt", "gfw-forged-aaaa.txt"):
        for line in (folder / filename).read_text(encoding="utf-8").splitlines():
            ip = parse(line.strip())
            if ip is not None:
                listed += 1
                assert in_forged_pool(line.strip())
    assert listed > 500
    assert len(forged_pool()) > 500
    assert all(parse(a) is not None for a in forged_pool())
