"""Scale-out on Redis (issue #9): 3 workers + the ingest writer against the demo sites, cluster politeness,
and what scrapy-redis 0.9.1 does under Scrapy 2.19. Needs Debian's redis-server (installed by .ci/run)."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from crawler.distributed.redis_runner import enqueue_argv
from tests.conftest import CLUSTER_SETTINGS
from tests.helpers import article_paths, client, run_rows, stored

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]

FAST = CLUSTER_SETTINGS


@pytest.fixture
def demo(fast_demo: Any) -> Any:
    """The demo sites, their slow page within the download timeout."""
    return fast_demo


def expected_urls(srv: Any) -> set[str]:
    """Canonical URLs of every demo article."""
    from crawler.canonical import canonicalize_url

    return {canonicalize_url(a["url"]) for a in srv.truth()["articles"]}


def pages_by_worker(url: str) -> dict[str, int]:
    """Responses handled per worker."""
    c = client(url)
    return {k.decode(): int(v) for k, v in c.server.hgetall(c.keys.worker_stats).items()}


def enqueue_all_and_wait(url: str, config: Path) -> subprocess.Popen[str]:
    """`newsmon enqueue --all --wait` in the background (ends when every run is recorded)."""
    argv = enqueue_argv(url, config, wait=True)
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_runs_done(url: str, n_runs: int, timeout: float = 120) -> None:
    """Until the ingest writer has recorded the end of every queued run."""
    from crawler.distributed.localcluster import wait_for

    c = client(url)
    wait_for(lambda: not c.active_runs() and c.server.llen(c.keys.items) == 0, timeout, "runs to be recorded")


def assert_stored_once(db: Path, srv: Any) -> None:
    """Every demo article is in the database exactly once, and nothing else is."""
    urls = stored(db)
    assert len(urls) == len(set(urls))
    assert set(urls) == expected_urls(srv)


# -- the whole cluster ----------------------------------------------------------------------------
def test_three_workers_store_every_article_once_and_share_the_work(
    demo: Any, cluster_factory: Any, redis_server: Any, tmp_path: Path
) -> None:
    """3 workers + ingest: every article stored once, fetched once, work shared, runs recorded ok."""
    config = demo.write_sites_toml(tmp_path / "sites.toml")
    cluster = cluster_factory()
    cluster.start_ingest()
    for i in range(3):
        cluster.start_worker(f"w{i}")
    done = cluster.enqueue(config, wait=True)
    assert done.returncode == 0, done.stderr
    assert_stored_once(tmp_path / "news.db", demo)

    # one fetch per article across the cluster: the shared queue and the per-run URL claims
    fetched = Counter(e["path"] for e in demo.request_log(detail=True) if e["method"] == "GET")
    assert {p: n for p, n in fetched.items() if p in article_paths(demo) and n != 1} == {}

    shares = pages_by_worker(redis_server.url)
    assert set(shares) == {"w0", "w1", "w2"} and all(n > 0 for n in shares.values()), shares
    assert max(shares.values()) < 0.8 * sum(shares.values()), shares

    rows = run_rows(tmp_path / "news.db")
    assert len(rows) == 7 and {r["status"] for r in rows} == {"ok"}, rows
    assert sum(r["new_items"] + r["duplicate_items"] for r in rows) == len(expected_urls(demo))
    # the row carries the pid/host of the waiting `enqueue --wait` (the scheduler's crash detection uses them)
    assert all(r["pages"] > 0 and r["pid"] and r["host"] == socket.gethostname() for r in rows)

    # workers stay up while idle (scrapy-redis's idle timer would close them)
    assert all(p.poll() is None for p in cluster.workers.values())

    # next run: known articles are not fetched again; with --refresh, page 2… of each column is fetched
    # again (the seen-set is per run) and every article is fetched again but stored once
    demo.reset_log()
    again = cluster.enqueue(config, "changchun-gov", wait=True)
    assert again.returncode == 0, again.stderr
    assert not [e for e in demo.request_log("changchun-gov") if e[1] in article_paths(demo)]
    first_lists = {p for _, p, _ in demo.request_log("changchun-gov")}
    demo.reset_log()
    refresh = subprocess.run(
        [*enqueue_argv(redis_server.url, config, ["changchun-gov"], wait=True), "--refresh"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refresh.returncode == 0, refresh.stderr
    lists = {p for _, p, _ in demo.request_log("changchun-gov") if p not in article_paths(demo)}
    assert any("index_1" in p for p in lists), lists  # page 2 of a column, in a second run
    assert first_lists <= lists | {"/robots.txt"}
    assert_stored_once(tmp_path / "news.db", demo)


def test_politeness_holds_for_the_whole_cluster(
    demo: Any, cluster_factory: Any, redis_server: Any, tmp_path: Path
) -> None:
    """A site's `delay` and `concurrency = 1` hold across 3 workers: requests start >= delay apart."""
    delay = 0.3
    text = demo.sites_toml().replace('name = "cc-edu"\n', f'name = "cc-edu"\ndelay = {delay}\n')
    config = tmp_path / "sites.toml"
    config.write_text(text, encoding="utf-8")
    polite = {k: v for k, v in FAST.items() if k != "NEWSMON_CLUSTER_CONCURRENCY"}  # the site's own: 1
    # a worker holds at most 2 requests waiting for the host's lease, so all three take part
    polite["CONCURRENT_REQUESTS"] = "2"
    cluster = cluster_factory(polite)
    cluster.start_ingest()
    for i in range(3):
        cluster.start_worker(f"w{i}")
    done = cluster.enqueue(config, "cc-edu", wait=True)
    assert done.returncode == 0, done.stderr
    served = sorted(demo.request_log("cc-edu", detail=True), key=lambda e: e["start"])
    assert len(served) >= 10
    # concurrency 1: a request reaches the server only after the one before it was answered (the lease
    # is given back on the response), however loaded the machine is
    overlaps = [(a["path"], b["path"]) for a, b in itertools.pairwise(served) if b["start"] < a["time"]]
    assert not overlaps, overlaps
    # delay: the lease lets request k start no sooner than (k-1)*delay after the first one did. The server
    # sees arrivals, each late by a different amount on a loaded machine (over 200 ms at load 8), so single
    # gaps can shrink; the span from first to last arrival loses at most the first one's lateness. Without
    # the lease three workers would fetch the site in a fraction of that span.
    span = served[-1]["start"] - served[0]["start"]
    assert span >= (len(served) - 1) * delay - 0.5, (span, len(served))
    assert sum(1 for n in pages_by_worker(redis_server.url).values() if n) >= 2  # really several workers


