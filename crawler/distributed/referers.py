"""The Referer header of requests a cluster callback commits to Redis."""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.referer import RefererMiddleware


class ChildReferers:
    """The Referer header Scrapy's RefererMiddleware gives a callback's requests in a local crawl.

    Child requests are committed to Redis by the callback instead of going back through the spider
    middlewares, so the worker's own RefererMiddleware instance (REFERER_ENABLED, REFERRER_POLICY, a
    `referrer_policy` meta key or the response's Referrer-Policy header: the same policy choice) is
    applied to them here. Redirects of these requests are then handled by RedirectMiddleware as locally.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._middleware: RefererMiddleware | None = None  # the crawler's own (None: REFERER_ENABLED off)
        self._looked_up = False

    def apply(self, response: Response, outputs: list[Any]) -> None:
        """Set the Referer of every request among a callback's outputs, as the spider middleware would."""
        if not self._looked_up:
            try:
                self._middleware = self.crawler.get_spider_middleware(RefererMiddleware)
            except RuntimeError:  # no engine yet (never the case in a callback)
                return
            self._looked_up = True
        if self._middleware is None:
            return
        for out in outputs:
            if isinstance(out, scrapy.Request):
                self._middleware.get_processed_request(out, response)
