"""Run the real command line in the lab's client namespace and read its JSON report."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearsight.probes.records import observation_from_json
from clearsight.report.build import build_report, meta_from_report
from tests.lab.lab import Lab
from tests.unit.presentation.rules import problems

# Set to a folder to keep every lab scenario's report there (tests/unit/presentation/lab/
# holds them, so the composition rules are tested over every lab scenario without a lab).
CAPTURE = os.environ.get("CLEARSIGHT_CAPTURE_REPORTS")


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
    outcome = Outcome(proc.returncode, report, proc.stdout, proc.stderr)
    check_composition(outcome)
    if CAPTURE:
        capture(report, Path(CAPTURE))
    return outcome


def check_composition(outcome: Outcome) -> None:
    """Every lab report keeps the composition rules (docs/design.md, "Presentation"), in
    both languages."""
    report = outcome.report
    observations = tuple(observation_from_json(o) for o in report["observations"])
    chinese = build_report(observations, meta_from_report(report), language="zh_CN", redact=False)
    for each in (report, chinese):
        found = problems(each)
        assert found == [], f"{each['language']}: {found}\n{outcome.explain()}"


def capture(report: dict[str, Any], folder: Path) -> None:
    test = os.environ.get("PYTEST_CURRENT_TEST", "scenario").split(" ")[0]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", test.split("::", 1)[-1]).strip("-")
    folder.mkdir(parents=True, exist_ok=True)
    index = len(list(folder.glob(f"{name}*.json")))
    path = folder / (f"{name}.json" if index == 0 else f"{name}-{index + 1}.json")
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


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
