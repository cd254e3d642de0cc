"""The HTML report: one self-contained file (inline CSS and SVG, nothing fetched), readable
on a phone, printable, with the JSON embedded so IT can open it again in Clearsight.

Every string that reaches the page goes through ``escape`` (block-page titles, headers,
certificate fields and server names come from the network). The embedded JSON writes
``<``, ``>`` and ``&`` as ``\\u003c``, ``\\u003e`` and ``\\u0026``, so no value can close
its ``<script>`` block or open another element.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from typing import Any

from clearsight.explanations import Catalog
from clearsight.explanations.evidence import evidence_rows
from clearsight.report.view import (
    FindingRow,
    ReportView,
    ServiceRow,
    Timing,
    build_view,
    format_ms,
)

EMBED_TAG = '<script type="application/json" id="clearsight-report">'

_CSS = """
:root{color-scheme:light dark;--fg:#1d1d1f;--muted:#5f6368;--bg:#fff;--card:#f6f7f9;
--line:#e1e4e8;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--info:#1f5fbf;
--dns:#6f42c1;--tcp:#1f77b4;--tls:#2ca02c;--http:#e8a33d}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--muted:#a0a4a8;--bg:#161718;
--card:#222427;--line:#3a3d41;--ok:#57c26a;--bad:#ff6b6b;--warn:#e3b341;--info:#79a8ff}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI","Noto Sans","PingFang SC",
"Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;
color:var(--fg);background:var(--bg);margin:0 auto;max-width:50rem;padding:1rem 1rem 3rem}
:lang(zh-CN) body,body:lang(zh-CN){line-height:1.7}
h1{font-size:1.45rem;margin:.2rem 0 .1rem}
h2{font-size:1.15rem;margin:2rem 0 .6rem;padding-bottom:.3rem;border-bottom:2px solid var(--line)}
h3{font-size:.95rem;margin:1.1rem 0 .3rem;color:var(--muted);font-weight:600}
p{margin:.25rem 0}
.brand{font-size:.8rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);
font-weight:700}
.meta{color:var(--muted);font-size:.85rem;margin:.2rem 0 1rem;display:flex;flex-wrap:wrap;
gap:.2rem 1rem}
.headline{font-size:1.2rem;font-weight:650;padding:.8rem 1rem;border-radius:.5rem;
border-left:.45rem solid var(--warn);background:var(--card);margin:.8rem 0}
.headline.good{border-color:var(--ok)} .headline.bad{border-color:var(--bad)}
.headline .tag{display:block;font-size:.8rem;font-weight:700;text-transform:uppercase;
letter-spacing:.04em;color:var(--warn)}
.headline.good .tag{color:var(--ok)} .headline.bad .tag{color:var(--bad)}
ol.advice{padding-left:1.4rem;margin:.3rem 0} ol.advice li{margin:.3rem 0}
.support{border-radius:.3rem;padding:.6rem .9rem;margin:1rem 0;background:var(--card)}
.note{color:var(--muted);font-size:.85rem}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.6rem .8rem;margin:.5rem 0;
break-inside:avoid}
.card .head{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem .6rem}
.card .name{font-weight:650}
.card .title{color:var(--muted)}
.card .advice,.support{border-left:3px solid var(--info)}
.card .advice{padding-left:.55rem;margin-top:.4rem}
.badge{display:inline-block;font-size:.78rem;font-weight:700;padding:.05rem .5rem;
border-radius:1rem;border:1px solid currentColor;white-space:nowrap}
.good{color:var(--ok)} .bad{color:var(--bad)} .warn{color:var(--warn)} .info{color:var(--info)}
.card .name,.card p{color:var(--fg)}
.layers{display:flex;flex-wrap:wrap;gap:.25rem .4rem;margin:.35rem 0 0;padding:0;
list-style:none;font-size:.78rem}
.layers li{padding:.05rem .45rem;border-radius:.3rem;background:var(--card);color:var(--muted)}
.layers li.failed,.layers li.forged{color:var(--bad);font-weight:600}
.layers li.ok{color:var(--ok)}
.tags{font-size:.78rem;color:var(--muted)}
details{margin:.4rem 0 0} summary{cursor:pointer;color:var(--info);font-size:.85rem}
table{border-collapse:collapse;width:100%}
table.kv{font-size:.78rem;margin:.3rem 0;font-family:ui-monospace,"SFMono-Regular",Menlo,
Consolas,"Noto Sans Mono CJK SC",monospace}
table.kv th{text-align:left;vertical-align:top;color:var(--muted);font-weight:500;
padding:.1rem .8rem .1rem 0;width:40%}
table.kv td{padding:.1rem 0;overflow-wrap:anywhere;word-break:break-word;vertical-align:top}
table.kv tr{border-bottom:1px dotted var(--line)}
table.facts th{text-align:left;vertical-align:top;font-weight:600;padding:.35rem .8rem .35rem 0;
width:32%;border-bottom:1px solid var(--line)}
table.facts td{padding:.35rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
.chart{margin:.5rem 0 1rem}
.chart .row{display:grid;grid-template-columns:minmax(6rem,28%) minmax(0,1fr) minmax(4rem,auto);
gap:.5rem;align-items:center;font-size:.85rem;padding:.15rem 0}
.chart .who{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.chart svg{display:block;width:100%;height:.9rem}
.chart .val{font-variant-numeric:tabular-nums;white-space:nowrap;font-size:.8rem}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.78rem;color:var(--muted);
margin:.3rem 0}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:.15rem;
vertical-align:-.1rem;margin-right:.3rem}
.s-dns{fill:var(--dns);background:var(--dns)} .s-tcp{fill:var(--tcp);background:var(--tcp)}
.s-tls{fill:var(--tls);background:var(--tls)} .s-http{fill:var(--http);background:var(--http)}
.s-fail{fill:var(--bad);background:var(--bad)}
footer{margin-top:2rem;color:var(--muted);font-size:.8rem}
@media (max-width:30rem){body{padding:.75rem .75rem 2rem;font-size:15px}
.headline{font-size:1.08rem}
table.facts th,table.facts td{display:block;width:auto;border:0;padding:.1rem 0}
table.facts tr{display:block;border-bottom:1px solid var(--line);padding:.35rem 0}
table.kv th,table.kv td{display:block;width:auto;padding:0}
table.kv tr{display:block;padding:.15rem 0}
.chart .row{grid-template-columns:minmax(4.5rem,30%) minmax(0,1fr) auto;gap:.35rem}
.chart .val{font-size:.72rem}}
@media print{body{max-width:none;padding:0;font-size:11pt}
summary{color:var(--muted)} a{color:inherit} .card,.chart .row{break-inside:avoid}
h2{break-after:avoid}}
"""

# Opens the evidence before printing, so a printout has everything. It is the only script
# the page may run: the Content-Security-Policy names it by its hash, so even markup that
# slipped past escaping could not run anything, and nothing may be fetched.
_PRINT_JS = (
    "addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true})})"
)
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{base64.b64encode(hashlib.sha256(_PRINT_JS.encode()).digest()).decode()}'"
)

_ICON = {"good": "✔", "bad": "✖", "warn": "!", "info": "i"}


def e(value: object) -> str:
    """Escape for HTML text and attribute values (quotes included)."""
    return escape(str(value), quote=True)


def embedded_json(report: dict[str, Any]) -> str:
    """The report as JSON that cannot end its ``<script>`` block early."""
    text = json.dumps(report, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_html(report: dict[str, Any], *, embed: bool = True) -> str:
    view = build_view(report)
    parts: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{e(view.html_lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(_CSP)}">',
        '<meta name="generator" content="Clearsight">',
        f"<title>{e(view.title)} · {e(view.report_id)}</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    parts += _header(view)
    parts += _what_to_do(view)
    parts += _findings(view)
    parts += _services(view)
    parts += _history(report)
    parts += _environment(view)
    parts += _about(view)
    if embed:
        parts.append(EMBED_TAG + embedded_json(report) + "</script>")
        parts.append(f"<script>{_PRINT_JS}</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _header(view: ReportView) -> list[str]:
    out = [
        '<header><div class="brand">Clearsight</div>',
        f"<h1>{e(view.title)}</h1>",
        '<div class="meta">' + "".join(f"<span>{e(m)}</span>" for m in view.meta) + "</div>",
        "</header>",
        f'<p class="headline {e(view.tone)}"><span class="tag">{e(_ICON[view.tone])} '
        f"{e(view.status_badge)}</span>{e(view.headline)}</p>",
    ]
    if view.outcome_note:
        out.append(f'<p class="note">{e(view.outcome_note)}</p>')
    return out


def _what_to_do(view: ReportView) -> list[str]:
    out: list[str] = []
    if view.advice:
        out.append(f"<h2>{e(view.ui('what_to_do'))}</h2>")
        out.append('<ol class="advice">' + "".join(f"<li>{e(a)}</li>" for a in view.advice))
        out.append("</ol>")
    if view.support_line:
        out.append(f'<p class="support">{e(view.support_line)}</p>')
    return out


def _findings(view: ReportView) -> list[str]:
    if not view.findings:
        return []
    out = [f"<h2>{e(view.ui('section_findings'))}</h2>"]
    out += [_finding_card(f) for f in view.findings]
    return out


def _finding_card(finding: FindingRow) -> str:
    return (
        f'<div class="card finding"><div class="head"><span class="badge {e(finding.tone)}">'
        f'{e(finding.badge)}</span> <span class="name">{e(finding.title)}</span></div>'
        f"<p>{e(finding.explanation)}</p>"
        + (f'<p class="advice">{e(finding.advice)}</p>' if finding.advice else "")
        + "</div>"
    )


def _history(report: dict[str, Any]) -> list[str]:
    """Each service's recent results, when the report carries its history (optional)."""
    from clearsight.history.render import history_html

    return history_html(report)


