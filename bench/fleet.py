"""Fleet benchmark: can one machine keep every government site fresh? N sites × 2 sources, real crawls.

    .venv/bin/python bench/fleet.py --quick     # 1,000 sites (127.1.0.1 … 127.1.3.250, one port)
    .venv/bin/python bench/fleet.py             # 15,000 sites

Each site of bench/fleet_world.py has its own loopback address and two column pages of three articles.
Rounds, each one real `newsmon schedule --once` (the warm runtime unless --runtime process) over every
site, into one SQLite file:

1. fill: the first crawl (robots.txt, lists, every article): the archive exists afterwards;
2. no change: every source answers 304 to its conditional GET; robots.txt comes from the cache;
3. 1% new: one new article on 1% of the sources (chosen by a fixed seed).

Per round: wall time, CPU seconds of the scheduler process and everything it started (os.wait4: the
warm worker and every run it forked), peak RSS of the scheduler and of the crawl processes (sampled),
requests by kind and the most requests one host had in flight at once (politeness: 1), run statuses.
The baseline in the same run: a plain `scrapy crawl` process per site (--runtime process) over the first
`--baseline` sites in the no-change state. Projection: sites one core keeps fresh at a 30-minute
interval = 1800 s / (CPU s per no-change site). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import psutil  # noqa: E402

from bench.common import ROOT, machine  # noqa: E402
from bench.fleet_world import COLUMNS, FleetServer  # noqa: E402
from storage.db import open_db  # noqa: E402

# polite defaults kept (one request at a time per host, robots.txt obeyed and cached); on loopback
# no delay or AutoThrottle is needed, and nothing here is slow enough to retry
SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "0",
    "DOWNLOAD_TIMEOUT": "20",
    "LOG_LEVEL": "WARNING",
}


class Sampler(threading.Thread):
    """Peak RSS of a process and, separately, of its descendants (the crawl processes)."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.every = every
        self.stop = threading.Event()
        self.own_mb = self.crawl_total_mb = self.crawl_one_mb = 0.0
        self.crawl_procs_max = 0
        self.own_cpu_s = 0.0  # the scheduler process itself (last sample before it exits)

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stop.wait(self.every):
            try:
                self.own_mb = max(self.own_mb, self.proc.memory_info().rss / 2**20)
                t = self.proc.cpu_times()
                self.own_cpu_s = t.user + t.system
                kids = self.proc.children(recursive=True)
            except psutil.Error:
                return
            rss = []
            for k in kids:
                with contextlib.suppress(psutil.Error):  # a run that just ended
                    rss.append(k.memory_info().rss / 2**20)
            if rss:
                self.crawl_total_mb = max(self.crawl_total_mb, sum(rss))
                self.crawl_one_mb = max(self.crawl_one_mb, max(rss))
                self.crawl_procs_max = max(self.crawl_procs_max, len(rss))