# -- faults ---------------------------------------------------------------------------------------
def test_worker_killed_mid_crawl_loses_no_request(
    cluster_factory: Any, redis_server: Any, tmp_path: Path
) -> None:
    """SIGKILL one of 3 workers mid-crawl: the others take its in-flight requests back and finish."""
    from crawler.distributed.localcluster import LocalCluster, wait_for
    from demo.server import DemoServer
    from demo.world import build_world

    srv = DemoServer(build_world(seed=7, scale=3, slow_seconds=0.5)).start()
    try:
        config = srv.write_sites_toml(tmp_path / "sites.toml")
        cluster = cluster_factory(
            {**FAST, "NEWSMON_CLUSTER_CONCURRENCY": "2", "NEWSMON_CLUSTER_DELAY": "0.02"}
        )
        cluster.start_ingest()
        for i in range(3):
            cluster.start_worker(f"w{i}")
        waiter = enqueue_all_and_wait(redis_server.url, config)
        c = client(redis_server.url)
        victim = "w1"
        proc = cluster.workers[victim]

        def stopped_busy() -> bool:
            # Freeze the victim, then look: requests it holds while stopped are still held at the kill.
            os.killpg(proc.pid, signal.SIGSTOP)
            if (
                int(c.server.hget(c.keys.worker_stats, victim) or 0) >= 10
                and c.server.hlen(c.keys.inflight(victim)) > 0
            ):
                return True
            os.killpg(proc.pid, signal.SIGCONT)
            return False

        wait_for(stopped_busy, 60, "the victim to be stopped while busy")
        held = c.server.hlen(c.keys.inflight(victim))
        LocalCluster.kill(proc)
        assert held > 0
        wait_for(
            lambda: not c.server.exists(c.keys.inflight(victim)), 30, "the dead worker's requests to return"
        )
        assert waiter.wait(timeout=180) == 0, waiter.stderr.read() if waiter.stderr else ""
        assert_stored_once(tmp_path / "news.db", srv)
        assert {r["status"] for r in run_rows(tmp_path / "news.db")} == {"ok"}
        assert victim not in {w.decode() for w in c.server.smembers(c.keys.workers)}
    finally:
        srv.stop()


