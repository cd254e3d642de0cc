"""The user's choices, remembered between starts (QSettings, organisation "Clearsight").

One small typed wrapper so the rest of the GUI never spells a key or converts a QSettings
value itself. Tests pass a QSettings on a file of their own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QByteArray, QLocale, QSettings

from clearsight.explanations import normalise_language

ORGANISATION = "Clearsight"
APPLICATION = "Clearsight"

REPORT_FORMATS = ("html", "report", "text", "pdf")
MIN_TIMEOUT_S = 1.0
MAX_TIMEOUT_S = 60.0


def _as_bool(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):  # INI files give strings back
        return value.strip().lower() in ("true", "1", "yes")
    if isinstance(value, int):
        return value != 0
    return default


def _as_float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def profile_fingerprint(path: Path) -> str | None:
    """What a profile's consent is remembered by: its content (an edited file asks again)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class AppSettings:
    """Typed access to the remembered choices."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    # -- consent ------------------------------------------------------------------------
    @property
    def consent_acknowledged(self) -> bool:
        return _as_bool(self.store.value("consent/acknowledged"), False)

    @consent_acknowledged.setter
    def consent_acknowledged(self, value: bool) -> None:
        self.store.setValue("consent/acknowledged", value)

    def profile_consented(self, fingerprint: str | None) -> bool:
        return fingerprint is not None and fingerprint in self._consented()

    def remember_profile_consent(self, fingerprint: str | None) -> None:
        if fingerprint is None:
            return
        known = [f for f in self._consented() if f != fingerprint]
        self.store.setValue("consent/profiles", [*known[-49:], fingerprint])

    def _consented(self) -> list[str]:
        value = self.store.value("consent/profiles")
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [str(v) for v in value]
        return []

    # -- checks -------------------------------------------------------------------------
    @property
    def skip_sensitive(self) -> bool:
        return _as_bool(self.store.value("checks/skip_sensitive"), False)

    @skip_sensitive.setter
    def skip_sensitive(self, value: bool) -> None:
        self.store.setValue("checks/skip_sensitive", value)

    @property
    def timeout_s(self) -> float | None:
        """The user's time limit per check, or None to use the profile's."""
        value = _as_float(self.store.value("checks/timeout_s"), 0.0)
        if value <= 0:
            return None
        return min(MAX_TIMEOUT_S, max(MIN_TIMEOUT_S, value))

    @timeout_s.setter
    def timeout_s(self, value: float | None) -> None:
        self.store.setValue("checks/timeout_s", 0.0 if value is None else float(value))

    @property
    def last_profile(self) -> Path | None:
        value = self.store.value("checks/profile")
        return Path(str(value)) if value else None

    @last_profile.setter
    def last_profile(self, value: Path | None) -> None:
        self.store.setValue("checks/profile", str(value) if value else "")

    # -- language -----------------------------------------------------------------------
    @property
    def language(self) -> str:
        value = self.store.value("ui/language")
        if value:
            return normalise_language(str(value))
        return normalise_language(QLocale.system().name())

    @language.setter
    def language(self, value: str) -> None:
        self.store.setValue("ui/language", normalise_language(value))

    # -- reports ------------------------------------------------------------------------
    @property
    def redact(self) -> bool:
        return _as_bool(self.store.value("report/redact"), True)

    @redact.setter
    def redact(self, value: bool) -> None:
        self.store.setValue("report/redact", value)

    @property
    def report_format(self) -> str:
        value = str(self.store.value("report/format") or "html")
        return value if value in REPORT_FORMATS else "html"

    @report_format.setter
    def report_format(self, value: str) -> None:
        self.store.setValue("report/format", value)

    @property
    def report_folder(self) -> Path | None:
        value = self.store.value("report/folder")
        return Path(str(value)) if value else None

    @report_folder.setter
    def report_folder(self, value: Path) -> None:
        self.store.setValue("report/folder", str(value))

    @property
    def open_folder(self) -> Path | None:
        value = self.store.value("ui/open_folder")
        return Path(str(value)) if value else None

    @open_folder.setter
    def open_folder(self, value: Path) -> None:
        self.store.setValue("ui/open_folder", str(value))

    # -- watch mode (GUI only: the tray icon re-checking on a schedule) --------------------
    @property
    def watch_enabled(self) -> bool:
        return _as_bool(self.store.value("watch/enabled"), False)

    @watch_enabled.setter
    def watch_enabled(self, value: bool) -> None:
        self.store.setValue("watch/enabled", value)

    @property
    def watch_interval_min(self) -> int:
        from clearsight.watch.schedule import interval_min

        return interval_min(self.store.value("watch/interval_min"))

    @watch_interval_min.setter
    def watch_interval_min(self, value: int) -> None:
        self.store.setValue("watch/interval_min", int(value))

    # -- window -------------------------------------------------------------------------
    @property
    def geometry(self) -> QByteArray | None:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.store.setValue("window/geometry", value)

    def sync(self) -> None:
        self.store.sync()
