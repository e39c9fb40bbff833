"""Cluster throughput: 1, 2 and 3 crawl workers (+ the ingest writer) against the single-process local crawl
of the same demo sites in the same run, and the ingest writer's rows/s on its own.

    python bench/scaleout.py            # demo scale 20 (~1,800 articles)
    python bench/scaleout.py --quick    # demo scale 3 (< 1 minute)

Needs Debian's redis-server (started on a free 127.0.0.1 port per phase). Prints a table, then one JSON
object on its last line. Every phase starts from an empty database and an empty Redis; workers are
started (and have joined) before the clock starts, as long-lived workers would be.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import FAST as COMMON_FAST  # noqa: E402
from bench.common import crawl_all  # noqa: E402
from crawler.distributed.cluster import Cluster  # noqa: E402
from crawler.distributed.ingest import Ingest  # noqa: E402
from crawler.distributed.localcluster import LocalCluster, RedisServer, wait_for  # noqa: E402
from crawler.sites import load_sites  # noqa: E402
from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from storage.db import open_db  # noqa: E402

FAST = {**COMMON_FAST, "DOWNLOAD_TIMEOUT": 10}
# the same per-host budget for the cluster as a whole: 8 at once, no delay
CLUSTER = {**FAST, "NEWSMON_CLUSTER_CONCURRENCY": 8, "NEWSMON_CLUSTER_DELAY": 0}


def count(db: Path) -> int:
    """Article rows."""
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


def local(config: Path, tmp: Path, parallel: int) -> tuple[float, int]:
    """(seconds, stored) of `newsmon crawl --all --parallel N`'s engine: one process per site."""
    db = tmp / f"local-{parallel}.db"
    open_db(db).conn.close()
    return crawl_all(config, db, FAST, parallel), count(db)


def cluster_run(config: Path, tmp: Path, workers: int, n_sites: int) -> tuple[float, int]:
    """(seconds, stored) from enqueueing every site until the ingest writer recorded every run."""
    work = tmp / f"cluster-{workers}"
    redis = RedisServer(work / "redis").start()
    cluster = LocalCluster(redis.url, work / "news.db", work, CLUSTER, lease=5.0)
    c = Cluster.from_url(redis.url)
    try:
        cluster.start_ingest()
        for i in range(workers):
            cluster.start_worker(f"w{i}")
        wait_for(
            lambda: (
                sum(1 for w in c.server.smembers(c.keys.workers) if c.server.exists(c.keys.alive(w.decode())))
                == workers
            ),
            60,
            "workers to join",
        )
        wait_for(lambda: (work / "news.db").exists(), 60, "the ingest writer")
        t0 = time.perf_counter()
        assert cluster.enqueue(config).returncode == 0
        wait_for(
            lambda: c.server.llen(c.keys.jobs) == 0 and not c.active_runs(), 1800, "the runs", every=0.02
        )
        seconds = time.perf_counter() - t0
        return seconds, count(work / "news.db")
    finally:
        cluster.stop()
        redis.stop()


def ingest_only(config: Path, tmp: Path) -> tuple[float, int]:
    """(seconds, rows) of the ingest writer alone, draining what 3 workers left in Redis."""
    work = tmp / "ingest"
    redis = RedisServer(work / "redis").start()
    cluster = LocalCluster(redis.url, work / "unused.db", work, CLUSTER, lease=5.0)
    c = Cluster.from_url(redis.url)
    try:
        for i in range(3):
            cluster.start_worker(f"w{i}")
        assert cluster.enqueue(config).returncode == 0
        wait_for(
            lambda: (
                c.active_runs()
                and all(c.run_info(t).get("status") == "crawled" for t in c.active_runs())
                and not c.server.llen(c.keys.jobs)
            ),
            1800,
            "the crawl",
            every=0.05,
        )
        cluster.stop()
        db = work / "news.db"
        writer = Ingest(c, str(db), batch_size=100)
        writer.seed()
        t0 = time.perf_counter()
        while c.active_runs() or c.server.llen(c.keys.items):
            writer.step()
        seconds = time.perf_counter() - t0
        writer.close()
        return seconds, count(db)
    finally:
        cluster.stop()
        redis.stop()


def main() -> int:
    """Run the phases and print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="demo scale 3, for a run under a minute")
    ap.add_argument("--scale", type=int, default=None)
    args = ap.parse_args()
    scale = args.scale or (3 if args.quick else 20)
    with (
        tempfile.TemporaryDirectory(prefix="newsmon-scaleout-") as name,
        DemoServer(build_world(seed=7, scale=scale, slow_seconds=0.5)) as srv,
    ):
        tmp = Path(name)
        config = srv.write_sites_toml(tmp / "sites.toml")
        expected = len(srv.truth(bodies=False)["articles"])
        n_sites = len(load_sites(config))
        base_s, base_n = local(config, tmp, 1)
        rows = [("local, 1 process at a time", base_s, base_n, 1.0)]
        par_s, par_n = local(config, tmp, os.cpu_count() or 2)
        rows.append((f"local, {os.cpu_count() or 2} processes", par_s, par_n, base_s / par_s))
        speedup: dict[str, float] = {}
        stored: dict[str, int] = {}
        for n in (1, 2, 3):
            secs, got = cluster_run(config, tmp, n, n_sites)
            speedup[str(n)] = round(base_s / secs, 3)
            stored[str(n)] = got
            rows.append((f"cluster, {n} worker(s) + ingest", secs, got, base_s / secs))
        ing_s, ing_n = ingest_only(config, tmp)
    print(
        f"demo scale {scale}: {expected} articles, {n_sites} sites; {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(f"{'setup':<34} {'seconds':>8} {'stored':>7} {'vs local 1-proc':>16}")
    for label, secs, got, ratio in rows:
        print(f"{label:<34} {secs:>8.2f} {got:>7} {ratio:>15.2f}x")
    print(f"{'ingest writer alone':<34} {ing_s:>8.2f} {ing_n:>7} {ing_n / ing_s:>12.0f} rows/s")
    print(
        json.dumps(
            {
                "articles_expected": expected,
                "articles_stored": min(stored.values()),
                "stored_by_workers": stored,
                "speedup": speedup,
                "local_seconds": round(base_s, 2),
                "local_parallel_speedup": round(base_s / par_s, 3),
                "ingest_rows_per_s": round(ing_n / ing_s, 1),
                "ingest_rows_per_s_vs_local_crawl": round((ing_n / ing_s) / (base_n / base_s), 2),
                "scale": scale,
                "cpus": os.cpu_count(),
            }
        )
    )
    return 0 if min(stored.values()) == expected else 1


if __name__ == "__main__":
    sys.exit(main())
