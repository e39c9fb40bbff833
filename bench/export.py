"""Export benchmark: rows/s and peak memory of `newsmon export` for growing synthetic databases.

Run from the repository root:

    .venv/bin/python bench/export.py --quick    # 10k and 100k rows, < 1 min
    .venv/bin/python bench/export.py            # 100k and 1M rows

Each database holds N synthetic articles (short Chinese bodies, one story per 4 articles: a first
publication and three copies, one of them an exact copy without its own body). Each export runs as its own
`python -m crawler.cli export` process; its peak RSS comes from wait4(), so the numbers are per process.
Memory must not grow with the number of rows. The last line printed is JSON with rows_per_s and
peak_rss_mb (row count -> MB) for the CSV export of every copy, plus every (format, mode, size) measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from storage import search  # noqa: E402
from storage.db import open_db, write_transaction  # noqa: E402

SITES = [
    "gov-cn",
    "jilin-gov",
    "changchun-gov",
    "jilinshi-gov",
    "siping-gov",
    "jiutai-gov",
    "cc-edu",
    "beijing-gov",
]
REGIONS = ["全国", "吉林省", "吉林省/长春市", "吉林省/吉林市", "吉林省/四平市", "吉林省/长春市/九台区", "吉林省/长春市",
           "北京市"]  # fmt: skip
WORDS = "长春振兴营商环境乡村项目建设会议部署推进安全生产民生保障服务群众发展改革创新科技人才教育医疗"


def build(path: str, n: int, seed: int = 1) -> None:
    """A database of n synthetic articles in stories of four (first, two near copies, one exact copy)."""
    rng = random.Random(seed)
    db = open_db(path)
    search.drop(db)  # the export bench measures export; 1M rows through the FTS triggers would take minutes
    db["sites"].insert_all(
        [{"name": s, "title": s, "region": r, "level": "city"} for s, r in zip(SITES, REGIONS, strict=True)]
    )
    t0 = 1_672_531_200  # 2023-01-01
    art_sql = (
        "INSERT INTO articles (id, url, site, title, published_at, source, column_name, body_text, story_id, "
        "duplicate_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    story_sql = (
        "INSERT INTO stories (id, first_article_id, first_site, first_published_at, title, size) "
        "VALUES (?, ?, ?, ?, ?, ?)"
    )
    batch_a: list[tuple] = []
    batch_s: list[tuple] = []

    def flush() -> None:
        with write_transaction(db) as conn:
            conn.executemany(art_sql, batch_a)
            conn.executemany(story_sql, batch_s)
        batch_a.clear()
        batch_s.clear()

    for i in range(1, n + 1):
        sid = (i - 1) // 4 + 1
        k = (i - 1) % 4
        first_id = (sid - 1) * 4 + 1
        ts = t0 + sid * 600 + k * 3600
        when = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ts + 8 * 3600))
        site = SITES[(sid + k) % len(SITES)]
        title = "".join(rng.choice(WORDS) for _ in range(16))
        body = None if k == 3 else "".join(rng.choice(WORDS) for _ in range(120)) + "。"
        batch_a.append((i, f"https://{site}.example/{i}.html", site, title, when, "新华社", "要闻", body, sid,
                        first_id if k == 3 else None))  # fmt: skip
        if k == 0:
            batch_s.append((sid, i, site, when, title, min(4, n - i + 1)))
        if len(batch_a) >= 5000:
            flush()
    flush()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def run_export(db: str, out: str, args: list[str]) -> dict:
    """One export in its own process: wall seconds, rows, peak RSS (MB)."""
    cmd = [sys.executable, "-m", "crawler.cli", "export", "--db", db, "-o", out, "--force", *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"export failed: {' '.join(cmd)}\n{err}")
    rows = int(err.split("exported ")[1].split(" ")[0])
    return {
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }


def main() -> int:
    """Build databases, export them, print a table and a JSON summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10k and 100k rows (< 1 min)")
    ap.add_argument("--sizes", default=None, help="comma-separated article counts (default 100000,1000000)")
    args = ap.parse_args()
    sizes = [int(x) for x in (args.sizes or ("10000,100000" if args.quick else "100000,1000000")).split(",")]
    cases = [("csv", ["--all-copies"]), ("csv", []), ("jsonl", ["--all-copies"]), ("xlsx", [])]
    started = time.perf_counter()
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = os.path.join(tmp, f"n{n}.db")
            t = time.perf_counter()
            build(path, n)
            print(
                f"built {n:,} articles in {time.perf_counter() - t:.1f} s ({os.path.getsize(path) / 1e6:.0f} MB)"
            )
            for fmt, extra in cases:
                if fmt == "xlsx" and n > 200_000:
                    continue  # openpyxl runs ~10k rows/s; the 100k row shows its memory is flat too
                out = os.path.join(tmp, f"out.{fmt}")
                r = run_export(path, out, ["-f", fmt, *extra])
                r.update(
                    size=n,
                    format=fmt,
                    mode="all-copies" if extra else "stories",
                    out_mb=os.path.getsize(out) / 1e6,
                )
                results.append(r)
                os.unlink(out)
            os.unlink(path)
    print()
    print(
        f"{'articles':>9} {'format':<6} {'mode':<11} {'rows':>9} {'rows/s':>9} {'peak RSS MB':>12} {'out MB':>7}"
    )
    for r in results:
        print(f"{r['size']:>9,} {r['format']:<6} {r['mode']:<11} {r['rows']:>9,} {r['rows_per_s']:>9,.0f} "
              f"{r['peak_rss_mb']:>12.1f} {r['out_mb']:>7.1f}")  # fmt: skip
    main_rows = [r for r in results if r["format"] == "csv" and r["mode"] == "all-copies"]
    growth = main_rows[-1]["peak_rss_mb"] / main_rows[0]["peak_rss_mb"]
    print(f"peak RSS growth {sizes[0]:,} -> {sizes[-1]:,} rows (csv, all copies): {growth:.2f}x; "
          f"elapsed {time.perf_counter() - started:.1f} s")  # fmt: skip
    summary = {
        "rows_per_s": round(main_rows[-1]["rows_per_s"]),
        "peak_rss_mb": {str(r["rows"]): round(r["peak_rss_mb"], 1) for r in main_rows},
        "rss_growth": round(growth, 3),
        "runs": [
            {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items() if k != "seconds"}
            for r in results
        ],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
