"""Realistic saved reports for the overview's tests and benchmark, and hostile files.

The templates are real reports of the built-in default profile (55 services), built by
``report.build.build_report`` from the recorded observations of tests/gui/scenarios.py
(a network like China's, and one where everything works), in English and Chinese. A
"fleet" is many copies of them with other start times, IDs and some verdicts changed, as
an office's reports would differ; :func:`hostile_files` writes one file of every kind the
overview must list instead of count.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from clearsight.overview.read import MAX_OVERVIEW_BYTES, MAX_TOKENS
from clearsight.report.build import RunMeta, build_report
from clearsight.report.files import report_json
from clearsight.report.html import render_html

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@cache
def template(kind: str = "blocked", language: str = "en") -> str:
    """A saved report (JSON text) of the default profile: ``blocked`` or ``fine``."""
    from tests.gui.scenarios import all_fine, blocked, default_profile

    profile = default_profile()
    observations = blocked() if kind == "blocked" else all_fine()
    meta = RunMeta(
        profile_name=profile.name,
        support_contact=None,
        started_at="2026-11-02T08:00:00Z",
        finished_at="2026-11-02T08:00:09Z",
        duration_s=9.0,
        names=profile.names_by_language(),
        service_names=profile.service_names_by_language(),
    )
    return report_json(build_report(observations, meta, language=language))


def report(
    kind: str = "blocked",
    language: str = "en",
    *,
    started: datetime = START,
    report_id: str | None = None,
    verdicts: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A copy of a template with another start time, ID and some verdicts."""
    data: dict[str, Any] = json.loads(template(kind, language))
    data["started_at"] = started.isoformat(timespec="seconds").replace("+00:00", "Z")
    data["finished_at"] = (started + timedelta(seconds=9)).isoformat().replace("+00:00", "Z")
    data["report_id"] = report_id or f"CS-{started:%d%H}-{started:%M%S}"
    for service in data["services"]:
        if verdicts and service["id"] in verdicts:
            service["verdict"] = verdicts[service["id"]]
    return data


def write_report(path: Path, data: dict[str, Any]) -> Path:
    if path.suffix in (".html", ".htm"):
        path.write_text(render_html(data), encoding="utf-8")
    else:
        path.write_text(report_json(data), encoding="utf-8")
    return path


