"""Read, check and merge profiles (docs/design.md, "Profile (contract, TOML, format 1)").

Every problem becomes one ``ProfileError`` whose text names the file, the line (when it
can be found) and the key, and says what is wrong, e.g.::

    acme.clearsight, line 12 (services[2].urls): "htps://x" is not an http(s) URL

Key paths count entries from 1, as a person counts ``[[services]]`` tables in the file.
Nothing here executes anything or reads any file but the profile; loading only checks that
a ``ca_file`` exists, and ``check_ca_file`` reads it (just before a run) to see that it
holds certificates.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import ipaddress
import json
import math
import os
import re
import ssl
import stat
import tomllib
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from clearsight.explanations import Phrase
from clearsight.explanations.file_problems import FileError, file_problem
from clearsight.profile.model import (
    FORMAT,
    LANGUAGES,
    VPN_PROTOCOLS,
    CaptiveCheckSpec,
    DnsInjection,
    DohResolver,
    ExitCheckSpec,
    Names,
    Profile,
    Resolver,
    Service,
    Settings,
    VpnEndpoint,
    VpnSettings,
)

__all__ = [
    "DEFAULT_PROFILE_SOURCE",
    "MAX_CA_FILE_BYTES",
    "MAX_FILE_BYTES",
    "ProfileError",
    "check_ca_file",
    "load_default_profile",
    "load_profile",
    "merge_profiles",
    "parse_profile",
]

MAX_FILE_BYTES: Final = 1024 * 1024
MAX_CA_FILE_BYTES: Final = 10 * 1024 * 1024  # certifi's whole bundle is ~300 KB
MAX_STRING: Final = 2000
MAX_SERVICES: Final = 500
MAX_URLS_PER_SERVICE: Final = 20
MAX_NETWORKS_PER_SERVICE: Final = 200
MAX_RESOLVERS: Final = 50
MAX_DOH: Final = 20
MAX_ADDRESSES: Final = 16
MAX_INJECTION_NAMES: Final = 500
MAX_CAPTIVE_CHECKS: Final = 20
MAX_VPN_ENDPOINTS: Final = 50
MAX_ID: Final = 64
TIMEOUT_MAX_S: Final = 120.0
DEADLINE_MAX_S: Final = 600.0

DEFAULT_PROFILE_SOURCE: Final = "default.clearsight (built-in)"
_DEFAULT_RESOURCE: Final = "default.clearsight"

Key = tuple[str | int, ...]  # a key path; ints index arrays (0-based inside, 1-based shown)
T = TypeVar("T")


class ProfileError(FileError):
    """A profile that cannot be used: one sentence naming file, line/key and problem, in
    any language (:meth:`message`); ``str()`` is the English."""


_p = file_problem


# --------------------------------------------------------------------------- public API


def parse_profile(data: bytes, source: str, base_dir: Path | None) -> Profile:
    """Check one profile's bytes and build it, without merging.

    ``source`` names the file in messages; ``base_dir`` is the profile's folder, against
    which a relative ``ca_file`` is resolved (None: a relative ``ca_file`` is an error).
    With ``include_default`` true, keys the default supplies (``country``,
    ``dns_injection.probe_addresses``, ``exit_check.url``) may be left out; the result then
    holds empty values there until ``merge_profiles`` fills them in. ``source`` of the
    result is None; ``load_profile`` sets it.
    """
    text = _decode(data, source)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(source, str(exc), text) from None
    except ValueError:  # an integer of more than 4300 digits (Python's conversion limit)
        long_number = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, long_number.start()) + 1 if long_number else None
        raise ProfileError(source, _p("toml_long_number"), line=line) from None
    except RecursionError:
        raise ProfileError(source, _p("too_deep")) from None
    return _Checker(source, text, base_dir).profile(raw)


def load_profile(path: Path | str | None = None) -> Profile:
    """The profile to run: the built-in default (``path`` None), or the file at ``path``,
    merged onto the default unless it says ``include_default = false``."""
    if path is None:
        return load_default_profile()
    source = str(path)
    data = _read_bounded(path, source)
    folder = Path(os.path.abspath(path)).parent
    own = parse_profile(data, source, folder)
    own = dataclasses.replace(own, source=Path(os.path.abspath(path)))
    if not own.include_default:
        return own
    merged = merge_profiles(load_default_profile(), own)
    _check_merged(merged, own, source, _Locator(data.decode("utf-8-sig")))
    return merged


def check_ca_file(profile: Profile, source: str | None = None) -> None:
    """Raise ``ProfileError`` unless the profile's ``ca_file`` (if any) holds certificates
    Python can load (PEM). Call it before a run: a file of anything else would otherwise
    stop every TLS check; it is read here and nowhere else before the run. ``source``
    names the profile in the message as the user gave it (default: its full path)."""
    ca_file = profile.settings.ca_file
    if ca_file is None:
        return
    if source is None:
        source = str(profile.source) if profile.source is not None else DEFAULT_PROFILE_SOURCE
    key = "settings.ca_file"
    line = None
    if profile.source is not None:
        with contextlib.suppress(OSError, ProfileError, UnicodeDecodeError):
            text = _read_bounded(profile.source, source).decode("utf-8-sig")
            line = _Locator(text).line_of(("settings", "ca_file"))
    shown = _quote(str(ca_file))
    try:
        size = os.stat(ca_file).st_size
    except OSError as exc:
        raise ProfileError(
            source,
            _p("ca_unreadable", file=shown, detail=exc.strerror or str(exc)),
            key=key,
            line=line,
        ) from None
    if size > MAX_CA_FILE_BYTES:
        raise ProfileError(
            source, _p("ca_too_large", file=shown, size=f"{size:,}"), key=key, line=line
        )
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(ca_file))
    except OSError as exc:  # ssl.SSLError is an OSError
        problem = (
            _p("ca_no_certificate", file=shown)
            if isinstance(exc, ssl.SSLError)
            else _p("ca_no_certificate_because", file=shown, detail=exc.strerror or str(exc))
        )
        raise ProfileError(source, problem, key=key, line=line) from None


@cache
def load_default_profile() -> Profile:
    """The built-in default profile (``resources/default.clearsight``)."""
    data = files("clearsight.resources").joinpath(_DEFAULT_RESOURCE).read_bytes()
    return parse_profile(data, DEFAULT_PROFILE_SOURCE, None)


def merge_profiles(default: Profile, own: Profile) -> Profile:
    """``own`` on top of ``default`` (DESIGN): lists concatenate, and an entry whose id
    (services) or name (resolvers, DoH, VPN endpoints; captive checks: url) matches a
    default entry replaces it in place; tables merge key by key with ``own`` winning.

    Which keys ``own`` set comes from ``own.explicit_keys`` (None: all of them). The
    result is not checked again; ``load_profile`` checks what merging can break.
    """

    def own_sets(key: str) -> bool:
        return own.explicit_keys is None or key in own.explicit_keys

    def default_sets(key: str) -> bool:
        return default.explicit_keys is None or key in default.explicit_keys

    def pick(key: str, own_value: T, default_value: T) -> T:
        return own_value if own_sets(key) else default_value

    s_own, s_def = own.settings, default.settings
    if own_sets("settings.deadline_s"):
        deadline = s_own.deadline_s
    elif default_sets("settings.deadline_s"):
        deadline = s_def.deadline_s
    else:
        deadline = 0.0  # derived from the merged timeout
    settings = Settings(
        timeout_s=pick("settings.timeout_s", s_own.timeout_s, s_def.timeout_s),
        deadline_s=deadline,
        ca_file=pick("settings.ca_file", s_own.ca_file, s_def.ca_file),
        language=pick("settings.language", s_own.language, s_def.language),
    )

    dns_injection = own.dns_injection or default.dns_injection
    if own.dns_injection is not None and default.dns_injection is not None:
        dns_injection = DnsInjection(
            probe_addresses=pick(
                "dns_injection.probe_addresses",
                own.dns_injection.probe_addresses,
                default.dns_injection.probe_addresses,
            ),
            names=pick("dns_injection.names", own.dns_injection.names, default.dns_injection.names),
        )

    exit_check = own.exit_check or default.exit_check
    if own.exit_check is not None and default.exit_check is not None:
        exit_check = pick("exit_check.url", own.exit_check, default.exit_check)

    vpn = VpnSettings(
        expected=pick("vpn.expected", own.vpn.expected, default.vpn.expected),
        endpoints=_merge_list(default.vpn.endpoints, own.vpn.endpoints, lambda e: e.name),
    )

    explicit: frozenset[str] | None = None
    if own.explicit_keys is not None and default.explicit_keys is not None:
        explicit = own.explicit_keys | default.explicit_keys

    return Profile(
        format=own.format,
        name=pick("name", own.name, default.name),
        # The names in other languages go with the name they translate.
        names=own.names if own_sets("name") else default.names,
        support_contact=pick("support_contact", own.support_contact, default.support_contact),
        country=pick("country", own.country, default.country),
        include_default=own.include_default,
        settings=settings,
        resolvers=_merge_list(default.resolvers, own.resolvers, lambda r: r.name),
        doh=_merge_list(default.doh, own.doh, lambda d: d.name),
        dns_injection=dns_injection,
        captive_checks=_merge_list(default.captive_checks, own.captive_checks, lambda c: c.url),
        exit_check=exit_check,
        services=_merge_list(default.services, own.services, lambda s: s.id),
        vpn=vpn,
        source=own.source,
        explicit_keys=explicit,
    )


# --------------------------------------------------------------------------- reading


def _read_bounded(path: Path | str, source: str) -> bytes:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ProfileError(source, _p("no_such_file")) from None
    except ValueError:  # a NUL byte in the path
        raise ProfileError(source, _p("bad_file_name")) from None
    except OSError as exc:
        raise ProfileError(source, _unreadable(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise ProfileError(source, _p("is_folder"))
    if not stat.S_ISREG(st.st_mode):
        raise ProfileError(source, _p("not_regular"))
    if st.st_size > MAX_FILE_BYTES:
        raise ProfileError(source, _too_large(st.st_size))
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ProfileError(source, _unreadable(exc)) from None


def _unreadable(exc: OSError) -> Phrase:
    return _p("unreadable", detail=exc.strerror or str(exc))


def _too_large(size: int) -> Phrase:
    return _p("too_large", size=f"{size:,}")


def _too_many(count: int, limit: int) -> Phrase:
    return _p("too_many", count=f"{count:,}", limit=f"{limit:,}")


def _decode(data: bytes, source: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise ProfileError(source, _too_large(len(data)))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProfileError(source, _p("utf16"), line=1)
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as Notepad writes
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start]
        raise ProfileError(
            source, _p("not_utf8", byte=f"0x{byte:02X}", column=column), line=line
        ) from None


_LONG_NUMBER = re.compile(r"[0-9][0-9_]{999,}")
_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


# tomllib's messages that a person writing a profile meets most, in plain words (others are
# shown as tomllib writes them, in English).
_TOML_PLAIN: Final = (
    (re.compile(r"^Illegal character '\\n'"), "toml_unclosed_string"),
    (re.compile(r"^Cannot overwrite a value"), "toml_key_twice"),
    (re.compile(r"^Cannot declare \(.*\) twice"), "toml_table_twice"),
)


def _syntax_error(source: str, message: str, text: str) -> ProfileError:
    match = _TOML_WHERE.search(message)
    line: int | None = None
    detail: object = message[: match.start()] if match else message
    for pattern, plain in _TOML_PLAIN:
        if pattern.match(str(detail)):
            detail = _p(plain)
            break
    else:
        detail = str(detail)[:1].lower() + str(detail)[1:]
    if match and match.group(1):
        line = int(match.group(1))
        return ProfileError(
            source, _p("toml_at_column", detail=detail, column=int(match.group(2))), line=line
        )
    if match:
        line = text.count("\n") + (0 if text.endswith("\n") else 1)
        return ProfileError(source, _p("toml_at_end", detail=detail), line=line)
    return ProfileError(source, _p("toml", detail=detail), line=line)


# --------------------------------------------------------------------------- lines


_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\]|\\.)*"'
_LITERAL = r"'[^']*'"
_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED})\s*=\s*(.*)$")
_PART_RE = re.compile(_PART)


def _split_dotted(dotted: str) -> list[str]:
    parts = []
    for match in _PART_RE.finditer(dotted):
        part = match.group(0)
        if part[0] in "\"'":
            part = part[1:-1]
        parts.append(part)
    return parts


class _Locator:
    """Best-effort map from key paths to the line that writes them (1-based)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.where: dict[Key, int] = {}
        self.headers: set[int] = set()
        counters: dict[tuple[str, ...], int] = {}
        table: Key = ()
        in_string: str | None = None
        for number, line in enumerate(self.lines, start=1):
            if in_string is not None:
                if in_string in line:
                    in_string = None
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if array := _ARRAY_HEADER.match(line):
                table = self._resolve(_split_dotted(array.group(1)), counters, array=True)
                self._header(table, number)
            elif header := _TABLE_HEADER.match(line):
                table = self._resolve(_split_dotted(header.group(1)), counters, array=False)
                self._header(table, number)
            elif key := _KEY_LINE.match(line):
                parts = _split_dotted(key.group(1))
                for end in range(1, len(parts) + 1):
                    self.where.setdefault((*table, *parts[:end]), number)
                value = key.group(2)
                for quotes in ('"""', "'''"):
                    if value.startswith(quotes) and quotes not in value[3:]:
                        in_string = quotes

    def _header(self, table: Key, number: int) -> None:
        for end in range(1, len(table) + 1):
            self.where.setdefault(table[:end], number)
        self.headers.add(number)

    @staticmethod
    def _resolve(parts: list[str], counters: dict[tuple[str, ...], int], *, array: bool) -> Key:
        out: list[str | int] = []
        for end, part in enumerate(parts, start=1):
            out.append(part)
            prefix = tuple(parts[:end])
            if array and end == len(parts):
                counters[prefix] = counters.get(prefix, -1) + 1
                out.append(counters[prefix])
            elif prefix in counters:
                out.append(counters[prefix])
        return tuple(out)

    def line_of(self, key: Key, needle: str | None = None) -> int | None:
        """The line of ``key`` (or of its nearest written ancestor); with ``needle``, the
        first line from there on, within the same table, that contains it."""
        for end in range(len(key), 0, -1):
            line = self.where.get(key[:end])
            if line is not None:
                break
        else:
            return None
        if needle:
            for number in range(line, len(self.lines) + 1):
                if number != line and number in self.headers:
                    break
                if needle in self.lines[number - 1]:
                    return number
        return line


