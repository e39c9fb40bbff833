"""`newsmon schedule` with real `scrapy crawl` subprocesses against the demo sites on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.runner import wait_for
from tests.conftest import DEMO_SETTINGS
from tests.helpers import run_rows

ROOT = Path(__file__).resolve().parent.parent
FAST = DEMO_SETTINGS

pytestmark = pytest.mark.slow


def newsmon_argv(*args: str) -> list[str]:
    return [sys.executable, "-c", "from crawler.cli import main; main()", *args]


def schedule_argv(db: Path, config: Path, *args: str, settings: dict[str, str] | None = None) -> list[str]:
    sets = [f"--set={k}={v}" for k, v in {**FAST, **(settings or {})}.items()]
    return newsmon_argv("schedule", "--db", str(db), "--sites", str(config), *sets, *args)


@pytest.fixture
def config(demo_server: Any, tmp_path: Path) -> Path:
    return demo_server.write_sites_toml(tmp_path / "demo-sites.toml")


def test_four_sites_together_on_a_fresh_database(config: Path, tmp_path: Path) -> None:
    db, logs = tmp_path / "fresh.db", tmp_path / "logs"
    names = ["changchun-gov", "jilin-gov", "jiutai-gov", "cc-edu"]
    site_args = [a for n in names for a in ("--site", n)]
    argv = schedule_argv(db, config, "--once", "--max-crawls", "4", "--log-dir", str(logs), *site_args)
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = run_rows(db)
    assert sorted(r["site"] for r in runs) == sorted(names)
    assert {r["status"] for r in runs} == {"ok"}, [(r["site"], r["status"], r["reason"]) for r in runs]
    assert all(r["new_items"] > 0 for r in runs)
    text = done.stderr + "".join(p.read_text(errors="replace") for p in logs.glob("*.log"))
    assert "database is locked" not in text
    assert "Traceback" not in text
    # a second --once right after: nothing is due
    again = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "no site is due" in again.stderr
    assert len(run_rows(db)) == 4


def test_sigterm_mid_crawl_commits_scraped_items(demo_server: Any, config: Path, tmp_path: Path) -> None:
    db = tmp_path / "term.db"
    # nothing is committed before close: every stored item proves the shutdown path committed it
    settings = {"DOWNLOAD_DELAY": "0.25", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    settings |= {"NEWSMON_BATCH_SIZE": "10000", "NEWSMON_BATCH_SECONDS": "10000"}
    argv = schedule_argv(db, config, "--site", "gov-cn", "--grace", "20s", settings=settings)
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        demo_server.reset_log()
        wait_for(
            lambda: sum("/content_" in p for _, p, _ in demo_server.request_log("gov-cn")) >= 3,
            timeout=30,
            what="the crawl to fetch some articles",
        )
        (row,) = run_rows(db, "gov-cn")
        assert row["status"] == "running"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=25)
        assert proc.returncode == 0, err
        assert time.monotonic() - t0 < 20
    finally:
        proc.kill()
    (row,) = run_rows(db, "gov-cn")
    assert row["status"] == "failed" and row["reason"].startswith("shutdown"), row
    stats = json.loads(row["stats"])
    conn = sqlite3.connect(db)
    stored = conn.execute("SELECT count(*) FROM articles WHERE run_id = ?", (row["id"],)).fetchone()[0]
    conn.close()
    assert stats["item_scraped_count"] > 0
    assert stored == stats["item_scraped_count"] == row["new_items"]
