"""Hypothesis strategies for hostile input: DNS packets, JSON, TOML-ish text, records."""

from __future__ import annotations

import dataclasses
import struct
import types
import typing
from typing import Any

import dns.flags
import dns.message
import dns.rrset
from hypothesis import strategies as st

from clearsight.probes.records import OBSERVATION_TYPES

# ------------------------------------------------------------------------------- DNS


def query(name: str = "www.example.test", qtype: str = "A", qid: int | None = None) -> Any:
    message = dns.message.make_query(name, qtype)
    message.flags |= dns.flags.RD
    if qid is not None:
        message.id = qid
    return message


def valid_reply(q: Any, *addresses: str, cname: str | None = None) -> bytes:
    reply = dns.message.make_response(q)
    name = q.question[0].name
    if cname:
        reply.answer.append(dns.rrset.from_text(name, 60, "IN", "CNAME", cname))
    for address in addresses:
        rdtype = "AAAA" if ":" in address else "A"
        reply.answer.append(dns.rrset.from_text(name, 60, "IN", rdtype, address))
    return bytes(reply.to_wire())


def header(
    qid: int, flags: int = 0x8180, qd: int = 1, an: int = 0, ns: int = 0, ar: int = 0
) -> bytes:
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def question_wire(name: str = "www.example.test", qtype: int = 1) -> bytes:
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00" + struct.pack("!HH", qtype, 1)


def compression_loop(qid: int) -> bytes:
    """A reply whose answer name is a pointer to itself (offset 29 points at offset 29)."""
    q = question_wire()
    body = header(qid, an=1) + q
    offset = len(body)
    pointer = struct.pack("!H", 0xC000 | offset)
    return body + pointer + struct.pack("!HHIH", 1, 1, 60, 4) + b"\xc6\x33\x64\x07"


def pointer_ping_pong(qid: int) -> bytes:
    """Two pointers pointing at each other."""
    q = question_wire()
    body = header(qid, an=1) + q
    a = len(body)
    return (
        body
        + struct.pack("!HH", 0xC000 | (a + 2), 0xC000 | a)
        + struct.pack("!HHIH", 1, 1, 60, 4)
        + b"\x01\x02\x03\x04"
    )


