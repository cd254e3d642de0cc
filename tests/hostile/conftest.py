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
    by_category: dict[str, list[dict[str, Any]]] = {}
    for item in _FIGURES:
        by_category.setdefault(item["category"], []).append(item)
    for category, items in by_category.items():
        if len(items) > 12:  # many cases: the count and the largest of each figure
            numbers: dict[str, float] = {}
            for item in items:
                for key, value in item.items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        numbers[key] = max(numbers.get(key, value), value)
            values = ", ".join(f"max {k}={v}" for k, v in numbers.items())
            terminalreporter.write_line(f"{category:<16} {len(items)} cases: {values}")
            continue
        for item in items:
            values = ", ".join(f"{k}={v}" for k, v in item.items() if k not in ("category", "case"))
            terminalreporter.write_line(f"{category:<16} {item['case']:<40} {values}")
    path = os.environ.get("CLEARSIGHT_HOSTILE_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            for item in _FIGURES:
                handle.write(json.dumps(item) + "\n")
