"""Malformed profiles: each gives one ProfileError naming the file, the line/key and the problem."""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from clearsight.cli import main
from clearsight.profile import MAX_FILE_BYTES, ProfileError, load_profile, parse_profile

FIXTURES = Path(__file__).parent / "fixtures"

# Four lines; a case's own text starts on line 5.
STANDALONE = 'format = 1\nname = "Lab"\ncountry = "CN"\ninclude_default = false\n'
# Two lines; a case's own text starts on line 3 (merged onto the default).
INCLUDING = 'format = 1\nname = "Lab"\n'


@dataclass(frozen=True)
class Bad:
    text: str
    key: str | None
    line: int | None
    problem: str
    standalone: bool = True

    def content(self) -> str:
        return (STANDALONE if self.standalone else INCLUDING) + textwrap.dedent(self.text)


def service(extra: str = "", urls: str = '["https://a.lab.example/"]', sid: str = "a") -> str:
    return f'[[services]]\nid = "{sid}"\nname = "A"\ngroup = "G"\nurls = {urls}\n{extra}'


def endpoint(port: str = "1194", protocol: str = '"openvpn-udp"', host: str = '"vpn.lab"') -> str:
    return f'[[vpn.endpoints]]\nname = "V"\nhost = {host}\nport = {port}\nprotocol = {protocol}\n'


