"""History in words, in the person's language: what changed, a service's timeline, the
notices, and dates said the way people say them ("yesterday 18:02", "Tuesday 09:10").

The templates live in ``resources/history/<language>.toml`` and use the glossary's terms
(resources/glossary.md); Chinese uses full-width punctuation. Verdicts are said with the
explanation catalog's short badges, rendered through the catalog (which cleans values).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from clearsight.explanations import catalog, normalise_language
from clearsight.history.verdicts import BLOCKING as BLOCKING_VERDICTS
from clearsight.history.verdicts import WORKING

if TYPE_CHECKING:
    from clearsight.history.store import Change, Notice, Run


@cache
def _table(language: str) -> Mapping[str, Any]:
    folder = resources.files("clearsight.resources").joinpath("history")
    with folder.joinpath(f"{language}.toml").open("rb") as handle:
        return tomllib.load(handle)


def text(language: str, key: str, **params: object) -> str:
    language = normalise_language(language)
    template = _table(language).get(key)
    if not isinstance(template, str):
        template = str(_table("en").get(key, key))
    return catalog(language).render(template, params)


def parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(value: str, language: str, now: datetime | None = None) -> str:
    """A past moment in words, in local time: "today 09:10", "yesterday 18:02",
    "Tuesday 09:10" (this week), "3 Dec 09:10" (this year), else "3 Dec 2025"."""
    moment = parse_time(value)
    if moment is None:
        return text(language, "unknown_time")
    now = (now or datetime.now(UTC)).astimezone()
    local = moment.astimezone(now.tzinfo)
    clock = local.strftime("%H:%M")
    days = (now.date() - local.date()).days
    if days <= 0:
        return text(language, "today", time=clock)
    if days == 1:
        return text(language, "yesterday", time=clock)
    if days < 7:
        weekday = text(language, f"weekday_{local.weekday()}")
        return text(language, "weekday", day=weekday, time=clock)
    month = text(language, f"month_{local.month}")
    if local.year == now.year:
        return text(language, "date", day=local.day, month=month, time=clock)
    return text(language, "date_year", day=local.day, month=month, year=local.year)


def verdict_word(verdict: str, language: str) -> str:
    return catalog(normalise_language(language)).verdict_badge(verdict)


def change_phrase(change: Change, name: str, language: str) -> str:
    """ "Gmail is now blocked", "Slack works again", "Zoom: slow → reachable"."""
    if change.to in BLOCKING_VERDICTS and change.from_ not in BLOCKING_VERDICTS:
        return text(language, "now_blocked", service=name)
    if change.to in WORKING and change.from_ not in WORKING:
        return text(language, "works_again", service=name)
    return text(
        language,
        "changed",
        service=name,
        before=verdict_word(change.from_, language),
        after=verdict_word(change.to, language),
    )


def strip_text(
    changes: Sequence[Change],
    previous: Run | None,
    names: Mapping[str, str],
    language: str,
    now: datetime | None = None,
) -> str | None:
    """The sentence after a run; None for the first run on this profile and network."""
    if previous is None:
        return None
    since = when(previous.started_at, language, now)
    if not changes:
        return text(language, "strip_same", when=since)
    phrases = [change_phrase(c, names.get(c.service, c.service), language) for c in changes]
    separator = text(language, "separator")
    return text(language, "strip", when=since, changes=separator.join(phrases))


def notice_text(notice: Notice, language: str = "en") -> str:
    return text(language, f"notice_{notice.code}", detail=notice.detail)


def run_line(run: Run, language: str, now: datetime | None = None) -> str:
    """One run in ``clearsight history``: when, the profile, the status, what changed."""
    status = catalog(normalise_language(language)).summary_badge(run.status)
    head = text(
        language,
        "run_line",
        when=when(run.started_at, language, now),
        profile=run.profile or "…",
        status=status,
    )
    if not run.changes:
        return head
    phrases = [change_phrase(c, run.name(c.service, language), language) for c in run.changes]
    return head + text(language, "run_changes", changes=text(language, "separator").join(phrases))
