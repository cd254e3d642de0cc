"""The answer's top: one headline and the actions to take, composed from the diagnosis.

This is where the composition rules live (docs/design.md, "Presentation"):

- Advice is a list of actions with ids. Variants of one piece of advice ("use a VPN" for a
  blocked address, a name-based block, a DNS injection) are one action; an action appears
  once, at most three are shown, led by the top finding's action.
- No action contradicts a finding: changing the DNS server is never advised when answers
  are injected on the way, the network answers all DNS itself, or a service whose address
  is forged is blocked at its genuine address too. With a VPN on and lookups leaking, the
  leak fix comes first.
- The headline names at most three services; a login page, a VPN passing nothing, a DNS
  server that answers nothing and a network where nothing abroad answers have their own.
  Only services that are really blocked count as blocked; intercepted ones are "not safe".
  A run with a problem but nothing blocked names its top problem.

Each service's own advice follows the same actions, so a row never says what the summary
rules out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from clearsight.diagnosis.model import Diagnosis, Finding, ServiceVerdict
from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS, UNCLEAR_CAUSES
from clearsight.explanations import Catalog

#: At most this many actions are shown in the summary.
MAX_ACTIONS: Final = 3
#: The headline names at most this many services, then "and N more".
MAX_NAMED: Final = 3

#: Blocking verdicts that count as "blocked" in the headline (intercepted is "not safe").
BLOCKED: Final = BLOCKING_VERDICTS - {"tls_intercepted"}
DNS_VERDICTS: Final = frozenset({"dns_tampered", "dns_failed"})
#: Findings that make a different DNS server useless.
DNS_CHANGE_USELESS: Final = frozenset({"dns_injection_on_path", "dns_intercepted"})

#: The action of a finding's advice; a finding not listed is an action of its own (its code).
FINDING_ACTION: Final[Mapping[str, str]] = {
    "captive_portal": "log_in",
    "offline": "check_connection",
    "clock_wrong": "fix_clock",
    "network_changed": "wait_for_steady_connection",
    "selective_blocking": "use_vpn",
    "dns_injection_on_path": "use_vpn",
    "dns_tampering": "change_dns",
    "dns_resolver_missing": "fix_dns_setting",
    "dns_resolver_unreachable": "fix_dns_setting",
    "tls_interception": "protect_passwords",
    "vpn_not_passing_traffic": "fix_vpn",
    "vpn_dns_leak": "fix_vpn_dns",
    "checks_unfinished": "check_again",
}
#: The action of a service's advice (by its advice verdict).
VERDICT_ACTION: Final[Mapping[str, str]] = {
    "ip_blocked": "use_vpn",
    "tls_blocked": "use_vpn",
    "http_blocked": "use_vpn",
    "throttled": "use_vpn",
    "dns_tampered": "change_dns",
    "dns_failed": "change_dns",
    "tls_intercepted": "protect_passwords",
    "slow": "try_later",
    "site_error": "try_later",
    "geo_restricted": "vpn_other_country",
    "inconclusive": "check_again",
}
#: The action of a status when nothing more specific applies.
STATUS_ACTION: Final[Mapping[str, str]] = {
    "ok": "nothing_to_do",
    "blocked": "see_services",
    "degraded": "send_report",
    "offline": "check_connection",
    "captive_portal": "log_in",
    "inconclusive": "check_again",
}
#: Actions with a text of their own (``[action.<id>]``); others say their source's advice.
SHARED_TEXTS: Final = frozenset({"use_vpn", "change_dns", "protect_passwords", "log_in"})

# The sentence the headline adds about the VPN. No VPN in use says nothing: whether the
# person has one at all is not known.
_VPN_SENTENCE: Final[Mapping[str, str]] = {
    "vpn_not_passing_traffic": "headline_vpn_broken",
    "vpn_expected_missing": "headline_vpn_expected",
    "vpn_active": "headline_vpn_on",
}
# The order a degraded run's services are named in the headline when no finding says more.
_DEGRADED_VERDICTS: Final = ("throttled", "slow", "site_error", "geo_restricted", "inconclusive")


@dataclass(frozen=True)
class Action:
    """One thing to do. ``id`` is stable across languages and variants (the report's
    ``summary.actions``); ``url`` is where the action leads when the app can take it (the
    login page a captive portal redirected to)."""

    id: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Summary:
    headline: str
    actions: tuple[Action, ...]
    # What each service's row advises (service id -> text), where the composition rules
    # replace the verdict's own advice (a DNS change ruled out, a login page in the way).
    service_advice: Mapping[str, str] = field(default_factory=dict)
    # A row's explanation replaced (behind a login page every failure is the login page's).
    service_explanation: Mapping[str, str] = field(default_factory=dict)

    @property
    def advice(self) -> list[str]:
        """The actions' texts in order (the report's ``summary.advice``, for older readers)."""
        return [action.text for action in self.actions]


def compose_summary(diagnosis: Diagnosis, texts: Catalog, names: Mapping[str, str]) -> Summary:
    """The headline and actions of a diagnosis, in the catalog's language; ``names`` are the
    services' names as the report shows them (id -> name)."""
    return _Composer(diagnosis, texts, names).summary()


