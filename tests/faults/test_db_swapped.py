"""The database file moved over by a backup, or deleted (the file or its -wal), while a crawl writes to it:
the crawl notices before its next write (storage/connection.py compares the path's device/inode with the
ones it opened), writes nothing more, says so and exits non-zero; the restored file stays exactly as it was
put there, and what the crawl had committed is kept in a copy beside it, not lost silently."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import crawl_sites
from tests.faults.hostile import article
from tests.helpers import RouteServer, page, send

pytestmark = [pytest.mark.faults, pytest.mark.slow]

MESSAGE = "database file was replaced or deleted under the crawl"


def _site(prefix: str, n: int, on_late: Any = None) -> RouteServer:
    """A list of n articles; the last one's request first runs on_late (the swap), then is answered."""
    links = "".join(
        f'<li><a href="/a/t20231128_{i}.html">{prefix}替换测试文章标题{i}</a></li>' for i in range(n)
    )
    routes: dict[str, Any] = {"/list.html": page(f"<ul>{links}</ul>")}
    for i in range(n):
        routes[f"/a/t20231128_{i}.html"] = page(article(f"{prefix}替换测试文章{i}"))
    if on_late is not None:
        answer = routes.pop(f"/a/t20231128_{n - 1}.html")

        def late(h: Any) -> None:
            on_late()  # done before the answer: the crawl is running and must write this article next
            send(h, answer)

        routes[f"/a/t20231128_{n - 1}.html"] = late
    return RouteServer(routes=routes)


def _config(path: Path, name: str, base: str) -> Path:
    path.write_text(
        f'[[site]]\nname = "{name}"\nsources = [{{ url = "{base}/list.html" }}]\n', encoding="utf-8"
    )
    return path


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("fault", ["replace", "delete-db", "delete-wal"])
def test_database_file_swapped_under_a_crawl(tmp_path: Path, fault: str) -> None:
    backup = tmp_path / "backup.db"
    with _site("备份", 2) as old:
        assert crawl_sites(backup, _config(tmp_path / "old.toml", "old", old.base)).returncode == 0
    assert _count(backup, "SELECT count(*) FROM articles") == 2
    db = tmp_path / "news.db"
    shutil.copy(backup, db)

    def swap() -> None:
        if fault == "replace":  # a restore: a copy of the backup moved over the live file
            shutil.copy(backup, tmp_path / "restore.tmp")
            os.replace(tmp_path / "restore.tmp", db)
        elif fault == "delete-db":
            os.unlink(db)
        else:
            os.unlink(f"{db}-wal")

    with _site("新", 6, on_late=swap) as site:
        proc = crawl_sites(
            db, _config(tmp_path / "new.toml", "s", site.base), extra={"NEWSMON_BATCH_SIZE": "1"}
        )
        assert "/a/t20231128_5.html" in site.seen  # the swap happened mid-crawl
    said = proc.stdout + proc.stderr
    assert proc.returncode != 0, said[-2000:]
    assert MESSAGE in said, said[-3000:]
    assert "Traceback" not in said, said[-3000:]

    # nothing silently lost: the crawl's committed work (at least its run row) is in the copy it names
    kept = glob.glob(f"{db}.detached-*.db")
    assert len(kept) == 1 and kept[0] in said, (kept, said[-2000:])
    assert _integrity(Path(kept[0])) == "ok"
    assert _count(Path(kept[0]), "SELECT count(*) FROM runs WHERE site = 's'") == 1

    if fault == "replace":  # the restored file exactly as restored: whole, its articles, no run of s
        assert _integrity(db) == "ok"
        assert _count(db, "SELECT count(*) FROM articles") == 2
        assert _count(db, "SELECT count(*) FROM runs WHERE site = 's'") == 0
    elif fault == "delete-wal":  # the file is still the crawl's: whole, and its run is not left running
        assert _integrity(db) == "ok"
        assert _count(db, "SELECT count(*) FROM runs WHERE site = 's' AND status = 'running'") == 0
        assert _count(db, "SELECT count(*) FROM runs WHERE site = 's'") == 1
