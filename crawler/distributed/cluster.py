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


# -- Lua ------------------------------------------------------------------------------------------
# Keys are built inside the scripts from the prefix: fine for one Redis server (not Redis Cluster).
_FINISH = """
local function finish(P, token)
  local run = P .. ':run:' .. token
  local t = redis.call('TIME')
  redis.call('HSET', run, 'status', 'crawled', 'crawled_at', t[1])
  redis.call('LPUSH', P .. ':items', cjson.encode({type = 'run-finish', run = token}))
end
local function split(v)
  local sep = string.find(v, ':', 1, true)
  return string.sub(v, 1, sep - 1), string.sub(v, sep + 1)
end
"""

# ARGV: prefix, worker → {id, data} or nil. Pop the lowest score into the worker's in-flight hash.
POP = """
local P, w = ARGV[1], ARGV[2]
local r = redis.call('ZRANGE', P .. ':requests', 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', P .. ':requests', r[1])
local id = redis.call('INCR', P .. ':inflight:seq')
redis.call('HSET', P .. ':inflight:' .. w, id, r[2] .. ':' .. r[1])
return {tostring(id), r[1]}
"""

# ARGV: prefix, payload JSON, child request blobs…  → pending left, or -1 when refused (stale).
COMMIT = (
    _FINISH
    + """
local P = ARGV[1]
local p = cjson.decode(ARGV[2])
local run = P .. ':run:' .. p.run
if p.inflight ~= '' and redis.call('HDEL', P .. ':inflight:' .. p.worker, p.inflight) == 0 then
  return -1
end
if p.job ~= '' and redis.call('LREM', P .. ':jobs:claimed:' .. p.worker, 1, p.job) == 0 then
  return -1
end
local accepted, deferred, cut = 0, 0, false
-- the site's max_articles: the run's claims set counts its article requests, cluster-wide
local cap = tonumber(p.max_articles or 0) or 0
local claimed = 0
if cap > 0 then claimed = redis.call('SCARD', run .. ':claims') end
for i, c in ipairs(p.children) do
  local ok = true
  if cap > 0 and claimed >= cap then
    -- full: like a local crawl closed by CLOSESPIDER_ITEMCOUNT, the run follows nothing more; new article
    -- links stay unclaimed (unknown, so the next run requests them) and count as deferred
    ok = false
    local src = c.src or ''
    if c.claim ~= '' then
      if redis.call('SISMEMBER', run .. ':claims', c.claim) == 0 then
        deferred, cut = deferred + 1, true
        if src ~= '' then
          redis.call('SADD', run .. ':capped', src)
          redis.call('HINCRBY', run .. ':requested', src, -1)
        end
      end
    elseif c.fp == '' or redis.call('SISMEMBER', run .. ':df', c.fp) == 0 then
      cut = true
      if src ~= '' then redis.call('SADD', run .. ':capped', src) end
    end
  end
  if ok and c.claim ~= '' then
    if redis.call('SADD', run .. ':claims', c.claim) == 0 then ok = false else claimed = claimed + 1 end
  end
  if ok and c.fp ~= '' and redis.call('SADD', run .. ':df', c.fp) == 0 then ok = false end
  if ok then
    redis.call('ZADD', P .. ':requests', c.score, ARGV[2 + i])
    accepted = accepted + 1
  end
end
if deferred > 0 then
  redis.call('HINCRBY', run, 's:newsmon/links_deferred', deferred)
  redis.call('HINCRBY', run, 's:newsmon/article_requests', -deferred)
end
if cut then redis.call('HSET', run, 'finish_reason', 'closespider_itemcount') end
for _, m in ipairs(p.messages) do redis.call('LPUSH', P .. ':items', m) end
for f, n in pairs(p.stats) do redis.call('HINCRBY', run, 's:' .. f, n) end
for suffix, kv in pairs(p.hset) do
  local key = run
  if suffix ~= '' then key = run .. ':' .. suffix end
  for f, v in pairs(kv) do redis.call('HSET', key, f, v) end
end
for suffix, kv in pairs(p.hincr) do
  for f, v in pairs(kv) do redis.call('HINCRBY', run .. ':' .. suffix, f, v) end
end
for suffix, members in pairs(p.sadd) do
  for _, m in ipairs(members) do redis.call('SADD', run .. ':' .. suffix, m) end
end
if p.pages > 0 then redis.call('HINCRBY', P .. ':workerstats', p.worker, p.pages) end
local left = redis.call('HINCRBY', run, 'pending', accepted - p.done)
if left <= 0 then finish(P, p.run) end
return left
"""
)

