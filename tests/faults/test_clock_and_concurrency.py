"""A run that started "in the future" (the clock was set back) does not make a site not due, and health
says so; two manual crawls of one site at once: the second is refused (recorded as skipped, exit non-zero)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_SETTINGS, ROOT, crawl_sites, newsmon
from tests.faults.hostile import article
from tests.helpers import RouteServer, crawl_command, page, send

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _site(gate: threading.Event | None = None) -> RouteServer:
    links = "".join(f'<li><a href="/a/t20231128_{i}.html">时钟测试文章标题{i}</a></li>' for i in range(2))
    body = page(f"<ul>{links}</ul>")

    def listing(h: Any) -> None:
        if gate is not None:
            gate.wait(60)  # held open until the test lets it go: the first crawl is surely still running
        send(h, body)

    routes = {f"/a/t20231128_{i}.html": page(article(f"时钟测试文章{i}")) for i in range(2)}
    return RouteServer(routes={**routes, "/list.html": listing})


def _config(tmp_path: Path, base: str) -> Path:
    config = tmp_path / "sites.toml"
    config.write_text(f'[[site]]\nname = "s"\nevery = "1h"\nsources = [{{ url = "{base}/list.html" }}]\n',
                      encoding="utf-8")  # fmt: skip
    return config


@pytest.mark.parametrize("ahead", [timedelta(hours=3), timedelta(days=400)])
def test_a_start_in_the_future_does_not_stop_the_site(tmp_path: Path, ahead: timedelta) -> None:
    with _site() as site:
        config = _config(tmp_path, site.base)
        db = tmp_path / "n.db"
        assert crawl_sites(db, config).returncode == 0
        future = (datetime.now(UTC) + ahead).isoformat(timespec="seconds")
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE runs SET started_at = ?, finished_at = ?", (future, future))
        health = newsmon("health", "--db", str(db), "--sites", str(config))
        assert health.returncode == 1 and "clock was set back" in health.stdout, health.stdout
        site.seen.clear()
        sets = [f"--set={k}={v}" for k, v in DEMO_SETTINGS.items()]
        proc = newsmon("schedule", "--once", "--db", str(db), "--sites", str(config), *sets, timeout=120)
        assert proc.returncode == 0, proc.stderr[-1500:]
        assert "/list.html" in site.seen  # due now, not in `ahead` from now
    runs = sqlite3.connect(db).execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert [r[0] for r in runs] == ["ok", "ok"]


def test_two_crawls_of_one_site_at_once(tmp_path: Path) -> None:
    gate = threading.Event()
    with _site(gate) as site:
        config = _config(tmp_path, site.base)
        db = tmp_path / "n.db"
        cmd = crawl_command(db, config, "s", settings={**DEMO_SETTINGS, "DOWNLOAD_TIMEOUT": "60"})
        first = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ))  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while "/list.html" not in site.seen:  # the first crawl is waiting for its list page
                assert first.poll() is None and time.monotonic() < deadline, first.communicate()
                time.sleep(0.05)
            second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=90)
        finally:
            gate.set()
            out, err = first.communicate(timeout=90)
        assert first.returncode == 0, err[-1500:]
        assert second.returncode != 0, (second.stdout, second.stderr[-1500:])
        said = second.stdout + second.stderr
        assert "another crawl of site 's' is running" in said, said[-1500:]
        assert "Traceback" not in second.stderr
        assert site.seen.count("/list.html") == 1, site.seen
    rows = sqlite3.connect(db).execute("SELECT status, reason FROM runs ORDER BY id").fetchall()
    assert sorted(s for s, _ in rows) == ["ok", "skipped"], rows
