"""IT's overview of many saved reports: each service's verdicts counted over the reports,
when it was first and last seen blocked, and which reports say what.

Files are read one by one (:func:`~clearsight.overview.read.read_saved_report`) and only
what the overview shows is kept, so memory grows with the number of reports and services,
never with the size of the files. A file that cannot be read is listed with the reason,
never fatal; a second file of the same run (its JSON and its HTML) is listed, not counted
twice.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS, VERDICTS
from clearsight.explanations.catalog import Phrase
from clearsight.explanations.file_problems import file_problem, problem_message
from clearsight.overview.read import SavedReport, read_saved_report
from clearsight.report.build import ReportError

#: What a folder is searched for (its sub-folders too); files named on their own are read
#: whatever their name.
REPORT_SUFFIXES: Final = (".clearsight-report", ".json", ".html", ".htm")


@dataclass(frozen=True, slots=True)
class ReportInfo:
    """One report that was read (what "which reports say what" points to)."""

    path: Path
    report_id: str | None
    started_at: str
    started: datetime
    status: str | None
    language: str | None
    profile: str | None
    app_version: str | None


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A file that was not counted, and why (a ``[file_problem]`` phrase)."""

    path: Path
    problem: Phrase

    def message(self, language: str = "en") -> str:
        """ "FILE: PROBLEM" in *language*."""
        return problem_message(str(self.path), self.problem, language)

    def reason(self, language: str = "en") -> str:
        """The problem alone, in *language*."""
        from clearsight.explanations import catalog

        return catalog(language).say(self.problem)


@dataclass(slots=True)
class ServiceSummary:
    """One service over all the reports that name it."""

    id: str
    names: dict[str, str] = field(default_factory=dict)  # language -> name
    verdicts: Counter[str] = field(default_factory=Counter)
    reports: dict[str, list[int]] = field(default_factory=dict)  # verdict -> report indexes
    first_seen_blocked: datetime | None = None
    last_seen_blocked: datetime | None = None
    first_blocked_report: int | None = None
    last_blocked_report: int | None = None

    def name(self, language: str) -> str:
        """The service's name in *language* as the reports give it; else any name; else
        its id."""
        return (
            self.names.get(language)
            or self.names.get("en")
            or next(iter(self.names.values()), None)
            or self.id
        )

    @property
    def blocked(self) -> int:
        """How many reports say it is blocked (any blocking verdict)."""
        return sum(n for verdict, n in self.verdicts.items() if verdict in BLOCKING_VERDICTS)

    @property
    def total(self) -> int:
        return sum(self.verdicts.values())


@dataclass(slots=True)
class Summary:
    """The overview of the reports read so far."""

    reports: list[ReportInfo] = field(default_factory=list)
    services: dict[str, ServiceSummary] = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)  # report_id -> index

    def add(self, saved: SavedReport) -> None:
        """Count one report (a second file of the same run is listed instead)."""
        key = f"{saved.report_id}|{saved.started_at}" if saved.report_id else None
        if key is not None and key in self._ids:
            first = self.reports[self._ids[key]]
            self.unreadable.append(
                Unreadable(
                    saved.path,
                    file_problem(
                        "overview_duplicate", file=str(first.path), id=saved.report_id or ""
                    ),
                )
            )
            return
        index = len(self.reports)
        if key is not None:
            self._ids[key] = index
        self.reports.append(
            ReportInfo(
                path=saved.path,
                report_id=saved.report_id,
                started_at=saved.started_at,
                started=saved.started,
                status=saved.status,
                language=saved.language,
                profile=saved.profile,
                app_version=saved.app_version,
            )
        )
        seen: set[str] = set()
        for result in saved.services:
            if result.id in seen:  # a damaged report naming a service twice: counted once
                continue
            seen.add(result.id)
            service = self.services.get(result.id)
            if service is None:
                service = self.services[result.id] = ServiceSummary(result.id)
            for language, name in result.names:
                service.names.setdefault(language, name)
            service.verdicts[result.verdict] += 1
            service.reports.setdefault(result.verdict, []).append(index)
            if result.verdict in BLOCKING_VERDICTS:
                if service.first_seen_blocked is None or saved.started < service.first_seen_blocked:
                    service.first_seen_blocked = saved.started
                    service.first_blocked_report = index
                if service.last_seen_blocked is None or saved.started > service.last_seen_blocked:
                    service.last_seen_blocked = saved.started
                    service.last_blocked_report = index

    def refuse(self, path: Path, problem: Phrase) -> None:
        self.unreadable.append(Unreadable(path, problem))

    def sorted_services(self, language: str = "en") -> list[ServiceSummary]:
        """Most often blocked first, then the most reports, then by name."""
        return sorted(
            self.services.values(),
            key=lambda s: (-s.blocked, -s.total, s.name(language).casefold(), s.id),
        )

    def verdicts_seen(self) -> list[str]:
        """The verdicts any report gives, in the vocabulary's order (unknown codes of newer
        reports after them, sorted)."""
        seen = {verdict for s in self.services.values() for verdict in s.verdicts}
        known = [v for v in VERDICTS if v in seen]
        return known + sorted(seen - set(VERDICTS))

    def report_label(self, index: int, language: str = "en") -> str:
        """How a report is named in lists: its file name, and its ID where it has one."""
        from clearsight.explanations import catalog

        report = self.reports[index]
        if report.report_id:
            return catalog(language).ui(
                "overview_report_label", file=report.path.name, id=report.report_id
            )
        return report.path.name


def report_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Each path given, and the report files in each folder given (its sub-folders too,
    sorted, hidden files and folders left out, symbolic links to folders not followed)."""
    for path in paths:
        try:
            is_folder = path.is_dir()
        except (OSError, ValueError):
            is_folder = False
        if not is_folder:
            yield path
            continue
        for root, folders, files in os.walk(path):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and name.lower().endswith(REPORT_SUFFIXES):
                    yield Path(root) / name


def summarize(
    paths: Iterable[Path],
    *,
    progress: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Summary:
    """The overview of the reports at *paths* (files, or folders of them).

    ``progress(files_done)`` is called after each file; ``cancelled()``, when true, stops
    after the current file (the summary then holds what was read)."""
    summary = Summary()
    for done, path in enumerate(report_files(paths), start=1):
        try:
            saved = read_saved_report(path)
        except ReportError as exc:
            summary.refuse(path, exc.phrase)
        except MemoryError:
            summary.refuse(path, file_problem("overview_too_complex", count="?"))
        else:
            summary.add(saved)
            del saved
        if progress is not None:
            progress(done)
        if cancelled is not None and cancelled():
            break
    return summary


__all__ = [
    "REPORT_SUFFIXES",
    "ReportInfo",
    "ServiceSummary",
    "Summary",
    "Unreadable",
    "report_files",
    "summarize",
]
