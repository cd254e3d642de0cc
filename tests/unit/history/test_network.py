"""The network id: the default gateway (read without a packet) and the exit country, hashed."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearsight.history.network import (
    exit_country,
    install_salt,
    network_id,
    parse_proc_net_route,
    parse_route_get,
    parse_route_print,
)

PROC = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""
MACOS = """   route to: default
destination: default
       mask: default
    gateway: 192.168.1.1
  interface: en0
"""
WINDOWS = """IPv4 Route Table
===========================================================================
Active Routes:
Network Destination        Netmask          Gateway       Interface  Metric
          0.0.0.0          0.0.0.0      10.0.0.1      10.0.0.23     35
          0.0.0.0          0.0.0.0      172.16.0.1    172.16.0.9     25
===========================================================================
"""


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (parse_proc_net_route, PROC, "192.0.2.1"),  # the lowest metric
        (parse_proc_net_route, PROC.splitlines()[0], None),
        (parse_proc_net_route, "garbage\n\x00\x01 zz zz zz zz zz zz zz", None),
        (parse_route_get, MACOS, "192.168.1.1"),
        (parse_route_get, "route: writing to routing socket: not in table", None),
        (parse_route_get, "gateway: link#4", None),
        (parse_route_print, WINDOWS, "172.16.0.1"),
        (parse_route_print, "", None),
    ],
)
def test_gateway_parsers(parse: object, text: str, expected: str | None) -> None:
    assert parse(text) == expected  # type: ignore[operator]


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ({"network": {"exit_country": "cn"}}, "CN"),
        ({"network": {}, "observations": [{"kind": "exit", "country": "US"}]}, "US"),
        ({"network": "x", "observations": "y"}, None),
        ({}, None),
    ],
)
def test_exit_country(report: dict[str, object], expected: str | None) -> None:
    assert exit_country(report) == expected


def test_ids_depend_on_salt_gateway_and_country(tmp_path: Path) -> None:
    salt = install_salt(tmp_path)
    assert install_salt(tmp_path) == salt  # kept once per install
    same = network_id(salt, "192.0.2.1", "CN")
    assert same == network_id(salt, "192.0.2.1", "CN")
    others = {
        network_id(salt, "192.0.2.2", "CN"),
        network_id(salt, "192.0.2.1", "US"),
        network_id(b"another install!", "192.0.2.1", "CN"),
    }
    assert same not in others and len(others) == 3
    assert "192.0.2.1" not in same


def test_a_broken_salt_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "network-salt").write_text("not hex")
    salt = install_salt(tmp_path)
    assert len(salt) == 16 and install_salt(tmp_path) == salt
