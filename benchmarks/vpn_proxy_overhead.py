"""What the VPN and proxy checks add to a run on a healthy lab network (issue 3: <= 1 s).

Method: a fresh censorship lab (client ─ censor ─ world namespaces, real dnsmasq, real
TLS sites), 30 healthy services. In the client namespace a new Python process runs the
engine (``CheckRun``) on the same profile, alternately with the VPN and proxy checks on
and off (``vpn_checks=False`` leaves out the interface/route view, the proxy settings,
the fetches through the proxy and the VPN-server probes); "run" is the engine's own
duration (start of the checks to the answer). One warm-up of each, then the median (and
min/max) of N timed runs of each; the overhead is the difference of the medians.

Cases:
  plain      no proxy set, no VPN servers in the profile: what every run pays
             (running processes, interfaces and routes, proxy settings)
  full       a working HTTP proxy (tinyproxy) set through https_proxy, so each of the 30
             services is also fetched through it, and three VPN servers in the profile
             (OpenVPN over UDP and over TCP answering, WireGuard)

Needs root (network namespaces) and openvpn/tinyproxy.
Usage: .venv/bin/python benchmarks/vpn_proxy_overhead.py [-n 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.lab import tunnels  # noqa: E402
from tests.lab.lab import APP_PYTHON, Lab  # noqa: E402

from benchmarks.core_benchmarks import machine  # noqa: E402

RUNNER = """
import json, sys
sys.path.insert(0, {desktop!r})
from clearsight.engine.run import CheckRun
from clearsight.profile.loader import load_profile
profile = load_profile(sys.argv[1])
result = CheckRun(profile, vpn_checks=sys.argv[2] == "on").run()
print(json.dumps({{"duration": result.duration_s, "outcome": result.outcome,
                   "records": len(result.observations)}}))
"""
TARGET_S = 1.0


def one_run(lab: Lab, profile: Path, mode: str, env: dict[str, str | None]) -> dict[str, Any]:
    code = RUNNER.format(desktop=str(REPO / "desktop"))
    proc = lab.run_client(
        [str(APP_PYTHON), "-c", code, str(profile), mode], env=env, timeout=120, check=True
    )
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if data["outcome"] != "complete":
        raise SystemExit(f"a {mode} run did not complete: {data}")
    return data


def measure(
    lab: Lab, profile: Path, runs: int, label: str, env: dict[str, str | None]
) -> dict[str, Any]:
    for mode in ("off", "on"):
        one_run(lab, profile, mode, env)  # warm-up: page cache, .pyc files, conntrack
    times: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(runs):
        for mode in ("off", "on"):  # alternate, so a drift hits both alike
            times[mode].append(one_run(lab, profile, mode, env)["duration"])
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    result = {
        "case": label,
        "off_median_s": round(off, 3),
        "on_median_s": round(on, 3),
        "off_range_s": [round(min(times["off"]), 3), round(max(times["off"]), 3)],
        "on_range_s": [round(min(times["on"]), 3), round(max(times["on"]), 3)],
        "overhead_s": round(on - off, 3),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7)
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("at least 5 runs")
    missing = tunnels.tools_missing()
    if missing:
        raise SystemExit(f"needs {', '.join(missing)}")
    print(f"machine: {machine()}")
    print(
        f"method: engine duration, VPN/proxy checks on vs off, median of {args.runs} warm "
        "runs each after one warm-up, alternating; see the module doc"
    )
    results = []
    with Lab(prefix="benchvpn") as lab:
        sites = [lab.add_site(f"svc{i:02d}.bench-lab.test") for i in range(30)]
        vpn = lab.add_host("vpn.bench-lab.test")
        proxy_host = lab.add_host("proxy.bench-lab.test")
        lab.start()
        services = [site.service(f"s{i:02d}", name=f"Service {i}") for i, site in enumerate(sites)]
        plain = lab.write_profile(
            lab.workdir / "plain.clearsight", services=services, timeout_s=4.0, deadline_s=30.0
        )
        results.append(measure(lab, plain, args.runs, "plain", {}))
        tunnels.openvpn_server(lab, vpn, proto="udp", port=1194)
        tunnels.openvpn_server(lab, vpn, proto="tcp", port=443)
        proxy = tunnels.TinyProxy.start(lab, proxy_host)
        endpoints = [
            {"name": "UDP", "host": vpn.name, "port": 1194, "protocol": "openvpn-udp"},
            {"name": "TCP", "host": vpn.name, "port": 443, "protocol": "openvpn-tcp"},
            {"name": "WG", "host": vpn.name, "port": 51820, "protocol": "wireguard"},
        ]
        full = lab.write_profile(
            lab.workdir / "full.clearsight",
            services=services,
            timeout_s=4.0,
            deadline_s=30.0,
            extra={"vpn": {"endpoints": endpoints}},
        )
        env: dict[str, str | None] = {"https_proxy": f"http://{proxy.address}"}
        results.append(measure(lab, full, args.runs, "full", env))
    print("\n| case | checks off (median) | checks on (median) | added | target |")
    print("|---|---|---|---|---|")
    for r in results:
        ok = "met" if r["overhead_s"] <= TARGET_S else "MISSED"
        print(
            f"| {r['case']} | {r['off_median_s']} s | {r['on_median_s']} s "
            f"| {r['overhead_s']} s | ≤ {TARGET_S} s: {ok} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
