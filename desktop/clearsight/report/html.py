"""The HTML report: one self-contained file (inline CSS, no fetches), readable on a phone,
printable, with the JSON embedded so IT can open it again in Clearsight.

Every string that came from the network is escaped; the embedded JSON writes ``<`` as
``\\u003c`` so no value can close its ``<script>`` block.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS
from clearsight.explanations import catalog
from clearsight.report.text import DNS_PREFIXES, VPN_PREFIXES

_CSS = """
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--muted:#666}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",
"PingFang SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:52rem;padding:1rem}
h1{font-size:1.3rem;margin:.2rem 0} h2{font-size:1.1rem;margin-top:1.6rem;
border-bottom:1px solid #8884} h3{font-size:1rem;margin:.8rem 0 .3rem}
.headline{font-size:1.15rem;font-weight:600;padding:.6rem .8rem;border-radius:.4rem;
border-left:.4rem solid var(--warn);background:#8881}
.headline.ok{border-color:var(--ok)} .headline.bad{border-color:var(--bad)}
.meta{color:var(--muted);font-size:.85rem}
.badge{display:inline-block;min-width:6.5rem;font-weight:600;font-size:.85rem}
.badge.ok{color:var(--ok)} .badge.bad{color:var(--bad)} .badge.warn{color:var(--warn)}
.row{padding:.35rem 0;border-bottom:1px solid #8882}
.row p{margin:.15rem 0 0 0} details{margin:.2rem 0 0 0} summary{cursor:pointer;
color:var(--muted);font-size:.85rem} pre{white-space:pre-wrap;word-break:break-all;
font-size:.75rem;background:#8881;padding:.5rem;border-radius:.3rem}
@media print{details{display:block} summary{display:none} body{max-width:none}}
"""

_ICON = {"ok": "✔", "bad": "✖", "warn": "!"}


def _tone(verdict: str) -> str:
    if verdict == "reachable":
        return "ok"
    return "bad" if verdict in BLOCKING_VERDICTS else "warn"


def embedded_json(report: dict[str, Any]) -> str:
    text = json.dumps(report, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(report: dict[str, Any]) -> str:
    language = str(report.get("language") or "en")
    texts = catalog(language)
    summary = report.get("summary") or {}
    status = str(summary.get("status") or "")
    tone = {"ok": "ok", "blocked": "bad", "offline": "bad"}.get(status, "warn")
    profile = report.get("profile") or {}
    e = escape
    parts: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if language == "zh_CN" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(texts.ui('report_title'))} {e(str(report.get('report_id') or ''))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(texts.ui('report_title'))}</h1>",
        f'<p class="meta">{e(texts.ui("report_id", id=report.get("report_id") or ""))} · '
        f"{e(texts.ui('checked_at', time=report.get('started_at') or ''))} · "
        f"{e(texts.ui('profile_name', name=profile.get('name') or ''))}</p>",
        f'<p class="headline {tone}">{e(_ICON[tone])} {e(str(summary.get("headline") or ""))}</p>',
    ]
    advice = [a for a in summary.get("advice") or [] if a]
    if advice:
        parts.append(f"<h2>{e(texts.ui('what_to_do'))}</h2><ul>")
        parts.extend(f"<li>{e(str(a))}</li>" for a in advice)
        parts.append("</ul>")
    if profile.get("support_contact"):
        parts.append(
            f"<p>{e(texts.ui('support_contact', contact=profile.get('support_contact')))}</p>"
        )
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    if findings:
        parts.append(f"<h2>{e(texts.ui('section_findings'))}</h2>")
        for finding in findings:
            severity = str(finding.get("severity"))
            ftone = {"problem": "bad", "warning": "warn"}.get(severity, "ok")
            parts.append(
                f'<div class="row"><span class="badge {ftone}">'
                f"{e(texts.severity_label(severity))}</span> "
                f"<strong>{e(str(finding.get('title') or ''))}</strong>"
                f"<p>{e(str(finding.get('explanation') or ''))}</p>"
                f"<p><em>{e(str(finding.get('advice') or ''))}</em></p></div>"
            )
    services = [s for s in report.get("services") or [] if isinstance(s, dict)]
    if services:
        parts.append(f"<h2>{e(texts.ui('section_services'))}</h2>")
        groups: dict[str, list[dict[str, Any]]] = {}
        for service in services:
            groups.setdefault(str(service.get("group") or ""), []).append(service)
        for group, members in groups.items():
            parts.append(f"<h3>{e(group)}</h3>")
            for service in members:
                verdict = str(service.get("verdict"))
                vtone = _tone(verdict)
                evidence = json.dumps(
                    {"layers": service.get("layers"), "evidence": service.get("evidence")},
                    ensure_ascii=False,
                    indent=1,
                )
                parts.append(
                    f'<div class="row"><span class="badge {vtone}">{e(_ICON[vtone])} '
                    f"{e(texts.verdict_badge(verdict))}</span> "
                    f"<strong>{e(str(service.get('name') or ''))}</strong>"
                    f"<p>{e(str(service.get('explanation') or ''))}</p>"
                    + (
                        f"<p><em>{e(str(service.get('advice') or ''))}</em></p>"
                        if verdict != "reachable"
                        else ""
                    )
                    + f"<details><summary>{e(texts.ui('evidence'))}</summary>"
                    f"<pre>{e(evidence)}</pre></details></div>"
                )
    network = report.get("network") or {}
    platform = report.get("platform") or {}
    parts.append(f"<h2>{e(texts.ui('section_details'))}</h2><ul>")
    machine = texts.ui("platform", os=platform.get("os", ""), release=platform.get("release", ""))
    parts.append(f"<li>{e(machine)}</li>")
    if network.get("public_ip"):
        parts.append(f"<li>{e(texts.ui('public_ip', address=network.get('public_ip')))}</li>")
    if network.get("exit_country"):
        country = texts.value("country", str(network.get("exit_country")))
        parts.append(f"<li>{e(texts.ui('exit_country', country=country))}</li>")
    parts.append(
        f"<li>{e(texts.ui('dns_servers', servers=list(network.get('resolvers') or [])))}</li>"
    )
    parts.append("</ul>")
    privacy = "redacted_note" if report.get("redacted") else "not_redacted_note"
    parts.append(f'<p class="meta">{e(texts.ui(privacy))}</p>')
    parts.append(
        '<script type="application/json" id="clearsight-report">'
        + embedded_json(report)
        + "</script>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


__all__ = ["DNS_PREFIXES", "VPN_PREFIXES", "embedded_json", "render_html"]