# --------------------------------------------------------------------------- checking


def _show_key(key: Key) -> str:
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            shown = part[:60] if re.fullmatch(_BARE, part) else json.dumps(part[:60])
            out += f".{shown}" if out else shown
    return out


def _show_table(table: Key) -> Phrase:
    names = ".".join(p for p in table if isinstance(p, str))
    if not table:
        return _p("at_top_level")
    if isinstance(table[-1], int):
        return _p("in_array", name=names)
    return _p("in_table", name=names)


def _quote(value: str) -> Phrase:
    """A value from the file, quoted (as JSON writes it, so nothing in it is hidden)."""
    if len(value) > 80:
        return _p("quoted", text=json.dumps(value[:77], ensure_ascii=False)[1:-1] + "…")
    return _p("quoted", text=json.dumps(value, ensure_ascii=False)[1:-1])


def _key_name(name: str) -> Phrase:
    return _p("key_name", name=name)


def _describe(value: object) -> Phrase:
    if isinstance(value, bool):
        return _p("value_true" if value else "value_false")
    if isinstance(value, str):
        return _p("value_text", value=_quote(value))
    if isinstance(value, int | float):
        return _p("value_number", value=str(value))
    if isinstance(value, list):
        return _p("value_list")
    if isinstance(value, dict):
        return _p("value_table")
    return _p("value_date")


