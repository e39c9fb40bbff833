"""Downloader middleware: render through a headless browser where a site allows it (`render` config).

- `auto`: a 412/521 script-cookie challenge is opened once in the browser; the cookies it earns are kept
  for the site's next requests and the request goes through Scrapy again (scheduler, robots.txt, the
  per-host slot and delay apply as to any request). A list page the spider found no links on but that
  has scripts (the spider marks the request `newsmon_render`) comes back as the rendered DOM.
- `always`: every HTML page of the site comes back rendered.
- `never` (the default), no playwright or no chromium: responses pass untouched, so a challenge stays
  `blocked` (the ChallengeDetector after this middleware records it).

A page still a challenge after rendering is left to the ChallengeDetector: `blocked`, as without a browser.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.http import HtmlResponse
from scrapy.utils.defer import deferred_from_coro

from crawler.browser import Browser, unavailable_reason
from crawler.challenge import detect_challenge

logger = logging.getLogger(__name__)


class RenderMiddleware:
    """Browser rendering for sites configured with render = "auto" or "always"."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_renders = crawler.settings.getint("NEWSMON_RENDER_MAX", 50)
        self.timeout = crawler.settings.getfloat("NEWSMON_RENDER_TIMEOUT", 20.0)
        self.browser: Browser | None = None
        self.renders = 0
        self.cookies: dict[str, dict[str, str]] = {}  # host → cookies a rendered page earned
        self._why_not: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> RenderMiddleware:
        """Build and close the browser with the spider."""
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_closed(self, spider: Any = None) -> Any:
        """Close the browser, if one was started."""
        if self.browser is not None:
            return deferred_from_coro(self.browser.close())
        return None

    def _mode(self, spider: Any) -> str:
        site = getattr(spider, "site", None)
        return getattr(site, "render", "never") if site is not None else "never"

    def process_request(self, request: Any, spider: Any = None) -> None:
        """Send the cookies a rendered page earned with the site's later requests."""
        jar = self.cookies.get(urlsplit(request.url).netloc.lower())
        if jar and b"Cookie" not in request.headers:
            request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())

    async def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        """Render when the site's mode and the response call for it; otherwise pass the response on."""
        spider = spider or self.crawler.spider
        mode = self._mode(spider)
        if mode == "never" or request.meta.get("newsmon_rendered") or request.meta.get("newsmon_attachment"):
            return response
        body = getattr(response, "body", b"")
        challenge = detect_challenge(response.status, body)
        is_html = b"<" in body[:512] and body.lstrip()[:1] not in (b"{", b"[")
        wanted = challenge or request.meta.get("newsmon_render") or (mode == "always" and is_html)
        if not wanted:
            return response
        if self._why_not is None:
            self._why_not = unavailable_reason() or ""
        if self._why_not:
            self.stats.inc_value("newsmon/render_unavailable")
            logger.warning("not rendering %s: %s", request.url, self._why_not)
            return response
        if self.renders >= self.max_renders:
            self.stats.inc_value("newsmon/render_budget_spent")
            return response
        self.renders += 1
        self.stats.inc_value("newsmon/renders")
        if self.browser is None:
            self.browser = Browser(self.timeout, self.crawler.settings.get("USER_AGENT"))
        host = urlsplit(request.url).netloc.lower()
        hosts = frozenset(getattr(spider, "hosts", frozenset()) | {host})
        ctype = (response.headers.get("Content-Type") or b"text/html").decode("latin-1")
        try:
            page = await self.browser.render(
                request.url, (response.status, body, ctype), hosts, self.cookies.get(host, {})
            )
        except Exception as exc:  # noqa: BLE001 - a browser failure leaves the plain response to the spider
            self.stats.inc_value("newsmon/render_errors")
            logger.warning("rendering %s failed: %s", request.url, exc)
            return response
        if page.cookies:
            self.cookies.setdefault(host, {}).update(page.cookies)
        if challenge:
            if detect_challenge(200, page.html.encode("utf-8")):
                return response  # still a challenge after the browser: blocked, as before
            # the earned cookies let Scrapy fetch the page itself, politely, like any request
            self.stats.inc_value("newsmon/challenges_passed")
            retry = request.replace(dont_filter=True)
            retry.meta["newsmon_rendered"] = True
            retry.headers.pop(b"Cookie", None)
            return retry
        self.stats.inc_value("newsmon/pages_rendered")
        request.meta["newsmon_rendered"] = True
        return HtmlResponse(
            page.url, status=200, body=page.html.encode("utf-8"), encoding="utf-8", request=request
        )
