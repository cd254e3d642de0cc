"""Benchmarks of the diagnostic core in the censorship lab: what users get (issue 12).

Method: a fresh lab (client ─ censor ─ world namespaces, real dnsmasq, real TLS servers);
``clearsight run --profile <lab profile> --json <file>`` runs in the client namespace as
a new process each time. One warm-up run, then the median (and min/max) of N timed runs.
"run" is the engine's own duration from the report (start of checks to the answer);
"process" is the wall time of the whole command (Python start-up, imports, diagnosis and
report writing included). Peak RSS is the process's ru_maxrss.

Every profile has the shape of the built-in default (docs/design.md, "Measuring"): plain
resolvers (a domestic and a foreign one), a DNS-over-HTTPS reference, DNS-injection probes
(hosts that run no DNS server), captive-portal and exit checks, and domestic controls
among the services.

Cases and targets:
  30 healthy services, timeout_s = 4                          run <= 1.0 s, process <= 1.5 s
  the same, 200 ms added round-trip time at the censor         run <= 1.5 s
  the same 30 services blackholed (packets dropped), 4 s       run <= 1.25 x 4 = 5.0 s
  30 healthy, 8 of them redirecting to a host of their own     run <= 1.0 s, process <= 1.5 s
  the same, 200 ms added round-trip time                       run <= 1.5 s + 5 round trips
  the default profile's own services on a simulated Great      run <= 1.3 x 5 = 6.5 s,
  Firewall (tests/lab/great_firewall.py: on-path DNS           every verdict right
  injection, SNI resets, blackholed addresses, dropped DoH),
  timeout_s = 5
  peak RSS of clearsight run                                   <= 80 MB

Needs root (network namespaces).
Usage: .venv/bin/python benchmarks/core_benchmarks.py [-n 5]
       [--case healthy|delay|blackholed|redirects|redirects-delay|gfw]
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

from tests.lab import great_firewall  # noqa: E402
from tests.lab.lab import APP_PYTHON, Lab, Route, Site  # noqa: E402

MAXRSS = REPO / "benchmarks" / "maxrss.py"
SERVICES = 30
DOMESTIC = 6  # about the default profile's share (8 of 55)
HEALTHY_TIMEOUT_S = 4.0
GFW_TIMEOUT_S = 5.0


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
            "--no-redact",
        ],
        timeout=180,
    )
    wall = time.monotonic() - started
    rss_kb = 0.0
    for line in proc.stderr.splitlines():
        if line.startswith("maxrss_kb="):
            rss_kb = float(line.split("=", 1)[1])
    report = json.loads(out.read_text(encoding="utf-8"))
    return float(report["duration_s"]), wall, rss_kb / 1024.0, report


def measure(
    lab: Lab,
    profile: Path,
    runs: int,
    label: str,
    expected: dict[str, str] | None = None,
) -> dict[str, Any]:
    out = lab.workdir / "bench.json"
    one_run(lab, profile, out)  # warm-up: page cache, lab conntrack
    durations, walls, rss = [], [], []
    wrong: dict[str, tuple[str, str]] = {}
    report: dict[str, Any] = {}
    for _ in range(runs):
        duration, wall, peak, report = one_run(lab, profile, out)
        durations.append(duration)
        walls.append(wall)
        rss.append(peak)
        got = {s["id"]: s["verdict"] for s in report.get("services", [])}
        for sid, want in (expected or {}).items():
            if got.get(sid) != want:
                wrong[sid] = (got.get(sid) or "missing", want)
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
        "wrong_verdicts": wrong,
    }
    print(json.dumps(result), flush=True)
    return result


def default_shaped_profile(lab: Lab, sites: list[Site], timeout_s: float) -> Path:
    """The default profile's shape around ``sites`` (the first DOMESTIC are controls)."""
    check = lab.add_site("check.bench-lab.test", routes={"/generate_204": Route(204)})
    trace = lab.add_site("trace.bench-lab.test")
    probes = [lab.add_host(), lab.add_host()]
    lab.start()
    services = [
        site.service(f"s{i:02d}", name=f"Service {i}", domestic=i < DOMESTIC)
        for i, site in enumerate(sites)
    ]
    resolvers = [
        *lab.profile_resolvers(),
        {"name": "Lab domestic resolver", "address": lab.system_resolver_addresses[0]},
    ]
    return lab.write_profile(
        services=services,
        timeout_s=timeout_s,
        deadline_s=60.0,
        injection_probes=probes,
        captive_checks=[{"url": check.http_url + "generate_204", "expect_status": 204}],
        exit_check=trace.url + "cdn-cgi/trace",
        extra={"resolvers": resolvers},
    )


