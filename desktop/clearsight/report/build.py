"""The report (schema ``clearsight-report/1``): observations, diagnosis and texts in one
JSON-ready dict. ``load_report`` turns a saved report (JSON, or the HTML report with the
JSON embedded) back into observations to diagnose again."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from clearsight import APP_NAME, __version__
from clearsight.diagnosis import Diagnosis, Finding, ServiceVerdict, diagnose
from clearsight.explanations import LANGUAGES, Catalog, Phrase, catalog
from clearsight.explanations.file_problems import FileError
from clearsight.explanations.file_problems import file_problem as _p
from clearsight.presentation.summary import Action, compose_summary
from clearsight.probes.records import (
    NetworkEnvironment,
    Observation,
    RecordFormatError,
    RunPlan,
    observation_from_json,
    to_json,
)
from clearsight.report.codec import (
    finding_json,
    network_json,
    service_json,
    vpn_json,
)
from clearsight.report.html import EMBED_TAG
from clearsight.report.redact import (
    RedactionOptions,
    collect,
    machine_identity,
    merge_summaries,
)
from clearsight.report.view import as_dict

SCHEMA = "clearsight-report/1"
MAX_REPORT_BYTES = 50 * 1024 * 1024
LAYER_ORDER = ("dns", "tcp", "tls", "http")
# Params whose values are names of services: said in the report's language.
SERVICE_NAME_PARAMS = frozenset({"service", "services", "blocked"})


class ReportError(FileError, ValueError):
    """A saved report that cannot be read: one sentence naming the file and the problem, in
    any language (:meth:`message`); ``str()`` is the English."""

    def __init__(self, path: Path, problem: Phrase) -> None:
        super().__init__(str(path), problem)


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
    # What an earlier redaction removed ((class, count), ...): kept when a redacted
    # report is rendered again, since its tokens no longer show the values.
    redactions: tuple[tuple[str, int], ...] = ()
    # The profile's and its services' names by language (``names = { zh_CN = "…" }``;
    # Profile.names_by_language and service_names_by_language): the report shows the one
    # of its language and keeps them all, so it can be rendered again in another.
    names: Mapping[str, str] = field(default_factory=dict)
    service_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def platform_info() -> dict[str, str]:
    return {
        "os": platform.system(),
        "release": platform.release(),
        "python": platform.python_version(),
    }


def report_id_for(meta: RunMeta) -> str:
    """A short ID a support conversation can refer to (same run, same ID, in every format
    and every language; redaction does not change it)."""
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
    redaction: RedactionOptions | None = None,
) -> dict[str, Any]:
    """The report of one run, texts in *language*.

    With *redact* (the default), personal values in the observations become tokens first
    and the report is the diagnosis of the redacted observations, so the saved file
    diagnoses again to exactly what it shows. *diagnosis*, when given, is the diagnosis
    of *observations* (the GUI has it already); it is reused where redaction changed
    nothing.
    """
    report_id = meta.report_id or report_id_for(meta)
    original = diagnosis or diagnose(observations)
    diagnosis = original
    # A report redacted before stays redacted (its tokens cannot be undone).
    removed = merge_summaries([{"class": cls, "count": count} for cls, count in meta.redactions])
    platform_data = dict(meta.platform or platform_info())
    # The profile's name in every language (a user name in it is personal, in any language).
    profile_names = {lang: meta.names.get(lang) or meta.profile_name for lang in LANGUAGES}
    if redact:
        options = redaction or RedactionOptions()
        existing = [json.dumps([to_json(o) for o in observations]), *profile_names.values()]
        redactor = collect(
            observations,
            options.identity or machine_identity(),
            existing,
            client_names=options.client_names,
        )
        if options.client_names:
            for name, cls in client_names(original):
                redactor.add_client(cls, name)
        observations = redactor.observations(observations)
        if redactor.tokens:
            diagnosis = diagnose(observations)
        profile_names = {lang: redactor.text(name) for lang, name in profile_names.items()}
        platform_data = {key: redactor.text(str(value)) for key, value in platform_data.items()}
        removed = merge_summaries(removed, redactor.summary())
    texts = catalog(language)
    # Facts about an address's class (private egress, an IPv6 route) survive its token.
    network = network_json(
        replace(
            diagnosis.network,
            ipv6_route=original.network.ipv6_route,
            private_egress=original.network.private_egress,
        )
    )
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "report_id": report_id,
        "app": {"name": APP_NAME, "version": __version__},
        "diagnosis_version": diagnosis.version,
        "language": texts.language,
        "profile": {
            "name": profile_names[texts.language],
            "names": profile_names,
            "support_contact": meta.support_contact,
        },
        "started_at": meta.started_at,
        "finished_at": meta.finished_at,
        "duration_s": meta.duration_s,
        "outcome": meta.outcome,
        "platform": platform_data,
        "redacted": redact or bool(meta.redactions),
        "redactions": removed,
        "summary": {"status": diagnosis.status, "headline": "", "advice": [], "actions": []},
        "network": network,
        "vpn": _vpn_section(diagnosis, observations),
        "services": [
            _service_data(service, meta.service_names.get(service.id), texts.language)
            for service in diagnosis.services
        ],
        "findings": [_finding_data(finding) for finding in diagnosis.findings],
        "observations": [to_json(o) for o in observations],
    }
    _fill_texts(report, diagnosis, texts)
    return report


def _service_data(
    service: ServiceVerdict, names: Mapping[str, str] | None, language: str
) -> dict[str, Any]:
    names = {lang: (names or {}).get(lang) or service.name for lang in LANGUAGES}
    data = service_json(service)
    return {
        "id": data["id"],
        "name": names[language],
        "names": names,
        "group": data["group"],
        "domestic": data["domestic"],
        "path": data["path"],
        "verdict": data["verdict"],
        "advice_verdict": data["advice_verdict"],
        "reason": data["reason"],
        "via_proxy": data["via_proxy"],
        "layers": data["layers"],
        "title": "",
        "explanation": "",
        "advice": "",
        "evidence": data["evidence"],
        "elapsed_ms": data["elapsed_ms"],
        "params": data["params"],
    }


def _finding_data(finding: Finding) -> dict[str, Any]:
    return {**finding_json(finding), "title": "", "explanation": "", "advice": ""}


def _fill_texts(report: dict[str, Any], diagnosis: Diagnosis, texts: Catalog) -> None:
    """The plain-language texts, rendered from the (redacted) params: a user name that
    happens to be an ordinary word never rewrites the catalog's own words. Services are
    named in the report's language (谷歌地图, not Google Maps); the params keep the names
    the profile wrote."""
    shown = {v.name: s["name"] for v, s in zip(diagnosis.services, report["services"], strict=True)}
    for service, verdict in zip(report["services"], diagnosis.services, strict=True):
        params = _named(service["params"], shown)
        verdict_texts = texts.verdict(verdict.verdict, params, verdict.reason)
        service["title"] = verdict_texts.title
        service["explanation"] = verdict_texts.explanation
        service["advice"] = texts.verdict(verdict.advice_verdict, params, verdict.reason).advice
    for endpoint in report["vpn"].get("endpoints") or []:
        reason = endpoint.get("reason")
        if isinstance(reason, str) and not endpoint.get("detail"):
            endpoint["detail"] = texts.value("vpn_proof", reason)
    for item in report["findings"]:
        finding_texts = texts.finding(item["code"], _named(item["params"], shown))
        item["title"] = finding_texts.title
        item["explanation"] = finding_texts.explanation
        item["advice"] = finding_texts.advice
    names = {v.id: s["name"] for v, s in zip(diagnosis.services, report["services"], strict=True)}
    summary = compose_summary(diagnosis, texts, names)
    for service in report["services"]:
        if service["id"] in summary.service_advice:
            service["advice"] = summary.service_advice[service["id"]]
        if service["id"] in summary.service_explanation:
            service["explanation"] = summary.service_explanation[service["id"]]
    report["summary"]["headline"] = summary.headline
    report["summary"]["actions"] = [_action_data(action) for action in summary.actions]
    report["summary"]["advice"] = summary.advice


def _action_data(action: Action) -> dict[str, Any]:
    data: dict[str, Any] = {"id": action.id, "text": action.text}
    if action.url is not None:
        data["url"] = action.url
    return data


def _named(params: Mapping[str, Any], shown: Mapping[str, str]) -> dict[str, Any]:
    """The params with every service name as the report shows it."""

    def name(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [name(item) for item in value]
        return shown.get(value, value) if isinstance(value, str) else value

    return {
        key: name(value) if key in SERVICE_NAME_PARAMS else value for key, value in params.items()
    }


def client_names(diagnosis: Diagnosis) -> list[tuple[str, str]]:
    """Names of VPN and proxy clients the diagnosis mentions, with their token class."""
    found: list[tuple[str, str]] = []
    for finding in diagnosis.findings:
        for key, cls in (("client", "proxy-client"), ("clients", "vpn-client")):
            value = finding.params.get(key)
            values = value if isinstance(value, list | tuple) else [value]
            found.extend((v, cls) for v in values if isinstance(v, str))
    return found


def _vpn_section(diagnosis: Diagnosis, observations: tuple[Observation, ...]) -> dict[str, Any]:
    """The report's ``vpn`` section: the diagnosis's own when it has one, else what its
    VPN findings say, with the VPN and proxy clients seen running."""
    clients = [
        to_json(client)
        for record in observations
        if isinstance(record, NetworkEnvironment)
        for client in record.clients
    ]
    if diagnosis.vpn is not None:
        return {**vpn_json(diagnosis.vpn), "clients": clients}
    vpn: dict[str, Any] = {"active": None, "interface": None, "clients": clients, "endpoints": []}
    for finding in diagnosis.findings:
        params = finding.params
        if finding.code in ("vpn_active", "vpn_not_passing_traffic", "vpn_split_tunnel"):
            vpn["active"] = True
            vpn["interface"] = vpn["interface"] or params.get("interface")
        elif finding.code in ("vpn_not_active", "vpn_expected_missing") and vpn["active"] is None:
            vpn["active"] = False
        elif finding.code in ("vpn_endpoint_blocked", "vpn_endpoint_reachable"):
            vpn["endpoints"].append(
                {
                    "name": params.get("name"),
                    "host": params.get("host"),
                    "port": params.get("port"),
                    "protocol": params.get("protocol"),
                    "status": "blocked" if finding.code == "vpn_endpoint_blocked" else "reachable",
                    "detail": params.get("detail"),
                }
            )
    return vpn


def meta_from_report(report: dict[str, Any]) -> RunMeta:
    """The run's own facts from a saved report (to render it again); damaged values are
    dropped, never fatal."""
    profile = as_dict(report.get("profile"))
    contact = profile.get("support_contact")
    platform_data = report.get("platform")
    duration = report.get("duration_s")
    removed: list[tuple[str, int]] = []
    for item in report.get("redactions") or []:
        if isinstance(item, dict):
            cls, count = item.get("class"), item.get("count")
            if isinstance(cls, str) and isinstance(count, int) and not isinstance(count, bool):
                removed.append((cls, count))
        elif isinstance(item, str):  # reports before counts were kept: a list of classes
            removed.append((item, 1))
    service_names = {
        str(s.get("id")): _names(s.get("names"))
        for s in report.get("services") or []
        if isinstance(s, dict) and isinstance(s.get("id"), str)
    }
    return RunMeta(
        profile_name=str(profile.get("name") or ""),
        names=_names(profile.get("names")),
        service_names={sid: names for sid, names in service_names.items() if names},
        support_contact=contact if isinstance(contact, str) else None,
        started_at=str(report.get("started_at") or ""),
        finished_at=str(report.get("finished_at") or ""),
        duration_s=float(duration)
        if isinstance(duration, int | float) and not isinstance(duration, bool)
        else 0.0,
        outcome=str(report.get("outcome") or "complete"),
        platform={str(k): str(v) for k, v in platform_data.items()}
        if isinstance(platform_data, dict)
        else None,
        report_id=str(report["report_id"]) if isinstance(report.get("report_id"), str) else None,
        redactions=tuple(removed),
    )


def _names(value: object) -> dict[str, str]:
    """A saved ``names`` map ({language: name}); anything damaged is left out."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if k in LANGUAGES and isinstance(v, str) and v}


