"""Every text a person reads of a report, from every renderer, for every scenario the tests
build: the command line and e-mail text, the HTML page (its visible text and tooltips), the
PDF's page and the window's rows (with the evidence they open to).

The scenarios are the diagnosis tables (services, VPN and proxy), the report scenarios and
the window's runs of the built-in profile; each is rendered in every language.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass
from typing import Any

from clearsight.explanations import catalog
from clearsight.gui.view_model import build_view as window_view
from clearsight.presentation import Action
from clearsight.probes.records import Observation
from clearsight.profile import load_default_profile
from clearsight.report.build import build_report
from clearsight.report.html import render_html
from clearsight.report.pdf import print_html
from clearsight.report.text import render_email_text, render_text
from clearsight.report.view import build_view
from tests.gui import scenarios as window_scenarios
from tests.unit.diagnosis import test_diagnosis_verdicts, test_vpn_rules

from .scenarios import META, SCENARIOS

Builder = Callable[[], tuple[Observation, ...]]


def scenario_builders() -> dict[str, Builder]:
    """Every scenario the tests build, by a readable id."""
    builders: dict[str, Builder] = {}
    for table, rows in (
        ("verdicts", test_diagnosis_verdicts.ROWS),
        ("vpn", test_vpn_rules.ROWS),
    ):
        for row in rows:
            builders[f"{table}:{row.id}"] = row.values[0]
    builders.update({f"report:{name}": build for name, build in SCENARIOS.items()})
    for name in ("all_fine", "blocked", "captive_portal", "vpn_leak"):
        builders[f"window:{name}"] = getattr(window_scenarios, name)
    return builders


# The built-in profile's names in every language, as a run of it records them (services of
# other scenarios keep the names they have).
NAMED_META = dataclasses.replace(
    META, service_names=load_default_profile().service_names_by_language()
)


def report_of(build: Builder, language: str) -> dict[str, Any]:
    return build_report(build(), NAMED_META, language=language)


_TAG = re.compile(r"<[^>]+>")
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL)
_SHOWN_ATTRIBUTES = re.compile(r'\b(?:title|aria-label|alt)="([^"]*)"')


def visible_html(page: str) -> str:
    """What a browser shows of a page: its text, and the tooltips and labels of elements
    (not the embedded report, the style sheet or the markup)."""
    page = _HIDDEN.sub(" ", page)
    shown = [html.unescape(a) for a in _SHOWN_ATTRIBUTES.findall(page)]
    # <title> inside an SVG rect is a tooltip too; its text is kept by the tag removal.
    return html.unescape(_TAG.sub("\n", page)) + "\n" + "\n".join(shown)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Action):
        yield value.text  # its id is a code, never shown; its url is shown in its text
    elif is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


_WINDOW_CODES = ("key", "tone", "service_id")  # the rows' own ids and colours, never shown


def window_texts(report: dict[str, Any], language: str) -> str:
    """Every string the window shows for a finished run of this report."""
    view = window_view(catalog(language), report, None)
    shown = list(_strings(view.overview))
    for section in view.sections:
        shown.append(section.title)
        for row in section.rows:
            shown += [
                str(getattr(row, item.name))
                for item in fields(row)
                if item.name not in _WINDOW_CODES and isinstance(getattr(row, item.name), str)
            ]
    return "\n".join(shown)


def texts_people_read(report: dict[str, Any]) -> dict[str, str]:
    """Renderer -> everything it shows of the report."""
    language = str(report["language"])
    return {
        "command line": render_text(report),
        "e-mail text": render_email_text(report),
        "HTML": visible_html(render_html(report)),
        "PDF": visible_html(print_html(build_view(report))),
        "window": window_texts(report, language),
    }
