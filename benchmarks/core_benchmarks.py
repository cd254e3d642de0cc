"""Benchmarks of the diagnostic core in the censorship lab (issue 2).

Method: a fresh lab (client ─ censor ─ world namespaces, real dnsmasq, real TLS servers);
``clearsight run --profile <lab profile> --json <file>`` runs in the client namespace as
a new process each time. One warm-up run, then the median (and min/max) of N timed runs.
"run" is the engine's own duration from the report (start of checks to the answer);
"process" is the wall time of the whole command (Python start-up, imports, report
writing included). Peak RSS is the process's ru_maxrss.

Cases (targets from the issue):
  30 services, all blackholed (packets dropped), timeout_s = 4   run <= 2 x 4 + 1 = 9 s
  30 healthy services                                              run <= 1.5 s
  30 healthy services, 200 ms added round-trip time at the censor  run <= 2.5 s
  peak RSS of clearsight run                                       <= 80 MB

Needs root (network namespaces). Usage: .venv/bin/python benchmarks/core_benchmarks.py [-n 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.lab.lab import APP_PYTHON, Lab  # noqa: E402

MAXRSS = REPO / "benchmarks" / "maxrss.py"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def one_run(lab: Lab, profile: Path, out: Path) -> tuple[float, float, float, dict[str, Any]]:
    started = time.monotonic()
    proc = lab.run_client(
        [
            str(APP_PYTHON),
            str(MAXRSS),
            str(APP_PYTHON),
            "-m",
            "clearsight",
            "run",
            "--profile",
            str(profile),
            "--json",
            str(out),
            "--quiet",
        ],
        timeout=120,
    )
    wall = time.monotonic() - started
    rss_kb = 0.0
    for line in proc.stderr.splitlines():
        if line.startswith("maxrss_kb="):
            rss_kb = float(line.split("=", 1)[1])
    report = json.loads(out.read_text(encoding="utf-8"))
    return float(report["duration_s"]), wall, rss_kb / 1024.0, report


def measure(lab: Lab, profile: Path, runs: int, label: str) -> dict[str, Any]:
    out = lab.workdir / "bench.json"
    one_run(lab, profile, out)  # warm-up: page cache, .pyc files, lab conntrack
    durations, walls, rss = [], [], []
    report: dict[str, Any] = {}
    for _ in range(runs):
        duration, wall, peak, report = one_run(lab, profile, out)
        durations.append(duration)
        walls.append(wall)
        rss.append(peak)
    verdicts: dict[str, int] = {}
    for service in report.get("services", []):
        verdicts[service["verdict"]] = verdicts.get(service["verdict"], 0) + 1
    result = {
        "case": label,
        "run_median_s": round(statistics.median(durations), 3),
        "run_min_s": round(min(durations), 3),
        "run_max_s": round(max(durations), 3),
        "process_median_s": round(statistics.median(walls), 3),
        "peak_rss_mb": round(max(rss), 1),
        "status": report.get("summary", {}).get("status"),
        "verdicts": verdicts,
    }
    print(json.dumps(result), flush=True)
    return result


def build(lab: Lab, count: int) -> list[Any]:
    sites = [lab.add_site(f"svc{i:02d}.bench-lab.test") for i in range(count)]
    lab.start()
    return sites


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"method: median of {args.runs} warm runs after one warm-up; see the module doc")
    results = []
    with Lab(prefix="bench") as lab:
        sites = build(lab, 30)
        services = [site.service(f"s{i:02d}", name=f"Service {i}") for i, site in enumerate(sites)]
        healthy = lab.write_profile(services=services, timeout_s=4.0, deadline_s=30.0)
        results.append(measure(lab, healthy, args.runs, "30 healthy services"))
        lab.censor.delay(200)
        results.append(measure(lab, healthy, args.runs, "30 healthy, +200 ms RTT"))
        lab.censor.delay(0)
        lab.censor.drop(sites)
        results.append(measure(lab, healthy, args.runs, "30 blackholed, timeout_s=4"))
    targets = {
        "30 healthy services": 1.5,
        "30 healthy, +200 ms RTT": 2.5,
        "30 blackholed, timeout_s=4": 9.0,
    }
    print("\n| case | run (median, min–max) | process | peak RSS | target |")
    print("|---|---|---|---|---|")
    worst_rss = 0.0
    for r in results:
        worst_rss = max(worst_rss, r["peak_rss_mb"])
        ok = "met" if r["run_median_s"] <= targets[r["case"]] else "MISSED"
        print(
            f"| {r['case']} | {r['run_median_s']} s ({r['run_min_s']}–{r['run_max_s']}) "
            f"| {r['process_median_s']} s | {r['peak_rss_mb']} MB "
            f"| ≤ {targets[r['case']]} s: {ok} |"
        )
    print(
        f"\npeak RSS over all runs: {worst_rss} MB (target ≤ 80 MB: "
        f"{'met' if worst_rss <= 80 else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