def test_ingest_killed_mid_batch_loses_no_item(
    demo: Any, cluster_factory: Any, redis_server: Any, tmp_path: Path
) -> None:
    """SIGKILL the ingest writer while a batch is in `processing`; the next one replays it: stored once."""
    from crawler.distributed.localcluster import LocalCluster, wait_for

    config = demo.write_sites_toml(tmp_path / "sites.toml")
    cluster = cluster_factory()
    for i in range(3):
        cluster.start_worker(f"w{i}")
    assert cluster.enqueue(config).returncode == 0
    c = client(redis_server.url)
    # crawl with no writer: every run ends (in Redis) and its items wait in the queue
    wait_for(
        lambda: (
            all(c.run_info(t).get("status") == "crawled" for t in c.active_runs())
            and len(c.active_runs()) == 7
        ),
        120,
        "runs to be crawled",
    )
    assert c.server.llen(c.keys.items) > len(expected_urls(demo))
    db = tmp_path / "news.db"
    first = cluster.start_ingest("--batch", "10")

    def stopped_mid_batch() -> bool:
        # Freeze the writer, then look: a batch seen in `processing` while it is stopped cannot be
        # acknowledged before the kill (checking first and killing after raced with the acknowledgement).
        os.killpg(first.pid, signal.SIGSTOP)
        if db.exists() and c.server.llen(c.keys.processing) > 0 and len(stored(db)) >= 10:
            return True
        os.killpg(first.pid, signal.SIGCONT)
        return False

    wait_for(stopped_mid_batch, 60, "the writer to be stopped mid-batch")
    LocalCluster.kill(first)
    left = c.server.llen(c.keys.processing)
    n_before = len(stored(db))
    assert 0 < n_before < len(expected_urls(demo))
    assert left > 0  # a batch taken from the queue and not acknowledged
    cluster.start_ingest("--batch", "10")
    wait_runs_done(redis_server.url, 7)
    assert_stored_once(db, demo)
    rows = run_rows(db)
    assert len(rows) == 7 and {r["status"] for r in rows} == {"ok"}, rows
    conn = sqlite3.connect(db)
    dup_failures = conn.execute(
        "SELECT count(*) FROM (SELECT run_id, url, kind FROM failures GROUP BY 1, 2, 3 HAVING count(*) > 1)"
    ).fetchone()[0]
    conn.close()
    assert dup_failures == 0


def test_redis_restart_mid_crawl(demo: Any, cluster_factory: Any, redis_server: Any, tmp_path: Path) -> None:
    """Redis (AOF) restarted mid-crawl: workers, the writer and the waiting enqueue reconnect and finish."""
    from crawler.distributed.localcluster import wait_for

    config = demo.write_sites_toml(tmp_path / "sites.toml")
    cluster = cluster_factory({**FAST, "NEWSMON_CLUSTER_CONCURRENCY": "1", "NEWSMON_CLUSTER_DELAY": "0.05"})
    cluster.start_ingest()
    for i in range(3):
        cluster.start_worker(f"w{i}")
    waiter = enqueue_all_and_wait(redis_server.url, config)
    c = client(redis_server.url)
    wait_for(lambda: sum(pages_by_worker(redis_server.url).values()) >= 20, 60, "the crawl to be under way")
    assert (
        len(c.active_runs()) == 7 and sum(int(c.run_info(t).get("pending", 0)) for t in c.active_runs()) > 0
    )
    t0 = time.monotonic()
    redis_server.restart(down_seconds=1.0)
    assert time.monotonic() - t0 >= 1.0
    assert waiter.wait(timeout=180) == 0, waiter.stderr.read() if waiter.stderr else ""
    assert_stored_once(tmp_path / "news.db", demo)
    assert {r["status"] for r in run_rows(tmp_path / "news.db")} == {"ok"}
    assert all(p.poll() is None for p in cluster.workers.values())
    assert c.server.ping()


# -- the reliable queue, in process ---------------------------------------------------------------
def test_commit_of_a_reaped_request_is_refused(redis_server: Any) -> None:
    """A worker presumed dead (lease expired) cannot commit: its request went back to the queue once."""
    import json

    from crawler.distributed.cluster import Cluster

    c = Cluster.from_url(redis_server.url, "t1")
    c.server.hset(c.keys.run("r"), mapping={"pending": 1, "site": "s"})
    c.server.zadd(c.keys.requests, {b"blob": 0})
    entry, blob = c.pop_script(args=["t1", "w"])
    assert blob == b"blob" and c.server.zcard(c.keys.requests) == 0
    assert c.reap() == 0  # never heartbeated: w is not a member yet
    c.server.sadd(c.keys.workers, "w")
    assert c.reap() == 1  # no lease: its in-flight request goes back
    assert c.server.zrange(c.keys.requests, 0, -1) == [b"blob"]
    payload = {
        "worker": "w",
        "inflight": entry.decode(),
        "job": "",
        "run": "r",
        "children": [],
        "messages": [],
        "stats": {},
        "hset": {},
        "hincr": {},
        "sadd": {},
        "pages": 1,
        "done": 1,
    }
    assert int(c.commit_script(args=["t1", json.dumps(payload)])) == -1
    assert c.server.hget(c.keys.run("r"), "pending") == b"1"  # nothing applied
    entry2, _ = c.pop_script(args=["t1", "w2"])
    payload.update(worker="w2", inflight=entry2.decode())
    assert int(c.commit_script(args=["t1", json.dumps(payload)])) == 0  # the new holder's commit ends the run
    assert json.loads(c.server.lindex(c.keys.items, 0)) == {"type": "run-finish", "run": "r"}


