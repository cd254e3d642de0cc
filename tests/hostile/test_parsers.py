"""Property-based tests of every path that reads data from the network or from a file:
never an exception other than the documented ones, and nothing that is not true."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clearsight.probes import doh as doh_module
from clearsight.probes import failures
from clearsight.probes.clock import parse_http_date
from clearsight.probes.dns_udp import MAX_PACKET, ParsedReply, failure_of, parse_reply
from clearsight.probes.exit_check import parse_trace
from clearsight.probes.records import (
    OBSERVATION_TYPES,
    RecordFormatError,
    observation_from_json,
    to_json,
)
from clearsight.profile.loader import MAX_FILE_BYTES, ProfileError, load_profile, parse_profile
from clearsight.report.build import SCHEMA, ReportError, RunMeta, build_report, load_report
from clearsight.report.html import render_html
from clearsight.report.text import render_email_text, render_text

from . import strategies as hs

# CLEARSIGHT_HOSTILE_EXAMPLES=10 runs ten times as many examples (a thorough pass).
SCALE = max(1, int(os.environ.get("CLEARSIGHT_HOSTILE_EXAMPLES", "1")))
FAST = settings(
    max_examples=400 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
SLOW = settings(
    max_examples=120 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

QUERY = hs.query(qid=0x1234)
VALID = hs.valid_reply(QUERY, "198.18.1.7", "fd77::7", cname="edge.example.test.")


# ----------------------------------------------------------------------- DNS replies


def _check_parsed(parsed: ParsedReply) -> None:
    assert isinstance(parsed, ParsedReply)
    reply = parsed.reply
    if parsed.usable:
        assert reply.malformed is None
        assert reply.rcode
        assert len(reply.addresses) <= 64 and len(reply.cnames) <= 16
        for address in reply.addresses:
            assert str(ipaddress.ip_address(address)) == address
        failure = failure_of(reply, "A")
        assert failure is None or failure in vars(failures).values()
        assert (failure is None) == (reply.rcode == "NOERROR" and bool(reply.addresses))
    else:
        assert isinstance(reply.malformed, str) and reply.malformed
        assert reply.addresses == ()


@FAST
@given(st.binary(max_size=MAX_PACKET))
@example(b"")
@example(b"\x12\x34")
@example(hs.compression_loop(0x1234))
@example(hs.pointer_ping_pong(0x1234))
def test_parse_reply_survives_arbitrary_bytes(wire: bytes) -> None:
    _check_parsed(parse_reply(wire, QUERY, "127.0.0.1", 0.01))


@FAST
@given(hs.mutated(VALID))
def test_parse_reply_survives_mutated_valid_replies(wire: bytes) -> None:
    _check_parsed(parse_reply(wire, QUERY, "127.0.0.1", 0.01))


@pytest.mark.parametrize(
    ("name", "wire", "usable"),
    [
        ("compression-loop", hs.compression_loop(0x1234), False),
        ("pointer-ping-pong", hs.pointer_ping_pong(0x1234), False),
        ("wrong-id", hs.valid_reply(hs.query(qid=0x4321), "198.18.1.1"), False),
        ("wrong-question", hs.valid_reply(hs.query("evil.test", qid=0x1234), "198.18.1.1"), False),
        ("not-a-reply", hs.header(0x1234, flags=0x0100) + hs.question_wire(), False),
        ("truncated-header", VALID[:7], False),
        ("truncated-answer", VALID[:-3], False),
        ("thousands-of-records", hs.many_records(0x1234, 4000), True),
        ("64-kb-answer", hs.many_records(0x1234, 2, size=64000), True),
        ("claims-65535-records", hs.header(0x1234, an=65535) + hs.question_wire(), False),
    ],
)
def test_named_hostile_replies(name: str, wire: bytes, usable: bool) -> None:
    started = time.monotonic()
    parsed = parse_reply(wire, QUERY, "127.0.0.1", 0.01)
    assert time.monotonic() - started < 1.0
    _check_parsed(parsed)
    assert parsed.usable is usable, parsed.reply


# ----------------------------------------------------------------------- DoH bodies

DOH_QUERY = hs.query(qid=0)
DOH_VALID = hs.valid_reply(DOH_QUERY, "198.18.1.7")


def _doh(body: bytes, status: int | None = 200) -> Any:
    url = "https://doh.test/q"
    _target, message = doh_module.request_target(url, "www.example.test", "A")
    return doh_module.answer_record(
        resolver="Ref",
        url=url,
        bootstrap="198.18.53.1",
        question=("www.example.test", "A"),
        message=message,
        status=status,
        body=body,
        elapsed=1.0,
        started_s=0.0,
    )


@FAST
@given(st.binary(max_size=2048) | hs.mutated(DOH_VALID), st.sampled_from([200, 200, 404, 500]))
@example(hs.compression_loop(0), 200)
@example(hs.many_records(0, 3000, size=60000), 200)
def test_doh_body_parsing_never_raises_and_never_invents_addresses(
    body: bytes, status: int
) -> None:
    record = _doh(body, status)
    if record.failure is None:
        assert record.addresses and record.rcode == "NOERROR"
        for address in record.addresses:
            ipaddress.ip_address(address)
        return
    assert record.addresses == ()  # never an address beside a failure
    if record.rcode is not None:  # a reply was read: the failure is what its rcode says
        expected = {
            "NOERROR": failures.NO_ANSWER,
            "NXDOMAIN": failures.NXDOMAIN,
            "SERVFAIL": failures.DNS_SERVFAIL,
            "REFUSED": failures.DNS_REFUSED,
        }
        assert record.failure == expected.get(record.rcode, failures.DNS_MALFORMED)


def test_a_valid_doh_answer_is_read() -> None:
    record = _doh(DOH_VALID)
    assert (record.addresses, record.failure) == (("198.18.1.7",), None)


# ----------------------------------------------------------------------- trace and date


@FAST
@given(
    st.text(max_size=3000)
    | st.lists(
        st.sampled_from(["ip=", "loc=", "1.2.3.4", "CN", "\n", "::1", "=", "\r", "US\x00"]),
        max_size=40,
    ).map("".join)
)
def test_parse_trace_never_raises_and_returns_only_valid_values(text: str) -> None:
    ip, country = parse_trace(text)
    if ip is not None:
        ipaddress.ip_address(ip.split("%")[0])
    if country is not None:
        assert len(country) == 2 and country.isascii() and country.isupper()


@FAST
@given(
    st.text(max_size=80)
    | st.builds(
        "{}, {:02d} {} {} {:02d}:{:02d}:{:02d} {}".format,
        st.sampled_from(["Mon", "Xyz", ""]),
        st.integers(-5, 99),
        st.sampled_from(["Jan", "Feb", "Dec", "Foo"]),
        st.integers(-10, 100000),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
        st.sampled_from(["GMT", "+2359", "-2359", "+9999", "UT", "-0000", "PST", ""]),
    )
)
@example("31 Dec 9999 23:59:59 -2359")
@example("01 Jan 0001 00:00:00 +2359")
def test_parse_http_date_never_raises(value: str) -> None:
    parsed = parse_http_date(value)
    assert parsed is None or (isinstance(parsed, datetime) and parsed.tzinfo == UTC)


# ----------------------------------------------------------------------- observations


@FAST
@given(hs.json_values | hs.broken_observation())
def test_observation_from_json_raises_only_record_format_error(data: Any) -> None:
    try:
        record = observation_from_json(data)
    except RecordFormatError:
        return
    assert type(record) in OBSERVATION_TYPES.values()
    json.dumps(to_json(record), allow_nan=False)  # what loads saves again as strict JSON


@FAST
@given(hs.typed_observations)
def test_type_correct_observations_load(data: dict[str, Any]) -> None:
    try:
        record = observation_from_json(data)
    except RecordFormatError as exc:
        # Only numbers a float cannot hold are refused among type-correct values.
        assert "number" in str(exc), exc
        return
    assert record.kind == data["kind"]


META = RunMeta("Hostile", None, "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z", 5.0)


@SLOW
@given(st.lists(hs.typed_observations, min_size=1, max_size=12), st.booleans())
def test_a_report_of_meaning_hostile_observations_diagnoses_and_renders(
    items: list[dict[str, Any]], redact: bool
) -> None:
    """What `clearsight explain` does with a report from e-mail: load, diagnose, render."""
    report = {"schema": SCHEMA, "observations": items}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.clearsight-report"
        path.write_text(json.dumps(report), "utf-8")
        try:
            _saved, observations = load_report(path)
        except ReportError:
            return
    built = build_report(observations, META, language="zh_CN", redact=redact)
    json.dumps(built, allow_nan=False)
    render_text(built, colour=False)
    render_email_text(built)
    render_html(built)


# ----------------------------------------------------------------------- whole files


def _report_bytes() -> st.SearchStrategy[bytes]:
    def wrap(obj: Any) -> bytes:
        return json.dumps(obj).encode()

    shaped = st.fixed_dictionaries(
        {"schema": st.sampled_from([SCHEMA, "clearsight-report/2", 1, None])},
        optional={
            "observations": st.lists(hs.broken_observation(), max_size=4) | hs.json_values,
            "language": hs.json_values,
            "redacted": hs.json_values,
            "profile": hs.json_values,
            "platform": hs.json_values,
            "redactions": hs.json_values,
            "duration_s": hs.json_values,
        },
    ).map(wrap)
    html = shaped.map(
        lambda b: (
            b'<html><script type="application/json" id="clearsight-report">' + b + b"</script>"
        )
    )
    return (
        st.binary(max_size=2000)
        | shaped
        | hs.mutated(b'{"schema": "' + SCHEMA.encode() + b'", "observations": []}')
        | html
    )


@SLOW
@given(_report_bytes())
@example(b'{"schema": "clearsight-report/1", "observations": [], "x": ' + b"1" * 5000 + b"}")
@example(b'{"schema": "clearsight-report/1", "observations": [' * 100000)
@example(b"\xff\xfe{}")
def test_load_report_raises_only_report_error(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.clearsight-report"
        path.write_bytes(raw)
        try:
            _saved, observations = load_report(path)
        except ReportError as exc:
            assert str(path) in str(exc)
            return
    build_report(observations, META, language="en", redact=True)


@FAST
@given(hs.toml_ish | st.binary(max_size=500).map(lambda b: b.decode("latin-1")))
@example("format = " + "1" * 5000)
@example("format = 1\nname = 'x'\n[settings]\ntimeout_s = 1e400\n")
def test_parse_profile_raises_only_profile_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        try:
            parse_profile(text.encode("utf-8", "surrogatepass"), "hostile.clearsight", Path(folder))
        except ProfileError as exc:
            assert str(exc).startswith("hostile.clearsight")
            assert "\n" not in str(exc).strip()


@SLOW
@given(st.binary(max_size=3000))
def test_parse_profile_of_arbitrary_bytes(raw: bytes) -> None:
    with contextlib.suppress(ProfileError):
        parse_profile(raw, "bytes.clearsight", None)


def test_a_profile_over_the_size_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.clearsight"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES * 200)  # sparse, 200 MB
    with pytest.raises(ProfileError, match="too large"):
        load_profile(big)


# ----------------------------------------------------------------------- certificates


def _der() -> bytes:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile.test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(1950, 1, 1))
        .not_valid_after(datetime.datetime(9999, 12, 31, 23, 59, 59))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hostile.test")]), False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


DER = _der()


@FAST
@given(st.binary(max_size=2000) | hs.mutated(DER))
@example(DER)
@example(DER.replace(b"\x0c\x0chostile.test", b"\x0d\x0chostile.test", 1))  # bad issuer
def test_certificate_fields_of_hostile_bytes_never_raise(der: bytes) -> None:
    """A server (or a censor) chooses the certificate bytes: every field is read safely."""
    from clearsight.probes.tls import certificate_fields

    fields = certificate_fields(der)
    if fields is not None:
        json.dumps(to_json(fields))
        assert len(fields.sans) <= 100 and len(fields.subject) <= 500