def healthy_cases(runs: int, wanted: set[str]) -> list[dict[str, Any]]:
    results = []
    with Lab(prefix="bench") as lab:
        sites = [lab.add_site(f"svc{i:02d}.bench-lab.test") for i in range(SERVICES)]
        profile = default_shaped_profile(lab, sites, HEALTHY_TIMEOUT_S)
        if "healthy" in wanted:
            results.append(measure(lab, profile, runs, "30 healthy services"))
        if "delay" in wanted:
            lab.censor.delay(200)
            results.append(measure(lab, profile, runs, "30 healthy, +200 ms RTT"))
            lab.censor.delay(0)
        if "blackholed" in wanted:
            lab.censor.drop(sites)
            results.append(measure(lab, profile, runs, "30 blackholed, timeout_s=4"))
    return results


def redirect_cases(runs: int, wanted: set[str]) -> list[dict[str, Any]]:
    """The healthy case, but every third foreign service's page redirects to a host of its
    own (twitter.com to x.com): what following a redirect chain costs."""
    results = []
    with Lab(prefix="benchredir") as lab:
        sites = []
        for i in range(SERVICES):
            name = f"svc{i:02d}.bench-lab.test"
            if i >= DOMESTIC and i % 3 == 0:
                target = lab.add_site(f"next{i:02d}.bench-lab.test")
                sites.append(lab.add_site(name, redirect=target.url))
            else:
                sites.append(lab.add_site(name))
        profile = default_shaped_profile(lab, sites, HEALTHY_TIMEOUT_S)
        if "redirects" in wanted:
            results.append(measure(lab, profile, runs, REDIRECTS_CASE))
        if "redirects-delay" in wanted:
            lab.censor.delay(200)
            results.append(measure(lab, profile, runs, REDIRECTS_DELAY_CASE))
            lab.censor.delay(0)
    return results


def gfw_case(runs: int) -> dict[str, Any]:
    with Lab(prefix="benchgfw") as lab:
        gfw = great_firewall.build(lab, timeout_s=GFW_TIMEOUT_S)
        return measure(
            lab,
            gfw.profile_path,
            runs,
            "default profile, simulated GFW, timeout_s=5",
            expected=gfw.expected,
        )


REDIRECTS_CASE = "30 healthy, 8 redirect to another host"
REDIRECTS_DELAY_CASE = "the same, +200 ms RTT"
TARGETS: dict[str, tuple[float, float | None]] = {  # case: (run, process)
    "30 healthy services": (1.0, 1.5),
    REDIRECTS_CASE: (1.0, 1.5),
    "30 healthy, +200 ms RTT": (1.5, None),
    # A new host costs what a browser pays too: a lookup, the connect (with the control
    # handshake first), the handshake with its name and the request, five round trips.
    REDIRECTS_DELAY_CASE: (1.5 + 5 * 0.2, None),
    "30 blackholed, timeout_s=4": (1.25 * HEALTHY_TIMEOUT_S, None),
    "default profile, simulated GFW, timeout_s=5": (1.3 * GFW_TIMEOUT_S, None),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=5)
    parser.add_argument(
        "--case",
        action="append",
        choices=["healthy", "delay", "blackholed", "redirects", "redirects-delay", "gfw"],
        help="run only these cases (repeatable; default: all)",
    )
    args = parser.parse_args()
    wanted = set(
        args.case or ["healthy", "delay", "blackholed", "redirects", "redirects-delay", "gfw"]
    )
    print(f"machine: {machine()}")
    print(f"method: median of {args.runs} warm runs after one warm-up; see the module doc")
    results = (
        healthy_cases(args.runs, wanted) if wanted & {"healthy", "delay", "blackholed"} else []
    )
    if wanted & {"redirects", "redirects-delay"}:
        results += redirect_cases(args.runs, wanted)
    if "gfw" in wanted:
        results.append(gfw_case(args.runs))
    print("\n| case | run (median, min–max) | process | peak RSS | target |")
    print("|---|---|---|---|---|")
    worst_rss = 0.0
    for r in results:
        worst_rss = max(worst_rss, r["peak_rss_mb"])
        run_target, process_target = TARGETS[r["case"]]
        met = r["run_median_s"] <= run_target and (
            process_target is None or r["process_median_s"] <= process_target
        )
        target = f"run ≤ {run_target:g} s" + (
            f", process ≤ {process_target:g} s" if process_target else ""
        )
        if r["wrong_verdicts"]:
            met = False
            target += f"; WRONG verdicts {r['wrong_verdicts']}"
        print(
            f"| {r['case']} | {r['run_median_s']} s ({r['run_min_s']}–{r['run_max_s']}) "
            f"| {r['process_median_s']} s | {r['peak_rss_mb']} MB "
            f"| {target}: {'met' if met else 'MISSED'} |"
        )
    print(
        f"\npeak RSS over all runs: {worst_rss} MB (target ≤ 80 MB: "
        f"{'met' if worst_rss <= 80 else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
