"""Strings from the network cannot become markup in the HTML report (issue 5, item 6):
a block page and a certificate carrying ``<script>`` and an ``onerror`` attribute."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearsight.report.build import load_report
from tests.lab.lab import Lab

pytestmark = pytest.mark.lab

SCRIPT = "<script>alert('title')</script>"
IMG = '"><img src=x onerror=alert(1)>'


def test_hostile_block_page_and_certificate_are_escaped_in_the_html(lab: Lab) -> None:
    blocked = lab.add_site("news.foreign-lab.test")
    odd_cert = lab.add_site("mail.foreign-lab.test")
    local = lab.add_site("shop.local-lab.test")
    # A certificate from a trusted authority for a "name" that is markup.
    odd_cert.set_cert("wrong_name", cert_name=f"x{IMG}.lab-other.test")
    lab.censor.block_page("news.foreign-lab.test", title=SCRIPT, text=IMG)
    services = [
        blocked.service("news", name="News", urls=[blocked.http_url]),
        odd_cert.service("mail", name="Mail"),
        local.service("shop", name="Shop", domestic=True),
    ]
    profile = lab.write_profile(services=services, timeout_s=2.0)
    html = Path(lab.workdir) / "report.html"
    report_json = Path(lab.workdir) / "report.json"
    proc = lab.run_clearsight(
        [
            "run",
            "--profile",
            str(profile),
            "--html",
            str(html),
            "--json",
            str(report_json),
            "--no-redact",
        ],
        timeout=90,
    )
    assert proc.returncode in (1, 2), proc.stderr
    page = html.read_text(encoding="utf-8")
    saved = json.loads(report_json.read_text(encoding="utf-8"))
    titles = [o.get("title") for o in saved["observations"] if o["kind"] == "http"]
    sans = [
        san
        for o in saved["observations"]
        if o["kind"] == "tls" and o.get("certificate")
        for san in o["certificate"]["sans"]
    ]
    # The hostile strings really reached the report...
    assert SCRIPT in titles
    assert any(IMG in san for san in sans)
    # ...and none of them is live markup in the HTML.
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert page.count("<script") == page.count("</script>")
    body_scripts = [chunk.split(">", 1)[0] for chunk in page.split("<script")[1:]]
    assert all(
        'type="application/json"' in s or "nonce" in s or "sha" in s or s == ""
        for s in body_scripts
    ), body_scripts
    # The embedded JSON round-trips: IT re-opening the HTML gets the same strings back.
    data, _ = load_report(html)
    reopened = [o.get("title") for o in data["observations"] if o["kind"] == "http"]
    assert SCRIPT in reopened
