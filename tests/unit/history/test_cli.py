"""``clearsight history`` and ``clearsight run`` keeping its run (a fake engine: no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clearsight.cli import main
from clearsight.engine.events import RunResult
from clearsight.history import HistorySettings, HistoryStore, open_history, save_settings
from clearsight.history.store import DB_FILE
from tests.unit.diagnosis.test_diagnosis_verdicts import healthy, sni_blocked

from .reports import report

PROFILE = """format = 1
name = "History lab"
country = "CN"
include_default = false

[[services]]
id = "site"
name = "Site"
group = "Web"
urls = ["https://site.test/"]
"""


def fill(count: int = 3) -> HistoryStore:
    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore)
    for number in range(1, count + 1):
        verdict = "tls_blocked" if number == count else "reachable"
        history.record(report(number, {"gmail": verdict, "slack": "reachable"}))
    return history


def test_json_follows_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    fill()
    assert main(["history", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "clearsight-history/1"
    assert [r["report_id"] for r in data["runs"]] == [f"CS-TEST-000{n}" for n in (3, 2, 1)]
    newest = data["runs"][0]
    assert set(newest) == {"report_id", "started_at", "status", "profile", "services", "changes"}
    assert newest["services"] == {"gmail": "tls_blocked", "slack": "reachable"}
    assert newest["changes"] == [{"service": "gmail", "from": "reachable", "to": "tls_blocked"}]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["history", "--lang", "en"], ["Gmail is now blocked", "Office"]),
        (["history", "--lang", "zh_CN"], ["Gmail 现在被屏蔽了"]),
        (["history", "--lang", "en", "--limit", "1"], ["Gmail is now blocked"]),
        (
            ["history", "--lang", "en", "--service", "gmail"],
            ["Gmail: the last 3 checks", "Blocked since"],
        ),
        (["history", "--lang", "zh_CN", "--service", "gmail"], ["Gmail：最近 3 次检查"]),
        (["history", "--lang", "en", "--service", "nope"], ["No kept check looked at “nope”"]),
    ],
)
def test_text(argv: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    fill()
    assert main(argv) == 0
    out = capsys.readouterr().out
    for phrase in expected:
        assert phrase in out
    if "--limit" in argv:
        assert len(out.strip().splitlines()) == 1


def test_service_json_is_one_services_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    fill()
    assert main(["history", "--json", "--service", "slack"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert len(runs) == 3 and all(r["services"] == {"slack": "reachable"} for r in runs)
    assert all(r["changes"] == [] for r in runs)


@pytest.mark.parametrize(
    ("setup", "out_has", "err_has"),
    [
        ("none", "No checks kept yet", ""),
        ("off", "History is turned off", ""),
        ("newer", "No checks kept yet", "newer Clearsight"),
        ("corrupt", "No checks kept yet", "damaged"),
    ],
)
def test_missing_or_paused_history_is_a_clear_message(
    setup: str, out_has: str, err_has: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import sqlite3

    path = Path(os.environ["CLEARSIGHT_DATA_DIR"]) / DB_FILE
    if setup == "off":
        save_settings(HistorySettings(enabled=False))
    if setup == "newer":
        fill(1)
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA user_version = 99")
    if setup == "corrupt":
        path.write_bytes(b"garbage" * 1000)
    assert main(["history", "--lang", "en"]) == 0
    captured = capsys.readouterr()
    assert out_has in captured.out and err_has in captured.err
    assert "Traceback" not in captured.err
    assert main(["history", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"] == []
    if setup == "none":
        assert not path.exists()  # reading history creates nothing


@pytest.mark.parametrize(("value"), ["0", "-1", "x"])
def test_a_bad_limit_is_usage(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--limit", value]) == 3
    assert "--limit" in capsys.readouterr().err


SCENARIOS = {"ok": healthy, "blocked": sni_blocked("connection_reset")}


class FakeRun:
    """CheckRun's shape, answering at once with a recorded scenario."""

    scenario = "ok"
    clock = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __init__(self, profile: Any, **_: Any) -> None:
        FakeRun.clock += timedelta(hours=1)

    def start(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> RunResult:
        return RunResult(
            observations=SCENARIOS[FakeRun.scenario](),
            started_at=FakeRun.clock,
            finished_at=FakeRun.clock + timedelta(seconds=9),
            duration_s=9.0,
            outcome="complete",
        )

    def cancel(self) -> None:
        pass


@pytest.mark.parametrize("include", [False, True])
def test_run_keeps_its_run_and_says_what_changed(
    include: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("clearsight.engine.run.CheckRun", FakeRun)
    save_settings(HistorySettings(include_in_reports=include))
    profile = tmp_path / "lab.clearsight"
    profile.write_text(PROFILE)
    FakeRun.scenario = "ok"
    main(["run", "--profile", str(profile), "--lang", "en"])
    first = capsys.readouterr().out
    assert "Since your last check" not in first
    FakeRun.scenario = "blocked"
    saved = tmp_path / "second.json"
    main(["run", "--profile", str(profile), "--lang", "en", "--json", str(saved), "--no-redact"])
    second = capsys.readouterr().out
    assert "Since your last check" in second and "Mail is now blocked" in second
    assert main(["history", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert len(runs) == 2 and runs[0]["changes"]
    assert ("history" in json.loads(saved.read_text())) == include
    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore)
    kept = history.report(runs[0]["report_id"])
    assert kept is not None and kept["redacted"] is True  # kept redacted despite --no-redact


def test_quiet_run_prints_nothing_even_when_history_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    monkeypatch.setattr("clearsight.engine.run.CheckRun", FakeRun)
    Path(os.environ["CLEARSIGHT_DATA_DIR"], DB_FILE).mkdir(parents=True)  # a folder, not a file
    profile = tmp_path / "lab.clearsight"
    profile.write_text(PROFILE)
    FakeRun.scenario = "ok"
    assert main(["run", "--profile", str(profile), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    main(["run", "--profile", str(profile)])
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
