"""The plain-language catalog: a title, explanation and advice for every code, per language.

The texts live in ``resources/explanations/<language>.toml`` (installed as
``clearsight.resources``), one file per language with the same keys:

``[verdict.<code>]``, ``[finding.<code>]``
    ``title``, ``explanation``, ``advice`` for every verdict and finding code of
    :mod:`clearsight.diagnosis.vocabulary`.
``[summary.<status>]``
    ``headline`` and ``advice`` for every report status.
``[ui]``
    Generic strings of the CLI, reports and GUI (labels, badges, messages).
``[value.<table>]``
    Plain words for code-like param values (``[value.reason]`` turns ``"deadline"`` into
    "time ran out"; ``[value.failure]`` turns ``"timeout"`` into "no answer").
    :data:`VALUE_TABLES` says which param uses which table; unknown values pass through.

Country codes (``{country}``, ``{expected_country}``) become names from the Unicode CLDR
(:mod:`clearsight.explanations.countries`), an unknown code "an unknown country or
region"; a duration (``{skew_hours}``) is said in minutes, hours, days, months or years
(:mod:`clearsight.explanations.durations`).

Templates (only the catalog's own strings are templates, never a param value):

``{name}``
    the param's value. Lists are joined per language (", " / "、"), floats get one
    decimal, a missing, ``None`` or empty value renders as "…".
``{name|one|other}``
    English plural: *one* when the param is 1, else *other* (the number itself is
    written separately: ``{count} {count|check|checks}``).
``{{`` and ``}}``
    literal braces.

Chinese templates put no space around a placeholder; where an inserted value meets
Chinese characters, a Latin word or number gets one space ("访问 Gmail 时", "用了 3 秒"),
a Chinese value none ("访问微信时").

Param values come from the network (certificate issuers, proxy names, DNS answers).
They are inserted verbatim except that control characters (which could drive a
terminal) and bidirectional overrides (which could reorder the text around them) are
replaced, and one value is cut at :data:`MAX_VALUE_CHARS`. No HTML escaping happens
here: every renderer escapes for its own format.

A language file may lack a key; the English text stands in. A code no catalog knows
(a newer report, a newer diagnosis) gets a generic text naming the code, never an error.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final

from clearsight.explanations.countries import country_name
from clearsight.explanations.durations import in_units

LANGUAGES: Final[tuple[str, ...]] = ("en", "zh_CN")
DEFAULT_LANGUAGE: Final = "en"

#: What a missing param renders as when the catalog has no ``ui.missing_value``.
MISSING: Final = "…"
#: One param value (or one list item) is cut to this many characters.
MAX_VALUE_CHARS: Final = 200
#: A list param shows at most this many items, then "and N more".
MAX_LIST_ITEMS: Final = 10

#: Param name -> ``[value.<table>]`` that turns its code-like values into words.
VALUE_TABLES: Final[Mapping[str, str]] = {
    "reason": "reason",
    "proof": "vpn_proof",
    "checks": "limited",
}
#: Params holding an ISO 3166 country code.
COUNTRY_PARAMS: Final = frozenset({"country", "expected_country"})
#: Params holding a length of time, with the seconds in one unit of the param.
DURATION_PARAMS: Final[Mapping[str, float]] = {"skew_hours": 3600.0}

#: Verdicts said as "blocked" where a redirect leads to them (``[redirect] blocked``);
#: the others (intercepted, slow, the site's own fault, unclear) are said by their own text.
REDIRECT_BLOCKED: Final = frozenset(
    {"dns_tampered", "dns_failed", "ip_blocked", "tls_blocked", "http_blocked"}
)

#: The parts of one verdict or finding text.
TEXT_PARTS: Final[tuple[str, ...]] = ("title", "explanation", "advice")
#: The parts of one summary status.
SUMMARY_PARTS: Final[tuple[str, ...]] = ("headline", "advice")
#: The parts of ``[unclear.<reason>]``: why one service's result is unclear, and what to do.
UNCLEAR_PARTS: Final[tuple[str, ...]] = ("explanation", "advice")

_FIELD_RE: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}|]*)\|([^{}|]*))?")
# Bidirectional embeddings, overrides and isolates: they can make a value reorder the
# sentence around it (e.g. an issuer name that flips the rest of the line).
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WHITESPACE_CONTROLS: Final = frozenset("\t\n\r\v\f\x1c\x1d\x1e\x1f\x85")


class TemplateError(ValueError):
    """A catalog string is not a valid template (a bug in a catalog file)."""


@dataclass(frozen=True, slots=True)
class Texts:
    """The three texts shown for one verdict or finding."""

    title: str
    explanation: str
    advice: str


@dataclass(frozen=True)
class Phrase:
    """A catalog text not yet said in any language: ``[section] code`` with its params.

    Code that is not about the network still has things to say (a profile's mistakes, a
    report file that cannot be read); it builds a Phrase and whoever shows it says it in
    the reader's language (:meth:`Catalog.say`). A param may be a Phrase itself ("must be
    text in quotes, not *the number 3*")."""

    section: str
    code: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    forms: tuple[str, str] | None  # (one, other) for a plural selector


