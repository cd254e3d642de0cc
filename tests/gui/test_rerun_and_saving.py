"""Checking one service again (its old measurements replaced, the rest kept) and what a
saved report leaves out (the preview shows exactly the replaced values)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from clearsight.diagnosis import diagnose
from clearsight.explanations import catalog
from clearsight.gui.rerun import merge_rerun, single_service_profile
from clearsight.gui.save_report import (
    FORMATS,
    removed_values,
    render_report,
    suggested_name,
)
from clearsight.probes.records import DnsQuery, RunPlan, TcpConnect, Unfinished
from clearsight.report.build import RunMeta, build_report
from tests.gui import scenarios
from tests.gui.conftest import cached

META = RunMeta("Test", None, "2025-11-28T08:00:00Z", "2025-11-28T08:00:14Z", 14.0)


def test_a_single_service_profile_keeps_what_judging_it_needs_and_nothing_else() -> None:
    profile = scenarios.default_profile()
    gmail = profile.service("gmail")
    assert gmail is not None
    single = single_service_profile(profile, gmail)
    assert single.services == (gmail,)
    assert single.resolvers == profile.resolvers and single.doh == profile.doh
    assert single.captive_checks == () and single.exit_check is None
    assert single.dns_injection is not None
    assert single.dns_injection.names == ("mail.google.com",)


def test_checking_one_service_again_replaces_only_its_measurements() -> None:
    profile = scenarios.default_profile()
    gmail = profile.service("gmail")
    assert gmail is not None
    old = cached("blocked", scenarios.blocked)
    new = scenarios.build_run(single_service_profile(profile, gmail))  # now it works
    merged = merge_rerun(old, new, gmail)
    assert sum(isinstance(o, RunPlan) for o in merged) == 1
    assert (
        next(o for o in merged if isinstance(o, RunPlan)).services
        == next(o for o in old if isinstance(o, RunPlan)).services
    )
    system = [
        o
        for o in merged
        if isinstance(o, DnsQuery) and o.name == "mail.google.com" and o.role == "system"
    ]
    assert [q.addresses for q in system if q.qtype == "A"] == [
        next(
            q.addresses
            for q in new
            if isinstance(q, DnsQuery)
            and q.name == "mail.google.com"
            and q.qtype == "A"
            and q.role == "system"
        )
    ]
    diagnosis = diagnose(merged)
    assert diagnosis.service("gmail").verdict == "reachable"
    assert diagnosis.service("youtube").verdict == "dns_tampered"
    assert diagnosis.service("baidu").verdict == "reachable"
    assert len(diagnosis.services) == 55


def test_an_unfinished_service_checked_again_is_no_longer_unfinished() -> None:
    profile = scenarios.small_profile()
    gmail = profile.service("gmail")
    assert gmail is not None
    old = (*scenarios.build_run(profile), Unfinished("deadline", ("Gmail", "X"), ("gmail", "x")))
    new = scenarios.build_run(single_service_profile(profile, gmail))
    merged = merge_rerun(old, new, gmail)
    unfinished = [o for o in merged if isinstance(o, Unfinished)]
    assert unfinished == [Unfinished("deadline", ("X",), ("x",))]
    assert all(o.address != "" for o in merged if isinstance(o, TcpConnect))


def test_the_preview_lists_exactly_the_values_the_saved_report_replaces() -> None:
    observations = cached("blocked", scenarios.blocked)
    plain = build_report(observations, META, language="en", redact=False)
    redacted = build_report(observations, META, language="en", redact=True)
    pairs = dict(removed_values(plain, redacted))
    assert pairs[scenarios.LOCAL_V4] == "private-v4#1"
    assert pairs[scenarios.PUBLIC_IP] == "public-v4#1"
    assert pairs[scenarios.LOCAL_MAC].startswith("mac#")
    for value in pairs:
        assert value not in str(redacted["network"]) and value not in str(redacted["observations"])
    # Evidence stays: the forged answer and the probe address are not personal.
    assert "31.13.94.37" not in pairs and scenarios.INJECTION_PROBE not in pairs


def test_the_preview_of_an_already_redacted_report_is_empty() -> None:
    observations = cached("blocked", scenarios.blocked)
    redacted = build_report(observations, META, language="en", redact=True)
    again = build_report(observations, META, language="en", redact=True)
    assert removed_values(redacted, again) == []


@pytest.mark.parametrize("fmt", [f.key for f in FORMATS])
def test_every_format_renders(fmt: str) -> None:
    report = build_report(cached("all_fine", scenarios.all_fine), META, language="zh_CN")
    data = render_report(report, fmt)
    if fmt == "pdf":
        assert data.startswith(b"%PDF")
    else:
        assert "检查" in data.decode("utf-8")


def test_a_suggested_file_name_is_safe_on_every_system() -> None:
    from datetime import datetime

    name = suggested_name(catalog("en"), "report", datetime(2025, 11, 28, 16, 5))
    assert name == "Clearsight report 2025-11-28 16.05.clearsight-report"
    assert Path(suggested_name(catalog("zh_CN"), "html")).suffix == ".html"
    assert not any(c in name for c in ':*?"<>|')


def test_replace_keeps_records_comparable() -> None:
    # merge_rerun keeps the first run's records as they are (same objects, same order).
    old = cached("blocked", scenarios.blocked)
    gmail = replace(scenarios.default_profile().service("gmail"))  # type: ignore[type-var]
    merged = merge_rerun(old, (), gmail)
    kept = [o for o in old if o in merged]
    assert kept == [o for o in merged]
