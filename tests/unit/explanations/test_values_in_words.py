"""Values a person reads in words: country names (from the Unicode CLDR), lengths of time,
failure names."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import tarfile
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from clearsight.explanations import LANGUAGES, catalog
from clearsight.explanations.countries import cldr_version, country_name, country_names
from clearsight.explanations.durations import in_units
from clearsight.explanations.evidence import evidence_rows
from clearsight.probes import failures

REPO = Path(__file__).resolve().parents[3]


# --------------------------------------------------------------------------- countries
@pytest.mark.parametrize(
    ("code", "english", "chinese"),
    [
        ("US", "the United States", "美国"),
        ("us", "the United States", "美国"),
        (" GB ", "the United Kingdom", "英国"),
        ("NL", "the Netherlands", "荷兰"),
        ("CN", "China", "中国"),
        ("DE", "Germany", "德国"),
        ("JP", "Japan", "日本"),
        ("HK", "Hong Kong SAR China", "中国香港特别行政区"),
        ("XK", "Kosovo", "科索沃"),  # not ISO, but what Cloudflare reports for Kosovo
        ("ZZ", "an unknown country or region", "未知的国家或地区"),  # CLDR's "unknown region"
        ("T1", "an unknown country or region", "未知的国家或地区"),  # Cloudflare's Tor exit
        ("EU", "an unknown country or region", "未知的国家或地区"),  # a grouping, not a place
        ("", "an unknown country or region", "未知的国家或地区"),
        ("USA", "an unknown country or region", "未知的国家或地区"),
    ],
)
def test_country_codes_are_said_by_name(code: str, english: str, chinese: str) -> None:
    assert catalog("en").country(code) == english
    assert catalog("zh_CN").country(code) == chinese


def test_country_params_in_sentences() -> None:
    params = {"country": "ZZ", "expected_country": "CN"}
    english = catalog("en").finding("exit_abroad", params).explanation
    assert "coming from an unknown country or region, not China" in english
    chinese = catalog("zh_CN").finding("exit_abroad", params).explanation
    assert "来自未知的国家或地区，而不是中国" in chinese
    us = catalog("en").finding("exit_abroad", {"country": "US", "expected_country": "CN"})
    assert "coming from the United States, not China" in us.explanation


def test_the_table_names_every_country_in_both_languages() -> None:
    english, chinese = country_names("en"), country_names("zh_CN")
    # ISO 3166-1 has 249 codes; CLDR adds a few in common use (XK, AC, IC, ...).
    assert len(english) >= 249
    assert set(english) == set(chinese) == set(country_names(LANGUAGES[-1]))
    assert all(len(code) == 2 and code.isupper() for code in english)
    assert "ZZ" not in english and "EU" not in english
    assert all(name.strip() for name in [*english.values(), *chinese.values()])
    assert country_name("fr", "en") == "France" and country_name("FR", "zh_CN") == "法国"
    assert country_name("FR", "klingon") is None


def test_the_table_is_generated_from_cldr_and_its_licence_ships() -> None:
    data = json.loads(
        resources.files("clearsight.resources").joinpath("country_names.json").read_text("utf-8")
    )
    assert data["generated_by"] == "scripts/country_names.py"
    assert data["licence"] == "Unicode-3.0"
    assert data["source"].startswith("Unicode CLDR ")
    assert cldr_version() == data["cldr_version"] and cldr_version().isdigit()
    licence = resources.files("clearsight.resources").joinpath("licenses", "Unicode-3.0.txt")
    assert licence.read_text("utf-8").startswith("UNICODE LICENSE V3")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "country_names_script", REPO / "scripts" / "country_names.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _tarball(path: Path, files: dict[str, object]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            data = content if isinstance(content, bytes) else json.dumps(content).encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_generator_keeps_places_and_adds_the_article(tmp_path: Path) -> None:
    def names(locale: str, table: dict[str, str]) -> dict[str, object]:
        return {"main": {locale: {"localeDisplayNames": {"territories": table}}}}

    english = {
        "001": "World",
        "US": "United States",
        "US-alt-short": "US",
        "PH": "Philippines",
        "FR": "France",
        "EU": "European Union",
        "XA": "Pseudo-Accents",
        "ZZ": "Unknown Region",
    }
    chinese = {"001": "世界", "US": "美国", "PH": "菲律宾", "FR": "法国", "EU": "欧盟"}
    localenames = _tarball(
        tmp_path / "names.tgz",
        {
            "package.json": {
                "name": "cldr-localenames-full",
                "version": "1.2.3",
                "license": "Unicode-3.0",
                "cldrVersion": "1",
            },
            "LICENSE": b"UNICODE LICENSE V3\n",
            "main/en/territories.json": names("en", english),
            "main/zh/territories.json": names("zh", chinese),
        },
    )
    core = _tarball(
        tmp_path / "core.tgz",
        {
            "package.json": {"name": "cldr-core", "version": "1.2.3"},
            "supplemental/territoryInfo.json": {
                "supplemental": {"territoryInfo": {c: {} for c in ("US", "PH", "FR", "ZZ")}}
            },
        },
    )
    table, licence = _generator().build(localenames, core)
    assert table["en"] == {"FR": "France", "PH": "the Philippines", "US": "the United States"}
    assert table["zh_CN"] == {"FR": "法国", "PH": "菲律宾", "US": "美国"}
    assert table["source"] == "Unicode CLDR 1 (cldr-localenames-full 1.2.3, cldr-core 1.2.3)"
    assert licence == b"UNICODE LICENSE V3\n"


# --------------------------------------------------------------------------- durations
@pytest.mark.parametrize(
    ("seconds", "unit", "count"),
    [
        (0, "minutes", 1),
        (20 * 60, "minutes", 20),
        (3600, "hours", 1),
        (-7200, "hours", 2),  # a clock behind is as wrong as one ahead
        (47 * 3600, "hours", 47),
        (48 * 3600, "days", 2),
        (59 * 86400, "days", 59),
        (60 * 86400, "months", 2),
        (400 * 86400, "months", 13),
        (26400 * 3600, "years", 3),
        (float("nan"), "minutes", 1),
    ],
)
def test_a_length_of_time_takes_a_natural_unit(seconds: float, unit: str, count: int) -> None:
    assert in_units(seconds) == (unit, count)


@pytest.mark.parametrize(
    ("hours", "english", "chinese"),
    [
        (26400, "off by about 3 years.", "差了大约 3 年。"),
        (1, "off by about 1 hour.", "差了大约 1 小时。"),
        (30, "off by about 30 hours.", "差了大约 30 小时。"),
        (24 * 9, "off by about 9 days.", "差了大约 9 天。"),
    ],
)
def test_the_clock_skew_is_said_in_a_natural_unit(hours: int, english: str, chinese: str) -> None:
    params = {"skew_hours": hours}
    assert english in catalog("en").finding("clock_wrong", params).explanation
    assert chinese in catalog("zh_CN").finding("clock_wrong", params).explanation


# --------------------------------------------------------------------------- failures
FAILURE_NAMES = sorted(
    value for name, value in vars(failures).items() if name.isupper() and isinstance(value, str)
)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", FAILURE_NAMES)
def test_every_failure_name_has_words(language: str, name: str) -> None:
    words = catalog(language).failure(name)
    assert catalog(language).has("value", "failure", name)
    assert "_" not in words and words != name


@pytest.mark.parametrize(
    ("failure", "english", "chinese"),
    [
        ("timeout", "Connection: Failed (no answer)", "连接：失败（无响应）"),
        (
            "connection_reset",
            "Connection: Failed (the connection was cut)",
            "连接：失败（连接被切断）",
        ),
        (
            "proxy_connection_refused",
            "Connection: Failed (through the proxy: the connection was turned away)",
            "连接：失败（经过代理：连接被拒绝）",
        ),
        (
            "status_403",
            "Connection: Failed (the answer had code 403)",
            "连接：失败（回答的状态码是 403）",
        ),
    ],
)
def test_a_failed_layer_says_what_went_wrong(failure: str, english: str, chinese: str) -> None:
    for language, expected in (("en", english), ("zh_CN", chinese)):
        texts = catalog(language)
        line = texts.ui(
            "layer_line_failure",
            layer=texts.layer_label("tcp"),
            status=texts.layer_status_label("failed"),
            failure=failure,
        )
        assert line == expected


# --------------------------------------------------------------------------- progress
@pytest.mark.parametrize(
    ("check", "label", "english", "chinese"),
    [
        ("clock", "clock", "your computer's clock", "电脑时间"),
        ("dns", "DNS", "the DNS servers", "DNS 服务器"),
        ("doh", "DNS-over-HTTPS", "encrypted DNS", "加密 DNS"),
        ("captive:0", "http://captive.example/generate_204", "for a login page", "有没有登录页面"),
        ("service:baidu", "Baidu", "Baidu", "百度"),
        ("service:other", "Other", "Other", "Other"),  # no name given: as written
        ("vpn:0", "Office VPN", "Office VPN", "Office VPN"),
    ],
)
def test_the_progress_line_names_checks_in_words(
    check: str, label: str, english: str, chinese: str
) -> None:
    assert catalog("en").check_label(check, label, {"baidu": "Baidu"}) == english
    assert catalog("zh_CN").check_label(check, label, {"baidu": "百度"}) == chinese
    line = catalog("zh_CN").ui("progress", current=chinese, done=3, total=9)
    assert line.startswith("正在检查") and "clock" not in line


# --------------------------------------------------------------------------- evidence
def _url(url: str, failure: str) -> dict[str, object]:
    return {
        "url": url,
        "dns": {"status": "forged", "reason": "injected_on_path", "answers": ["192.0.2.1"]},
        "addresses": [{"address": "192.0.2.1", "tcp": [{"failure": failure, "ms": 5000.0}]}],
        "verdict": "dns_tampered",
        "reason": "tcp_timeout",
    }


@pytest.mark.parametrize(
    ("language", "rows"),
    [
        (
            "en",
            [
                (("Host name",), "mail.example"),
                (("Web address",), "https://mail.example/"),
                (("Name lookup", "Result"), "forged"),
                (("Name lookup", "Why"), "a fake answer was slipped in on the way"),
                (("Name lookup", "Answer"), "192.0.2.1"),
                (("Server address", "Address"), "192.0.2.1"),
                (("Server address", "Connection attempt", "Error"), "no answer"),
                (("Server address", "Connection attempt", "Time"), "5000 ms"),
                (("Verdict",), "Forged address"),
                (("Why",), "no answer when connecting"),
                (("future_field",), "as it is"),
            ],
        ),
        (
            "zh_CN",
            [
                (("主机名",), "mail.example"),
                (("网址",), "https://mail.example/"),
                (("域名解析", "结果"), "被伪造"),
                (("域名解析", "依据"), "途中被塞进了假回答"),
                (("域名解析", "查到的地址"), "192.0.2.1"),
                (("服务器地址", "地址"), "192.0.2.1"),
                (("服务器地址", "连接尝试", "错误"), "无响应"),
                (("服务器地址", "连接尝试", "用时"), "5000 毫秒"),
                (("结论",), "地址被伪造"),
                (("依据",), "连接时无响应"),
                (("future_field",), "as it is"),
            ],
        ),
    ],
)
def test_evidence_reads_in_words(language: str, rows: list[tuple[tuple[str, ...], str]]) -> None:
    evidence = {
        "host": "mail.example",
        "urls": [_url("https://mail.example/", "timeout")],
        "future_field": "as it is",
    }
    assert evidence_rows(catalog(language), evidence) == rows


def test_several_web_addresses_are_numbered() -> None:
    evidence = {"urls": [_url("https://a.example/", "timeout"), _url("https://b.example/", "eof")]}
    rows = dict(evidence_rows(catalog("en"), evidence))
    assert rows[("Web page 1", "Web address")] == "https://a.example/"
    assert rows[("Web page 2", "Server address", "Connection attempt", "Error")] == (
        "the connection was closed"
    )
