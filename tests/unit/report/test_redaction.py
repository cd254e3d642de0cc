"""Redaction: planted personal values appear in no output; evidence stays; the redacted
report diagnoses exactly like the original."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from clearsight.diagnosis import Diagnosis, diagnose
from clearsight.probes.records import DnsQuery, Observation, to_json
from clearsight.report.build import build_report, load_report, meta_from_report
from clearsight.report.files import report_json, save_json
from clearsight.report.html import render_html
from clearsight.report.pdf import print_html, render_pdf
from clearsight.report.redact import (
    TOKEN,
    Identity,
    RedactionOptions,
    Redactor,
    collect,
)
from clearsight.report.text import render_email_text, render_text
from clearsight.report.view import build_view

from .conftest import OPTIONS, make_report
from .scenarios import CLIENT, CLIENT_PROCESS, META, SCENARIOS, SECRETS, blocked_run


def every_output(report: dict[str, Any]) -> dict[str, str]:
    return {
        "json": report_json(report),
        "html": render_html(report),
        "pdf_text": print_html(build_view(report)),
        "text": render_text(report),
        "email": render_email_text(report),
    }


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    lowered = text.casefold()
    found = [name for name, value in secrets.items() if value.casefold() in lowered]
    # A MAC address written without separators (as some captive portals do).
    if re.search(SECRETS.mac.replace(":", ""), lowered):
        found.append("mac_bare")
    return found


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_planted_secrets_appear_in_no_output(scenario: str, language: str) -> None:
    report = make_report(scenario, language=language)
    for name, text in every_output(report).items():
        assert leaks(text, SECRETS.all()) == [], f"{scenario}/{language}/{name}"


def test_the_secrets_were_there_to_find() -> None:
    """The planted values really are in an unredacted report (else the test proves nothing)."""
    report = make_report("blocked", redact=False)
    assert set(leaks(report_json(report), SECRETS.all())) >= {
        "public_v4",
        "public_v6",
        "local_v4",
        "link_local_v6",
        "mac",
        "mac_upper_dashes",
        "host",
        "home",
    }
    assert report["redacted"] is False
    assert report["redactions"] == []


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenario_plants_secrets_for_the_redaction_tests_to_find(scenario: str) -> None:
    """The redaction tests run over every scenario: each must carry personal values
    unredacted (the interfaces' addresses and hardware address at least)."""
    found = set(leaks(report_json(make_report(scenario, redact=False)), SECRETS.all()))
    assert found >= {"local_v4", "link_local_v6", "mac"}, found


def test_the_pdf_carries_no_secret_in_its_bytes() -> None:
    data = render_pdf(make_report("blocked"))
    assert data.startswith(b"%PDF")
    text = data.decode("latin-1").casefold()
    assert [v for v in SECRETS.all().values() if v.casefold() in text] == []


def test_tokens_keep_their_class(blocked_report: dict[str, Any]) -> None:
    network = blocked_report["network"]
    assert network["public_ip"] == "public-v4#1"
    assert network["exit_country"] == "CN"  # the country stays
    assert network["egress"]["ipv4"] == "private-v4#1"
    wlan = next(i for i in network["interfaces"] if i["name"] == "wlan0")
    assert [a["address"] for a in wlan["addresses"]] == [
        "private-v4#1",
        "private-v6#1",
        "link-local-v6#1",
        "mac#1",
    ]
    plan = next(o for o in blocked_report["observations"] if o["kind"] == "plan")
    assert plan["ca_file"] == "home#1/certs/acme-root.pem"
    fetch = next(
        o for o in blocked_report["observations"] if o["kind"] == "http" and o["status"] == 403
    )
    assert "public-v4#1" in fetch["body_prefix"] and "mac#1" in fetch["body_prefix"]
    assert "host#1" in fetch["body_prefix"]
    assert "mac=mac#1" in fetch["redirects"][0]["location"]  # written with dashes, upper case
    assert ("x-client", "private-v4#1") in [tuple(h) for h in fetch["headers"]]


def test_the_report_lists_what_was_removed(blocked_report: dict[str, Any]) -> None:
    removed = {item["class"]: item["count"] for item in blocked_report["redactions"]}
    assert removed == {
        "public-v4": 1,
        "private-v4": 1,
        "private-v6": 1,
        "link-local-v6": 1,
        "mac": 1,
        "host": 1,
        "home": 1,
    }
    view = build_view(blocked_report)
    assert view.redaction_line is not None
    assert "1 internet address" in view.redaction_line
    assert "3 local network addresses" in view.redaction_line
    assert "your computer's name" in view.redaction_line
    for name, text in every_output(blocked_report).items():
        if name not in ("json", "text"):  # the terminal summary stays short
            assert view.redaction_line in text.replace("&#x27;", "'"), name
    chinese = build_view(make_report("blocked", language="zh_CN"))
    assert chinese.redaction_line is not None and "1 个公网地址" in chinese.redaction_line


def test_a_name_that_never_occurs_is_not_listed() -> None:
    report = make_report(
        "blocked",
        redaction=RedactionOptions(identity=Identity(users=("nobody-here",), hosts=("nohost",))),
    )
    classes = {item["class"] for item in report["redactions"]}
    assert "user" not in classes and "host" not in classes


def _comparable(diagnosis: Diagnosis, redactor: Redactor | None) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        json.dumps(
            {
                "status": diagnosis.status,
                "services": [dataclasses.asdict(s) for s in diagnosis.services],
                "findings": [dataclasses.asdict(f) for f in diagnosis.findings],
                "summary": diagnosis.summary_params,
                "network": dataclasses.asdict(diagnosis.network),
            }
        )
    )
    return redactor.data(data) if redactor is not None else data


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_redacted_report_diagnoses_exactly_like_the_original(
    scenario: str, tmp_path: Path
) -> None:
    observations = SCENARIOS[scenario]()
    saved = tmp_path / "run.clearsight-report"
    save_json(saved, build_report(observations, META, redaction=OPTIONS))
    _, reloaded = load_report(saved)
    original = diagnose(observations)
    again = diagnose(reloaded)
    assert again.status == original.status
    assert [(s.id, s.verdict, s.advice_verdict, s.reason) for s in again.services] == [
        (s.id, s.verdict, s.advice_verdict, s.reason) for s in original.services
    ]
    assert [(f.code, f.severity, f.subjects) for f in again.findings] == [
        (f.code, f.severity, f.subjects) for f in original.findings
    ]
    # Everything else is equal once the original's personal values are replaced the same way.
    redactor = collect(observations, SECRETS.identity())
    redactor.observations(observations)  # learn which values occur
    expected = _comparable(original, redactor)
    actual = _comparable(again, None)
    for facts in (expected, actual):
        # Facts about an address's class are recomputed from the token (DESIGN: tokens keep
        # their class; the report carries the original's facts, see build_report).
        facts["network"].pop("private_egress", None)
    assert actual == expected


