"""Baseline for bench/crawl.py: a bare Scrapy spider that fetches given URLs and only reads <title>."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy


class BareSpider(scrapy.Spider):
    """Fetch every URL in a file (one per line) and yield its title."""

    name = "bare"

    def __init__(self, urls_file: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with open(urls_file, encoding="utf-8") as fh:
            self.urls = [line.strip() for line in fh if line.strip()]

    async def start(self) -> AsyncIterator[Any]:
        """One request per URL."""
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> Any:
        """Read the title only."""
        yield {"title": response.css("title::text").get()}
