"""Spider part for the lists a source gives: column pages (and their next pages), feeds and sitemaps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response

from crawler import discovery
from crawler.crawlrun import SiteRun
from crawler.extract import decode_html
from crawler.ledger import RunLedger
from crawler.responses import charset
from crawler.sites import Site, Source

SITEMAP_DEPTH_MAX = 3  # sitemap indexes within indexes (the protocol allows one level; some sites nest two)


class SourceListsMixin:
    """Turns list pages, feeds and sitemaps into requests for the new articles they link, and pages on."""

    crawler: Any
    state: RunLedger  # crawler/ledger.py: RunState locally, RunView in a cluster worker
    site: Site | None
    run: SiteRun
    if TYPE_CHECKING:  # the spider's read-only properties (spiders/site.py)

        @property
        def hosts(self) -> frozenset[str]: ...

    # provided by the spider: the callbacks and errbacks the requests made here go to
    parse_article: Any
    article_failed: Any
    source_failed: Any
    note_list: Any

    def parse_list_page(self, response: Response) -> Iterable[Any]:
        """A further page of a column."""
        self.crawler.stats.inc_value("newsmon/list_pages")
        yield from self._listing(response, response.meta["source"], response.meta["page"])

    def _listing(self, response: Response, source: Source, page: int) -> Iterable[Any]:
        text, _encoding = decode_html(response.body, charset(response))
        every_link = discovery.page_links(text, response.url)  # parsed once, for articles and pagination
        links = discovery.article_links(text, response.url, self.hosts, every_link)
        if not links and self._render_again(response, text):
            return
        self.note_list(response.url, [link.url for link in links])
        new = self._new_article_links([link.url for link in links])
        self.crawler.stats.inc_value("newsmon/links_found", len(links))
        yield from (self._article_request(url, source) for url in self._capped(new, source))
        if page + 1 >= source.max_pages:
            return
        if self.run.can_stop_early(source.url, [link.url for link in links], self.state.store):
            self.crawler.stats.inc_value("newsmon/early_stops")
            return
        for url in discovery.next_pages(text, response.url, self.hosts, every_link)[:1]:
            yield scrapy.Request(
                url,
                callback=self.parse_list_page,
                errback=self.source_failed,
                meta={"source": source, "page": page + 1},
            )

    def _render_again(self, response: Response, text: str) -> bool:
        """A list with no links but scripts, on a site with render = "auto": ask once for it rendered."""
        if self.site is None or self.site.render != "auto" or response.meta.get("newsmon_rendered"):
            return False
        if "<script" not in text.lower():
            return False
        self.crawler.stats.inc_value("newsmon/render_requests")
        assert response.request is not None  # a downloaded response always has its request
        self.crawler.engine.crawl(
            response.request.replace(dont_filter=True, meta={**response.meta, "newsmon_render": True})
        )
        return True

    def _feed(self, response: Response, source: Source) -> Iterable[Any]:
        entries = discovery.parse_feed(response.body, response.url)
        if not entries:
            self.state.fail(response.url, "parse", "feed has no entries or is not a feed")
        urls = self._entry_urls(entries)
        self.note_list(response.url, urls)
        self.crawler.stats.inc_value("newsmon/links_found", len(urls))
        yield from (
            self._article_request(url, source) for url in self._capped(self._new_article_links(urls), source)
        )

    def _entry_urls(self, entries: list[discovery.FeedEntry]) -> list[str]:
        """Feed/sitemap entries of this site that are not home, column or navigation pages."""
        out = []
        for e in entries:
            if not discovery.same_site(e.url, self.hosts):
                continue
            if discovery.is_list_url(e.url) and not discovery.is_article_url(e.url):
                self.crawler.stats.inc_value("newsmon/entries_not_articles")
                continue
            out.append(e.url)
        return out

    def _sitemap(self, response: Response, source: Source) -> Iterable[Any]:
        kind, entries = discovery.parse_sitemap(response.body, response.url)
        if not kind:
            self.state.fail(response.url, "parse", "not a sitemap")
            return
        if kind == "index":
            yield from self._sitemap_children(response, source, entries)
            return
        entries = sorted(entries, key=lambda e: e.published or "", reverse=True)  # newest first, by lastmod
        urls = self._entry_urls(entries)
        self.crawler.stats.inc_value("newsmon/links_found", len(urls))
        yield from (
            self._article_request(url, source) for url in self._capped(self._new_article_links(urls), source)
        )

    def _sitemap_children(
        self, response: Response, source: Source, entries: list[discovery.FeedEntry]
    ) -> Iterable[Any]:
        """Requests for the sitemaps an index lists: each once per run, at most SITEMAP_DEPTH_MAX indexes
        deep and max_pages × 10 sitemaps per source, so a self-listing or ever-growing index ends."""
        depth = response.meta.get("sitemap_depth", 0) + 1
        if depth > SITEMAP_DEPTH_MAX:
            self.run.cut_short(source.url)
            self.crawler.stats.inc_value("newsmon/sitemaps_too_deep")
            self.state.fail(
                response.url, "sitemap-limit", f"sitemap index nested deeper than {SITEMAP_DEPTH_MAX}"
            )
            return
        seen = self.run.sitemaps_seen.setdefault(source.url, {source.url})
        children = [e.url for e in entries if discovery.same_site(e.url, self.hosts) and e.url not in seen]
        budget = source.max_pages * 10 - (len(seen) - 1)
        if len(children) > budget:
            self.run.cut_short(source.url)  # not walked to its end: not marked complete
            self.crawler.stats.inc_value("newsmon/sitemaps_capped", len(children) - max(budget, 0))
            if budget <= 0 or not self.run.sitemap_limit_told.get(source.url):
                self.run.sitemap_limit_told[source.url] = True
                self.state.fail(
                    response.url,
                    "sitemap-limit",
                    f"more than {source.max_pages * 10} sitemaps in this source",
                )
            children = children[: max(budget, 0)]
        for url in children:
            seen.add(url)
            yield scrapy.Request(
                url,
                callback=self.parse_child_sitemap,
                errback=self.source_failed,
                meta={"source": source, "page": 1, "sitemap_depth": depth},
            )

    def parse_child_sitemap(self, response: Response) -> Iterable[Any]:
        """A sitemap listed by a sitemap index."""
        self.crawler.stats.inc_value("newsmon/list_pages")
        yield from self._sitemap(response, response.meta["source"])

    def _new_article_links(self, urls: list[str]) -> list[str]:
        return self.run.new_links(urls, self.state.store, self.crawler.stats)

    def _capped(self, urls: list[str], source: Source) -> list[str]:
        return self.run.cap(urls, source.url, self.crawler.stats)

    def _article_request(self, url: str, source: Source) -> scrapy.Request:
        self.crawler.stats.inc_value("newsmon/article_requests")
        # dont_filter: duplicates are already kept out by canonical URL, and without it a redirect loop
        # would end silently in Scrapy's duplicate filter instead of as a recorded failure
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            meta={"source": source},
            dont_filter=True,
        )