CASES: dict[str, Bad] = {
    # ---- TOML syntax
    "syntax-unterminated-string": Bad(
        'support_contact = "it@lab\n',
        None,
        5,
        "not valid TOML: a quoted text is not closed before the end of the line (column 26)",
    ),
    "syntax-duplicate-key": Bad('name = "Twice"\n', None, 5, "not valid TOML: a key is set twice"),
    "syntax-duplicate-table": Bad(
        "[vpn]\n[vpn]\n", None, 6, "not valid TOML: a table is declared twice"
    ),
    "syntax-bad-header": Bad("[settings\n", None, 5, "not valid TOML"),
    # ---- format
    "format-2": Bad("", "format", 1, "format 2 is not supported", standalone=True),
    # ---- unknown keys at every level
    "unknown-top": Bad('nmae = "x"\n', "nmae", 5, "unknown key 'nmae' at the top level"),
    "unknown-settings": Bad(
        "[settings]\ntimeout = 5\n",
        "settings.timeout",
        6,
        "unknown key 'timeout' in [settings]; did you mean 'timeout_s'?",
    ),
    "unknown-resolver": Bad(
        '[[resolvers]]\nname = "R"\naddres = "10.0.0.1"\n',
        "resolvers[1].addres",
        7,
        "unknown key 'addres' in [[resolvers]]; did you mean 'address'?",
    ),
    "unknown-doh": Bad(
        '[[doh]]\nname = "D"\nurl = "https://d.lab/q"\nbootstrap = ["10.0.0.1"]\nmethod = "GET"\n',
        "doh[1].method",
        9,
        "unknown key 'method' in [[doh]]",
    ),
    "unknown-injection": Bad(
        '[dns_injection]\nprobe_addresses = ["192.0.2.1"]\nname = ["x.lab"]\n',
        "dns_injection.name",
        7,
        "did you mean 'names'?",
    ),
    "unknown-captive": Bad(
        '[[captive_checks]]\nurl = "http://c.lab/"\nexpect_code = 204\n',
        "captive_checks[1].expect_code",
        7,
        "unknown key 'expect_code' in [[captive_checks]]",
    ),
    "unknown-exit": Bad(
        '[exit_check]\nurl = "https://t.lab/trace"\nformat = "cloudflare"\n',
        "exit_check.format",
        7,
        "unknown key 'format' in [exit_check]",
    ),
    "unknown-service": Bad(
        service() + 'url = "https://b.lab/"\n',
        "services[1].url",
        10,
        "unknown key 'url' in [[services]]; did you mean 'urls'?",
    ),
    "unknown-vpn": Bad("[vpn]\nexpect = true\n", "vpn.expect", 6, "did you mean 'expected'?"),
    "unknown-endpoint": Bad(
        endpoint() + 'secret = "x"\n',
        "vpn.endpoints[1].secret",
        10,
        "unknown key 'secret' in [[vpn.endpoints]]",
    ),
    "top-level-key-after-table": Bad(
        '[settings]\nsupport_contact = "it@lab"\n',
        "settings.support_contact",
        6,
        "'support_contact' belongs at the top level",
    ),
    # ---- missing keys
    "missing-country-standalone": Bad("", "country", None, "'country' is missing"),
    "missing-service-urls": Bad(
        '[[services]]\nid = "a"\nname = "A"\ngroup = "G"\n',
        "services[1].urls",
        5,
        "the required key 'urls' is missing in [[services]]",
    ),
    "missing-probe-addresses-standalone": Bad(
        '[dns_injection]\nnames = ["a.lab"]\n',
        "dns_injection.probe_addresses",
        5,
        "'probe_addresses' is missing in [dns_injection]",
    ),
    "missing-doh-bootstrap": Bad(
        '[[doh]]\nname = "D"\nurl = "https://d.lab/q"\n',
        "doh[1].bootstrap",
        5,
        "list the addresses of d.lab",
    ),
    "captive-without-expectation": Bad(
        '[[captive_checks]]\nurl = "http://c.lab/"\n',
        "captive_checks[1]",
        5,
        "needs expect_status, expect_body or both",
    ),
    # ---- wrong types
    "type-name-number": Bad("", "name", 2, "must be text in quotes, not the number 5"),
    "type-include-default-text": Bad(
        "", "include_default", 4, 'must be true or false, not the text "no"'
    ),
    "type-timeout-text": Bad(
        '[settings]\ntimeout_s = "5"\n', "settings.timeout_s", 6, "must be a number of seconds"
    ),
    "type-domestic-text": Bad(
        service('domestic = "yes"\n'), "services[1].domestic", 10, "must be true or false"
    ),
    "type-urls-string": Bad(
        service(urls='"https://a.lab/"'), "services[1].urls", 9, "must be a list"
    ),
    "type-port-text": Bad(
        endpoint(port='"443"'), "vpn.endpoints[1].port", 8, "must be a whole number"
    ),
    "type-expect-status-bool": Bad(
        '[[captive_checks]]\nurl = "http://c.lab/"\nexpect_status = true\n',
        "captive_checks[1].expect_status",
        7,
        "must be a whole number, not true",
    ),
    "type-services-single-brackets": Bad(
        '[services]\nid = "a"\n', "services", 5, "write [[services]] with double brackets"
    ),
    "type-settings-number": Bad("settings = 3\n", "settings", 5, "must be a table"),
    "type-service-entry-not-table": Bad(
        'services = ["gmail"]\n', "services[1]", 5, "each entry must be a table"
    ),
    # ---- URLs
    "url-file": Bad(
        service(urls='["file:///etc/passwd"]'),
        "services[1].urls",
        9,
        '"file:///etc/passwd" is not an http(s) URL',
    ),
    "url-javascript": Bad(
        service(urls='["javascript:alert(1)"]'), "services[1].urls", 9, "is not an http(s) URL"
    ),
    "url-data": Bad(
        service(urls='["data:text/html,hi"]'), "services[1].urls", 9, "is not an http(s) URL"
    ),
    "url-ftp": Bad(
        service(urls='["ftp://files.lab/"]'),
        "services[1].urls",
        9,
        "only http:// and https:// are allowed",
    ),
    "url-typo-scheme": Bad(
        service(urls='["htps://x"]'), "services[1].urls", 9, '"htps://x" is not an http(s) URL'
    ),
    "url-no-scheme": Bad(
        service(urls='["www.lab.example"]'),
        "services[1].urls",
        9,
        "it must start with http:// or https://",
    ),
    "url-no-host": Bad(
        service(urls='["https:///path"]'), "services[1].urls", 9, "it has no host name"
    ),
    "url-credentials": Bad(
        service(urls='["https://user:pw@a.lab/"]'),
        "services[1].urls",
        9,
        "must not contain a user name or password",
    ),
    "url-space": Bad(service(urls='["https://a lab/"]'), "services[1].urls", 9, "contains spaces"),
    "url-bad-host": Bad(
        service(urls='["https://a..lab/"]'), "services[1].urls", 9, "invalid host name"
    ),
    "url-bad-port": Bad(
        service(urls='["https://a.lab:99999/"]'), "services[1].urls", 9, "has an invalid port"
    ),
    "url-doh-plain-http": Bad(
        '[[doh]]\nname = "D"\nurl = "http://d.lab/q"\nbootstrap = ["10.0.0.1"]\n',
        "doh[1].url",
        7,
        "is not an https URL",
    ),
    "url-in-multiline-array": Bad(
        service(urls='[\n    "https://ok.lab/",\n    "htps://bad.lab/",\n]'),
        "services[1].urls",
        11,
        '"htps://bad.lab/" is not an http(s) URL',
    ),
    "url-empty-list": Bad(service(urls="[]"), "services[1].urls", 9, "must not be an empty list"),
    # ---- addresses and networks
    "ip-resolver-name": Bad(
        '[[resolvers]]\nname = "R"\naddress = "dns.google"\n',
        "resolvers[1].address",
        7,
        '"dns.google" is not an IP address',
    ),
    "ip-resolver-octet": Bad(
        '[[resolvers]]\nname = "R"\naddress = "999.1.1.1"\n',
        "resolvers[1].address",
        7,
        "is not an IP address",
    ),
    "ip-bootstrap": Bad(
        '[[doh]]\nname = "D"\nurl = "https://d.lab/q"\nbootstrap = ["1.1.1"]\n',
        "doh[1].bootstrap",
        8,
        '"1.1.1" is not an IP address',
    ),
    "ip-probe-multicast": Bad(
        '[dns_injection]\nprobe_addresses = ["224.0.0.1"]\n',
        "dns_injection.probe_addresses",
        6,
        "not a unicast address",
    ),
    "ip-probe-unspecified": Bad(
        '[dns_injection]\nprobe_addresses = ["0.0.0.0"]\n',
        "dns_injection.probe_addresses",
        6,
        "not a unicast address",
    ),
    "cidr-host-bits": Bad(
        service('known_networks = ["10.0.0.1/8"]\n'),
        "services[1].known_networks",
        10,
        'it has host bits set (did you mean "10.0.0.0/8"?)',
    ),
    "cidr-prefix": Bad(
        service('known_networks = ["10.0.0.0/33"]\n'),
        "services[1].known_networks",
        10,
        '"10.0.0.0/33" is not a valid network',
    ),
    "injection-name-url": Bad(
        '[dns_injection]\nprobe_addresses = ["192.0.2.1"]\nnames = ["https://x.lab/"]\n',
        "dns_injection.names",
        7,
        "is not a valid host name",
    ),
    # ---- VPN
    "port-zero": Bad(endpoint(port="0"), "vpn.endpoints[1].port", 8, "from 1 to 65535, not 0"),
    "port-too-high": Bad(endpoint(port="70000"), "vpn.endpoints[1].port", 8, "not 70000"),
    "protocol-unknown": Bad(
        endpoint(protocol='"openvpn"'),
        "vpn.endpoints[1].protocol",
        9,
        '"openvpn" is not a known protocol',
    ),
    "vpn-host-url": Bad(
        endpoint(host='"https://vpn.lab/"'),
        "vpn.endpoints[1].host",
        7,
        "must be a host name or address, not a URL",
    ),
    "vpn-host-with-port": Bad(
        endpoint(host='"vpn.lab:1194"'),
        "vpn.endpoints[1].host",
        7,
        "is not a valid host name (give the port in 'port')",
    ),
    # ---- ids and duplicates
    "id-upper-case": Bad(
        service(sid="Gmail"), "services[1].id", 6, "may only contain lower-case letters"
    ),
    "id-empty": Bad(service(sid=""), "services[1].id", 6, "must not be empty"),
    "id-duplicate": Bad(
        service(sid="mail") + service(sid="mail"),
        "services[2].id",
        11,
        'the service id "mail" is already used by services[1]',
    ),
    "resolver-duplicate-name": Bad(
        '[[resolvers]]\nname = "R"\naddress = "10.0.0.1"\n'
        '[[resolvers]]\nname = "R"\naddress = "10.0.0.2"\n',
        "resolvers[2].name",
        9,
        'the resolver name "R" is already used by resolvers[1]',
    ),
    "endpoint-duplicate-name": Bad(
        endpoint() + endpoint(), "vpn.endpoints[2].name", 11, "is already used by"
    ),
    "captive-duplicate-url": Bad(
        '[[captive_checks]]\nurl = "http://c.lab/"\nexpect_status = 204\n'
        '[[captive_checks]]\nurl = "http://c.lab/"\nexpect_status = 204\n',
        "captive_checks[2].url",
        9,
        "is already checked by captive_checks[1]",
    ),
    # ---- values out of range
    "country-lower-case": Bad("", "country", 3, '"cn" is not a country code'),
    "language-unknown": Bad(
        '[settings]\nlanguage = "fr"\n', "settings.language", 6, '"fr" is not a language'
    ),
    "timeout-zero": Bad(
        "[settings]\ntimeout_s = 0\n", "settings.timeout_s", 6, "more than 0 and at most 120"
    ),
    "timeout-too-long": Bad(
        "[settings]\ntimeout_s = 121\n", "settings.timeout_s", 6, "at most 120 seconds, not 121"
    ),
    "timeout-nan": Bad("[settings]\ntimeout_s = nan\n", "settings.timeout_s", 6, "not nan"),
    "deadline-too-long": Bad(
        "[settings]\ndeadline_s = 601\n", "settings.deadline_s", 6, "at most 600 seconds"
    ),
    "deadline-below-timeout": Bad(
        "[settings]\ntimeout_s = 10\ndeadline_s = 5\n",
        "settings.deadline_s",
        7,
        "must not be shorter than one operation's timeout_s",
    ),
    "expect-status-range": Bad(
        '[[captive_checks]]\nurl = "http://c.lab/"\nexpect_status = 600\n',
        "captive_checks[1].expect_status",
        7,
        "from 100 to 599, not 600",
    ),
    "huge-string": Bad(
        'support_contact = "' + "x" * 5000 + '"\n',
        "support_contact",
        5,
        "is 5,000 characters long; at most 2,000 are allowed",
    ),
    "control-character": Bad(
        'support_contact = "it\\u0007lab"\n', "support_contact", 5, "contains control characters"
    ),
    "too-many-services": Bad(
        "".join(service(sid=f"s{i}") for i in range(501)),
        "services",
        5,
        "has 501 entries; at most 500 are allowed",
    ),
    # ---- merging onto the default (include_default left out)
    "merged-timeout-above-default-deadline": Bad(
        "[settings]\ntimeout_s = 100\n",
        "settings.timeout_s",
        4,
        "deadline (60 s, from the default profile unless set here)",
        standalone=False,
    ),
    "merged-unknown-key": Bad(
        "[vpn]\nexpectd = true\n", "vpn.expectd", 4, "did you mean 'expected'?", standalone=False
    ),
}

