"""The smoke test's own judgement, on this machine: a PDF without a font program fails, the
wrong plugin or a non-native style fails, a half-written probe is not read, and the app's
startup probe names a report the app was handed (what the association tests wait for)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import smoke_test

CLEARSIGHT = shutil.which("clearsight", path=str(Path(sys.executable).parent))


def test_a_pdf_shows_text_only_with_an_embedded_font() -> None:
    assert smoke_test.pdf_has_embedded_font(b"%PDF-1.4\n1 0 obj << /FontFile2 5 0 R >>")
    assert not smoke_test.pdf_has_embedded_font(b"%PDF-1.4\n1 0 obj << /Font << >> >>")
    assert not smoke_test.pdf_has_embedded_font(b"<html>/FontFile2</html>")


def test_the_native_plugin_and_style_are_required() -> None:
    assert (
        smoke_test.platform_problems({"platform": "windows", "style": "windows11"}, "windows") == []
    )
    assert smoke_test.platform_problems({"platform": "cocoa", "style": "macos"}, "cocoa") == []
    fell_back = smoke_test.platform_problems({"platform": "windows", "style": "fusion"}, "windows")
    assert fell_back and "styles plugin" in fell_back[0]
    assert smoke_test.platform_problems({"platform": "offscreen", "style": "fusion"}, "cocoa")
    assert smoke_test.platform_problems({"platform": "xcb", "style": "fusion"}, "native") == []


def test_a_half_written_probe_is_not_read(tmp_path: Path) -> None:
    probe = tmp_path / "probe.json"
    probe.write_text('{"painted_at": 1', encoding="utf-8")
    assert smoke_test.read_probe(probe) is None
    probe.write_text('{"painted_at": 1, "title": "Clearsight"}', encoding="utf-8")
    assert smoke_test.read_probe(probe) == {"painted_at": 1, "title": "Clearsight"}


@pytest.mark.skipif(CLEARSIGHT is None, reason="the app is not installed in this environment")
def test_the_startup_probe_names_the_report_the_app_was_handed(tmp_path: Path) -> None:
    assert CLEARSIGHT is not None
    report = tmp_path / "handed.clearsight-report"
    done = subprocess.run(
        [CLEARSIGHT, "run", "--profile", str(smoke_test.PROFILE), "--json", str(report), "--quiet"],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode in (1, 2) and report.is_file()
    probe = tmp_path / "probe.json"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        CLEARSIGHT_STARTUP_PROBE=str(probe),
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    app = subprocess.Popen(
        [CLEARSIGHT, str(report)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        record = smoke_test.wait_for_probe(
            probe, lambda r: report.name in str(r.get("title")), 30, lambda: app.poll() is None
        )
    finally:
        app.terminate()
        app.wait(10)
    assert record is not None, probe.read_text() if probe.exists() else "no probe"
    assert record["platform"] == "offscreen" and record["style"] == "fusion"
    assert record["pid"] == app.pid and record["painted_at"] <= time.time()
    assert json.loads(probe.read_text())["title"] == f"Clearsight — {report.name}"
