"""The generic site spider: configured sources (column pages, feeds, sitemaps) → new articles → items.

Its parts, one job each: spiders/source_lists.py (list pages, feeds, sitemaps), spiders/article_pages.py
(article pages → items), spiders/api_list.py, spiders/attachments.py, spiders/revisiting.py and
spiders/site_template.py; crawler/failures.py names why a request failed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import discovery
from crawler.crawlrun import SiteRun
from crawler.failures import asked_url, classify_failure
from crawler.responses import charset, header, was_conditional
from crawler.runstate import RunState, get_run_state
from crawler.sites import ConfigError, Site, Source, adhoc_site, load_sites, select_sites, site_from_json
from spiders.api_list import ApiListMixin, first_url
from spiders.article_pages import ArticlePagesMixin
from spiders.attachments import AttachmentMixin
from spiders.revisiting import RevisitMixin
from spiders.site_template import TemplateMixin
from spiders.source_lists import SourceListsMixin
from storage.db import StorageError

logger = logging.getLogger(__name__)

CONDITIONAL_STATUSES = [304]


def _article_shaped(url: str) -> bool:
    """An ad hoc URL shaped like one article (not a column, search or home page)."""
    return discovery.is_article_url(url) and not discovery.is_list_url(url)


class SiteSpider(
    SourceListsMixin,
    ArticlePagesMixin,
    ApiListMixin,
    RevisitMixin,
    TemplateMixin,
    AttachmentMixin,
    scrapy.Spider,
):
    """Crawls one configured site (or ad-hoc URLs) and yields only articles not stored yet."""

    name = "site"
    classify = staticmethod(classify_failure)  # for the revisit mixin
    charset_of = staticmethod(charset)
    # set in from_crawler, once the crawler (settings, run state) exists
    state: RunState
    refresh: bool
    max_attempts: int
    max_per_source: int

    def __init__(
        self,
        site: str | None = None,
        sites: str | None = None,
        site_json: str | None = None,
        urls: str | None = None,
        refresh: str | bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._site_arg = site
        self._sites_path = sites
        self._site_json = site_json
        self._urls = urls
        self._refresh_arg = refresh
        self.site: Site | None = None
        self.run = SiteRun("")  # this crawl's state and rules (crawler/crawlrun.py), made in from_crawler

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SiteSpider:
        """Resolve the site config here so errors stop the crawl before any request."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.site = spider._resolve_site(crawler.settings)
        spider.refresh = str(spider._refresh_arg or crawler.settings.get("NEWSMON_REFRESH")).lower() in (
            "1",
            "true",
            "yes",
        )
        spider.state = get_run_state(crawler)
        # what the RunRecorder does for this spider at the end of the run (crawler/extensions.py)
        spider.state.sites_path = spider._sites_path
        spider.state.on_ok.append(spider.save_validators)
        # open the database and the run row now: a database that cannot be written (read-only, full,
        # corrupt) stops the crawl before any request, and `scrapy crawl` exits non-zero
        spider.state.open(spider.site.name)
        spider.max_attempts = crawler.settings.getint("NEWSMON_MAX_ATTEMPTS", 3)
        spider.max_per_source = crawler.settings.getint("NEWSMON_MAX_ARTICLES_PER_SOURCE", 1000)
        spider.run = spider.new_run(spider.site, spider.refresh)
        spider.setup_revisits(crawler)
        return spider

    def new_run(self, site: Site, refresh: bool, **state: Any) -> SiteRun:
        """A SiteRun for a run of site with this spider's limits (state: what the run already knows)."""
        return SiteRun(
            site.name,
            aliases=site.host_aliases,
            refresh=refresh,
            max_attempts=self.max_attempts,
            max_per_source=self.max_per_source,
            max_articles=site.max_articles or None,
            **state,
        )

    def _resolve_site(self, settings: Any) -> Site:
        if self._site_json:
            return site_from_json(self._site_json)
        if self._urls:
            return adhoc_site([u for u in self._urls.split() if u])
        if not self._site_arg:
            raise ConfigError(["spider argument: give -a site=NAME, -a site_json=… or -a urls=…"])
        path = self._sites_path or settings.get("NEWSMON_SITES")
        return select_sites(load_sites(path), [self._site_arg], path)[0]

    @property
    def site_name(self) -> str:
        """Name of the site this spider crawls."""
        return self.site.name if self.site else self.name

    @property
    def hosts(self) -> frozenset[str]:
        """Hosts belonging to the site."""
        return self.site.hosts if self.site else frozenset()

    def request_hosts(self, request: Any) -> frozenset[str]:
        """Hosts a request may go to (crawler.middlewares.OffsiteGuard asks before every request)."""
        return self.hosts

    @property
    def host_aliases(self) -> dict[str, str]:
        """Alias host → primary host, for canonical URLs."""
        return self.site.host_aliases if self.site else {}

    # -- start ------------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        """One conditional request per configured source."""
        assert self.site is not None
        store = self.state.open(self.site.name)
        try:
            self._record_site_and_open_sources(store)
        except StorageError as exc:
            logger.error("%s", exc)
            self.crawler.stats.set_value("newsmon/storage_error", str(exc))
            return
        for source in self.site.sources:
            self.crawler.stats.inc_value("newsmon/sources")
            headers = self.run.conditional_headers(source.url)
            yield scrapy.Request(
                first_url(source),
                callback=self.parse_source,
                errback=self.source_failed,
                headers=headers,
                dont_filter=True,
                meta={"source": source, "page": 0, "handle_httpstatus_list": CONDITIONAL_STATUSES},
            )

    # -- sources ----------------------------------------------------------------------------------
    def parse_source(self, response: Response) -> Iterable[Any]:
        """First response of a source: note validators, then dispatch on the source kind."""
        source: Source = response.meta["source"]
        stats = self.crawler.stats
        if response.status == 304 and not was_conditional(response):
            # nothing to be unchanged from: a server (or proxy) answering 304 to everything would
            # otherwise give "ok" runs with 0 articles forever
            self.run.source_failed(source.url)
            self.state.fail(
                source.url, "http", "source: 304 Not Modified to a request without validators", 304
            )
            return
        stats.inc_value("newsmon/sources_ok")
        stats.inc_value("newsmon/list_pages")
        if response.status == 304:
            stats.inc_value("newsmon/sources_unchanged")
            self.run.source_answered(source.url, None)
            return
        self.run.source_answered(
            source.url,
            (self.site_name, header(response, "ETag"), header(response, "Last-Modified"), response.status),
        )
        kind = source.kind
        if kind == "auto":
            kind = discovery.detect_kind(response.body, header(response, "Content-Type") or "")
            if kind == "listing" and _article_shaped(response.url):
                kind = "article"  # `newsmon crawl ARTICLE_URL`: the page given is the article to store
            stats.inc_value(f"newsmon/detected/{kind}")
        if kind == "article":
            stats.inc_value("newsmon/links_found")
            stats.inc_value("newsmon/article_requests")
            yield from self.parse_article(response)
        elif kind == "feed":
            yield from self._feed(response, source)
        elif kind == "sitemap":
            yield from self._sitemap(response, source)
        elif kind == "api":
            yield from self._api(response, source, 0)
        else:
            yield from self._listing(response, source, 0)

    def _record_site_and_open_sources(self, store: Any) -> None:
        """Record the site; read each source's state, then clear its `complete` mark until this run ends well.

        A run that dies, fails a fetch or is cut short leaves the mark cleared, so the next run walks the
        source to its end instead of trusting an early stop.
        """
        assert self.site is not None
        site = self.site
        store.upsert_sites(
            [
                {
                    "name": site.name,
                    "title": site.title,
                    "region": site.region,
                    "level": site.level,
                    "config_hash": site.config_hash,
                    "config": dict(site.raw),
                }
            ]
        )
        self.run.open_sources({source.url: store.source_state(source.url) for source in site.sources})
        self.clear_complete_marks(store, [src.url for src in site.sources])

    def clear_complete_marks(self, store: Any, urls: list[str]) -> None:
        """Clear the sources' `complete` marks in the archive until this run ends well (cluster workers
        keep theirs in Redis: RedisSiteSpider overrides this)."""
        store.set_sources_complete(urls, False)

    # -- failures ---------------------------------------------------------------------------------
    def source_failed(self, failure: Failure) -> None:
        """A list page, feed or sitemap could not be fetched."""
        kind, status, detail = classify_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.meta["source"]
        self.run.source_failed(source.url)
        self.state.fail(asked_url(request), kind, f"source ({source.kind}): {detail}", status)

    def article_failed(self, failure: Failure) -> None:
        """An article page could not be fetched."""
        kind, status, detail = classify_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.meta["source"]
        url = asked_url(request)
        if url != request.url:
            detail += f" (after redirects, at {request.url})"
        self.crawler.stats.inc_value("newsmon/article_failures")
        self.crawler.stats.inc_value(f"newsmon/article_failures/{kind}")
        self.state.fail(url, kind, detail, status)
        attempts = self.state.store.failed_attempts([url]) if self.state.store else {}
        # to be tried again: revalidating this source next run must not hide the article
        self.run.article_failed(source.url, attempts.get(url, (1, kind, status)))

    def save_validators(self, reason: str) -> None:
        """Keep list-page validators only for sources whose articles all came through (called at close)."""
        store = self.state.store
        if store is not None:
            self.run.write_finish(reason, store.save_source_state, store.set_sources_complete)