# Cases whose base lines are replaced rather than extended.
REPLACE = {
    "format-2": ("format = 1", "format = 2"),
    "type-name-number": ('name = "Lab"', "name = 5"),
    "type-include-default-text": ("include_default = false", 'include_default = "no"'),
    "missing-country-standalone": ('country = "CN"\n', ""),
    "country-lower-case": ('country = "CN"', 'country = "cn"'),
}


def _write(tmp_path: Path, name: str, case: Bad) -> Path:
    text = case.content()
    if name in REPLACE:
        old, new = REPLACE[name]
        text = text.replace(old, new, 1)
    path = tmp_path / "bad.clearsight"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_profile(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = _write(tmp_path, name, case)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    error = caught.value
    message = str(error)
    assert message.startswith(str(path)), message
    assert error.path == str(path)
    assert case.problem in message, message
    assert case.problem in error.problem
    assert error.key == case.key, message
    assert error.line == case.line, message
    if case.line is not None:
        assert f", line {case.line}" in message
    if case.key is not None:
        assert f"({case.key})" in message
    assert "\n" not in message and "Traceback" not in message


def test_there_are_at_least_thirty_malformed_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    ("data", "line", "problem"),
    [
        (b'format = 1\nname = "Caf\xe9"\n', 2, "not UTF-8 text (byte 0xE9 at column 12)"),
        (b"format = 1\n\x80\n", 2, "not UTF-8 text (byte 0x80 at column 1)"),
        ('format = 1\nname = "x"\n'.encode("utf-16"), 1, "UTF-16 text; save it as UTF-8"),
        (b"\x00\x01\x02", 1, "not valid TOML"),
    ],
    ids=["latin-1", "stray-byte", "utf-16", "binary"],
)
def test_undecodable_bytes(tmp_path: Path, data: bytes, line: int, problem: str) -> None:
    path = tmp_path / "enc.clearsight"
    path.write_bytes(data)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.line == line
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"{path}, line {line}: ")


