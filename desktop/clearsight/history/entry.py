"""What history keeps of one report: the redacted report, and a small summary of it.

``redacted(report)`` returns the report as ``clearsight run`` saves it by default (personal
values replaced by tokens, report/redact.py); a report built without redaction is built
again from its observations (tens of milliseconds: callers run it off the GUI thread).

Sensitive services (the profile's ``sensitive = true``, recorded in the run's plan) are
kept only under the consent that allowed probing them: ``without_services`` takes a
service out of a report (its entry, its name in findings, the observations of its hosts).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: Report keys that hold a host name in an observation.
_HOST_KEYS = ("name", "host", "server_name")


@dataclass(frozen=True)
class Entry:
    """The summary a history row keeps beside the report."""

    report_id: str
    started_at: str
    status: str
    profile: str
    services: dict[str, str]  # id -> verdict
    names: dict[str, dict[str, str]]  # id -> {language: name}


def _text(value: object, default: str = "", limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else default


def profile_name(report: Mapping[str, Any]) -> str:
    """The profile a run is kept under: its English name (the same in every language)."""
    profile = report.get("profile")
    name = ""
    if isinstance(profile, Mapping):
        names = profile.get("names")
        if isinstance(names, Mapping):
            name = _text(names.get("en"))
        name = name or _text(profile.get("name"))
    return name


def summary(report: Mapping[str, Any]) -> Entry:
    """The row's columns, read defensively (a report from a file may have any shape)."""
    summary_section = report.get("summary")
    status = _text(summary_section.get("status")) if isinstance(summary_section, Mapping) else ""
    services: dict[str, str] = {}
    names_by_id: dict[str, dict[str, str]] = {}
    for service in report.get("services") or ():
        if not isinstance(service, Mapping):
            continue
        service_id = _text(service.get("id"), limit=100)
        if not service_id:
            continue
        services[service_id] = _text(service.get("verdict"), "inconclusive", 40)
        names = service.get("names")
        shown = {
            str(lang): _text(name)
            for lang, name in (names.items() if isinstance(names, Mapping) else ())
            if isinstance(name, str)
        }
        shown.setdefault("en", _text(service.get("name")) or service_id)
        names_by_id[service_id] = shown
    return Entry(
        report_id=_text(report.get("report_id"), limit=60),
        started_at=_text(report.get("started_at"), limit=40),
        status=status or "inconclusive",
        profile=profile_name(report),
        services=services,
        names=names_by_id,
    )


def sensitive_services(report: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Sensitive service id -> the hosts of its URLs, from the run's plan."""
    found: dict[str, tuple[str, ...]] = {}
    for record in report.get("observations") or ():
        if not isinstance(record, Mapping) or record.get("kind") != "plan":
            continue
        for planned in record.get("services") or ():
            if isinstance(planned, Mapping) and planned.get("sensitive") is True:
                hosts = tuple(
                    (urlsplit(url).hostname or "").lower()
                    for url in planned.get("urls") or ()
                    if isinstance(url, str)
                )
                found[str(planned.get("id"))] = tuple(h for h in hosts if h)
    return found


def _mentions(record: Mapping[str, Any], hosts: Collection[str]) -> bool:
    for key in _HOST_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value.lower().rstrip(".") in hosts:
            return True
    url = record.get("url")
    if isinstance(url, str):
        return (urlsplit(url).hostname or "").lower() in hosts
    return False


def without_services(
    report: Mapping[str, Any], removed: Mapping[str, Collection[str]]
) -> dict[str, Any]:
    """A copy of *report* without the services in *removed* (id -> hosts)."""
    result = dict(report)
    if not removed:
        return result
    hosts = {h for values in removed.values() for h in values}
    result["services"] = [
        s
        for s in report.get("services") or ()
        if not (isinstance(s, Mapping) and s.get("id") in removed)
    ]
    findings = []
    for finding in report.get("findings") or ():
        if isinstance(finding, Mapping):
            finding = copy.deepcopy(dict(finding))
            subjects = [s for s in finding.get("subjects") or () if s not in removed]
            if finding.get("subjects") and not subjects:
                continue  # a finding only about removed services goes with them
            finding["subjects"] = subjects
        findings.append(finding)
    result["findings"] = findings
    observations = []
    for record in report.get("observations") or ():
        if isinstance(record, Mapping):
            if _mentions(record, hosts):
                continue
            if record.get("kind") == "plan":
                record = dict(record)
                record["services"] = [
                    s
                    for s in record.get("services") or ()
                    if not (isinstance(s, Mapping) and s.get("id") in removed)
                ]
        observations.append(record)
    result["observations"] = observations
    return result


def redacted(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report with personal values as tokens (built again when it was not redacted)."""
    if report.get("redacted") is True:
        return dict(report)
    from clearsight.probes.records import observation_from_json
    from clearsight.report.build import build_report, meta_from_report

    observations = tuple(
        observation_from_json(record)
        for record in report.get("observations") or ()
        if isinstance(record, Mapping)
    )
    return build_report(
        observations,
        meta_from_report(dict(report)),
        language=str(report.get("language") or "en"),
        redact=True,
    )
