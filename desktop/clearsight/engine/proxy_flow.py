"""The system proxy: its settings (and PAC file), and, when one is set by hand, every
service fetched through it as well (the direct measurement stays direct).

Through the proxy, a URL's way is followed as a browser using that proxy would follow it:
an answer that redirects to another origin (``probes.urls.redirect_target``) leads on to
that URL, fetched through the proxy like the first, in the thread that got the redirect.
The budget is the direct path's (``engine/service_flow.py``): at most
``MAX_CHAIN_REDIRECTS`` redirects in all, never the same URL twice, within the run's
deadline; a URL the proxy settings send direct (the bypass list) ends the way through the
proxy. Each hop is an ordinary ``via = "proxy"`` record of its own URL, so the diagnosis
finds the way again from the answers (``diagnosis/proxy_rules.py``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from clearsight.engine.service_flow import MAX_CHAIN_REDIRECTS, redirect_budget
from clearsight.engine.shared import Shared
from clearsight.probes import failures
from clearsight.probes.exit_check import exit_check_through_proxy
from clearsight.probes.http import fetch_bytes, fetch_through_proxy
from clearsight.probes.proxy_settings import WPAD_DEFAULT_URL, proxy_for_url, read_proxy_settings
from clearsight.probes.records import HttpFetch, ProxyConfig, ProxySource
from clearsight.probes.urls import redirect_target

PAC_MAX_BYTES = 256 * 1024
CERTIFICATE_FAILURES = frozenset(
    {
        failures.TLS_CERT_UNTRUSTED,
        failures.TLS_CERT_NAME_MISMATCH,
        failures.TLS_CERT_EXPIRED,
        failures.TLS_CERT_NOT_YET_VALID,
    }
)


class ProxyFlow:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    def run(self) -> None:
        s = self.s
        started_s = s.ctx.elapsed_s()
        try:
            sources = read_proxy_settings()
            failure = None
        except Exception as exc:  # a reader bug must not lose the run
            sources, failure = (), f"internal_error:{type(exc).__name__}"
        active = sources[0] if sources else None
        pac: dict[str, Any] = {}
        if active is not None and active.mode in ("auto_config", "auto_detect"):
            pac = self._fetch_pac(active.pac_url or WPAD_DEFAULT_URL)
        s.add(ProxyConfig(sources=sources, failure=failure, started_s=started_s, **pac))
        if active is None or active.mode != "manual":
            return
        self._through_proxy(active)

    def _fetch_pac(self, url: str) -> dict[str, Any]:
        """Fetch the PAC file (direct, like the OS does) to tell whether it is there."""
        s = self.s
        host = (urlsplit(url).hostname or "").lower()
        v4, v6, failure = s.resolver.resolve_both(host)
        addresses = v4 + v6
        if not addresses:
            return {"pac_url": url, "pac_failure": failure or failures.NO_ANSWER}
        context = s.http_trust.public if url.lower().startswith("https") else None
        response = fetch_bytes(
            s.ctx, url, addresses[0], ssl_context=context, max_body=PAC_MAX_BYTES
        )
        return {
            "pac_url": url,
            "pac_status": response.status,
            "pac_bytes": len(response.body),
            "pac_failure": response.failure,
        }

    def _through_proxy(self, source: ProxySource) -> None:
        s = self.s
        jobs: list[tuple[str, str]] = []
        for service in s.services:
            for url in service.urls:
                proxy = proxy_for_url(source, url)
                if proxy is not None:
                    jobs.append((url, proxy))
        if s.profile.exit_check is not None:
            exit_url = s.profile.exit_check.url
            exit_proxy = proxy_for_url(source, exit_url)
        else:
            exit_url, exit_proxy = "", None

        def job(item: tuple[str, str]) -> None:
            url, proxy = item
            self._way(source, url, proxy)

        def exit_job() -> None:
            if exit_proxy is not None:
                s.add(exit_check_through_proxy(s.ctx, s.http_trust.public, exit_url, exit_proxy))

        s.pool.map(lambda f: f(), [lambda: s.pool.map(job, jobs), exit_job])

    def _way(self, source: ProxySource, url: str, proxy: str) -> None:
        """``url`` through ``proxy``, and every URL its redirects lead to through the
        proxy settings, one after the other."""
        visited = {url}
        spent = 0
        while True:
            if self.s.ctx.cancelled:
                return
            result = self._fetch(url, proxy, spent)
            target = redirect_target(result.url, result.status, result.final_url)
            spent += len(result.redirects)
            if target is None or spent > MAX_CHAIN_REDIRECTS or target in visited:
                return
            next_proxy = proxy_for_url(source, target)
            if next_proxy is None:
                return
            visited.add(target)
            url, proxy = target, next_proxy

    def _fetch(self, url: str, proxy: str, spent: int) -> HttpFetch:
        """One URL through the proxy (``spent``: the redirects its way took to get here);
        the answer the way goes on from."""
        s = self.s
        https = url.lower().startswith("https")
        context = s.http_trust.public if https else None
        budget = redirect_budget(spent)
        result = fetch_through_proxy(s.ctx, url, proxy, ssl_context=context, max_redirects=budget)
        s.add(result)
        if https and result.failure in CERTIFICATE_FAILURES:
            # Trusted through the OS store only: a company inspecting on purpose.
            result = fetch_through_proxy(
                s.ctx, url, proxy, ssl_context=s.http_trust.system, max_redirects=budget
            )
            s.add(result)
        return result


__all__ = ["ProxyFlow"]