def test_syntax_error_fixture_reports_tomllib_line() -> None:
    path = FIXTURES / "syntax-error.clearsight"
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.line == 5
    assert caught.value.key is None
    assert str(caught.value).startswith(f"{path}, line 5: this is not valid TOML")


def test_syntax_error_at_end_of_file() -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(b"format = 1\nname = ", "x.clearsight", None)
    assert caught.value.line == 2
    assert "at the end of the file" in str(caught.value)


def test_missing_format() -> None:
    with pytest.raises(ProfileError, match=r"^p\.clearsight: .*'format' is missing"):
        parse_profile(b'name = "x"\n', "p.clearsight", None)


def test_wrong_type_format() -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(b'format = "1"\nname = "x"\n', "p.clearsight", None)
    assert (
        str(caught.value) == 'p.clearsight, line 1 (format): must be the number 1, not the text "1"'
    )


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.clearsight"
    path.write_bytes(b"format = 1\n" + b"#" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(ProfileError, match="too large"):
        load_profile(path)
    with pytest.raises(ProfileError, match="at most 1 MB"):
        parse_profile(path.read_bytes(), "big.clearsight", None)


def test_nested_too_deeply() -> None:
    with pytest.raises(ProfileError, match="nested too deeply"):
        parse_profile(b"format = 1\nx = " + b"[" * 100_000, "deep.clearsight", None)


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: p / "nothing-here.clearsight", "there is no such file"),
        (lambda p: p, "this is a folder, not a profile file"),
    ],
    ids=["missing", "folder"],
)
def test_unreadable_path(tmp_path: Path, make: object, problem: str) -> None:
    assert callable(make)
    path = make(tmp_path)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value) == f"{path}: {problem}"


