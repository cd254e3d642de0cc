"""Reading what one saved report says, for the overview: its run and its services'
verdicts, not its observations (nothing is diagnosed again).

A report is read the way ``report.build.load_report`` opens one (a ``.clearsight-report``
JSON file, or an HTML report with the JSON embedded) but with the overview's own limits,
since IT may point it at a thousand files of unknown origin:

* at most :data:`MAX_OVERVIEW_BYTES` per file and :data:`MAX_TOKENS` JSON punctuation
  marks (a bound on the values the parser can create), both checked before parsing;
* the top-level object is read member by member and ``services`` one service at a time,
  so only one service's data is alive at once; ``observations`` (half of a report) is not
  parsed when it comes after ``services``, as the app writes it: it is only checked for
  being complete (its brackets close and the object ends), and where that check fails the
  rest is parsed to say exactly what is wrong.

Every problem is a :class:`~clearsight.report.build.ReportError` holding a
``[file_problem]`` phrase, so it can be said in the reader's language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from clearsight.explanations import LANGUAGES
from clearsight.explanations.catalog import Phrase
from clearsight.explanations.file_problems import file_problem as _p
from clearsight.report.build import SCHEMA, ReportError, embedded_json, read_report_bytes

#: A report larger than this is listed, not read (the app's own reports of the default
#: profile are about 0.35 MB as JSON and 0.5 MB as HTML; 500 services fit in 4 MB).
MAX_OVERVIEW_BYTES: Final = 8 * 1024 * 1024
#: At most this many ``,`` ``:`` ``[`` ``{`` in one file (a report of the default profile
#: has about 27,000): bounds the values a parser can create from a few megabytes.
MAX_TOKENS: Final = 1_000_000
#: Longest service id and name kept (longer ones are cut: they come from the file).
MAX_NAME_CHARS: Final = 200
#: A verdict code this version does not know (a newer report) is kept if it looks like one.
_CODE_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")
_WS: Final = re.compile(r"[ \t\n\r]*")
_DECODER: Final = json.JSONDecoder()
# The json module's own scanners (C where available): one value, one quoted string.
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = _DECODER.scan_once  # type: ignore[attr-defined]
_SCANSTRING: Final[Callable[[str, int], tuple[str, int]]] = json.decoder.scanstring  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ServiceResult:
    """One service's verdict in one report."""

    id: str
    verdict: str
    names: tuple[tuple[str, str], ...]  # (language, name): the report's names for it


@dataclass(frozen=True, slots=True)
class SavedReport:
    """What the overview keeps of one readable report (small: no observations, no texts)."""

    path: Path
    report_id: str | None
    started_at: str  # as the report writes it (ISO 8601, UTC)
    started: datetime  # the same, parsed (aware, UTC)
    status: str | None
    language: str | None
    profile: str | None
    app_version: str | None
    services: tuple[ServiceResult, ...]


def read_saved_report(path: Path) -> SavedReport:
    """The run and the verdicts of one saved report; ReportError says why it cannot be read."""
    text = _read_text(path)
    return _parse(text, path)


# ------------------------------------------------------------------------------ the file
def _read_text(path: Path) -> str:
    raw = read_report_bytes(path, MAX_OVERVIEW_BYTES, _too_large)
    if not raw.strip():
        raise ReportError(path, _p("overview_empty"))
    tokens = raw.count(b",") + raw.count(b":") + raw.count(b"[") + raw.count(b"{")
    if tokens > MAX_TOKENS:
        raise ReportError(path, _p("overview_too_complex", count=f"{tokens:,}"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReportError(path, _p("report_not_utf8")) from None
    del raw
    return embedded_json(text, path)


def _too_large(size: int) -> Phrase:
    return _p("overview_too_large", size=f"{size:,}", limit=f"{MAX_OVERVIEW_BYTES // 2**20}")


# ------------------------------------------------------------------------------ parsing
class _Collected:
    __slots__ = ("fields", "seen_services", "services")

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.services: list[ServiceResult] = []
        self.seen_services = False


#: Top-level members kept (small values); everything else is parsed and dropped.
_KEPT: Final = frozenset(
    {"schema", "report_id", "app", "language", "profile", "started_at", "summary"}
)


def _parse(text: str, path: Path) -> SavedReport:
    try:
        collected = _members(text, path)
    except ReportError:
        raise
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip(" \t\n\r")) or exc.msg.startswith("Unterminated"):
            raise ReportError(path, _p("overview_cut_short")) from None
        detail = _p("json_at_line", line=exc.lineno, message=exc.msg)
        raise ReportError(path, _p("report_bad_json", detail=detail)) from None
    except RecursionError:
        raise ReportError(path, _p("report_bad_json", detail=_p("json_too_deep"))) from None
    except ValueError:  # a number of more than 4300 digits
        detail = _p("json_long_number")
        raise ReportError(path, _p("report_bad_json", detail=detail)) from None
    return _report(collected, path)


def _value(text: str, index: int) -> tuple[Any, int]:
    try:
        return _SCAN(text, index)
    except StopIteration as stop:
        raise json.JSONDecodeError("Expecting value", text, stop.value) from None


def _skip_ws(text: str, index: int) -> int:
    match = _WS.match(text, index)
    return match.end() if match else index


def _members(text: str, path: Path) -> _Collected:
    """The top-level members, one at a time (services one service at a time)."""
    index = _skip_ws(text, 0)
    if not text.startswith("{", index):
        value, end = _value(text, index)  # raises on what is not JSON
        _expect_end(text, end)
        raise ReportError(path, _p("report_not_object"))
    collected = _Collected()
    index = _skip_ws(text, index + 1)
    if text.startswith("}", index):
        _expect_end(text, index + 1)
        return collected
    while True:
        if not text.startswith('"', index):
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, index
            )
        key, index = _SCANSTRING(text, index + 1)
        index = _skip_ws(text, index)
        if not text.startswith(":", index):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        index = _skip_ws(text, index + 1)
        if key == "observations" and collected.seen_services and _rest_is_complete(text, index):
            # Not needed, and about half of the file: checked for completeness only.
            return collected
        if key == "services" and text.startswith("[", index):
            collected.services = []
            index = _services(text, index, collected, path)
            collected.seen_services = True
        else:
            value, index = _value(text, index)
            if key in _KEPT:
                collected.fields[key] = value
            elif key == "services":  # not a list
                collected.fields["services"] = value
                collected.seen_services = True
            del value
        index = _skip_ws(text, index)
        if text.startswith(",", index):
            index = _skip_ws(text, index + 1)
            continue
        if text.startswith("}", index):
            _expect_end(text, index + 1)
            return collected
        raise json.JSONDecodeError("Expecting ',' delimiter", text, index)


