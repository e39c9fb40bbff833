"""Scheduler costs: idle memory of `newsmon schedule` and the per-run overhead of a crawl subprocess.

Measured against baselines taken in the same run: a bare Python interpreter's memory and start-up time.
Prints a table, then ONE JSON object on the last line.

    .venv/bin/python bench/scheduler.py [--quick] [--sites N] [--runs N]

- idle memory: `newsmon schedule` with N sites that all ran a minute ago (nothing due), measured once
  every job is scheduled (RSS and USS of the scheduler process, threads);
- per-run overhead: from the scheduler starting a `scrapy crawl` process (ScrapyRunner, the code path
  the scheduler uses) to the demo server receiving its first request, and to the process exit;
- dispatch: from Scheduler.run_site() being called to the child process existing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import psutil  # noqa: E402

from bench.common import FAST as COMMON_FAST  # noqa: E402
from bench.common import ROOT  # noqa: E402
from crawler.runner import wait_for  # noqa: E402

FAST = {**COMMON_FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": 4, "RETRY_TIMES": 1}


def _memory(pid: int) -> dict[str, float]:
    proc = psutil.Process(pid)
    info = proc.memory_full_info()
    return {"rss_mb": info.rss / 2**20, "uss_mb": info.uss / 2**20, "threads": proc.num_threads()}


def baseline_python() -> dict[str, float]:
    """Memory of an idle bare interpreter and its start-up time (median of 5)."""
    starts = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        starts.append(time.perf_counter() - t0)
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        time.sleep(0.3)
        mem = _memory(proc.pid)
    finally:
        proc.communicate(b"")
    return {**mem, "start_s": statistics.median(starts)}


def idle_scheduler(tmp: Path, n_sites: int) -> dict[str, float]:
    """Start `newsmon schedule` with nothing due and measure it once every job is scheduled."""
    from storage.store import Store

    db, config = tmp / "idle.db", tmp / "idle.toml"
    config.write_text(
        "".join(
            f'[[site]]\nname = "s{i}"\nevery = "1d"\nsources = [{{ url = "http://127.0.0.1:9/{i}/" }}]\n\n'
            for i in range(n_sites)
        )
    )
    with Store(db) as store:
        for i in range(n_sites):
            store.finish_run(store.start_run(f"s{i}", pid=1), "ok")
    argv = [sys.executable, "-c", "from crawler.cli import main; main()", "schedule", "--db", str(db)]
    argv += ["--sites", str(config)]
    log = tmp / "idle.log"
    with open(log, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stderr=err, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: f"scheduled {n_sites} site(s)" in log.read_text(), 60, "the sites to be queued")
        ready = time.perf_counter() - t0
        time.sleep(1.0)  # idle: nothing is due for a day
        mem = _memory(proc.pid)
        proc.terminate()
        code = proc.wait(timeout=10)
    finally:
        proc.kill()
    return {**mem, "ready_s": ready, "exit_code": code}


def run_overhead(tmp: Path, runs: int) -> dict[str, Any]:
    """Process start → first request at the demo server, and → process exit, for real crawls."""
    from crawler.runner import ScrapyRunner
    from crawler.sites import load_sites
    from demo.server import DemoServer
    from demo.world import build_world
    from scheduler import Scheduler
    from storage.db import open_db

    first, total, dispatch = [], [], []
    with DemoServer(build_world(seed=7, scale=1)) as srv:
        config = srv.write_sites_toml(tmp / "demo.toml")
        site = next(s for s in load_sites(config) if s.name == "jilin-gov")
        for i in range(runs):
            db = tmp / f"run{i}.db"
            open_db(db).conn.close()
            runner = ScrapyRunner(str(db), str(config), FAST)
            srv.reset_log()
            t_wall = time.time()
            t0 = time.perf_counter()
            proc = runner.start(site)
            entries = wait_for(lambda: srv.request_log("jilin-gov", detail=True), 60, "the first request")
            first.append(entries[0]["time"] - t_wall)
            proc.wait(timeout=120)
            total.append(time.perf_counter() - t0)
        # the scheduler's own share: run_site() → child exists (fake instant child)
        db = tmp / "dispatch.db"

        class Instant:
            sites_path = None

            def start(self, s: Any) -> subprocess.Popen[bytes]:
                dispatch.append(time.perf_counter())
                return subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)

            def close(self) -> None:
                pass

        sched = Scheduler([site], str(db), Instant())
        sched.prepare()
        gaps = []
        for _ in range(runs):
            t0 = time.perf_counter()
            sched.run_site(site.name)
            gaps.append(dispatch[-1] - t0)
    return {
        "first_request_s": statistics.median(first),
        "first_request_min_s": min(first),
        "run_total_s": statistics.median(total),
        "dispatch_ms": statistics.median(gaps) * 1000,
    }


def main() -> int:
    """Measure and print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 crawl runs, 20 idle sites (< 30 s)")
    ap.add_argument("--sites", type=int, default=None, help="sites in the idle scheduler (default 200)")
    ap.add_argument("--runs", type=int, default=None, help="crawl runs to time (default 8)")
    args = ap.parse_args()
    n_sites = args.sites or (20 if args.quick else 200)
    runs = args.runs or (3 if args.quick else 8)
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-sched-") as d:
        tmp = Path(d)
        base = baseline_python()
        idle = idle_scheduler(tmp, n_sites)
        over = run_overhead(tmp, runs)
    rows = [
        ("bare python: RSS / USS", f"{base['rss_mb']:.1f} / {base['uss_mb']:.1f} MB", "1.0×"),
        (
            f"idle scheduler, {n_sites} sites: RSS / USS",
            f"{idle['rss_mb']:.1f} / {idle['uss_mb']:.1f} MB, {idle['threads']:.0f} threads",
            f"{idle['rss_mb'] / base['rss_mb']:.1f}×",
        ),
        ("scheduler start → jobs scheduled", f"{idle['ready_s']:.2f} s", ""),
        ("bare python start-up", f"{base['start_s'] * 1000:.0f} ms", "1.0×"),
        (
            "crawl process start → first request",
            f"{over['first_request_s']:.2f} s (min {over['first_request_min_s']:.2f})",
            f"{over['first_request_s'] / base['start_s']:.1f}×",
        ),
        ("crawl process start → exit (jilin-gov, 11 articles)", f"{over['run_total_s']:.2f} s", ""),
        ("scheduler dispatch: run_site() → Popen", f"{over['dispatch_ms']:.1f} ms", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':<36} vs baseline")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:<36} {ratio}")
    print(f"(cpu cores: {os.cpu_count()}; idle scheduler exit code after SIGTERM: {idle['exit_code']})")
    result = {
        "bench": "scheduler",
        "quick": args.quick,
        "cpu_count": os.cpu_count(),
        "idle_sites": n_sites,
        "baseline_rss_mb": round(base["rss_mb"], 1),
        "idle_rss_mb": round(idle["rss_mb"], 1),
        "idle_uss_mb": round(idle["uss_mb"], 1),
        "idle_threads": int(idle["threads"]),
        "idle_rss_ratio": round(idle["rss_mb"] / base["rss_mb"], 2),
        "scheduler_ready_s": round(idle["ready_s"], 2),
        "baseline_start_ms": round(base["start_s"] * 1000, 1),
        "run_first_request_s": round(over["first_request_s"], 3),
        "run_first_request_ratio": round(over["first_request_s"] / base["start_s"], 1),
        "run_total_s": round(over["run_total_s"], 2),
        "dispatch_ms": round(over["dispatch_ms"], 2),
        "runs": runs,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
