"""The technical evidence in words: every field labelled, every code said, in both languages.

A service's evidence (what the diagnosis measured: names, addresses, certificates, timings)
and a finding's params are shown one click away from the plain answer, for the curious and
for IT support. They stay complete (whatever fields the diagnosis adds are shown), but a
person reads labels ("Secure connection › Certificate › Issued by"), not field names
("tls › certificate › issuer"), and codes in words ("no answer", not "timeout").

Labels come from the catalog's ``[evidence]`` table, by ``<parent>.<field>`` first (the
``status`` of a web request is a code number, that of a name lookup a result), then by
field; code values from its ``[value.*]`` tables; numbers get their unit from ``[ui]``
("ms", "unit_bytes", …). A field or code no catalog knows is shown as it is, never guessed from its
spelling (a test reads every lab scenario's evidence for that).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass
from typing import Final

from clearsight.explanations.catalog import Catalog, clean_value

Path = tuple[str, ...]
Row = tuple[Path, str]

#: The deepest nesting shown field by field; anything deeper is shown as its JSON.
MAX_DEPTH: Final = 12
# Fields holding a code of a ``[value.<table>]`` (by "<parent>.<field>" or by field).
_VALUE_TABLES: Final[Mapping[str, str]] = {
    "dns.status": "dns_status",
    "verify": "certificate_check",
    "os_verify": "certificate_check",
}
# Fields holding a number of some unit (the ``ui.unit_*`` that says it).
_UNITS: Final[Mapping[str, str]] = {
    "ms": "ms",
    "bytes": "unit_bytes",
    "previous_real_name_s": "unit_seconds_before",
}
# Prefixes of composite reasons: "<step>_<failure>" ("tcp_timeout": no answer when connecting).
_REASON_STEPS: Final = ("tcp", "name", "request")


def label(texts: Catalog, field: str, parent: str = "") -> str:
    """The words for one field of the evidence (or one param of a finding)."""
    words = (texts.raw("evidence", f"{parent}.{field}") if parent else None) or texts.raw(
        "evidence", field
    )
    return words if words is not None else clean_value(field)


def reason(texts: Catalog, code: str) -> str:
    """Why the diagnosis decided as it did, in words ("injected_on_path" -> "a fake answer
    was slipped in on the way"; "tcp_timeout" -> "no answer when connecting")."""
    words = texts.raw("value", "check_reason", code)
    if words is not None:
        return words
    step, _, failure = code.partition("_")
    if step in _REASON_STEPS and failure:
        return texts.ui(f"reason_{step}", failure=texts.failure(failure))
    if step == "status" and failure.isdigit():
        return texts.failure(code)
    return clean_value(code)


def value_text(texts: Catalog, field: str, parent: str, value: object) -> str:
    """One value of the evidence as text: codes in words, times with their unit."""
    if isinstance(value, bool):
        return texts.ui("yes" if value else "no")
    if isinstance(value, int | float) and math.isfinite(value):
        unit = _UNITS.get(field)
        return texts.ui(unit, value=value) if unit else f"{value:g}"
    text = str(value)
    if field == "failure":
        return texts.failure(text)
    if field == "reason":
        return reason(texts, text)
    if field == "verdict":
        return texts.verdict_badge(text)
    table = _VALUE_TABLES.get(f"{parent}.{field}") or _VALUE_TABLES.get(field)
    if table is not None:
        return texts.value(table, text)
    return clean_value(text, 2000)


def finding_rows(texts: Catalog, params: Mapping[str, object]) -> list[Row]:
    """A finding's params, labelled, each value as the finding's own texts say it."""
    return [
        ((label(texts, name),), texts.format_value(name, value))
        for name, value in params.items()
        if not _empty(value)
    ]


def evidence_rows(texts: Catalog, value: object) -> list[Row]:
    """(labels from the top down, value) for every non-empty field of the evidence (its
    JSON, or the typed evidence itself: a dataclass's fields read as its JSON keys, in
    order; a field left out of the JSON is one that is empty): a list of plain values
    is one value joined as the language lists things, the items of a list of records are
    numbered only when there are several. A service checked at one web address reads
    without a "Web page ›" before every line, and says each fact once."""
    return list(dict.fromkeys(_rows(texts, value, (), ())))


def _rows(texts: Catalog, value: object, path: Path, fields: Path) -> list[Row]:
    # ``path``: the labels so far; ``fields``: the field names they translate (no indices).
    field = fields[-1] if fields else ""
    parent = fields[-2] if len(fields) > 1 else ""
    value = _plain(value)
    if len(path) > MAX_DEPTH:
        return [(path, json.dumps(value, ensure_ascii=False))]
    if isinstance(value, Mapping):
        rows: list[Row] = []
        for key, item in value.items():
            if not _empty(item):
                name = str(key)
                rows += _rows(texts, item, (*path, label(texts, name, field)), (*fields, name))
        return rows
    if isinstance(value, list | tuple):
        items = [_plain(item) for item in value if not _empty(item)]
        if all(not isinstance(item, Mapping | list | tuple) for item in items):
            shown = [value_text(texts, field, parent, item) for item in items]
            separator = texts.raw("ui", "list_separator") or ", "
            return [(path, separator.join(shown))] if shown else []
        rows = []
        for index, item in enumerate(items, start=1):
            step = path
            if path and len(items) > 1:
                step = (*path[:-1], texts.ui("numbered", label=path[-1], number=index))
            elif len(fields) == 1:  # the one record of a top-level list: its fields stand alone
                step = ()
            rows += _rows(texts, item, step, fields)
        return rows
    return [(path, value_text(texts, field, parent, value))]


def _plain(value: object) -> object:
    """The typed evidence (``diagnosis.model``) as its JSON is: a record's fields by name,
    in order (a field the JSON leaves out is an empty one). Anything else as it is."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: getattr(value, item.name) for item in dataclass_fields(value)}
    return value


def _empty(value: object) -> bool:
    return value is None or value == [] or value == {} or value == ""
