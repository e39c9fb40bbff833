"""Incremental monitoring cost: requests per source on a no-change re-run (target 1.0), and the time from
publishing an article on the demo sites to having it stored by the next run.

    python bench/incremental.py            # all demo sites, 3 rounds
    python bench/incremental.py --quick    # 1 round (< 1 minute)

Prints a table, then one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import FAST, crawl_all, machine  # noqa: E402
from crawler.canonical import canonicalize_url  # noqa: E402
from crawler.sites import load_sites  # noqa: E402
from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from storage.db import open_db  # noqa: E402

# failed articles are not retried, so a no-change re-run touches its sources only
SETTINGS = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": 4, "NEWSMON_MAX_ATTEMPTS": 1}


def crawl(config: Path, db: Path) -> float:
    """Seconds for one run of every site."""
    return crawl_all(config, db, SETTINGS)


def main() -> None:
    """Run the benchmark and print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one round (< 1 minute)")
    ap.add_argument("--rounds", type=int, default=None)
    args = ap.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    per_source: list[float] = []
    latency: list[float] = []
    first_run = 0.0
    with (
        tempfile.TemporaryDirectory(prefix="bench-inc-") as tmpdir,
        DemoServer(build_world(seed=7, scale=1, slow_seconds=0.2)) as srv,
    ):
        tmp = Path(tmpdir)
        config = srv.write_sites_toml(tmp / "sites.toml")
        sites = load_sites(config)
        n_sources = sum(len(s.sources) for s in sites)
        db = tmp / "inc.db"
        open_db(db).conn.close()
        first_run = crawl(config, db)
        for _ in range(rounds):
            srv.reset_log()
            crawl(config, db)
            requests = len(srv.request_log())
            per_source.append(requests / n_sources)
            published = srv.publish(site=None, n=1)  # one new article on every site
            t0 = time.perf_counter()
            crawl(config, db)
            latency.append(time.perf_counter() - t0)
            conn = sqlite3.connect(db)
            stored = {u for (u,) in conn.execute("SELECT url FROM articles")}
            conn.close()
            missing = [a["url"] for a in published if canonicalize_url(a["url"]) not in stored]
            if missing:
                raise SystemExit(f"published articles not stored: {missing}")
    print(machine())
    print(
        f"{len(sites)} demo sites, {n_sources} sources; first full crawl {first_run:.1f} s; {rounds} round(s)"
    )
    print(f"{'measure':<44} {'median':>8}")
    print(f"{'requests per source, no-change re-run':<44} {statistics.median(per_source):>8.2f}")
    print(f"{'publish -> stored by the next run (s)':<44} {statistics.median(latency):>8.2f}")
    print(
        json.dumps(
            {
                "sources": n_sources,
                "sites": len(sites),
                "requests_per_source_no_change": round(statistics.median(per_source), 3),
                "publish_to_stored_s": round(statistics.median(latency), 2),
                "first_crawl_s": round(first_run, 2),
                "rounds": rounds,
            }
        )
    )


if __name__ == "__main__":
    main()