def _services(view: ReportView) -> list[str]:
    if not view.services:
        return []
    out = [f"<h2>{e(view.ui('section_services'))}</h2>", f"<p>{e(view.service_count_line)}</p>"]
    out += _chart(view)
    for group, rows in view.groups:
        if group:
            out.append(f"<h3>{e(group)}</h3>")
        out += [_service_card(view, row) for row in rows]
    return out


def _service_card(view: ReportView, row: ServiceRow) -> str:
    layers = "".join(
        f'<li class="{e(layer.status)}">{e(layer.line)}</li>'
        for layer in row.layers
        if layer.status != "not_run"
    )
    body = [
        f'<div class="card service" id="service-{e(row.id)}"><div class="head">'
        f'<span class="badge {e(row.tone)}">{e(_ICON[row.tone])} {e(row.badge)}</span> '
        f'<span class="name">{e(row.name)}</span>'
    ]
    if row.verdict != "reachable":
        body.append(f'<span class="title">{e(row.title)}</span>')
    body.append("</div>")
    if row.notes:
        body.append(f'<p class="tags">{e(" · ".join(row.notes))}</p>')
    if row.verdict != "reachable":
        body.append(f"<p>{e(row.explanation)}</p>")
        if row.advice:
            body.append(f'<p class="advice">{e(row.advice)}</p>')
    if layers:
        body.append(f'<ul class="layers">{layers}</ul>')
    if row.evidence:
        body.append(
            f"<details><summary>{e(view.ui('evidence'))}</summary>"
            f"{evidence_table(row.evidence, view.texts)}</details>"
        )
    body.append("</div>")
    return "".join(body)