def test_dns_answers_and_probe_addresses_stay_verbatim(blocked_report: dict[str, Any]) -> None:
    original = [to_json(o) for o in blocked_run()]
    redacted = blocked_report["observations"]
    for before, after in zip(original, redacted, strict=True):
        if before["kind"] in ("dns", "doh"):
            assert after["addresses"] == before["addresses"]
            assert after["name"] == before["name"]
        if before["kind"] in ("tcp", "tls", "http"):
            assert after["address"] == before["address"]
        if before["kind"] == "tls":
            assert after["certificate"] == before["certificate"]


def test_identity_values_are_found_as_whole_words_only() -> None:
    redactor = Redactor()
    redactor.add_identity(Identity(users=("mail",), hosts=("github",), homes=("/home/mail",)))
    assert redactor.text("https://mail.example.com/") == "https://mail.example.com/"
    assert redactor.text("github.com") == "github.com"
    assert redactor.text("gmail and mails") == "gmail and mails"
    assert redactor.text("user mail on github") == "user user#1 on host#1"
    assert redactor.text("github.local") == "host#1"
    assert redactor.text("/home/mail/.config") == "home#1/.config"
    assert redactor.text("MAIL@corp") == "user#1@corp"  # case-insensitive


def test_addresses_are_found_whole_and_in_every_spelling() -> None:
    redactor = Redactor()
    redactor.add_address("192.0.2.7")
    redactor.add_address("2001:db8::7")
    redactor.add_mac("1e:2b:3c:4d:5e:6f")
    assert (
        redactor.text("192.0.2.71 192.0.2.7.5 10.192.0.2.7")
        == "192.0.2.71 192.0.2.7.5 10.192.0.2.7"
    )
    assert redactor.text("http://192.0.2.7:8080/x") == "http://private-v4#1:8080/x"
    assert redactor.text("ip:192.0.2.7; ::ffff:192.0.2.7") == "ip:private-v4#1; ::ffff:private-v4#1"
    assert redactor.text("[2001:DB8::7]:443") == "[private-v6#1]:443"
    assert redactor.text("2001:db8::7:1 2001:db8::70") == "2001:db8::7:1 2001:db8::70"
    assert redactor.text("2001:0db8:0000:0000:0000:0000:0000:0007") == "private-v6#1"
    for spelling in (
        "1E-2B-3C-4D-5E-6F",
        "1e2b3c4d5e6f",
        "1e2b.3c4d.5e6f",
        "1e%3A2b%3A3c%3A4d%3A5e%3A6f",
    ):
        assert redactor.text(f"mac={spelling}&") == "mac=mac#1&", spelling