_TOP_KEYS: Final = (
    "format",
    "name",
    "names",
    "support_contact",
    "country",
    "include_default",
    "settings",
    "resolvers",
    "doh",
    "dns_injection",
    "captive_checks",
    "exit_check",
    "services",
    "vpn",
)
_SETTINGS_KEYS: Final = ("timeout_s", "deadline_s", "ca_file", "language")
_RESOLVER_KEYS: Final = ("name", "address")
_DOH_KEYS: Final = ("name", "url", "bootstrap")
_INJECTION_KEYS: Final = ("probe_addresses", "names")
_CAPTIVE_KEYS: Final = ("url", "expect_status", "expect_body")
_EXIT_KEYS: Final = ("url",)
_SERVICE_KEYS: Final = (
    "id",
    "name",
    "names",
    "group",
    "urls",
    "domestic",
    "sensitive",
    "known_networks",
)
_VPN_KEYS: Final = ("expected", "endpoints")
_ENDPOINT_KEYS: Final = ("name", "host", "port", "protocol")
_ARRAY_TABLES: Final = {"resolvers", "doh", "captive_checks", "services", "endpoints"}

_SERVICE_ID = re.compile(r"[a-z0-9_-]+")
_COUNTRY = re.compile(r"[A-Z]{2}")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