# -- scrapy-redis 0.9.1 under Scrapy 2.19: why the worker subclasses what it does ------------------
def test_scrapy_redis_version_and_scrapy_start_no_longer_calls_start_requests(redis_server: Any) -> None:
    """Scrapy 2.19's default start() ignores start_requests(): a stock RedisSpider reads Redis only when idle."""
    import scrapy
    import scrapy_redis
    from scrapy.utils.test import get_crawler
    from scrapy_redis.spiders import RedisSpider

    from crawler.distributed.spider import drain

    assert scrapy_redis.__version__ == "0.9.1"
    assert scrapy.version_info >= (2, 13)  # start() arrived in 2.13; pinned range is <2.20

    class Stock(RedisSpider):
        name = "stock"

    crawler = get_crawler(Stock, {"REDIS_URL": redis_server.url})
    spider = Stock.from_crawler(crawler)
    spider.server.lpush("stock:start_urls", "http://127.0.0.1:9/x")
    assert drain(spider.start()) == []  # Scrapy 2.19's Spider.start() yields start_urls only
    assert spider.server.llen("stock:start_urls") == 1  # …so RedisMixin.start_requests() never ran
    assert [r.url for r in spider.start_requests()] == ["http://127.0.0.1:9/x"]


def test_scrapy_redis_idle_timer_counts_from_import(redis_server: Any) -> None:
    """MAX_IDLE_TIME_BEFORE_CLOSE is measured from a class attribute set at import, not from going idle."""
    from scrapy.exceptions import DontCloseSpider
    from scrapy.utils.test import get_crawler
    from scrapy_redis.spiders import RedisMixin, RedisSpider

    class Stock(RedisSpider):
        name = "stock2"

    crawler = get_crawler(Stock, {"REDIS_URL": redis_server.url, "MAX_IDLE_TIME_BEFORE_CLOSE": 60})
    spider = Stock.from_crawler(crawler)
    assert "spider_idle_start_time" not in vars(spider)  # shared by every instance, set when imported
    spider.spider_idle_start_time = RedisMixin.spider_idle_start_time - 61  # a worker up for over a minute
    spider.schedule_next_requests = lambda: None
    spider.spider_idle()  # first time idle: returns (= close now) instead of raising DontCloseSpider
    spider.spider_idle_start_time = time.time()
    with pytest.raises(DontCloseSpider):
        spider.spider_idle()


def test_scrapy_redis_stock_scheduler_and_dupefilter_are_unfit_for_a_shared_cluster(
    redis_server: Any,
) -> None:
    """Stock: a closing worker flushes the shared queue; the seen-set is forever; the FIFO pop blocks."""
    import scrapy
    from scrapy.utils.test import get_crawler
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import FifoQueue
    from scrapy_redis.scheduler import Scheduler

    from crawler.distributed.worker import RunDupeFilter, get_cluster

    # with Scrapy's own DUPEFILTER_CLASS (the default), scrapy-redis's scheduler cannot even be built:
    # Scrapy 2.19's RFPDupeFilter has no from_settings() any more
    with pytest.raises(AttributeError, match="from_settings"):
        Scheduler.from_settings(get_crawler(scrapy.Spider, {"REDIS_URL": redis_server.url}).settings)
    crawler = get_crawler(
        scrapy.Spider,
        {"REDIS_URL": redis_server.url, "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter"},
    )
    spider = scrapy.Spider("stock3")
    spider.crawler = crawler
    spider.settings = crawler.settings
    sched = Scheduler.from_settings(crawler.settings)
    sched.open(spider)
    sched.enqueue_request(scrapy.Request("http://127.0.0.1:9/a"))
    assert len(sched.queue) == 1
    sched.close("finished")  # SCHEDULER_PERSIST defaults to False: other workers' requests are gone
    assert len(sched.queue) == 0

    page2 = scrapy.Request("http://127.0.0.1:9/col/index_1.html")
    stock = RFPDupeFilter.from_spider(spider)
    assert not stock.request_seen(page2)
    assert stock.request_seen(page2.replace(meta={"newsmon_run": "next-run"}))  # run 2 would skip page 2

    ours = RunDupeFilter.from_spider(spider)
    assert get_cluster(crawler).keys.prefix == "newsmon"
    assert not ours.request_seen(page2.replace(meta={"newsmon_run": "run-1"}))
    assert ours.request_seen(page2.replace(meta={"newsmon_run": "run-1"}))
    assert not ours.request_seen(page2.replace(meta={"newsmon_run": "run-2"}))

    fifo = FifoQueue(sched.server, spider, "stock3:fifo")
    t0 = time.monotonic()
    assert fifo.pop(timeout=1) is None  # SCHEDULER_IDLE_BEFORE_CLOSE=1: BRPOP blocks the reactor 1 s
    assert time.monotonic() - t0 >= 0.9


