"""Scrapy components of a crawl worker, built on scrapy-redis: scheduler, reliable queue, run-scoped
dupefilter, and cluster-wide per-host politeness.

scrapy-redis 0.9.1 is used as it is where it works with Scrapy 2.19 (its Scheduler, its request
(de)serialisation and its RFPDupeFilter fingerprint) and subclassed where a shared, long-lived cluster
needs more (docs/scaleout.md): pops go into a per-worker in-flight hash instead of vanishing, retries and
redirects replace their in-flight original atomically, and the seen-set is per run so list pages are
fetched again by the next run.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import weakref
from typing import Any

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.cluster import DEFAULT_PREFIX, Cluster, _s, connect, worker_id

logger = logging.getLogger(__name__)

# one handle per crawler, kept beside it (not set as an attribute on Scrapy's Crawler)
_CLUSTERS: weakref.WeakKeyDictionary[Any, WorkerCluster] = weakref.WeakKeyDictionary()
INFLIGHT = "newsmon_inflight"  # request.meta: id of the popped request's in-flight entry
RUN = "newsmon_run"  # request.meta: token of the run the request belongs to
SLOT = "newsmon_slot"  # request.meta: (host key, holder) of the politeness lease it holds
# Scrapy's engine asks the scheduler for requests after each response and, when idle, every this many
# seconds (5.0). Scrapy 2.19 has no public setting for it: this private ExecutionEngine class attribute is
# read when the engine starts processing (after spider_opened). tests/test_scaleout.py fails when Scrapy
# drops or stops reading it.
ENGINE_HEARTBEAT = "_SLOT_HEARTBEAT_INTERVAL"


def quicken_engine_heartbeat(engine: Any, seconds: float) -> bool:
    """Make an idle engine ask the scheduler every `seconds` (so a worker notices requests other workers
    pushed); call before the engine starts. False, and Scrapy's own interval, when the attribute is gone."""
    if not hasattr(engine, ENGINE_HEARTBEAT):
        logger.warning("Scrapy has no %s: idle workers poll the queue every 5 s", ENGINE_HEARTBEAT)
        return False
    setattr(engine, ENGINE_HEARTBEAT, seconds)
    return True


class WorkerCluster(Cluster):
    """A worker's cluster handle: its id, lease and the in-flight entries this process holds."""

    def __init__(self, server: Any, prefix: str, worker: str, lease_ms: int) -> None:
        super().__init__(server, prefix)
        self.worker = worker
        self.lease_ms = lease_ms
        self.inflight_ids: set[str] = set()

    def release_orphans(self) -> int:
        """Put back in-flight entries this process does not hold (a pop whose reply a Redis restart lost)."""
        n = 0
        for raw in self.server.hkeys(self.keys.inflight(self.worker)):
            entry = _s(raw)
            if entry not in self.inflight_ids:
                n += int(self._call(self.release_script, self.worker, entry))
        while self.server.lmove(self.keys.claimed(self.worker), self.keys.jobs, "LEFT", "RIGHT"):
            n += 1  # job expansion is synchronous: a claimed job outside it is an orphan too
        return n


def get_cluster(crawler: Any) -> WorkerCluster:
    """The crawler's cluster handle, built once from REDIS_URL and NEWSMON_* settings."""
    cluster = _CLUSTERS.get(crawler)
    if cluster is None:
        settings = crawler.settings
        url = settings.get("REDIS_URL")
        if not url:
            raise NotConfigured("REDIS_URL is not set")
        cluster = WorkerCluster(
            connect(url),
            settings.get("NEWSMON_REDIS_PREFIX") or DEFAULT_PREFIX,
            settings.get("NEWSMON_WORKER_ID") or worker_id(),
            int(settings.getfloat("NEWSMON_WORKER_LEASE", 10.0) * 1000),
        )
        _CLUSTERS[crawler] = cluster
    return cluster


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop moves the request into this worker's in-flight hash."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.cluster = get_cluster(spider.crawler)

    def pop(self, timeout: int = 0) -> Request | None:
        """Pop the next request (never blocks: a blocking pop would stall the reactor)."""
        res = self.cluster.pop_script(args=[self.cluster.keys.prefix, self.cluster.worker])
        if not res:
            return None
        entry, blob = _s(res[0]), res[1]
        request = self._decode_request(blob)
        request.meta[INFLIGHT] = entry
        self.cluster.inflight_ids.add(entry)
        # learn the run's site now: its hosts' politeness limits apply from the first request (robots.txt)
        load_run = getattr(self.spider, "load_run", None)
        if load_run is not None:
            load_run(request.meta.get(RUN))
        return request

    def encode(self, request: Request) -> bytes:
        """The request as stored in the queue."""
        return self._encode_request(request)