# ---- ca_file


def _ca_profile(folder: Path, ca_file: str) -> Path:
    path = folder / "ca.clearsight"
    path.write_text(f'format = 1\nname = "CA"\n\n[settings]\nca_file = "{ca_file}"\n')
    return path


def test_ca_file_missing(tmp_path: Path) -> None:
    path = _ca_profile(tmp_path, "company-root.pem")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.key == "settings.ca_file"
    assert caught.value.line == 5
    assert "company-root.pem" in str(caught.value)
    assert "does not exist" in str(caught.value)


def test_ca_file_escaping_folder(tmp_path: Path) -> None:
    (tmp_path / "outside.pem").write_text("x")
    folder = tmp_path / "profiles"
    folder.mkdir()
    path = _ca_profile(folder, "../outside.pem")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.key == "settings.ca_file"
    assert "points outside the profile's folder" in str(caught.value)


def test_ca_file_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    with pytest.raises(ProfileError, match="is not a file"):
        load_profile(_ca_profile(tmp_path, "certs"))


def test_ca_file_relative_without_folder() -> None:
    data = b'format = 1\nname = "x"\n[settings]\nca_file = "a.pem"\n'
    with pytest.raises(ProfileError, match="give an absolute path"):
        parse_profile(data, "x.clearsight", None)


