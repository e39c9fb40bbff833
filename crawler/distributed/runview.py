"""What a cluster callback runs in: the run it belongs to, its per-callback stats, and RunView, the worker's
RunLedger and Ledger (crawler/ledger.py: lookups in Redis, writes as messages for the ingest writer)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crawler.crawlrun import SiteRun
from crawler.ledger import record_fail
from crawler.sites import Site


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
    """The worker's RunLedger and Ledger (crawler/ledger.py) for one callback: SiteSpider's `state` and
    `state.store`. Lookups read Redis; writes become messages for the ingest writer, which applies them with
    the Store's methods of the same names."""

    def __init__(self, spider: Any, run: Run, stats: RunStats) -> None:
        self.cluster = spider.cluster
        self.run = run
        self.stats = stats
        self.store: RunView = self
        self.run_id: int | None = None  # the run row is the ingest writer's
        self.site_name = run.site.name
        self.messages: list[dict[str, Any]] = []
        self.local_failures: dict[str, tuple[int, str, int | None]] = {}

    # -- RunLedger ---------------------------------------------------------------------------------
    def open(self, site_name: str) -> RunView:
        """The Ledger (this view)."""
        return self

    def fail(self, url: str, kind: str, detail: str = "", http_status: int | None = None) -> None:
        """Record a failure: counted in the run's stats, written by the ingest writer."""
        record_fail(self, self.stats, self.run_id, self.site_name, (url, kind, detail, http_status))

    # -- Ledger: writes, as messages -----------------------------------------------------------------
    def record_failure(
        self,
        run_id: int | None,
        site: str | None,
        url: str,
        kind: str,
        detail: str = "",
        http_status: int | None = None,
    ) -> None:
        """A failure message (the writer records it under the run's row), and known to this callback."""
        self.messages.append(
            {
                "type": "failure",
                "run": self.run.token,
                "site": site,
                "url": url,
                "kind": kind,
                "detail": detail[:2000],
                "status": http_status,
            }
        )
        n = self.local_failures.get(url, (0, kind, http_status))[0]
        self.local_failures[url] = (n + 1, kind, http_status)

    def upsert_sites(self, sites: Iterable[Mapping[str, Any]]) -> None:
        """Site rows, for the ingest writer."""
        self.messages.append({"type": "sites", "rows": list(sites)})

    def save_redirect(self, url: str, target: str) -> None:
        """A redirecting URL, known from now on."""
        self.messages.append({"type": "redirect", "url": url, "target": target})

    # -- Ledger: lookups, in Redis ---------------------------------------------------------------------
    def source_state(self, url: str) -> dict[str, Any] | None:
        """Validators of a source saved by an earlier run."""
        return self.cluster.source_state(url)

    def known_urls(self, urls: Sequence[str]) -> set[str]:
        """Canonical URLs already stored."""
        return self.cluster.known_urls(urls)

    def failed_attempts(self, urls: Sequence[str]) -> dict[str, tuple[int, str, int | None]]:
        """Earlier failures, plus those recorded in this callback (not yet written by the ingest writer)."""
        out = self.cluster.failed_attempts(urls)
        for url in urls:
            if url in self.local_failures:
                n, kind, status = self.local_failures[url]
                out[url] = (out.get(url, (0, kind, status))[0] + n, kind, status)
        return out

    def known_attachments(self, urls: Sequence[str]) -> dict[str, int]:
        """None known to a worker: files are fetched, and the ingest writer stores each content once."""
        return {}


@dataclass
class Context:
    """One callback of a run: its RunView and stats, and what it learned of the run's shared state."""

    run: Run
    view: RunView
    stats: RunStats
    requested0: dict[str, int] = field(default_factory=dict)  # article requests per source before it
    outcome: dict[str, Any] = field(default_factory=dict)

    def learned(self, site_run: SiteRun) -> None:
        """Keep what the callback's SiteRun learned (validators, source failures, new requests per source,
        capped and completed sources), for the commit."""
        self.outcome = {
            "validators": {u: json.dumps(v) for u, v in site_run.validators.items()},
            "srcfail": dict(site_run.source_failures),
            "requested": {
                u: n - self.requested0.get(u, 0)
                for u, n in site_run.requested.items()
                if n != self.requested0.get(u, 0)
            },
            "capped": sorted(site_run.capped),
            "completed": sorted(site_run.completed),
        }

    def run_fields(self) -> tuple[dict[str, int], dict[str, Any], dict[str, Any], dict[str, Any]]:
        """(stats increments, hash sets, hash increments, set additions) of the commit, by key suffix."""
        stats = {k: int(v) for k, v in self.stats.incs.items() if v}
        hset: dict[str, Any] = {}
        if self.outcome.get("validators"):
            hset["validators"] = self.outcome["validators"]
        if self.stats.sets:
            hset[""] = {f"s:{k}": json.dumps(v, default=str) for k, v in self.stats.sets.items()}
        hincr = {name: self.outcome[name] for name in ("srcfail", "requested") if self.outcome.get(name)}
        sadd = {name: self.outcome[name] for name in ("capped", "completed") if self.outcome.get(name)}
        return stats, hset, hincr, sadd
