"""What a cluster callback runs in: the run it belongs to, its per-callback stats, and RunView, the worker's
stand-in for RunState and the Store (lookups in Redis, writes as messages for the ingest writer)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from crawler.sites import Site

logger = logging.getLogger(__name__)


def drain(agen: Any) -> list[Any]:
    """Run an async generator that never really awaits (SiteSpider.start) to completion, synchronously."""
    out = []
    while True:
        step = agen.__anext__()
        try:
            step.send(None)
        except StopIteration as done:
            out.append(done.value)
            continue
        except StopAsyncIteration:
            return out
        step.close()
        raise RuntimeError(
            "SiteSpider.start() awaited something; the worker cannot expand jobs synchronously"
        )


class RunStats:
    """A run's share of the stats from one callback (flushed to the run's hash in Redis)."""

    def __init__(self) -> None:
        self.incs: dict[str, int] = {}
        self.sets: dict[str, Any] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = None) -> None:
        """Add to a counter."""
        self.incs[key] = self.incs.get(key, start) + count

    def set_value(self, key: str, value: Any, spider: Any = None) -> None:
        """Set a value."""
        self.sets[key] = value

    def get_value(self, key: str, default: Any = None, spider: Any = None) -> Any:
        """This callback's value of a key (not the run's total)."""
        return self.incs.get(key, self.sets.get(key, default))


class RunCrawler:
    """The crawler as a callback sees it: the real one, with the run's stats."""

    def __init__(self, crawler: Any, stats: RunStats) -> None:
        self._crawler = crawler
        self.stats = stats

    def __getattr__(self, name: str) -> Any:
        return getattr(self._crawler, name)


@dataclass
class Run:
    """What a worker caches about a run."""

    token: str
    site: Site
    refresh: bool


class RunView:
    """SiteSpider's `state` and `state.store` during a callback: lookups in Redis, writes as messages."""

    def __init__(self, spider: Any, run: Run, stats: RunStats) -> None:
        self.cluster = spider.cluster
        self.run = run
        self.stats = stats
        self.store = self
        self.run_id = None
        self.site_name = run.site.name
        self.messages: list[dict[str, Any]] = []
        self.local_failures: dict[str, tuple[int, str, int | None]] = {}

    def open(self, site_name: str) -> RunView:
        """The store (this view)."""
        return self

    def fail(self, url: str, kind: str, detail: str = "", http_status: int | None = None) -> None:
        """Record a failure: counted in the run's stats, written by the ingest writer."""
        self.stats.inc_value("newsmon/failures")
        self.stats.inc_value(f"newsmon/failures/{kind}")
        logger.warning("failure %s %s: %s", kind, url, detail)
        self.messages.append(
            {
                "type": "failure",
                "run": self.run.token,
                "site": self.site_name,
                "url": url,
                "kind": kind,
                "detail": detail[:2000],
                "status": http_status,
            }
        )
        n = self.local_failures.get(url, (0, kind, http_status))[0]
        self.local_failures[url] = (n + 1, kind, http_status)

    def upsert_sites(self, sites: Any) -> None:
        """Site rows, for the ingest writer."""
        self.messages.append({"type": "sites", "rows": list(sites)})

    def source_state(self, url: str) -> dict[str, Any] | None:
        """Validators of a source saved by an earlier run."""
        return self.cluster.source_state(url)

    def known_urls(self, urls: list[str]) -> set[str]:
        """Canonical URLs already stored."""
        return self.cluster.known_urls(urls)

    def failed_attempts(self, urls: list[str]) -> dict[str, tuple[int, str, int | None]]:
        """Earlier failures, plus those recorded in this callback (not yet written by the ingest writer)."""
        out = self.cluster.failed_attempts(urls)
        for url in urls:
            if url in self.local_failures:
                n, kind, status = self.local_failures[url]
                out[url] = (out.get(url, (0, kind, status))[0] + n, kind, status)
        return out

    def known_attachments(self, urls: list[str]) -> dict[str, int]:
        """None known to a worker: files are fetched, and the ingest writer stores each content once."""
        return {}

    def save_redirect(self, url: str, target: str) -> None:
        """A redirecting URL, known from now on."""
        self.messages.append({"type": "redirect", "url": url, "target": target})


@dataclass
class Context:
    run: Run
    view: RunView
    stats: RunStats
    requested0: dict[str, int] = field(default_factory=dict)
