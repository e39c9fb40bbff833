"""`newsmon schedule --once` after one of its crawls is SIGKILLed mid-run: the scheduler evaluates the watches
the dead crawl could not and sends their alerts itself, and a webhook receiver that trickles its answer
cannot hold it there: it ends within a bound and records the run `crashed`, in both runtimes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.runner import wait_for
from tests.conftest import DEMO_SETTINGS, ROOT
from tests.faults.hostile import article
from tests.helpers import RouteServer, page, send, trickle

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _query(db: Path, sql: str) -> Any:
    """One value from the database, None while it or its tables do not exist yet."""
    if not db.exists():
        return None
    conn = sqlite3.connect(db, timeout=10)
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return row[0] if row else None


@pytest.mark.parametrize("runtime", ["warm", "process"])
def test_schedule_once_ends_after_a_killed_crawl(tmp_path: Path, runtime: str) -> None:
    reached, gate = threading.Event(), threading.Event()
    held_page = page(article("振兴测试文章二"))

    def held(h: Any) -> None:
        reached.set()
        gate.wait(90)  # the crawl waits here until the test has killed it
        send(h, held_page)

    links = "".join(f'<li><a href="/a/t20231128_{i}.html">振兴测试文章标题{i}</a></li>' for i in (1, 2))
    routes = {"/list.html": page(f"<ul>{links}</ul>"), "/a/t20231128_1.html": page(article("振兴测试文章一")),
              "/a/t20231128_2.html": held, "/hook/t": trickle}  # fmt: skip
    with RouteServer(routes=routes) as site:
        config = tmp_path / "sites.toml"
        config.write_text(f'[[site]]\nname = "s"\nevery = "1h"\nsources = [{{ url = "{site.base}/list.html" }}]\n'
                          f'\n[[watch]]\nname = "w"\nall = ["振兴"]\nnotify = ["json://{site.netloc}/hook/t"]\n',
                          encoding="utf-8")  # fmt: skip
        db = tmp_path / "n.db"
        settings = {**DEMO_SETTINGS, "DOWNLOAD_TIMEOUT": "90", "NEWSMON_BATCH_SIZE": "1"}
        sets = [f"--set={k}={v}" for k, v in settings.items()]
        cmd = [sys.executable, "-m", "crawler.cli", "schedule", "--once", "--runtime", runtime,
               "--db", str(db), "--sites", str(config), *sets]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert reached.wait(60), "the crawl never asked for the held article"
            # the first article is committed: the watch has something the dead crawl never evaluated
            wait_for(lambda: (_query(db, "SELECT count(*) FROM articles") or 0) >= 1, 30, "first article")
            pid = _query(db, "SELECT pid FROM runs WHERE status = 'running'")
            assert pid, "no running run row"
            os.kill(pid, signal.SIGKILL)
            t0 = time.monotonic()
            out, err = proc.communicate(timeout=75)  # the bound: a hang fails here
            took = time.monotonic() - t0
        finally:
            gate.set()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert "/hook/t" in site.seen  # the scheduler did try to send the alert the crawl could not
    assert took < 45, (took, err[-1500:])
    assert "Traceback" not in err, err[-2000:]
    rows = sqlite3.connect(db).execute("SELECT status, reason FROM runs").fetchall()
    assert [s for s, _ in rows] == ["crashed"], (rows, err[-1500:])
