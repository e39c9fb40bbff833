"""The single SQLite writer of a cluster: drains items and run messages from Redis into the database.

Reliable-queue pattern: messages move from `items` to `items:processing` (BLMOVE, then LMOVE up to a batch),
the batch goes through the same validate_article → fingerprint_article → Store.save_articles as a local
crawl's pipelines, and only after the commit is `processing` cleared. A writer killed mid-batch leaves its batch in
`processing`, which the next start handles first; every write is an idempotent upsert (or checked for a
replay), so a replayed batch stores nothing twice. After each commit the Redis lookups workers use for
only-new fetching (known canonical URLs, earlier failures, source validators) are brought up to date.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from scrapy.exceptions import DropItem

from crawler.crawlrun import SiteRun
from crawler.distributed.cluster import Cluster, _s
from crawler.distributed.runview import RunStats
from crawler.extensions import COUNT_KEYS, run_status
from crawler.ledger import record_fail
from crawler.pipelines import fingerprint_article, validate_article
from crawler.sites import Site, site_from_json
from storage.db import LockHeld, sidecar_lock
from storage.store import Store

logger = logging.getLogger(__name__)

SEED_CHUNK = 5000


class IngestBusy(RuntimeError):
    """Another ingest writer holds this database."""


@contextlib.contextmanager
def ingest_lock(db_path: str) -> Iterator[None]:
    """Hold `<db>.ingest.lock`: one writer per database (released by the kernel even on SIGKILL)."""
    try:
        with sidecar_lock(db_path, "ingest", wait=False):
            yield
    except LockHeld as exc:
        raise IngestBusy(f"another ingest writer (pid {exc.holder}) is running for {db_path}") from exc


class WriterRun:
    """The ingest writer's RunLedger (crawler/ledger.py) for the item it validates: the Store, and the run
    row and site of the item's run. Its failure counts stay here: the workers' stats are the run's."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run_id: int | None = None
        self.site_name: str | None = None
        self.stats = RunStats()

    def open(self, site_name: str) -> Store:
        """The Store (open for the writer's whole life)."""
        return self.store

    def fail(self, url: str, kind: str, detail: str = "", http_status: int | None = None) -> None:
        """Record a failure of the run (an item the workers sent that is no article)."""
        record_fail(self.store, self.stats, self.run_id, self.site_name, (url, kind, detail, http_status))


