"""The Redis side of scale-out: key names, a reconnecting client, and the Lua scripts that make the shared
request queue reliable. Imports no Scrapy (the scheduler's enqueueing runner uses it).

Reliability rests on one rule: every change a worker makes for a request it popped happens in ONE Lua
script, guarded by removing that request's in-flight entry. A request is popped into the worker's
in-flight hash (atomically); its callback's outcome (child requests, items, failures, per-run stats) is
committed together with the removal of that entry; a worker found dead (its lease key expired) has its
in-flight entries put back into the queue by whichever worker notices. A stale worker that comes back
finds its entries gone and its commit refused, so each request's outcome is committed exactly once.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Sequence
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import BusyLoadingError, ConnectionError, RedisError, TimeoutError
from redis.retry import Retry

from crawler.distributed.scripts import ACQUIRE, COMMIT, POP, REAP, RELEASE, REQUEUE

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "newsmon"
RECONNECT_ATTEMPTS = 60  # with the backoff capped at 1 s: about a minute of Redis being away
RUN_KEY_TTL = 7 * 86400  # finished runs' bookkeeping is kept a week for `newsmon cluster-status`
RUN_SUFFIXES = ("df", "claims", "validators", "srcfail", "capped", "requested", "completed")


def connect(url: str) -> redis.Redis:
    """A client that retries commands through a Redis restart (reconnecting with backoff)."""
    return redis.Redis.from_url(
        url,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), RECONNECT_ATTEMPTS),
        retry_on_error=[ConnectionError, TimeoutError, BusyLoadingError],
        socket_connect_timeout=2,
        socket_timeout=15,
        health_check_interval=5,
    )


def worker_id() -> str:
    """A cluster-unique worker name: host and pid."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Keys:
    """Names of every Redis key newsmon uses, under one prefix (so clusters can share a Redis)."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        self.prefix = prefix
        self.jobs = f"{prefix}:jobs"
        self.requests = f"{prefix}:requests"
        self.workers = f"{prefix}:workers"
        self.worker_stats = f"{prefix}:workerstats"
        self.runs = f"{prefix}:runs"
        self.items = f"{prefix}:items"
        self.processing = f"{prefix}:items:processing"
        self.known = f"{prefix}:known"
        self.failed = f"{prefix}:failed"
        self.sources = f"{prefix}:sources"

    def claimed(self, worker: str) -> str:
        """Jobs a worker has taken and not yet turned into requests."""
        return f"{self.prefix}:jobs:claimed:{worker}"

    def inflight(self, worker: str) -> str:
        """Requests a worker has popped and not yet committed."""
        return f"{self.prefix}:inflight:{worker}"

    def alive(self, worker: str) -> str:
        """A worker's lease; it expires when the worker stops refreshing it."""
        return f"{self.prefix}:alive:{worker}"

    def run(self, token: str, suffix: str = "") -> str:
        """A run's hash (or one of its sets/hashes: df, claims, validators, …)."""
        return f"{self.prefix}:run:{token}" + (f":{suffix}" if suffix else "")

    def site_run(self, site: str) -> str:
        """The token of a site's active run (one run per site at a time, cluster-wide)."""
        return f"{self.prefix}:siterun:{site}"

    def host(self, netloc: str) -> str:
        """Leases of requests in progress to a host (a sorted set scored by lease expiry)."""
        return f"{self.prefix}:host:{netloc}"


class ClusterUnreachable(Exception):
    """The cluster's Redis does not answer."""


