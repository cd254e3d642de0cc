"""Noticing the network change during a run: the comparison rules, and the watcher."""

from __future__ import annotations

import threading
import time

import pytest

from clearsight.probes.network_watch import MAX_RECORDS, NetworkWatch, compare, fingerprint
from clearsight.probes.records import InterfaceAddress, NetworkChange, NetworkInterface


def iface(name: str, *addresses: str, up: bool = True, flags: tuple[str, ...] = ()):
    return NetworkInterface(
        name=name,
        is_up=up,
        addresses=tuple(
            InterfaceAddress("ipv6" if ":" in a else "ipv4", a, None) for a in addresses
        ),
        flags=flags,
    )


LO = iface("lo", "127.0.0.1", "::1", flags=("up", "loopback"))
WIFI = iface("wlan0", "192.168.1.20", "fe80::1")
WIFI_V6 = iface("wlan0", "192.168.1.20", "2001:db8::20", "fe80::1")

ROWS = [
    # (before, after, lost, gained)
    pytest.param((LO, WIFI), (LO, WIFI), (), (), id="nothing-changed"),
    pytest.param((LO, WIFI), (LO,), ("wlan0",), (), id="interface-vanished"),
    pytest.param(
        (LO, WIFI), (LO, iface("wlan0", "192.168.1.20", up=False)), ("wlan0",), (), id="went-down"
    ),
    pytest.param((LO, WIFI), (LO, iface("wlan0", "fe80::1")), ("wlan0",), (), id="lost-its-ipv4"),
    pytest.param(
        (LO, WIFI),
        (LO, iface("wlan0", "10.0.0.7", "fe80::1")),
        ("wlan0",),
        (),
        id="another-ipv4-address",
    ),
    pytest.param(
        (LO, WIFI),
        (LO, WIFI, iface("tun0", "10.8.0.2")),
        (),
        ("tun0",),
        id="a-vpn-came-up",
    ),
    pytest.param(
        (LO, iface("eth0", "10.1.1.5")),
        (LO, iface("wlan0", "192.168.1.20")),
        ("eth0",),
        ("wlan0",),
        id="cable-to-wifi",
    ),
    pytest.param((LO, WIFI_V6), (LO, WIFI), ("wlan0",), (), id="lost-its-last-global-ipv6"),
    pytest.param((LO, WIFI), (LO, WIFI_V6), (), ("wlan0",), id="gained-its-first-global-ipv6"),
    pytest.param(
        (LO, WIFI_V6),
        (LO, iface("wlan0", "192.168.1.20", "2001:db8::99", "fe80::1")),
        (),
        (),
        id="a-temporary-ipv6-address-rotated",
    ),
    pytest.param(
        (LO, WIFI), (iface("lo", "127.0.0.1", up=False), WIFI), (), (), id="loopback-is-ignored"
    ),
    pytest.param(
        (LO, WIFI),
        (LO, WIFI, iface("docker0", up=False)),
        (),
        (),
        id="a-down-interface-without-addresses-appeared",
    ),
    pytest.param(
        (LO, iface("eth0", "10.1.1.5", up=False, flags=("up", "broadcast"))),
        (LO, iface("eth0", "10.1.1.5", up=True, flags=("up", "broadcast", "running"))),
        (),
        (),
        id="the-carrier-flag-arriving-late-is-no-change",
    ),
    pytest.param(
        (LO, iface("eth0", "10.1.1.5", flags=("up", "broadcast", "running"))),
        (LO, iface("eth0", "10.1.1.5", up=False, flags=("broadcast",))),
        ("eth0",),
        (),
        id="switched-off",
    ),
    pytest.param(
        (LO, iface("wlan0", "fe80::1")),
        (LO, iface("wlan0", "fe80::2")),
        (),
        (),
        id="link-local-only-carries-nothing",
    ),
]


@pytest.mark.parametrize(("before", "after", "lost", "gained"), ROWS)
def test_compare(before, after, lost, gained) -> None:
    assert compare(fingerprint(before), fingerprint(after)) == (lost, gained)


class Interfaces:
    """A stand-in for the interface list: what it returns can be changed, or made to fail."""

    def __init__(self, *found: NetworkInterface) -> None:
        self.found: tuple[NetworkInterface, ...] = found
        self.fail = False
        self.reads = 0

    def __call__(self) -> tuple[NetworkInterface, ...]:
        self.reads += 1
        if self.fail:
            raise OSError("no netlink")
        return self.found


def wait_for(condition, timeout: float = 5.0) -> None:
    limit = time.monotonic() + timeout
    while not condition() and time.monotonic() < limit:
        time.sleep(0.01)
    assert condition()


def test_the_watch_records_a_change_while_the_run_goes_on() -> None:
    read = Interfaces(LO, WIFI)
    seen: list[NetworkChange] = []
    watch = NetworkWatch(seen.append, time.monotonic(), read=read, poll_s=0.01).start()
    wait_for(lambda: read.reads >= 3)
    assert seen == []
    read.found = (LO,)
    wait_for(lambda: len(seen) == 1)
    watch.stop()
    assert seen[0].lost == ("wlan0",) and seen[0].gained == ()
    assert 0 <= seen[0].started_s < 5
    assert not any(t.name == "clearsight-network-watch" for t in threading.enumerate())


def test_a_change_in_the_last_moment_is_seen_when_the_watch_stops() -> None:
    read = Interfaces(LO, WIFI)
    seen: list[NetworkChange] = []
    watch = NetworkWatch(seen.append, time.monotonic(), read=read, poll_s=60).start()
    read.found = (LO, WIFI, iface("tun0", "10.8.0.2"))
    watch.stop()
    assert [c.gained for c in seen] == [("tun0",)]


def test_a_flapping_network_is_recorded_a_bounded_number_of_times() -> None:
    read = Interfaces(LO, WIFI)
    seen: list[NetworkChange] = []
    watch = NetworkWatch(seen.append, time.monotonic(), read=read, poll_s=60)
    for step in range(3 * MAX_RECORDS):
        read.found = (LO, WIFI) if step % 2 else (LO,)
        watch.check()
    assert len(seen) == MAX_RECORDS


def test_interfaces_that_cannot_be_read_are_no_change() -> None:
    read = Interfaces(LO, WIFI)
    seen: list[NetworkChange] = []
    watch = NetworkWatch(seen.append, time.monotonic(), read=read, poll_s=60)
    read.fail = True
    watch.check()
    read.found = ()  # psutil gave nothing
    read.fail = False
    watch.check()
    assert seen == []
    # and unreadable from the start: nothing to compare with, nothing recorded
    read.fail = True
    blind = NetworkWatch(seen.append, time.monotonic(), read=read, poll_s=60)
    read.fail = False
    read.found = (LO,)
    blind.check()
    assert seen == []
