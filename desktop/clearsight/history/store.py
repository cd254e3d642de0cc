"""The history store: every finished run kept on this computer (SQLite, stdlib ``sqlite3``).

One file, ``history.db``, in the data folder (settings.py). WAL mode, so a reader never
waits for a writer; a busy timeout of :data:`BUSY_TIMEOUT_MS`, so two Clearsights writing
at once (the window and ``clearsight run``, or watch mode) take turns and corrupt
nothing; each write is one ``BEGIN IMMEDIATE`` transaction. The schema version is
``PRAGMA user_version``.

History never loses or blocks a run: every problem is a value, never an exception.
:func:`open_history` returns a :class:`HistoryStore` or :class:`HistoryUnavailable`;
:meth:`HistoryStore.record` returns a :class:`RecordResult` whose ``notice`` says what went
wrong (texts.py words it in the person's language):

* a corrupt file is moved aside (``history.db.corrupt-<time>``) and a fresh one started;
* a file from a newer Clearsight is left untouched and history is paused;
* a file locked by another Clearsight is waited for (the busy timeout), then the run is
  kept without history;
* a full disk or a read-only folder: the run is kept without history.

Each row keeps the run's redacted report (zlib-compressed JSON) and a summary: verdict per
service, the profile, the network id (network.py) and what changed since the previous run
on the same profile and network. The oldest runs go first beyond ``max_runs`` or
``max_mb`` (settings.py).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearsight.history import entry as entries
from clearsight.history.network import install_salt, network_of
from clearsight.history.settings import HistorySettings, load_settings

SCHEMA_VERSION = 1
DB_FILE = "history.db"
BUSY_TIMEOUT_MS = 2000
MAX_LIMIT = 100_000
# A stored report bigger than this (compressed) is kept as its summary only.
MAX_STORED_REPORT_BYTES = 8 * 1024 * 1024

# SQLite's primary result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
_PERM, _AUTH = 3, 23

_TABLES = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    status TEXT NOT NULL,
    profile TEXT NOT NULL,
    network TEXT NOT NULL,
    services TEXT NOT NULL,
    names TEXT NOT NULL,
    changes TEXT NOT NULL,
    size INTEGER NOT NULL,
    report BLOB
);
CREATE INDEX IF NOT EXISTS runs_by_time ON runs (started_at, id);
CREATE INDEX IF NOT EXISTS runs_by_place ON runs (profile, network, started_at);
CREATE TABLE IF NOT EXISTS results (
    run INTEGER NOT NULL,
    service TEXT NOT NULL,
    verdict TEXT NOT NULL,
    PRIMARY KEY (service, run)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS results_by_run ON results (run);
"""


@dataclass(frozen=True)
class Notice:
    """Why history could not do what was asked: a code (texts.py words it) and a detail
    (a file name, the settings file's problem)."""

    code: str  # off | corrupt_moved | newer | locked | full | read_only | failed | settings
    detail: str = ""

    def text(self, language: str = "en") -> str:
        from clearsight.history.texts import notice_text

        return notice_text(self, language)


@dataclass(frozen=True)
class Change:
    service: str
    from_: str
    to: str

    def to_json(self) -> dict[str, str]:
        return {"service": self.service, "from": self.from_, "to": self.to}


@dataclass(frozen=True)
class Run:
    """One kept run, as ``history`` and the window read it."""

    id: int
    report_id: str
    started_at: str
    status: str
    profile: str
    network: str
    services: dict[str, str]
    names_json: str  # {id: {language: name}}, read only when a name is said
    changes: tuple[Change, ...]

    @property
    def names(self) -> dict[str, dict[str, str]]:
        return _names(self.names_json)

    def to_json(self) -> dict[str, Any]:
        """The run in ``clearsight-history/1`` (docs/design.md)."""
        return {
            "report_id": self.report_id,
            "started_at": self.started_at,
            "status": self.status,
            "profile": self.profile,
            "services": dict(self.services),
            "changes": [c.to_json() for c in self.changes],
        }

    def name(self, service: str, language: str) -> str:
        names = self.names.get(service) or {}
        return names.get(language) or names.get("en") or service


