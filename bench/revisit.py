"""Revisit cost: an archive of stored demo articles of mixed ages, re-checked by real crawls of the demo sites.

    python bench/revisit.py            # 10,000 stored articles
    python bench/revisit.py --quick    # 2,000 stored articles (< 2 minutes)

Runs, each a real crawl of every demo site (one process per site):
  steady   the previous run was 30 minutes ago; 10 new articles per site; default budget (20%)
  backlog  every stored article due at once (an archive that predates revisits); 10 new per site
  fetch    a sample of articles due, no budget, no validators stored yet: every revisit is a 200 (baseline)
  304      the same sample again, now with the ETags from the fetch run: every revisit is a 304
  quiet    nothing due, nothing new: requests per source (target 1.0)
Prints a table, then one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import FAST, crawl_all, machine  # noqa: E402
from crawler import signatures  # noqa: E402
from crawler.canonical import canonicalize_url  # noqa: E402
from crawler.revisits import DEFAULT_SCHEDULE, next_revisit  # noqa: E402
from crawler.sites import load_sites  # noqa: E402
from demo.server import DemoServer  # noqa: E402
from demo.world import build_world  # noqa: E402
from storage.store import Store  # noqa: E402

SETTINGS = {**FAST, "NEWSMON_MAX_ATTEMPTS": 1, "NEWSMON_WATCHES": "False"}
MAX_AGE_DAYS = 45  # stored articles are first seen 0–45 days ago (older than 30 days: no revisit left)


def iso(dt: datetime) -> str:
    """ISO UTC to the second."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def build_archive(srv: DemoServer, db: Path, n: int, seed: int = 7) -> int:
    """Store n of the demo's articles (as a crawl would), first seen at mixed ages; return how many."""
    arts = [a for a in srv.truth()["articles"] if a["delay"] == 0][:n]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with Store(db) as store:
        store.upsert_sites([{"name": s} for s in {a["site"] for a in arts}])
        for i in range(0, len(arts), 500):
            items = []
            for a in arts[i : i + 500]:
                body = a["body_text"] or ""
                items.append({"url": canonicalize_url(a["url"]), "original_url": a["url"], "site": a["site"],
                              "title": a["title"], "published_at": a["published_at"], "source": a["source"],
                              "body_text": body, "content_hash": signatures.content_hash(body),
                              "signature": signatures.signature(body)})  # fmt: skip
            store.save_articles(items)
        # ages: many recent articles, a long tail of old ones (as a monitored archive grows)
        rows = []
        for (art_id,) in store.db.conn.execute("SELECT id FROM articles").fetchall():
            first = now - timedelta(days=MAX_AGE_DAYS * rng.random() ** 2)
            last_run = now - timedelta(minutes=30)  # the previous run checked everything due by then
            rows.append((iso(first), next_revisit(first, max(first, last_run), DEFAULT_SCHEDULE), art_id))
        with store._write() as conn:
            conn.executemany("UPDATE articles SET first_seen_at = ?, next_revisit_at = ? WHERE id = ?", rows)
        return len(rows)


def run(srv: DemoServer, config: Path, db: Path, **extra: str) -> dict[str, float]:
    """One crawl of every site; requests, revisits and seconds summed over the sites' runs."""
    srv.reset_log()
    conn = sqlite3.connect(db)
    last = conn.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
    conn.close()
    seconds = crawl_all(config, db, {**SETTINGS, **extra})
    conn = sqlite3.connect(db)
    stats = [json.loads(s or "{}") for (s,) in conn.execute("SELECT stats FROM runs WHERE id > ?", (last,))]
    conn.close()

    def total(key: str) -> int:
        return sum(int(s.get(key, 0) or 0) for s in stats)

    return {
        "seconds": seconds,
        "requests": len(srv.request_log()),
        "downloader_requests": total("downloader/request_count"),
        "response_bytes": total("downloader/response_bytes"),
        "new": total("newsmon/items/new"),
        "due": total("newsmon/revisits/due"),
        "revisits": total("newsmon/revisits/done"),
        "not_modified": total("newsmon/revisits/not_modified"),
        "deferred": total("newsmon/revisits/deferred"),
    }


def set_due(db: Path, where: str, args: tuple = ()) -> int:
    """Make the matching articles due now (and every other one not due); how many are due."""
    past, future = iso(datetime.now(UTC) - timedelta(minutes=1)), iso(datetime.now(UTC) + timedelta(days=90))
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE articles SET next_revisit_at = ?", (future,))
        n = conn.execute(f"UPDATE articles SET next_revisit_at = ? WHERE {where}", (past, *args)).rowcount
    conn.close()
    return n


