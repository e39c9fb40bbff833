"""Database trouble: corrupt file, read-only file system, full disk. A clear error, a non-zero exit, no
traceback, and never a half-written article."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import crawl_sites, newsmon

pytestmark = [pytest.mark.faults, pytest.mark.slow]


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small RAM file system of its own (root only); skipped where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


def test_corrupt_database(demo_server, tmp_path: Path) -> None:
    config = demo_server.write_sites_toml(tmp_path / "sites.toml")
    db = tmp_path / "news.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\x13" * 8000)
    for args in (
        ("crawl", "--db", str(db), "--sites", str(config), "cc-edu"),
        ("export", "--db", str(db), "--format", "csv"),
        ("runs", "--db", str(db)),
    ):
        proc = newsmon(*args)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert "not a valid SQLite database" in proc.stderr
        _no_traceback(proc)
    assert not any(p.endswith(".shtml") and "jyxw/2" in p for _, p, _ in demo_server.request_log("cc-edu"))


def test_read_only_file_system(demo_server, tmp_path: Path) -> None:
    config = demo_server.write_sites_toml(tmp_path / "sites.toml")
    with tmpfs(tmp_path / "ro", "20m") as place:
        db = place / "news.db"
        first = crawl_sites(db, config, "cc-edu")
        assert first.returncode == 0, first.stderr[-2000:]
        conn = sqlite3.connect(db)
        before = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        conn.close()
        subprocess.run(["mount", "-o", "remount,ro", str(place)], check=True)
        proc = crawl_sites(db, config, "cc-edu", refresh=True)
        assert proc.returncode == 1
        assert "read-only" in proc.stderr, proc.stderr[-2000:]
        _no_traceback(proc)
        conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == before


def test_disk_full_mid_crawl(demo_server, tmp_path: Path) -> None:
    """The disk fills while a crawl writes: the crawl stops with a clear error and every stored article
    is whole (committed batches only), the database stays intact, and the next run completes the rest."""
    config = demo_server.write_sites_toml(tmp_path / "sites.toml")
    with tmpfs(tmp_path / "full", "700k") as place:
        db = place / "news.db"
        proc = crawl_sites(db, config, extra={"NEWSMON_BATCH_SIZE": "2"})
        assert proc.returncode == 1, proc.stdout
        _no_traceback(proc)
        assert "crashed" in proc.stdout or "failed" in proc.stdout
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        half = conn.execute(
            "SELECT count(*) FROM articles WHERE title IS NULL OR (body_text IS NULL AND duplicate_of IS NULL)"
        ).fetchone()[0]
        assert half == 0
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        conn.close()
        truth = demo_server.truth(bodies=False)
        slow = {f["url"] for f in truth["faults"] if f["kind"] == "timeout"}
        expected = len([a for a in truth["articles"] if a["url"] not in slow])
        assert stored < expected
        roomy = tmp_path / "roomy"
        roomy.mkdir()
        for suffix in ("", "-wal", "-shm"):
            if Path(str(db) + suffix).exists():
                shutil.copy(Path(str(db) + suffix), roomy / ("news.db" + suffix))
    # the same database, given room again, is completed by the next run
    again = crawl_sites(roomy / "news.db", config)
    assert again.returncode == 0, again.stdout
    conn = sqlite3.connect(roomy / "news.db")
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == expected
    assert conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0] == 0