class RunDupeFilter(RFPDupeFilter):
    """scrapy-redis's seen-set, kept per run: the next run must fetch list pages (page 2, 3 …) again."""

    def __init__(self, server: Any, cluster: Cluster) -> None:
        super().__init__(server, key=f"{cluster.keys.prefix}:dupefilter")
        self.cluster = cluster

    @classmethod
    def from_spider(cls, spider: Any) -> RunDupeFilter:
        """Build from the spider's crawler (scrapy-redis's scheduler calls this)."""
        cluster = get_cluster(spider.crawler)
        return cls(cluster.server, cluster)

    def key_for(self, request: Request) -> str:
        """The seen-set of the request's run (or the worker-wide one for requests of no run)."""
        token = request.meta.get(RUN)
        return self.cluster.keys.run(token, "df") if token else self.key

    def request_seen(self, request: Request) -> bool:
        """Add the fingerprint to the run's seen-set; True when it was there already."""
        return self.server.sadd(self.key_for(request), self.request_fingerprint(request)) == 0

    def close(self, reason: str = "") -> None:
        """Keep the seen-sets: they belong to the cluster, not to this worker."""


class ClusterScheduler(Scheduler):
    """scrapy-redis's Scheduler on the reliable queue; retries and redirects replace their original."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> ClusterScheduler:
        """Build on the worker's cluster connection (persistent: a worker closing never flushes the queue)."""
        cluster = get_cluster(crawler)
        cluster.server.ping()
        scheduler = cls(
            server=cluster.server,
            persist=True,
            flush_on_start=False,
            queue_key=cluster.keys.requests,
            queue_cls="crawler.distributed.worker.ReliableQueue",
            dupefilter=RunDupeFilter(cluster.server, cluster),
            idle_before_close=0,
        )
        scheduler.stats = crawler.stats
        scheduler.cluster = cluster
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        """Queue a request; one that replaces a popped request retires the original in the same step."""
        entry = request.meta.pop(INFLIGHT, None)
        token = request.meta.get(RUN, "")
        if entry is None and not token:
            return bool(super().enqueue_request(request))
        fp = "" if request.dont_filter else self.df.request_fingerprint(request)
        blob = self.queue.encode(request)
        cluster = self.cluster
        res = int(
            cluster.requeue_script(
                args=[cluster.keys.prefix, cluster.worker, entry or "", blob, -request.priority, fp, token]
            )
        )
        if entry is not None:
            cluster.inflight_ids.discard(entry)
        if res == 1:
            self.stats.inc_value("scheduler/enqueued/redis")
            return True
        if res < 0:
            self.stats.inc_value("newsmon/cluster/stale")
        return False


class ClusterPoliteness:
    """Per-host request rate for the whole cluster: a lease in Redis before every download.

    At most `concurrency` requests to a host are in progress and consecutive ones start at least `delay`
    seconds apart, counted over every worker: the site's `concurrency`/`delay` (NEWSMON_CLUSTER_DELAY when
    the site sets none; NEWSMON_CLUSTER_CONCURRENCY overrides every site). Leases expire after the
    download timeout, so a killed worker cannot hold a host.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.cluster = get_cluster(crawler)
        settings = crawler.settings
        self.default_delay = settings.getfloat("NEWSMON_CLUSTER_DELAY", 0.25)
        self.concurrency_override = settings.getint("NEWSMON_CLUSTER_CONCURRENCY", 0)
        self.lease_ms = int((settings.getfloat("DOWNLOAD_TIMEOUT", 30) + 15) * 1000)
        self._seq = itertools.count()

    @classmethod
    def from_crawler(cls, crawler: Any) -> ClusterPoliteness:
        """Build from the crawler; off when NEWSMON_CLUSTER_POLITENESS is false."""
        if not crawler.settings.getbool("NEWSMON_CLUSTER_POLITENESS", True):
            raise NotConfigured
        return cls(crawler)

    def limits(self, netloc: str) -> tuple[int, float]:
        """(concurrency, delay) for a host."""
        spider = self.crawler.spider
        site = spider.site_for_host(netloc) if hasattr(spider, "site_for_host") else None
        if site is None:
            logger.debug("no site known for host %s: default politeness", netloc)
        concurrency = self.concurrency_override or (site.concurrency if site else 1)
        delay = site.delay if site is not None and site.delay is not None else self.default_delay
        return max(1, concurrency), max(0.0, delay)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Wait for a free lease of the request's host."""
        netloc = urlparse_cached(request).netloc
        concurrency, delay = self.limits(netloc)
        key = self.cluster.keys.host(netloc)
        holder = f"{self.cluster.worker}:{next(self._seq)}"
        waits = 0
        while True:
            wait_ms = int(
                self.cluster.acquire_script(
                    keys=[key], args=[concurrency, int(delay * 1000), self.lease_ms, holder]
                )
            )
            if wait_ms == 0:
                break
            waits += 1
            # -1: all slots busy; poll briefly. Otherwise sleep until the host's next start time.
            await asyncio.sleep(0.01 if wait_ms < 0 else min(wait_ms / 1000, 1.0))
        if waits:
            self.crawler.stats.inc_value("newsmon/cluster/politeness_waits")
        request.meta[SLOT] = (key, holder)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        """Give the lease back."""
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException, spider: Any = None) -> None:
        """Give the lease back."""
        self._release(request)

    def _release(self, request: Request) -> None:
        slot = request.meta.pop(SLOT, None)
        if slot is not None:
            self.cluster.server.zrem(slot[0], slot[1])
