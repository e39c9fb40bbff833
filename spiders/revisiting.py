"""Revisits for the site spider: re-check stored articles when due, after the run's own work, within a budget.

When the spider goes idle (sources walked, new articles fetched) it asks the store for the site's due
articles, the longest overdue first, as many as the budget allows (crawler.revisits), and requests them
conditionally (ETag / Last-Modified) through the same downloader, so robots.txt, delays and per-host
concurrency apply unchanged. Each answer is one of: unchanged (304, or the same extracted fields), an edit
(the item goes through the pipelines; storage keeps the previous version), or a removal (404/410, a
redirect to the home or a list page, a soft-404). List pages are compared with their previous parse: an
article dropping out while its neighbours stay is a removal too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import lxml.html
import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import removals
from crawler.canonical import canonicalize_url
from crawler.extract import decode_html, extract_article
from crawler.revisits import DEFAULT_SHARE, budget, carry, next_revisit
from spiders.attachments import page_documents
from storage.db import StorageError

logger = logging.getLogger(__name__)

REVISIT_STATUSES = [304, 404, 410]


def page_text(html: str) -> str:
    """Visible text of a page (scripts and styles dropped), for checking whether a stored body is still there."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    return tree.text_content()


class RevisitMixin:
    """Adds revisits to SiteSpider (uses its site, state, crawler, refresh, _article_item)."""

    crawler: Any
    site: Any
    state: Any
    refresh: bool
    # provided by the spider: (kind, status, detail) of a failed request; a response's declared charset
    classify: Any
    charset_of: Any
    _article_item: Any

    def setup_revisits(self, crawler: Any) -> None:
        """Read the revisit settings and hook the idle signal (called from from_crawler)."""
        settings = crawler.settings
        self.revisit_share = settings.getfloat("NEWSMON_REVISIT_SHARE", DEFAULT_SHARE)
        # check as if it were this time (ISO 8601): lets the demo and the benchmark travel in time
        self.revisit_now: str | None = settings.get("NEWSMON_REVISIT_NOW") or None
        self.revisits_started = False
        if settings.getbool("NEWSMON_REVISITS", True):
            crawler.signals.connect(self._revisit_idle, signal=signals.spider_idle)

    @property
    def revisit_schedule(self) -> tuple[int, ...] | None:
        """The site's revisit offsets (None: revisits off)."""
        return getattr(self.site, "revisit", None)

    def clock(self) -> str:
        """Now, as ISO UTC (or the NEWSMON_REVISIT_NOW override)."""
        if self.revisit_now:
            return datetime.fromisoformat(self.revisit_now).astimezone(UTC).isoformat(timespec="seconds")
        return datetime.now(UTC).isoformat(timespec="seconds")

    def first_revisit(self) -> str | None:
        """next_revisit_at of an article first seen now."""
        now = self.clock()
        return next_revisit(now, now, self.revisit_schedule)

    # -- picking due revisits ------------------------------------------------------------------
    def _revisit_idle(self, spider: Any) -> None:
        """Once per run, when the run's own requests are done: schedule the due revisits that fit."""
        if self.revisits_started or self.refresh or self.revisit_schedule is None or self.state.store is None:
            return
        self.revisits_started = True
        store, stats, name = self.state.store, self.crawler.stats, self.site.name
        now = self.clock()
        other = int(stats.get_value("downloader/request_count", 0) or 0)
        try:
            allowed, credit = budget(other, self.revisit_share, store.revisit_credit(name))
            due = store.count_due(name, now)
            picked = store.due_revisits(name, now, min(allowed, due))
            if self.revisit_share < 1:
                store.save_revisit_credit(name, carry(credit, len(picked)))
        except StorageError as exc:
            logger.error("%s", exc)
            stats.set_value("newsmon/storage_error", str(exc))
            return
        stats.set_value("newsmon/revisits/due", due)
        stats.set_value("newsmon/revisits/scheduled", len(picked))
        stats.set_value("newsmon/revisits/deferred", due - len(picked))
        if not picked:
            return
        logger.info("%s: %d revisits due, %d fit this run's budget", name, due, len(picked))
        for art in picked:
            self.crawler.engine.crawl(self._revisit_request(art))
        raise DontCloseSpider

    def _revisit_request(self, art: dict[str, Any]) -> scrapy.Request:
        headers = {}
        if art.get("http_etag"):
            headers["If-None-Match"] = art["http_etag"]
        if art.get("http_last_modified"):
            headers["If-Modified-Since"] = art["http_last_modified"]
        return scrapy.Request(
            art.get("original_url") or art["url"],
            callback=self.parse_revisit,
            errback=self.revisit_failed,
            headers=headers,
            dont_filter=True,
            meta={"revisit": art, "handle_httpstatus_list": REVISIT_STATUSES},
        )

    # -- answers -------------------------------------------------------------------------------
    def parse_revisit(self, response: Response) -> Iterable[Any]:
        """Classify a revisit's answer: unchanged, edited (an item for the pipelines) or removed."""
        art = response.meta["revisit"]
        stats, store = self.crawler.stats, self.state.store
        stats.inc_value("newsmon/revisits/done")
        next_at = next_revisit(art["first_seen_at"] or self.clock(), self.clock(), self.revisit_schedule)
        try:
            if response.status == 304:
                stats.inc_value("newsmon/revisits/not_modified")
                store.revisit_checked(art["id"], next_at, restore="304 not modified")
                return
            gone = removals.gone_status(response.status)
            redirects = response.meta.get("redirect_urls") or []
            if gone is None and redirects:
                gone = removals.redirect_removal(
                    redirects[0], response.url, True, [s.url for s in self.site.sources], self.site.hosts
                )
            if gone is not None:
                self._removed(art, gone, f"{gone}: {response.url}", response.status, next_at)
                return
            charset = self.charset_of(response)
            html, _enc = decode_html(response.body, charset)
            try:
                page = extract_article(
                    response.body,
                    response.url,
                    declared_encoding=charset,
                    overrides=self.site.extract,
                    # the site's template, as for the first fetch: the same page gives the same block
                    template=self.site_template() if hasattr(self, "site_template") else None,
                )
            except Exception as exc:  # extraction must never kill the crawl; record and go on
                self.state.fail(art["url"], "parse", f"revisit: {type(exc).__name__}: {exc}")
                store.revisit_checked(art["id"], next_at)
                return
            if (
                not page.is_article
                and page.reason == "no-body"
                and page.title
                and page_documents(response.body, response.url)
            ):
                # a "详见附件" page whose text lives in its attachment: still there, not a soft-404 (#16)
                store.revisit_checked(art["id"], next_at)
                stats.inc_value("newsmon/revisits/attachment_only")
                return
            data = page.to_dict() if page.is_article else {}
            soft = removals.soft_404(
                store.stored_body(art["id"]) or "", page_text(html), data.get("body_text"), page.is_article
            )
            if soft is not None:
                self._removed(art, "soft-404", soft, response.status, next_at)
                return
            store.revisit_checked(art["id"], next_at)
            if not page.is_article:  # the stored text is still there, only the extractor missed it
                stats.inc_value("newsmon/revisits/unreadable")
                return
        except StorageError as exc:
            logger.error("%s", exc)
            stats.set_value("newsmon/storage_error", str(exc))
            return
        stats.inc_value("newsmon/revisits/fetched")
        item = self._article_item(data, response)
        # the article keeps its identity even when its page moved
        item.update(url=art["url"], original_url=art.get("original_url") or art["url"], next_revisit_at=None)
        yield item

    def _removed(
        self, art: dict[str, Any], evidence: str, detail: str, status: int, next_at: str | None
    ) -> None:
        new = self.state.store.record_removal(
            art["id"], evidence, detail, http_status=status, run_id=self.state.run_id, next_at=next_at
        )
        self.crawler.stats.inc_value("newsmon/revisits/removed" if new else "newsmon/revisits/still_removed")
        if new:
            logger.info("removed (%s): %s", evidence, art["url"])

    def revisit_failed(self, failure: Failure) -> None:
        """A revisit that could not be fetched: recorded; the article waits for its next check."""
        kind, status, detail = self.classify(failure)
        art = failure.request.meta["revisit"]  # type: ignore[attr-defined]
        self.crawler.stats.inc_value("newsmon/revisits/failed")
        self.state.fail(art["url"], kind, f"revisit: {detail}", status)
        next_at = next_revisit(art["first_seen_at"] or self.clock(), self.clock(), self.revisit_schedule)
        try:
            self.state.store.revisit_checked(art["id"], next_at)
        except StorageError as exc:
            logger.error("%s", exc)

    # -- list pages ----------------------------------------------------------------------------
    def note_list(self, page_url: str, urls: Sequence[str]) -> None:
        """Compare a list page's article links with its previous parse: drops are removals, returns restore."""
        store = self.state.store
        if store is None or self.revisit_schedule is None:
            return
        aliases = self.site.host_aliases
        links = list(dict.fromkeys(canonicalize_url(u, aliases) for u in urls))
        try:
            previous = store.list_snapshot(page_url)
            store.save_list_snapshot(page_url, self.site.name, links)
            restored = store.restore_listed(links)
            if restored:
                self.crawler.stats.inc_value("newsmon/revisits/restored", restored)
            if previous is None:
                return
            drops = removals.dropped_from_list(previous, links)
            for url, art_id in store.article_ids(drops).items():
                if store.record_removal(
                    art_id,
                    "dropped-from-list",
                    f"missing from {page_url} while the entries beside it stay",
                    run_id=self.state.run_id,
                    checked=False,
                ):
                    self.crawler.stats.inc_value("newsmon/revisits/dropped")
                    logger.info("dropped from %s: %s", page_url, url)
        except StorageError as exc:
            logger.error("%s", exc)
            self.crawler.stats.set_value("newsmon/storage_error", str(exc))
