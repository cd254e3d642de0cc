"""Strings from the network (block-page titles, headers, certificate fields, redirect
locations, finding params) never become markup in the HTML or PDF report, and the JSON
embedded in the HTML comes back intact.

The lab variant (a real censor planting these in a block page and a certificate) belongs to
tests/lab; this test plants them in the observations directly.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from clearsight.report.build import load_report
from clearsight.report.html import EMBED_TAG, embedded_json, render_html
from clearsight.report.pdf import print_html
from clearsight.report.view import build_view

from .conftest import make_report
from .scenarios import HOSTILE, IMG, SCRIPT

# Every element the renderer itself writes; anything else came from a hostile string.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "div", "h1", "h2", "h3", "p",
    "span", "ol", "ul", "li", "details", "summary", "table", "tr", "th", "td", "svg", "rect",
    "footer", "script", "b", "br", "i",
}  # fmt: skip


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def parse(page: str) -> Markup:
    parser = Markup()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(params=["en", "zh_CN"])
def hostile_report(request: pytest.FixtureRequest) -> dict[str, Any]:
    return make_report("blocked", language=request.param)


def test_the_hostile_strings_reach_the_report(hostile_report: dict[str, Any]) -> None:
    """Else the escaping tests below would prove nothing."""
    data = json.dumps(hostile_report, ensure_ascii=False)
    for needle in HOSTILE:
        assert needle.replace('"', '\\"') in data
    finding = next(f for f in hostile_report["findings"] if f["code"] == "tls_interception")
    assert SCRIPT in finding["params"]["issuer"] and SCRIPT in finding["explanation"]


def test_no_hostile_markup_in_the_html(hostile_report: dict[str, Any]) -> None:
    page = render_html(hostile_report)
    markup = parse(page)
    assert {tag for tag, _ in markup.tags} <= ALLOWED_TAGS
    for tag, attrs in markup.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower()
        if tag == "img" or tag == "iframe":
            pytest.fail(f"<{tag}> in the report")
    # Two scripts only: the embedded JSON (not executed) and the renderer's print helper.
    assert len(markup.scripts) == 2
    types = [dict(attrs).get("type") for tag, attrs in markup.tags if tag == "script"]
    assert types == ["application/json", None]
    assert "alert" not in markup.scripts[1]
    # The hostile strings are shown, as text.
    shown = "".join(markup.text)
    assert SCRIPT in shown
    assert "onerror=alert(1)" in shown
    assert "<script>alert" not in page.split(EMBED_TAG)[0]


def test_the_page_may_run_nothing_but_its_own_script(hostile_report: dict[str, Any]) -> None:
    markup = parse(render_html(hostile_report))
    policy = next(
        dict(attrs)["content"]
        for tag, attrs in markup.tags
        if tag == "meta" and dict(attrs).get("http-equiv") == "Content-Security-Policy"
    )
    assert policy is not None
    assert "default-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1]


def test_every_network_string_is_escaped_in_the_evidence(hostile_report: dict[str, Any]) -> None:
    page = render_html(hostile_report)
    body = page.split(EMBED_TAG)[0]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<img" not in body


def test_the_embedded_json_cannot_close_its_script_block() -> None:
    report = make_report("ok")
    report["profile"]["name"] = "</script><script>alert(1)</script> & <!-- \u2028"
    block = embedded_json(report)
    assert "<" not in block and ">" not in block and "&" not in block
    assert "\u2028" not in block
    assert json.loads(block) == report


def test_the_embedded_json_round_trips(hostile_report: dict[str, Any], tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(hostile_report), encoding="utf-8")
    data, observations = load_report(page)
    assert data == json.loads(json.dumps(hostile_report))
    assert len(observations) == len(hostile_report["observations"])


def test_the_pdf_layout_escapes_too(hostile_report: dict[str, Any]) -> None:
    document = print_html(build_view(hostile_report))
    markup = parse(document)
    assert {tag for tag, _ in markup.tags} <= ALLOWED_TAGS | {"font"}
    assert not markup.scripts
    assert all(not name.startswith("on") for _, attrs in markup.tags for name, _ in attrs)
    assert SCRIPT in "".join(markup.text)
    assert IMG in "".join(markup.text)


def test_the_html_report_is_self_contained(hostile_report: dict[str, Any]) -> None:
    body = render_html(hostile_report).split(EMBED_TAG)[0]
    for tag, attrs in parse(body).tags:
        assert tag not in ("link", "img", "iframe", "object", "embed")
        for name, value in attrs:
            assert name not in ("src", "href", "srcset", "action"), (tag, name, value)
    assert "@import" not in body and "url(" not in body
