"""The report (schema ``clearsight-report/1``): observations, diagnosis and texts in one
JSON-ready dict. ``reload`` turns a saved report back into observations to diagnose again."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from clearsight import APP_NAME, __version__
from clearsight.diagnosis import Diagnosis, diagnose
from clearsight.explanations import catalog
from clearsight.probes.records import (
    Observation,
    RecordFormatError,
    observation_from_json,
    to_json,
)
from clearsight.report.redact import redact_report

SCHEMA = "clearsight-report/1"
MAX_REPORT_BYTES = 50 * 1024 * 1024
LAYER_ORDER = ("dns", "tcp", "tls", "http")


class ReportError(ValueError):
    """A saved report that cannot be read (the message names the file and the problem)."""


@dataclass(frozen=True)
class RunMeta:
    """What the report says about the run itself, kept when a report is rendered again."""

    profile_name: str
    support_contact: str | None
    started_at: str
    finished_at: str
    duration_s: float
    outcome: str = "complete"
    platform: dict[str, str] | None = None
    report_id: str | None = None


def platform_info() -> dict[str, str]:
    return {
        "os": platform.system(),
        "release": platform.release(),
        "python": platform.python_version(),
    }


def report_id_for(meta: RunMeta) -> str:
    """A short ID a support conversation can refer to (same report, same ID)."""
    digest = hashlib.sha256(
        f"{meta.started_at}|{meta.finished_at}|{meta.profile_name}".encode()
    ).hexdigest()
    return f"CS-{digest[:4].upper()}-{digest[4:8].upper()}"


def build_report(
    observations: tuple[Observation, ...],
    meta: RunMeta,
    *,
    language: str = "en",
    redact: bool = True,
    diagnosis: Diagnosis | None = None,
) -> dict[str, Any]:
    diagnosis = diagnosis or diagnose(observations)
    texts = catalog(language)
    report_id = meta.report_id or report_id_for(meta)
    summary_params = diagnosis.summary_params
    services = []
    for service in diagnosis.services:
        verdict_texts = texts.verdict(service.verdict, service.params)
        advice = texts.verdict(service.advice_verdict, service.params).advice
        services.append(
            {
                "id": service.id,
                "name": service.name,
                "group": service.group,
                "domestic": service.domestic,
                "path": service.path,
                "verdict": service.verdict,
                "via_proxy": service.via_proxy,
                "layers": {
                    layer: {
                        "status": service.layers[layer].status,
                        "failure": service.layers[layer].failure,
                    }
                    for layer in LAYER_ORDER
                    if layer in service.layers
                },
                "title": verdict_texts.title,
                "explanation": verdict_texts.explanation,
                "advice": advice,
                "evidence": service.evidence,
                "elapsed_ms": service.elapsed_ms,
            }
        )
    findings = []
    for finding in diagnosis.findings:
        finding_texts = texts.finding(finding.code, finding.params)
        findings.append(
            {
                "code": finding.code,
                "severity": finding.severity,
                "subjects": list(finding.subjects),
                "params": finding.params,
                "title": finding_texts.title,
                "explanation": finding_texts.explanation,
                "advice": finding_texts.advice,
            }
        )
    advice_lines = _summary_advice(diagnosis, texts, summary_params)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "report_id": report_id,
        "app": {"name": APP_NAME, "version": __version__},
        "diagnosis_version": diagnosis.version,
        "language": texts.language,
        "profile": {"name": meta.profile_name, "support_contact": meta.support_contact},
        "started_at": meta.started_at,
        "finished_at": meta.finished_at,
        "duration_s": meta.duration_s,
        "outcome": meta.outcome,
        "platform": meta.platform or platform_info(),
        "redacted": False,
        "summary": {
            "status": diagnosis.status,
            "headline": texts.headline(diagnosis.status, summary_params),
            "advice": advice_lines,
        },
        "network": diagnosis.network,
        "vpn": {"active": None, "interface": None, "clients": [], "endpoints": []},
        "services": services,
        "findings": findings,
        "observations": [to_json(o) for o in observations],
    }
    if redact:
        report = redact_report(report)
    return report


def _summary_advice(diagnosis: Diagnosis, texts: Any, params: dict[str, Any]) -> list[str]:
    """What to do, most important first, without repeats."""
    lines: list[str] = []
    problems = [f for f in diagnosis.findings if f.severity == "problem"]
    for finding in problems:
        lines.append(texts.finding(finding.code, finding.params).advice)
    if diagnosis.status in ("offline", "captive_portal") and lines:
        return lines[:1]
    if not lines:
        lines.append(texts.summary_advice(diagnosis.status, params))
    for service in diagnosis.services:
        if service.verdict not in ("reachable", "inconclusive"):
            lines.append(texts.verdict(service.advice_verdict, service.params).advice)
    unique = [line for line in dict.fromkeys(lines) if line]
    return unique[:5]


def meta_from_report(report: dict[str, Any]) -> RunMeta:
    profile = report.get("profile") or {}
    return RunMeta(
        profile_name=str(profile.get("name") or ""),
        support_contact=profile.get("support_contact")
        if isinstance(profile.get("support_contact"), str)
        else None,
        started_at=str(report.get("started_at") or ""),
        finished_at=str(report.get("finished_at") or ""),
        duration_s=float(report.get("duration_s") or 0.0),
        outcome=str(report.get("outcome") or "complete"),
        platform=report.get("platform") if isinstance(report.get("platform"), dict) else None,
        report_id=str(report["report_id"]) if isinstance(report.get("report_id"), str) else None,
    )


def load_report(path: Path) -> tuple[dict[str, Any], tuple[Observation, ...]]:
    """Read a saved report (JSON, or an HTML report with the JSON embedded)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReportError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if size > MAX_REPORT_BYTES:
        raise ReportError(f"{path}: too large for a report ({size} bytes)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a Clearsight report (not UTF-8 text)") from None
    text = _embedded_json(text)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = f"line {exc.lineno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ReportError(
            f"{path}: not a Clearsight report (invalid JSON {detail})".strip()
        ) from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a Clearsight report (expected a JSON object)")
    schema = data.get("schema")
    if schema != SCHEMA:
        raise ReportError(
            f"{path}: not a Clearsight report (schema {schema!r}, expected {SCHEMA!r})"
        )
    items = data.get("observations")
    if not isinstance(items, list):
        raise ReportError(f"{path}: the report holds no observations to diagnose")
    observations: list[Observation] = []
    for index, item in enumerate(items):
        try:
            observations.append(observation_from_json(item))
        except (RecordFormatError, TypeError, ValueError) as exc:
            raise ReportError(f"{path}: observation {index + 1} is damaged ({exc})") from None
    return data, tuple(observations)


def _embedded_json(text: str) -> str:
    """The JSON inside an HTML report's ``<script type="application/json">`` block."""
    marker = 'id="clearsight-report"'
    if marker not in text[:200000] and not text.lstrip().startswith("<"):
        return text
    start = text.find(marker)
    if start < 0:
        return text
    open_end = text.find(">", start)
    close = text.find("</script>", open_end)
    if open_end < 0 or close < 0:
        return text
    return text[open_end + 1 : close]


def now_iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def python_info() -> str:
    return sys.version.split()[0]
