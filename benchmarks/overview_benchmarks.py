"""Benchmark of IT's overview (issue 13): ``clearsight summarize`` over 1,000 reports.

Method: 1,000 files are written to a temporary folder by tests/unit/overview/reports.py
``fleet``: real reports of the built-in default profile (55 services; built by
report.build from the recorded observations of tests/gui/scenarios.py, a network like
China's and one where everything works), a third in Chinese, one in ten as HTML, each
with its own start time, ID and three verdicts changed, and one file in fifty hostile
(truncated, not JSON, binary, empty, 8 MB + 1 byte, nested 100,000 deep, a million empty
objects, wrong types, wrong schema, UTF-16, HTML without or with half a report). About
0.35 MB a JSON report, 0.46 MB an HTML one.

``clearsight summarize FOLDER --json --csv --html`` then runs as a new process N times
(after one warm-up run that also fills the page cache); "process" is the wall time of the
whole command (start-up and imports included), peak RSS its ru_maxrss.

Targets: process <= 10 s, peak RSS <= 150 MB.
Usage: .venv/bin/python benchmarks/overview_benchmarks.py [-n 3] [--reports 1000]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.unit.overview.reports import fleet  # noqa: E402

from benchmarks.core_benchmarks import machine  # noqa: E402

MAXRSS = REPO / "benchmarks" / "maxrss.py"
TARGET_S = 10.0
TARGET_MB = 150.0


def one_run(folder: Path, out: Path) -> tuple[float, float, dict[str, object]]:
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            str(MAXRSS),
            sys.executable,
            "-m",
            "clearsight",
            "summarize",
            str(folder),
            "--json",
            str(out / "summary.json"),
            "--csv",
            str(out / "summary.csv"),
            "--html",
            str(out / "summary.html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"summarize failed ({proc.returncode}): {proc.stderr[-2000:]}")
    match = re.search(r"maxrss_kb=(\d+)", proc.stderr)
    peak_mb = int(match.group(1)) / 1024 if match else float("nan")
    return elapsed, peak_mb, json.loads((out / "summary.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3)
    parser.add_argument("--reports", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="clearsight-overview-") as tmp:
        folder = Path(tmp) / "reports"
        out = Path(tmp) / "out"
        out.mkdir()
        started = time.monotonic()
        files = fleet(folder, args.reports)
        size = sum(p.stat().st_size for p in files if p.is_file() and "huge" not in p.name)
        print(
            f"wrote {len(files)} files ({size / 2**20:.0f} MB without the sparse 8 MB one) "
            f"in {time.monotonic() - started:.1f} s",
            file=sys.stderr,
        )
        one_run(folder, out)  # warm-up
        times, peaks = [], []
        summary: dict[str, object] = {}
        for _ in range(args.n):
            elapsed, peak, summary = one_run(folder, out)
            times.append(elapsed)
            peaks.append(peak)
        unreadable = summary["unreadable"]
        assert isinstance(unreadable, list)
        result = {
            "machine": machine(),
            "files": len(files),
            "reports_read": summary["reports"],
            "not_counted": len(unreadable),
            "process_s": {
                "median": round(statistics.median(times), 2),
                "min": round(min(times), 2),
                "max": round(max(times), 2),
            },
            "peak_rss_mb": round(max(peaks), 1),
            "targets": {"process_s": TARGET_S, "peak_rss_mb": TARGET_MB},
            "met": statistics.median(times) <= TARGET_S and max(peaks) <= TARGET_MB,
        }
        print(json.dumps(result, indent=1))
        return 0 if result["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
