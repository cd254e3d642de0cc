from __future__ import annotations

from typing import Any

import pytest

from clearsight.report.build import build_report
from clearsight.report.redact import RedactionOptions

from .scenarios import META, SCENARIOS, SECRETS

OPTIONS = RedactionOptions(identity=SECRETS.identity())


def make_report(
    scenario: str = "blocked", *, language: str = "en", redact: bool = True, **kwargs: Any
) -> dict[str, Any]:
    return build_report(
        SCENARIOS[scenario](),
        META,
        language=language,
        redact=redact,
        redaction=kwargs.pop("redaction", OPTIONS),
        **kwargs,
    )


@pytest.fixture(scope="session")
def blocked_report() -> dict[str, Any]:
    return make_report("blocked")
