"""Per-crawl state shared by the spider, pipelines and extensions: the store handle, run id, failures."""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Callable
from typing import Any

from crawler.ledger import record_fail
from storage.connection import LockHeld, hold_key_lock
from storage.db import StorageError
from storage.store import Store

logger = logging.getLogger(__name__)

# one RunState per crawler, kept beside it (not set as an attribute on Scrapy's Crawler)
_STATES: weakref.WeakKeyDictionary[Any, RunState] = weakref.WeakKeyDictionary()


class SiteBusy(StorageError):
    """Another crawl of the same site on the same database is running; this one stops before any request."""


class RunState:
    """One crawl's database handle and run row; opened on first use, closed by the RunRecorder (a RunLedger:
    crawler/ledger.py)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db_path: str = crawler.settings.get("NEWSMON_DB")
        self.store: Store | None = None
        self.run_id: int | None = None
        self.site_name: str | None = None
        # set by the spider: the site config file its site came from (the RunRecorder evaluates its
        # watches after the crawl; None: no file) and what to do when the run ends `ok` (called with
        # Scrapy's finish reason, after the run row is written)
        self.sites_path: str | None = None
        self.on_ok: list[Callable[[str], None]] = []
        self._site_lock: int | None = None

    def open(self, site_name: str) -> Store:
        """Open the database (migrating it) and start the run row, once."""
        if self.store is None:
            store = Store(self.db_path)
            if self.db_path != ":memory:":
                try:
                    # one crawl per site and database at a time (manual or scheduled): a second one
                    # would double the requests to the site; it is recorded as skipped and exits non-zero
                    self._site_lock = hold_key_lock(self.db_path, "sites", site_name)
                except LockHeld:
                    reason = f"another crawl of site '{site_name}' is running on this database"
                    store.record_skipped_run(site_name, reason, os.getpid())
                    store.close()
                    raise SiteBusy(f"{self.db_path}: {reason}; not started") from None
            self.store = store
            self.site_name = site_name
            self.run_id = self.store.start_run(site_name)
            logger.info("run %s started for site %s (db %s)", self.run_id, site_name, self.db_path)
        return self.store

    def fail(self, url: str, kind: str, detail: str = "", http_status: int | None = None) -> None:
        """Record a failure and count it in the stats under newsmon/failures/<kind>."""
        record_fail(
            self.store, self.crawler.stats, self.run_id, self.site_name, (url, kind, detail, http_status)
        )

    def close(self) -> None:
        """Close the database connection."""
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._site_lock is not None:
            os.close(self._site_lock)
            self._site_lock = None


def get_run_state(crawler: Any) -> RunState:
    """The RunState of this crawler (created on first call)."""
    state = _STATES.get(crawler)
    if state is None:
        state = _STATES[crawler] = RunState(crawler)
    return state
