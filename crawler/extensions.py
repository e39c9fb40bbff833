"""RunRecorder: writes the crawl's run row, with a status derived from its stats (not its exit code)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.runstate import get_run_state
from storage.db import StorageError

logger = logging.getLogger(__name__)

COUNT_KEYS = {
    "pages": "response_received_count",
    "list_pages": "newsmon/list_pages",
    "links_found": "newsmon/links_found",
    "new_items": "newsmon/items/new",
    "duplicate_items": "newsmon/items/duplicate",
    "updated_items": "newsmon/items/updated",
}


def run_status(stats: Mapping[str, Any], reason: str) -> tuple[str, str]:
    """Decide a run's status and a human reason from its Scrapy stats and finish reason."""

    def n(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    sources, sources_ok, unchanged = (
        n("newsmon/sources"),
        n("newsmon/sources_ok"),
        n("newsmon/sources_unchanged"),
    )
    blocked, links = n("newsmon/failures/blocked"), n("newsmon/links_found")
    fetched_lists = n("newsmon/list_pages") - unchanged
    requested, extracted = n("newsmon/article_requests"), n("newsmon/articles_extracted")
    art_failed, art_blocked = n("newsmon/article_failures"), n("newsmon/article_failures/blocked")
    pages, parse_failures = n("newsmon/article_pages"), n("newsmon/failures/parse")
    # articles asked again because an earlier run failed on them: one permanently broken page must not
    # turn every later run of a healthy site into a failure
    retries = n("newsmon/article_retries")
    if reason == "shutdown":
        return "failed", "shutdown: stopped before the crawl finished"
    if reason not in ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"):
        return "failed", f"crawl ended early: {reason}"
    if stats.get("newsmon/storage_error"):
        return "failed", f"storage error: {stats['newsmon/storage_error']}"
    if sources == 0:
        return "failed", "no source was requested"
    if blocked and sources_ok == 0:
        return "blocked", f"{blocked} anti-bot challenge page(s); no source could be read"
    if sources_ok == 0:
        return "failed", "no source could be fetched"
    if fetched_lists > 0 and links == 0 and unchanged < sources:
        return "failed", "no article links found on any source (site layout changed?)"
    if requested > retries and not extracted and art_failed >= requested:
        if art_blocked == art_failed:
            return "blocked", f"all {requested} article request(s) met an anti-bot challenge"
        return "failed", f"all {requested} article request(s) failed"
    if pages >= 3 and not extracted and parse_failures >= pages:
        return "failed", f"none of {pages} article pages could be extracted (page layout changed?)"
    failed = art_failed + parse_failures
    if failed:
        again = f", {min(retries, art_failed)} of them asked again" if retries else ""
        return "ok", f"{reason}; {failed} article(s) failed{again} (see failures)"
    return "ok", reason


class RunRecorder:
    """Opens the run row when the spider opens and closes it with status, counts and stats."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.state = get_run_state(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunRecorder:
        """Build from the crawler; off when NEWSMON_RECORD_RUNS is false."""
        if not crawler.settings.getbool("NEWSMON_RECORD_RUNS", True):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        """Start the run row (a site spider started it under its site's name in from_crawler already)."""
        self.state.open(self.state.site_name or spider.name)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Finish the run row with a status derived from the stats."""
        stats = self.crawler.stats.get_stats()
        status, why = run_status(stats, reason)
        counts = {k: int(stats.get(v, 0)) for k, v in COUNT_KEYS.items()}
        store = self.state.store
        if store is None:
            return
        try:
            # the run row first: whatever follows (validators, alerts) must not leave it `running`
            store.finish_run(self.state.run_id or 0, status, reason=why, counts=counts, stats=stats)
            logger.info("run %s finished: %s (%s) %s", self.state.run_id, status, why, counts)
            if status == "ok":
                for hook in self.state.on_ok:  # the spider's (SiteSpider: keep the list-page validators)
                    hook(reason)
            self._run_watches(store, self.state.sites_path)
        except StorageError as exc:
            logger.error("could not record the end of run %s: %s", self.state.run_id, exc)
        finally:
            self.state.close()

    # -- keyword watches (issue #10) --------------------------------------------------------------
    def _run_watches(self, store: Any, sites_path: str | None) -> None:
        """Match this run's new articles against the watches (those of the config file sites_path, when
        there is one) and send due alerts; never fails the run."""
        if not self.crawler.settings.getbool("NEWSMON_WATCHES", True):
            return
        try:
            from crawler.watchconfig import run_watches

            out = run_watches(
                store.db,
                sites_path,
                notify=self.crawler.settings.getbool("NEWSMON_WATCH_NOTIFY", True),
                budget_seconds=self.crawler.settings.getfloat("NEWSMON_WATCH_NOTIFY_SECONDS", 20.0),
            )
            for key, value in out.items():
                self.crawler.stats.set_value(f"newsmon/watch/{key}", value)
        except Exception:
            logger.exception("keyword watches failed (the run itself is not affected)")
