"""Item pipelines: validate → fingerprint (canonical URL, content hash, signature) → store in batches."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro

from crawler.canonical import canonicalize_url
from crawler.ledger import RunLedger
from crawler.runstate import get_run_state
from crawler.signatures import content_hash, signature
from storage.db import StorageError

logger = logging.getLogger(__name__)

REQUIRED = ("url", "site", "title", "body_text")


def validate_article(item: dict[str, Any], run: RunLedger) -> dict[str, Any]:
    """Pass a valid article; drop the rest, recording why as a `parse` failure of the run."""
    missing = [k for k in REQUIRED if not (item.get(k) or "").strip()]
    if missing:
        run.fail(item.get("original_url") or item.get("url") or "?", "parse", f"missing {', '.join(missing)}")
        raise DropItem(f"article without {', '.join(missing)}: {item.get('url')}")
    return item


def fingerprint_article(item: dict[str, Any], aliases: Mapping[str, str] | None) -> dict[str, Any]:
    """Fill the canonical URL (with the site's host aliases), content_hash and signature."""
    item["url"] = canonicalize_url(item["url"], aliases)
    item["content_hash"] = content_hash(item["body_text"])
    item["signature"] = signature(item["body_text"])
    return item


class ValidatePipeline:
    """Drop items without a title or body, recording why as a `parse` failure (validate_article)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
        """Build from the crawler."""
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Pass valid articles; drop the rest with a recorded failure."""
        return validate_article(item, get_run_state(self.crawler))


class FingerprintPipeline:
    """Fill the canonical URL, the exact content hash and the near-duplicate signature (fingerprint_article)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> FingerprintPipeline:
        """Build from the crawler."""
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Add url (canonical), content_hash and signature."""
        return fingerprint_article(item, getattr(self.crawler.spider, "host_aliases", None))


class StorePipeline:
    """Write articles in small BEGIN IMMEDIATE batches (by count or age), so a kill loses one batch at most."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.state = get_run_state(crawler)
        self.batch_size = crawler.settings.getint("NEWSMON_BATCH_SIZE", 25)
        self.batch_seconds = crawler.settings.getfloat("NEWSMON_BATCH_SECONDS", 2.0)
        self.pending: list[dict[str, Any]] = []
        self.oldest: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        """Build from the crawler."""
        return cls(crawler)

    def open_spider(self) -> None:
        """Open the store and the run row."""
        spider = self.crawler.spider
        self.state.open(getattr(spider, "site_name", spider.name))

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Queue the item; flush when the batch is full or old."""
        self.pending.append(item)
        if self.oldest is None:
            self.oldest = time.monotonic()
        if len(self.pending) >= self.batch_size or time.monotonic() - self.oldest >= self.batch_seconds:
            self.flush()
        return item

    def flush(self) -> None:
        """Commit the pending batch in one transaction and count outcomes."""
        if not self.pending:
            return
        batch, self.pending, self.oldest = self.pending, [], None
        store = self.state.store
        if store is None:
            raise RuntimeError("store not open")
        stats = self.crawler.stats
        try:
            outcomes = store.save_articles(batch, self.state.run_id)
        except Exception as exc:  # StorageError, or a bug in story assignment: the batch was rolled back
            if not isinstance(exc, StorageError):
                logger.exception("storing a batch of %d articles failed", len(batch))
            stats.set_value("newsmon/storage_error", f"{type(exc).__name__}: {exc}")
            logger.error("%s; closing the crawl", exc)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage_error"))
            raise DropItem(str(exc)) from exc
        for outcome in outcomes:
            stats.inc_value(f"newsmon/items/{outcome}")
        stats.inc_value("newsmon/items/stored", len(batch))

    def close_spider(self) -> None:
        """Commit what is left."""
        with contextlib.suppress(DropItem):
            self.flush()
