"""Names in other languages: ``names = { zh_CN = "…" }`` for the profile and its services."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearsight.explanations import catalog
from clearsight.profile import ProfileError, load_default_profile, load_profile, parse_profile

HEAD = 'format = 1\nname = "Acme Shanghai"\ncountry = "CN"\ninclude_default = false\n'
SERVICE = (
    '[[services]]\nid = "intranet"\nname = "Intranet"\ngroup = "Work"\nurls = ["https://i.lab/"]\n'
)


def parse(text: str) -> object:
    return parse_profile(text.encode(), "acme.clearsight", None)


def test_the_profile_and_its_services_have_names_in_other_languages() -> None:
    profile = parse_profile(
        (
            HEAD
            + 'names = { zh_CN = "Acme 上海办公室" }\n'
            + SERVICE
            + 'names = { zh_CN = "内网" }\n'
        ).encode(),
        "acme.clearsight",
        None,
    )
    assert profile.name_in("zh_CN") == "Acme 上海办公室"
    assert profile.name_in("en") == "Acme Shanghai"
    assert profile.names_by_language() == {"en": "Acme Shanghai", "zh_CN": "Acme 上海办公室"}
    intranet = profile.services[0]
    assert (intranet.name_in("zh_CN"), intranet.name_in("en")) == ("内网", "Intranet")
    assert profile.service_names_by_language() == {"intranet": {"en": "Intranet", "zh_CN": "内网"}}


def test_without_names_every_language_gets_the_name_as_written() -> None:
    profile = parse_profile((HEAD + SERVICE).encode(), "acme.clearsight", None)
    assert set(profile.names_by_language().values()) == {"Acme Shanghai"}
    assert profile.services[0].name_in("zh_CN") == "Intranet"


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (
            'names = { zh-CN = "内网" }\n',
            "names.zh-CN",
            "unknown key 'zh-CN' in [names]; did you mean 'zh_CN'?",
        ),
        (
            'names = { fr = "Acme" }\n',
            "names.fr",
            "unknown key 'fr' in [names] (allowed: en, zh_CN)",
        ),
        ('names = "Acme 上海"\n', "names", "must be a table"),
        ("names = { zh_CN = 3 }\n", "names.zh_CN", "must be text in quotes, not the number 3"),
        ('names = { zh_CN = "" }\n', "names.zh_CN", "must not be empty"),
    ],
)
def test_a_bad_names_table_is_an_error(text: str, key: str, problem: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse(HEAD + text)
    assert caught.value.key == key and caught.value.line == 5
    assert problem in caught.value.problem
    with pytest.raises(ProfileError) as in_service:
        parse(HEAD + SERVICE + text)
    assert in_service.value.key == f"services[1].{key}"


def test_a_profile_laid_over_the_default_keeps_its_own_names(tmp_path: Path) -> None:
    own = tmp_path / "acme.clearsight"
    own.write_text('format = 1\nname = "Acme"\n', encoding="utf-8")
    profile = load_profile(own)
    # the default's Chinese name belongs to the default's name, not to "Acme"
    assert profile.name_in("zh_CN") == "Acme"
    assert profile.service("baidu") is not None
    assert profile.service("baidu").name_in("zh_CN") == "百度"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("service_id", "chinese"),
    [
        ("baidu", "百度"),
        ("taobao", "淘宝"),
        ("weibo", "微博"),
        ("alipay", "支付宝"),
        ("jd", "京东"),
        ("google-search", "谷歌搜索"),
        ("google-maps", "谷歌地图"),
        ("wikipedia", "维基百科"),
        ("linkedin", "领英"),
        ("x", "X（推特）"),
        # brands people write in Latin letters stay as they are
        ("gmail", "Gmail"),
        ("slack", "Slack"),
        ("zoom", "Zoom"),
        ("whatsapp", "WhatsApp"),
    ],
)
def test_the_default_profile_names_services_as_people_in_china_write_them(
    service_id: str, chinese: str
) -> None:
    service = load_default_profile().service(service_id)
    assert service is not None and service.name_in("zh_CN") == chinese


def test_the_default_profile_and_its_groups_have_chinese_names() -> None:
    default = load_default_profile()
    assert default.name_in("zh_CN") == "Clearsight 标准检查（中国大陆）"
    chinese = catalog("zh_CN")
    assert all(chinese.group(group) != group for group in default.groups)  # translated
    assert chinese.group("Email & office") == "邮件与办公"
    assert chinese.group("Acme tools") == "Acme tools"  # a profile's own group, as written
