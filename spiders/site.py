"""The generic site spider: configured sources (column pages, feeds, sitemaps) → new articles → items."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
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
from crawler.canonical import canonicalize_url
from crawler.crawlrun import SiteRun
from crawler.extract import decode_html, extract_article
from crawler.items import ARTICLE_KEYS, article_item
from crawler.middlewares import ChallengeBlocked, OffsiteRequest
from crawler.runstate import RunState, get_run_state
from crawler.sites import ConfigError, Site, Source, adhoc_site, load_sites, select_sites, site_from_json
from crawler.sizelimit import TOO_LARGE_META
from spiders.api_list import ApiListMixin, apply_seed, first_url
from spiders.attachments import AttachmentMixin, has_documents, page_documents
from spiders.revisiting import RevisitMixin
from spiders.site_template import TemplateMixin
from storage.db import StorageError
from storage.store_time import iso_utc

logger = logging.getLogger(__name__)

CONDITIONAL_STATUSES = [304]
SITEMAP_DEPTH_MAX = 3  # sitemap indexes within indexes (the protocol allows one level; some sites nest two)


def classify_failure(failure: Failure) -> tuple[str, int | None, str]:
    """(kind, http status, detail) of a failed request."""
    exc = failure.value
    request = getattr(failure, "request", None)
    if request is not None and request.meta.get(TOO_LARGE_META):
        return "too-large", None, "body larger than the download max size (cut off while streaming)"
    if isinstance(exc, ChallengeBlocked):
        return "blocked", None, str(exc)
    if isinstance(exc, OffsiteRequest):
        return exc.kind, None, str(exc)
    if isinstance(exc, HttpError):
        status = exc.response.status
        return "http", status, f"HTTP {status}"
    if isinstance(exc, IgnoreRequest):
        msg = str(exc)
        if "robots.txt" in msg.lower():
            return "robots", None, "forbidden by robots.txt"
        if "max redirections" in msg.lower():
            return "redirect-loop", None, msg
        if "max size" in msg.lower() or "maxsize" in msg.lower():
            return "too-large", None, msg
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


def _asked_url(request: scrapy.Request) -> str:
    """The URL the spider asked for, before any redirects (failures are recorded under it)."""
    chain = request.meta.get("redirect_urls") or []
    return chain[0] if chain else request.url


def _article_shaped(url: str) -> bool:
    """An ad hoc URL shaped like one article (not a column, search or home page)."""
    return discovery.is_article_url(url) and not discovery.is_list_url(url)


def _was_conditional(response: Response) -> bool:
    """Whether the request behind the response carried If-None-Match or If-Modified-Since."""
    request = response.request
    return request is not None and bool(
        request.headers.get("If-None-Match") or request.headers.get("If-Modified-Since")
    )


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


class SiteSpider(ApiListMixin, RevisitMixin, TemplateMixin, AttachmentMixin, scrapy.Spider):
    """Crawls one configured site (or ad-hoc URLs) and yields only articles not stored yet."""

    name = "site"
    classify = staticmethod(classify_failure)  # for the revisit mixin
    charset_of = staticmethod(_charset)
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
        if response.status == 304 and not _was_conditional(response):
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
            (self.site_name, _header(response, "ETag"), _header(response, "Last-Modified"), response.status),
        )
        kind = source.kind
        if kind == "auto":
            kind = discovery.detect_kind(response.body, _header(response, "Content-Type") or "")
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

    def parse_list_page(self, response: Response) -> Iterable[Any]:
        """A further page of a column."""
        self.crawler.stats.inc_value("newsmon/list_pages")
        yield from self._listing(response, response.meta["source"], response.meta["page"])

    def _listing(self, response: Response, source: Source, page: int) -> Iterable[Any]:
        text, _encoding = decode_html(response.body, _charset(response))
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
        self.crawler.engine.crawl(
            response.request.replace(dont_filter=True, meta={**response.meta, "newsmon_render": True})
        )
        return True

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

    def _can_stop_early(self, source: Source, links: list[discovery.Link]) -> bool:
        return self.run.can_stop_early(source.url, [link.url for link in links], self.state.store)

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

    # -- articles ---------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterable[Any]:
        """Extract one article page into an item (or record why it is not one)."""
        assert self.site is not None
        self.crawler.stats.inc_value("newsmon/article_pages")
        asked = _asked_url(response.request) if response.request is not None else response.url
        redirects = response.meta.get("redirect_urls") or []
        if redirects and not discovery.same_site(response.url, self.hosts):
            self.state.fail(redirects[0], "offsite-redirect", f"redirected off the site to {response.url}")
            return
        if redirects and discovery.netloc(redirects[0]) != discovery.netloc(response.url):
            self.crawler.stats.inc_value("newsmon/redirects_other_host")
            logger.info("redirected to another host of the site: %s -> %s", redirects[0], response.url)
        if not isinstance(response, scrapy.http.TextResponse) and response.body.lstrip()[:1] != b"<":
            self.state.fail(asked, "parse", f"not an HTML page ({_header(response, 'Content-Type')})")
            return
        try:
            art = extract_article(
                response.body,
                response.url,
                declared_encoding=_charset(response),
                overrides=self.site.extract,
                template=self.site_template(),
            )
        except Exception as exc:  # extraction must never kill the crawl; record and go on
            logger.exception("extraction failed for %s", response.url)
            self.state.fail(asked, "parse", f"{type(exc).__name__}: {exc}")
            return
        for warning in art.warnings:
            self.crawler.stats.inc_value("newsmon/extract_warnings")
            logger.warning("%s: %s", response.url, warning)
        if not art.is_article and art.reason == "no-body" and art.title and not art.attachments:
            art.attachments = page_documents(response.body, response.url)  # the text may be in a file
        if not art.is_article and not (
            art.reason == "no-body" and art.title and has_documents(art.attachments)
        ):
            self.state.fail(asked, "parse", f"no article: {art.reason}")
            return
        self.crawler.stats.inc_value("newsmon/articles_extracted")
        self.remember_template(canonicalize_url(response.url, self.host_aliases), art)
        if redirects and self.state.store is not None:
            final = canonicalize_url(response.url, self.host_aliases)
            for url in redirects:
                if canonicalize_url(url, self.host_aliases) != final:
                    try:
                        self.state.store.save_redirect(canonicalize_url(url, self.host_aliases), final)
                    except StorageError as exc:  # only an optimisation: the article itself still goes on
                        logger.error("%s", exc)
                        self.crawler.stats.set_value("newsmon/storage_error", str(exc))
        yield from self.with_attachments(self._article_item(art.to_dict(), response))

    def _article_item(self, data: dict[str, Any], response: Response) -> dict[str, Any]:
        """The item of an extracted article page (seeded with what an API list said about it)."""
        assert self.site is not None
        fields = dict(
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
            doc_number=data.get("doc_number"),
            index_number=data.get("index_number"),
            issuer=data.get("issuer"),
            written_at=data.get("written_at"),
            subject=data.get("subject"),
            validity=data.get("validity"),
            body_text=data.get("body_text"),
            body_html=data.get("body_html"),
            images=data.get("images") or [],
            attachments=data.get("attachments") or [],
            provenance=data.get("provenance") or {},
            encoding=data.get("encoding"),
            http_etag=_header(response, "ETag"),
            http_last_modified=_header(response, "Last-Modified"),
            fetched_at=iso_utc(),
            next_revisit_at=self.first_revisit(),
        )
        seed = {k: v for k, v in (response.meta.get("seed") or {}).items() if k in ARTICLE_KEYS}
        apply_seed(fields, seed, fields["provenance"])
        return article_item(**fields)

    # -- failures ---------------------------------------------------------------------------------
    def source_failed(self, failure: Failure) -> None:
        """A list page, feed or sitemap could not be fetched."""
        kind, status, detail = classify_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.meta["source"]
        self.run.source_failed(source.url)
        self.state.fail(_asked_url(request), kind, f"source ({source.kind}): {detail}", status)

    def article_failed(self, failure: Failure) -> None:
        """An article page could not be fetched."""
        kind, status, detail = classify_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        source: Source = request.meta["source"]
        url = _asked_url(request)
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
