"""Full-text search benchmark: index size, insert rate with and without the index, query time.

Run from the repository root:

    .venv/bin/python bench/search.py --quick    # 2k demo articles, < 1 min
    .venv/bin/python bench/search.py            # 10k demo articles

Articles are the offline demo sites' articles (demo.world: titles and bodies of simulated government
news, reposts with edits included). Each scheme loads the same rows into a fresh migrated database with
plain INSERTs in batches of 100, one BEGIN IMMEDIATE transaction per batch (as Store does), so the
difference between rows is the cost of the index alone:

- none: no full-text index (the triggers and table of storage/search.py dropped)
- bigram: newsmon's index (storage/search.py): triggers queue new rows, each transaction indexes its batch
  with one statement at COMMIT; size measured after 'optimize'
- trigram: sqlite-utils enable_fts(tokenize="trigram", create_triggers=True), the baseline of DESIGN.md §5

Every query's hit count is checked against a substring scan (instr) of the same rows.
The last line printed is JSON with index_to_text_ratio, insert_rows_per_s_with_index and more.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from crawler.signatures import content_hash  # noqa: E402
from demo.world import sample_articles  # noqa: E402
from storage import search  # noqa: E402
from storage.db import open_db, write_transaction  # noqa: E402

BATCH = 100
WORDS_2 = ["长春", "振兴", "安全", "会议"]
WORDS_4 = ["乡村振兴", "营商环境", "安全生产", "高质量发展"]
COLS = ("url", "site", "title", "published_at", "source", "body_text", "content_hash", "fetched_at")


def demo_articles(n: int) -> list[tuple]:
    """n article rows (originals and edited reposts) from the demo world, deterministic."""
    return [
        (a["url"], a["site"], a["title"], a["published_at"], a["source"], a["body_text"],
         content_hash(a["body_text"]), a["published_at"])
        for a in sample_articles(n)
    ]  # fmt: skip


def load(path: str, rows: list[tuple], scheme: str) -> dict:
    """Insert rows under one indexing scheme; return rate, file size and index size."""
    db = open_db(path)
    search.drop(db)
    if scheme == "bigram":
        search.create(db)
    elif scheme == "trigram":
        db["articles"].enable_fts(["title", "body_text"], tokenize="trigram", create_triggers=True)
    sql = f"INSERT INTO articles ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))})"
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(rows), BATCH):
        with write_transaction(db) as conn:
            conn.executemany(sql, rows[i : i + BATCH])
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    # CPU rate too: on a shared machine the wall clock also measures other people's work.
    out = {
        "scheme": scheme,
        "rows": len(rows),
        "rows_per_s": len(rows) / elapsed,
        "cpu_rows_per_s": len(rows) / cpu,
    }
    if scheme == "bigram":
        out["index_bytes_unoptimized"] = search.index_bytes(db)
        t1 = time.perf_counter()
        search.optimize(db)
        out["optimize_s"] = time.perf_counter() - t1
        out["index_bytes"] = search.index_bytes(db)
    elif scheme == "trigram":
        out["index_bytes"] = db.conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'articles_fts%'"
        ).fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    out["file_bytes"] = os.path.getsize(path)
    db.conn.close()
    return out


def median_run(found: list[dict]) -> dict:
    """The last load's sizes with the median rates of all loads (and every run's wall rate)."""
    rates = {k: statistics.median(r[k] for r in found) for k in ("rows_per_s", "cpu_rows_per_s")}
    return {**found[-1], **rates, "all_rows_per_s": [round(r["rows_per_s"]) for r in found]}


def timed(fn, repeat: int) -> float:
    """Median milliseconds of fn() over `repeat` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def queries(path: str, repeat: int) -> dict:
    """Per word: FTS hit count (checked against instr), count and top-20 query times, substring scan time."""
    db = open_db(path)
    conn = db.conn
    out = {}
    for word in WORDS_2 + WORDS_4:
        match = search.match_expression(word)
        count_sql = f"SELECT count(*) FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH ?"
        hits = conn.execute(count_sql, (match,)).fetchone()[0]
        scan_sql = "SELECT count(*) FROM articles WHERE instr(title, ?) OR instr(body_text, ?)"
        truth = conn.execute(scan_sql, (word, word)).fetchone()[0]
        out[word] = {
            "chars": len(word),
            "hits": hits,
            "substring_hits": truth,
            "count_ms": timed(lambda m=match, s=count_sql: conn.execute(s, (m,)).fetchone(), repeat),
            "top20_ms": timed(lambda w=word: search.search(db, w, limit=20), repeat),
            "scan_ms": timed(
                lambda w=word, s=scan_sql: conn.execute(s, (w, w)).fetchone(), max(1, repeat // 5)
            ),
        }
    conn.close()
    return out


def main() -> int:
    """Run the benchmark and print a table and a JSON summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="2k articles and a 1k trigram baseline (< 1 min)")
    ap.add_argument("--articles", type=int, default=None, help="number of demo articles (default 10000)")
    ap.add_argument(
        "--trigram", type=int, default=None, help="articles for the trigram baseline (default 3000)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="loads of none and bigram; medians reported")
    args = ap.parse_args()
    n = args.articles or (2000 if args.quick else 10_000)
    n_tri = args.trigram or (1000 if args.quick else 3000)
    started = time.perf_counter()
    rows = demo_articles(n)
    body_bytes = sum(len(r[5].encode()) for r in rows)
    text_bytes = body_bytes + sum(len((r[2] or "").encode()) for r in rows)
    print(
        f"{len(rows):,} demo articles, body text {body_bytes / 1e6:.2f} MB "
        f"({body_bytes / len(rows) / 3:.0f} chars/article), title+body {text_bytes / 1e6:.2f} MB"
    )
    with tempfile.TemporaryDirectory() as tmp:
        runs: dict[str, list[dict]] = {"none": [], "bigram": []}
        for i in range(max(1, args.repeat)):
            for scheme, found in runs.items():
                found.append(load(os.path.join(tmp, f"{scheme}{i}.db"), rows, scheme))
        none, big = median_run(runs["none"]), median_run(runs["bigram"])
        tri_rows = rows[:n_tri]
        tri_body = sum(len(r[5].encode()) for r in tri_rows)
        tri = load(os.path.join(tmp, "trigram.db"), tri_rows, "trigram")
        q = queries(os.path.join(tmp, f"bigram{len(runs['bigram']) - 1}.db"), repeat=5 if args.quick else 20)
    ratio = big["index_bytes"] / body_bytes
    tri_ratio = tri["index_bytes"] / tri_body
    print()
    print(
        f"{'scheme':<9} {'rows':>7} {'rows/s':>9} {'CPU rows/s':>10} {'file MB':>8} {'index MB':>9} {'index/body':>10}"
    )
    table = ((none, "-", "-"), (big, f"{big['index_bytes'] / 1e6:.2f}", f"{ratio:.2f}"),
             (tri, f"{tri['index_bytes'] / 1e6:.2f}", f"{tri_ratio:.2f}"))  # fmt: skip
    for r, idx, rat in table:
        print(
            f"{r['scheme']:<9} {r['rows']:>7,} {r['rows_per_s']:>9,.0f} {r['cpu_rows_per_s']:>10,.0f} "
            f"{r['file_bytes'] / 1e6:>8.2f} {idx:>9} {rat:>10}"
        )
    print(
        f"bigram index before 'optimize': {big['index_bytes_unoptimized'] / body_bytes:.2f}x body; "
        f"optimize took {big['optimize_s']:.2f} s; index / (title+body) {big['index_bytes'] / text_bytes:.2f}x"
    )
    print(f"file size with / without index: {big['file_bytes'] / none['file_bytes']:.2f}x")
    print(
        f"rows/s of each load (median above): none {none['all_rows_per_s']}, bigram {big['all_rows_per_s']}"
    )
    print()
    print(
        f"{'query':<12} {'chars':>5} {'hits':>6} {'instr':>6} {'count ms':>9} {'top20 ms':>9} {'scan ms':>8}"
    )
    for word, r in q.items():
        print(
            f"{word:<10} {r['chars']:>5} {r['hits']:>6} {r['substring_hits']:>6} {r['count_ms']:>9.2f} "
            f"{r['top20_ms']:>9.2f} {r['scan_ms']:>8.1f}"
        )
    exact = all(r["hits"] == r["substring_hits"] for r in q.values())
    print(f"hit counts equal to substring scan: {exact}; elapsed {time.perf_counter() - started:.1f} s")

    def med(words: list[str], key: str) -> float:
        return round(statistics.median(q[w][key] for w in words), 3)

    summary = {
        "articles": len(rows),
        "body_bytes": body_bytes,
        "index_bytes": big["index_bytes"],
        "index_to_text_ratio": round(ratio, 3),
        "index_to_title_and_body_ratio": round(big["index_bytes"] / text_bytes, 3),
        "insert_rows_per_s_with_index": round(big["rows_per_s"]),
        "insert_rows_per_s_without_index": round(none["rows_per_s"]),
        "insert_cpu_rows_per_s_with_index": round(big["cpu_rows_per_s"]),
        "insert_cpu_rows_per_s_without_index": round(none["cpu_rows_per_s"]),
        "insert_loads": len(big["all_rows_per_s"]),
        "file_bytes_with_index": big["file_bytes"],
        "file_bytes_without_index": none["file_bytes"],
        "query_ms_2char": med(WORDS_2, "top20_ms"),
        "query_ms_4char": med(WORDS_4, "top20_ms"),
        "count_ms_2char": med(WORDS_2, "count_ms"),
        "count_ms_4char": med(WORDS_4, "count_ms"),
        "hits_equal_substring_scan": exact,
        "trigram_baseline": {
            "articles": tri["rows"],
            "index_to_text_ratio": round(tri_ratio, 3),
            "insert_rows_per_s": round(tri["rows_per_s"]),
            "insert_cpu_rows_per_s": round(tri["cpu_rows_per_s"]),
        },
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if exact else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