def named_list(texts: Catalog, items: Sequence[str], limit: int = MAX_NAMED) -> str:
    """ "A, B, C and 27 more": at most ``limit`` names, then how many more."""
    if len(items) <= limit:
        return texts.join(items)
    return texts.ui("names_and_more", names=texts.join(items[:limit]), count=len(items) - limit)


def _action_text(texts: Catalog, key: str, **params: object) -> str:
    """An action's own words (``[action] <key>``), filled with its params."""
    template = texts.raw("action", key)
    return texts.render(template, params) if template is not None else key


class _Composer:
    def __init__(self, diagnosis: Diagnosis, texts: Catalog, names: Mapping[str, str]) -> None:
        self.d = diagnosis
        self.texts = texts
        self.names = names
        self.codes = {f.code for f in diagnosis.findings}
        self.blocked = [s for s in diagnosis.services if s.verdict in BLOCKED]
        self.unsafe = [s for s in diagnosis.services if s.verdict == "tls_intercepted"]
        # A service whose address is forged or missing, but blocked at its genuine address
        # too (its advice is about the deeper layer): another DNS server would not help.
        deeper = any(
            s.verdict in DNS_VERDICTS and s.advice_verdict not in DNS_VERDICTS
            for s in diagnosis.services
        )
        self.dns_change_useless = bool(self.codes & DNS_CHANGE_USELESS) or deeper
        self._headline_finding: str | None = None  # the finding a headline names, if any

    def name(self, service: ServiceVerdict) -> str:
        return self.names.get(service.id, service.name)

    def names_of(self, services: Sequence[ServiceVerdict]) -> list[str]:
        return [self.name(s) for s in services]

    # ------------------------------------------------------------------ headline
    def summary(self) -> Summary:
        actions = self.actions()
        return Summary(
            headline=self.headline(),
            actions=tuple(actions),
            service_advice=self.service_advice(),
            service_explanation=self.service_explanation(),
        )

    def headline(self) -> str:
        texts = self.texts
        status = self.d.status
        main = self._main_headline(status)
        if status in ("offline", "captive_portal") or self._dns_broken():
            return main  # the one thing to fix first; a VPN sentence would distract
        if self._headline_finding is not None and self._headline_finding.startswith("vpn_"):
            return main  # the headline is about the VPN already
        sentence = next(
            (key for code, key in _VPN_SENTENCE.items() if code in self.codes),
            None,
        )
        if sentence is None or (status == "ok" and sentence == "headline_vpn_expected"):
            return main
        return f"{main}{texts.ui('sentence_gap')}{texts.ui(sentence)}"

    def _main_headline(self, status: str) -> str:
        texts = self.texts
        cause = self._unclear_cause()
        if cause is not None:
            return texts.headline(status, {}, cause)
        if status == "captive_portal":
            return texts.headline("captive_portal", {})
        if status == "offline":
            if "vpn_not_passing_traffic" in self.codes:
                return texts.ui("headline_vpn_dead")
            return texts.headline("offline", {})
        if self._dns_broken():
            if "dns_resolver_missing" in self.codes:
                return texts.ui("headline_dns_missing")
            return texts.ui("headline_dns_broken")
        if status == "blocked":
            return self._blocked_headline()
        if status == "degraded":
            return self._degraded_headline()
        return texts.headline(status, {})

    def _unclear_cause(self) -> str | None:
        if self.d.status != "inconclusive":
            return None
        problems = {f.code for f in self.d.findings if f.severity == "problem"}
        return next((code for code in UNCLEAR_CAUSES if code in problems), None)

    def _dns_broken(self) -> bool:
        """No DNS server set up, or the one set up answers nothing: even the local
        comparison sites can't be looked up (not "N services blocked")."""
        if "dns_resolver_missing" in self.codes:
            return True
        domestic = [s for s in self.d.services if s.domestic]
        if not domestic or "dns_resolver_unreachable" not in self.codes:
            return False
        return all(s.verdict == "dns_failed" for s in domestic)

    def _blocked_headline(self) -> str:
        texts = self.texts
        parts: list[str] = []
        foreign = [s for s in self.d.services if not s.domestic]
        # At most three names in all: the intercepted ones take one of them.
        unsafe_names = 1 if self.unsafe else 0
        if self.blocked:
            named = named_list(texts, self.names_of(self.blocked), MAX_NAMED - unsafe_names)
            if "selective_blocking" in self.codes and all(s.verdict in BLOCKED for s in foreign):
                key = "headline_nothing_abroad" if len(foreign) > 1 else "headline_abroad_one"
                parts.append(texts.ui(key, count=len(foreign), services=named))
            else:
                parts.append(
                    texts.headline(
                        "blocked",
                        {
                            "blocked_count": len(self.blocked),
                            "service_count": len(self.d.services),
                            "blocked": named,
                        },
                    )
                )
        if self.unsafe:
            key = "headline_unsafe_also" if self.blocked else "headline_unsafe"
            limit = unsafe_names if self.blocked else MAX_NAMED
            parts.append(
                texts.ui(key, services=named_list(texts, self.names_of(self.unsafe), limit))
            )
        if not parts:
            return texts.headline("blocked", {"blocked_count": 0, "service_count": 0})
        return texts.ui("sentence_gap").join(parts)

    def _degraded_headline(self) -> str:
        texts = self.texts
        problem = next((f for f in self.d.findings if f.severity == "problem"), None)
        if problem is not None:
            return self._finding_headline(problem)
        for verdict in _DEGRADED_VERDICTS:
            services = [s for s in self.d.services if s.verdict == verdict]
            if services:
                template = texts.raw("headline", verdict) or ""
                return texts.render(
                    template,
                    {
                        "services": named_list(texts, self.names_of(services)),
                        "count": len(services),
                    },
                )
        warning = next((f for f in self.d.findings if f.severity == "warning"), None)
        if warning is not None:
            return self._finding_headline(warning)
        return texts.headline("degraded", {})

    def _finding_headline(self, finding: Finding) -> str:
        self._headline_finding = finding.code
        title = self.texts.finding(finding.code, self._finding_params(finding)).title
        return self.texts.ui("headline_degraded_finding", problem=title)

    def _finding_params(self, finding: Finding) -> dict[str, object]:
        return dict(finding.params)

    # ------------------------------------------------------------------ actions
    def actions(self) -> list[Action]:
        status = self.d.status
        found: dict[str, Action] = {}

        def add(action: Action | None) -> None:
            if action is not None and action.id not in found and action.text:
                found[action.id] = action

        cause = self._unclear_cause()
        if status in ("captive_portal", "offline") or cause is not None:
            # One thing stands in the way of everything else: that is the only action.
            code = {"captive_portal": "captive_portal", "offline": "offline"}.get(status, cause)
            if status == "offline" and "vpn_not_passing_traffic" in self.codes:
                code = "vpn_not_passing_traffic"
            finding = next((f for f in self.d.findings if f.code == code), None)
            if finding is not None:
                add(self._finding_action(finding))
            if not found:
                add(self._status_action(status))
            return list(found.values())
        if self._dns_broken():
            # Nothing can be looked up: setting the DNS server right comes before all else.
            dns = next(
                f
                for f in self.d.findings
                if f.code in ("dns_resolver_missing", "dns_resolver_unreachable")
            )
            add(self._finding_action(dns))
            return list(found.values())
        if "vpn_dns_leak" in self.codes and self._vpn_on():
            add(self._finding_action(self._finding("vpn_dns_leak")))
        ranked = sorted(
            (f for f in self.d.findings if f.severity in ("problem", "warning")),
            key=lambda f: f.severity != "problem",
        )
        for finding in ranked:
            add(self._finding_action(finding))
        for service in self.d.services:
            if service.verdict in ("reachable", "inconclusive"):
                continue
            add(self._service_action(service))
        if "use_vpn" in found:
            # "A VPN through another country" beside "use a VPN" says the same thing twice.
            found.pop("vpn_other_country", None)
        if not found:
            add(self._status_action(status))
        return list(found.values())[:MAX_ACTIONS]

    def _vpn_on(self) -> bool:
        return bool(self.codes & {"vpn_active", "vpn_split_tunnel"})

    def _finding(self, code: str) -> Finding:
        return next(f for f in self.d.findings if f.code == code)

    def _finding_action(self, finding: Finding) -> Action | None:
        action_id = FINDING_ACTION.get(finding.code, finding.code)
        if action_id == "change_dns" and self.dns_change_useless:
            action_id = "use_vpn"
        if action_id in SHARED_TEXTS:
            return self._shared(action_id)
        advice = self.texts.finding(finding.code, finding.params).advice
        return Action(action_id, advice)

    def _service_action(self, service: ServiceVerdict) -> Action | None:
        action_id = self._service_action_id(service)
        if action_id in SHARED_TEXTS:
            return self._shared(action_id)
        params = {**service.params, "service": self.name(service)}
        return Action(action_id, self.texts.verdict(service.advice_verdict, params).advice)

    def _service_action_id(self, service: ServiceVerdict) -> str:
        if self.d.status == "captive_portal" and service.verdict != "reachable":
            return "log_in"
        action_id = VERDICT_ACTION.get(service.advice_verdict, service.advice_verdict)
        if action_id == "change_dns" and self.dns_change_useless:
            return "use_vpn"
        return action_id

    def _status_action(self, status: str) -> Action:
        action_id = STATUS_ACTION.get(status, "check_again")
        if action_id in SHARED_TEXTS:
            action = self._shared(action_id)
            if action is not None:
                return action
        return Action(action_id, self.texts.summary_advice(status, {}))

    def _services_for(self, action_id: str) -> list[ServiceVerdict]:
        return [
            s
            for s in self.d.services
            if s.verdict not in ("reachable", "inconclusive")
            and self._service_action_id(s) == action_id
        ]

    def _shared(self, action_id: str) -> Action | None:
        texts = self.texts
        if action_id == "log_in":
            portal = self.d.finding("captive_portal")
            location = (portal.word("location") if portal else None) or ""
            if location.startswith(("http://", "https://")):
                return Action("log_in", _action_text(texts, "log_in_at", url=location), location)
            return Action("log_in", _action_text(texts, "log_in"))
        if action_id == "protect_passwords":
            return Action(action_id, _action_text(texts, "protect_passwords"))
        services = self._services_for(action_id)
        if not services:
            return None  # an action about no service says nothing
        named = named_list(texts, self.names_of(services))
        if action_id == "change_dns":
            return Action(action_id, _action_text(texts, "change_dns", services=named))
        dns_too = self.dns_change_useless and any(
            s.verdict in DNS_VERDICTS or s.advice_verdict in DNS_VERDICTS for s in services
        )
        key = "use_vpn_dns" if dns_too else "use_vpn"
        return Action(action_id, _action_text(texts, key, services=named))

    # ------------------------------------------------------------------ rows
    def service_advice(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for service in self.d.services:
            if service.verdict == "reachable":
                continue
            action_id = self._service_action_id(service)
            if action_id in ("log_in", "protect_passwords"):
                # One action, one text: the row says what the summary says.
                out[service.id] = _action_text(self.texts, action_id)
            elif action_id == "use_vpn" and service.advice_verdict in DNS_VERDICTS:
                out[service.id] = _action_text(
                    self.texts, "use_vpn_dns", services=self.name(service)
                )
            elif (
                self.d.status == "offline"
                and service.reason == "offline"
                and "vpn_not_passing_traffic" in self.codes
            ):
                vpn = self._finding("vpn_not_passing_traffic")
                out[service.id] = self.texts.finding(vpn.code, vpn.params).advice
        return out

    def service_explanation(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for service in self.d.services:
            params = {**service.params, "service": self.name(service)}
            if self.d.status == "captive_portal" and service.verdict != "reachable":
                text = self.texts.raw("unclear", "captive_portal", "explanation")
                if text is not None:
                    out[service.id] = self.texts.render(text, params)
            elif (
                self.d.status == "offline"
                and service.reason == "offline"
                and "vpn_not_passing_traffic" in self.codes
            ):
                out[service.id] = self.texts.ui("row_vpn_dead", service=self.name(service))
        return out
