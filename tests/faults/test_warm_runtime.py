"""Faults inside the warm crawl runtime (crawler/warm.py): real crawls forked by one worker, against the demo
sites and a server that never answers, all on 127.0.0.1. A stuck run is stopped and recorded `timeout`
while the other sites' runs in the same worker finish `ok`; a killed run is `crashed`; a worker killed
mid-run does not lose the runs it had started, and the next run gets a fresh worker."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from crawler.runner import wait_for
from crawler.runtime import WarmRunner
from crawler.sites import load_sites
from scheduler import Scheduler
from tests.conftest import DEMO_SETTINGS
from tests.helpers import run_rows

pytestmark = pytest.mark.slow

FAST = {**DEMO_SETTINGS, "DOWNLOAD_TIMEOUT": "60", "RETRY_TIMES": "0"}


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never sends a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


def _config(demo_server: Any, tmp_path: Path, port: int) -> Path:
    path = demo_server.write_sites_toml(tmp_path / "sites.toml")
    with path.open("a", encoding="utf-8") as f:
        f.write(
            f'\n[[site]]\nname = "stuck"\ntimeout = "4s"\n'
            f'sources = [{{ url = "http://127.0.0.1:{port}/list/" }}]\n'
        )
    return path


def _scheduler(config: Path, db: Path, names: list[str], **kw: Any) -> tuple[Scheduler, WarmRunner]:
    sites = [s for s in load_sites(config) if s.name in names]
    runner = WarmRunner(str(db), str(config), FAST, log_dir=str(db.parent))
    return Scheduler(sites, str(db), runner, max_concurrent=4, kill_grace=2.0, **kw), runner


def test_a_stuck_run_in_the_shared_runtime_is_stopped_while_the_others_finish_ok(
    demo_server: Any, silent_server: int, tmp_path: Path
) -> None:
    config = _config(demo_server, tmp_path, silent_server)
    db = tmp_path / "news.db"
    sched, runner = _scheduler(config, db, ["stuck", "changchun-gov", "jilin-gov", "jiutai-gov"])
    try:
        outcomes = {o.site: o for o in sched.run_once()}
        workers = runner.worker_pids()
    finally:
        runner.close()
    assert runner.fallbacks == 0 and len(workers) == 1  # every run was forked by the one warm worker
    assert outcomes["stuck"].status == "timeout", outcomes["stuck"]
    assert "still running after 4s" in outcomes["stuck"].reason
    by_site = {r["site"]: r for r in run_rows(db)}
    assert by_site["stuck"]["status"] == "timeout"
    for name in ("changchun-gov", "jilin-gov", "jiutai-gov"):
        assert by_site[name]["status"] == "ok", by_site[name]
        assert by_site[name]["new_items"] > 0
    pids = {o.pid for o in outcomes.values()}
    assert len(pids) == 4 and workers[0] not in pids  # each run its own child, none the worker itself
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in pids)


def test_a_killed_run_is_crashed_and_a_killed_worker_loses_no_run(demo_server: Any, tmp_path: Path) -> None:
    config = demo_server.write_sites_toml(tmp_path / "sites.toml")
    db = tmp_path / "news.db"
    sched, runner = _scheduler(config, db, ["gov-cn", "changchun-gov"])
    slow = {**FAST, "DOWNLOAD_DELAY": "0.3", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    runner.settings = slow
    sched.prepare()
    try:
        results: dict[str, Any] = {}
        threads = [
            threading.Thread(target=lambda n=n: results.__setitem__(n, sched.run_site(n)))
            for n in ("gov-cn", "changchun-gov")
        ]
        for t in threads:
            t.start()
        running = wait_for(lambda: len(sched.running()) == 2 and sched.running(), 30, "two runs")
        wait_for(lambda: len([r for r in run_rows(db) if r["status"] == "running"]) == 2, 30, "two run rows")
        (worker,) = runner.worker_pids()
        os.kill(worker, signal.SIGKILL)  # the shared runtime dies: its runs go on, followed by pid
        os.killpg(running["gov-cn"], signal.SIGKILL)  # one run dies
        for t in threads:
            t.join(120)
        assert results["gov-cn"].status == "crashed", results["gov-cn"]
        assert results["changchun-gov"].status == "ok", results["changchun-gov"]
        # the next run gets a fresh worker, not a plain process
        again = sched.run_site("gov-cn")
        assert again.status == "ok" and runner.fallbacks == 0, again
        assert runner.worker_pids() and worker not in runner.worker_pids()
    finally:
        runner.close()
