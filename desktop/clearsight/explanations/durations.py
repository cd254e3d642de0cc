"""A length of time in the unit a person would say it in: "about 3 years", not "26400 hours".

The catalog words each unit (``ui.duration_<unit>``: "{count} years", "{count}年"); this
module only picks the unit and rounds. The thresholds keep the number small and the unit
natural: 59 minutes is still minutes, 47 hours still hours, 59 days still days, 23 months
still months.
"""

from __future__ import annotations

import math
from typing import Final

UNITS: Final = ("minutes", "hours", "days", "months", "years")

_MINUTE: Final = 60.0
_HOUR: Final = 3600.0
_DAY: Final = 86400.0
_MONTH: Final = 365.2425 * _DAY / 12
_YEAR: Final = 365.2425 * _DAY
# (the unit, the length of one, the length from which the next unit takes over)
_STEPS: Final = (
    ("minutes", _MINUTE, 59.5 * _MINUTE),
    ("hours", _HOUR, 48 * _HOUR),
    ("days", _DAY, 60 * _DAY),
    ("months", _MONTH, 24 * _MONTH),
    ("years", _YEAR, math.inf),
)


def in_units(seconds: float) -> tuple[str, int]:
    """(unit, whole number of them, at least 1) for a length of time in seconds (its sign
    is ignored: a clock behind is as wrong as one ahead)."""
    length = abs(seconds) if math.isfinite(seconds) else 0.0
    for unit, one, until in _STEPS:
        if length < until:
            return unit, max(round(length / one), 1)
    raise AssertionError("unreachable: the last step has no end")
