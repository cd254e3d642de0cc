"""``clearsight summarize``: the table on stdout, the files asked for, the exit statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from clearsight.cli import main
from tests.unit.overview import reports
from tests.unit.overview.reports import START


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    reports.write_report(folder / "one.clearsight-report", reports.report(started=START))
    reports.write_report(
        folder / "two.html",
        reports.report(
            "fine", "zh_CN", started=START + timedelta(days=1), verdicts={"gmail": "tls_blocked"}
        ),
    )
    (folder / "broken.json").write_bytes(b'{"schema": "clearsight-report/1", "serv')
    return folder


def test_summarize_prints_the_table_and_writes_every_file(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    argv = ["summarize", str(folder), "--lang", "en"]
    argv += ["--json", str(out / "s.json"), "--csv", str(out / "s.csv")]
    argv += ["--html", str(out / "s.html")]
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert printed.out.startswith("2 reports read\n")
    assert "Gmail" in printed.out and "1 file was not counted:" in printed.out
    assert "broken.json: the file is cut short" in printed.out
    assert printed.err == ""
    data = json.loads((out / "s.json").read_text("utf-8"))
    assert data["schema"] == "clearsight-summary/1" and data["reports"] == 2
    gmail = next(s for s in data["services"] if s["id"] == "gmail")
    assert gmail["verdicts"] == {"dns_tampered": 1, "tls_blocked": 1}
    assert gmail["first_seen_blocked"] == "2026-11-02T08:00:00Z"
    assert gmail["last_seen_blocked"] == "2026-11-03T08:00:00Z"
    raw = (out / "s.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,name,verdicts.reachable,")
    assert (out / "s.html").read_text("utf-8").startswith("<!DOCTYPE html>")


def test_the_language_follows_the_reports_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(2):
        reports.write_report(
            tmp_path / f"{n}.json",
            reports.report(language="zh_CN", started=START.replace(day=n + 1)),
        )
    assert main(["summarize", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("已读取 2 份报告")
    assert main(["summarize", str(tmp_path), "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("2 reports read")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summarize"], "the following arguments are required"),
        (["summarize", "x", "--lang", "fr"], "invalid choice"),
        (["summarize", "/no/such/folder/or/file.json"], "there is no such file"),
    ],
)
def test_bad_usage_exits_3(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_nothing_readable_exits_3_listing_each_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json").write_text("nope")
    (tmp_path / "b.clearsight-report").write_bytes(b"\x00\xff")
    assert main(["summarize", str(tmp_path), "--lang", "zh_CN"]) == 3
    err = capsys.readouterr().err
    assert "a.json：" in err and "b.clearsight-report：" in err
    assert "给出的文件里没有一份能读取的报告。" in err


def test_an_unwritable_output_exits_2_and_still_prints(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-folder" / "s.csv"
    assert main(["summarize", str(folder), "--csv", str(target), "--lang", "en"]) == 2
    printed = capsys.readouterr()
    assert "Could not save" in printed.err or "s.csv" in printed.err
    assert printed.out.startswith("2 reports read")
    assert not target.exists()


def test_the_command_runs_as_a_process_without_a_traceback(folder: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CLEARSIGHT_DATA_DIR": str(tmp_path / "data"), "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [sys.executable, "-m", "clearsight", "summarize", str(folder), str(folder / "x.json")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "x.json" in proc.stdout
