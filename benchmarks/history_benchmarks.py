"""Benchmarks of history (issue 13): writing a run, reading 1,000 runs, the window opening.

Method: a fresh data folder (``CLEARSIGHT_DATA_DIR``). The report is a real one: the GUI
tests' "blocked" scenario of the built-in profile (55 services, ~240 kB of JSON), already
redacted, as ``clearsight run`` has it. "write" is ``HistoryStore.record`` (the median of
N runs once 1,000 runs are kept: summary, network id, compression, one transaction,
pruning); "history" is the whole ``clearsight history --json`` command in a new process
over 1,000 runs (Python start-up included), median of 5; "window" is the time to create
and show the main window (offscreen Qt), best of 5, with an empty history and with 1,000
runs kept.

Targets: write <= 20 ms; history over 1,000 runs <= 0.3 s; the window opens no slower.
Usage: .venv/bin/python benchmarks/history_benchmarks.py [-n 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _report() -> dict[str, object]:
    from tests.gui.scenarios import blocked

    from clearsight.report.build import RunMeta, build_report

    meta = RunMeta(
        profile_name="Benchmark",
        support_contact=None,
        started_at="2026-12-01T09:00:00Z",
        finished_at="2026-12-01T09:00:09Z",
        duration_s=9.0,
    )
    return build_report(blocked(), meta, redact=True)


def _window_open_s() -> float:
    code = (
        "import os, time; os.environ['QT_QPA_PLATFORM']='offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from PySide6.QtCore import QSettings\n"
        "app = QApplication([])\n"
        "from clearsight.gui.settings import AppSettings\n"
        "from clearsight.gui.main_window import MainWindow\n"
        "import tempfile\n"
        "s = AppSettings(QSettings(tempfile.mktemp(suffix='.ini'), QSettings.Format.IniFormat))\n"
        "best = 1e9\n"
        "for _ in range(5):\n"
        "    t = time.perf_counter(); w = MainWindow(s); w.show(); app.processEvents()\n"
        "    best = min(best, time.perf_counter() - t); w.close(); w.deleteLater()\n"
        "print(best)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args()
    os.environ["CLEARSIGHT_DATA_DIR"] = tempfile.mkdtemp(prefix="clearsight-bench-")
    from clearsight.history import HistorySettings, HistoryStore, open_history

    window_empty = _window_open_s()
    report = _report()
    history = open_history(HistorySettings())
    assert isinstance(history, HistoryStore)
    started = time.perf_counter()
    for number in range(1000):
        report["report_id"] = f"CS-BENCH-{number:04d}"
        report["started_at"] = f"2026-12-01T09:{number // 60 % 60:02d}:{number % 60:02d}Z"
        history.record(report)
    fill_s = time.perf_counter() - started
    writes = []
    for number in range(args.n):
        report["report_id"] = f"CS-BENCH-W{number:04d}"
        report["started_at"] = f"2026-12-02T10:00:{number % 60:02d}Z"
        result = history.record(report)
        assert result.saved
        writes.append(result.elapsed_ms)
    command = [sys.executable, "-m", "clearsight", "history", "--json", "--limit", "1000"]
    reads = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, timeout=60)
        reads.append(time.perf_counter() - t)
    window_full = _window_open_s()
    size_mb = sum(p.stat().st_size for p in history.folder.iterdir()) / 1e6
    print(f"report: {len(str(report)) // 1000} kB of JSON, {len(report['services'])} services")  # type: ignore[arg-type]
    print(f"fill 1000 runs: {fill_s:.1f} s; database {size_mb:.1f} MB")
    print(
        f"write a run: median {statistics.median(writes):.1f} ms "
        f"(min {min(writes):.1f}, max {max(writes):.1f})  target <= 20 ms"
    )
    print(
        f"clearsight history --json over 1000 runs: median {statistics.median(reads):.2f} s "
        f"(min {min(reads):.2f}, max {max(reads):.2f})  target <= 0.3 s"
    )
    print(f"window open: empty {window_empty * 1000:.0f} ms, 1000 runs {window_full * 1000:.0f} ms")


if __name__ == "__main__":
    main()
