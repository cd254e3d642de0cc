"""A redirect whose Location carries a personal value (a portal-like ``?ip=`` of the
public address): the next hop's request URL is redacted like the Location it came from,
so the saved report names no secret and still finds the whole way (the redirect chain's
verdict is the same after redaction)."""

from __future__ import annotations

from pathlib import Path

from clearsight.diagnosis import diagnose
from clearsight.probes.records import Observation
from clearsight.report.build import build_report, load_report
from clearsight.report.files import report_json, save_json

from .conftest import OPTIONS
from .scenarios import META, SECRETS, exit_in_china, office, working

START = "https://go.example/"
NEXT = f"https://sso.example/login?ip={SECRETS.public_v4}"


def _redirect_run() -> tuple[Observation, ...]:
    s = exit_in_china(office("baidu", "slack").service("go", START, name="Go", group="Work"))
    s.redirect_limit = 10
    working(s, "www.baidu.com", "198.51.100.10", ms=110.0)
    working(s, "app.slack.com", "198.51.100.60", ms=420.0)
    working(s, "go.example", "198.51.100.70", redirect_to=NEXT)
    working(s, "sso.example", "198.51.100.71", url=NEXT)  # the sign-in page
    return s.build()


def test_the_way_survives_redaction_and_leaks_nothing(tmp_path: Path) -> None:
    observations = _redirect_run()
    original = diagnose(observations).service("go")
    assert original is not None and original.verdict == "reachable"
    way = original.evidence.urls[0].way
    assert way is not None and [hop.verdict for hop in way] == ["reachable", "reachable"]
    saved = tmp_path / "run.clearsight-report"
    report = build_report(observations, META, redaction=OPTIONS)
    assert SECRETS.public_v4 not in report_json(report)
    save_json(saved, report)
    _, reloaded = load_report(saved)
    again = diagnose(reloaded).service("go")
    assert again is not None
    assert (again.verdict, again.reason, again.params) == (
        original.verdict,
        original.reason,
        original.params,
    )
    way = again.evidence.urls[0].way
    assert way is not None and [hop.verdict for hop in way] == ["reachable", "reachable"]
