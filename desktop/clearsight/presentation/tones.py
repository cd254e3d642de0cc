"""The colours of the answer, in one vocabulary for every renderer.

``good`` works, ``bad`` is blocked or broken, ``warn`` needs attention or is unclear,
``info`` is a note. The window adds its own ``pending`` and ``running`` for a run still
going on; the reports never see those.
"""

from __future__ import annotations

from typing import Final, Literal

from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS

Tone = Literal["good", "bad", "warn", "info"]

GOOD: Final = "good"
BAD: Final = "bad"
WARN: Final = "warn"
INFO: Final = "info"
TONES: Final[tuple[Tone, ...]] = ("good", "bad", "warn", "info")

_STATUS_TONE: Final[dict[str, Tone]] = {
    "ok": "good",
    "blocked": "bad",
    "offline": "bad",
    "degraded": "warn",
    "captive_portal": "warn",
    "inconclusive": "warn",
}
_SEVERITY_TONE: Final[dict[str, Tone]] = {"problem": "bad", "warning": "warn", "info": "info"}


def verdict_tone(verdict: str) -> Tone:
    """The colour of a service verdict."""
    if verdict == "reachable":
        return "good"
    if verdict in BLOCKING_VERDICTS:
        return "bad"
    return "warn"


def status_tone(status: str) -> Tone:
    """The colour of a report status (an unknown one needs attention)."""
    return _STATUS_TONE.get(status, "warn")


def severity_tone(severity: str) -> Tone:
    """The colour of a finding's severity."""
    return _SEVERITY_TONE.get(severity, "info")