class Ingest:
    """Drains a cluster's items into one database."""

    def __init__(
        self,
        cluster: Cluster,
        db_path: str,
        *,
        batch_size: int = 100,
        block_seconds: int = 1,
        watch_config: str | None = None,
    ) -> None:
        self.watch_config = watch_config  # a TOML file whose [[watch]] tables are synced before evaluating
        self.cluster = cluster
        self.keys = cluster.keys
        self.server = cluster.server
        self.db_path = db_path
        self.store = Store(db_path)
        self.batch_size = batch_size
        self.block_seconds = block_seconds
        self.state = WriterRun(self.store)
        self.run_ids: dict[str, int] = {}
        self.sites: dict[str, Site] = {}
        self.rows = 0
        self.busy_seconds = 0.0

    def close(self) -> None:
        """Close the database."""
        self.store.close()

    # -- start ----------------------------------------------------------------------------------------
    def seed(self) -> dict[str, int]:
        """Publish the database's known URLs, failures and source validators to Redis (atomic swaps)."""
        counts = {}
        counts["known"] = self._swap_set(self.keys.known, self.store.iter_known_urls())
        failed = ((url, json.dumps(list(attempts))) for url, attempts in self.store.iter_failed_attempts())
        counts["failed"] = self._swap_hash(self.keys.failed, failed)
        # without the `complete` mark, as the seed has always published them: a worker trusts an early
        # stop only once a cluster run's finish has published the source again
        sources = (
            (url, json.dumps({k: v for k, v in state.items() if k != "complete"}))
            for url, state in self.store.iter_source_states()
        )
        counts["sources"] = self._swap_hash(self.keys.sources, sources)
        logger.info("seeded Redis from %s: %s", self.db_path, counts)
        return counts

    def _swap_set(self, key: str, values: Any) -> int:
        tmp, n, chunk = key + ":seeding", 0, []
        self.server.delete(tmp)
        for v in values:
            chunk.append(v)
            if len(chunk) >= SEED_CHUNK:
                n += self.server.sadd(tmp, *chunk)
                chunk = []
        if chunk:
            n += self.server.sadd(tmp, *chunk)
        if n:
            self.server.rename(tmp, key)
        else:
            self.server.delete(key)
        return n

    def _swap_hash(self, key: str, pairs: Any) -> int:
        tmp, n, chunk = key + ":seeding", 0, {}
        self.server.delete(tmp)
        for k, v in pairs:
            chunk[k] = v
            if len(chunk) >= SEED_CHUNK:
                n += len(chunk)
                self.server.hset(tmp, mapping=chunk)
                chunk = {}
        if chunk:
            n += len(chunk)
            self.server.hset(tmp, mapping=chunk)
        if n:
            self.server.rename(tmp, key)
        else:
            self.server.delete(key)
        return n

    # -- loop -----------------------------------------------------------------------------------------
    def step(self) -> int:
        """Take one batch (a leftover one first), store it, then clear it from `processing`; its size."""
        k = self.keys
        if not self.server.llen(k.processing):
            if self.server.blmove(k.items, k.processing, self.block_seconds, "RIGHT", "LEFT") is None:
                return 0
            pipe = self.server.pipeline(transaction=False)
            for _ in range(self.batch_size - 1):
                pipe.lmove(k.items, k.processing, "RIGHT", "LEFT")
            pipe.execute()
        raw = self.server.lrange(k.processing, 0, -1)
        raw.reverse()  # oldest first
        t0 = time.perf_counter()
        self.process([json.loads(r) for r in raw])
        self.busy_seconds += time.perf_counter() - t0
        self.server.delete(k.processing)  # only this writer moves messages into processing
        return len(raw)

    def run(self, should_stop: Any = lambda: False, exit_when_idle: float | None = None) -> None:
        """Drain until should_stop() (or, with exit_when_idle, until nothing arrived for that long and no
        run is active)."""
        idle_since = time.monotonic()
        while not should_stop():
            if self.step():
                idle_since = time.monotonic()
                continue
            if (
                exit_when_idle is not None
                and time.monotonic() - idle_since >= exit_when_idle
                and not self.cluster.active_runs()
                and not self.server.llen(self.keys.items)
            ):
                return

    # -- messages -------------------------------------------------------------------------------------
    def process(self, messages: Sequence[Mapping[str, Any]]) -> None:
        """Handle a batch in order; consecutive items are stored together."""
        items: list[Mapping[str, Any]] = []
        for m in messages:
            if m.get("type") == "item":
                items.append(m)
                continue
            self._store_items(items)
            items = []
            handler = getattr(self, "_on_" + str(m.get("type", "")).replace("-", "_"), None)
            if handler is None:
                logger.warning("ignoring unknown message %r", m.get("type"))
                continue
            handler(m)
        self._store_items(items)

    def _store_items(self, messages: Sequence[Mapping[str, Any]]) -> None:
        by_run: dict[str, list[dict[str, Any]]] = {}
        dropped: dict[str, RunStats] = {}  # per run: the failures its refused items counted
        for m in messages:
            token = m["run"]
            run_id = self.run_id(token)
            site = self.site_of(token)
            self.state.run_id, self.state.site_name = run_id, site.name if site else None
            self.state.stats = dropped.setdefault(token, RunStats())
            try:
                item = validate_article(dict(m["item"]), self.state)
                item = fingerprint_article(item, site.host_aliases if site else None)
            except DropItem as exc:
                logger.info("dropped: %s", exc)
                continue
            by_run.setdefault(token, []).append(item)
        # into the run's stats hash, as a local run's ValidatePipeline counts them in the crawl's stats
        pipe = self.server.pipeline(transaction=False)
        for token, stats in dropped.items():
            for key, n in stats.incs.items():
                pipe.hincrby(self.keys.run(token), f"s:{key}", n)
        pipe.execute()
        for token, batch in by_run.items():
            outcomes = self.store.save_articles(batch, self.run_ids[token])
            counts: dict[str, int] = {}
            for outcome in outcomes:
                counts[outcome] = counts.get(outcome, 0) + 1
            pipe = self.server.pipeline(transaction=True)
            pipe.sadd(self.keys.known, *(item["url"] for item in batch))
            for outcome, n in counts.items():
                pipe.hincrby(self.keys.run(token), f"s:newsmon/items/{outcome}", n)
            pipe.hincrby(self.keys.run(token), "s:newsmon/items/stored", len(batch))
            pipe.execute()
            self.rows += len(batch)

    def run_id(self, token: str) -> int:
        """The run row of a token (created if its run-start message was never seen)."""
        run_id = self.run_ids.get(token)
        if run_id is None:
            raw = self.server.hget(self.keys.run(token), "run_id")
            if raw is not None:
                run_id = self.run_ids[token] = int(raw)
            else:
                info = self.cluster.run_info(token)
                run_id = self._start_run(
                    {"run": token, "site": info.get("site", "?"), "site_json": info.get("site_json")}
                )
        return run_id

    def site_of(self, token: str) -> Site | None:
        """The site config a run was queued with."""
        site = self.sites.get(token)
        if site is None:
            raw = self.server.hget(self.keys.run(token), "site_json")
            if raw:
                site = self.sites[token] = site_from_json(_s(raw))
        return site

    def _start_run(self, m: Mapping[str, Any]) -> int:
        # the row of a replayed message is found, not inserted again: never two rows per run
        token = m["run"]
        run_id = self.store.start_marked_run(
            m["site"], f"cluster run {token}", m.get("pid"), m.get("host") or f"redis:{self.keys.prefix}"
        )
        self.server.hset(self.keys.run(token), "run_id", run_id)
        self.run_ids[token] = run_id
        return run_id

    def _on_run_start(self, m: Mapping[str, Any]) -> None:
        self._start_run(m)
        if m.get("site_json"):
            self.sites[m["run"]] = site_from_json(m["site_json"])

    def _on_sites(self, m: Mapping[str, Any]) -> None:
        self.store.upsert_sites(m["rows"])

    def _on_failure(self, m: Mapping[str, Any]) -> None:
        # a replayed batch records no failure twice
        failure = (m["url"], m["kind"], m.get("detail") or "", m.get("status"))
        self.store.record_failure_once(self.run_id(m["run"]), m.get("site"), failure)
        for url, (n, kind, status) in self.store.failed_attempts([m["url"]]).items():
            self.server.hset(self.keys.failed, url, json.dumps([n, kind, status]))

    def _on_redirect(self, m: Mapping[str, Any]) -> None:
        self.store.save_redirect(m["url"], m["target"])
        self.server.sadd(self.keys.known, m["url"])

    def _on_run_finish(self, m: Mapping[str, Any]) -> None:
        token = m["run"]
        k = self.keys
        info = self.cluster.run_info(token)
        run_id = self.run_id(token)
        site = info.get("site", "?")
        stats: dict[str, Any] = {}
        for key, value in info.items():
            if key.startswith("s:"):
                try:
                    stats[key[2:]] = int(value)
                except ValueError:
                    stats[key[2:]] = json.loads(value)
        stats["newsmon/cluster/workers"] = sorted(_s(w) for w in self.server.smembers(k.workers))
        # "closespider_itemcount" when the site's max_articles cut the run short (the commit script sets
        # it), as a local crawl closed by CLOSESPIDER_ITEMCOUNT records it
        reason = info.get("finish_reason") or "finished"
        stats["finish_reason"] = reason
        status, why = run_status(stats, reason)
        if info.get("cancelled"):
            status, why = "failed", "cancelled before the crawl finished"
        counts = {name: int(stats.get(key, 0)) for name, key in COUNT_KEYS.items()}
        settled = self.store.run_status(run_id)
        unsettled = settled == "running"
        # SiteSpider.save_validators' rule (SiteRun.write_finish): only a run that finished `ok` saves validators and marks its
        # sources complete; any other run — cut short, failed, or already settled by the scheduler's time
        # limit — clears the marks (a local run clears them at its start)
        if unsettled and status == "ok" and reason == "finished":
            self._save_validators(token, site)
        else:
            self._clear_complete(token)
        if unsettled:
            self.store.finish_run(run_id, status, reason=why, counts=counts, stats=stats)
            logger.info("run %s (%s) of %s finished: %s (%s) %s", run_id, token, site, status, why, counts)
        else:  # already settled (the scheduler stopped it for its time limit): keep that verdict
            logger.info("run %s of %s was already recorded as %s", run_id, site, settled or "missing")
        self._run_watches(site)
        self.server.hset(k.run(token), mapping={"status": "done", "run_id": run_id, "run_status": status})
        self.cluster.drop_run_keys(token, site)
        self.run_ids.pop(token, None)
        self.sites.pop(token, None)

    def _run_watches(self, site: str) -> None:
        """Keyword watches, as a local crawl runs them at its end: evaluate the new articles, send alerts."""
        try:
            from crawler.watchconfig import run_watches

            out = run_watches(self.store.db, self.watch_config, notify=True, budget_seconds=20.0)
            if out.get("hits"):
                logger.info("run of %s: %s keyword-watch hit(s)", site, out["hits"])
        except Exception:  # alerts never stop the writer
            logger.exception("keyword watches after the run of %s failed", site)

    def _clear_complete(self, token: str, urls: Sequence[str] | None = None) -> None:
        """Sources (default: all the run's) not walked to their end: the next run must not stop paging early."""
        if urls is None:
            site = self.site_of(token)
            urls = [src.url for src in site.sources] if site else []
        if urls:
            self._set_sources_complete(urls, False)

    def _save_validators(self, token: str, site: str) -> None:
        """A finished run's end, by SiteRun's own rule (write_finish), from what its workers committed."""
        k = self.keys
        validators = {
            _s(u): tuple(json.loads(v)) for u, v in self.server.hgetall(k.run(token, "validators")).items()
        }
        failures = {_s(u): int(n) for u, n in self.server.hgetall(k.run(token, "srcfail")).items()}
        capped = {_s(u) for u in self.server.smembers(k.run(token, "capped"))}
        run = SiteRun(site, validators=validators, source_failures=failures, capped=capped)
        run.write_finish("finished", self._save_source_state, self._set_sources_complete)
        # a source cut short (NEWSMON_MAX_ARTICLES_PER_SOURCE) or with failures was not walked completely (a
        # local run cleared its mark at its start; a cluster run's workers leave that to this writer)
        self._clear_complete(token, sorted({u for u, n in failures.items() if n} | capped))

    def _save_source_state(
        self, url: str, site: str, etag: str | None, modified: str | None, status: int, complete: bool = True
    ) -> None:
        self.store.save_source_state(url, site, etag, modified, status, complete)
        self._publish_sources([url])

    def _set_sources_complete(self, urls: Sequence[str], complete: bool) -> None:
        self.store.set_sources_complete(urls, complete)
        self._publish_sources(urls)

    def _publish_sources(self, urls: Sequence[str]) -> None:
        """The sources' saved state, for the workers' conditional requests and early stops."""
        for url in urls:
            state = self.store.source_state(url)
            if state is not None:
                self.server.hset(self.keys.sources, url, json.dumps(state))