def test_enqueue_of_a_site_already_in_the_cluster_is_recorded_skipped(
    demo: Any, redis_server: Any, tmp_path: Path
) -> None:
    """The scheduler's cluster runner: a site whose previous run is still queued is `skipped`, not `crashed`."""
    import subprocess

    from storage.db import open_db

    config = demo.write_sites_toml(tmp_path / "sites.toml")
    db = tmp_path / "skips.db"
    open_db(db).conn.close()
    first = subprocess.run(
        enqueue_argv(redis_server.url, config, ["cc-edu"]), capture_output=True, text=True, timeout=60
    )
    assert first.returncode == 0, first.stderr
    second = subprocess.run(
        enqueue_argv(redis_server.url, config, ["cc-edu"], record_skips=str(db)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0 and "skipped" in second.stderr
    rows = run_rows(db)
    assert [(r["site"], r["status"]) for r in rows] == [("cc-edu", "skipped")]
    assert rows[0]["pid"] is not None and "already queued" in rows[0]["reason"]


def test_ingest_runs_keyword_watches_at_the_end_of_a_run(redis_server: Any, tmp_path: Path) -> None:
    """In cluster mode the single writer evaluates watches, as a local crawl does at its end."""
    from crawler.distributed.ingest import Ingest
    from crawler.signatures import content_hash
    from crawler.watchconfig import watch_from_options
    from storage.store import Store
    from storage.watches import save_watch

    db = tmp_path / "w.db"
    with Store(db) as store:
        save_watch(store.db, watch_from_options("振兴", all=("振兴",)))
        body = "东北全面振兴取得新进展。" * 10
        store.save_articles(
            [
                {
                    "url": "http://127.0.0.1:9/a.html",
                    "site": "s",
                    "title": "振兴新闻",
                    "body_text": body,
                    "content_hash": content_hash(body),
                    "published_at": "2023-11-28T09:30:00+08:00",
                }
            ]
        )
    writer = Ingest(client(redis_server.url), str(db))
    try:
        writer._run_watches("s")
    finally:
        writer.close()
    hits = sqlite3.connect(db).execute("SELECT watch FROM watch_hits").fetchall()
    assert hits == [("振兴",)]


def test_items_the_writer_refuses_count_in_their_runs_stats(redis_server: Any, tmp_path: Path) -> None:
    """An item without a title is a `parse` failure of its run, in `failures` and in the run's stats, as a
    local run's ValidatePipeline counts it; the valid item of the same batch is stored."""
    import json

    from crawler.distributed.ingest import Ingest

    db = tmp_path / "v.db"
    writer = Ingest(client(redis_server.url), str(db))
    good = {"url": "http://127.0.0.1:9/a.html", "site": "s", "title": "题", "body_text": "正文。" * 20}
    bad = {**good, "url": "http://127.0.0.1:9/b.html", "title": " "}
    try:
        writer.process(
            [
                {"type": "run-start", "run": "t1", "site": "s"},
                {"type": "item", "run": "t1", "item": good},
                {"type": "item", "run": "t1", "item": bad},
                {"type": "run-finish", "run": "t1"},
            ]
        )
    finally:
        writer.close()
    (row,) = run_rows(db)
    stats = json.loads(row["stats"])
    assert stats["newsmon/failures/parse"] == 1 and stats["newsmon/failures"] == 1, stats
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT url, kind FROM failures").fetchall() == [
        ("http://127.0.0.1:9/b.html", "parse")
    ]
    assert [u for (u,) in conn.execute("SELECT url FROM articles")] == ["http://127.0.0.1:9/a.html"]