def main() -> None:
    """Run the benchmark and print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2,000 stored articles")
    ap.add_argument("--articles", type=int, default=None)
    args = ap.parse_args()
    n = args.articles or (2000 if args.quick else 10_000)
    sample = max(100, n // 10)
    scale = max(1, n // 70 + 2)
    with (
        tempfile.TemporaryDirectory(prefix="bench-revisit-") as tmpdir,
        DemoServer(build_world(seed=7, scale=scale, slow_seconds=0.2)) as srv,
    ):
        tmp = Path(tmpdir)
        config = srv.write_sites_toml(tmp / "sites.toml")
        n_sources = sum(len(s.sources) for s in load_sites(config))
        db = tmp / "revisit.db"
        t0 = time.perf_counter()
        archived = build_archive(srv, db, n)
        build_s = time.perf_counter() - t0
        # list pages and validators as a monitored site has them; the sitemap's extra articles arrive over
        # several runs (1,000 per source and run), so prime until a run finds nothing new
        for _ in range(4):
            if not run(srv, config, db, NEWSMON_REVISITS="False")["new"]:
                break
        conn = sqlite3.connect(db)
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]  # with what that run found
        conn.close()
        srv.publish(site=None, n=10)
        steady = run(srv, config, db)
        srv.publish(site=None, n=10)
        backlog_due = set_due(db, "1")
        backlog = run(srv, config, db)
        set_due(db, "id % ? = 0 AND http_etag IS NULL", (max(1, archived // sample),))
        fetch = run(srv, config, db, NEWSMON_REVISIT_SHARE="1")
        set_due(db, "last_checked_at IS NOT NULL AND http_etag IS NOT NULL AND removed_at IS NULL")
        not_modified = run(srv, config, db, NEWSMON_REVISIT_SHARE="1")
        set_due(db, "0")
        quiet = run(srv, config, db)
    share = {
        k: r["revisits"] / max(1, r["downloader_requests"])
        for k, r in (("steady", steady), ("backlog", backlog))
    }
    # the quiet run (same sites, no revisit, nothing new) is the fixed cost of a run: processes, sources
    per_200 = max(0.0, fetch["seconds"] - quiet["seconds"]) / max(1, fetch["revisits"])
    per_304 = max(0.0, not_modified["seconds"] - quiet["seconds"]) / max(1, not_modified["revisits"])
    bytes_200 = fetch["response_bytes"] / max(1, fetch["downloader_requests"])
    bytes_304 = not_modified["response_bytes"] / max(1, not_modified["downloader_requests"])
    print(machine())
    print(f"{stored:,} stored articles ({archived:,} first seen 0-{MAX_AGE_DAYS} days ago, the rest by the first run), "
          f"{n_sources} sources on 7 demo sites; archive built in {build_s:.1f} s")  # fmt: skip
    print("time per revisit: the run's seconds less the quiet run's (the fixed cost of a run), per revisit")
    print(
        f"{'run':<10} {'requests':>9} {'new':>5} {'due':>6} {'revisits':>9} {'304':>6} {'share':>6} {'s':>6}"
    )
    for name, r in (("steady", steady), ("backlog", backlog), ("fetch", fetch), ("304", not_modified),
                    ("quiet", quiet)):  # fmt: skip
        sh = r["revisits"] / max(1, r["downloader_requests"])
        print(f"{name:<10} {r['downloader_requests']:>9} {r['new']:>5} {r['due']:>6} {r['revisits']:>9} "
              f"{r['not_modified']:>6} {sh:>6.2f} {r['seconds']:>6.1f}")  # fmt: skip
    print(f"cost per revisit: 200 {per_200 * 1000:.1f} ms / {bytes_200:,.0f} B; 304 {per_304 * 1000:.1f} ms / "
          f"{bytes_304:,.0f} B (ratio {per_304 / per_200:.2f} time, {bytes_304 / max(1, bytes_200):.3f} bytes); "
          f"requests per revisit {not_modified['downloader_requests'] / max(1, not_modified['revisits']):.2f} "
          "(incl. the run's own source requests)")  # fmt: skip
    print(f"quiet run, nothing due: {quiet['requests'] / n_sources:.2f} requests per source")
    print(json.dumps({
        "stored_articles": stored,
        "archived_mixed_ages": archived,
        "sources": n_sources,
        "steady": {"due": steady["due"], "revisits": steady["revisits"], "requests": steady["downloader_requests"],
                   "new": steady["new"], "revisit_share": round(share["steady"], 3)},
        "backlog": {"due": backlog["due"], "revisits": backlog["revisits"], "deferred": backlog["deferred"],
                    "requests": backlog["downloader_requests"], "new": backlog["new"],
                    "revisit_share": round(share["backlog"], 3)},
        "backlog_due_set": backlog_due,
        "revisit_200_ms": round(per_200 * 1000, 2),
        "revisit_304_ms": round(per_304 * 1000, 2),
        "revisit_304_vs_200_time": round(per_304 / per_200, 3),
        "bytes_per_request_200": round(bytes_200),
        "bytes_per_request_304": round(bytes_304),
        "revisits_304": not_modified["not_modified"],
        "revisits_in_304_run": not_modified["revisits"],
        "requests_per_revisit_304_run": round(not_modified["downloader_requests"] / max(1, not_modified["revisits"]), 3),
        "quiet_requests_per_source": round(quiet["requests"] / n_sources, 3),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
