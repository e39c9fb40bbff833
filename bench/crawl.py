"""Crawl throughput: the full newsmon pipeline (crawl, extract, dedup, store) against a bare Scrapy spider
that fetches the same pages and only reads <title>, both against the demo sites in the same run.

    python bench/crawl.py            # >= 5,000 demo articles, 3 rounds
    python bench/crawl.py --quick    # ~700 articles, 1 round (< 1 minute)

Prints a table, then one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import FAST, ROOT, crawl_all, machine  # noqa: E402
from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402


def run_newsmon(config: Path, tmp: Path, round_no: int) -> tuple[int, float, int]:
    """(pages fetched, seconds, articles stored) of one full newsmon crawl of every demo site."""
    db = tmp / f"newsmon-{round_no}.db"
    from storage.db import open_db

    open_db(db).conn.close()
    seconds = crawl_all(config, db)
    conn = sqlite3.connect(db)
    pages = sum(
        json.loads(s or "{}").get("response_received_count", 0)
        for (s,) in conn.execute("SELECT stats FROM runs")
    )
    stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    return pages, seconds, stored


def run_bare(urls_by_site: dict[str, list[str]], tmp: Path) -> tuple[int, float]:
    """(pages, seconds) of the bare spider over the same URLs, one process per site like newsmon."""
    procs = []
    files = []
    for site, urls in urls_by_site.items():
        f = tmp / f"urls-{site}.txt"
        f.write_text("\n".join(urls), encoding="utf-8")
        files.append(f)
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    argv_base = [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py")]
    settings = [a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]
    queue = list(files)
    parallel = os.cpu_count() or 2
    t0 = time.perf_counter()
    while queue or procs:
        while queue and len(procs) < parallel:
            f = queue.pop(0)
            procs.append(
                subprocess.Popen(
                    [*argv_base, "-a", f"urls_file={f}", *settings],
                    cwd=tmp,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        procs[0].wait()
        procs = [p for p in procs if p.poll() is None]
    seconds = time.perf_counter() - t0
    return sum(len(u) for u in urls_by_site.values()), seconds


def main() -> None:
    """Run the benchmark and print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small corpus, one round (< 1 minute)")
    ap.add_argument("--scale", type=int, default=None, help="demo scale (default 60, quick 8)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 3, quick 1)")
    args = ap.parse_args()
    scale = args.scale or (8 if args.quick else 60)
    rounds = args.rounds or (1 if args.quick else 3)
    with (
        tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmpdir,
        DemoServer(build_world(seed=7, scale=scale, slow_seconds=0.5)) as srv,
    ):
        tmp = Path(tmpdir)
        config = srv.write_sites_toml(tmp / "sites.toml")
        expected = len(srv.truth(bodies=False)["articles"])
        results = {"newsmon": [], "bare": []}
        stored = 0
        for r in range(rounds):
            srv.reset_log()
            pages, secs, stored = run_newsmon(config, tmp, r)
            results["newsmon"].append((pages, secs))
            urls_by_site: dict[str, list[str]] = {}
            for site, base in srv.site_urls.items():
                urls_by_site[site] = [
                    base + p for m, p, st in srv.request_log(site) if m == "GET" and p != "/robots.txt"
                ]
            results["bare"].append(run_bare(urls_by_site, tmp))
    med = {k: statistics.median(p / s for p, s in v) for k, v in results.items()}
    pages = statistics.median(p for p, _ in results["newsmon"])
    ratio = med["newsmon"] / med["bare"]
    print(machine())
    print(f"demo scale {scale}: {expected} articles expected, {stored} stored; {rounds} round(s), medians")
    print(f"{'crawler':<10} {'pages':>7} {'seconds':>8} {'pages/s':>8}")
    for k, v in results.items():
        p = statistics.median(x for x, _ in v)
        s = statistics.median(y for _, y in v)
        print(f"{k:<10} {p:>7.0f} {s:>8.1f} {med[k]:>8.1f}")
    print(f"ratio newsmon/bare: {ratio:.2f} (target >= 0.5)")
    print(
        json.dumps(
            {
                "pages": pages,
                "articles_expected": expected,
                "articles_stored": stored,
                "newsmon_pages_per_s": round(med["newsmon"], 1),
                "bare_pages_per_s": round(med["bare"], 1),
                "ratio": round(ratio, 3),
                "rounds": rounds,
                "scale": scale,
            }
        )
    )


if __name__ == "__main__":
    main()
