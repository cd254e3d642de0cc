"""History: every finished run kept on this computer, what changed between runs.

``store`` keeps the runs (SQLite); ``settings`` holds the switch, the folder and the caps
in a small JSON file the command line reads without Qt; ``network`` knows a network by a
salted hash of its gateway and exit country; ``texts`` words changes, timelines and
notices in the person's language; ``timeline`` reads one service's recent results;
``section`` builds the ``history`` section a saved report may carry; ``cli`` is
``clearsight history``.
"""

from clearsight.history.settings import HistorySettings, load_settings, save_settings
from clearsight.history.store import (
    Change,
    HistoryStore,
    HistoryUnavailable,
    Notice,
    RecordResult,
    Run,
    open_history,
)

__all__ = [
    "Change",
    "HistorySettings",
    "HistoryStore",
    "HistoryUnavailable",
    "Notice",
    "RecordResult",
    "Run",
    "load_settings",
    "open_history",
    "save_settings",
]
