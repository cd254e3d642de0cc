"""History settings that the command line reads without Qt: one small JSON file.

The file lives in the user's config folder (``platformdirs``), or in
``$CLEARSIGHT_DATA_DIR`` when that is set (tests set it, so nothing touches the real
folders). It is written atomically (a temporary file, then a rename); a file that cannot
be read or parsed gives the defaults and a one-line notice, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

APP = "Clearsight"
ENV_DATA_DIR = "CLEARSIGHT_DATA_DIR"
SETTINGS_FILE = "settings.json"
MAX_SETTINGS_BYTES = 64 * 1024

DEFAULT_MAX_RUNS = 1000
DEFAULT_MAX_MB = 100
MIN_MAX_RUNS = 2
MAX_MAX_RUNS = 100_000
MIN_MAX_MB = 1
MAX_MAX_MB = 10_000


def config_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, APP))


def default_data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, APP))


@dataclass(frozen=True)
class HistorySettings:
    """``enabled``: keep every run; ``folder``: where (None: the user's data folder);
    ``max_runs``/``max_mb``: caps (the oldest runs go first); ``include_in_reports``: saved
    reports carry each service's recent results (the save dialog may override it)."""

    enabled: bool = True
    folder: str | None = None
    max_runs: int = DEFAULT_MAX_RUNS
    max_mb: int = DEFAULT_MAX_MB
    include_in_reports: bool = False
    # Set when the file could not be read: what went wrong, in English (a notice).
    problem: str | None = field(default=None, compare=False)

    @property
    def data_dir(self) -> Path:
        """Where history lives: ``$CLEARSIGHT_DATA_DIR`` wins (tests), then the chosen folder."""
        if os.environ.get(ENV_DATA_DIR):
            return default_data_dir()
        return Path(self.folder).expanduser() if self.folder else default_data_dir()

    @property
    def max_bytes(self) -> int:
        return self.max_mb * 1024 * 1024


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def _clamp(value: object, default: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(low, min(high, value))


def _flag(value: object, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def from_json(data: object) -> HistorySettings:
    """Settings from parsed JSON; wrong types fall back to the default one by one."""
    defaults = HistorySettings()
    if not isinstance(data, dict):
        return replace(defaults, problem="not a JSON object")
    section = data.get("history", {})
    if not isinstance(section, dict):
        section = {}
    folder = section.get("folder")
    return HistorySettings(
        enabled=_flag(section.get("enabled"), defaults.enabled),
        folder=folder if isinstance(folder, str) and folder.strip() else None,
        max_runs=_clamp(section.get("max_runs"), DEFAULT_MAX_RUNS, MIN_MAX_RUNS, MAX_MAX_RUNS),
        max_mb=_clamp(section.get("max_mb"), DEFAULT_MAX_MB, MIN_MAX_MB, MAX_MAX_MB),
        include_in_reports=_flag(section.get("include_in_reports"), defaults.include_in_reports),
    )


def load_settings(path: Path | None = None) -> HistorySettings:
    """The saved settings; a missing file is the defaults, a broken one the defaults with
    :attr:`HistorySettings.problem` set (the caller shows it as a notice)."""
    path = path or settings_path()
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SETTINGS_BYTES + 1)
    except FileNotFoundError:
        return HistorySettings()
    except OSError as exc:
        return replace(HistorySettings(), problem=f"cannot be read ({exc.strerror or exc})")
    if len(raw) > MAX_SETTINGS_BYTES:
        return replace(HistorySettings(), problem="too large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return replace(HistorySettings(), problem="not valid JSON")
    return from_json(data)


def _other_sections(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
        data = json.loads(path.read_bytes()[:MAX_SETTINGS_BYTES].decode("utf-8"))
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k != "history"}
    return {}


def save_settings(settings: HistorySettings, path: Path | None = None) -> None:
    """Write atomically; other sections of the file (other features' settings) are kept.

    Raises OSError when the folder cannot be written."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = _other_sections(path)
    section = asdict(settings)
    section.pop("problem", None)
    data["history"] = {f.name: section[f.name] for f in fields(settings) if f.name in section}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fd, temporary = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