def test_loopback_zero_mac_and_tokens_are_not_personal() -> None:
    redactor = Redactor()
    redactor.add_address("127.0.0.1")
    redactor.add_address("::1")
    redactor.add_mac("00:00:00:00:00:00")
    redactor.add_address("private-v4#1")
    redactor.add_identity(Identity(users=("root",), hosts=("localhost",), homes=("/",)))
    assert redactor.tokens == {}


def test_a_report_redacted_twice_keeps_its_tokens_and_its_list(tmp_path: Path) -> None:
    first = make_report("blocked")
    saved = tmp_path / "first.clearsight-report"
    save_json(saved, first)
    data, observations = load_report(saved)
    again = build_report(
        observations, meta_from_report(data), redaction=RedactionOptions(identity=Identity())
    )
    assert again["redactions"] == first["redactions"]
    assert again["observations"] == first["observations"]
    assert again["report_id"] == first["report_id"]


def test_a_new_value_in_a_redacted_report_gets_a_new_number() -> None:
    first = make_report("blocked")
    redactor = Redactor(existing=[json.dumps(first)])
    redactor.add_address("192.0.2.99")
    assert redactor.text("192.0.2.99") == "private-v4#2"


def test_client_names_stay_unless_asked_for(blocked_report: dict[str, Any]) -> None:
    assert CLIENT in report_json(blocked_report)
    assert CLIENT in render_html(blocked_report)
    hidden = make_report(
        "blocked", redaction=RedactionOptions(identity=SECRETS.identity(), client_names=True)
    )
    for name, text in every_output(hidden).items():
        assert CLIENT not in text and "clash-verge" not in text, name
        assert leaks(text, SECRETS.all()) == [], name
    assert hidden["vpn"]["clients"] == [
        {"name": "proxy-client#1", "kind": "proxy", "process": "proxy-client#1", "per_app": False}
    ]
    assert {"class": "proxy-client", "count": 1} in hidden["redactions"]
    assert CLIENT_PROCESS not in report_json(hidden)


def test_the_diagnosis_passed_in_is_used_when_nothing_is_redacted() -> None:
    observations: tuple[Observation, ...] = tuple(
        o for o in blocked_run() if not isinstance(o, DnsQuery) or o.role != "injection_probe"
    )
    sentinel = replace(diagnose(observations), status="ok")
    report = build_report(observations, META, redact=False, diagnosis=sentinel)
    assert report["summary"]["status"] == "ok"
    # Redacting diagnoses the redacted observations instead (what the saved file says).
    report = build_report(observations, META, redaction=OPTIONS, diagnosis=sentinel)
    assert report["summary"]["status"] == "blocked"


def test_every_token_in_a_report_has_a_known_class(blocked_report: dict[str, Any]) -> None:
    text = report_json(blocked_report)
    assert TOKEN.search(text)
    for match in re.finditer(r"\b([a-z][a-z0-9-]*)#\d+", text):
        assert TOKEN.fullmatch(match.group(0)), match.group(0)


def test_a_redacted_report_shown_without_redaction_still_says_it_was_redacted(
    tmp_path: Path,
) -> None:
    saved = tmp_path / "r.clearsight-report"
    save_json(saved, make_report("blocked"))
    data, observations = load_report(saved)
    shown = build_report(observations, meta_from_report(data), redact=False)
    assert shown["redacted"] is True
    assert shown["redactions"] == data["redactions"]
