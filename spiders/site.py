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
from crawler.extract import decode_html, extract_article
from crawler.items import ARTICLE_KEYS, article_item
from crawler.middlewares import ChallengeBlocked, OffsiteRequest
from crawler.runstate import RunState, get_run_state
from crawler.sites import ConfigError, Site, Source, adhoc_site, load_sites, select_sites, site_from_json
from crawler.sizelimit import TOO_LARGE_META
from spiders.api_list import ApiListMixin, apply_seed, first_url
from spiders.attachments import AttachmentMixin, has_documents
from spiders.revisiting import RevisitMixin
from spiders.site_template import TemplateMixin
from storage.db import StorageError
from storage.store_time import iso_utc

logger = logging.getLogger(__name__)

CONDITIONAL_STATUSES = [304]
PERMANENT_HTTP = frozenset({400, 404, 410, 451})
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
        self.scheduled: set[str] = set()
        self.source_failures: dict[str, int] = {}
        self.validators: dict[str, tuple[str, str | None, str | None, int]] = {}
        self.completed_sources: set[str] = set()
        self.source_states: dict[str, dict[str, Any]] = {}
        self.unchanged_sources: set[str] = set()
        self.requested: dict[str, int] = {}
        self.capped_sources: set[str] = set()
        self.sitemaps_seen: dict[str, set[str]] = {}
        self.sitemap_limit_told: dict[str, bool] = {}

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
        spider.setup_revisits(crawler)
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
            headers = {}
            known = self.source_states.get(source.url)
            if known and not self.refresh:
                if known.get("etag"):
                    headers["If-None-Match"] = known["etag"]
                if known.get("last_modified"):
                    headers["If-Modified-Since"] = known["last_modified"]
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
            self.source_failures[source.url] = self.source_failures.get(source.url, 0) + 1
            self.state.fail(
                source.url, "http", "source: 304 Not Modified to a request without validators", 304
            )
            return
        stats.inc_value("newsmon/sources_ok")
        stats.inc_value("newsmon/list_pages")
        if response.status == 304:
            stats.inc_value("newsmon/sources_unchanged")
            self.unchanged_sources.add(source.url)
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
        self.note_list(response.url, [link.url for link in links])
        new = self._new_article_links([link.url for link in links])
        self.crawler.stats.inc_value("newsmon/links_found", len(links))
        yield from (self._article_request(url, source) for url in self._capped(new, source))
        if page + 1 >= source.max_pages:
            return
        if self._can_stop_early(source, links):
            self.crawler.stats.inc_value("newsmon/early_stops")
            return
        for url in discovery.next_pages(text, response.url, self.hosts, every_link)[:1]:
            yield scrapy.Request(
                url,
                callback=self.parse_list_page,
                errback=self.source_failed,
                meta={"source": source, "page": page + 1},
            )

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
        for source in site.sources:
            state = store.source_state(source.url)
            if state is not None:
                self.source_states[source.url] = state
                if state.get("complete"):
                    self.completed_sources.add(source.url)
        clear = getattr(store, "set_sources_complete", None)  # cluster mode keeps its own marks
        if clear is not None:
            clear([src.url for src in site.sources], False)

    def _can_stop_early(self, source: Source, links: list[discovery.Link]) -> bool:
        """Stop paging when the page's last (oldest) entry is already known.

        Government columns list newest first, so once the oldest entry of a page is known the following
        pages hold nothing new; pinned items at the top do not matter. Only trusted when an earlier run
        walked this source to the end, so a crawl killed half-way is completed by the next one.
        """
        if self.refresh or not links or source.url not in self.completed_sources or self.state.store is None:
            return False
        oldest = canonicalize_url(links[-1].url, self.host_aliases)
        return bool(self.state.store.known_urls([oldest]))  # stored, not merely scheduled by another source

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
            self.capped_sources.add(source.url)
            self.crawler.stats.inc_value("newsmon/sitemaps_too_deep")
            self.state.fail(
                response.url, "sitemap-limit", f"sitemap index nested deeper than {SITEMAP_DEPTH_MAX}"
            )
            return
        seen = self.sitemaps_seen.setdefault(source.url, {source.url})
        children = [e.url for e in entries if discovery.same_site(e.url, self.hosts) and e.url not in seen]
        budget = source.max_pages * 10 - (len(seen) - 1)
        if len(children) > budget:
            self.capped_sources.add(source.url)  # not walked to its end: not marked complete
            self.crawler.stats.inc_value("newsmon/sitemaps_capped", len(children) - max(budget, 0))
            if budget <= 0 or not self.sitemap_limit_told.get(source.url):
                self.sitemap_limit_told[source.url] = True
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
        canon = {canonicalize_url(u, self.host_aliases): u for u in urls}
        fresh = {c: u for c, u in canon.items() if c not in self.scheduled}
        store = self.state.store
        known = store.known_urls(list(fresh)) if store and not self.refresh else set()
        attempts = store.failed_attempts(list(fresh.values())) if store else {}
        out = []
        for c, u in fresh.items():
            if c in known:
                self.crawler.stats.inc_value("newsmon/links_known")
                continue
            if u in attempts and self._given_up(*attempts[u]):
                self.crawler.stats.inc_value("newsmon/links_given_up")
                continue
            if u in attempts:
                self.crawler.stats.inc_value("newsmon/article_retries")
            self.scheduled.add(c)
            out.append(u)
        return out

    def _given_up(self, failures: int, kind: str, status: int | None) -> bool:
        """Whether an article that failed before should not be requested again."""
        if kind == "robots" or (kind == "http" and status in PERMANENT_HTTP):
            return True  # forbidden by robots.txt or gone: asking again changes nothing
        return failures >= self.max_attempts  # 5xx, 403, 408, 429, timeouts, challenges: a few more runs

    def _capped(self, urls: list[str], source: Source) -> list[str]:
        """At most NEWSMON_MAX_ARTICLES_PER_SOURCE new articles per source and run, and at most the site's
        max_articles in all; the rest wait for the next run (they are still unknown then), so a huge
        sitemap or backfill stays bounded. (CLOSESPIDER_ITEMCOUNT alone stops a run only after the
        requests already handed to the downloader are stored: a run capped at 5 could store 17.)"""
        left = self.max_per_source - self.requested.get(source.url, 0)
        run_left = self.run_cap_left()
        if run_left is not None:
            left = min(left, run_left)
        if len(urls) > left:
            self.crawler.stats.inc_value("newsmon/links_deferred", len(urls) - max(left, 0))
            self.capped_sources.add(source.url)
            urls = urls[: max(left, 0)]
        self.requested[source.url] = self.requested.get(source.url, 0) + len(urls)
        return urls

    def run_cap_left(self) -> int | None:
        """Article requests this run may still make under the site's max_articles (None: no limit)."""
        if self.site is None or not self.site.max_articles:
            return None
        return self.site.max_articles - sum(self.requested.values())

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
        self.source_failures[source.url] = self.source_failures.get(source.url, 0) + 1
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
        if not self._given_up(*attempts.get(url, (1, kind, status))):
            # to be tried again: revalidating this source next run must not hide the article
            self.source_failures[source.url] = self.source_failures.get(source.url, 0) + 1

    def save_validators(self, reason: str) -> None:
        """Keep list-page validators only for sources whose articles all came through (called at close)."""
        store = self.state.store
        if store is None or reason != "finished":
            return
        for url, (site, etag, modified, status) in self.validators.items():
            if self.source_failures.get(url) or url in self.capped_sources:
                continue
            store.save_source_state(url, site, etag, modified, status, complete=True)
        # an unchanged (304) source is as complete as its last walk was
        still = [
            u
            for u in self.unchanged_sources
            if u in self.completed_sources and not self.source_failures.get(u)
        ]
        setter = getattr(store, "set_sources_complete", None)
        if still and setter is not None:
            setter(still, True)