def fleet(folder: Path, count: int, *, seed: int = 13, hostile_every: int = 50) -> list[Path]:
    """*count* files in *folder*: realistic reports (JSON mostly, some HTML, a third in
    Chinese, a quarter from a network where everything works) with one hostile file
    every *hostile_every*. Start times spread over a month."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    hostile = list(_hostile_kinds())
    written: list[Path] = []
    bases = {
        (kind, language): json.loads(template(kind, language))
        for kind in ("blocked", "fine")
        for language in ("en", "zh_CN")
    }
    ids = [s["id"] for s in bases["blocked", "en"]["services"]]
    for number in range(count):
        if hostile_every and number % hostile_every == hostile_every - 1:
            name, content = hostile[(number // hostile_every) % len(hostile)]
            path = folder / f"{number:04d}-{name}"
            _write_hostile(path, content)
            written.append(path)
            continue
        kind = "fine" if rng.random() < 0.25 else "blocked"
        language = "zh_CN" if rng.random() < 0.33 else "en"
        data = bases[kind, language]
        started = START + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
        choices = ("reachable", "ip_blocked", "slow")
        changed = {sid: rng.choice(choices) for sid in rng.sample(ids, 3)}
        saved = {s["id"]: s["verdict"] for s in data["services"]}
        stamp = (data["started_at"], data["finished_at"], data["report_id"])
        data["started_at"] = started.isoformat().replace("+00:00", "Z")
        data["finished_at"] = (started + timedelta(seconds=9)).isoformat().replace("+00:00", "Z")
        data["report_id"] = f"CS-{number:04d}-{rng.randrange(16**4):04X}"
        for service in data["services"]:
            service["verdict"] = changed.get(service["id"], saved[service["id"]])
        suffix = ".html" if number % 10 == 3 else ".clearsight-report"
        written.append(write_report(folder / f"{number:04d}-report{suffix}", data))
        data["started_at"], data["finished_at"], data["report_id"] = stamp
        for service in data["services"]:
            service["verdict"] = saved[service["id"]]
    return written


# ------------------------------------------------------------------------ hostile files
def _deep(depth: int) -> bytes:
    return b'{"schema": "clearsight-report/1", "services": ' + b"[" * depth + b"]" * depth + b"}"


def _hostile_kinds() -> Iterator[tuple[str, bytes | str]]:
    """(file name, content) of every kind of file the overview lists, never counts. A
    ``str`` content is a special instruction (``sparse:N``: a file of N bytes)."""
    good = template("blocked", "en")
    yield "truncated.clearsight-report", good[: len(good) // 2].encode()
    yield "truncated-at-brace.json", good[: good.rindex("}", 0, len(good) - 10) + 1].encode()
    yield "not-json.clearsight-report", b"hello, this is not a report\n"
    yield "binary.clearsight-report", bytes(range(256)) * 40
    yield "empty.json", b""
    yield "huge.clearsight-report", f"sparse:{MAX_OVERVIEW_BYTES + 1}"
    yield "deep.json", _deep(100_000)
    yield "token-bomb.json", b"[" + b"{}," * (MAX_TOKENS // 2 + 10) + b"{}]"
    yield "list.json", b"[1, 2, 3]"
    yield "other-schema.json", b'{"schema": "clearsight-report/99", "services": []}'
    yield "no-schema.json", b'{"services": []}'
    yield "services-text.json", _with(good, services="everything works")
    yield "verdict-number.json", _with_service(good, verdict=3)
    yield "id-missing.json", _with_service(good, id=None)
    yield "service-list.json", _with(good, services=[["gmail", "reachable"]])
    yield "time-number.json", _with(good, started_at=1733040000)
    yield "time-garbage.json", _with(good, started_at="yesterday")
    long_number = '"duration_s": ' + "9" * 5000
    yield "long-number.json", good.replace('"duration_s": 9.0', long_number).encode()
    latin1 = good.replace("Gmail", "Gm\u00e4il").encode("latin-1", "replace")
    yield "latin1.clearsight-report", latin1
    yield "utf16.json", good.encode("utf-16")
    yield "html-without-report.html", b"<!DOCTYPE html><html><body>hello</body></html>"
    yield "html-cut-short.html", render_html(json.loads(good)).encode()[:200_000]


def _with(text: str, **fields: Any) -> bytes:
    data = json.loads(text)
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return json.dumps(data).encode()


def _with_service(text: str, **fields: Any) -> bytes:
    data = json.loads(text)
    for key, value in fields.items():
        if value is None:
            data["services"][2].pop(key, None)
        else:
            data["services"][2][key] = value
    return json.dumps(data).encode()


def _write_hostile(path: Path, content: bytes | str) -> None:
    if isinstance(content, str) and content.startswith("sparse:"):
        with open(path, "wb") as handle:
            handle.truncate(int(content.split(":", 1)[1]))
        return
    assert isinstance(content, bytes)
    path.write_bytes(content)


def hostile_files(folder: Path) -> dict[str, Path]:
    """One file of every hostile kind in *folder*, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, content in _hostile_kinds():
        _write_hostile(folder / name, content)
        files[name] = folder / name
    return files


def old_version_report() -> dict[str, Any]:
    """A report as an earlier version wrote it: no ``names``, no ``advice_verdict``, no
    ``report_id``, ``redactions`` a list of classes, an older app version."""
    data = report("blocked", "en", started=START - timedelta(days=40))
    data.pop("report_id")
    data["app"]["version"] = "0.0.3"
    data["redactions"] = ["ip"]
    for service in data["services"]:
        service.pop("names", None)
        service.pop("advice_verdict", None)
    return data


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path
