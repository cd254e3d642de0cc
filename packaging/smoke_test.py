"""Smoke test of a built or installed Clearsight (any platform; the installers workflow runs
it on each runner).

    python packaging/smoke_test.py PATH-TO-EXECUTABLE [--gui-platform offscreen|xcb|native]

1. ``--version`` prints "<name> <version>" as the package says (packaging/app_info.py).
2. ``run --profile packaging/smoke/no-network.clearsight --json F --pdf F``: the profile's only
   target is a closed port on 127.0.0.1, so nothing leaves the machine; exit status 1 or 2
   (blocked/offline: fine outcomes, docs/design.md), a JSON report with the right schema, app
   name and version, and a PDF (rendered by QtGui offscreen).
3. The desktop app (no arguments, as the menu starts it) paints its window within 30 s
   (``CLEARSIGHT_STARTUP_PROBE``) and is still running then. ``offscreen`` needs no screen;
   ``xcb`` needs DISPLAY (Xvfb); ``native`` uses the runner's own desktop.

Exit status 0 when every step passed; the failures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import app_info  # noqa: E402

PROFILE = HERE / "smoke" / "no-network.clearsight"


def check_version(exe: Path) -> list[str]:
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120)
    expected = f"{app_info.NAME} {app_info.VERSION}"
    if proc.returncode != 0 or proc.stdout.strip() != expected:
        return [
            f"--version: exit {proc.returncode}, {proc.stdout!r} (expected {expected!r})"
            f"\n{proc.stderr}"
        ]
    print(f"ok: --version -> {expected}")
    return []


def check_run(exe: Path, work: Path) -> list[str]:
    report = work / "smoke.clearsight-report"
    pdf = work / "smoke.pdf"
    started = time.monotonic()
    proc = subprocess.run(
        [str(exe), "run", "--profile", str(PROFILE), "--json", str(report), "--pdf", str(pdf)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    elapsed = time.monotonic() - started
    problems = []
    if proc.returncode not in (1, 2):
        problems.append(f"run: exit {proc.returncode} (expected 1 or 2)")
    if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
        problems.append("run: no PDF written (Qt's offscreen rendering in the bundle)")
    if not report.is_file():
        problems.append("run: no JSON report written")
    else:
        data = json.loads(report.read_text(encoding="utf-8"))
        if data.get("schema") != "clearsight-report/1":
            problems.append(f"run: schema {data.get('schema')!r}")
        if data.get("app") != {"name": app_info.NAME, "version": app_info.VERSION}:
            problems.append(f"run: app {data.get('app')!r}")
        status = (data.get("summary") or {}).get("status")
        print(f"ok: run -> exit {proc.returncode}, status {status}, {elapsed:.1f} s")
    if problems:
        problems.append(f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return problems


def check_gui(exe: Path, work: Path, platform_name: str) -> list[str]:
    probe = work / "painted.json"
    env = dict(
        os.environ,
        CLEARSIGHT_STARTUP_PROBE=str(probe),
        HOME=str(work),
        XDG_CONFIG_HOME=str(work / "config"),
    )
    if platform_name != "native":
        env["QT_QPA_PLATFORM"] = platform_name
    launched = time.time()
    app = subprocess.Popen(
        [str(exe)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not probe.exists() and app.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        if not probe.exists() or app.poll() is not None:
            app.kill()
            output = app.communicate(timeout=10)[0]
            return [
                f"gui ({platform_name}): no window painted or the app exited "
                f"({app.returncode}):\n{output[-3000:]}"
            ]
        painted = json.loads(probe.read_text())["painted_at"]
        print(
            f"ok: gui ({platform_name}) painted its window {painted - launched:.2f} s "
            "after launch and stays up"
        )
        return []
    finally:
        if app.poll() is None:
            app.terminate()
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("executable", type=Path)
    parser.add_argument(
        "--gui-platform",
        default="offscreen",
        choices=["offscreen", "xcb", "native", "windows", "cocoa"],
    )
    parser.add_argument(
        "--gui-executable",
        type=Path,
        help="the windowed executable, when it differs (Windows: clearsightw)",
    )
    args = parser.parse_args()
    exe = args.executable.resolve()
    with tempfile.TemporaryDirectory(prefix="clearsight-smoke-") as tmp:
        work = Path(tmp)
        problems = check_version(exe) + check_run(exe, work)
        gui = (args.gui_executable or args.executable).resolve()
        problems += check_gui(gui, work, args.gui_platform)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
