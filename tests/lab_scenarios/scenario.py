"""Run the real command line in the lab's client namespace and read its JSON report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.lab.lab import Lab


@dataclass
class Outcome:
    exit_code: int
    report: dict[str, Any]
    stdout: str
    stderr: str

    @property
    def status(self) -> str:
        return str(self.report["summary"]["status"])

    def verdict(self, service_id: str) -> str:
        return str(self.service(service_id)["verdict"])

    def service(self, service_id: str) -> dict[str, Any]:
        for service in self.report["services"]:
            if service["id"] == service_id:
                return dict(service)
        raise KeyError(f"no service {service_id!r} in {[s['id'] for s in self.report['services']]}")

    def finding(self, code: str) -> dict[str, Any] | None:
        return next((f for f in self.report["findings"] if f["code"] == code), None)

    @property
    def codes(self) -> set[str]:
        return {f["code"] for f in self.report["findings"]}

    def explain(self) -> str:
        """What to print when an assertion fails."""
        rows = [
            f"{s['id']}: {s['verdict']} ({s.get('evidence', {}).get('reason')})"
            for s in self.report["services"]
        ]
        rows += [f"finding {f['code']} {f['subjects']}" for f in self.report["findings"]]
        rows += [
            f"{o['kind']} {o.get('server_name', o.get('host', ''))} {o.get('address', '')} "
            f"{o.get('failure')} at {o.get('started_s')}"
            for o in self.report["observations"]
            if o["kind"] in ("tcp", "tls", "http")
        ]
        return (
            f"exit {self.exit_code}, status {self.status}, findings {sorted(self.codes)}\n"
            + "\n".join(rows)
            + "\n"
            + self.stderr[-2000:]
        )


def run(
    lab: Lab,
    services: list[dict[str, Any]],
    *,
    args: tuple[str, ...] = (),
    env: dict[str, str | None] | None = None,
    clock_offset_days: float | None = None,
    timeout: float = 90.0,
    **profile: Any,
) -> Outcome:
    profile.setdefault("timeout_s", 2.0)
    path = lab.write_profile(services=services, **profile)
    out = Path(lab.workdir) / f"report-{len(list(Path(lab.workdir).glob('report-*')))}.json"
    proc = lab.run_clearsight(
        ["run", "--profile", str(path), "--json", str(out), "--no-redact", *args],
        env=env,
        clock_offset_days=clock_offset_days,
        timeout=timeout,
    )
    if not out.exists():
        raise AssertionError(f"no report written (exit {proc.returncode}):\n{proc.stderr}")
    report = json.loads(out.read_text(encoding="utf-8"))
    _check_typed_result(report)
    return Outcome(proc.returncode, report, proc.stdout, proc.stderr)


def _check_typed_result(report: dict[str, Any]) -> None:
    """The saved report opens to the identical typed result, and that is what its
    observations diagnose to (the run is not redacted: one diagnosis made both)."""
    from clearsight.diagnosis import diagnose
    from clearsight.probes.records import observation_from_json
    from clearsight.report.codec import read_diagnosis

    opened = read_diagnosis(report)
    again = diagnose([observation_from_json(o) for o in report["observations"]])
    if opened != again:
        raise AssertionError(
            f"the saved result differs from its observations' diagnosis:\n{opened}\n{again}"
        )