def read_report_bytes(path: Path, limit: int, too_large: Callable[[int], Phrase]) -> bytes:
    """The bytes of a report file of at most *limit* bytes; ReportError says why not (no
    such file, a folder, a pipe or device, unreadable, too large: ``too_large(size)``)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ReportError(path, _p("no_such_file")) from None
    except ValueError:  # a NUL byte in the name
        raise ReportError(path, _p("bad_file_name")) from None
    except OSError as exc:
        raise ReportError(path, _p("unreadable", detail=exc.strerror or str(exc))) from None
    if stat.S_ISDIR(st.st_mode):
        raise ReportError(path, _p("report_is_folder"))
    if not stat.S_ISREG(st.st_mode):
        # a pipe or a device: reading it could block for ever or never end
        raise ReportError(path, _p("not_regular"))
    if st.st_size > limit:
        raise ReportError(path, too_large(st.st_size))
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise ReportError(path, _p("unreadable", detail=exc.strerror or str(exc))) from None
    if len(raw) > limit:  # it grew after the check
        raise ReportError(path, too_large(len(raw)))
    return raw


def load_report(path: Path) -> tuple[dict[str, Any], tuple[Observation, ...]]:
    """Read a saved report (JSON, or an HTML report with the JSON embedded)."""
    raw = read_report_bytes(
        path, MAX_REPORT_BYTES, lambda size: _p("report_too_large", size=f"{size:,}")
    )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportError(path, _p("report_not_utf8")) from None
    text = embedded_json(text, path)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError, a number of more than 4300 digits (ValueError), nesting deeper
        # than the parser's stack (RecursionError)
        if isinstance(exc, json.JSONDecodeError):
            detail = _p("json_at_line", line=exc.lineno, message=exc.msg)
        elif isinstance(exc, RecursionError):
            detail = _p("json_too_deep")
        else:
            detail = _p("json_long_number")
        raise ReportError(path, _p("report_bad_json", detail=detail)) from None
    if not isinstance(data, dict):
        raise ReportError(path, _p("report_not_object"))
    schema = data.get("schema")
    if schema != SCHEMA:
        if schema is None:
            raise ReportError(path, _p("report_no_schema", expected=SCHEMA))
        raise ReportError(path, _p("report_other_schema", schema=_short(schema), expected=SCHEMA))
    items = data.get("observations")
    if not isinstance(items, list):
        raise ReportError(path, _p("report_no_observations"))
    observations: list[Observation] = []
    for index, item in enumerate(items):
        try:
            observations.append(observation_from_json(item))
        except (RecordFormatError, TypeError, ValueError) as exc:
            damage = _p("report_damaged", number=index + 1, detail=str(exc))
            raise ReportError(path, damage) from None
        problem = _impossible(observations[-1])
        if problem:
            raise ReportError(path, _p("report_damaged", number=index + 1, detail=problem))
    return data, tuple(observations)


def _short(value: object, limit: int = 60) -> str:
    """``repr`` of a value from a file, cut to one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _impossible(record: Observation) -> str | None:
    """What no run can record (the profile loader refuses it), so only a damaged or forged
    report holds it; the diagnosis may rely on its absence."""
    if isinstance(record, RunPlan):
        for service in record.services:
            if not service.urls:
                return f"the planned service {_short(service.id)} has no URL"
    return None


def embedded_json(text: str, path: Path) -> str:
    """The JSON itself, or the JSON inside an HTML report's embedding ``<script>`` block.

    Every string of the HTML body is escaped, so the tag can only be the renderer's own.
    """
    text = text.removeprefix("\ufeff")
    if not text.lstrip().startswith("<"):
        return text
    start = text.find(EMBED_TAG)
    if start < 0:
        raise ReportError(path, _p("report_html_without_report"))
    body_start = start + len(EMBED_TAG)
    close = text.find("</script>", body_start)
    if close < 0:
        raise ReportError(path, _p("report_html_cut_short"))
    return text[body_start:close]


def now_iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def python_info() -> str:
    return sys.version.split()[0]
