"""Shared fixtures: the offline demo sites on 127.0.0.1 and helpers to run real crawls in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawler.commands.demo import DEMO_SETTINGS as DEMO_CRAWL_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
# fast settings for the local demo sites (as `newsmon demo` uses), with INFO logs for failing tests
DEMO_SETTINGS = {k: str(v) for k, v in {**DEMO_CRAWL_SETTINGS, "LOG_LEVEL": "INFO"}.items()}
# cluster workers: the same per-host budget as the local e2e tests (4 at once, no delay), with a timeout the
# slow page meets
CLUSTER_SETTINGS = {
    **DEMO_SETTINGS,
    "DOWNLOAD_TIMEOUT": "10",
    "NEWSMON_CLUSTER_DELAY": "0",
    "NEWSMON_CLUSTER_CONCURRENCY": "4",
}


@pytest.fixture
def fast_demo() -> Iterator[Any]:
    """Demo sites of their own whose slow page answers within the download timeout, so every article can
    be stored."""
    from demo.server import DemoServer
    from demo.world import build_world

    srv = DemoServer(build_world(seed=7, scale=1, slow_seconds=0.5)).start()
    yield srv
    srv.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[Any]:
    """A redis-server of this test's own on a free 127.0.0.1 port (AOF on, for the restart test)."""
    from crawler.distributed.localcluster import RedisServer

    srv = RedisServer(tmp_path / "redis", aof=True).start()
    yield srv
    srv.stop()


@pytest.fixture
def cluster_factory(redis_server: Any, tmp_path: Path) -> Iterator[Any]:
    """Build LocalClusters on this test's Redis; everything they started is stopped afterwards."""
    from crawler.distributed.localcluster import LocalCluster

    made: list[LocalCluster] = []

    def make(settings: dict[str, str] | None = None, db: str = "news.db") -> LocalCluster:
        cluster = LocalCluster(
            redis_server.url, tmp_path / db, tmp_path, settings or CLUSTER_SETTINGS, lease=3.0
        )
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.stop()


@pytest.fixture(scope="session")
def demo_server() -> Iterator[Any]:
    """The demo sites, shared by tests that only read them (never publish or break them)."""
    from demo.server import DemoServer
    from demo.world import build_world

    srv = DemoServer(build_world(seed=7, scale=1, slow_seconds=3.0)).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One `newsmon demo --json` (both passes) and the database it left, shared by the tests that check its
    summary or read its pages; a test that changes the database works on its own copy (`copy_db`)."""
    db = tmp_path_factory.mktemp("demo-run") / "demo.db"
    return newsmon("demo", "--db", str(db), "--json", timeout=600), db


def copy_db(src: Path, dest: Path) -> Path:
    """A consistent copy of a SQLite database (WAL included) through the backup API."""
    import sqlite3

    source, copy = sqlite3.connect(src), sqlite3.connect(dest)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return dest


@pytest.fixture
def fresh_demo() -> Iterator[Any]:
    """A demo server of its own, for tests that publish articles or break sites."""
    from demo.server import DemoServer
    from demo.world import build_world

    srv = DemoServer(build_world(seed=11, scale=1, slow_seconds=3.0)).start()
    yield srv
    srv.stop()


def newsmon(
    *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run the newsmon CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def crawl_sites(
    db: Path, config: Path, *names: str, extra: dict[str, str] | None = None, refresh: bool = False
) -> subprocess.CompletedProcess[str]:
    """`newsmon crawl` of the named sites (or all) with fast local settings."""
    sets = [f"--set={k}={v}" for k, v in {**DEMO_SETTINGS, **(extra or {})}.items()]
    targets = list(names) or ["--all"]
    return newsmon(
        "crawl", "--db", str(db), "--sites", str(config), *sets, *targets, *(["--refresh"] if refresh else [])
    )


def last_runs(db: Path) -> dict[str, dict[str, Any]]:
    """Latest run row per site, with stats decoded."""
    import sqlite3

    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY site)").fetchall()
    conn.close()
    out = {}
    for r in rows:
        d = dict(r)
        d["stats"] = json.loads(d["stats"] or "{}")
        out[d["site"]] = d
    return out


def start_server(db: Path) -> tuple[subprocess.Popen[str], str]:
    """`newsmon serve` in a subprocess on a free loopback port, returned once it answers."""
    from crawler.distributed.localcluster import free_port

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_PROXY": "127.0.0.1"},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                return proc, base
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{base} did not answer in 20 s") from None
            time.sleep(0.1)  # polling the server, which is still starting
