"""robots.txt obeyed as Scrapy does, but remembered in the database between runs (24 h at most)."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from crawler.runstate import get_run_state

logger = logging.getLogger(__name__)

# RFC 9309 §2.4: crawlers should not use a cached robots.txt for more than 24 hours.
DEFAULT_TTL = 24 * 3600


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Reuses a robots.txt fetched by an earlier run (NEWSMON_ROBOTS_TTL seconds) instead of asking again."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.ttl = crawler.settings.getfloat("NEWSMON_ROBOTS_TTL", DEFAULT_TTL)
        self.state = get_run_state(crawler)

    async def robot_parser(self, request: Request) -> Any:
        """The parser for the request's host: from this run, from the database cache, or fetched."""
        netloc = urlparse_cached(request).netloc
        store = self.state.store
        if netloc not in self._parsers and store is not None and self.ttl > 0:
            cached = store.cached_robots(netloc, self.ttl)
            if cached is not None:
                status, body = cached
                self._stats.inc_value("newsmon/robots_cached")
                # Scrapy treats a 4xx robots.txt as "allow all"; a cached one keeps that meaning
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        store = self.state.store
        if store is not None and response.status < 500:
            body = response.body if response.status == 200 else b""
            store.save_robots(netloc, response.status, body)
        await super()._parse_robots(response, netloc, request)
