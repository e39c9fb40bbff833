"""robots.txt obeyed as Scrapy does, but remembered in the database between runs (24 h at most)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.runstate import get_run_state

logger = logging.getLogger(__name__)

# RFC 9309 §2.4: crawlers should not use a cached robots.txt for more than 24 hours.
DEFAULT_TTL = 24 * 3600


def robots_fetch_netloc(request: Request) -> str | None:
    """The host whose robots.txt this request fetches (after any redirects), None for any other request.

    Scrapy's RobotsTxtMiddleware asks `<scheme>://<host>/robots.txt` with `dont_obey_robotstxt` and
    NO_CALLBACK through the whole downloader chain, so the answer passes this middleware's
    process_response like any other."""
    if not request.meta.get("dont_obey_robotstxt") or request.callback is not NO_CALLBACK:
        return None
    asked = urlsplit((request.meta.get("redirect_urls") or [request.url])[0])
    return asked.netloc if asked.path == "/robots.txt" else None


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Reuses a robots.txt fetched by an earlier run (NEWSMON_ROBOTS_TTL seconds) instead of asking again.

    Only Scrapy's public hooks are used: `robot_parser` (a parser built from the database's copy, looked
    up once per host and run, before Scrapy's own fetch and memory) and `process_response` (each robots.txt
    answer is written to the database as it arrives)."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.ttl = crawler.settings.getfloat("NEWSMON_ROBOTS_TTL", DEFAULT_TTL)
        self.state = get_run_state(crawler)
        self.parser_class = load_object(crawler.settings.get("ROBOTSTXT_PARSER"))
        # host → the parser of its robots.txt from the database, None when the database had none fresh
        self.from_archive: dict[str, Any] = {}

    async def robot_parser(self, request: Request) -> Any:
        """The parser for the request's host: from the database cache, or Scrapy's (this run's or fetched)."""
        netloc = urlparse_cached(request).netloc
        if netloc not in self.from_archive:
            self.from_archive[netloc] = self._archived_parser(netloc)
        parser = self.from_archive[netloc]
        if parser is not None:
            return parser
        return await super().robot_parser(request)

    def _archived_parser(self, netloc: str) -> Any:
        store = self.state.store
        if store is None or self.ttl <= 0:
            return None
        cached = store.cached_robots(netloc, self.ttl)
        if cached is None:
            return None
        _status, body = cached
        self.crawler.stats.inc_value("newsmon/robots_cached")
        # Scrapy treats a 4xx robots.txt as "allow all"; a cached one keeps that meaning (saved with no body)
        return build_from_crawler(self.parser_class, self.crawler, body)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        """Remember a robots.txt answer (not a 5xx: that one is asked again next run) for later runs."""
        netloc = robots_fetch_netloc(request)
        store = self.state.store
        if netloc is not None and store is not None and response.status < 500:
            body = response.body if response.status == 200 else b""
            store.save_robots(netloc, response.status, body)
        return response
