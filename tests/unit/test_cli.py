"""The command line's contract: exit statuses, clear messages, files written, explain."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from clearsight import __version__
from clearsight.cli import STATUS_EXIT, main
from clearsight.report.build import RunMeta, build_report
from clearsight.report.files import save_json
from tests.builders.observations import baseline


def _saved_report(tmp_path: Path, *, blocked: bool) -> Path:
    scenario = baseline()
    if blocked:
        scenario.service("mail", "https://mail.example.test/", name="Mail")
        scenario.dns("mail.example.test", ["203.0.113.10"])
        scenario.doh("mail.example.test", ["203.0.113.10"])
        scenario.tcp("203.0.113.10", 443, failure="timeout", retry="timeout")
    meta = RunMeta("Unit", "it@example.test", "2026-11-28T10:00:00Z", "2026-11-28T10:00:05Z", 5.0)
    path = tmp_path / "saved.clearsight-report"
    save_json(path, build_report(scenario.build(), meta, language="en", redact=True))
    return path


def test_version_prints_the_name_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"Clearsight {__version__}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--bogus"], "unrecognized arguments"),
        (["explain"], "the following arguments are required"),
        (["run", "--lang", "fr"], "invalid choice"),
        (["no-such-command", "--x"], "neither a command"),
    ],
)
def test_bad_usage_exits_3_with_one_line(argv: list[str], message: str, capsys) -> None:
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_bad_profile_exits_3_naming_file_line_and_key(tmp_path: Path, capsys) -> None:
    profile = tmp_path / "acme.clearsight"
    profile.write_text('format = 1\nname = "Acme"\n[settings]\ntimeout = 3\n', "utf-8")
    assert main(["run", "--profile", str(profile)]) == 3
    err = capsys.readouterr().err
    assert "acme.clearsight" in err and "line 4" in err and "timeout_s" in err


def test_explain_diagnoses_again_prints_and_writes_every_file(tmp_path: Path, capsys) -> None:
    saved = _saved_report(tmp_path, blocked=True)
    out_json, out_text, out_html = tmp_path / "a.json", tmp_path / "a.txt", tmp_path / "a.html"
    code = main(
        [
            "explain",
            str(saved),
            "--lang",
            "zh_CN",
            "--json",
            str(out_json),
            "--text",
            str(out_text),
            "--html",
            str(out_html),
        ]
    )
    assert code == STATUS_EXIT["blocked"] == 1
    report = json.loads(out_json.read_text("utf-8"))
    assert report["language"] == "zh_CN"
    assert {s["id"]: s["verdict"] for s in report["services"]}["mail"] == "ip_blocked"
    assert len(out_text.read_text("utf-8").splitlines()) <= 40
    assert 'id="clearsight-report"' in out_html.read_text("utf-8")
    assert "Mail" in capsys.readouterr().out


def test_explain_of_a_healthy_report_exits_0(tmp_path: Path) -> None:
    assert main(["explain", str(_saved_report(tmp_path, blocked=False))]) == 0


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"[1, 2]",
        b'{"schema": "clearsight-report/9"}',
        b'{"schema": "clearsight-report/1", "observations": [{"kind": "tcp"}]}',
    ],
    ids=["empty", "not-utf8", "not-object", "other-schema", "damaged-observation"],
)
def test_a_broken_report_exits_3_without_a_traceback(tmp_path: Path, content: bytes, capsys):
    path = tmp_path / "broken.clearsight-report"
    path.write_bytes(content)
    assert main(["explain", str(path)]) == 3
    err = capsys.readouterr().err
    assert "broken.clearsight-report" in err and "Traceback" not in err


def test_an_unwritable_output_gives_a_message_and_no_partial_file(tmp_path: Path, capsys):
    saved = _saved_report(tmp_path, blocked=False)
    target = tmp_path / "missing-folder" / "out.json"
    assert main(["explain", str(saved), "--json", str(target)]) == 2
    assert "out.json" in capsys.readouterr().err
    assert not target.exists()


def test_gui_without_a_screen_says_so_instead_of_crashing(monkeypatch, capsys) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["gui"]) == 2
    assert "no screen" in capsys.readouterr().err.lower()


_STOPPED_INSIDE_EXEC = """
import os, signal, sys
import clearsight.cli as cli

def run(args):
    # The signal is handled while source run by exec() is executing, as happens when it
    # arrives while dataclasses builds a class during an import.
    exec("os.kill(os.getpid(), signal.{sig})\\nfor _ in range(10**7): pass")
    return 0

cli._run = run
raise SystemExit(cli.main(["run"]))
"""


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="POSIX signals: on Windows os.kill(SIGTERM) is TerminateProcess and SIGHUP is absent",
)
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_stop_signal_exits_2_even_when_it_lands_inside_exec(sig: str, tmp_path: Path) -> None:
    # CPython ends a process started with -m (as `clearsight` is) by SIGINT when a
    # KeyboardInterrupt passed through exec'd source, even if it was caught; the CLI's own
    # exception keeps exit status 2 for every stop signal.
    import os
    import subprocess

    desktop = Path(__file__).resolve().parents[2] / "desktop"
    (tmp_path / "stopped_inside_exec.py").write_text(_STOPPED_INSIDE_EXEC.replace("{sig}", sig))
    proc = subprocess.run(
        [sys.executable, "-m", "stopped_inside_exec"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": f"{desktop}{os.pathsep}{tmp_path}"},
    )
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stderr.strip() == "Stopped.", proc.stderr
