"""The typed diagnosis through a saved report and back (report/codec.py).

A report of the current diagnosis version opens to a result equal to the one it was
written from; an older or damaged one opens to None (its observations are diagnosed
again); whatever the codec cannot read exactly is refused, never guessed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearsight.diagnosis import Diagnosis, diagnose, vocabulary
from clearsight.diagnosis.model import (
    DIAGNOSIS_VERSION,
    AddressEvidence,
    HttpEvidence,
    LayerResult,
    Layers,
    ProxySummary,
    TcpAttemptEvidence,
    VpnEndpointResult,
)
from clearsight.probes.records import Observation
from clearsight.report.build import build_report, load_report
from clearsight.report.codec import (
    CodecError,
    data_json,
    diagnosis_from_report,
    proxy_json,
    read_data,
    read_diagnosis,
    read_finding,
    read_params,
    read_proxy,
    read_service,
    read_vpn,
)
from clearsight.report.files import save_json
from tests.builders.observations import baseline

from ..diagnosis.test_diagnosis_verdicts import ROWS
from ..diagnosis.test_redirect_rules import ROWS as REDIRECT_ROWS
from ..diagnosis.test_redirect_rules import START as REDIRECT_START
from ..diagnosis.test_vpn_rules import ROWS as VPN_ROWS
from .conftest import OPTIONS
from .scenarios import META, SCENARIOS

Build = Callable[[], tuple[Observation, ...]]
BUILDS: list[tuple[str, Build]] = [
    *((f"diagnosis-{row.id}", row.values[0]) for row in ROWS),
    *((f"vpn-{row.id}", row.values[0]) for row in VPN_ROWS),
    *((f"report-{name}", build) for name, build in sorted(SCENARIOS.items())),
]


def _saved_and_opened(report: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], Any]:
    path = tmp_path / "run.clearsight-report"
    save_json(path, report)
    return load_report(path)


@pytest.mark.parametrize("build", [b for _, b in BUILDS], ids=[i for i, _ in BUILDS])
def test_a_saved_report_opens_to_the_identical_typed_result(build: Build, tmp_path: Path) -> None:
    observations = build()
    diagnosis = diagnose(observations)
    report = build_report(observations, META, redact=False, diagnosis=diagnosis)
    data, reopened = _saved_and_opened(report, tmp_path)
    assert diagnosis_from_report(data) == diagnosis
    assert diagnose(reopened) == diagnosis  # and its observations still say the same


@pytest.mark.parametrize("build", [b for _, b in BUILDS], ids=[i for i, _ in BUILDS])
def test_a_redacted_report_opens_to_the_diagnosis_it_shows(build: Build, tmp_path: Path) -> None:
    observations = build()
    original = diagnose(observations)
    data, reopened = _saved_and_opened(
        build_report(observations, META, redaction=OPTIONS), tmp_path
    )
    shown = diagnose(reopened)
    # The class of a redacted address (a private egress, an IPv6 route) is kept from the
    # original: its token no longer tells.
    network = replace(
        shown.network,
        ipv6_route=original.network.ipv6_route,
        private_egress=original.network.private_egress,
    )
    assert diagnosis_from_report(data) == replace(shown, network=network)


def test_the_report_json_is_what_the_codec_writes() -> None:
    """The codec writes exactly the report's sections (nothing of the typed classes
    shows: tuples are lists, Literal words are strings)."""
    observations = SCENARIOS["vpn_proxy"]()
    diagnosis = diagnose(observations)
    report = build_report(observations, META, redact=False, diagnosis=diagnosis)
    assert json.loads(json.dumps(report)) == report
    service = report["services"][0]
    assert set(service["layers"]) == set(vocabulary.LAYERS)
    assert service["reason"] == diagnosis.services[0].reason
    assert isinstance(service["evidence"]["urls"], list)


def _redirect_run(name: str) -> tuple[Observation, ...]:
    """One row of the redirect rules' table (a way a URL's redirects lead), as a run."""
    row = REDIRECT_ROWS[name]
    s = baseline()
    s.redirect_limit = row.limit
    s.service("twitter", REDIRECT_START, name="Twitter")
    s.injection("twitter.test")
    row.build(s)
    if row.unfinished:
        s.unfinished(["twitter"])
    return s.build()


@pytest.mark.parametrize("name", list(REDIRECT_ROWS))
def test_a_redirect_s_way_opens_to_the_identical_typed_result(name: str, tmp_path: Path) -> None:
    observations = _redirect_run(name)
    diagnosis = diagnose(observations)
    report = build_report(observations, META, redact=False, diagnosis=diagnosis)
    data, reopened = _saved_and_opened(report, tmp_path)
    assert diagnosis_from_report(data) == diagnosis
    assert diagnose(reopened) == diagnosis


def test_a_redirect_s_way_keeps_its_report_keys() -> None:
    """The way's keys as the report has written them since the engine followed redirects:
    on the URL that has a way, the hops, the redirects spent and how the way ended (null:
    it arrived); where a later hop decided, its host, the first host and the hop's place;
    the service's ``redirected_to`` beside its params'. None of them without a way."""
    blocked = build_report(_redirect_run("target reset by its name"), META, redact=False)[
        "services"
    ]
    service = next(s for s in blocked if s["id"] == "twitter")
    url = service["evidence"]["urls"][0]
    assert url["way"] == [
        {
            "hop": 0,
            "url": "https://twitter.test/",
            "host": "twitter.test",
            "verdict": "reachable",
            "reason": None,
        },
        {
            "hop": 1,
            "url": "https://x.test/",
            "host": "x.test",
            "verdict": "tls_blocked",
            "reason": "name_connection_reset",
        },
    ]
    assert (url["redirects"], url["way_end"]) == (1, None)
    assert (url["redirected_to"], url["redirected_from"], url["decided_by_hop"]) == (
        "x.test",
        "twitter.test",
        1,
    )
    assert service["evidence"]["redirected_to"] == "x.test"
    assert service["params"]["redirected_to"] == "x.test"

    arrived = build_report(_redirect_run("reachable target"), META, redact=False)["services"]
    url = next(s for s in arrived if s["id"] == "twitter")["evidence"]["urls"][0]
    assert "way_end" in url and url["way_end"] is None
    assert not {"redirected_to", "redirected_from", "decided_by_hop"} & set(url)

    plain = build_report(SCENARIOS["blocked"](), META, redact=False)["services"]
    keys = {"way", "redirects", "way_end", "redirected_to", "redirected_from", "decided_by_hop"}
    for service in plain:
        assert "redirected_to" not in service["evidence"]
        for url in service["evidence"]["urls"]:
            assert not keys & set(url)


def _report(build: Build = SCENARIOS["blocked"]) -> dict[str, Any]:
    observations = build()
    return build_report(observations, META, redact=False)


def test_a_report_of_older_rules_is_diagnosed_again() -> None:
    report = _report()
    report["diagnosis_version"] = "clearsight-rules/0"
    assert diagnosis_from_report(report) is None
    del report["diagnosis_version"]
    assert diagnosis_from_report(report) is None


def _damage(path: tuple[str | int, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def damage(report: dict[str, Any]) -> None:
        target: Any = report
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return damage


_DELETE = object()

# Each row damages one value of a current report; none of them reads as a diagnosis.
DAMAGE = [
    ("misspelt-status", ("summary", "status"), "block"),
    ("misspelt-verdict", ("services", 0, "verdict"), "dns_tamperd"),
    ("misspelt-advice-verdict", ("services", 0, "advice_verdict"), "blocked"),
    ("misspelt-via-proxy", ("services", 0, "via_proxy"), "works"),
    ("misspelt-path", ("services", 0, "path"), "tunnel"),
    ("no-reason", ("services", 0, "reason"), _DELETE),
    ("reason-not-text", ("services", 0, "reason"), 3),
    ("no-service-name-param", ("services", 0, "params"), {}),
    ("domestic-not-bool", ("services", 0, "domestic"), 1),
    ("layer-status-misspelt", ("services", 0, "layers", "dns", "status"), "forgd"),
    ("layer-unknown", ("services", 0, "layers", "quic"), {"status": "ok", "failure": None}),
    ("layer-missing", ("services", 0, "layers", "tls"), _DELETE),
    ("url-verdict-missing", ("services", 0, "evidence", "urls", 0, "verdict"), _DELETE),
    ("evidence-unknown-key", ("services", 0, "evidence", "extra"), 1),
    ("evidence-urls-not-list", ("services", 0, "evidence", "urls"), {}),
    ("dns-status-misspelt", ("services", 0, "evidence", "urls", 0, "dns", "status"), "fine"),
    ("answers-not-text", ("services", 0, "evidence", "urls", 0, "dns", "answers"), [1]),
    ("elapsed-bool", ("services", 0, "elapsed_ms"), True),
    ("finding-code-unknown", ("findings", 0, "code"), "dns_tamperinng"),
    ("finding-severity-misspelt", ("findings", 0, "severity"), "fatal"),
    ("finding-param-object", ("findings", 0, "params", "names"), {"a": 1}),
    ("finding-subjects-not-list", ("findings", 0, "subjects"), "gmail"),
    ("network-missing", ("network",), _DELETE),
    ("network-bool-missing", ("network", "ipv6_route"), _DELETE),
    ("interfaces-not-list", ("network", "interfaces"), None),
    ("services-not-list", ("services",), {}),
]


@pytest.mark.parametrize(
    ("path", "value"), [(p, v) for _, p, v in DAMAGE], ids=[i for i, _, _ in DAMAGE]
)
def test_a_damaged_diagnosis_is_diagnosed_again(path: tuple[str | int, ...], value: object) -> None:
    report = _report()
    assert diagnosis_from_report(report) is not None
    damaged = copy.deepcopy(report)
    _damage(path, value)(damaged)
    assert diagnosis_from_report(damaged) is None
    with pytest.raises((CodecError, TypeError, ValueError, KeyError)):
        read_diagnosis(damaged)


def test_a_vpn_section_without_a_state_was_made_up_from_findings() -> None:
    report = _report(SCENARIOS["ok"])
    diagnosis = diagnosis_from_report(report)
    assert diagnosis is not None
    assert "state" not in report["vpn"]
    assert diagnosis.vpn is None


def test_the_words_of_a_vpn_server_are_not_part_of_the_result() -> None:
    endpoint = {
        "name": "Office",
        "host": "vpn.example",
        "port": 443,
        "protocol": "https",
        "status": "blocked",
        "reason": "connection_times_out",
        "addresses": ["192.0.2.7"],
        "detail": "no answer",
    }
    vpn = read_vpn(
        {
            "active": True,
            "state": "active",
            "interface": "tun0",
            "tunnels": ["tun0"],
            "carrying": [],
            "endpoints": [endpoint],
            "clients": [{"name": "OpenVPN"}],
        }
    )
    assert vpn.endpoints == (
        VpnEndpointResult(
            "Office", "vpn.example", 443, "https", "blocked", "connection_times_out", ("192.0.2.7",)
        ),
    )
    assert vpn.active is True
    with pytest.raises(CodecError):
        read_vpn({"state": "up", "interface": None, "tunnels": [], "carrying": [], "endpoints": []})


# read_data: every plain-data class from its JSON, exactly.
READ_DATA: list[tuple[str, type, object, object]] = [
    (
        "layers",
        Layers,
        {
            "dns": {"status": "forged", "failure": None},
            "tcp": {"status": "ok", "failure": None},
            "tls": {"status": "failed", "failure": "connection_reset"},
            "http": {"status": "not_run", "failure": None},
        },
        Layers(
            dns=LayerResult("forged"),
            tcp=LayerResult("ok"),
            tls=LayerResult("failed", "connection_reset"),
            http=LayerResult("not_run"),
        ),
    ),
    (
        "layers-one-missing",
        Layers,
        {"dns": {"status": "forged", "failure": None}, "tcp": {"status": "ok", "failure": None}},
        CodecError,
    ),
    ("layer-result-no-failure-key", LayerResult, {"status": "ok"}, LayerResult("ok")),
    (
        "layer-result",
        LayerResult,
        {"status": "failed", "failure": "timeout"},
        LayerResult("failed", "timeout"),
    ),
    ("tcp-whole-ms", TcpAttemptEvidence, {"failure": None, "ms": 12}, TcpAttemptEvidence(None, 12)),
    (
        "tcp-float-ms",
        TcpAttemptEvidence,
        {"failure": "timeout", "ms": 2000.5},
        TcpAttemptEvidence("timeout", 2000.5),
    ),
    ("tcp-no-ms", TcpAttemptEvidence, {"failure": "timeout"}, CodecError),
    ("tcp-ms-text", TcpAttemptEvidence, {"failure": None, "ms": "12"}, CodecError),
    ("tcp-ms-bool", TcpAttemptEvidence, {"failure": None, "ms": True}, CodecError),
    (
        "address-left-out-layers",
        AddressEvidence,
        {"address": "192.0.2.1", "tcp": None},
        AddressEvidence("192.0.2.1", None),
    ),
    (
        "address-tcp-list",
        AddressEvidence,
        {"address": "192.0.2.1", "tcp": [{"failure": None, "ms": 1.0}]},
        AddressEvidence("192.0.2.1", (TcpAttemptEvidence(None, 1.0),)),
    ),
    ("address-no-tcp-key", AddressEvidence, {"address": "192.0.2.1"}, CodecError),
    ("address-not-object", AddressEvidence, ["192.0.2.1"], CodecError),
    (
        "http",
        HttpEvidence,
        {
            "status": 302,
            "failure": None,
            "bytes": 0,
            "stalled": False,
            "title": None,
            "redirects": ["http://10.0.0.1/"],
            "ms": 40.0,
        },
        HttpEvidence(302, None, 0, False, None, ("http://10.0.0.1/",), 40.0),
    ),
    (
        "http-status-float",
        HttpEvidence,
        {
            "status": 302.0,
            "failure": None,
            "bytes": 0,
            "stalled": False,
            "title": None,
            "redirects": [],
            "ms": None,
        },
        CodecError,
    ),
]


@pytest.mark.parametrize(
    ("cls", "value", "expected"),
    [(c, v, e) for _, c, v, e in READ_DATA],
    ids=[i for i, _, _, _ in READ_DATA],
)
def test_read_data(cls: type, value: object, expected: object) -> None:
    if expected is CodecError:
        with pytest.raises(CodecError):
            read_data(cls, value)
        return
    assert read_data(cls, value) == expected
    assert read_data(cls, data_json(expected)) == expected


PARAMS = [
    ("words-and-numbers", {"a": "x", "b": 3, "c": 1.5, "d": None, "e": True}, None),
    ("list-of-words", {"names": ["x", "y"]}, None),
    ("list-of-numbers", {"names": [1]}, CodecError),
    ("object", {"o": {"k": "v"}}, CodecError),
    ("not-object", ["a"], CodecError),
]


@pytest.mark.parametrize(
    ("value", "error"), [(v, e) for _, v, e in PARAMS], ids=[i for i, _, _ in PARAMS]
)
def test_read_params(value: object, error: type[Exception] | None) -> None:
    if error is not None:
        with pytest.raises(error):
            read_params(value)
    else:
        assert read_params(value) == value


PROXIES = [
    ProxySummary("environment", "manual", "http://p:8080", None, None, None, ("localhost",)),
    ProxySummary(
        "gnome", "auto_config", None, None, None, "http://wpad/wpad.dat", (), 404, None, True
    ),
    ProxySummary(
        "windows", "manual", None, "p:3128", None, None, (), exit_country="US", exit_measured=True
    ),
    ProxySummary("macos", "manual", None, "p:3128", None, None, (), exit_measured=True),
]


@pytest.mark.parametrize("proxy", PROXIES)
def test_the_proxy_setting_keeps_which_keys_it_has(proxy: ProxySummary) -> None:
    data = proxy_json(proxy)
    assert ("pac_status" in data) == proxy.auto_config
    assert ("exit_country" in data) == proxy.exit_measured
    assert read_proxy(json.loads(json.dumps(data))) == proxy


def test_services_and_findings_read_on_their_own() -> None:
    report = _report()
    diagnosis = diagnose(SCENARIOS["blocked"]())
    assert read_service(report["services"][0]) == diagnosis.services[0]
    assert read_finding(report["findings"][0]) == diagnosis.findings[0]


def test_every_vocabulary_is_its_literal_type() -> None:
    """The word tuples and the Literal types are one list (a misspelt verdict cannot
    type-check, and the catalog tests loop over the same words)."""
    assert get_args(vocabulary.Status) == vocabulary.STATUSES
    assert get_args(vocabulary.Verdict) == vocabulary.VERDICTS
    assert get_args(vocabulary.Severity) == vocabulary.SEVERITIES
    assert vocabulary.LAYERS == ("dns", "tcp", "tls", "http")
    assert set(vocabulary.FINDINGS) == set(vocabulary.FINDING_CODES)
    assert set(vocabulary.VERDICTS) >= vocabulary.BLOCKING_VERDICTS
    assert set(vocabulary.UNCLEAR_CAUSES) <= set(vocabulary.FINDING_CODES)
    assert DIAGNOSIS_VERSION == "clearsight-rules/1"


def test_a_diagnosis_is_equal_only_to_itself() -> None:
    """Equality is what "the identical result" means: a changed verdict is noticed."""
    diagnosis: Diagnosis = diagnose(SCENARIOS["blocked"]())
    first = diagnosis.services[0]
    changed = replace(first, verdict="reachable" if first.verdict != "reachable" else "slow")
    assert replace(diagnosis, services=(changed, *diagnosis.services[1:])) != diagnosis


@pytest.mark.parametrize(
    ("version", "kept"), [(DIAGNOSIS_VERSION, True), ("clearsight-rules/0", False)]
)
def test_explain_shows_the_saved_result_of_the_current_rules(
    version: str, kept: bool, tmp_path: Path
) -> None:
    """``explain`` renders a current report's own result; an older report's observations
    are diagnosed again (here they lost their connections, so a new diagnosis differs)."""
    from clearsight.cli import main

    report = _report()
    report["diagnosis_version"] = version
    report["observations"] = [o for o in report["observations"] if o["kind"] != "tcp"]
    saved = tmp_path / "run.clearsight-report"
    out = tmp_path / "again.json"
    save_json(saved, report)
    main(["explain", str(saved), "--json", str(out)])
    again = json.loads(out.read_text(encoding="utf-8"))
    verdicts = [(s["id"], s["verdict"]) for s in report["services"]]
    assert ([(s["id"], s["verdict"]) for s in again["services"]] == verdicts) is kept
    assert again["diagnosis_version"] == DIAGNOSIS_VERSION


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_SECTIONS = ("summary", "services", "findings", "network", "vpn")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(section=st.sampled_from(_SECTIONS), value=_JSON, index=st.integers(0, 3))
def test_whatever_a_file_holds_opens_or_is_diagnosed_again(
    section: str, value: object, index: int
) -> None:
    """A report from e-mail: any value anywhere in the diagnosis's sections gives a
    result or None, never an exception."""
    report = copy.deepcopy(_BLOCKED)
    target = report[section]
    if isinstance(target, list) and target:
        item = target[index % len(target)]
        key = sorted(item)[index % len(item)]
        item[key] = value
    elif isinstance(target, dict):
        target[sorted(target)[index % len(target)]] = value
    else:
        report[section] = value
    result = diagnosis_from_report(report)
    assert result is None or isinstance(result, Diagnosis)


_BLOCKED = _report()
