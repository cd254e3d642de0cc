"""Small reports for history tests: only the keys history reads (the shape of
``clearsight-report/1``), already redacted, so no test pays for a real diagnosis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NAMES = {"gmail": ("Gmail", "Gmail"), "slack": ("Slack", "Slack"), "baidu": ("Baidu", "百度")}
BASE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(hours: float) -> str:
    return (BASE + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(
    number: int,
    verdicts: dict[str, str],
    *,
    hours: float | None = None,
    profile: str = "Office",
    country: str = "CN",
    status: str = "ok",
    sensitive: tuple[str, ...] = (),
    padding: int = 0,
) -> dict[str, Any]:
    services = [
        {
            "id": sid,
            "name": NAMES.get(sid, (sid, sid))[0],
            "names": {"en": NAMES.get(sid, (sid, sid))[0], "zh_CN": NAMES.get(sid, (sid, sid))[1]},
            "verdict": verdict,
        }
        for sid, verdict in verdicts.items()
    ]
    plan = {
        "kind": "plan",
        "profile_name": profile,
        "country": country,
        "services": [
            {"id": sid, "urls": [f"https://{sid}.example/"], "sensitive": sid in sensitive}
            for sid in verdicts
        ],
    }
    observations: list[dict[str, Any]] = [plan]
    for sid in verdicts:
        observations.append({"kind": "dns", "name": f"{sid}.example", "addresses": ["192.0.2.1"]})
    if padding:
        observations.append({"kind": "http", "url": "https://pad.example/", "body": "x" * padding})
    return {
        "schema": "clearsight-report/1",
        "report_id": f"CS-TEST-{number:04d}",
        "started_at": at(number if hours is None else hours),
        "redacted": True,
        "language": "en",
        "summary": {"status": status},
        "profile": {"name": profile, "names": {"en": profile, "zh_CN": profile}},
        "network": {"exit_country": country},
        "services": services,
        "findings": [{"code": "selective_blocking", "subjects": list(verdicts)}],
        "observations": observations,
    }
