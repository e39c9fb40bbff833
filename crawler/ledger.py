"""The persistence seam of a crawl: what the spider's callbacks ask of and tell the archive (`Ledger`), and
the run as they see it (`RunLedger`). No Scrapy, no SQL.

Locally `storage.store.Store` is the Ledger (structurally: storage imports nothing from crawler) and
`crawler.runstate.RunState` the RunLedger; in a cluster worker `crawler.distributed.runview.RunView` is
both (lookups in Redis, writes as messages for the ingest writer, which then calls the Store's own
methods). A method the spider starts calling on its store must be added here, and then both sides must
implement it: tests/test_ledger.py fails when they drift or when spider code calls a non-member.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from crawler.crawlrun import Lookups, Stats
from storage.db import StorageError

logger = logging.getLogger(__name__)


@runtime_checkable
class Ledger(Lookups, Protocol):
    """The archive as a crawl's callbacks use it: lookups (stored URLs, failures, attachments, source
    validators) and the writes a callback makes itself (site rows, redirects, failures)."""

    def known_attachments(self, urls: Sequence[str]) -> dict[str, int]:
        """URL → id of attachments already stored with their content."""
        ...

    def source_state(self, url: str) -> dict[str, Any] | None:
        """Saved validators of a list page, feed or sitemap, and whether its last walk was complete."""
        ...

    def upsert_sites(self, sites: Iterable[Mapping[str, Any]]) -> None:
        """Record configured sites."""
        ...

    def save_redirect(self, url: str, target: str) -> None:
        """Remember that canonical `url` redirects to the article at `target`."""
        ...

    def record_failure(
        self,
        run_id: int | None,
        site: str | None,
        url: str,
        kind: str,
        detail: str = "",
        http_status: int | None = None,
    ) -> None:
        """Record one failed fetch or extraction of a run."""
        ...


@runtime_checkable
class RunLedger(Protocol):
    """One run as the spider sees it: its Ledger (None until opened), its run row, and `fail`."""

    @property
    def store(self) -> Ledger | None:
        """The run's Ledger, once opened."""
        ...

    @property
    def run_id(self) -> int | None:
        """The run row (None where the ingest writer owns it)."""
        ...

    def open(self, site_name: str) -> Ledger:
        """The run's Ledger (opened, and the run started, on first call)."""
        ...

    def fail(self, url: str, kind: str, detail: str = "", http_status: int | None = None) -> None:
        """Record a failure of this run and count it."""
        ...


class FailureStats(Stats, Protocol):
    """A stats sink that also sets and reads values (Scrapy's collector; the worker's RunStats)."""

    def set_value(self, key: str, value: Any) -> None:
        """Set key."""
        ...

    def get_value(self, key: str, default: Any = None) -> Any:
        """The value of key."""
        ...


def record_fail(
    ledger: Ledger | None,
    stats: FailureStats,
    run_id: int | None,
    site_name: str | None,
    failure: tuple[str, str, str, int | None],
) -> None:
    """The one `fail` of both modes: count under newsmon/failures/<kind>, log, and record it in the Ledger.

    failure is (url, kind, detail, http status). A failing database (disk full, read-only) is said once in
    the stats and does not stop the crawl.
    """
    url, kind, detail, http_status = failure
    stats.inc_value("newsmon/failures")
    stats.inc_value(f"newsmon/failures/{kind}")
    logger.warning("failure %s %s: %s", kind, url, detail)
    if ledger is None:
        return
    try:
        ledger.record_failure(run_id, site_name, url, kind, detail, http_status)
    except StorageError as exc:
        if not stats.get_value("newsmon/storage_error"):
            logger.error("%s", exc)
            stats.set_value("newsmon/storage_error", str(exc))
