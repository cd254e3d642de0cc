"""The smaller dialogs: the first-start notice, a profile's targets before its first run,
Settings and About."""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import urlsplit

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clearsight import __version__
from clearsight.explanations import LANGUAGES, Catalog, catalog
from clearsight.gui.history_view import HistorySettingsBox, history_notice
from clearsight.gui.settings import MAX_TIMEOUT_S, MIN_TIMEOUT_S, AppSettings
from clearsight.gui.theme import app_icon
from clearsight.gui.third_party import Component, read_text, third_party_components
from clearsight.profile.model import Profile

# The About box's own links: a component's licence text, and back to the list.
LICENCE_SCHEME = "licence"
LIST_SCHEME = "licences"


def _paragraph(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _buttons(dialog: QDialog, accept_text: str, reject_text: str) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    reject = QPushButton(reject_text, dialog)
    reject.clicked.connect(dialog.reject)
    row.addWidget(reject)
    accept = QPushButton(accept_text, dialog)
    accept.setDefault(True)
    accept.setAutoDefault(True)
    accept.clicked.connect(dialog.accept)
    row.addWidget(accept)
    accept.setFocus(Qt.FocusReason.OtherFocusReason)
    return row


class FirstStartNotice(QDialog):
    """What the checks contact, that the network's operator can see it, and the choice to
    leave out services whose check may draw attention."""

    def __init__(
        self, texts: Catalog, settings: AppSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self.setWindowTitle(texts.ui("notice_title"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        heading = _paragraph(texts.ui("notice_title"), self)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        layout.addWidget(_paragraph(texts.ui("notice_contacts"), self))
        layout.addWidget(_paragraph(texts.ui("notice_visible"), self))
        layout.addWidget(_paragraph(texts.ui("notice_private"), self))
        layout.addWidget(_paragraph(history_notice(texts.language), self))  # what is kept
        self.sensitive = QCheckBox(texts.ui("sensitive_option"), self)
        self.sensitive.setChecked(not settings.skip_sensitive)
        layout.addWidget(self.sensitive)
        note = _paragraph(texts.ui("sensitive_note"), self)
        note.setContentsMargins(24, 0, 0, 0)
        layout.addWidget(note)
        layout.addLayout(_buttons(self, texts.ui("button_understood"), texts.ui("button_not_now")))

    def accept(self) -> None:
        self._settings.skip_sensitive = not self.sensitive.isChecked()
        self._settings.consent_acknowledged = True
        super().accept()


def profile_targets(profile: Profile, texts: Catalog) -> list[tuple[str, list[str]]]:
    """What a profile will contact, as (heading, lines), for a person to read first."""
    groups: dict[str, list[str]] = {}
    for service in profile.services:
        hosts = texts.join(dict.fromkeys(urlsplit(u).hostname or u for u in service.urls))
        name = service.name_in(texts.language)
        groups.setdefault(service.group, []).append(f"{name} — {hosts}")
    sections: list[tuple[str, list[str]]] = []
    for group, lines in groups.items():
        sections.append((texts.ui("targets_services", group=texts.group(group)), lines))
    if profile.vpn.endpoints:
        sections.append(
            (
                texts.ui("targets_vpn"),
                [f"{e.name} — {e.host}:{e.port} ({e.protocol})" for e in profile.vpn.endpoints],
            )
        )
    if profile.resolvers:
        sections.append(
            (texts.ui("targets_dns"), [f"{r.name} — {r.address}" for r in profile.resolvers])
        )
    if profile.doh:
        sections.append((texts.ui("targets_doh"), [f"{d.name} — {d.url}" for d in profile.doh]))
    if profile.dns_injection and profile.dns_injection.probe_addresses:
        sections.append(
            (texts.ui("targets_injection"), list(profile.dns_injection.probe_addresses))
        )
    other = [c.url for c in profile.captive_checks]
    if profile.exit_check is not None:
        other.append(profile.exit_check.url)
    if other:
        sections.append((texts.ui("targets_other"), other))
    return sections


class ProfileTargetsDialog(QDialog):
    """A profile opened from a file: what it will contact, and a question before its first
    run (a profile is a list of addresses someone else chose)."""

    def __init__(self, profile: Profile, texts: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(texts.ui("targets_title"))
        self.resize(620, 520)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        source = str(profile.source) if profile.source else ""
        layout.addWidget(
            _paragraph(
                texts.ui("targets_intro", name=profile.name_in(texts.language), path=source), self
            )
        )
        if profile.support_contact:
            layout.addWidget(
                _paragraph(texts.ui("support_contact", contact=profile.support_contact), self)
            )
        self.tree = QTreeWidget(self)
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName(texts.ui("targets_title"))
        for heading, lines in profile_targets(profile, texts):
            item = QTreeWidgetItem([texts.ui("with_count", label=heading, count=len(lines))])
            for line in lines:
                item.addChild(QTreeWidgetItem([line]))
            self.tree.addTopLevelItem(item)
            item.setExpanded(len(lines) <= 12)
        layout.addWidget(self.tree, 1)
        layout.addWidget(_paragraph(texts.ui("targets_trust"), self))
        layout.addLayout(
            _buttons(self, texts.ui("button_check_profile"), texts.ui("button_not_now"))
        )


class SettingsDialog(QDialog):
    """Time limit per check, language, sensitive services, redaction by default."""

    def __init__(
        self,
        texts: Catalog,
        settings: AppSettings,
        profile_timeout_s: float | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self.setWindowTitle(texts.ui("settings_title"))
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.language = QComboBox(self)
        for language in LANGUAGES:
            self.language.addItem(catalog(language).ui("language_name"), language)
        self.language.setCurrentIndex(max(0, LANGUAGES.index(settings.language)))
        self.language.setAccessibleName(texts.ui("language_label"))
        form.addRow(texts.ui("language_label"), self.language)

        timeout_row = QVBoxLayout()
        profile_seconds = round(profile_timeout_s) if profile_timeout_s else None
        self.use_profile_timeout = QCheckBox(
            texts.ui("settings_profile_timeout", seconds=profile_seconds), self
        )
        self.timeout = QDoubleSpinBox(self)
        self.timeout.setRange(MIN_TIMEOUT_S, MAX_TIMEOUT_S)
        self.timeout.setDecimals(0)
        self.timeout.setSuffix(texts.ui("seconds_suffix"))
        self.timeout.setAccessibleName(texts.ui("settings_timeout"))
        chosen = settings.timeout_s
        self.use_profile_timeout.setChecked(chosen is None)
        self.timeout.setValue(chosen or profile_timeout_s or 5.0)
        self.timeout.setEnabled(chosen is not None)
        self.use_profile_timeout.toggled.connect(self._on_use_profile_timeout_toggled)
        timeout_row.addWidget(self.use_profile_timeout)
        timeout_row.addWidget(self.timeout)
        form.addRow(texts.ui("settings_timeout"), timeout_row)

        self.sensitive = QCheckBox(texts.ui("sensitive_option"), self)
        self.sensitive.setChecked(not settings.skip_sensitive)
        layout.addWidget(self.sensitive)
        note = _paragraph(texts.ui("sensitive_note"), self)
        note.setContentsMargins(24, 0, 0, 0)
        layout.addWidget(note)
        self.redact = QCheckBox(texts.ui("settings_redact"), self)
        self.redact.setChecked(settings.redact)
        layout.addWidget(self.redact)
        self.history = HistorySettingsBox(texts, self)  # gui/history_view.py
        layout.addWidget(self.history)
        layout.addLayout(_buttons(self, texts.ui("button_ok"), texts.ui("button_cancel")))

    def _on_use_profile_timeout_toggled(self, checked: bool) -> None:
        self.timeout.setEnabled(not checked)

    @property
    def chosen_language(self) -> str:
        return str(self.language.currentData())

    def accept(self) -> None:
        settings = self._settings
        settings.timeout_s = None if self.use_profile_timeout.isChecked() else self.timeout.value()
        settings.skip_sensitive = not self.sensitive.isChecked()
        settings.redact = self.redact.isChecked()
        self.history.save()
        super().accept()


class AboutDialog(QDialog):
    """The version, the licence, and the third-party software the running copy uses
    (``third_party.third_party_components``), each licence's text readable offline."""

    def __init__(
        self,
        texts: Catalog,
        parent: QWidget | None = None,
        components: Sequence[Component] | None = None,
    ) -> None:
        super().__init__(parent)
        self._texts = texts
        self.components = list(
            third_party_components(qVersion()) if components is None else components
        )
        self.setWindowTitle(texts.ui("about_title"))
        self.resize(600, 520)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(64, 64))
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        heading = QLabel(
            f"<h2>{html.escape(texts.ui('app_version', version=__version__))}</h2>"
            f"<p>{html.escape(texts.ui('about_text'))}</p>"
            f"<p>{html.escape(texts.ui('about_licence'))}</p>",
            self,
        )
        heading.setWordWrap(True)
        top.addWidget(heading, 1)
        layout.addLayout(top)
        self.browser = QTextBrowser(self)
        # Links are handled here: a licence opens in place, a home page in the browser,
        # and only when clicked.
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.setAccessibleName(texts.ui("licences"))
        self.browser.anchorClicked.connect(self._on_anchor_clicked)
        layout.addWidget(self.browser, 1)
        row = QHBoxLayout()
        about_qt = QPushButton(texts.ui("button_about_qt"), self)
        about_qt.clicked.connect(QApplication.aboutQt)
        row.addWidget(about_qt)
        row.addStretch(1)
        close = QPushButton(texts.ui("button_close"), self)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        row.addWidget(close)
        layout.addLayout(row)
        self.show_list()

    def show_list(self) -> None:
        """The components, each with its licence, home page and a link to its text."""
        texts = self._texts
        rows = []
        for number, component in enumerate(self.components):
            name = html.escape(f"{component.name} {component.version}".strip())
            licence = html.escape(component.licence or texts.ui("licence_not_stated"))
            parts = [f"<b>{name}</b> — {licence}"]
            if urlsplit(component.homepage).scheme in ("http", "https"):
                url = html.escape(component.homepage, quote=True)
                parts.append(f"<a href='{url}'>{url}</a>")
            if component.texts:
                parts.append(
                    f"<a href='{LICENCE_SCHEME}:{number}'>"
                    f"{html.escape(texts.ui('licence_text'))}</a>"
                )
            rows.append("<li>" + " · ".join(parts) + "</li>")
        note = texts.ui("about_qt_note", qt=qVersion(), pyside=pyside_version)
        self.browser.setHtml(
            f"<h3>{html.escape(texts.ui('licences'))}</h3><ul>{''.join(rows)}</ul>"
            f"<p>{html.escape(note)}</p>"
        )

    def show_licence(self, number: int) -> None:
        """The licence texts of one component, read from this machine, in place of the list."""
        texts = self._texts
        component = self.components[number]
        back = f"<p><a href='{LIST_SCHEME}:'>{html.escape(texts.ui('licences_back'))}</a></p>"
        title = html.escape(f"{component.name} {component.version}".strip())
        body = []
        for path in component.texts:
            text = read_text(path)
            body.append(f"<h4>{html.escape(path.name)}</h4>")
            if text is None:
                body.append(f"<p>{html.escape(texts.ui('licence_text_missing'))}</p>")
            else:
                body.append(f"<pre style='white-space: pre-wrap'>{html.escape(text)}</pre>")
        if not component.texts:
            body.append(f"<p>{html.escape(texts.ui('licence_text_missing'))}</p>")
        self.browser.setHtml(f"{back}<h3>{title}</h3>{''.join(body)}{back}")
        self.browser.moveCursor(QTextCursor.MoveOperation.Start)

    def _on_anchor_clicked(self, url: QUrl) -> None:
        scheme = url.scheme()
        if scheme == LICENCE_SCHEME:
            number = url.path()
            if number.isdigit() and int(number) < len(self.components):
                self.show_licence(int(number))
        elif scheme == LIST_SCHEME:
            self.show_list()
        elif scheme in ("http", "https"):
            QDesktopServices.openUrl(url)
