"""Which verdicts count as blocked or working in a timeline.

A copy of ``diagnosis.vocabulary.BLOCKING_VERDICTS`` (a unit test keeps them equal):
importing the diagnosis package costs ~0.1 s, which ``clearsight history`` does not need.
"""

from __future__ import annotations

from typing import Final

BLOCKING: Final = frozenset(
    {"dns_tampered", "dns_failed", "ip_blocked", "tls_blocked", "tls_intercepted", "http_blocked"}
)
WORKING: Final = frozenset({"reachable", "slow", "throttled"})
