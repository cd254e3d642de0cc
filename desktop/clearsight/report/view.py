"""A report's page, in its language: the answer (``clearsight.presentation``) with what
the formats of a saved report add around it (the facts of the run, the environment, the
timing chart, what redaction removed).

The HTML, PDF and text renderers take their words and their order from here, so the
formats say the same things; the headline, actions, badges, tones and rows are the
presentation's, the same the window shows. Values are plain strings; no renderer-specific
escaping happens here (each renderer escapes for its own format).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clearsight.diagnosis.model import AddressEvidence, ServiceEvidence
from clearsight.explanations import Catalog, catalog, clean_value, format_number
from clearsight.presentation.answer import Answer, FindingLine, LayerLine, ServiceLine, compose
from clearsight.presentation.summary import Action
from clearsight.presentation.tones import verdict_tone as verdict_tone

LAYERS = ("dns", "tcp", "tls", "http")
# Token classes grouped the way a person thinks of them (report.redact.CLASSES).
_REDACTION_GROUPS = (
    ("redaction_public", ("public-v4", "public-v6")),
    ("redaction_local", ("private-v4", "private-v6", "link-local-v4", "link-local-v6")),
    ("redaction_mac", ("mac",)),
    ("redaction_user", ("user",)),
    ("redaction_host", ("host",)),
    ("redaction_home", ("home",)),
    ("redaction_clients", ("vpn-client", "proxy-client")),
)
Layer = LayerLine
FindingRow = FindingLine


@dataclass(frozen=True)
class Timing:
    """Where one service's time went (milliseconds; None: that step did not happen).

    The web request opens its own connection, so its time includes a connection and a
    secure handshake of its own: the chart shows the lookup, then the request's time split
    into the connection and handshake measured separately and the rest.
    """

    dns_ms: float | None
    connect_ms: float | None
    tls_ms: float | None
    http_ms: float | None
    failed_steps: frozenset[str]  # steps whose layer failed or was forged
    failure: str | None  # the first failure's name (timeout, connection_reset, …)

    @property
    def steps(self) -> list[tuple[str, float]]:
        rest = None
        if self.http_ms is not None:
            rest = max(self.http_ms - (self.connect_ms or 0.0) - (self.tls_ms or 0.0), 0.0)
        values = (
            ("dns", self.dns_ms),
            ("tcp", self.connect_ms),
            ("tls", self.tls_ms),
            ("http", rest),
        )
        return [(step, ms) for step, ms in values if ms is not None and ms > 0]

    @property
    def failed(self) -> bool:
        return bool(self.failed_steps)

    @property
    def total_ms(self) -> float:
        return sum(ms for _, ms in self.steps)


@dataclass(frozen=True)
class ServiceRow:
    id: str
    name: str
    group: str
    domestic: bool
    verdict: str
    tone: str
    badge: str
    title: str
    explanation: str
    advice: str | None  # None when the service works
    layers: tuple[LayerLine, ...]
    notes: tuple[str, ...]  # "Local service, for comparison", "Through your proxy: …"
    evidence: ServiceEvidence  # what the diagnosis measured
    timing: Timing | None


@dataclass(frozen=True)
class ReportView:
    language: str
    html_lang: str
    texts: Catalog
    title: str
    report_id: str
    status: str
    tone: str
    status_badge: str
    headline: str
    advice: tuple[str, ...]
    actions: tuple[Action, ...]
    answer: Answer
    support_contact: str | None
    support_line: str | None
    meta: tuple[str, ...]  # report ID, time, duration, profile: one short line each
    findings: tuple[FindingLine, ...]
    groups: tuple[tuple[str, tuple[ServiceRow, ...]], ...]
    service_count_line: str
    environment: tuple[tuple[str, str], ...]
    about: tuple[tuple[str, str], ...]
    privacy_note: str
    redaction_line: str | None
    outcome_note: str | None
    services: tuple[ServiceRow, ...] = field(default=())

    def ui(self, key: str, **params: object) -> str:
        return self.texts.ui(key, **params)


def as_dict(value: object) -> dict[str, Any]:
    """A JSON object from a saved report, or an empty one when the value is something else."""
    return value if isinstance(value, dict) else {}


def _text(value: object, limit: int = 2000) -> str:
    """Text safe to show (no control or bidi characters), cut only when absurdly long."""
    return clean_value(str(value), limit) if value is not None else ""


def display_time(value: object) -> str:
    """ISO 8601 UTC ("2026-03-02T08:15:04Z") as "2026-03-02 08:15 UTC"."""
    text = _text(value)
    if len(text) >= 16 and text[10] == "T":
        return f"{text[:10]} {text[11:16]} UTC"
    return text


def redaction_line(report: dict[str, Any], texts: Catalog) -> str | None:
    """What redaction removed, in words ("1 internet address, your user name, …")."""
    if not report.get("redacted"):
        return None
    counts: dict[str, int] = {}
    for item in report.get("redactions") or []:
        if isinstance(item, dict) and isinstance(item.get("count"), int):
            counts[str(item.get("class"))] = counts.get(str(item.get("class")), 0) + item["count"]
        elif isinstance(item, str):
            counts[item] = counts.get(item, 0) + 1
    items = []
    for key, classes in _REDACTION_GROUPS:
        count = sum(counts.get(cls, 0) for cls in classes)
        if count:
            items.append(texts.ui(key, count=count))
    if not items:
        return texts.ui("redaction_none")
    return texts.ui("redaction_removed", items=texts.join(items))


def _timing(service: ServiceLine, observations: list[Any]) -> Timing | None:
    """The steps of the service's deciding URL, from its evidence (and the DNS query)."""
    evidence = service.evidence
    urls = evidence.urls
    entry = next((u for u in urls if u.verdict == service.verdict), urls[0] if urls else None)
    if entry is None:
        return None
    host = (entry.host or evidence.host or "").lower()
    dns_ms = None
    for record in observations:
        if (
            isinstance(record, dict)
            and record.get("kind") == "dns"
            and record.get("role") == "system"
            and str(record.get("name") or "").lower() == host
            and isinstance(record.get("elapsed_ms"), int | float)
        ):
            dns_ms = float(record["elapsed_ms"])
            break
    failed = [line for line in service.layers if line.status in ("failed", "forged")]
    failure = next((line.failure for line in failed if line.failure), None)
    # The address that got furthest tells where the time went.
    best: AddressEvidence | None = None
    for address in entry.addresses:
        if best is None or _depth(address) > _depth(best):
            best = address
    connect_ms = tls_ms = http_ms = None
    if best is not None:
        attempts = best.tcp or ()
        done = next((a for a in attempts if a.failure is None), None)
        chosen = done or (attempts[-1] if attempts else None)
        connect_ms = _ms(chosen.ms) if chosen else None
        tls_ms = _ms(best.tls.ms) if best.tls is not None else None
        http_ms = _ms(best.http.ms) if best.http is not None else None
    if dns_ms is None and connect_ms is None and http_ms is None:
        return None
    return Timing(
        dns_ms,
        connect_ms,
        tls_ms,
        http_ms,
        frozenset(line.layer for line in failed),
        _text(failure) or None,
    )