class _Checker:
    """Checks the parsed TOML of one profile and builds the model from it."""

    def __init__(self, source: str, text: str, base_dir: Path | None) -> None:
        self.source = source
        self.locator = _Locator(text)
        self.base_dir = base_dir
        self.explicit: set[str] = set()

    # ---- errors

    def error(self, key: Key, problem: Phrase, needle: str | None = None) -> ProfileError:
        return ProfileError(
            self.source, problem, key=_show_key(key), line=self.locator.line_of(key, needle)
        )

    def check_keys(
        self, table: dict[str, Any], allowed: Sequence[str], path: Key, required: Iterable[str] = ()
    ) -> None:
        for name in table:
            if name in allowed:
                continue
            shown = _key_name(name if len(name) <= 60 else name[:57] + "…")
            where = _show_table(path)
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            if close:
                problem = _p("unknown_key_close", key=shown, table=where, close=_key_name(close[0]))
            elif path and name in _TOP_KEYS:
                problem = _p("unknown_key_top", key=shown, table=where)
            else:
                problem = _p("unknown_key", key=shown, table=where, allowed=", ".join(allowed))
            raise self.error((*path, name), problem)
        for name in required:
            if name not in table:
                raise self.error(
                    (*path, name), _p("missing_key", key=_key_name(name), table=_show_table(path))
                )

    # ---- scalars

    def string(
        self,
        table: dict[str, Any],
        name: str,
        path: Key,
        *,
        multiline: bool = False,
        max_len: int = MAX_STRING,
    ) -> str:
        return self.string_value(table[name], (*path, name), multiline=multiline, max_len=max_len)

    def string_value(
        self, value: object, key: Key, *, multiline: bool = False, max_len: int = MAX_STRING
    ) -> str:
        if not isinstance(value, str):
            raise self.error(key, _p("not_text", value=_describe(value)))
        if len(value) > max_len:
            raise self.error(key, _p("too_long", length=f"{len(value):,}", limit=f"{max_len:,}"))
        if not value.strip():
            raise self.error(key, _p("empty"))
        bad = [c for c in value if (ord(c) < 0x20 and not (multiline and c in "\t\r\n"))]
        if bad or "\x7f" in value:
            raise self.error(key, _p("control_characters", value=_quote(value)))
        return value

    def boolean(self, table: dict[str, Any], name: str, path: Key) -> bool:
        value = table[name]
        if not isinstance(value, bool):
            raise self.error((*path, name), _p("not_boolean", value=_describe(value)))
        return value

    def flag(self, table: dict[str, Any], name: str, path: Key) -> bool:
        return self.boolean(table, name, path) if name in table else False

    def integer(self, table: dict[str, Any], name: str, path: Key, low: int, high: int) -> int:
        value = table[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error((*path, name), _p("not_whole_number", value=_describe(value)))
        if not low <= value <= high:
            raise self.error(
                (*path, name), _p("out_of_range", low=low, high=high, value=str(value))
            )
        return value

    def seconds(self, table: dict[str, Any], name: str, path: Key, high: float) -> float:
        value = table[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error((*path, name), _p("not_seconds", value=_describe(value)))
        if not math.isfinite(value) or not 0 < value <= high:
            raise self.error(
                (*path, name), _p("seconds_out_of_range", high=f"{high:g}", value=str(value))
            )
        return float(value)

    # ---- lists

    def array(self, table: dict[str, Any], name: str, path: Key, max_items: int) -> list[Any]:
        value = table[name]
        if not isinstance(value, list):
            raise self.error((*path, name), _p("not_list", value=_describe(value)))
        if len(value) > max_items:
            raise self.error((*path, name), _too_many(len(value), max_items))
        return value

    def tables(self, raw: dict[str, Any], name: str, path: Key, max_items: int) -> list[Any]:
        """An array of tables (``[[name]]``); each entry must be a table."""
        value = raw[name]
        header = ".".join(p for p in (*path, name) if isinstance(p, str))
        if isinstance(value, dict):
            raise self.error((*path, name), _p("single_brackets", header=header))
        if not isinstance(value, list):
            raise self.error((*path, name), _p("not_tables", header=header, value=_describe(value)))
        if len(value) > max_items:
            raise self.error((*path, name), _too_many(len(value), max_items))
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self.error(
                    (*path, name, index), _p("entry_not_table", value=_describe(entry))
                )
        return value

    def table(self, raw: dict[str, Any], name: str, path: Key) -> dict[str, Any]:
        value = raw[name]
        if not isinstance(value, dict):
            raise self.error((*path, name), _p("not_table", name=name, value=_describe(value)))
        return value

    def strings(
        self,
        table: dict[str, Any],
        name: str,
        path: Key,
        max_items: int,
        check: Callable[[str, Key], str],
    ) -> tuple[str, ...]:
        items = self.array(table, name, path, max_items)
        if not items:
            raise self.error((*path, name), _p("empty_list"))
        return tuple(check(self.string_value(item, (*path, name)), (*path, name)) for item in items)

    # ---- value kinds

    def url(self, value: str, key: Key, schemes: tuple[str, ...] = ("http", "https")) -> str:
        https = schemes == ("https",)
        kind = _p("an_https_url" if https else "an_http_url")
        shown = _quote(value)

        def bad(problem: str, **params: object) -> ProfileError:
            return self.error(key, _p(problem, value=shown, kind=kind, **params), needle=value)

        if any(c.isspace() or ord(c) < 0x20 for c in value) or "\\" in value:
            raise bad("url_spaces")
        try:
            parts = urlsplit(value)
        except ValueError:
            raise bad("not_url") from None
        scheme = parts.scheme.lower()
        if scheme not in schemes:
            if not scheme or "://" not in value:
                raise bad("url_start_https" if https else "url_start_http")
            raise bad("url_only_https" if https else "url_only_http")
        if not value.lower().startswith(f"{scheme}://"):
            raise bad("url_needs_scheme", scheme=f"{scheme}://")
        host = parts.hostname
        if not host:
            raise bad("url_no_host")
        if parts.username is not None or parts.password is not None:
            raise bad("url_login")
        try:
            port = parts.port
        except ValueError:
            port = 0
        if port == 0:
            raise bad("url_port")
        if not _valid_host(host):
            raise bad("url_host")
        return value

    def host(self, value: str, key: Key) -> str:
        if "://" in value or "/" in value:
            raise self.error(key, _p("host_is_url", value=_quote(value)), needle=value)
        candidate = value[1:-1] if value.startswith("[") and value.endswith("]") else value
        if not _valid_host(candidate.lower()):
            problem = "host_with_port" if ":" in candidate else "bad_host"
            raise self.error(key, _p(problem, value=_quote(value)), needle=value)
        return candidate

    def address(self, value: str, key: Key) -> str:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise self.error(key, _p("not_address", value=_quote(value)), needle=value) from None
        if address.is_multicast or address.is_unspecified:
            raise self.error(key, _p("not_unicast", value=_quote(value)), needle=value)
        return str(address)

    def network(self, value: str, key: Key) -> str:
        try:
            return str(ipaddress.ip_network(value, strict=True))
        except ValueError as exc:
            problem = _p("bad_network", value=_quote(value))
            if "host bits" in str(exc):
                problem = _p("host_bits", value=_quote(value))
                with contextlib.suppress(ValueError):
                    meant = str(ipaddress.ip_network(value, strict=False))
                    problem = _p("host_bits_meant", value=_quote(value), meant=_quote(meant))
            raise self.error(key, problem, needle=value) from None

    def hostname(self, value: str, key: Key) -> str:
        if "://" in value or "/" in value or not _valid_host(value.lower()):
            raise self.error(key, _p("bad_host", value=_quote(value)), needle=value)
        return value.lower()

    # ---- sections

    def profile(self, raw: dict[str, Any]) -> Profile:
        if "format" not in raw:
            raise ProfileError(self.source, _p("format_missing"))
        fmt = raw["format"]
        if isinstance(fmt, bool) or not isinstance(fmt, int):
            raise self.error(("format",), _p("format_not_number", value=_describe(fmt)))
        if fmt != FORMAT:
            raise self.error(("format",), _p("format_unsupported", format=str(fmt)))
        self.check_keys(raw, _TOP_KEYS, (), required=("name",))

        include_default = True
        if "include_default" in raw:
            include_default = self.boolean(raw, "include_default", ())
        standalone = not include_default

        name = self.string(raw, "name", ())
        names = self.names(raw, ()) if "names" in raw else ()
        self.explicit.add("name")
        support_contact = None
        if "support_contact" in raw:
            support_contact = self.string(raw, "support_contact", ())
            self.explicit.add("support_contact")
        country = ""
        if "country" in raw:
            country = self.string(raw, "country", ())
            if not _COUNTRY.fullmatch(country):
                raise self.error(("country",), _p("bad_country", value=_quote(country)))
            self.explicit.add("country")
        elif standalone:
            raise self.error(("country",), _p("country_missing"))

        settings = self.settings(raw) if "settings" in raw else Settings()
        resolvers = self.resolvers(raw) if "resolvers" in raw else ()
        doh = self.doh(raw) if "doh" in raw else ()
        injection = self.injection(raw, standalone) if "dns_injection" in raw else None
        captive = self.captive_checks(raw) if "captive_checks" in raw else ()
        exit_check = self.exit_check(raw, standalone) if "exit_check" in raw else None
        services = self.services(raw) if "services" in raw else ()
        vpn = self.vpn(raw) if "vpn" in raw else VpnSettings()

        return Profile(
            format=fmt,
            name=name,
            support_contact=support_contact,
            country=country,
            include_default=include_default,
            settings=settings,
            resolvers=resolvers,
            doh=doh,
            dns_injection=injection,
            captive_checks=captive,
            exit_check=exit_check,
            services=services,
            vpn=vpn,
            source=None,
            explicit_keys=frozenset(self.explicit),
            names=names,
        )

    def settings(self, raw: dict[str, Any]) -> Settings:
        path: Key = ("settings",)
        table = self.table(raw, "settings", ())
        self.check_keys(table, _SETTINGS_KEYS, path)
        self.explicit.update(f"settings.{k}" for k in table)
        timeout = (
            self.seconds(table, "timeout_s", path, TIMEOUT_MAX_S)
            if ("timeout_s" in table)
            else Settings().timeout_s
        )
        deadline = 0.0
        if "deadline_s" in table:
            deadline = self.seconds(table, "deadline_s", path, DEADLINE_MAX_S)
            if deadline < timeout:
                raise self.error(
                    (*path, "deadline_s"),
                    _p("deadline_too_short", deadline=f"{deadline:g}", timeout=f"{timeout:g}"),
                )
        language = "en"
        if "language" in table:
            language = self.string(table, "language", path)
            if language not in LANGUAGES:
                raise self.error(
                    (*path, "language"),
                    _p("bad_language", value=_quote(language), languages=", ".join(LANGUAGES)),
                )
        ca_file = self.ca_file(table) if "ca_file" in table else None
        return Settings(timeout_s=timeout, deadline_s=deadline, ca_file=ca_file, language=language)

    def ca_file(self, table: dict[str, Any]) -> Path:
        key: Key = ("settings", "ca_file")
        value = self.string(table, "ca_file", ("settings",))
        if "\x00" in value:
            raise self.error(key, _p("bad_path"))
        if os.path.isabs(value):
            path = Path(os.path.normpath(value))
        elif self.base_dir is None:
            raise self.error(key, _p("relative_path", value=_quote(value)))
        else:
            folder = os.path.abspath(self.base_dir)
            joined = os.path.normpath(os.path.join(folder, value))
            if os.path.commonpath([folder, joined]) != folder:
                raise self.error(key, _p("outside_folder", value=_quote(value)))
            path = Path(joined)
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            raise self.error(key, _p("ca_missing", file=_quote(str(path)))) from None
        except OSError as exc:  # e.g. a folder on the way that this user may not enter
            raise self.error(
                key, _p("ca_unreadable", file=_quote(str(path)), detail=exc.strerror or str(exc))
            ) from None
        if not stat.S_ISREG(mode):
            raise self.error(key, _p("not_a_file", value=_quote(str(path))))
        return path

    def resolvers(self, raw: dict[str, Any]) -> tuple[Resolver, ...]:
        out: list[Resolver] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(self.tables(raw, "resolvers", (), MAX_RESOLVERS)):
            path: Key = ("resolvers", index)
            self.check_keys(entry, _RESOLVER_KEYS, path, required=_RESOLVER_KEYS)
            name = self.unique_name(entry, path, seen, "resolver")
            address = self.address(self.string(entry, "address", path), (*path, "address"))
            out.append(Resolver(name=name, address=address))
        return tuple(out)

    def doh(self, raw: dict[str, Any]) -> tuple[DohResolver, ...]:
        out: list[DohResolver] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(self.tables(raw, "doh", (), MAX_DOH)):
            path: Key = ("doh", index)
            self.check_keys(entry, _DOH_KEYS, path, required=("name", "url"))
            name = self.unique_name(entry, path, seen, "doh")
            url = self.url(self.string(entry, "url", path), (*path, "url"), schemes=("https",))
            bootstrap: tuple[str, ...] = ()
            if "bootstrap" in entry:
                bootstrap = self.strings(entry, "bootstrap", path, MAX_ADDRESSES, self.address)
            else:
                host = urlsplit(url).hostname or ""
                if not _is_ip(host):
                    raise self.error(
                        (*path, "bootstrap"), _p("bootstrap_missing", host=host or url)
                    )
                # A server named by its address is reached at that address: it is its own
                # bootstrap (without one the engine would never ask it).
                bootstrap = (self.address(host, (*path, "url")),)
            out.append(DohResolver(name=name, url=url, bootstrap=bootstrap))
        return tuple(out)

    def injection(self, raw: dict[str, Any], standalone: bool) -> DnsInjection:
        path: Key = ("dns_injection",)
        table = self.table(raw, "dns_injection", ())
        required = ("probe_addresses",) if standalone else ()
        self.check_keys(table, _INJECTION_KEYS, path, required=required)
        self.explicit.update(f"dns_injection.{k}" for k in table)
        probes: tuple[str, ...] = ()
        if "probe_addresses" in table:
            probes = self.strings(table, "probe_addresses", path, MAX_ADDRESSES, self.address)
        names = None
        if "names" in table:
            names = self.strings(table, "names", path, MAX_INJECTION_NAMES, self.hostname)
        return DnsInjection(probe_addresses=probes, names=names)

    def captive_checks(self, raw: dict[str, Any]) -> tuple[CaptiveCheckSpec, ...]:
        out: list[CaptiveCheckSpec] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(self.tables(raw, "captive_checks", (), MAX_CAPTIVE_CHECKS)):
            path: Key = ("captive_checks", index)
            self.check_keys(entry, _CAPTIVE_KEYS, path, required=("url",))
            url = self.url(self.string(entry, "url", path), (*path, "url"))
            if url in seen:
                raise self.error(
                    (*path, "url"),
                    _p(
                        "already_checked",
                        value=_quote(url),
                        other=f"captive_checks[{seen[url] + 1}]",
                    ),
                    needle=url,
                )
            seen[url] = index
            status = None
            if "expect_status" in entry:
                status = self.integer(entry, "expect_status", path, 100, 599)
            body = None
            if "expect_body" in entry:
                body = self.string(entry, "expect_body", path, multiline=True)
            if status is None and body is None:
                raise self.error(path, _p("captive_expectation"))
            out.append(CaptiveCheckSpec(url=url, expect_status=status, expect_body=body))
        return tuple(out)

    def exit_check(self, raw: dict[str, Any], standalone: bool) -> ExitCheckSpec:
        path: Key = ("exit_check",)
        table = self.table(raw, "exit_check", ())
        self.check_keys(table, _EXIT_KEYS, path, required=_EXIT_KEYS if standalone else ())
        if "url" not in table:
            return ExitCheckSpec(url="")
        self.explicit.add("exit_check.url")
        return ExitCheckSpec(url=self.url(self.string(table, "url", path), (*path, "url")))

    def services(self, raw: dict[str, Any]) -> tuple[Service, ...]:
        out: list[Service] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(self.tables(raw, "services", (), MAX_SERVICES)):
            path: Key = ("services", index)
            self.check_keys(entry, _SERVICE_KEYS, path, required=("id", "name", "group", "urls"))
            service_id = self.string(entry, "id", path, max_len=MAX_ID)
            if not _SERVICE_ID.fullmatch(service_id):
                raise self.error((*path, "id"), _p("bad_service_id", value=_quote(service_id)))
            if service_id in seen:
                raise self.error(
                    (*path, "id"),
                    _p(
                        "service_id_used",
                        value=_quote(service_id),
                        other=f"services[{seen[service_id] + 1}]",
                    ),
                    needle=service_id,
                )
            seen[service_id] = index
            urls = self.strings(entry, "urls", path, MAX_URLS_PER_SERVICE, self.url)
            networks: tuple[str, ...] = ()
            if "known_networks" in entry:
                networks = self.strings(
                    entry, "known_networks", path, MAX_NETWORKS_PER_SERVICE, self.network
                )
            out.append(
                Service(
                    id=service_id,
                    name=self.string(entry, "name", path),
                    group=self.string(entry, "group", path),
                    urls=urls,
                    domestic=self.flag(entry, "domestic", path),
                    sensitive=self.flag(entry, "sensitive", path),
                    known_networks=networks,
                    names=self.names(entry, path) if "names" in entry else (),
                )
            )
        return tuple(out)

    def vpn(self, raw: dict[str, Any]) -> VpnSettings:
        path: Key = ("vpn",)
        table = self.table(raw, "vpn", ())
        self.check_keys(table, _VPN_KEYS, path)
        expected = False
        if "expected" in table:
            expected = self.boolean(table, "expected", path)
            self.explicit.add("vpn.expected")
        endpoints: list[VpnEndpoint] = []
        seen: dict[str, int] = {}
        if "endpoints" in table:
            for index, entry in enumerate(self.tables(table, "endpoints", path, MAX_VPN_ENDPOINTS)):
                where: Key = ("vpn", "endpoints", index)
                self.check_keys(entry, _ENDPOINT_KEYS, where, required=_ENDPOINT_KEYS)
                name = self.unique_name(entry, where, seen, "endpoint")
                host = self.host(self.string(entry, "host", where), (*where, "host"))
                port = self.integer(entry, "port", where, 1, 65535)
                protocol = self.string(entry, "protocol", where)
                if protocol not in VPN_PROTOCOLS:
                    close = difflib.get_close_matches(protocol, VPN_PROTOCOLS, n=1, cutoff=0.6)
                    known = ", ".join(VPN_PROTOCOLS)
                    problem = _p("bad_protocol", value=_quote(protocol), known=known)
                    if close:
                        problem = _p(
                            "bad_protocol_close",
                            value=_quote(protocol),
                            known=known,
                            close=_quote(close[0]),
                        )
                    raise self.error((*where, "protocol"), problem)
                endpoints.append(VpnEndpoint(name=name, host=host, port=port, protocol=protocol))
        return VpnSettings(expected=expected, endpoints=tuple(endpoints))

    def names(self, raw: dict[str, Any], path: Key) -> Names:
        """``names = { zh_CN = "…" }``: the name in other languages Clearsight speaks."""
        table = self.table(raw, "names", path)
        where: Key = (*path, "names")
        self.check_keys(table, LANGUAGES, where)
        return tuple((language, self.string(table, language, where)) for language in table)

    def unique_name(self, entry: dict[str, Any], path: Key, seen: dict[str, int], what: str) -> str:
        name = self.string(entry, "name", path)
        if name in seen:
            earlier = _show_key((*path[:-1], seen[name]))
            raise self.error(
                (*path, "name"),
                _p(f"{what}_name_used", value=_quote(name), other=earlier),
                needle=name,
            )
        seen[name] = int(path[-1])
        return name


def _check_merged(merged: Profile, own: Profile, source: str, locator: _Locator) -> None:
    """What merging onto the default can still leave wrong, blamed on the own file."""

    def fail(key: Key, problem: Phrase) -> ProfileError:
        return ProfileError(source, problem, key=_show_key(key), line=locator.line_of(key))

    explicit = own.explicit_keys or frozenset()
    settings = merged.settings
    if settings.deadline_s < settings.timeout_s:
        key: Key = (
            ("settings", "deadline_s")
            if "settings.deadline_s" in explicit
            else ("settings", "timeout_s")
        )
        raise fail(
            key,
            _p(
                "merged_deadline_too_short",
                deadline=f"{settings.deadline_s:g}",
                timeout=f"{settings.timeout_s:g}",
            ),
        )
    if merged.dns_injection is not None and not merged.dns_injection.probe_addresses:
        raise fail(
            ("dns_injection", "probe_addresses"),
            _p(
                "missing_key",
                key=_key_name("probe_addresses"),
                table=_p("in_table", name="dns_injection"),
            ),
        )
    if merged.exit_check is not None and not merged.exit_check.url:
        raise fail(
            ("exit_check", "url"),
            _p("missing_key", key=_key_name("url"), table=_p("in_table", name="exit_check")),
        )


def _merge_list(base: Sequence[T], extra: Sequence[T], key: Callable[[T], str]) -> tuple[T, ...]:
    replacements = {key(item): item for item in extra}
    merged = [replacements.pop(key(item), item) for item in base]
    merged.extend(item for item in extra if key(item) in replacements)
    return tuple(merged)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _valid_host(host: str) -> bool:
    """A DNS name (letters, digits, "-", "_"; internationalised names allowed) or an IP."""
    if _is_ip(host):
        return True
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253:
        return False
    for label in name.split("."):
        if label.isascii():
            if not _HOST_LABEL.fullmatch(label):
                return False
        else:
            try:
                encoded = label.encode("idna").decode("ascii")
            except UnicodeError:
                return False
            if not _HOST_LABEL.fullmatch(encoded.lower()):
                return False
    return True