class Cluster:
    """One process's handle on the cluster: client, keys and registered scripts."""

    def __init__(self, server: redis.Redis, prefix: str = DEFAULT_PREFIX) -> None:
        self.server = server
        self.keys = Keys(prefix)
        self.pop_script = server.register_script(POP)
        self.commit_script = server.register_script(COMMIT)
        self.requeue_script = server.register_script(REQUEUE)
        self.reap_script = server.register_script(REAP)
        self.release_script = server.register_script(RELEASE)
        self.acquire_script = server.register_script(ACQUIRE)

    @classmethod
    def from_url(cls, url: str, prefix: str = DEFAULT_PREFIX) -> Cluster:
        """Connect to the Redis at url."""
        return cls(connect(url), prefix)

    @classmethod
    def reach(cls, url: str, prefix: str = DEFAULT_PREFIX) -> Cluster:
        """Connect and check that Redis answers; ClusterUnreachable saying why when it does not."""
        cluster = cls.from_url(url, prefix)
        try:
            cluster.server.ping()
        except RedisError as exc:
            raise ClusterUnreachable(f"cannot reach Redis at {url}: {exc}") from exc
        return cluster

    # -- lookups for only-new fetching (kept by the ingest writer) -------------------------------
    def known_urls(self, urls: Sequence[str]) -> set[str]:
        """Subset of canonical urls already stored (or known redirects)."""
        if not urls:
            return set()
        flags = self.server.smismember(self.keys.known, list(urls))
        return {u for u, f in zip(urls, flags, strict=True) if f}

    def failed_attempts(self, urls: Sequence[str]) -> dict[str, tuple[int, str, int | None]]:
        """(failures, last kind, last status) of urls that failed in earlier runs."""
        if not urls:
            return {}
        values = self.server.hmget(self.keys.failed, list(urls))
        out = {}
        for url, raw in zip(urls, values, strict=True):
            if raw:
                n, kind, status = json.loads(raw)
                out[url] = (int(n), kind, status)
        return out

    def source_state(self, url: str) -> dict[str, Any] | None:
        """Validators of a list page, feed or sitemap from the last run that saved them."""
        raw = self.server.hget(self.keys.sources, url)
        return json.loads(raw) if raw else None

    # -- runs --------------------------------------------------------------------------------------
    def enqueue(
        self,
        site_name: str,
        site_json: str,
        *,
        refresh: bool = False,
        pid: int | None = None,
        host: str | None = None,
        force: bool = False,
    ) -> str | None:
        """Queue a run of a site; its token, or None when the site already has a run in the cluster."""
        token = uuid.uuid4().hex[:16]
        k = self.keys
        if not self.server.set(k.site_run(site_name), token, nx=True) and not force:
            return None
        self.server.set(k.site_run(site_name), token)
        now = time.time()
        start = {
            "type": "run-start",
            "run": token,
            "site": site_name,
            "site_json": site_json,
            "pid": pid,
            "host": host,
            "enqueued_at": now,
        }
        pipe = self.server.pipeline(transaction=True)
        pipe.hset(
            k.run(token),
            mapping={
                "site": site_name,
                "site_json": site_json,
                "refresh": int(refresh),
                "status": "queued",
                "enqueued_at": now,
                "pending": 0,
            },
        )
        pipe.sadd(k.runs, token)
        pipe.lpush(k.items, json.dumps(start, ensure_ascii=False))  # before the job: the row exists first
        pipe.lpush(k.jobs, json.dumps({"run": token}))
        pipe.execute()
        logger.info("queued run %s of %s", token, site_name)
        return token

    def run_info(self, token: str) -> dict[str, str]:
        """A run's hash, decoded."""
        return {_s(a): _s(b) for a, b in self.server.hgetall(self.keys.run(token)).items()}

    def cancel(self, token: str) -> None:
        """Ask workers to stop following a run's links (its queued requests are still answered)."""
        self.server.hset(self.keys.run(token), "cancelled", 1)

    def wait_run(self, token: str, timeout: float | None = None, poll: float = 0.2) -> dict[str, str]:
        """Wait until the ingest writer has recorded the end of a run; its info (status 'done')."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            info = self.run_info(token)
            if info.get("status") == "done":
                return info
            if deadline is not None and time.monotonic() > deadline:
                return info
            time.sleep(poll)

    # -- workers -----------------------------------------------------------------------------------
    def heartbeat(self, worker: str, lease_ms: int) -> None:
        """Refresh a worker's lease and membership."""
        pipe = self.server.pipeline(transaction=False)
        pipe.set(self.keys.alive(worker), 1, px=lease_ms)
        pipe.sadd(self.keys.workers, worker)
        pipe.execute()

    def reap(self, force_worker: str | None = None) -> int:
        """Give back in-flight requests and claimed jobs of workers whose lease expired (or one, forced)."""
        if force_worker is not None:
            return max(0, int(self._call(self.reap_script, force_worker, "1")))
        total = 0
        for raw in self.server.smembers(self.keys.workers):
            worker = _s(raw)
            n = int(self._call(self.reap_script, worker, "0"))
            if n >= 0:
                logger.warning("worker %s is gone; gave back %d request(s)/job(s) to the queue", worker, n)
                total += n
        return total

    def _call(self, script: Any, *args: Any) -> Any:
        return script(args=[self.keys.prefix, *args])

    def queue_sizes(self) -> dict[str, int]:
        """Jobs waiting, requests queued, in flight (all workers), items waiting for ingest."""
        k = self.keys
        inflight = sum(self.server.hlen(k.inflight(_s(w))) for w in self.server.smembers(k.workers))
        return {
            "jobs": int(self.server.llen(k.jobs)),
            "requests": int(self.server.zcard(k.requests)),
            "inflight": inflight,
            "items": int(self.server.llen(k.items)) + int(self.server.llen(k.processing)),
        }

    def active_runs(self) -> list[str]:
        """Tokens of runs not yet recorded as finished by the ingest writer."""
        return sorted(_s(t) for t in self.server.smembers(self.keys.runs))

    def drop_run_keys(self, token: str, site: str) -> None:
        """After the ingest writer recorded a run: free its sets, keep its hash a while."""
        k = self.keys
        pipe = self.server.pipeline(transaction=True)
        pipe.delete(*(k.run(token, s) for s in RUN_SUFFIXES))
        pipe.expire(k.run(token), RUN_KEY_TTL)
        pipe.srem(k.runs, token)
        pipe.execute()
        # only free the site if this run still holds it (a forced enqueue may have replaced it)
        if _s(self.server.get(k.site_run(site)) or b"") == token:
            self.server.delete(k.site_run(site))


def _s(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
