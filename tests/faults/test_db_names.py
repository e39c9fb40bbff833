"""`--db` names are file names, never URIs: '%41', '#', '?', ':' and spaces stay part of the name for the
crawl, the read-only commands and datasette, and no stray file appears."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import crawl_sites
from tests.faults.hostile import article
from tests.helpers import RouteServer, page

pytestmark = [pytest.mark.faults, pytest.mark.slow]

NAMES = ["%41.db", "a#b.db", "c?mode=memory.db", "d%3Fe&f=1.db", "file:g.db", "h i.db", "新闻%20库.db"]


@pytest.fixture(scope="module")
def site() -> RouteServer:
    routes = {"/a/t20231128_1.html": page(article("数据库名字测试文章"))}
    routes["/list.html"] = page('<ul><li><a href="/a/t20231128_1.html">数据库名字测试文章标题</a></li></ul>')
    with RouteServer(routes=routes) as srv:
        yield srv


@pytest.fixture(scope="module")
def crawled(site: RouteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database written by a crawl (copied to each name below)."""
    tmp = tmp_path_factory.mktemp("crawled")
    config = tmp / "sites.toml"
    config.write_text(
        f'[[site]]\nname = "s"\nsources = [{{ url = "{site.base}/list.html" }}]\n', encoding="utf-8"
    )
    db = tmp / "plain.db"
    proc = crawl_sites(db, config)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert sorted(p.name for p in tmp.iterdir() if not p.name.startswith(db.name)) == ["sites.toml"]
    return db


def _read(db: Path) -> list[tuple[str]]:
    conn = sqlite3.connect(db.as_uri().replace("file://", "file:", 1) + "?mode=ro", uri=True)
    try:
        return conn.execute("SELECT title FROM articles").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("name", NAMES)
def test_read_commands_open_the_named_file(crawled: Path, tmp_path: Path, name: str) -> None:
    from datasette.utils import tilde_encode

    db = tmp_path / name
    shutil.copy(crawled, db)
    from click.testing import CliRunner

    from crawler.cli import main

    run = CliRunner().invoke  # in-process: the same commands, without a second of start-up each
    out = run(main, ["export", "-f", "jsonl", "-o", "-", "--db", str(db)])
    assert out.exit_code == 0 and out.exception is None, out.output[-1500:]
    assert "数据库名字测试文章" in out.output
    assert run(main, ["runs", "--json", "--db", str(db)]).output.count('"status": "ok"') == 1
    route = tilde_encode(Path(name).stem)
    served = run(main, ["serve", "--db", str(db), "--get", f"/{route}/articles.json?_shape=array&_col=title"])
    assert served.exit_code == 0, served.output[-1500:]
    assert [r["title"] for r in json.loads(served.output)] == ["数据库名字测试文章"]
    stray = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(name))
    assert stray == [], stray


def test_a_crawl_under_each_name_touches_only_that_file(site: RouteServer, tmp_path: Path) -> None:
    """Writers: a name with '%41', a query and a fragment, and a `file:` prefix."""
    config = tmp_path / "sites.toml"
    config.write_text(
        f'[[site]]\nname = "s"\nsources = [{{ url = "{site.base}/list.html" }}]\n', encoding="utf-8"
    )
    for name in ("%41 #1?mode=ro.db", "c?mode=memory#x.db", "file:g.db"):
        db = tmp_path / name
        proc = crawl_sites(db, config)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (name, proc.stderr[-2000:])
        assert _read(db) == [("数据库名字测试文章",)]
    names = {p.name for p in tmp_path.iterdir()}
    assert {n for n in names if not n.startswith(("%41 #1", "c?mode=memory#x.db", "file:g.db"))} == {
        "sites.toml"
    }