_Part = str | _Field


class _Rendered(str):
    """A value that is already rendered text (inserted without further processing)."""

    __slots__ = ()


def parse_template(template: str) -> tuple[str | _Field, ...]:
    """Split a catalog string into literal text and fields; raise TemplateError if malformed."""
    parts: list[_Part] = []
    literal: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        char = template[i]
        if char in "{}" and template.startswith(char * 2, i):
            literal.append(char)
            i += 2
            continue
        if char == "}":
            raise TemplateError(f"single '}}' at position {i} in {template!r}")
        if char == "{":
            end = template.find("}", i + 1)
            match = _FIELD_RE.fullmatch(template, i + 1, end) if end >= 0 else None
            if match is None:
                raise TemplateError(f"bad field at position {i} in {template!r}")
            if literal:
                parts.append("".join(literal))
                literal = []
            name, one, other = match.groups()
            forms = (one, other) if one is not None and other is not None else None
            parts.append(_Field(name, forms))
            i = end + 1
            continue
        literal.append(char)
        i += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def template_fields(template: str) -> frozenset[str]:
    """The param names a catalog string uses (plural selectors included)."""
    return frozenset(part.name for part in parse_template(template) if isinstance(part, _Field))


@lru_cache(maxsize=2048)
def _parsed(template: str) -> tuple[_Part, ...] | None:
    try:
        return parse_template(template)
    except TemplateError:
        return None


