"""Killed crawls and concurrent access: nothing lost, nothing corrupted."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, crawl_sites, start_server
from tests.helpers import crawl_command

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _expected(srv) -> set[str]:
    from crawler.canonical import canonicalize_url

    # the servers here answer the "slow" page in 0.2 s, well inside the 2 s timeout: every article counts
    return {canonicalize_url(a["url"]) for a in srv.truth(bodies=False)["articles"]}


def _running_pids(db: Path) -> set[int]:
    """The processes of the runs now `running` (none while the database or its schema does not exist)."""
    if not db.exists():
        return set()
    conn = sqlite3.connect(db, timeout=10)
    try:
        return {pid for (pid,) in conn.execute("SELECT pid FROM runs WHERE status = 'running'")}
    except sqlite3.OperationalError:
        return set()  # the schema is not created yet
    finally:
        conn.close()


def test_sigkill_mid_write_many_times(tmp_path: Path) -> None:
    """SIGKILL crawl processes at random moments: the file stays intact, committed articles stay whole,
    killed runs are marked crashed, and a final run stores every article exactly once."""
    from demo.server import DemoServer
    from demo.world import build_world

    rng = random.Random(20231128)
    with DemoServer(build_world(seed=5, scale=4, slow_seconds=0.2)) as srv:
        config = srv.write_sites_toml(tmp_path / "sites.toml")
        db = tmp_path / "kill.db"
        expected = _expected(srv)
        kills = 0
        for _ in range(6):
            proc = subprocess.Popen(
                crawl_command(db, config, "--all", "--set=NEWSMON_BATCH_SIZE=3", "--parallel=2"),
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            deadline = time.monotonic() + 60
            victims: list[psutil.Process] = []
            while time.monotonic() < deadline and proc.poll() is None and not victims:
                # crawls that have begun their run: a kill during scrapy's start-up (seconds on a loaded
                # machine) would hit no write, and the round would prove nothing
                running = _running_pids(db)
                victims = [c for c in psutil.Process(proc.pid).children() if c.pid in running]
                if not victims:
                    time.sleep(0.02)  # polling the run rows
            time.sleep(rng.uniform(0.3, 2.0))  # a random moment in the crawl, not a wait for a condition
            for v in victims:
                try:
                    v.send_signal(signal.SIGKILL)
                    kills += 1
                except psutil.NoSuchProcess:
                    pass
            out, err = proc.communicate(timeout=120)
            assert "Traceback" not in err, err[-2000:]
            conn = sqlite3.connect(db)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert (
                conn.execute(
                    "SELECT count(*) FROM articles WHERE title IS NULL OR (body_text IS NULL AND duplicate_of IS NULL)"
                ).fetchone()[0]
                == 0
            )
            assert conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0] == 0
            conn.close()
        assert kills >= 3
        final = subprocess.run(
            crawl_command(db, config, "--all"), cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert final.returncode == 0, final.stdout + final.stderr[-2000:]
    conn = sqlite3.connect(db)
    stored = [u for (u,) in conn.execute("SELECT url FROM articles")]
    assert len(stored) == len(set(stored))
    assert set(stored) == expected
    assert conn.execute("SELECT count(*) FROM runs WHERE status = 'crashed'").fetchone()[0] >= 1


def test_six_crawls_with_datasette_and_export_reading(tmp_path: Path) -> None:
    """Six crawls write at once while datasette serves pages and exports stream: no 'database is locked',
    no lost article (counted against the demo's ground truth)."""
    from demo.server import DemoServer
    from demo.world import build_world

    with DemoServer(build_world(seed=9, scale=3, slow_seconds=0.2)) as srv:
        config = srv.write_sites_toml(tmp_path / "sites.toml")
        db = tmp_path / "busy.db"
        expected = _expected(srv)
        sites = sorted(srv.site_urls)[:6]
        # create the schema first, as the scheduler and `newsmon crawl` do
        from storage.db import open_db

        open_db(db).conn.close()
        serve, base = start_server(db)
        stop = threading.Event()
        errors: list[str] = []
        reads = {"datasette": 0, "export": 0}

        def read_datasette() -> None:
            while not stop.is_set():
                try:
                    with urllib.request.urlopen(f"{base}/busy/articles.json?_size=50", timeout=10) as r:
                        json.load(r)
                        reads["datasette"] += 1
                except OSError as exc:  # the server answered before the crawl: any error now is a finding
                    errors.append(f"datasette: {exc}")

        def export_loop() -> None:
            while not stop.is_set():
                p = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "crawler.cli",
                        "export",
                        "--db",
                        str(db),
                        "--format",
                        "jsonl",
                        "--all-copies",
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                if p.returncode != 0 or "locked" in p.stderr:
                    errors.append(p.stderr[-500:])
                reads["export"] += 1

        threads = [threading.Thread(target=read_datasette), threading.Thread(target=export_loop)]
        for t in threads:
            t.start()
        try:
            proc = crawl_sites(db, config, *sites, extra={"LOG_LEVEL": "INFO", "NEWSMON_BATCH_SIZE": "2"})
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
            serve.send_signal(signal.SIGTERM)
            _, serve_err = serve.communicate(timeout=30)
    assert proc.returncode == 0, proc.stdout
    assert "locked" not in proc.stderr and "locked" not in serve_err
    assert not errors, errors
    assert reads["export"] >= 1 and reads["datasette"] >= 1, reads
    conn = sqlite3.connect(db)
    stored = {u for (u,) in conn.execute("SELECT url FROM articles")}
    want = {u for u in expected if any(u.startswith(srv.site_urls[s]) for s in sites)}
    assert stored == want
    statuses = {s for (s,) in conn.execute("SELECT status FROM runs")}
    assert statuses == {"ok"}