def test_ca_file_absolute_outside_folder_is_allowed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "root.pem"
    outside.parent.mkdir()
    outside.write_text("x")
    folder = tmp_path / "profiles"
    folder.mkdir()
    path = _ca_profile(folder, outside.as_posix())
    assert load_profile(path).settings.ca_file == Path(os.path.normpath(outside))


def test_error_is_one_sentence_with_key_only_when_line_unknown() -> None:
    error = ProfileError("acme.clearsight", "it is wrong", key="services[2].urls")
    assert str(error) == "acme.clearsight (services[2].urls): it is wrong"
    error = ProfileError(
        "acme.clearsight", '"htps://x" is not an http(s) URL', "services[2].urls", 12
    )
    assert (
        str(error)
        == 'acme.clearsight, line 12 (services[2].urls): "htps://x" is not an http(s) URL'
    )
    assert (error.path, error.key, error.line) == ("acme.clearsight", "services[2].urls", 12)


# ---- in the reader's language

# English left in a Chinese message: three English words in a row (outside quoted values,
# key names and tomllib's own words, which are quoted from the file or the parser).
ENGLISH = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")
QUOTED = re.compile(r"“[^”]*”|\[\[?[^\]]*\]\]?|\([^)]*\)")


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_malformed_profile_is_explained_in_chinese(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = _write(tmp_path, name, case)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    chinese = caught.value.message("zh_CN")
    assert chinese.startswith(str(path)) and "\n" not in chinese
    if case.line is not None:
        assert f"，第 {case.line} 行" in chinese
    if case.key is not None:
        assert f"（{case.key}）" in chinese
    assert "：" in chinese and ": " not in chinese.replace(str(path), "")
    if (
        caught.value.phrase.code.startswith("toml")
        and caught.value.phrase.code != "toml_long_number"
    ):
        return  # tomllib's own description of a syntax error may stay as it wrote it
    plain = QUOTED.sub("", chinese.replace(str(path), ""))
    assert ENGLISH.search(plain) is None, chinese
    assert caught.value.message("en") == str(caught.value)


def test_run_with_a_broken_profile_says_it_in_the_language_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.clearsight"
    broken.write_text('format = 1\nname = "Acme"\nnmae = "x"\n', encoding="utf-8")
    assert main(["run", "--lang", "zh_CN", "--profile", str(broken)]) == 3
    err = capsys.readouterr().err.strip()
    assert err == f"{broken}，第 3 行（nmae）：最外层中有无法识别的键 nmae；你是不是想写 name？"
    assert main(["run", "--profile", str(broken)]) == 3
    assert capsys.readouterr().err.strip() == (
        f"{broken}, line 3 (nmae): unknown key 'nmae' at the top level; did you mean 'name'?"
    )


def test_explain_with_a_broken_report_says_it_in_the_language_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.html"
    report.write_text("<html><body>hello</body></html>", encoding="utf-8")
    assert main(["explain", "--lang", "zh_CN", str(report)]) == 3
    assert capsys.readouterr().err.strip() == (f"{report}：这个 HTML 文件里没有 Clearsight 报告")