def _depth(address: AddressEvidence) -> int:
    return sum(1 for step in (address.tcp, address.tls, address.http) if step)


def _ms(value: float | None) -> float | None:
    if value is not None and value >= 0:
        return float(value)
    return None


def build_view(report: dict[str, Any]) -> ReportView:
    texts = catalog(str(report.get("language") or "en"))
    language = texts.language
    profile = as_dict(report.get("profile"))
    report_id = _text(report.get("report_id"))
    contact = profile.get("support_contact")
    contact = _text(contact) if isinstance(contact, str) and contact.strip() else None
    observations = [o for o in report.get("observations") or [] if isinstance(o, dict)]

    meta = [texts.ui("report_id", id=report_id)]
    meta.append(texts.ui("checked_at", time=display_time(report.get("started_at"))))
    duration = report.get("duration_s")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration > 0:
        meta.append(texts.ui("duration", seconds=round(float(duration))))
    if profile.get("name"):
        meta.append(texts.ui("profile_name", name=_text(profile.get("name"))))

    answer = compose(report, texts)
    rows = [
        ServiceRow(
            id=line.id,
            name=line.name,
            group=line.group_title,
            domestic=line.domestic,
            verdict=line.verdict,
            tone=line.tone,
            badge=line.badge,
            title=line.title,
            explanation=line.explanation,
            advice=line.advice,
            layers=line.layers,
            notes=line.notes,
            evidence=line.evidence,
            timing=_timing(line, observations),
        )
        for line in answer.services
    ]
    if not answer.show_services:
        rows = []  # nothing answered: rows of "unclear" would only bury the answer
    groups: dict[str, list[ServiceRow]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    working = sum(1 for r in rows if r.verdict == "reachable")

    return ReportView(
        language=language,
        html_lang="zh-CN" if language == "zh_CN" else "en",
        texts=texts,
        title=texts.ui("report_title"),
        report_id=report_id,
        status=answer.status,
        tone=answer.tone,
        status_badge=answer.badge,
        headline=answer.headline,
        advice=answer.advice,
        actions=answer.actions,
        answer=answer,
        support_contact=contact,
        support_line=texts.ui("support_send", contact=contact, id=report_id) if contact else None,
        meta=tuple(meta),
        findings=answer.findings,
        groups=tuple((group, tuple(members)) for group, members in groups.items()),
        service_count_line=texts.ui("services_working", working=working, total=len(rows)),
        environment=tuple(_environment(report, texts)),
        about=tuple(_about(report, texts, contact)),
        privacy_note=texts.ui("redacted_note" if report.get("redacted") else "not_redacted_note"),
        redaction_line=redaction_line(report, texts),
        outcome_note=_outcome_note(report, texts),
        services=tuple(rows),
    )


def _outcome_note(report: dict[str, Any], texts: Catalog) -> str | None:
    outcome = str(report.get("outcome") or "complete")
    if outcome == "cancelled":
        return texts.ui("cancelled")
    if outcome == "deadline":
        return texts.ui("deadline_reached")
    return None


def _environment(report: dict[str, Any], texts: Catalog) -> list[tuple[str, str]]:
    network = as_dict(report.get("network"))
    platform = as_dict(report.get("platform"))
    none = texts.ui("none")
    rows: list[tuple[str, str]] = []
    machine = " ".join(_text(platform.get(k)) for k in ("os", "release") if platform.get(k))
    rows.append((texts.ui("env_computer"), machine or texts.ui("unknown")))
    for interface in network.get("interfaces") or []:
        if not isinstance(interface, dict):
            continue
        entries = [a for a in interface.get("addresses") or [] if isinstance(a, dict)]
        if any(str(a.get("address", "")).startswith("127.") for a in entries) or str(
            interface.get("name")
        ) in ("lo", "lo0"):
            continue  # the loopback interface says nothing about the network
        addresses = [_text(a.get("address")) for a in entries if a.get("family") != "mac"]
        macs = [_text(a.get("address")) for a in entries if a.get("family") == "mac"]
        value = texts.join(addresses) if addresses else none
        if macs:
            value += f" · MAC {texts.join(macs)}"
        if interface.get("up") is False:
            value += f" · {texts.ui('env_down')}"
        rows.append((texts.ui("env_interface", name=_text(interface.get("name"))), value))
    egress = as_dict(network.get("egress"))
    routes = []
    for family in ("ipv4", "ipv6"):
        if egress.get(family):
            routes.append(
                texts.ui(
                    "env_route",
                    family="IPv6" if family == "ipv6" else "IPv4",
                    interface=_text(egress.get(f"{family}_interface")) or none,
                    address=_text(egress.get(family)),
                )
            )
    rows.append((texts.ui("env_egress"), texts.join(routes) if routes else none))
    rows.append((texts.ui("env_dns"), texts.join(_text(r) for r in network.get("resolvers") or [])))
    public = network.get("public_ip")
    country = network.get("exit_country")
    public_value = _text(public) if public else texts.ui("unknown")
    if country:
        public_value += " · " + texts.ui("exit_country", country=str(country))
    rows.append((texts.ui("env_public"), public_value))
    vpn = as_dict(report.get("vpn"))
    if vpn.get("state") == "not_passing":
        vpn_value = texts.ui("vpn_broken", interface=_text(vpn.get("interface")) or none)
    elif vpn.get("active") is True:
        vpn_value = texts.ui("vpn_on", interface=_text(vpn.get("interface")) or none)
    elif vpn.get("active") is False:
        vpn_value = texts.ui("vpn_off")
    else:
        vpn_value = texts.ui("vpn_unknown")
    rows.append((texts.ui("env_vpn"), vpn_value))
    clients = [_text(c.get("name") if isinstance(c, dict) else c) for c in vpn.get("clients") or []]
    if clients:
        rows.append((texts.ui("env_clients"), texts.join(c for c in clients if c)))
    for endpoint in vpn.get("endpoints") or []:
        if isinstance(endpoint, dict):
            status = str(endpoint.get("status") or "inconclusive")
            target = f"{_text(endpoint.get('host'))}:{_text(endpoint.get('port'))}"
            rows.append(
                (
                    texts.ui("env_vpn_server", name=_text(endpoint.get("name"))),
                    f"{target} · {texts.ui('endpoint_' + status)}"
                    + (f" · {_text(endpoint.get('detail'))}" if endpoint.get("detail") else ""),
                )
            )
    proxy = network.get("proxy")
    if isinstance(proxy, dict) and proxy.get("mode") in ("auto_config", "auto_detect"):
        proxy_value = texts.ui("proxy_auto", url=_text(proxy.get("pac_url")) or none)
    elif isinstance(proxy, dict) and proxy.get("source"):
        shown = [_text(proxy.get(k)) for k in ("https", "http", "socks") if proxy.get(k)]
        proxy_value = texts.ui(
            "proxy_value",
            proxy=texts.join(dict.fromkeys(shown)) if shown else none,
            source=texts.value("proxy_source", str(proxy.get("source"))),
        )
    elif isinstance(proxy, dict):
        proxy_value = ", ".join(f"{_text(k)}={_text(v)}" for k, v in proxy.items() if v)
    else:
        proxy_value = _text(proxy) if proxy else ""
    rows.append((texts.ui("env_proxy"), proxy_value or texts.ui("no_proxy")))
    return rows


def _about(report: dict[str, Any], texts: Catalog, contact: str | None) -> list[tuple[str, str]]:
    profile = as_dict(report.get("profile"))
    app = as_dict(report.get("app"))
    rows = [
        (texts.ui("about_report_id"), _text(report.get("report_id"))),
        (texts.ui("about_profile"), _text(profile.get("name")) or texts.ui("unknown")),
    ]
    if contact:
        rows.append((texts.ui("about_support"), contact))
    started = display_time(report.get("started_at"))
    finished = display_time(report.get("finished_at"))
    rows.append(
        (
            texts.ui("about_time"),
            f"{started} – {finished[11:] if finished[:10] == started[:10] else finished}",
        )
    )
    rows.append(
        (
            texts.ui("about_app"),
            f"{_text(app.get('name')) or 'Clearsight'} {_text(app.get('version'))} · "
            f"{_text(report.get('diagnosis_version'))}",
        )
    )
    return rows


def format_ms(ms: float, texts: Catalog) -> str:
    """A duration for a chart label: "85 ms", "1.2 s"."""
    if ms < 1000:
        return texts.ui("ms", value=round(ms))
    return texts.ui("seconds_short", value=format_number(round(ms / 1000.0, 1)))