def run_round(
    name: str, db: Path, config: Path, server: FleetServer, max_crawls: int, runtime: str, sites: list[str]
) -> dict[str, Any]:
    """One `newsmon schedule --once` over `sites` (all when empty); its costs and what the server saw."""
    conn = sqlite3.connect(db)
    before = conn.execute("SELECT coalesce(max(id), 0) FROM runs").fetchone()[0]
    conn.close()
    server.stats()  # reset the counters
    argv = [sys.executable, "-c", "from crawler.cli import main; main()", "schedule", "--once"]
    argv += ["--db", str(db), "--sites", str(config), "--max-crawls", str(max_crawls), "--runtime", runtime]
    argv += [f"--set={k}={v}" for k, v in SETTINGS.items()]
    argv += [a for s in sites for a in ("--site", s)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = Sampler(proc.pid)
    sampler.start()
    err: list[bytes] = []
    reader = threading.Thread(
        target=lambda: err.append(proc.stderr.read() if proc.stderr else b""), daemon=True
    )
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop.set()
    reader.join(10)
    conn = sqlite3.connect(db)
    statuses = dict(
        conn.execute("SELECT status, count(*) FROM runs WHERE id > ? GROUP BY status", (before,)).fetchall()
    )
    conn.close()
    served = server.stats()
    n_sites = sum(statuses.values())
    out = {
        "round": name,
        "sites": n_sites,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "scheduler_rss_mb": sampler.own_mb,
        "scheduler_cpu_s": sampler.own_cpu_s,
        "crawl_rss_total_mb": sampler.crawl_total_mb,
        "crawl_rss_one_mb": sampler.crawl_one_mb,
        "crawl_procs_max": sampler.crawl_procs_max,
        "statuses": statuses,
        "served": served,
        "exit": proc.returncode,
    }
    if proc.returncode not in (0, 1) or not n_sites:
        out["stderr_tail"] = b"".join(err).decode(errors="replace")[-1500:]
    return out


def main() -> int:
    """Run the rounds, print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1,000 sites")
    ap.add_argument("--sites", type=int, default=None, help="number of sites (default 15,000; quick 1,000)")
    ap.add_argument("--max-crawls", type=int, default=8, help="crawls at once (default 8)")
    ap.add_argument("--runtime", choices=["warm", "process"], default="warm")
    ap.add_argument(
        "--baseline", type=int, default=10, help="sites in the process-per-run baseline (0: none)"
    )
    args = ap.parse_args()
    n = args.sites or (1000 if args.quick else 15_000)
    rng = random.Random(18)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsmon-fleet-") as tmpdir, FleetServer(n) as server:
        tmp = Path(tmpdir)
        config = tmp / "fleet.toml"
        config.write_text(server.sites_toml(), encoding="utf-8")
        db = tmp / "fleet.db"
        open_db(db).conn.close()
        rounds = [run_round("fill", db, config, server, args.max_crawls, args.runtime, [])]
        rounds.append(run_round("no change", db, config, server, args.max_crawls, args.runtime, []))
        sources = [(i, c) for i in range(n) for c in COLUMNS]
        chosen = rng.sample(sources, max(1, len(sources) // 100))
        published = server.publish(chosen)
        rounds.append(run_round("1% new", db, config, server, args.max_crawls, args.runtime, []))
        conn = sqlite3.connect(db)
        marks = ",".join("?" * len(published))
        found = conn.execute(f"SELECT count(*) FROM articles WHERE url IN ({marks})", published).fetchone()[0]
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        conn.close()
        base = None
        if args.baseline:
            names = [f"fleet{i:05d}" for i in range(min(args.baseline, n))]
            base = run_round("baseline", db, config, server, args.max_crawls, "process", names)
    fill, same, new = rounds
    per_source = same["cpu_s"] / (2 * max(1, same["sites"]))
    base_per_source = base["cpu_s"] / (2 * max(1, base["sites"])) if base else None
    per_core = 1800 / (2 * per_source)
    print(machine())
    print(
        f"{n:,} sites x 2 sources on 127.1.x.y:{server.port}; runtime {args.runtime}; {args.max_crawls} crawls at once"
    )
    head = f"{'round':<10} {'sites':>6} {'wall s':>8} {'CPU s':>8} {'CPU/src':>8} {'sched MB':>8} {'crawl MB':>9} {'1 run MB':>8} {'requests':>8} {'304':>6} {'robots':>6} {'inflight':>8}  statuses"  # noqa: E501
    print(head)
    for r in [*rounds, *([base] if base else [])]:
        s = r["served"]
        print(
            f"{r['round']:<10} {r['sites']:>6} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} "
            f"{r['cpu_s'] / (2 * max(1, r['sites'])):>8.4f} {r['scheduler_rss_mb']:>8.1f} "
            f"{r['crawl_rss_total_mb']:>9.1f} {r['crawl_rss_one_mb']:>8.1f} {s.get('requests', 0):>8} "
            f"{s.get('not_modified', 0):>6} {s.get('robots', 0):>6} {s.get('max_inflight_per_host', 0):>8}  {r['statuses']}"
        )
        if "stderr_tail" in r:
            print(r["stderr_tail"])
    if base_per_source:
        print(f"CPU per no-change source: warm {per_source:.4f} s vs a process per run {base_per_source:.4f} s "
              f"({base_per_source / per_source:.1f}x)")  # fmt: skip
    print(f"of the no-change round's {same['cpu_s']:.1f} CPU-s, the scheduler process itself: "
          f"{same['scheduler_cpu_s']:.1f} (sampled every 0.5 s)")  # fmt: skip
    print(f"new articles: {found} of {len(published)} published stored; {articles:,} articles in the archive")
    print(f"projected: one core keeps {per_core:,.0f} sites fresh at a 30-minute interval; "
          f"elapsed {time.perf_counter() - started:.0f} s")  # fmt: skip
    polite = all(r["served"].get("max_inflight_per_host", 0) <= 1 for r in rounds)
    summary = {
        "sites": n,
        "sources": 2 * n,
        "runtime": args.runtime,
        "max_crawls": args.max_crawls,
        "cpu_s_per_nochange_source": round(per_source, 4),
        "cpu_s_per_nochange_source_process_baseline": round(base_per_source, 4) if base_per_source else None,
        "round_wall_s": round(same["wall_s"], 1),
        "new_round_wall_s": round(new["wall_s"], 1),
        "fill_round_wall_s": round(fill["wall_s"], 1),
        "new_found": found,
        "new_published": len(published),
        "scheduler_rss_mb": round(max(r["scheduler_rss_mb"] for r in rounds), 1),
        "crawl_rss_total_mb": round(max(r["crawl_rss_total_mb"] for r in rounds), 1),
        "crawl_rss_one_run_mb": round(max(r["crawl_rss_one_mb"] for r in rounds), 1),
        "scheduler_cpu_s_nochange": round(same["scheduler_cpu_s"], 1),
        "sites_per_core_30min": round(per_core),
        "robots_fetched_nochange": same["served"].get("robots", 0),
        "max_inflight_per_host": max(r["served"].get("max_inflight_per_host", 0) for r in rounds),
        "polite": polite,
        "nochange_statuses": same["statuses"],
        "new_statuses": new["statuses"],
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
