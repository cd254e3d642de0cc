"""When watch mode checks again: on the schedule the user picked, and after the network
changed (once it has settled).

Pure functions of the time (seconds on the wall clock, ``time.time()``): a laptop that slept
through a due check finds it due when it wakes, which a timer counting only awake time
would miss. The controller asks these every few seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

# The choices offered: every 15 minutes, every hour, every 4 hours.
INTERVALS_MIN = (15, 60, 240)
DEFAULT_INTERVAL_MIN = 60
# A network change is checked once the interfaces stayed the same for QUIET_S (Wi-Fi
# joining, DHCP, a VPN connecting come as several changes within seconds), or MAX_WAIT_S
# after the first change of a network that keeps flapping.
QUIET_S = 10.0
MAX_WAIT_S = 60.0


def interval_min(value: object) -> int:
    """A remembered interval, or the default where it is not one of the choices."""
    try:
        minutes = int(str(value))
    except (TypeError, ValueError):
        return DEFAULT_INTERVAL_MIN
    return minutes if minutes in INTERVALS_MIN else DEFAULT_INTERVAL_MIN


def next_check_at(last_started: float | None, interval_s: float, now: float) -> float:
    """When the next scheduled check is due. Never checked: now. A clock set back (the last
    check seems to be in the future) waits one interval from now, not until then."""
    if last_started is None:
        return now
    if last_started > now:
        return now + interval_s
    return last_started + interval_s


@dataclass
class Debounce:
    """Network changes in, one check out: due once the changes stopped for ``quiet_s``, or
    ``max_wait_s`` after the first of them."""

    quiet_s: float = QUIET_S
    max_wait_s: float = MAX_WAIT_S
    first: float | None = None
    last: float | None = None

    def changed(self, now: float) -> None:
        if self.first is None:
            self.first = now
        self.last = now

    @property
    def pending(self) -> bool:
        return self.first is not None

    def due_at(self) -> float | None:
        if self.first is None or self.last is None:
            return None
        return min(self.last + self.quiet_s, self.first + self.max_wait_s)

    def due(self, now: float) -> bool:
        at = self.due_at()
        return at is not None and now >= at

    def covered_by_check_started(self, at: float) -> None:
        """A check started at ``at`` sees every change before it: those are done."""
        if self.last is not None and self.last <= at:
            self.first = self.last = None

    def clear(self) -> None:
        self.first = self.last = None


def clock_text(moment: float, now: float) -> str:
    """A time to show: "14:05" today, "2026-12-05 14:05" on another day (local time)."""
    local, today = time.localtime(moment), time.localtime(now)
    if local[:3] == today[:3]:
        return time.strftime("%H:%M", local)
    return time.strftime("%Y-%m-%d %H:%M", local)


__all__ = [
    "DEFAULT_INTERVAL_MIN",
    "INTERVALS_MIN",
    "MAX_WAIT_S",
    "QUIET_S",
    "Debounce",
    "clock_text",
    "interval_min",
    "next_check_at",
]