def evidence_table(value: Any, texts: Catalog) -> str:
    """The diagnosis's evidence as one table of "Label › label: value" rows: readable on a
    phone, and complete whatever fields the diagnosis adds. Empty values are left out."""
    rows = "".join(
        f"<tr><th>{e(' › '.join(path))}</th><td>{e(text)}</td></tr>"
        for path, text in evidence_rows(texts, value)
    )
    return f'<table class="kv">{rows}</table>' if rows else ""


def _chart(view: ReportView) -> list[str]:
    """Per-service timings as horizontal bars, one inline SVG per row (HTML text beside it,
    so names stay readable and wrap on a phone)."""
    rows = [row for row in view.services if row.timing is not None and row.timing.steps]
    if not rows:
        return []
    scale = max(_row_total(row.timing) for row in rows if row.timing) or 1.0
    out = [f'<h3>{e(view.ui("section_timings"))}</h3><div class="chart" role="list">']
    for row in rows:
        timing = row.timing
        assert timing is not None
        out.append(
            f'<div class="row" role="listitem"><span class="who" title="{e(row.name)}">'
            f"{e(row.name)}</span>{_bar(timing, scale, row, view)}"
            f'<span class="val {e(row.tone)}">{e(_bar_label(timing, row, view))}</span></div>'
        )
    out.append("</div>")
    legend = "".join(
        f'<span><i class="s-{step}"></i>{e(view.texts.layer_label(step))}</span>'
        for step in ("dns", "tcp", "tls", "http")
    )
    legend += f'<span><i class="s-fail"></i>{e(view.ui("timing_failed"))}</span>'
    out.append(f'<div class="legend">{legend}</div>')
    return out


def _row_total(timing: Timing | None) -> float:
    return timing.total_ms if timing is not None else 0.0


def _bar(timing: Timing, scale: float, row: ServiceRow, view: ReportView) -> str:
    colon = view.ui("label_colon")  # full-width in Chinese, tooltips included
    rects: list[str] = []
    x = 0.0
    for step, ms in timing.steps:
        width = max(ms / scale * 100.0, 0.6)
        css = "s-fail" if step in timing.failed_steps else f"s-{step}"
        rects.append(
            f'<rect class="{css}" x="{x:.2f}" y="0" width="{width:.2f}" height="10">'
            f"<title>{e(view.texts.layer_label(step))}{e(colon)}{e(format_ms(ms, view.texts))}"
            "</title>"
            "</rect>"
        )
        x += width
    label = f"{row.name}{colon}{_bar_label(timing, row, view)}"
    return (
        f'<svg viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="{e(label)}">'
        + "".join(rects)
        + "</svg>"
    )


def _bar_label(timing: Timing, row: ServiceRow, view: ReportView) -> str:
    if row.verdict == "reachable" or not timing.failed:
        return format_ms(timing.total_ms, view.texts)
    return row.badge


def _facts_table(rows: tuple[tuple[str, str], ...]) -> str:
    body = "".join(f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in rows)
    return f'<table class="facts">{body}</table>'


def _environment(view: ReportView) -> list[str]:
    return [f"<h2>{e(view.ui('section_environment'))}</h2>", _facts_table(view.environment)]


def _about(view: ReportView) -> list[str]:
    out = [f"<h2>{e(view.ui('section_about'))}</h2>", _facts_table(view.about)]
    out.append(f'<p class="note">{e(view.privacy_note)}</p>')
    if view.redaction_line:
        out.append(f'<p class="note">{e(view.redaction_line)}</p>')
    out.append(f"<footer><p>{e(view.ui('reopen_note'))}</p></footer>")
    return out


__all__ = ["EMBED_TAG", "embedded_json", "evidence_table", "render_html"]
