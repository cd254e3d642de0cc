"""Valid profiles: minimal, full, standalone, and merging onto the default."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from clearsight.profile import (
    CaptiveCheckSpec,
    DnsInjection,
    DohResolver,
    ExitCheckSpec,
    Profile,
    ProfileError,
    Resolver,
    Service,
    Settings,
    VpnEndpoint,
    VpnSettings,
    load_default_profile,
    load_profile,
    merge_profiles,
    parse_profile,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_full_profile_reads_every_key() -> None:
    profile = load_profile(FIXTURES / "full.clearsight")
    assert profile.format == 1
    assert profile.name == "Lab full"
    assert profile.support_contact == "it-help@lab.example"
    assert profile.country == "DE"
    assert profile.include_default is False
    assert profile.source == (FIXTURES / "full.clearsight").absolute()
    assert profile.settings == Settings(
        timeout_s=2.0, deadline_s=30.5, ca_file=FIXTURES / "extra-ca.pem", language="zh_CN"
    )
    assert isinstance(profile.settings.timeout_s, float)
    assert profile.resolvers == (
        Resolver("Lab resolver", "10.0.0.53"),
        Resolver("Lab resolver v6", "fd00::53"),  # normalised
    )
    assert profile.doh == (
        DohResolver("Lab DoH", "https://doh.lab.example/dns-query", ("10.0.0.80", "fd00::80")),
        DohResolver("Lab DoH by address", "https://192.0.2.80/dns-query", ("192.0.2.80",)),
    )
    assert profile.doh[0].host == "doh.lab.example"
    assert profile.dns_injection == DnsInjection(
        ("192.0.2.1", "2001:db8::1"), ("blocked.lab.example", "www.lab.example")
    )
    assert profile.injection_names == ("blocked.lab.example", "www.lab.example")
    assert profile.captive_checks == (
        CaptiveCheckSpec("http://portal-check.lab.example/generate_204", 204, None),
        CaptiveCheckSpec("http://portal-check.lab.example/hotspot.html", None, "Success"),
    )
    assert profile.exit_check == ExitCheckSpec("https://trace.lab.example/cdn-cgi/trace")
    blocked, control = profile.services
    assert blocked == Service(
        id="blocked_site-1",
        name="Blocked site",
        group="Lab",
        urls=("https://blocked.lab.example/", "http://blocked.lab.example:8080/path?q=1"),
        domestic=False,
        sensitive=True,
        known_networks=("192.0.2.0/24", "2001:db8::/32", "198.51.100.7/32"),
    )
    assert blocked.hosts == ("blocked.lab.example",)
    assert control.domestic and not control.sensitive
    assert profile.domestic_services == (control,)
    assert profile.foreign_services == (blocked,)
    assert profile.sensitive_services == (blocked,)
    assert profile.groups == ("Lab", "Lab controls")
    assert profile.service("control") is control
    assert profile.service("nope") is None
    assert profile.without_sensitive().services == (control,)
    assert profile.vpn == VpnSettings(
        expected=True,
        endpoints=(
            VpnEndpoint("Lab OpenVPN", "vpn.lab.example", 1194, "openvpn-udp"),
            VpnEndpoint("Lab WireGuard", "192.0.2.51", 51820, "wireguard"),
        ),
    )


def test_minimal_profile_inherits_the_default() -> None:
    default = load_default_profile()
    profile = load_profile(FIXTURES / "minimal.clearsight")
    assert profile.name == "Minimal"
    assert profile.include_default is True
    assert profile.country == default.country == "CN"
    assert profile.services == default.services
    assert profile.resolvers == default.resolvers
    assert profile.doh == default.doh
    assert profile.captive_checks == default.captive_checks
    assert profile.dns_injection == default.dns_injection
    assert profile.exit_check == default.exit_check
    assert profile.settings == default.settings
    assert profile.support_contact is None
    assert profile.source == (FIXTURES / "minimal.clearsight").absolute()


def test_standalone_minimal_profile_has_nothing_else() -> None:
    profile = load_profile(FIXTURES / "standalone-minimal.clearsight")
    assert profile.country == "IR"
    assert profile.include_default is False
    assert not (profile.services or profile.resolvers or profile.doh or profile.captive_checks)
    assert profile.dns_injection is None and profile.exit_check is None
    assert profile.vpn == VpnSettings()
    assert profile.settings == Settings()
    assert profile.settings.deadline_s == 20.0
    assert profile.injection_names == ()


def test_path_may_be_text() -> None:
    assert load_profile(str(FIXTURES / "full.clearsight")) == load_profile(
        FIXTURES / "full.clearsight"
    )


def test_no_path_means_the_default() -> None:
    assert load_profile(None) == load_default_profile()
    assert load_profile().is_builtin


# ---- merging: the acme fixture lays a company profile over the default


@pytest.fixture(scope="module")
def acme() -> Profile:
    return load_profile(FIXTURES / "acme.clearsight")


def test_merge_top_level_keys(acme: Profile) -> None:
    assert acme.name == "Acme Shanghai office"
    assert acme.support_contact == "it-help@acme.example"
    assert acme.country == "CN"  # not set: the default's
    assert acme.include_default is True


def test_merge_settings_key_by_key(acme: Profile) -> None:
    default = load_default_profile()
    assert acme.settings.timeout_s == 10.0  # the profile's
    assert acme.settings.deadline_s == default.settings.deadline_s  # the default's
    assert acme.settings.language == "en"


def test_merge_services_replace_in_place_and_append(acme: Profile) -> None:
    default = load_default_profile()
    ids = [s.id for s in acme.services]
    assert ids == [s.id for s in default.services] + ["acme-intranet"]
    gmail = acme.service("gmail")
    assert gmail is not None
    assert gmail.name == "Gmail (Acme workspace)"
    assert gmail.urls == ("https://mail.google.com/a/acme.example",)
    assert gmail.known_networks == ()  # the whole entry is replaced, not merged
    assert ids.index("gmail") == [s.id for s in default.services].index("gmail")
    assert acme.services[-1].domestic


def test_merge_resolvers_by_name(acme: Profile) -> None:
    default = load_default_profile()
    names = [r.name for r in acme.resolvers]
    assert names == [r.name for r in default.resolvers] + ["Acme office DNS"]
    google = next(r for r in acme.resolvers if r.name == "Google Public DNS")
    assert google.address == "8.8.4.4"


def test_merge_captive_checks_by_url(acme: Profile) -> None:
    default = load_default_profile()
    assert len(acme.captive_checks) == len(default.captive_checks)
    apple = next(c for c in acme.captive_checks if "apple" in c.url)
    assert apple.expect_status is None and apple.expect_body == "Success"


def test_merge_dns_injection_key_by_key(acme: Profile) -> None:
    default = load_default_profile()
    assert acme.dns_injection is not None and default.dns_injection is not None
    assert acme.dns_injection.probe_addresses == default.dns_injection.probe_addresses
    assert acme.injection_names == ("www.google.com",)


def test_merge_vpn(acme: Profile) -> None:
    assert acme.vpn.expected is True
    assert acme.vpn.endpoints == (VpnEndpoint("Acme VPN", "vpn.acme.example", 443, "https"),)


def test_merge_keeps_the_defaults_other_tables(acme: Profile) -> None:
    default = load_default_profile()
    assert acme.doh == default.doh
    assert acme.exit_check == default.exit_check


MERGE_CASES: dict[str, tuple[str, Callable[[Profile], bool]]] = {
    "timeout only: deadline inherited": (
        "[settings]\ntimeout_s = 7\n",
        lambda p: (p.settings.timeout_s, p.settings.deadline_s) == (7.0, 60.0),
    ),
    "deadline only": (
        "[settings]\ndeadline_s = 90\n",
        lambda p: (p.settings.timeout_s, p.settings.deadline_s) == (5.0, 90.0),
    ),
    "language only": ('[settings]\nlanguage = "zh_CN"\n', lambda p: p.settings.language == "zh_CN"),
    "country override": ('country = "IR"\n', lambda p: p.country == "IR"),
    "empty exit_check table inherits its url": (
        "[exit_check]\n",
        lambda p: p.exit_check == ExitCheckSpec("https://www.cloudflare.com/cdn-cgi/trace"),
    ),
    "own exit_check url": (
        '[exit_check]\nurl = "https://t.lab/trace"\n',
        lambda p: p.exit_check == ExitCheckSpec("https://t.lab/trace"),
    ),
    "own probe addresses, default names": (
        '[dns_injection]\nprobe_addresses = ["192.0.2.9"]\n',
        lambda p: p.dns_injection == DnsInjection(("192.0.2.9",), None),
    ),
    "doh replaced by name": (
        '[[doh]]\nname = "Quad9"\nurl = "https://dns11.quad9.net/dns-query"\n'
        'bootstrap = ["9.9.9.11"]\n',
        lambda p: (
            p.doh[-1] == DohResolver("Quad9", "https://dns11.quad9.net/dns-query", ("9.9.9.11",))
        ),
    ),
    "doh named by its address is its own bootstrap": (
        '[[doh]]\nname = "By address"\nurl = "https://192.0.2.53/dns-query"\n',
        lambda p: p.doh[-1].bootstrap == ("192.0.2.53",),
    ),
    "doh named by an IPv6 address is its own bootstrap": (
        '[[doh]]\nname = "By v6 address"\nurl = "https://[2001:db8::53]/dns-query"\n',
        lambda p: p.doh[-1].bootstrap == ("2001:db8::53",),
    ),
    "vpn expected left as default": (
        '[[vpn.endpoints]]\nname = "W"\nhost = "w.lab"\nport = 51820\nprotocol = "wireguard"\n',
        lambda p: p.vpn.expected is False and len(p.vpn.endpoints) == 1,
    ),
}


@pytest.mark.parametrize("name", sorted(MERGE_CASES))
def test_merge_cases(tmp_path: Path, name: str) -> None:
    text, check = MERGE_CASES[name]
    path = tmp_path / "own.clearsight"
    path.write_text('format = 1\nname = "Own"\n' + text)
    profile = load_profile(path)
    assert check(profile), profile


def test_include_default_false_stands_alone(tmp_path: Path) -> None:
    path = tmp_path / "alone.clearsight"
    path.write_text(
        'format = 1\nname = "Alone"\ncountry = "RU"\ninclude_default = false\n'
        '[[services]]\nid = "gmail"\nname = "G"\ngroup = "Mail"\nurls = ["https://g.lab/"]\n'
    )
    profile = load_profile(path)
    assert [s.id for s in profile.services] == ["gmail"]
    assert profile.resolvers == () and profile.dns_injection is None


def _code_profile(**changes: object) -> Profile:
    base = Profile(
        format=1,
        name="Code",
        support_contact=None,
        country="CN",
        include_default=True,
        settings=Settings(),
        resolvers=(),
        doh=(),
        dns_injection=None,
        captive_checks=(),
        exit_check=None,
        services=(),
        vpn=VpnSettings(),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_merge_profiles_built_in_code() -> None:
    default = _code_profile(
        name="Default",
        services=(
            Service("a", "A", "G", ("https://a.lab/",)),
            Service("b", "B", "G", ("https://b.lab/",)),
        ),
        resolvers=(Resolver("R1", "10.0.0.1"),),
        settings=Settings(timeout_s=5, deadline_s=50),
        exit_check=ExitCheckSpec("https://t.lab/"),
    )
    own = _code_profile(
        services=(
            Service("b", "B2", "H", ("https://b2.lab/",)),
            Service("c", "C", "G", ("https://c.lab/",)),
        ),
        resolvers=(Resolver("R2", "10.0.0.2"),),
        settings=Settings(timeout_s=3),
    )
    merged = merge_profiles(default, own)
    assert [(s.id, s.name) for s in merged.services] == [("a", "A"), ("b", "B2"), ("c", "C")]
    assert [r.name for r in merged.resolvers] == ["R1", "R2"]
    # explicit_keys None: every key of a profile built in code counts as set.
    assert merged.settings == Settings(timeout_s=3, deadline_s=12)
    assert merged.name == "Code"
    assert merged.exit_check == ExitCheckSpec("https://t.lab/")  # own has none


def test_parse_profile_without_merging() -> None:
    data = (FIXTURES / "acme.clearsight").read_bytes()
    own = parse_profile(data, "acme.clearsight", FIXTURES)
    assert [s.id for s in own.services] == ["gmail", "acme-intranet"]
    assert own.country == ""  # left to the default
    assert own.source is None
    assert own.explicit_keys is not None and "settings.timeout_s" in own.explicit_keys
    assert "settings.deadline_s" not in own.explicit_keys


def test_utf8_bom_and_crlf_are_accepted() -> None:
    data = (
        b'\xef\xbb\xbfformat = 1\r\nname = "Caf\xc3\xa9 \xe5\x8a\x9e\xe5\x85\xac\xe5\xae\xa4"\r\n'
    )
    profile = parse_profile(data, "bom.clearsight", None)
    assert profile.name == "Café 办公室"


def test_inline_tables_and_dotted_keys_are_fine() -> None:
    data = (
        b'format = 1\nname = "x"\nsettings.timeout_s = 3\n'
        b'services = [{ id = "a", name = "A", group = "G", urls = ["https://a.lab/"] }]\n'
        b"vpn = { expected = true }\n"
    )
    profile = parse_profile(data, "inline.clearsight", None)
    assert profile.settings.timeout_s == 3.0
    assert profile.services[0].id == "a"
    assert profile.vpn.expected


def test_error_line_in_inline_table_falls_back_to_the_key() -> None:
    data = (
        b'format = 1\nname = "x"\n\n'
        b'services = [{ id = "a", name = "A", group = "G", urls = ["ftp://a"] }]\n'
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, "inline.clearsight", None)
    assert str(caught.value).startswith("inline.clearsight, line 4 (services[1].urls): ")


def test_multiline_strings_do_not_confuse_line_numbers() -> None:
    data = (
        b'format = 1\nname = "x"\n[[captive_checks]]\nurl = "http://c.lab/"\n'
        b'expect_body = """\n[settings]\nnot = a key\n"""\n[settings]\ntimeout = 1\n'
    )
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, "ml.clearsight", None)
    assert str(caught.value).startswith("ml.clearsight, line 10 (settings.timeout): ")


def test_idn_and_ip_literal_hosts() -> None:
    data = (
        'format = 1\nname = "x"\n[[services]]\nid = "a"\nname = "A"\ngroup = "G"\n'
        'urls = ["https://例子.测试/", "https://[2001:db8::1]:8443/", "http://192.0.2.1/"]\n'
    ).encode()
    profile = parse_profile(data, "idn.clearsight", None)
    assert len(profile.services[0].urls) == 3
    assert profile.injection_names == ("例子.测试",)  # IP literals are not names to resolve