# ARGV: prefix, worker, in-flight id, blob, score, dupefilter fingerprint, run → 1 queued, 0 dropped, -1 stale.
# A retry or redirect of a popped request: the replacement is queued in the same step that retires the
# original's in-flight entry.
REQUEUE = (
    _FINISH
    + """
local P, w, id, blob, score, fp, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if id ~= '' and redis.call('HDEL', P .. ':inflight:' .. w, id) == 0 then return -1 end
local run = P .. ':run:' .. token
if fp ~= '' and token ~= '' and redis.call('SADD', run .. ':df', fp) == 0 then
  if id ~= '' then
    local left = redis.call('HINCRBY', run, 'pending', -1)
    if left <= 0 then finish(P, token) end
  end
  return 0
end
redis.call('ZADD', P .. ':requests', score, blob)
if id == '' and token ~= '' then redis.call('HINCRBY', run, 'pending', 1) end
return 1
"""
)

# ARGV: prefix, worker, force ("1": even when alive) → entries given back, or -1 when the worker is alive.
REAP = (
    _FINISH
    + """
local P, w, force = ARGV[1], ARGV[2], ARGV[3]
if force ~= '1' and redis.call('EXISTS', P .. ':alive:' .. w) == 1 then return -1 end
local vals = redis.call('HVALS', P .. ':inflight:' .. w)
for _, v in ipairs(vals) do
  local score, blob = split(v)
  redis.call('ZADD', P .. ':requests', score, blob)
end
redis.call('DEL', P .. ':inflight:' .. w)
local jobs = 0
while redis.call('LMOVE', P .. ':jobs:claimed:' .. w, P .. ':jobs', 'LEFT', 'RIGHT') do jobs = jobs + 1 end
redis.call('SREM', P .. ':workers', w)
return #vals + jobs
"""
)

# ARGV: prefix, worker, id → 1 when the entry was put back. An entry the worker no longer tracks (its
# pop's reply was lost to a Redis restart) goes back to the queue.
RELEASE = (
    _FINISH
    + """
local P, w, id = ARGV[1], ARGV[2], ARGV[3]
local v = redis.call('HGET', P .. ':inflight:' .. w, id)
if not v then return 0 end
redis.call('HDEL', P .. ':inflight:' .. w, id)
local score, blob = split(v)
redis.call('ZADD', P .. ':requests', score, blob)
return 1
"""
)

# KEYS: host leases.  ARGV: concurrency, delay ms, lease ms, holder → 0 acquired, else ms to wait.
# Requests to one host start at least `delay` apart and at most `concurrency` run at once, cluster-wide.
# Time is Redis's clock, so workers on several machines agree.
ACQUIRE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local leases, nextkey = KEYS[1], KEYS[1] .. ':next'
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
local nxt = tonumber(redis.call('GET', nextkey) or '0')
if now < nxt then return nxt - now end
if redis.call('ZCARD', leases) >= tonumber(ARGV[1]) then return -1 end
redis.call('ZADD', leases, now + tonumber(ARGV[3]), ARGV[4])
redis.call('PEXPIRE', leases, tonumber(ARGV[3]))
if tonumber(ARGV[2]) > 0 then redis.call('SET', nextkey, now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2])) end
return 0
"""


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
