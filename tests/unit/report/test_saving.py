"""Saving is atomic: a full disk or a missing permission gives a clear message and leaves
no partial file; an existing file keeps its content."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from clearsight.cli import main
from clearsight.report import files
from clearsight.report.files import SaveError, save_bytes, save_error_text, save_json

from .conftest import make_report


def test_saves_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "report.clearsight-report"
    save_json(target, make_report("ok"))
    assert target.read_text(encoding="utf-8").startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_full_disk_leaves_no_partial_file(tmp_path: Path, monkeypatch: Any) -> None:
    target = tmp_path / "report.html"
    target.write_text("the old report", encoding="utf-8")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(SaveError) as caught:
        save_bytes(target, b"x" * 100_000)
    assert caught.value.reason == "disk_full"
    assert str(caught.value) == f"Could not save {target}: the disk is full"
    assert target.read_text(encoding="utf-8") == "the old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_missing_permission_gives_a_clear_message(tmp_path: Path, monkeypatch: Any) -> None:
    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(files.tempfile, "mkstemp", denied)
    with pytest.raises(SaveError) as caught:
        save_bytes(tmp_path / "report.pdf", b"%PDF")
    assert caught.value.reason == "permission"
    assert "permission" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_removes_the_temporary_file(tmp_path: Path, monkeypatch: Any) -> None:
    def busy(src: str, dst: Any) -> None:
        raise PermissionError(errno.EACCES, "in use")

    monkeypatch.setattr(files.os, "replace", busy)
    with pytest.raises(SaveError):
        save_bytes(tmp_path / "report.json", b"{}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make_target", "reason"),
    [
        (lambda tmp: tmp / "missing" / "report.json", "no_folder"),
        (lambda tmp: tmp, "is_folder"),
        (lambda tmp: tmp / ("x" * 300), "name_too_long"),
    ],
)
def test_real_failures_name_their_reason(tmp_path: Path, make_target: Any, reason: str) -> None:
    with pytest.raises(SaveError) as caught:
        save_bytes(make_target(tmp_path), b"{}")
    assert caught.value.reason == reason


def test_messages_come_in_the_users_language(tmp_path: Path) -> None:
    with pytest.raises(SaveError) as caught:
        save_bytes(tmp_path / "missing" / "r.json", b"{}")
    assert save_error_text(caught.value, "zh_CN").endswith("文件夹不存在")
    assert save_error_text(caught.value, "en").endswith("the folder does not exist")
    assert "Could not save" in save_error_text(caught.value)


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_saved_report_gets_an_ordinary_file_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        save_bytes(tmp_path / "r.json", b"{}")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


def test_the_command_line_says_why_and_keeps_going(tmp_path: Path, capsys: Any) -> None:
    saved = tmp_path / "run.clearsight-report"
    save_json(saved, make_report("blocked"))
    html = tmp_path / "ok.html"
    status = main(
        ["explain", str(saved), "--json", str(tmp_path / "nope" / "r.json"), "--html", str(html)]
    )
    assert status == 2
    assert html.exists()
    err = capsys.readouterr().err
    assert "Could not save" in err and "the folder does not exist" in err
    assert "Traceback" not in err