def many_records(qid: int, count: int, *, size: int = 0) -> bytes:
    """A reply claiming ``count`` A records (each a compressed pointer to the question),
    padded with ``size`` bytes of TXT junk: thousands of records, 64 KB answers."""
    q = question_wire()
    body = header(qid, an=count + (1 if size else 0)) + q
    for i in range(count):
        body += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + struct.pack("!I", 0xC6120000 + i)
    if size:
        chunk = b"\xff" + b"x" * 255
        txt = chunk * max(1, size // 256)
        txt = txt[: 65000 - len(body) - 12]
        body += struct.pack("!HHHIH", 0xC00C, 16, 1, 60, len(txt)) + txt
    return body


def mutated(wire: bytes) -> st.SearchStrategy[bytes]:
    """``wire`` with random bit flips, truncation, insertion and deletion."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = bytearray(wire)
        for _ in range(draw(st.integers(0, 8))):
            op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
            if not data:
                break
            index = draw(st.integers(0, len(data) - 1))
            if op == "flip":
                data[index] ^= 1 << draw(st.integers(0, 7))
            elif op == "set":
                data[index] = draw(st.integers(0, 255))
            elif op == "insert":
                data[index:index] = draw(st.binary(min_size=1, max_size=16))
            elif op == "delete":
                del data[index : index + draw(st.integers(1, 8))]
            else:
                del data[index:]
        return bytes(data)

    return build()


# ------------------------------------------------------------------------------- JSON

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)

ADDRESSES = st.sampled_from(
    [
        "198.18.1.1",
        "10.0.0.1",
        "127.0.0.1",
        "0.0.0.0",
        "::1",
        "fd77::1",
        "2001:db8::1",
        "fe80::1%eth0",
        "not-an-address",
        "",
        "999.1.1.1",
        "private-v4#1",
    ]
)
WORDS = st.sampled_from(
    [
        "",
        "ok",
        "timeout",
        "connection_reset",
        "nxdomain",
        "system",
        "A",
        "AAAA",
        "ipv4",
        "ipv6",
        "https://x.test/",
        "http://",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "NOERROR",
        "SERVFAIL",
        "deadline",
        "cancelled",
        "direct",
        "proxy",
        "reachable",
        "manual",
        "auto_config",
        "CN",
        "ZZ",
        "<script>alert(1)</script>",
        "{name}",
        "%s%s%n",
        "\u202e\u0000\ud7ff",
        "x" * 3000,
    ]
)
TEXT = WORDS | ADDRESSES | st.text(max_size=30)
FLOATS = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False) | st.sampled_from(
    [0.0, -1.0, 1e300, -1e300]
)
INTS = st.integers(min_value=-(2**63), max_value=2**63) | st.sampled_from([0, -1, 443, 65536])


def for_hint(hint: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """A JSON value of the shape ``hint`` asks for (type-correct, meaning-hostile)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([for_hint(a, depth) for a in typing.get_args(hint)])
    if hint is type(None):
        return st.none()
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(for_hint(args[0], depth + 1), max_size=4 if depth < 2 else 1)
        return st.tuples(*[for_hint(a, depth + 1) for a in args]).map(list)
    if dataclasses.is_dataclass(hint):
        return record_json(hint, depth + 1)  # type: ignore[arg-type]
    if hint is str:
        return TEXT
    if hint is bool:
        return st.booleans()
    if hint is int:
        return INTS
    if hint is float:
        return FLOATS | INTS
    return json_values


def record_json(cls: type[Any], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: for_hint(hints[f.name], depth) for f in dataclasses.fields(cls)}
    kind = getattr(cls, "kind", None)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": kind} if isinstance(kind, str) else {}
        for name, strategy in fields.items():
            out[name] = draw(strategy)
        return out

    return build()


typed_observations = st.one_of([record_json(cls) for cls in OBSERVATION_TYPES.values()])


@st.composite
def broken_observation(draw: st.DrawFn) -> Any:
    """A record of a real kind with one field replaced, dropped or added."""
    data = dict(draw(typed_observations))
    keys = [k for k in data if k != "kind"]
    action = draw(st.sampled_from(["replace", "drop", "add", "kind"]))
    if action == "replace" and keys:
        data[draw(st.sampled_from(keys))] = draw(json_values)
    elif action == "drop" and keys:
        data.pop(draw(st.sampled_from(keys)))
    elif action == "add":
        data[draw(st.text(max_size=10))] = draw(json_values)
    else:
        data["kind"] = draw(json_values)
    return data


# ------------------------------------------------------------------------------- TOML-ish

TOML_ATOMS = st.sampled_from(
    [
        "format = 1\n",
        'name = "x"\n',
        'country = "CN"\n',
        "include_default = false\n",
        "include_default = true\n",
        "[settings]\n",
        "timeout_s = 1.5\n",
        "deadline_s = 1e400\n",
        "deadline_s = nan\n",
        "timeout_s = -0.0\n",
        "timeout_s = " + "9" * 5000 + "\n",
        'ca_file = "../../../../etc/passwd"\n',
        'ca_file = "/dev/zero"\n',
        'ca_file = "\\u0000"\n',
        'language = "zh_CN"\n',
        "[[services]]\n",
        'id = "a"\n',
        'group = "G"\n',
        'urls = ["https://a.test/"]\n',
        'urls = ["file:///etc/passwd"]\n',
        'urls = ["javascript:alert(1)"]\n',
        'urls = ["https://[::1/"]\n',
        'urls = ["https://a.test:99999/"]\n',
        "known_networks = ['10.0.0.0/8', '::/0']\n",
        "[[resolvers]]\n",
        'address = "8.8.8.8"\n',
        "[[doh]]\n",
        'url = "https://d.test/q"\n',
        'bootstrap = ["1.1.1.1"]\n',
        "[dns_injection]\n",
        'probe_addresses = ["198.18.200.1"]\n',
        "[exit_check]\n",
        'url = "https://e.test/cdn-cgi/trace"\n',
        "[[captive_checks]]\n",
        "expect_status = 204\n",
        "[vpn]\n",
        "expected = true\n",
        "[[vpn.endpoints]]\n",
        'host = "vpn.test"\n',
        "port = 1194\n",
        'protocol = "openvpn-udp"\n',
        'x = """\n',
        "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
        "a = {b = {c = {d = {e = 1}}}}\n",
        "a.b.c.d.e.f = 1\n",
        "d = 1979-05-27T07:32:00Z\n",
        "'quoted key' = 1\n",
        '"\\ud800" = 1\n',
        "\ufeff",
        "\x00",
        "\r",
        "# comment\n",
    ]
)
toml_ish = st.lists(TOML_ATOMS | st.text(max_size=20), max_size=30).map("".join)
