"""What watch mode says changed: history's answer for the run the window kept, else (history
off or paused) the previous check of the same profile and network in memory, by history's
network id. Each step keeps its report through ``history.window.keep_run``, as the window
does, with history in the state the step names."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clearsight.history import HistorySettings, HistoryStore, open_history, save_settings
from clearsight.history import store as store_module
from clearsight.history.store import DB_FILE, SCHEMA_VERSION, Notice, RecordResult
from clearsight.history.window import keep_run
from clearsight.watch.changes import MAX_NETWORKS, Change, Recorded, WatchChanges, compare, verdicts
from tests.unit.history.reports import report

W, B, D = "reachable", "tls_blocked", "dns_tampered"
RESTART = "restart"  # the app starts again: memory is empty, history is not


def data_dir() -> Path:
    import os

    return Path(os.environ["CLEARSIGHT_DATA_DIR"])


@contextlib.contextmanager
def history(mode: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """History as *mode* says while one run is kept, as it was afterwards."""
    if mode == "on":
        yield
    elif mode == "off":  # the person switched it off
        save_settings(HistorySettings(enabled=False))
        yield
        save_settings(HistorySettings())
    elif mode == "newer":  # a newer Clearsight wrote the file: paused
        with sqlite3.connect(data_dir() / DB_FILE) as db:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        yield
        with sqlite3.connect(data_dir() / DB_FILE) as db:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    else:
        with monkeypatch.context() as patch:
            if mode == "locked":  # another Clearsight held the file past the busy timeout

                def locked(*_: Any) -> None:
                    raise sqlite3.OperationalError("database is locked")

                patch.setattr(HistoryStore, "_insert", locked)
            elif mode == "read_only":

                def read_only(*_: Any) -> None:
                    raise sqlite3.OperationalError("attempt to write a readonly database")

                patch.setattr(store_module, "_create", read_only)
            elif mode == "corrupt":  # damaged, and it cannot even be moved aside

                def corrupt(*_: Any) -> None:
                    raise sqlite3.DatabaseError("file is not a database")

                def stuck(*_: Any) -> None:
                    raise PermissionError(13, "Permission denied")

                patch.setattr(store_module, "_create", corrupt)
                patch.setattr(store_module, "move_aside", stuck)
            else:
                raise AssertionError(mode)
            yield


def last_kept_changes() -> list[tuple[str, str, str]]:
    opened = open_history(HistorySettings())
    assert isinstance(opened, HistoryStore)
    return [(c.service, c.from_, c.to) for c in opened.runs(1)[0].changes]


Step = tuple[str, str, dict[str, str]] | str  # (history, exit country, verdicts) or RESTART
# steps -> what the last one says: (compared, changes, from history)
CASES: list[tuple[str, list[Step], tuple[bool, tuple[Change, ...], bool]]] = [
    ("on: history's change", [("on", "CN", {"gmail": W}), ("on", "CN", {"gmail": B})],
     (True, (Change("gmail", W, B),), True)),
    ("on: nothing changed", [("on", "CN", {"gmail": W}), ("on", "CN", {"gmail": W})],
     (True, (), True)),
    ("on: the first check after a restart, against the run kept before it",
     [("on", "CN", {"gmail": W, "slack": B}), RESTART, ("on", "CN", {"gmail": D, "slack": B})],
     (True, (Change("gmail", W, D),), True)),
    ("on: after a restart, nothing changed",
     [("on", "CN", {"gmail": W}), RESTART, ("on", "CN", {"gmail": W})], (True, (), True)),
    ("on: after a restart, on another network",
     [("on", "CN", {"gmail": W}), RESTART, ("on", "HK", {"gmail": B})], (False, (), True)),
    ("on: another network", [("on", "CN", {"gmail": W}), ("on", "HK", {"gmail": B})],
     (False, (), True)),
    ("on: another network in between",
     [("on", "CN", {"gmail": W}), ("on", "HK", {"gmail": B}), ("on", "CN", {"gmail": W})],
     (True, (), True)),
    ("on after off: history's answer (it never saw the run before)",
     [("off", "CN", {"gmail": W}), ("on", "CN", {"gmail": B})], (False, (), True)),
    ("off: compared in memory", [("off", "CN", {"gmail": W}), ("off", "CN", {"gmail": B})],
     (True, (Change("gmail", W, B),), False)),
    ("off: another network", [("off", "CN", {"gmail": W}), ("off", "HK", {"gmail": B})],
     (False, (), False)),
    ("off: a restart forgets", [("off", "CN", {"gmail": W}), RESTART, ("off", "CN", {"gmail": B})],
     (False, (), False)),
    ("switched off: against the last run, which history kept",
     [("on", "CN", {"gmail": W}), ("off", "CN", {"gmail": B})],
     (True, (Change("gmail", W, B),), False)),
    *(
        (f"paused ({mode}): in memory", [("on", "CN", {"gmail": W}), (mode, "CN", {"gmail": B})],
         (True, (Change("gmail", W, B),), False))
        for mode in ("newer", "locked", "read_only", "corrupt")
    ),
    ("paused, then on again: history compares with the run it kept",
     [("on", "CN", {"gmail": W}), ("locked", "CN", {"gmail": B}), ("on", "CN", {"gmail": D})],
     (True, (Change("gmail", W, D),), True)),
]  # fmt: skip


@pytest.mark.parametrize(("steps", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_watch_mode_says_what_history_says_and_compares_in_memory_without_it(
    steps: list[Step], expected: tuple[bool, tuple[Change, ...], bool], monkeypatch: Any
) -> None:
    changes = WatchChanges()
    result = Recorded()
    mode = ""
    for number, step in enumerate(steps, 1):
        if step == RESTART:
            changes = WatchChanges()
            continue
        mode, country, services = step
        finished = report(number, services, country=country)
        with history(mode, monkeypatch):
            kept = keep_run(finished, consent_sensitive=True).result
        assert kept.saved == (mode == "on"), kept.notice
        assert kept.network is not None
        result = changes.record(finished, kept)
    assert (result.compared, result.changes, result.from_history) == expected
    if mode == "on":  # exactly the change history computed and kept for that run
        assert list(result.changes) == last_kept_changes()


def test_one_network_id_whether_history_is_on_or_off(monkeypatch: Any) -> None:
    on = keep_run(report(1, {"gmail": W}), consent_sensitive=True).result
    with history("off", monkeypatch):
        off = keep_run(report(2, {"gmail": W}), consent_sensitive=True).result
    with history("locked", monkeypatch):
        locked = keep_run(report(3, {"gmail": W}), consent_sensitive=True).result
    assert on.run is not None and on.network == on.run.network == off.network == locked.network
    other = keep_run(report(4, {"gmail": W}, country="HK"), consent_sensitive=True).result
    assert other.network != on.network


def test_history_off_writes_nothing(monkeypatch: Any) -> None:
    with history("off", monkeypatch):
        assert keep_run(report(1, {"gmail": W}), consent_sensitive=True).result.network
    assert not (data_dir() / DB_FILE).exists()
    assert not (data_dir() / "network-salt").exists()


def memory_result(network: str | None = "net-1") -> RecordResult:
    return RecordResult(saved=False, notice=Notice("off"), network=network)


@pytest.mark.parametrize(
    ("first", "kept", "second"),
    [
        (report(1, {"gmail": W}), None, report(2, {"gmail": B})),  # not kept: one service again
        (report(1, {"gmail": W}), memory_result(None), report(2, {"gmail": B})),  # no network
        ({**report(1, {"gmail": W}), "outcome": "cancelled"}, memory_result(), report(2, {})),
    ],
)
def test_a_run_not_kept_compares_with_nothing_and_is_not_remembered(
    first: dict[str, Any], kept: RecordResult | None, second: dict[str, Any]
) -> None:
    changes = WatchChanges()
    assert changes.record(first, kept) == Recorded()
    assert not changes.record(second, memory_result()).compared


def test_withheld_sensitive_services_are_forgotten_in_memory_too() -> None:
    changes = WatchChanges()
    changes.record(report(1, {"gmail": W, "tor": W}), memory_result())
    # consent withdrawn: the next run skips tor, and memory forgets its result
    changes.record(report(2, {"gmail": W}), memory_result(), withheld={"tor"})
    again = changes.record(report(3, {"gmail": W, "tor": B}), memory_result())
    assert again.compared and again.changes == ()


def test_memory_forgets_the_oldest_network_first() -> None:
    changes = WatchChanges()
    for n in range(40):
        changes.record(report(n, {"a": W}), memory_result(f"net-{n}"))
    assert len(changes.previous) == MAX_NETWORKS
    assert not changes.record(report(50, {"a": W}), memory_result("net-0")).compared
    assert changes.record(report(51, {"a": W}), memory_result("net-39")).compared


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {"a": W}, ()),
        ({"a": W}, {"a": W}, ()),
        ({"a": W}, {"a": B}, (Change("a", W, B),)),
        (
            {"a": "ip_blocked", "b": W},
            {"b": D, "a": W},
            (Change("b", W, D), Change("a", "ip_blocked", W)),
        ),
        ({"a": W, "gone": "ip_blocked"}, {"a": W, "new": "ip_blocked"}, ()),
    ],
)
def test_compare_lists_the_services_whose_verdict_differs(
    before: dict[str, str], after: dict[str, str], expected: tuple[Change, ...]
) -> None:
    assert compare(before, after) == expected


@pytest.mark.parametrize(
    "services",
    [None, "x", [1, {"id": 3, "verdict": "ok"}, {"id": "a"}], [{"id": "a", "verdict": None}]],
)
def test_verdicts_skips_what_is_not_a_service(services: object) -> None:
    assert verdicts({"services": services}) == {}
