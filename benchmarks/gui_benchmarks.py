"""Figures of the desktop app: time until the window is on screen, idle memory, and the
longest the event loop is held up during a run.

    .venv/bin/python benchmarks/gui_benchmarks.py          # starts itself under xvfb-run

Method (docs/design.md, "Measuring"): warm runs (one discarded first), the median of at least
five, the machine printed beside the figures.

* Start-up: ``python -m clearsight gui`` from the source install, on an Xvfb screen (Qt's
  xcb platform), settings in a fresh folder with the first-start notice already agreed
  to. The app writes the time of its window's first paint (``CLEARSIGHT_STARTUP_PROBE``);
  the figure is that time minus the moment the process was launched.
* Idle memory: the resident set (RSS) of the same process 5 s after its first paint,
  the engine's imports warmed up and nothing running.
* Stall: a run of the built-in profile (55 services, 66 checks) replayed by the recorded
  engine of the GUI tests, all 66 checks finishing within 0.7 s (a real run spreads them
  over 5-60 s), with a 10 ms heartbeat timer, in a new process whose imports were warmed
  up as the app's are once its window is shown; the figure is the longest gap between
  two heartbeats (offscreen).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 6  # the first is discarded


def _under_xvfb() -> int:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print("xvfb-run is missing (Debian: apt-get install xvfb)", file=sys.stderr)
        return 2
    return subprocess.call(
        [xvfb, "-a", "-s", "-screen 0 1920x1080x24", sys.executable, __file__, *sys.argv[1:]],
        env={**os.environ, "CLEARSIGHT_BENCH_XVFB": "1"},
    )


def _fresh_config() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="clearsight-bench-"))
    conf = folder / "Clearsight" / "Clearsight.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[consent]\nacknowledged=true\n[ui]\nlanguage=en\n", encoding="utf-8")
    return folder


def start_once() -> tuple[float, float]:
    """(seconds from launch to the first paint, RSS in MB 5 s later)."""
    import psutil

    config = _fresh_config()
    probe = config / "painted.json"
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(config),
        "QT_QPA_PLATFORM": "xcb",
        "CLEARSIGHT_STARTUP_PROBE": str(probe),
    }
    launched = time.time()
    process = subprocess.Popen(
        [sys.executable, "-m", "clearsight", "gui"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not probe.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the window never appeared")
            time.sleep(0.005)
        time.sleep(0.05)
        painted = json.loads(probe.read_text())["painted_at"]
        time.sleep(5)
        rss = psutil.Process(process.pid).memory_info().rss / 2**20
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(config, ignore_errors=True)
    return painted - launched, rss


def stall_once() -> float:
    """The longest heartbeat gap in ms during one replayed run (a child process)."""
    code = r"""
import sys, time, tempfile
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/desktop"]
from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from clearsight.gui.app import create_application, warm_up_imports
from clearsight.gui.main_window import MainWindow
from clearsight.gui.settings import AppSettings
from tests.gui import scenarios
from tests.gui.recorded_engine import recorded_engine
app = create_application()
store = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
settings = AppSettings(store)
settings.consent_acknowledged = True
window = MainWindow(settings, engine=recorded_engine(scenarios.blocked(), step_s=0.01))
window.resize(1000, 800); window.show(); window.load_profile(None)
warm_up_imports()  # as the app does once its window is up
loop = QEventLoop(); QTimer.singleShot(1500, loop.quit); loop.exec()
gaps = []; last = [time.perf_counter()]
def beat():
    now = time.perf_counter(); gaps.append(now - last[0]); last[0] = now
timer = QTimer(); timer.setTimerType(Qt.TimerType.PreciseTimer); timer.timeout.connect(beat)
window.run_ended.connect(lambda state: QTimer.singleShot(150, loop.quit))
def go():
    last[0] = time.perf_counter(); timer.start(10); window.start_checks(consented=True)
QTimer.singleShot(0, go); loop.exec()
print(max(gaps) * 1000)
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from PySide6 import __version__ as pyside
    from PySide6.QtCore import qVersion

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Qt {qVersion()}, PySide6 {pyside}"
    )


def main() -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("CLEARSIGHT_BENCH_XVFB"):
        return _under_xvfb()
    sys.path[:0] = [str(REPO), str(REPO / "desktop")]
    print(f"machine: {machine()}")
    starts: list[float] = []
    rss: list[float] = []
    for index in range(RUNS):
        seconds, megabytes = start_once()
        if index:
            starts.append(seconds)
            rss.append(megabytes)
    stalls = [stall_once() for _ in range(RUNS)][1:]
    print(
        f"window visible after launch: median {statistics.median(starts):.2f} s "
        f"(min {min(starts):.2f}, max {max(starts):.2f}; {len(starts)} warm runs)"
    )
    print(
        f"idle RSS 5 s after start: median {statistics.median(rss):.0f} MB "
        f"(min {min(rss):.0f}, max {max(rss):.0f})"
    )
    print(
        f"longest event-loop stall during a run: median {statistics.median(stalls):.0f} ms "
        f"(min {min(stalls):.0f}, max {max(stalls):.0f}; {len(stalls)} runs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
