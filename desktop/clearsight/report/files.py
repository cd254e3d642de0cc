"""Saving report files atomically: a temporary file beside the target, then a rename.

A full disk or a missing permission leaves no partial file (the target keeps its old
content, if it had one) and raises ``SaveError`` with a message a person can act on, in
English (``str(error)``) or in the user's language (``save_error_text``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from clearsight.explanations import catalog

# errno -> the catalog's ``ui.save_problem_<reason>``
_REASONS = {
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "quota",
    errno.EFBIG: "disk_full",
    errno.EACCES: "permission",
    errno.EPERM: "permission",
    errno.EROFS: "read_only",
    errno.ENOENT: "no_folder",
    errno.ENOTDIR: "no_folder",
    errno.EISDIR: "is_folder",
    errno.ENAMETOOLONG: "name_too_long",
}


class SaveError(OSError):
    """A report file could not be saved; ``reason`` names why (``ui.save_problem_*``)."""

    def __init__(self, code: int, message: str, *, path: Path, reason: str, detail: str) -> None:
        super().__init__(code, message)
        self.path = path
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return str(self.strerror)


def save_error_text(error: SaveError, language: str = "en") -> str:
    """ "Could not save …: the disk is full", in *language*."""
    texts = catalog(language)
    problem = texts.ui(f"save_problem_{error.reason}", detail=error.detail)
    return texts.ui("save_failed", path=str(error.path), problem=problem)


def _file_mode() -> int:
    """What an ordinary new file gets (mkstemp makes 0600): 0666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def save_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    tmp_name: str | None = None
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                with contextlib.suppress(OSError):
                    os.fchmod(handle.fileno(), _file_mode())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        _sync_folder(folder)
    except OSError as exc:
        code = exc.errno or 0
        reason = _REASONS.get(code, "other")
        detail = exc.strerror or type(exc).__name__
        english = catalog("en").ui(f"save_problem_{reason}", detail=detail)
        raise SaveError(
            code, f"Could not save {path}: {english}", path=path, reason=reason, detail=detail
        ) from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a failure here loses nothing already saved."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_text(path: Path, text: str) -> None:
    # A file name the locale could not decode (a UTF-8 name on a GB18030 machine, a USB
    # stick from elsewhere) reaches the text as lone surrogates: they become "?", the
    # file stays valid UTF-8 and the report is still saved.
    save_bytes(path, text.encode("utf-8", "replace"))


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def save_json(path: Path, report: dict[str, Any]) -> None:
    save_text(path, report_json(report))


__all__ = ["SaveError", "report_json", "save_bytes", "save_error_text", "save_json", "save_text"]