def clean_value(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Make untrusted text safe to insert into a sentence: no control or bidi characters.

    Line breaks and tabs become spaces; other control characters, lone surrogates and
    bidirectional overrides become U+FFFD; text longer than *limit* is cut with "…".
    """
    out: list[str] = []
    for char in text:
        if char in _WHITESPACE_CONTROLS:
            out.append(" ")
        elif char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            out.append("\ufffd")
        else:
            out.append(char)
    cleaned = "".join(out).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: max(limit - 1, 0)].rstrip() + "…"
    return cleaned


def format_number(value: float) -> str:
    """Integers as they are; other numbers with one decimal ("2.35" -> "2.4", "3.0" -> "3")."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return MISSING
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def _is_latin(char: str) -> bool:
    # Letters and digits below the CJK blocks (full-width forms are above), and the
    # symbols that start or end a path, address or URL.
    return (char.isalnum() and ord(char) < 0x2E80) or char in "/\\~@#$%&*+=<>_"


def _needs_space(left: str, right: str) -> bool:
    return (_is_han(left) and _is_latin(right)) or (_is_latin(left) and _is_han(right))


def _is_one(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == 1
    if isinstance(value, str):
        try:
            return float(value) == 1
        except ValueError:
            return False
    return False


def normalise_language(value: str | None) -> str:
    """Map a locale or language tag to a catalog language: any Chinese -> "zh_CN", else "en".

    Accepts "zh", "zh-CN", "zh_CN.UTF-8", "zh-Hans-CN", "zh_CN@pinyin", a ``$LANGUAGE``
    priority list ("zh_CN:en_US") and Windows names ("Chinese (Simplified)_China").
    Traditional-Chinese locales also get the Simplified catalog: the only Chinese one,
    easier for their readers than English.
    """
    if not value:
        return DEFAULT_LANGUAGE
    for candidate in value.split(":"):
        tag = candidate.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
        primary = tag.split("_", 1)[0].split(" ", 1)[0]
        if primary in ("zh", "chinese"):
            return "zh_CN"
        if primary in ("en", "english"):
            return "en"
    return DEFAULT_LANGUAGE


def _load(language: str) -> dict[str, Any]:
    # One joined path: a multi-part joinpath fails on some Traversables (Python 3.11).
    path = resources.files("clearsight.resources").joinpath(f"explanations/{language}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


class Catalog:
    """The texts of one language, with English standing in for anything it lacks."""

    language: str

    def __init__(self, language: str, layers: tuple[Mapping[str, Any], ...]) -> None:
        self.language = language
        self._layers = layers  # most specific first; English last
        # Chinese templates leave no space around a placeholder; where an inserted value
        # meets Chinese text, a Latin word or a number gets one space ("访问 Gmail 时").
        self._cjk_spacing = language.startswith("zh")

    # -- lookups ----------------------------------------------------------------------

    def raw(self, *path: str) -> str | None:
        """The unformatted catalog string at *path* (e.g. ``("finding", "offline", "title")``)."""
        for data in self._layers:
            node: object = data
            for key in path:
                if not isinstance(node, Mapping) or key not in node:
                    node = None
                    break
                node = node[key]
            if isinstance(node, str):
                return node
        return None

    def has(self, *path: str) -> bool:
        """Whether the catalog (or its English fallback) holds a string at *path*."""
        return self.raw(*path) is not None

    # -- the public texts -------------------------------------------------------------

    def verdict(self, code: str, params: Mapping[str, object], reason: str | None = None) -> Texts:
        """Title, explanation and advice of a service verdict (params: service, host, seconds).

        An unclear result says why when its ``reason`` has a text of its own
        (``[unclear.<reason>]``: offline, the network changed, the clock is wrong, ...)."""
        texts = self._texts("verdict", code, params)
        if code == "inconclusive" and reason:
            explanation, advice = (self.raw("unclear", reason, part) for part in UNCLEAR_PARTS)
            if explanation is not None and advice is not None:
                texts = Texts(
                    title=texts.title,
                    explanation=self.render(explanation, params),
                    advice=self.render(advice, params),
                )
        if params.get("redirected_to"):
            texts = self._redirected(code, params, texts)
        return texts

    def _redirected(self, code: str, params: Mapping[str, object], texts: Texts) -> Texts:
        """A later hop of a redirect decided: the explanation first says where the service
        sends you (``[redirect]``: "Twitter sends you on to x.com, which is blocked")."""
        key = "blocked" if code in REDIRECT_BLOCKED else "other"
        template = self.raw("redirect", key)
        if template is None:
            return texts
        joiner = "" if self._cjk_spacing else " "
        return Texts(
            title=texts.title,
            explanation=self.render(template, params) + joiner + texts.explanation,
            advice=texts.advice,
        )

    def finding(self, code: str, params: Mapping[str, object]) -> Texts:
        """Title, explanation and advice of a finding, filled with its params."""
        return self._texts("finding", code, params)

    def headline(self, status: str, params: Mapping[str, object], cause: str | None = None) -> str:
        """One sentence answering "what is wrong with my network?" for a report status.

        ``cause``: the finding that makes an unclear run unclear (``[summary_cause.<code>]``,
        e.g. the network changed during the run), said instead of the general sentence."""
        template = self._cause(cause, "headline") or self.raw("summary", status, "headline")
        if template is None:
            return self.ui("unknown_headline", code=status)
        return self.render(template, params)

    def summary_advice(
        self, status: str, params: Mapping[str, object], cause: str | None = None
    ) -> str:
        """A short line of advice for a report status (``cause`` as for the headline)."""
        template = self._cause(cause, "advice") or self.raw("summary", status, "advice")
        if template is None:
            return self.ui("unknown_advice")
        return self.render(template, params)

    def say(self, phrase: Phrase) -> str:
        """A Phrase in this language (English where this language lacks it; its code where
        no catalog has it)."""
        template = self.raw(phrase.section, phrase.code)
        if template is None:
            return clean_value(phrase.code)
        return self.render(template, phrase.params)

    def ui(self, key: str, **params: object) -> str:
        """A generic string of the ``[ui]`` table; an unknown key renders as the key itself."""
        template = self.raw("ui", key)
        if template is None:
            return key
        return self.render(template, params)

    # -- labels (thin wrappers over [ui]) ---------------------------------------------

    def verdict_badge(self, verdict: str) -> str:
        """A 1-3 word badge for a verdict ("Works", "Blocked", "Forged address")."""
        return self._label("verdict_badge_", verdict)

    def summary_badge(self, status: str) -> str:
        """A 1-3 word badge for a report status ("All working", "Blocked", "Offline")."""
        return self._label("summary_badge_", status)

    def layer_label(self, layer: str) -> str:
        """A plain name for a layer (dns, tcp, tls, http)."""
        return self._label("layer_", layer)

    def layer_status_label(self, status: str) -> str:
        """A plain word for a layer status (ok, failed, forged, not_run)."""
        return self._label("status_", status)

    def severity_label(self, severity: str) -> str:
        """A plain word for a finding severity (info, warning, problem)."""
        return self._label("severity_", severity)

    def check_label(
        self, check_id: str, label: str, services: Mapping[str, str] | None = None
    ) -> str:
        """What the progress line calls a check: a service by its name in this language
        (``services``: id -> name), the run's own checks in words (``ui.check_<kind>``:
        "the clock", not "clock"), a VPN server by the name its profile gives it."""
        kind, _, rest = check_id.partition(":")
        if kind == "service":
            return (services or {}).get(rest, label)
        words = self.raw("ui", f"check_{kind}")
        return words if words is not None else label

    def group(self, name: str) -> str:
        """A service group in this language: the built-in profile's groups have words in
        ``[ui]`` (``group_<slug>``: "Email & office" -> ``group_email_office``); any other
        group is shown as its profile writes it."""
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        words = self.raw("ui", f"group_{slug}") if slug else None
        return words if words is not None else clean_value(name)

    def value(self, table: str, code: str) -> str:
        """Plain words for a code-like value (``value("reason", "deadline")``), else the code.
        The tables "country" and "failure" are :meth:`country` and :meth:`failure`."""
        if table == "country":
            return self.country(code)
        if table == "failure":
            return self.failure(code)
        words = self.raw("value", table, code)
        return words if words is not None else clean_value(code)

    def failure(self, code: str) -> str:
        """A failure name in words ("timeout" -> "no answer"); "proxy_<name>" says that the
        proxy failed, "status_<code>" that the answer had that code."""
        words = self.raw("value", "failure", code)
        if words is not None:
            return words
        if code.startswith("proxy_") and self.has("value", "failure", code[6:]):
            return self.ui("failure_through_proxy", failure=_Rendered(self.failure(code[6:])))
        if code.startswith("status_") and code[7:].isdigit():
            return self.ui("failure_status", code=code[7:])
        return clean_value(code)

    def country(self, code: str) -> str:
        """The name of a country or region ("US" -> "the United States"; "ZZ", or any code
        that names none, -> "an unknown country or region")."""
        name = country_name(code, self.language) or country_name(code, DEFAULT_LANGUAGE)
        return name if name is not None else self.ui("unknown_country")

    def duration(self, seconds: float) -> str:
        """A length of time in the unit a person would use ("3 years", "5 hours")."""
        unit, count = in_units(seconds)
        return self.ui(f"duration_{unit}", count=count)

    # -- formatting -------------------------------------------------------------------

    def render(self, template: str, params: Mapping[str, object]) -> str:
        """Fill a catalog string with params; never raises on hostile or missing params."""
        parts = _parsed(template)
        if parts is None:  # a broken catalog string: show it rather than fail
            return template
        out: list[str] = []
        after_value = False  # whether the last piece in `out` is an inserted value
        for part in parts:
            if isinstance(part, str):
                piece, is_value = part, False
            elif part.forms is not None:
                one, other = part.forms
                piece, is_value = (one if _is_one(params.get(part.name)) else other), False
            else:
                piece, is_value = self.format_value(part.name, params.get(part.name)), True
            if (
                self._cjk_spacing
                and (is_value or after_value)
                and out
                and out[-1]
                and piece
                and _needs_space(out[-1][-1], piece[0])
            ):
                out.append(" ")
            out.append(piece)
            after_value = is_value
        return "".join(out)

    def format_value(self, name: str, value: object) -> str:
        """Render one param value as text of this language."""
        if isinstance(value, _Rendered):
            return str(value)
        if isinstance(value, list | tuple | set | frozenset):
            items = value if isinstance(value, list | tuple) else sorted(value, key=str)
            return self.join(self._scalar(name, item) for item in items)
        text = self._scalar(name, value)
        return text if text else self.missing

    def join(self, items: Iterable[object]) -> str:
        """Join already rendered strings the way this language lists things."""
        texts = [text for text in map(str, items) if text]
        if not texts:
            return self.missing
        separator = self.raw("ui", "list_separator") or ", "
        if len(texts) <= MAX_LIST_ITEMS:
            return separator.join(texts)
        shown = separator.join(texts[:MAX_LIST_ITEMS])
        rest = len(texts) - MAX_LIST_ITEMS
        template = self.raw("ui", "list_more") or "{items} (+{count})"
        return self.render(
            template, {"items": _Rendered(shown), "count": rest, "total": len(texts)}
        )

    @property
    def missing(self) -> str:
        """What a missing param renders as."""
        return self.raw("ui", "missing_value") or MISSING

    # -- internals --------------------------------------------------------------------

    def _scalar(self, name: str, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, _Rendered):
            return str(value)
        if isinstance(value, Phrase):
            return self.say(value)
        if isinstance(value, bool):
            return self.ui("yes" if value else "no")
        if name in DURATION_PARAMS and isinstance(value, int | float) and math.isfinite(value):
            return self.duration(value * DURATION_PARAMS[name])
        if isinstance(value, int | float):
            return format_number(value)
        if isinstance(value, bytes | bytearray):
            text = bytes(value).decode("utf-8", errors="replace")
        else:
            text = str(value)
        if name in COUNTRY_PARAMS:
            return self.country(text)
        if name == "failure":
            return self.failure(text)
        table = VALUE_TABLES.get(name)
        if table is not None:
            words = self.raw("value", table, text)
            if words is None and ":" in text:  # "internal_error:KeyError" -> "internal_error"
                words = self.raw("value", table, text.split(":", 1)[0])
            if words is not None:
                return words
        return clean_value(text)

    def _cause(self, cause: str | None, part: str) -> str | None:
        return self.raw("summary_cause", cause, part) if cause else None

    def _texts(self, section: str, code: str, params: Mapping[str, object]) -> Texts:
        templates = [self.raw(section, code, part) for part in TEXT_PARTS]
        if templates[0] is None:
            return Texts(
                title=self.ui("unknown_title", code=code),
                explanation=self.ui("unknown_explanation"),
                advice=self.ui("unknown_advice"),
            )
        title, explanation, advice = (
            self.render(template, params) if template is not None else "" for template in templates
        )
        return Texts(title=title, explanation=explanation, advice=advice)

    def _label(self, prefix: str, code: str) -> str:
        label = self.raw("ui", prefix + code)
        return label if label is not None else clean_value(code)

    def __repr__(self) -> str:
        return f"Catalog({self.language!r})"


@cache
def _catalog(language: str) -> Catalog:
    english = _load(DEFAULT_LANGUAGE)
    if language == DEFAULT_LANGUAGE:
        return Catalog(language, (english,))
    return Catalog(language, (_load(language), english))


def catalog(language: str | None = None) -> Catalog:
    """The catalog of *language* (any spelling :func:`normalise_language` accepts), cached.

    An unknown language gets the English catalog (whose ``language`` is then "en").
    """
    return _catalog(normalise_language(language))
