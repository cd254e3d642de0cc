"""The words of a notification, when there is one, and the interface watch of watch mode."""

from __future__ import annotations

import time
from typing import Any

import pytest

from clearsight.explanations import catalog
from clearsight.probes.records import InterfaceAddress, NetworkInterface
from clearsight.watch.network import InterfaceWatch
from clearsight.watch.notify import notice_for

REPORT: dict[str, Any] = {
    "services": [
        {"id": "gmail", "name": "Gmail"},
        {"id": "baidu", "name": "百度"},
        {"id": "slack", "name": "Slack"},
        {"id": "zoom", "name": "Zoom"},
        {"id": "x", "name": "X"},
    ]
}


@pytest.mark.parametrize(
    ("language", "changes", "by_watch", "expected"),
    [
        ("en", [], True, None),
        ("en", [("gmail", "reachable", "dns_tampered")], False, None),  # the user's own check
        (
            "en",
            [("gmail", "reachable", "dns_tampered"), ("slack", "ip_blocked", "reachable")],
            True,
            (
                "Something changed on your network",
                "Gmail: Works → Forged address\nSlack works again",
            ),
        ),
        (
            "zh_CN",
            [("baidu", "reachable", "slow"), ("gmail", "tls_blocked", "reachable")],
            True,
            ("你的网络有变化", "百度：正常 → 很慢\nGmail 恢复正常了"),
        ),
        (
            "en",
            [(s, "reachable", "ip_blocked") for s in ("gmail", "slack", "zoom", "x", "gone")],
            True,
            (
                "Something changed on your network",
                "Gmail: Works → Blocked\nSlack: Works → Blocked\nZoom: Works → Blocked\nand 2 more",
            ),
        ),
        (
            "zh_CN",
            [(s, "reachable", "ip_blocked") for s in ("gmail", "slack", "zoom", "x")],
            True,
            (
                "你的网络有变化",
                "Gmail：正常 → 被屏蔽\nSlack：正常 → 被屏蔽\nZoom：正常 → 被屏蔽\n另有 1 项变化",
            ),
        ),
    ],
)
def test_notice_for(
    language: str,
    changes: list[tuple[str, str, str]],
    by_watch: bool,
    expected: tuple[str, str] | None,
) -> None:
    notice = notice_for(changes, REPORT, catalog(language), started_by_watch=by_watch)
    assert (None if notice is None else (notice.title, notice.message)) == expected


def interface(name: str, *addresses: str, up: bool = True) -> NetworkInterface:
    return NetworkInterface(
        name,
        up,
        tuple(InterfaceAddress("ipv6" if ":" in a else "ipv4", a) for a in addresses),
        flags=("up",) if up else (),
    )


@pytest.mark.parametrize(
    ("seen", "changes"),
    [
        # what the interfaces look like at each look -> which looks report a change
        ([[interface("eth0", "10.0.0.5")]] * 3, [False, False]),
        ([[interface("eth0", "10.0.0.5")], [interface("eth0", "10.0.0.6")]], [True]),
        ([[interface("eth0", "10.0.0.5")], [interface("eth0", "10.0.0.5", up=False)]], [True]),
        (
            [
                [interface("eth0", "10.0.0.5")],
                [interface("eth0", "10.0.0.5"), interface("tun0", "10.8.0.2")],  # VPN on
                [interface("eth0", "10.0.0.5"), interface("tun0", "10.8.0.2")],
                [interface("eth0", "10.0.0.5")],  # and off
            ],
            [True, False, True],
        ),
        # temporary IPv6 addresses come and go on their own
        (
            [
                [interface("eth0", "10.0.0.5", "2001:db8::1")],
                [interface("eth0", "10.0.0.5", "2001:db8::2")],
            ],
            [False],
        ),
        # more changes than the engine's watch counts in one run: every one is seen
        ([[interface("eth0", f"10.0.0.{n}")] for n in range(10)], [True] * 9),
    ],
)
def test_the_interface_watch_sees_every_change(
    seen: list[list[NetworkInterface]], changes: list[bool]
) -> None:
    looks = iter(seen)
    calls: list[int] = []
    watch = InterfaceWatch(lambda: calls.append(1), read=lambda: tuple(next(looks)))
    assert [watch.check() for _ in changes] == changes
    assert len(calls) == sum(changes)


def test_an_unreadable_network_is_no_change_and_no_crash() -> None:
    def broken() -> tuple[NetworkInterface, ...]:
        raise OSError("no")

    watch = InterfaceWatch(lambda: None, read=broken)
    assert not watch.check()


def test_the_thread_polls_until_stopped() -> None:
    state = {"n": 0}
    calls: list[int] = []

    def read() -> tuple[NetworkInterface, ...]:
        state["n"] += 1
        return (interface("eth0", f"10.0.{state['n'] // 256}.{state['n'] % 256}"),)

    watch = InterfaceWatch(lambda: calls.append(1), read=read, poll_s=0.01).start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    watch.stop()
    assert len(calls) >= 3
