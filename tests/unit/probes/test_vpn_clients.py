"""Recognising VPN and proxy clients from process names (the resources table)."""

from __future__ import annotations

import pytest

from clearsight.probes.vpn_clients import known_clients, match_clients


@pytest.mark.parametrize(
    ("processes", "expected"),
    [
        (["openvpn", "bash"], ["OpenVPN"]),
        (["OpenVPNConnect.exe"], ["OpenVPN"]),
        (["wireguard-go"], ["WireGuard"]),
        (["vpnagentd"], ["Cisco Secure Client / AnyConnect"]),
        (["PanGPS.exe"], ["GlobalProtect"]),
        (["clash-verge", "verge-mihomo"], ["Clash Verge"]),
        (["mihomo"], ["Mihomo"]),
        (["v2rayN.exe", "xray.exe"], ["V2Ray", "Xray"]),
        (["sing-box"], ["sing-box"]),
        (["ss-local"], ["Shadowsocks"]),
        (["LetsPRO.exe"], ["LetsVPN"]),
        (["Astrill"], ["Astrill"]),
        (["ZSATunnel.exe"], ["Zscaler"]),
        (["systemd", "python3", "sshd"], []),
        ([], []),
    ],
)
def test_clients_are_recognised_by_process_name(processes, expected):
    assert [c.name for c in match_clients(processes)] == expected


def test_the_table_covers_the_clients_users_in_china_run():
    names = {c.name for c in known_clients()}
    for wanted in (
        "OpenVPN",
        "WireGuard",
        "Cisco Secure Client / AnyConnect",
        "GlobalProtect",
        "FortiClient",
        "Zscaler",
        "Tunnelblick",
        "Viscosity",
        "ExpressVPN",
        "Astrill",
        "NordVPN",
        "Surfshark",
        "Proton VPN",
        "Mullvad VPN",
        "Clash",
        "Clash Verge",
        "Mihomo",
        "V2Ray",
        "Xray",
        "sing-box",
        "Shadowsocks",
        "LetsVPN",
    ):
        assert wanted in names
    assert all(c.kind in ("vpn", "proxy") and c.processes for c in known_clients())


def test_per_app_clients_are_marked():
    zscaler = next(c for c in known_clients() if c.name == "Zscaler")
    assert zscaler.per_app


@pytest.mark.parametrize(
    ("layout", "euid", "limited"),
    [
        pytest.param("readable", 1000, False, id="plain-proc"),
        pytest.param("hidden", 1000, True, id="hidepid-2-pid-1-not-there"),
        pytest.param("unreadable", 1000, True, id="hidepid-1-pid-1-not-readable"),
        pytest.param("hidden", 0, False, id="root-sees-everything"),
    ],
)
def test_a_hidden_process_list_is_noticed(tmp_path, monkeypatch, layout, euid, limited) -> None:
    from clearsight.probes import vpn_clients

    monkeypatch.setattr(vpn_clients.sys, "platform", "linux")
    # os.geteuid does not exist on Windows: the test plays Linux there too.
    monkeypatch.setattr(vpn_clients.os, "geteuid", lambda: euid, raising=False)
    if layout != "hidden":
        (tmp_path / "1").mkdir()
        comm = tmp_path / "1" / "comm"
        comm.write_text("systemd\n")
        if layout == "unreadable":
            comm.unlink()
            comm.mkdir()  # reading it fails as hidepid=1 makes it fail
    assert vpn_clients.process_list_limited(str(tmp_path)) is limited
