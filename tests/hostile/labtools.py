"""Helpers for the hostile lab tests: run the CLI in a lab and read what it did."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.lab import netns
from tests.lab.lab import Lab


@dataclass
class LabRun:
    exit_code: int
    seconds: float
    report: dict[str, Any] | None
    stdout: str
    stderr: str

    def verdicts(self) -> dict[str, str]:
        assert self.report is not None, self.stderr
        return {s["id"]: s["verdict"] for s in self.report["services"]}

    def explain(self) -> str:
        if self.report is None:
            return f"exit {self.exit_code}, no report\n{self.stderr[-3000:]}"
        rows = [
            f"{o['kind']} {o.get('role', '')} {o.get('name', o.get('address', ''))} "
            f"{o.get('failure')} replies={len(o.get('replies', []))}"
            for o in self.report["observations"]
            if o["kind"] in ("dns", "doh", "tcp", "tls", "http", "unfinished")
        ]
        return (
            f"exit {self.exit_code} in {self.seconds:.1f} s, status "
            f"{self.report['summary']['status']}, verdicts {self.verdicts()}\n"
            + "\n".join(rows[:60])
            + "\n"
            + self.stderr[-2000:]
        )


def set_client_resolvers(lab: Lab, *servers: str) -> None:
    """What the client's /etc/resolv.conf says from now on (``ip netns exec`` mounts
    /etc/netns/<ns>/resolv.conf over it); no servers: an empty file, no resolver at all."""
    path = netns.ETC_NETNS / lab.client_ns / "resolv.conf"
    path.write_text("".join(f"nameserver {s}\n" for s in servers))


def run_cli(
    lab: Lab,
    services: list[dict[str, Any]],
    *,
    timeout_s: float = 2.0,
    deadline_s: float = 8.0,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str | None] | None = None,
    argv_prefix: tuple[str, ...] = (),
    **profile: Any,
) -> LabRun:
    """``clearsight run`` in the client namespace with a profile naming only lab hosts."""
    path = lab.write_profile(
        services=services, timeout_s=timeout_s, deadline_s=deadline_s, **profile
    )
    path.chmod(0o644)
    out = Path(lab.workdir) / f"hostile-{time.monotonic_ns()}.json"
    started = time.monotonic()
    args = ["run", "--profile", str(path), "--json", str(out), "--no-redact", *extra_args]
    if argv_prefix:
        from tests.lab.lab import APP_PYTHON

        proc = lab.run_client(
            [*argv_prefix, str(APP_PYTHON), "-m", "clearsight", *args],
            env=env,
            timeout=deadline_s + 30,
        )
    else:
        proc = lab.run_clearsight(args, env=env, timeout=deadline_s + 30)
    seconds = time.monotonic() - started
    report = json.loads(out.read_text("utf-8")) if out.exists() else None
    return LabRun(proc.returncode, seconds, report, proc.stdout, proc.stderr)
