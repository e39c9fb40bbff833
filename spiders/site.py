"""The generic site spider: configured sources (column pages, feeds, sitemaps) → new articles → items."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler import discovery
from crawler.dedup import canonicalize_url
from crawler.extract import decode_html, extract_article
from crawler.items import article_item
from crawler.middlewares import ChallengeBlocked
from crawler.runstate import get_run_state
from crawler.sites import ConfigError, Site, Source, adhoc_site, load_sites, select_sites, site_from_json

logger = logging.getLogger(__name__)

CONDITIONAL_STATUSES = [304]


def classify_failure(failure: Failure) -> tuple[str, int | None, str]:
    """(kind, http status, detail) of a failed request."""
    exc = failure.value
    if isinstance(exc, ChallengeBlocked):
        return "blocked", None, str(exc)
    if isinstance(exc, HttpError):
        status = exc.response.status
        return "http", status, f"HTTP {status}"
    if isinstance(exc, IgnoreRequest):
        msg = str(exc)
        if "robots.txt" in msg.lower():
            return "robots", None, "forbidden by robots.txt"
        return "ignored", None, msg or "request ignored"
    if isinstance(exc, TimeoutError | TCPTimedOutError) or "timeout" in type(exc).__name__.lower():
        return "timeout", None, str(exc) or "timed out"
    if isinstance(exc, DNSLookupError):
        return "dns", None, str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "connection", None, str(exc)
    msg = f"{type(exc).__name__}: {exc}"
    if "maxsize" in msg.lower() or "max size" in msg.lower():
        return "too-large", None, msg
    return "network", None, msg


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _charset(response: Response) -> str | None:
    ctype = _header(response, "Content-Type") or ""
    for part in ctype.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def _joined(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or None
    return value


class SiteSpider(scrapy.Spider):
    """Crawls one configured site (or ad-hoc URLs) and yields only articles not stored yet."""

    name = "site"

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
        self.scheduled: set[str] = set()
        self.source_failures: dict[str, int] = {}
        self.validators: dict[str, tuple[str, str | None, str | None, int]] = {}

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
        return spider

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

    @property
    def host_aliases(self) -> dict[str, str]:
        """Alias host → primary host, for canonical URLs."""
        if not self.site or not self.site.aliases or not self.site.sources:
            return {}
        primary = discovery.netloc(self.site.sources[0].url)
        return {a: primary for a in self.site.aliases if a != primary}

    # -- start ------------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        """One conditional request per configured source."""
        assert self.site is not None
        store = self.state.open(self.site.name)
        store.upsert_sites(
            [
                {
                    "name": self.site.name,
                    "title": self.site.title,
                    "region": self.site.region,
                    "level": self.site.level,
                    "config_hash": self.site.config_hash,
                    "config": dict(self.site.raw),
                }
            ]
        )
        for source in self.site.sources:
            self.crawler.stats.inc_value("newsmon/sources")
            headers = {}
            known = store.source_state(source.url)
            if known and not self.refresh:
                if known.get("etag"):
                    headers["If-None-Match"] = known["etag"]
                if known.get("last_modified"):
                    headers["If-Modified-Since"] = known["last_modified"]
            yield scrapy.Request(
                source.url,
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
        stats.inc_value("newsmon/sources_ok")
        stats.inc_value("newsmon/list_pages")
        if response.status == 304:
            stats.inc_value("newsmon/sources_unchanged")
            return
        self.validators[source.url] = (
            self.site_name,
            _header(response, "ETag"),
            _header(response, "Last-Modified"),
            response.status,
        )
        kind = source.kind
        if kind == "auto":
            kind = discovery.detect_kind(response.body, _header(response, "Content-Type") or "")
            stats.inc_value(f"newsmon/detected/{kind}")
        if kind == "feed":
            yield from self._feed(response, source)
        elif kind == "sitemap":
            yield from self._sitemap(response, source)
        else:
            yield from self._listing(response, source, 0)

    def parse_list_page(self, response: Response) -> Iterable[Any]:
        """A further page of a column."""
        self.crawler.stats.inc_value("newsmon/list_pages")
        yield from self._listing(response, response.meta["source"], response.meta["page"])

    def _listing(self, response: Response, source: Source, page: int) -> Iterable[Any]:
        text, _encoding = decode_html(response.body, _charset(response))
        links = discovery.article_links(text, response.url, self.hosts)
        new = self._new_article_links([link.url for link in links])
        self.crawler.stats.inc_value("newsmon/links_found", len(links))
        yield from (self._article_request(url, source) for url in new)
        if page + 1 >= source.max_pages:
            return
        if links and not new and not self.refresh:
            self.crawler.stats.inc_value("newsmon/early_stops")
            return  # newest-first columns: a page of known articles means the rest is known too
        for url in discovery.next_pages(text, response.url, self.hosts)[:1]:
            yield scrapy.Request(
                url,
                callback=self.parse_list_page,
                errback=self.source_failed,
                meta={"source": source, "page": page + 1},
            )

    def _feed(self, response: Response, source: Source) -> Iterable[Any]:
        entries = discovery.parse_feed(response.body, response.url)
        if not entries:
            self.state.fail(response.url, "parse", "feed has no entries or is not a feed")
        urls = self._entry_urls(entries)
        self.crawler.stats.inc_value("newsmon/links_found", len(urls))
        yield from (self._article_request(url, source) for url in self._new_article_links(urls))

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
            for e in entries[: source.max_pages * 10]:
                if discovery.same_site(e.url, self.hosts):
                    yield scrapy.Request(
                        e.url,
                        callback=self.parse_child_sitemap,
                        errback=self.source_failed,
                        meta={"source": source, "page": 1},
                    )
            return
        urls = self._entry_urls(entries)
        self.crawler.stats.inc_value("newsmon/links_found", len(urls))
        yield from (self._article_request(url, source) for url in self._new_article_links(urls))

    def parse_child_sitemap(self, response: Response) -> Iterable[Any]:
        """A sitemap listed by a sitemap index."""
        self.crawler.stats.inc_value("newsmon/list_pages")
        yield from self._sitemap(response, response.meta["source"])

    def _new_article_links(self, urls: list[str]) -> list[str]:
        canon = {canonicalize_url(u, self.host_aliases): u for u in urls}
        fresh = {c: u for c, u in canon.items() if c not in self.scheduled}
        known = (
            set() if self.refresh else self.state.store.known_urls(list(fresh)) if self.state.store else set()
        )
        out = []
        for c, u in fresh.items():
            if c in known:
                self.crawler.stats.inc_value("newsmon/links_known")
                continue
            self.scheduled.add(c)
            out.append(u)
        return out

    def _article_request(self, url: str, source: Source) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.article_failed, meta={"source": source}
        )

    # -- articles ---------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterable[Any]:
        """Extract one article page into an item (or record why it is not one)."""
        assert self.site is not None
        redirects = response.meta.get("redirect_urls") or []
        if redirects and not discovery.same_site(response.url, self.hosts):
            self.state.fail(redirects[0], "offsite-redirect", f"redirected off the site to {response.url}")
            return
        if redirects and discovery.netloc(redirects[0]) != discovery.netloc(response.url):
            self.crawler.stats.inc_value("newsmon/redirects_other_host")
        if not isinstance(response, scrapy.http.TextResponse) and response.body.lstrip()[:1] != b"<":
            self.state.fail(response.url, "parse", f"not an HTML page ({_header(response, 'Content-Type')})")
            return
        try:
            art = extract_article(
                response.body, response.url, declared_encoding=_charset(response), overrides=self.site.extract
            )
        except Exception as exc:  # extraction must never kill the crawl; record and go on
            logger.exception("extraction failed for %s", response.url)
            self.state.fail(response.url, "parse", f"{type(exc).__name__}: {exc}")
            return
        for warning in art.warnings:
            self.crawler.stats.inc_value("newsmon/extract_warnings")
            logger.warning("%s: %s", response.url, warning)
        if not art.is_article:
            self.state.fail(response.url, "parse", f"no article: {art.reason}")
            return
        self.crawler.stats.inc_value("newsmon/articles_extracted")
        data = art.to_dict()
        yield article_item(
            url=response.url,
            original_url=response.url,
            site=self.site.name,
            title=data.get("title"),
            published_at=data.get("published_at"),
            source=data.get("source"),
            author=data.get("author"),
            column_name=data.get("column"),
            site_name=data.get("site_name"),
            keywords=_joined(data.get("keywords")),
            description=data.get("description"),
            body_text=data.get("body_text"),
            body_html=data.get("body_html"),
            images=data.get("images") or [],
            attachments=data.get("attachments") or [],
            provenance=data.get("provenance") or {},
            encoding=data.get("encoding"),
            http_etag=_header(response, "ETag"),
            http_last_modified=_header(response, "Last-Modified"),
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    # -- failures ---------------------------------------------------------------------------------
    def source_failed(self, failure: Failure) -> None:
        """A list page, feed or sitemap could not be fetched."""
        kind, status, detail = classify_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.meta["source"]
        self.source_failures[source.url] = self.source_failures.get(source.url, 0) + 1
        self.state.fail(request.url, kind, f"source ({source.kind}): {detail}", status)

    def article_failed(self, failure: Failure) -> None:
        """An article page could not be fetched."""
        kind, status, detail = classify_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.meta["source"]
        if kind not in ("robots", "blocked", "http") or (status or 0) >= 500:
            # a transient failure: revalidating this source next run must not hide the article
            self.source_failures[source.url] = self.source_failures.get(source.url, 0) + 1
        self.state.fail(request.url, kind, detail, status)

    def save_validators(self, reason: str) -> None:
        """Keep list-page validators only for sources whose articles all came through (called at close)."""
        store = self.state.store
        if store is None or reason != "finished":
            return
        for url, (site, etag, modified, status) in self.validators.items():
            if self.source_failures.get(url):
                continue
            store.save_source_state(url, site, etag, modified, status)
