"""Progress events the engine emits while it runs (no Qt: the GUI relays them by signal)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from clearsight.probes.records import Observation


@dataclass(frozen=True)
class ProgressEvent:
    kind: str  # "started" | "finished" | "done"
    check: str  # "service:<id>", "dns", "doh", "captive", "exit", "clock", "network"
    label: str  # what a person would call the check (a service's name, a URL)
    done: int  # checks finished so far
    total: int

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class RunResult:
    observations: tuple[Observation, ...]
    started_at: datetime
    finished_at: datetime
    duration_s: float
    outcome: str  # "complete" | "deadline" | "cancelled"
