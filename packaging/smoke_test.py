"""Smoke test of a built or installed Clearsight (any platform; the installers workflow runs
it on each runner, on the bundle and again on the installed, and on the signed, app).

    python packaging/smoke_test.py EXECUTABLE [--gui-executable EXE]
        [--gui-platform offscreen|xcb|windows|cocoa|native]
        [--open-with-association] [--open-with-app APP.app]

1. ``--version`` prints "<name> <version>" as the package says (packaging/app_info.py).
2. ``run --profile packaging/smoke/no-network.clearsight --json F --pdf F``: the profile's only
   target is a closed port on 127.0.0.1, so nothing leaves the machine; exit status 1 or 2
   (blocked/offline: fine outcomes, docs/design.md), a JSON report with the right schema, app
   name and version, and a PDF that embeds a font (a PDF drawn without any font has no text:
   what Qt's offscreen plugin on Windows gives, report/pdf.py).
3. The desktop app (no arguments, as the menu starts it) paints its window within 30 s
   (``CLEARSIGHT_STARTUP_PROBE``) and is still running then. The platform plugin is named
   (``QT_QPA_PLATFORM``), so a bundle without it fails instead of falling back; the probe says
   which plugin and which style drew the window: ``windows`` must draw with a native Windows
   style (``windows11``/``windowsvista``, from the ``styles`` plugins), ``cocoa`` with
   ``macos``. ``offscreen`` needs no screen; ``xcb`` needs DISPLAY (Xvfb); ``native`` leaves
   the choice to Qt.
4. ``--open-with-association``: the saved report of step 2 opened the way a double-click opens
   it (Windows: ShellExecute, the installer's file association; macOS: ``open FILE``, Launch
   Services), and ``--open-with-app``: ``open -a APP FILE`` (macOS: an Apple Event, which the
   app receives as a ``QFileOpenEvent``). Either passes when the window's title names the
   report: the file reached the window, not merely the app started.

Exit status 0 when every step passed; the failures are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import app_info  # noqa: E402

PROFILE = HERE / "smoke" / "no-network.clearsight"
PROBE_ENV = "CLEARSIGHT_STARTUP_PROBE"
PAINT_TIMEOUT_S = 30.0
OPEN_TIMEOUT_S = 60.0  # a first launch through Launch Services also checks the signature
# What QStyle.name() says for the native styles (Qt lower-cases the style factory's keys).
NATIVE_STYLES = {"windows": {"windows11", "windowsvista"}, "cocoa": {"macos"}}
# PDF font programs (PDF 32000-1:2008, 9.9 "Embedded Font Programs").
FONT_PROGRAMS = (b"/FontFile", b"/FontFile2", b"/FontFile3")


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


def pdf_has_embedded_font(data: bytes) -> bool:
    return data.startswith(b"%PDF") and any(name in data for name in FONT_PROGRAMS)


def check_run(exe: Path, report: Path, pdf: Path) -> list[str]:
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
        problems.append("run: no PDF written (Qt's PDF writer in the bundle)")
    elif not pdf_has_embedded_font(pdf.read_bytes()):
        problems.append("run: the PDF embeds no font, so it shows no text (Qt found no fonts)")
    if not report.is_file():
        problems.append("run: no JSON report written")
    else:
        data = json.loads(report.read_text(encoding="utf-8"))
        if data.get("schema") != "clearsight-report/1":
            problems.append(f"run: schema {data.get('schema')!r}")
        if data.get("app") != {"name": app_info.NAME, "version": app_info.VERSION}:
            problems.append(f"run: app {data.get('app')!r}")
        status = (data.get("summary") or {}).get("status")
        print(f"ok: run -> exit {proc.returncode}, status {status}, PDF with fonts, {elapsed:.1f}s")
    if problems:
        problems.append(f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    return problems


def read_probe(probe: Path) -> dict[str, Any] | None:
    """The app's probe record, or None while it is not (fully) there."""
    try:
        record = json.loads(probe.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def wait_for_probe(
    probe: Path, done: Callable[[dict[str, Any]], bool], timeout: float, alive: Callable[[], bool]
) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        record = read_probe(probe)
        if record is not None and done(record):
            return record
        time.sleep(0.1)
    record = read_probe(probe)
    return record if record is not None and done(record) else None


def platform_problems(record: dict[str, Any], platform_name: str) -> list[str]:
    """What is wrong with the plugin and style that drew the window."""
    problems = []
    if platform_name != "native" and record.get("platform") != platform_name:
        problems.append(f"drawn by the {record.get('platform')!r} plugin, not {platform_name!r}")
    wanted = NATIVE_STYLES.get(platform_name)
    style = str(record.get("style") or "").lower()
    if wanted is not None and style not in wanted:
        problems.append(f"style {style!r} instead of one of {sorted(wanted)} (styles plugin)")
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
        record = wait_for_probe(
            probe,
            lambda r: r.get("painted_at") is not None,
            PAINT_TIMEOUT_S,
            lambda: app.poll() is None,
        )
        time.sleep(1.0)
        if record is None or app.poll() is not None:
            app.kill()
            output = app.communicate(timeout=10)[0] or ""
            return [
                f"gui ({platform_name}): no window painted or the app exited "
                f"({app.returncode}):\n{output[-3000:]}"
            ]
        wrong = platform_problems(record, platform_name)
        if wrong:
            return [f"gui ({platform_name}): " + "; ".join(wrong)]
        print(
            f"ok: gui ({record.get('platform')}, style {record.get('style')}) painted its "
            f"window {float(record['painted_at']) - launched:.2f} s after launch and stays up"
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


@contextlib.contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    """``name`` set in this process's environment, which a program the shell starts for us
    (Windows ShellExecute) inherits."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        found = subprocess.run(
            ["tasklist", "/FI", f"PID eq {pid}", "/NH"], capture_output=True, text=True
        )
        return str(pid) in found.stdout
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def end_process(pid: int) -> None:
    """End an app the desktop started for us (we hold no handle to it) and wait for it."""
    if sys.platform == "win32":
        subprocess.run(["taskkill", "/PID", str(pid), "/T", "/F"], capture_output=True)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if pid_alive(pid) and sys.platform != "win32":
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))


def open_document(how: str, document: Path, probe: Path, app: Path | None) -> None:
    """Hand ``document`` to the desktop as a user would: no command line of ours reaches the
    app, only the environment variable that makes it write the probe."""
    if sys.platform == "darwin":
        # -n: a new instance, so the probe's environment reaches it (open --env).
        argv = ["open", "-n", "--env", f"{PROBE_ENV}={probe}"]
        argv += ["-a", str(app)] if how == "app" and app is not None else []
        subprocess.run([*argv, str(document)], check=True, timeout=60)
    elif sys.platform == "win32" and how == "association":
        with environment(PROBE_ENV, str(probe)):
            os.startfile(str(document))  # type: ignore[attr-defined,unused-ignore]
    else:
        raise SystemExit(f"opening a document by {how} is not implemented on {sys.platform}")


def check_open_document(how: str, document: Path, work: Path, app: Path | None) -> list[str]:
    probe = work / f"opened-by-{how}.json"
    probe.unlink(missing_ok=True)
    label = f"open by {how}" + (f" ({app})" if how == "app" else "")
    try:
        open_document(how, document, probe, app)
    except (OSError, subprocess.SubprocessError) as exc:
        return [f"{label}: {exc}"]
    record = wait_for_probe(
        probe,
        lambda r: document.name in str(r.get("title") or ""),
        OPEN_TIMEOUT_S,
        lambda: True,
    )
    last = read_probe(probe)
    if last is not None and isinstance(last.get("pid"), int):
        end_process(last["pid"])
    if record is None:
        seen = "no window painted" if last is None else f"window title {last.get('title')!r}"
        return [f"{label}: {document.name} never reached the window ({seen})"]
    print(f"ok: {label}: the window shows {record.get('title')!r}")
    return []


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
    parser.add_argument(
        "--open-with-association",
        action="store_true",
        help="also open the saved report as a double-click does (installed apps only)",
    )
    parser.add_argument(
        "--open-with-app",
        type=Path,
        help="macOS: also open the saved report with `open -a APP`",
    )
    args = parser.parse_args()
    exe = args.executable.resolve()
    with tempfile.TemporaryDirectory(prefix="clearsight-smoke-") as tmp:
        work = Path(tmp)
        report = work / "smoke.clearsight-report"
        problems = check_version(exe) + check_run(exe, report, work / "smoke.pdf")
        gui = (args.gui_executable or args.executable).resolve()
        problems += check_gui(gui, work, args.gui_platform)
        if report.is_file():
            if args.open_with_app is not None:
                problems += check_open_document("app", report, work, args.open_with_app)
            if args.open_with_association:
                problems += check_open_document("association", report, work, None)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