@dataclass(frozen=True)
class RecordResult:
    """``saved``: the run is in history; ``changes``: verdicts that differ from ``previous``,
    the last run on the same profile and network (None: the first one there); ``network``:
    the id of the run's network (network.py), also when the run could not be saved."""

    saved: bool
    changes: list[Change] = field(default_factory=list)
    previous: Run | None = None
    run: Run | None = None
    notice: Notice | None = None
    elapsed_ms: float = 0.0
    network: str | None = None


@dataclass(frozen=True)
class HistoryUnavailable:
    """History is off, paused or cannot be used here; ``notice`` says why."""

    notice: Notice
    folder: Path | None = None

    def record(self, report: Mapping[str, Any], **_: Any) -> RecordResult:
        return RecordResult(saved=False, notice=self.notice)

    def runs(self, limit: int = 50, service: str | None = None, **_: Any) -> list[Run]:
        return []


class HistoryError(Exception):
    def __init__(self, notice: Notice) -> None:
        super().__init__(notice.code)
        self.notice = notice


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def _classify(exc: BaseException, path: Path) -> Notice:
    if isinstance(exc, sqlite3.Error):
        code = _code(exc)
        if code in (_BUSY, _LOCKED) or "locked" in str(exc):
            return Notice("locked", str(path))
        if code == _FULL or "full" in str(exc):
            return Notice("full", str(path))
        if code in (_READONLY, _CANTOPEN, _PERM, _AUTH) or "readonly" in str(exc):
            return Notice("read_only", str(path.parent))
        if code == _IOERR:
            return Notice("full", str(path))
        return Notice("failed", f"{path}: {exc}")
    if isinstance(exc, OSError):
        if exc.errno in (28, 27, 122):  # ENOSPC, EFBIG, EDQUOT
            return Notice("full", str(path))
        return Notice("read_only", str(path.parent))
    return Notice("failed", f"{type(exc).__name__}: {exc}")


