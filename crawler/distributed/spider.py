"""The crawl worker's spider: SiteSpider's discovery and extraction, fed by run jobs and requests in Redis.

One long-lived process serves every site. A job (`newsmon enqueue`, or the scheduler with `--redis`)
becomes its site's source requests in the shared scrapy-redis queue; any worker may then pop any request.
Each callback runs SiteSpider's own code in the context of the request's run (site config, per-run
stats, lookups of known URLs and earlier failures in Redis instead of SQLite), and its whole outcome —
child requests, article items, failures, stats — is committed to Redis in one Lua script together with
the retirement of the popped request (crawler/distributed/cluster.py). Nothing is yielded back to Scrapy.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from crawler import settings as project_settings
from crawler.canonical import canonicalize_url
from crawler.distributed.cluster import _s
from crawler.distributed.referers import ChildReferers
from crawler.distributed.runview import Context, Run, RunCrawler, RunStats, RunView, drain
from crawler.distributed.worker import (
    INFLIGHT,
    RUN,
    ReliableQueue,
    RunDupeFilter,
    WorkerCluster,
    get_cluster,
    quicken_engine_heartbeat,
)
from crawler.sites import Site, site_from_json
from spiders.site import SiteSpider

logger = logging.getLogger(__name__)

MAX_CACHED_RUNS = 500


class RedisSiteSpider(SiteSpider):
    """Serves every site's runs from Redis; never closes when idle."""

    name = "redis_site"
    cluster: WorkerCluster
    referers: ChildReferers
    queue: ReliableQueue
    fingerprints: RunDupeFilter
    max_attempts: int
    max_per_source: int
    poll_seconds: float
    custom_settings = {
        "SCHEDULER": "crawler.distributed.worker.ClusterScheduler",
        "DUPEFILTER_CLASS": "crawler.distributed.worker.RunDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {**project_settings.EXTENSIONS, "crawler.extensions.RunRecorder": None},
        # a spider's DOWNLOADER_MIDDLEWARES replaces the project's whole dict, so start from it: the
        # off-site guard (redirects, robots.txt) must hold here too. Pages are not rendered in a worker.
        "DOWNLOADER_MIDDLEWARES": {
            **project_settings.DOWNLOADER_MIDDLEWARES,
            "crawler.render.RenderMiddleware": None,
            "crawler.distributed.worker.ClusterPoliteness": 950,
        },
        # the cluster lease (ClusterPoliteness) paces hosts; per-process pacing would only add to it
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runs: dict[str, Run] = {}
        self.hosts_seen: dict[str, Site] = {}
        self.refresh = False
        self._loops: list[LoopingCall] = []

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> RedisSiteSpider:
        """Connect to the cluster; no site is resolved here (jobs bring them)."""
        spider = super(SiteSpider, cls).from_crawler(crawler, *args, **kwargs)
        spider.cluster = get_cluster(crawler)
        spider.referers = ChildReferers(crawler)
        spider.queue = ReliableQueue(spider.cluster.server, spider, spider.cluster.keys.requests)
        spider.fingerprints = RunDupeFilter(spider.cluster.server, spider.cluster)
        spider.max_attempts = crawler.settings.getint("NEWSMON_MAX_ATTEMPTS", 3)
        spider.max_per_source = crawler.settings.getint("NEWSMON_MAX_ARTICLES_PER_SOURCE", 1000)
        spider.poll_seconds = crawler.settings.getfloat("NEWSMON_WORKER_POLL", 0.2)
        # revisits (spiders/revisiting.py) read and write the archive directly (due picks, list snapshots),
        # which a worker has no access to: cluster runs store new articles with their first revisit time
        # and leave the revisiting to local runs
        spider.setup_revisits(crawler)
        spider.revisits_started = True
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.closed_cluster, signal=signals.spider_closed)
        return spider

    @property
    def site_name(self) -> str:
        """Name of the site of the run being handled (the spider's name between callbacks)."""
        return self.site.name if self.site else self.name

    def request_hosts(self, request: Any) -> frozenset[str]:
        """Hosts a request may go to: its run's site's (OffsiteGuard asks before every download; a redirect
        carries the run token of the request it came from)."""
        run = self.load_run(request.meta.get(RUN))
        if run is not None:
            return run.site.hosts
        # a request of no run (a robots.txt fetch): the site of the host it was first sent to
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        site = self.site_for_host(urlsplit(first).netloc.lower())
        return site.hosts if site is not None else frozenset()

    def site_for_host(self, netloc: str) -> Site | None:
        """The site a host belongs to, among runs this worker has seen."""
        return self.hosts_seen.get(netloc)

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        """Nothing at start: jobs arrive through Redis (see poll_jobs)."""
        return
        yield  # pragma: no cover - makes this an async generator

    def opened(self, spider: Any) -> None:
        """Join the cluster: lease, job polling, and a short engine heartbeat to notice shared work."""
        c = self.cluster
        c.heartbeat(c.worker, c.lease_ms)
        c.release_orphans()  # a restarted worker with the same id gets its old in-flight entries back
        # an idle worker must notice requests pushed by other workers sooner than Scrapy's 5 s
        quicken_engine_heartbeat(self.crawler.engine, self.poll_seconds)
        for fn, every in ((self.poll_jobs, self.poll_seconds), (self.keep_alive, c.lease_ms / 3000)):
            loop = LoopingCall(self._guarded, fn)
            loop.start(every, now=False)
            self._loops.append(loop)
        logger.info("worker %s joined the cluster (prefix %s)", c.worker, c.keys.prefix)

    def idle(self, spider: Any) -> None:
        """A worker stays up while idle: new jobs may arrive at any time."""
        raise DontCloseSpider

    def closed_cluster(self, spider: Any, reason: str) -> None:
        """Leave the cluster: give back what this worker holds and drop its lease."""
        for loop in self._loops:
            if loop.running:
                loop.stop()
        c = self.cluster
        n = c.reap(force_worker=c.worker)
        c.server.delete(c.keys.alive(c.worker))
        logger.info("worker %s left the cluster (%s); gave back %d request(s)", c.worker, reason, n)

    def _guarded(self, fn: Any) -> None:
        try:
            fn()
        except Exception:  # a loop that raises stops for good; log and keep going
            logger.exception("worker loop %s failed", getattr(fn, "__name__", fn))

    def keep_alive(self) -> None:
        """Refresh the lease, give back orphaned entries, and requeue the work of dead workers."""
        c = self.cluster
        c.heartbeat(c.worker, c.lease_ms)
        c.release_orphans()
        c.reap()

    def poll_jobs(self, limit: int = 8) -> int:
        """Turn queued run jobs into source requests in the shared queue."""
        c = self.cluster
        n = 0
        while n < limit:
            raw = c.server.lmove(c.keys.jobs, c.keys.claimed(c.worker), "RIGHT", "LEFT")
            if raw is None:
                break
            n += 1
            self.expand_job(raw)
        return n

    def expand_job(self, raw: bytes | str) -> None:
        """One job → the run's source requests, committed with the job's removal from this worker."""
        job = json.loads(raw)
        run = self.load_run(job["run"])
        outputs: list[Any] = []
        ctx = None
        if run is not None:
            with self.context(run) as ctx:
                if not self.cancelled(run.token):
                    try:
                        outputs = drain(SiteSpider.start(self))
                    except Exception as exc:
                        logger.exception("could not start run %s of %s", run.token, run.site.name)
                        ctx.view.fail(run.site.sources[0].url, "start", f"{type(exc).__name__}: {exc}")
        self.commit(job["run"], ctx, entry="", job=raw, done=0, outputs=outputs, pages=0)

    # -- runs ---------------------------------------------------------------------------------------
    def load_run(self, token: str | None) -> Run | None:
        """The run of a token (cached), or None when Redis no longer has it."""
        if not token:
            return None
        run = self.runs.get(token)
        if run is not None:
            return run
        info = self.cluster.run_info(token)
        if not info.get("site_json"):
            return None
        site = site_from_json(info["site_json"])
        run = Run(token, site, info.get("refresh") == "1")
        if len(self.runs) >= MAX_CACHED_RUNS:
            self.runs.pop(next(iter(self.runs)))
        self.runs[token] = run
        for host in site.hosts:
            self.hosts_seen[host] = site
        return run

    def cancelled(self, token: str) -> bool:
        """Whether the run was cancelled (its time limit passed)."""
        return bool(self.cluster.server.hexists(self.cluster.keys.run(token), "cancelled"))

    @contextlib.contextmanager
    def context(self, run: Run) -> Iterator[Context]:
        """Make SiteSpider's per-run attributes those of `run` for one synchronous callback."""
        keys = self.cluster.keys
        pipe = self.cluster.server.pipeline(transaction=False)
        pipe.smembers(keys.run(run.token, "completed"))
        pipe.hgetall(keys.run(run.token, "requested"))
        completed, requested = pipe.execute()
        stats = RunStats()
        ctx = Context(run, RunView(self, run, stats), stats)
        ctx.requested0 = {_s(k): int(v) for k, v in requested.items()}
        # the run's state for this callback: one SiteRun built from the run's shared state in Redis (its
        # sitemaps seen are per callback here: the depth limit, in request meta, still holds); the commit
        # script counts max_articles for the whole cluster, so this process applies no run cap
        site_run = self.new_run(
            run.site, run.refresh, completed={_s(u) for u in completed}, requested=dict(ctx.requested0)
        )
        site_run.max_articles = None
        saved = {k: getattr(self, k, None) for k in _PER_RUN}
        self.site = run.site
        self.state = ctx.view  # type: ignore[assignment]  # RunView stands in for RunState
        self.crawler = RunCrawler(saved["crawler"], stats)  # type: ignore[assignment]
        self.refresh = run.refresh
        self.run = site_run
        # the attachment budget (spiders/attachments.py) is per run locally; a worker serves many runs, so
        # it is counted per callback here rather than once for the worker's whole life
        self.__dict__.pop("_att_limits", None)
        self.__dict__.pop("_att_used", None)
        try:
            yield ctx
        finally:
            ctx.learned(site_run)
            for k, v in saved.items():
                setattr(self, k, v)

    def commit(
        self,
        token: str,
        ctx: Context | None,
        *,
        entry: str,
        job: bytes | str,
        done: int,
        outputs: list[Any],
        pages: int,
    ) -> int:
        """Commit a callback's (or job's) whole outcome to Redis in one step; -1 when it was refused."""
        c = self.cluster
        children, blobs, messages = [], [], []
        aliases: dict[str, str] | None = None
        for out in outputs:
            if isinstance(out, scrapy.Request):
                out.meta[RUN] = token
                out.meta.pop(INFLIGHT, None)
                claim = ""
                if out.callback == self.parse_article:
                    if aliases is None and ctx is not None:
                        aliases = ctx.run.site.host_aliases
                    claim = canonicalize_url(out.url, aliases)
                fp = "" if out.dont_filter else self.fingerprints.request_fingerprint(out)
                src = getattr(out.meta.get("source"), "url", "")
                # an attached file of an admitted article is part of that article, not a new link: the run's
                # max_articles never refuses it (locally too, the cap counts article requests only)
                keep = 1 if out.callback == self.parse_attachment else 0
                children.append({"claim": claim, "fp": fp, "score": -out.priority, "src": src, "keep": keep})
                blobs.append(self.queue.encode(out))
            elif isinstance(out, dict):
                messages.append({"type": "item", "run": token, "item": out})
        stats, hset, hincr, sadd = ctx.run_fields() if ctx is not None else ({}, {}, {}, {})
        if ctx is not None:
            messages = ctx.view.messages + messages
        payload = {
            "worker": c.worker,
            "inflight": entry,
            "job": _s(job) if job else "",
            "run": token,
            "children": children,
            "messages": [json.dumps(m, ensure_ascii=False, default=str) for m in messages],
            "stats": stats or _EMPTY,
            "hset": hset or _EMPTY,
            "hincr": hincr or _EMPTY,
            "sadd": sadd or _EMPTY,
            "pages": pages,
            "done": done,
            # the site's max_articles: article requests admitted per run, counted cluster-wide in the script
            "max_articles": (ctx.run.site.max_articles or 0) if ctx is not None else 0,
        }
        left = int(c.commit_script(args=[c.keys.prefix, json.dumps(payload, ensure_ascii=False), *blobs]))
        if entry:
            c.inflight_ids.discard(entry)
        if left < 0:
            logger.warning("commit of run %s refused: its request was given to another worker", token)
        elif left == 0:
            logger.info("run %s crawled", token)
        return left

    # -- callbacks: SiteSpider's own, in the run's context ------------------------------------------
    def _handle(self, request: scrapy.Request | None, fn: Any, arg: Any, pages: int) -> list[Any]:
        assert request is not None
        token = request.meta.get(RUN)
        entry = request.meta.get(INFLIGHT, "")
        run = self.load_run(token)
        outputs: list[Any] = []
        ctx = None
        if run is not None:
            with self.context(run) as ctx:
                if pages:
                    ctx.stats.inc_value("response_received_count")
                if not self.cancelled(run.token):
                    try:
                        outputs = list(fn(arg) or [])
                        if isinstance(arg, Response):
                            self.referers.apply(arg, outputs)
                    except Exception as exc:  # a callback must never lose its request's bookkeeping
                        logger.exception("callback failed for %s", request.url)
                        ctx.view.fail(request.url, "parse", f"{type(exc).__name__}: {exc}")
                        outputs = []
        if token:
            self.commit(token, ctx, entry=entry, job="", done=1, outputs=outputs, pages=pages)
        return []  # committed to Redis above: nothing goes back through Scrapy

    def site_template(self) -> frozenset[str] | None:
        """No per-site template memory in a worker: it lives in the archive, and one worker serves every
        site (spiders/site_template.py keeps one memory per spider)."""
        return None

    def remember_template(self, url: str, art: Any) -> None:
        """Nothing to remember (see site_template)."""

    def note_list(self, page_url: str, urls: Any) -> None:
        """No list snapshots in cluster mode (they live in the archive; see from_crawler)."""

    def clear_complete_marks(self, store: Any, urls: list[str]) -> None:
        """Nothing here: a cluster run's `complete` marks are cleared and set by the ingest writer."""

    def parse_source(self, response: Response) -> list[Any]:
        """SiteSpider.parse_source for the response's run."""
        return self._handle(response.request, super().parse_source, response, 1)

    def parse_list_page(self, response: Response) -> list[Any]:
        """SiteSpider.parse_list_page for the response's run."""
        return self._handle(response.request, super().parse_list_page, response, 1)

    def parse_child_sitemap(self, response: Response) -> list[Any]:
        """SiteSpider.parse_child_sitemap for the response's run."""
        return self._handle(response.request, super().parse_child_sitemap, response, 1)

    def parse_article(self, response: Response) -> list[Any]:
        """SiteSpider.parse_article for the response's run."""
        return self._handle(response.request, super().parse_article, response, 1)

    def parse_attachment(self, response: Response) -> list[Any]:
        """SiteSpider.parse_attachment (an article's attached file) for the response's run."""
        return self._handle(response.request, super().parse_attachment, response, 1)

    def attachment_failed(self, failure: Failure) -> list[Any]:
        """SiteSpider.attachment_failed for the request's run."""
        return self._handle(failure.request, super().attachment_failed, failure, 0)  # type: ignore[attr-defined]

    def source_failed(self, failure: Failure) -> None:
        """SiteSpider.source_failed for the request's run."""
        self._handle(failure.request, super().source_failed, failure, 0)  # type: ignore[attr-defined]

    def article_failed(self, failure: Failure) -> None:
        """SiteSpider.article_failed for the request's run."""
        self._handle(failure.request, super().article_failed, failure, 0)  # type: ignore[attr-defined]


_EMPTY: dict[str, Any] = {}
# what a callback's context swaps: the run's site, its SiteRun (all per-run state), its view of the
# archive (RunState's stand-in) and the crawler with the run's stats
_PER_RUN = ("site", "state", "crawler", "refresh", "run")