def _expect_end(text: str, index: int) -> None:
    index = _skip_ws(text, index)
    if index != len(text):
        raise json.JSONDecodeError("Extra data", text, index)


def _rest_is_complete(text: str, index: int) -> bool:
    """Whether the text from *index* (the value of the last member) plausibly closes: its
    brackets balance, leaving exactly the top-level object's ``}``. Brackets inside
    strings can upset the count; then the caller parses the rest properly instead."""
    if not text.rstrip(" \t\n\r").endswith("}") or not text.startswith("[", index):
        return False
    return text.count("[", index) == text.count("]", index) and text.count(
        "{", index
    ) + 1 == text.count("}", index)


def _services(text: str, index: int, collected: _Collected, path: Path) -> int:
    """Read the ``services`` list at *index* one service at a time; the index after it."""
    number = 0
    index = _skip_ws(text, index + 1)
    if text.startswith("]", index):
        return index + 1
    while True:
        value, index = _value(text, index)
        number += 1
        collected.services.append(_service(value, number, path))
        del value
        index = _skip_ws(text, index)
        if text.startswith(",", index):
            index = _skip_ws(text, index + 1)
            continue
        if text.startswith("]", index):
            return index + 1
        raise json.JSONDecodeError("Expecting ',' delimiter", text, index)


def _service(value: object, number: int, path: Path) -> ServiceResult:
    def damaged(detail: Phrase) -> ReportError:
        return ReportError(path, _p("overview_service_damaged", number=number, detail=detail))

    if not isinstance(value, dict):
        raise damaged(_p("overview_not_an_object"))
    service_id = value.get("id")
    if not isinstance(service_id, str) or not service_id.strip():
        raise damaged(_p("overview_no_id"))
    verdict = value.get("verdict")
    if not isinstance(verdict, str) or not _CODE_RE.fullmatch(verdict):
        raise damaged(_p("overview_no_verdict"))
    names: dict[str, str] = {}
    given = value.get("names")
    if isinstance(given, dict):
        for language, name in given.items():
            if language in LANGUAGES and isinstance(name, str) and name.strip():
                names[language] = _cut(name)
    name = value.get("name")
    if isinstance(name, str) and name.strip():
        names.setdefault("", _cut(name))  # in the report's language, filled in by the caller
    return ServiceResult(_cut(service_id), verdict, tuple(names.items()))


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_NAME_CHARS else text[: MAX_NAME_CHARS - 1] + "…"


def _report(collected: _Collected, path: Path) -> SavedReport:
    fields = collected.fields
    schema = fields.get("schema")
    if schema != SCHEMA:
        if schema is None:
            raise ReportError(path, _p("report_no_schema", expected=SCHEMA))
        shown = repr(schema)
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        raise ReportError(path, _p("report_other_schema", schema=shown, expected=SCHEMA))
    if not collected.seen_services:
        raise ReportError(path, _p("overview_no_services"))
    if "services" in fields:  # present but not a list
        raise ReportError(path, _p("overview_services_not_list"))
    started_at = fields.get("started_at")
    started = _when(started_at)
    if started is None or not isinstance(started_at, str):
        raise ReportError(path, _p("overview_bad_time"))
    language = _text(fields.get("language"))
    language = language if language in LANGUAGES else None
    services = collected.services
    if language is not None:  # the report's own name for each service is in its language
        services = [_named(service, language) for service in services]
    else:
        services = [_named(service, "") for service in services]
    summary = fields.get("summary")
    status = _text(summary.get("status")) if isinstance(summary, dict) else None
    profile = fields.get("profile")
    app = fields.get("app")
    return SavedReport(
        path=path,
        report_id=_text(fields.get("report_id")),
        started_at=started_at,
        started=started,
        status=status if status and _CODE_RE.fullmatch(status) else None,
        language=language,
        profile=_text(profile.get("name")) if isinstance(profile, dict) else None,
        app_version=_text(app.get("version")) if isinstance(app, dict) else None,
        services=tuple(services),
    )


def _named(service: ServiceResult, language: str) -> ServiceResult:
    names = dict(service.names)
    own = names.pop("", None)
    if own is not None and language:
        names.setdefault(language, own)
    elif own is not None and not names:
        names["?"] = own  # a name in no known language: still better than the id
    return ServiceResult(service.id, service.verdict, tuple(sorted(names.items())))


def _text(value: object) -> str | None:
    return _cut(value) if isinstance(value, str) and value.strip() else None


def _when(value: object) -> datetime | None:
    """An ISO 8601 time as reports write it ("2026-12-01T08:00:00Z"), in UTC."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


__all__ = [
    "MAX_OVERVIEW_BYTES",
    "MAX_TOKENS",
    "SavedReport",
    "ServiceResult",
    "read_saved_report",
]
