"""Figures the hostile tests measure (times, memory), printed after the run and written to
``$CLEARSIGHT_HOSTILE_FIGURES`` (JSON lines) when that is set; tests/hostile/README.md
quotes them."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import pytest

_FIGURES: list[dict[str, Any]] = []
_LOCK = threading.Lock()


def record_figure(category: str, case: str, **values: Any) -> None:
    with _LOCK:
        _FIGURES.append({"category": category, "case": case, **values})


@pytest.fixture
def figure() -> Any:
    return record_figure


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("hostile: measured figures")
    for item in _FIGURES:
        values = ", ".join(f"{k}={v}" for k, v in item.items() if k not in ("category", "case"))
        terminalreporter.write_line(f"{item['category']:<14} {item['case']:<40} {values}")
    path = os.environ.get("CLEARSIGHT_HOSTILE_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            for item in _FIGURES:
                handle.write(json.dumps(item) + "\n")
