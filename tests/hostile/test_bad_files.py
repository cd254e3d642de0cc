"""Bad files (issue #7, part 3): a corpus of malformed profiles and reports, each refused
with one clear line naming the file (exit 3), never a traceback, never code execution, and
never reading or writing a file that was not named.

An audit hook (``sys.addaudithook``) records what the command line does while it handles
each file: every ``open`` (path and mode), file-system changes, processes, sockets, code
compilation and unpickling."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import stat
import sys
import threading
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import clearsight
import clearsight.engine.run
from clearsight.cli import main
from clearsight.probes.records import OBSERVATION_TYPES, RecordFormatError, from_json

CORPUS = Path(__file__).parent / "corpus"
PROFILES = sorted(CORPUS.glob("p*.clearsight"))
REPORTS = sorted(p for p in CORPUS.iterdir() if p.name.startswith("r"))
# Files that are bad as what their name says, but valid as the other kind.
VALID_REPORT = {"p36-a-report-opened-as-profile.clearsight"}
VALID_PROFILE = {"r22-profile-opened-as-report.clearsight-report"}
# Files a profile in the corpus names (its ca_file): reading it is what the profile asks.
NAMED_BY = {"p16-ca-file-not-pem.clearsight": [CORPUS / "not-a-certificate.pem"]}
# The app's own files (code, resources) and Python's: read-only, always allowed.
APP_DIRS = [
    Path(clearsight.__file__).resolve().parent,
    Path(__file__).resolve().parents[2] / "resources",
    Path(sys.prefix).resolve(),
    Path(sys.base_prefix).resolve(),
    Path(os.__file__).resolve().parent,
]
WATCHED = {
    "open",
    "os.remove",
    "os.rename",
    "os.mkdir",
    "os.rmdir",
    "os.truncate",
    "os.chmod",
    "os.chown",
    "os.symlink",
    "os.link",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.startfile",
    "subprocess.Popen",
    "socket.connect",
    "socket.sendto",
    "socket.bind",
    "socket.getaddrinfo",
    "pickle.find_class",
    "compile",
    "exec",
    "ctypes.dlopen",
    "shutil.copyfile",
    "shutil.rmtree",
}


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] | None = None
        self.thread: int | None = None

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if self.events is not None and event in WATCHED:
            self.events.append((event, args))


_RECORDER = _Recorder()
_INSTALLED = threading.Lock()
_installed = False


def _install() -> None:
    global _installed
    with _INSTALLED:
        if not _installed:
            sys.addaudithook(_RECORDER)
            _installed = True


@pytest.fixture
def audit() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    _install()
    events: list[tuple[str, tuple[Any, ...]]] = []
    _RECORDER.events = events
    try:
        yield events
    finally:
        _RECORDER.events = None


@pytest.fixture(autouse=True)
def _no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad profile must never start the checks (and the default profile must never run
    on this machine's network): a run that starts fails the test."""

    class Refused:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("a run was started for a bad profile")

    monkeypatch.setattr(clearsight.engine.run, "CheckRun", Refused)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import what the command line imports lazily, before anything is recorded."""
    import clearsight.probes.tls
    import clearsight.report.build
    import clearsight.report.files
    import clearsight.report.html
    import clearsight.report.pdf
    import clearsight.report.text  # noqa: F401
    from clearsight.explanations import catalog
    from clearsight.profile.loader import load_default_profile

    catalog("en"), catalog("zh_CN"), load_default_profile()
    # Resolve every record type's annotations once (records.py caches them).
    todo: list[Any] = list(OBSERVATION_TYPES.values())
    while todo:
        cls = todo.pop()
        with contextlib.suppress(RecordFormatError):
            from_json(cls, {})
        for hint in typing.get_type_hints(cls).values():
            todo.extend(
                t
                for t in (
                    hint,
                    *typing.get_args(hint),
                    *sum((typing.get_args(a) for a in typing.get_args(hint)), ()),
                )
                if dataclasses.is_dataclass(t)
            )


def _allowed_read(path: Path, named: list[Path]) -> bool:
    resolved = path.resolve()
    if any(resolved == n.resolve() for n in named):
        return True
    return any(resolved.is_relative_to(folder) for folder in APP_DIRS)


def _is_write(args: tuple[Any, ...]) -> bool:
    mode = args[1] if len(args) > 1 else "r"
    flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))


def check_refused(
    argv: list[str],
    named: list[Path],
    shown: str,
    capsys: pytest.CaptureFixture[str],
    audit: list[tuple[str, tuple[Any, ...]]],
) -> str:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 3, (code, err)
    assert "Traceback" not in err and "Error:" not in err.split(":", 1)[0], err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith(shown), err
    assert len(lines[0]) < 600, err
    assert out == ""
    for event, args in audit:
        if event in ("exec", "compile"):
            # a module imported on first use runs its own code; nothing else may run
            where = getattr(args[0], "co_filename", None) if event == "exec" else args[1]
            if isinstance(where, str | bytes) and _allowed_read(Path(os.fsdecode(where)), []):
                continue
            raise AssertionError(f"{event} of {where!r} while refusing {shown}")
        if event != "open":
            raise AssertionError(f"{event} {str(args)[:200]} while refusing {shown}")
        target = args[0]
        if isinstance(target, int):
            continue  # an already-open descriptor (os.fdopen)
        path = Path(os.fsdecode(target))
        assert not _is_write(args), f"wrote {path} while refusing {shown}"
        assert _allowed_read(path, named), f"read {path}, which {shown} did not name"
    return lines[0]


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
def test_a_bad_profile_is_refused_with_one_line(path, capsys, audit) -> None:
    named = [path, *NAMED_BY.get(path.name, [])]
    shown = str(path)
    check_refused(["run", "--profile", shown], named, shown, capsys, audit)


@pytest.mark.parametrize(
    "path", [p for p in PROFILES if p.name not in VALID_REPORT], ids=lambda p: p.name
)
def test_a_bad_profile_given_to_explain_is_refused(path, capsys, audit) -> None:
    """A profile opened where a report is expected (a file association gone wrong)."""
    check_refused(["explain", str(path)], [path], str(path), capsys, audit)


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.name)
def test_a_bad_report_is_refused_with_one_line(path, capsys, audit) -> None:
    check_refused(["explain", str(path)], [path], str(path), capsys, audit)


@pytest.mark.parametrize(
    "path", [p for p in REPORTS if p.name not in VALID_PROFILE], ids=lambda p: p.name
)
def test_a_report_given_as_a_profile_is_refused(path, capsys, audit) -> None:
    check_refused(["run", "--profile", str(path)], [path], str(path), capsys, audit)


def test_the_corpus_is_large_enough() -> None:
    assert len(PROFILES) + len(REPORTS) >= 40
    assert len(PROFILES) >= 20 and len(REPORTS) >= 20


def test_nothing_in_the_corpus_ran_code() -> None:
    assert not Path("/tmp/clearsight-pwned").exists()


# ----------------------------------------------------------------------- odd paths


def _special(tmp_path: Path, kind: str, suffix: str) -> Path:
    path = tmp_path / f"odd-{kind}{suffix}"
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block for ever
    elif kind == "folder":
        path.mkdir()
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    elif kind == "symlink-to-passwd":
        path.symlink_to("/etc/passwd")
    elif kind == "dangling-symlink":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "sparse-200mb":
        with path.open("wb") as handle:
            handle.truncate(200 * 1024 * 1024)
    elif kind == "missing":
        pass
    elif kind == "unreadable":
        path.write_text("format = 1\n")
        path.chmod(0)
    else:
        raise ValueError(kind)
    return path


ODD = [
    "fifo",
    "folder",
    "socket",
    "symlink-to-passwd",
    "dangling-symlink",
    "sparse-200mb",
    "missing",
]


@pytest.mark.parametrize("kind", ODD)
@pytest.mark.parametrize("command", ["run", "explain"])
def test_odd_paths_are_refused_without_hanging(kind, command, tmp_path, capsys, audit) -> None:
    suffix = ".clearsight" if command == "run" else ".clearsight-report"
    path = _special(tmp_path, kind, suffix)
    audit.clear()  # what making the odd file did is not the app's doing
    argv = ["run", "--profile", str(path)] if command == "run" else ["explain", str(path)]
    result: list[str] = []
    errors: list[BaseException] = []

    def check() -> None:
        try:
            result.append(check_refused(argv, [path], str(path), capsys, audit))
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=check, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive() and kind == "fifo":
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # let the stuck reader go
        os.close(fd)
    assert not worker.is_alive(), f"{command} hung on a {kind}"
    if errors:
        raise errors[0]
    if kind == "symlink-to-passwd":
        assert "root:" not in result[0]  # the content of the file it points to never shows


def test_the_special_files_were_what_they_claim(tmp_path) -> None:
    assert stat.S_ISFIFO(os.stat(_special(tmp_path, "fifo", ".x")).st_mode)


# ----------------------------------------------------------------------- controls


def _valid_report(tmp_path: Path) -> Path:
    from clearsight.report.build import RunMeta, build_report
    from clearsight.report.files import save_json
    from tests.unit.report.scenarios import SCENARIOS

    meta = RunMeta("Hostile", None, "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z", 5.0)
    path = tmp_path / "valid.clearsight-report"
    save_json(path, build_report(SCENARIOS["blocked"](), meta, language="en"))
    return path


def test_the_audit_hook_sees_what_it_must(tmp_path, capsys, audit) -> None:
    """The recorder works: explaining a good report with --json out is seen reading the
    report and writing the output (and nothing else)."""
    report = _valid_report(tmp_path)
    out = tmp_path / "again.json"
    audit.clear()
    assert main(["explain", str(report), "--json", str(out), "--html", str(tmp_path / "r.html")])
    capsys.readouterr()
    opened = [
        (Path(os.fsdecode(a[0])), _is_write(a))
        for e, a in audit
        if e == "open" and not isinstance(a[0], int)
    ]
    opened = [(p, w) for p, w in opened if not _allowed_read(p, [])]
    assert (report, False) in opened
    writes = {p for p, w in opened if w}
    assert writes, "no write recorded"
    for path in writes:  # the named outputs, or their temporary files beside them
        assert path.parent == tmp_path, path
        assert path.name in ("again.json", "r.html") or path.name.startswith(
            (".again.json.", ".r.html.")
        ), path
    assert out.exists() and not list(tmp_path.glob(".*.tmp"))