def _is_corrupt(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and (
        _code(exc) in (_CORRUPT, _NOTADB) or "malformed" in str(exc) or "not a database" in str(exc)
    )


def move_aside(path: Path) -> Path:
    """Rename a corrupt database (and its WAL files) to ``history.db.corrupt-<time>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        with contextlib.suppress(OSError):
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
    return target


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        uri = f"{path.absolute().as_uri()}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    connection.isolation_level = None  # transactions are explicit
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # WAL with synchronous=NORMAL: never corrupt; a power cut may lose the last run only.
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def _version(path: Path) -> int:
    connection = _connect(path, read_only=True)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


def _create(path: Path) -> None:
    connection = _connect(path)
    try:
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise HistoryError(Notice("newer", str(path)))
            for statement in _TABLES.split(";"):
                if statement.strip():
                    connection.execute(statement)
            if version < SCHEMA_VERSION:
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
    finally:
        connection.close()


def open_history(settings: HistorySettings | None = None) -> HistoryStore | HistoryUnavailable:
    """The history of this computer, ready to record and read; never raises."""
    settings = settings or load_settings()
    if not settings.enabled:
        return HistoryUnavailable(Notice("off"))
    folder = settings.data_dir
    path = folder / DB_FILE
    moved: Notice | None = None
    for attempt in range(2):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            existing = path.exists() and path.stat().st_size > 0
            if existing and _version(path) > SCHEMA_VERSION:
                return HistoryUnavailable(Notice("newer", str(path)), folder)
            _create(path)
            return HistoryStore(path, settings, opened_notice=moved)
        except HistoryError as exc:
            return HistoryUnavailable(exc.notice, folder)
        except Exception as exc:
            if _is_corrupt(exc) and attempt == 0:
                try:
                    target = move_aside(path)
                except OSError as move_failed:
                    return HistoryUnavailable(_classify(move_failed, path), folder)
                moved = Notice("corrupt_moved", target.name)
                continue
            return HistoryUnavailable(_classify(exc, path), folder)
    return HistoryUnavailable(Notice("failed", str(path)), folder)


def _changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[Change]:
    return [
        Change(service, before[service], verdict)
        for service, verdict in after.items()
        if service in before and before[service] != verdict
    ]


def _json_dict(text: str) -> dict[str, Any]:
    with contextlib.suppress(ValueError, TypeError):
        value = json.loads(text)
        if isinstance(value, dict):
            return value
    return {}


@functools.lru_cache(maxsize=64)
def _names(text: str) -> dict[str, dict[str, str]]:
    return {
        str(k): {str(lang): str(n) for lang, n in v.items()}
        for k, v in _json_dict(text).items()
        if isinstance(v, dict)
    }


def _row_run(row: tuple[Any, ...]) -> Run:
    # Written by this module: verdicts are strings (a hand-edited file gets str() below).
    services = _json_dict(row[6])
    if not all(isinstance(v, str) for v in services.values()):
        services = {str(k): str(v) for k, v in services.items()}
    changes: list[Change] = []
    with contextlib.suppress(ValueError, TypeError):
        for item in json.loads(row[8]):
            changes.append(Change(str(item["service"]), str(item["from"]), str(item["to"])))
    return Run(
        id=int(row[0]),
        report_id=str(row[1]),
        started_at=str(row[2]),
        status=str(row[3]),
        profile=str(row[4]),
        network=str(row[5]),
        services=services,
        names_json=str(row[7]),
        changes=tuple(changes),
    )


_RUN_COLUMNS = "id, report_id, started_at, status, profile, network, services, names, changes"


class HistoryStore:
    """The open history (a path and settings; each call opens its own short connection, so
    any thread may use it)."""

    def __init__(
        self, path: Path, settings: HistorySettings, opened_notice: Notice | None = None
    ) -> None:
        self.path = path
        self.settings = settings
        #: Said once when the store was opened (a corrupt file was moved aside).
        self.opened_notice = opened_notice

    @property
    def folder(self) -> Path:
        return self.path.parent

    @contextlib.contextmanager
    def _connection(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        connection = _connect(self.path)
        try:
            if write:
                connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                if write:
                    connection.execute("COMMIT")
            except BaseException:
                if write:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                raise
        finally:
            connection.close()

    # -- writing -------------------------------------------------------------------------
    def network_of(self, report: Mapping[str, Any]) -> str:
        return network_of(report, install_salt(self.folder))

    def record(
        self,
        report: Mapping[str, Any],
        *,
        consent_sensitive: bool = True,
        network: str | None = None,
    ) -> RecordResult:
        """Keep one finished run (redacted); never raises. *consent_sensitive*: the person
        allowed probing the profile's sensitive services (else their results are not kept);
        *network*: the network id (default: this machine's gateway now and the report's
        exit country)."""
        started = time.perf_counter()
        if report.get("outcome") == "cancelled":
            # A stopped run is no answer: comparing it would report changes that are not.
            return RecordResult(saved=False)
        try:
            kept = entries.redacted(report)
            if not consent_sensitive:
                kept = entries.without_services(kept, entries.sensitive_services(kept))
            summary = entries.summary(kept)
            place = network or self.network_of(kept)
            blob = zlib.compress(
                json.dumps(kept, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 3
            )
        except Exception as exc:
            return RecordResult(saved=False, notice=Notice("failed", f"{type(exc).__name__}"))
        for attempt in range(2):
            try:
                result = self._insert(summary, place, blob)
                return _timed(result, started, place)
            except Exception as exc:
                if _is_corrupt(exc) and attempt == 0:
                    moved = self._start_again()
                    if isinstance(moved, Notice) and moved.code == "corrupt_moved":
                        continue
                    return _timed(RecordResult(saved=False, notice=moved), started, place)
                notice = _classify(exc, self.path)
                return _timed(RecordResult(saved=False, notice=notice), started, place)
        notice = Notice("failed", str(self.path))
        return _timed(RecordResult(saved=False, notice=notice), started, place)

    def _start_again(self) -> Notice:
        try:
            target = move_aside(self.path)
            _create(self.path)
        except Exception as exc:
            return _classify(exc, self.path)
        self.opened_notice = Notice("corrupt_moved", target.name)
        return self.opened_notice

    def _insert(self, summary: entries.Entry, place: str, blob: bytes) -> RecordResult:
        stored: bytes | None = blob if len(blob) <= MAX_STORED_REPORT_BYTES else None
        report_id = summary.report_id or f"unnamed-{time.time_ns()}"
        names_json = json.dumps(summary.names, ensure_ascii=False)
        with self._connection(write=True) as db:
            existing = db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE report_id = ?", (report_id,)
            ).fetchone()
            if existing is not None:  # the same run recorded again (a re-save): once only
                run = _row_run(existing)
                return RecordResult(
                    saved=True, changes=list(run.changes), run=run, network=run.network
                )
            row = db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE profile = ? AND network = ? "
                "AND started_at <= ? ORDER BY started_at DESC, id DESC LIMIT 1",
                (summary.profile, place, summary.started_at),
            ).fetchone()
            previous = _row_run(row) if row is not None else None
            changes = _changes(previous.services, summary.services) if previous else []
            cursor = db.execute(
                "INSERT INTO runs (report_id, started_at, recorded_at, status, profile, network,"
                " services, names, changes, size, report) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    report_id,
                    summary.started_at,
                    time.time(),
                    summary.status,
                    summary.profile,
                    place,
                    json.dumps(summary.services, ensure_ascii=False),
                    names_json,
                    json.dumps([c.to_json() for c in changes], ensure_ascii=False),
                    len(stored or b"") + 512,
                    stored,
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT OR REPLACE INTO results (run, service, verdict) VALUES (?,?,?)",
                [(run_id, s, v) for s, v in summary.services.items()],
            )
            self._prune(db)
        run = Run(
            id=run_id,
            report_id=report_id,
            started_at=summary.started_at,
            status=summary.status,
            profile=summary.profile,
            network=place,
            services=summary.services,
            names_json=names_json,
            changes=tuple(changes),
        )
        return RecordResult(saved=True, changes=changes, previous=previous, run=run)

    def _prune(self, db: sqlite3.Connection) -> None:
        """The oldest runs go first beyond the caps (the newest run always stays)."""
        count, total = db.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM runs").fetchone()
        limit_runs, limit_bytes = self.settings.max_runs, self.settings.max_bytes
        if count <= limit_runs and total <= limit_bytes:
            return
        doomed: list[int] = []
        for run_id, size in db.execute("SELECT id, size FROM runs ORDER BY started_at, id"):
            if count - len(doomed) <= 1 or (
                count - len(doomed) <= limit_runs and total <= limit_bytes
            ):
                break
            doomed.append(int(run_id))
            total -= int(size)
        self._delete(db, doomed)
        with contextlib.suppress(sqlite3.Error):
            db.execute("PRAGMA incremental_vacuum")

    @staticmethod
    def _delete(db: sqlite3.Connection, ids: list[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM runs WHERE id IN ({marks})", chunk)
            db.execute(f"DELETE FROM results WHERE run IN ({marks})", chunk)

    def clear(self) -> Notice | None:
        """Forget every run (one click in the settings); None when done."""
        try:
            with self._connection(write=True) as db:
                db.execute("DELETE FROM runs")
                db.execute("DELETE FROM results")
            with self._connection() as db:
                db.execute("PRAGMA incremental_vacuum")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception as exc:
            return _classify(exc, self.path)
        return None

    def forget_services(self, services: set[str]) -> Notice | None:
        """Take services out of every kept run (consent to probe them was withdrawn)."""
        if not services:
            return None
        try:
            with self._connection(write=True) as db:
                marks = ",".join("?" * len(services))
                rows = db.execute(
                    f"SELECT DISTINCT run FROM results WHERE service IN ({marks})",
                    sorted(services),
                ).fetchall()
                for (run_id,) in rows:
                    self._forget_in_run(db, int(run_id), services)
                db.execute(f"DELETE FROM results WHERE service IN ({marks})", sorted(services))
        except Exception as exc:
            return _classify(exc, self.path)
        return None

    @staticmethod
    def _forget_in_run(db: sqlite3.Connection, run_id: int, services: set[str]) -> None:
        row = db.execute(
            "SELECT services, names, changes, report FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            return
        kept = {k: v for k, v in _json_dict(row[0]).items() if k not in services}
        names = {k: v for k, v in _json_dict(row[1]).items() if k not in services}
        changes: list[Any] = []
        with contextlib.suppress(ValueError, TypeError):
            changes = [c for c in json.loads(row[2]) if c.get("service") not in services]
        blob = row[3]
        if blob:
            try:
                report = json.loads(zlib.decompress(blob))
                hosts = entries.sensitive_services(report)
                removed = {s: hosts.get(s, ()) for s in services}
                blob = zlib.compress(json.dumps(entries.without_services(report, removed)).encode())
            except (ValueError, zlib.error, TypeError):
                blob = None
        db.execute(
            "UPDATE runs SET services = ?, names = ?, changes = ?, report = ? WHERE id = ?",
            (json.dumps(kept), json.dumps(names), json.dumps(changes), blob, run_id),
        )

    # -- reading -------------------------------------------------------------------------
    def runs(
        self,
        limit: int = 50,
        service: str | None = None,
        *,
        profile: str | None = None,
        network: str | None = None,
        until: str | None = None,
        report_id: str | None = None,
    ) -> list[Run]:
        """Kept runs, newest first (at most *limit*); *service*: only runs that checked it;
        *profile*/*network*: only runs there; *until*: started then or before;
        *report_id*: that run only.
        Raises HistoryError when the file cannot be read."""
        limit = max(0, min(int(limit), MAX_LIMIT))
        where: list[str] = []
        params: list[Any] = []
        if service is not None:
            where.append("id IN (SELECT run FROM results WHERE service = ?)")
            params.append(service)
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        if network is not None:
            where.append("network = ?")
            params.append(network)
        if until is not None:
            where.append("started_at <= ?")
            params.append(until)
        if report_id is not None:
            where.append("report_id = ?")
            params.append(report_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        try:
            with self._connection() as db:
                rows = db.execute(
                    f"SELECT {_RUN_COLUMNS} FROM runs {clause} "
                    "ORDER BY started_at DESC, id DESC LIMIT ?",
                    (*params, limit),
                ).fetchall()
        except Exception as exc:
            raise HistoryError(_classify(exc, self.path)) from None
        return [_row_run(row) for row in rows]

    def report(self, report_id: str) -> dict[str, Any] | None:
        """The kept (redacted) report of one run, or None."""
        try:
            with self._connection() as db:
                row = db.execute(
                    "SELECT report FROM runs WHERE report_id = ?", (report_id,)
                ).fetchone()
            if row is None or row[0] is None:
                return None
            value = json.loads(zlib.decompress(row[0]))
        except (sqlite3.Error, ValueError, zlib.error):
            return None
        return value if isinstance(value, dict) else None

    def count(self) -> int:
        try:
            with self._connection() as db:
                return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        except sqlite3.Error:
            return 0


def _timed(result: RecordResult, started: float, network: str) -> RecordResult:
    elapsed = (time.perf_counter() - started) * 1000
    return replace(result, elapsed_ms=elapsed, network=result.network or network)
