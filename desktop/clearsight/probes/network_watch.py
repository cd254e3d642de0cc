"""Notice the machine's network changing during a run: an interface that vanishes, goes
down, or loses or gains its addresses (Wi-Fi dropping, a cable pulled, a VPN connecting).

Reads the interface list the way ``network_info.interfaces`` does (no packets sent); the
comparison is a pure function so its rules are tested on their own.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Mapping

from clearsight.probes.network_info import interfaces
from clearsight.probes.records import NetworkChange, NetworkInterface

# name -> (up, the addresses that carry traffic: IPv4 and global IPv6)
Fingerprint = dict[str, tuple[bool, frozenset[str]]]

POLL_S = 0.25
MAX_RECORDS = 5  # a network that flaps all the time needs no more to be told apart


def _carries_traffic(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified)


def fingerprint(found: tuple[NetworkInterface, ...]) -> Fingerprint:
    """What matters of each interface for reaching the internet. Loopback is left out."""
    result: Fingerprint = {}
    for interface in found:
        if "loopback" in interface.flags or interface.name in ("lo", "lo0"):
            continue
        addresses = frozenset(
            a.address
            for a in interface.addresses
            if a.family in ("ipv4", "ipv6") and _carries_traffic(a.address)
        )
        # Switched on (IFF_UP) where the OS says so: psutil's is_up also needs the carrier
        # flag, which Linux sets up to a second after traffic already flows on a new link.
        up = "up" in interface.flags if interface.flags else interface.is_up
        if not addresses and not up:
            continue  # a down interface without addresses carries nothing either way
        result[interface.name] = (up, addresses)
    return result


def _v4(addresses: frozenset[str]) -> frozenset[str]:
    return frozenset(a for a in addresses if ":" not in a)


def compare(
    before: Mapping[str, tuple[bool, frozenset[str]]],
    after: Mapping[str, tuple[bool, frozenset[str]]],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(lost, gained): interfaces that stopped or started carrying traffic, or whose IPv4
    addresses changed. IPv6 counts only when an interface loses its last or gains its first
    global address: temporary (privacy) addresses come and go on their own."""
    lost: list[str] = []
    gained: list[str] = []
    for name in sorted(set(before) | set(after)):
        old = before.get(name)
        new = after.get(name)
        old_up = bool(old and old[0] and old[1])
        new_up = bool(new and new[0] and new[1])
        if old_up and not new_up:
            lost.append(name)
        elif new_up and not old_up:
            gained.append(name)
        elif old and new and old_up:
            old_v4, new_v4 = _v4(old[1]), _v4(new[1])
            old_v6, new_v6 = old[1] - old_v4, new[1] - new_v4
            if old_v4 - new_v4 or (old_v6 and not new_v6):
                lost.append(name)
            elif new_v4 - old_v4 or (new_v6 and not old_v6):
                gained.append(name)
    return tuple(lost), tuple(gained)


class NetworkWatch:
    """Polls the interfaces in a daemon thread until stopped; each change is handed to
    ``record`` as a NetworkChange (at most MAX_RECORDS)."""

    def __init__(
        self,
        record: Callable[[NetworkChange], None],
        started: float,
        *,
        read: Callable[[], tuple[NetworkInterface, ...]] = interfaces,
        poll_s: float = POLL_S,
    ) -> None:
        self._record = record
        self._started = started
        self._read = read
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._baseline = self._look()  # None: the interfaces can't be read here
        self._count = 0
        self._thread = threading.Thread(
            target=self._watch, name="clearsight-network-watch", daemon=True
        )

    def start(self) -> NetworkWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Looks once more (a change in the last moments counts too), then ends the thread."""
        self._stop.set()
        self._thread.join(timeout=1.0)
        self.check()

    def check(self) -> None:
        with self._lock:
            if self._baseline is None or self._count >= MAX_RECORDS:
                return
            now = self._look()
            if now is None:
                return
            lost, gained = compare(self._baseline, now)
            if not lost and not gained:
                return
            self._baseline = now
            self._count += 1
        self._record(
            NetworkChange(
                started_s=round(time.monotonic() - self._started, 3), lost=lost, gained=gained
            )
        )

    def _look(self) -> Fingerprint | None:
        try:
            found = self._read()
        except Exception:  # an OS quirk must not end the run
            return None
        return fingerprint(found) if found else None

    def _watch(self) -> None:
        while not self._stop.wait(self._poll_s):
            self.check()


__all__ = ["NetworkWatch", "compare", "fingerprint"]
