"""Incremental crawling edge cases on a purpose-built column: nothing may be skipped for good."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import crawl_sites, last_runs
from tests.helpers import HTML, LocalServer, send

pytestmark = pytest.mark.slow
PER_PAGE = 3


class Column:
    """A TRS-style column, newest first, 3 per page; articles can be added and made to fail."""

    def __init__(self) -> None:
        self.ids: list[int] = []  # newest first
        self.failing: set[int] = set()
        self.requests: list[str] = []
        self.server = LocalServer(self._serve).start()
        self.base = self.server.base

    def _serve(self, handler: Any) -> None:
        self.requests.append(handler.path)
        status, body = self.answer(handler.path)
        send(handler, (status, {"Content-Type": HTML}, body.encode()))

    def add(self, n: int) -> list[int]:
        new = list(range(len(self.ids) + 1, len(self.ids) + n + 1))
        self.ids = list(reversed(new)) + self.ids
        return new

    def answer(self, path: str) -> tuple[int, str]:
        if path == "/robots.txt":
            return 200, ""
        if path.startswith("/col/index"):
            page = 0 if path == "/col/index.html" else int(path.split("_")[1].split(".")[0])
            pages = -(-len(self.ids) // PER_PAGE)
            items = self.ids[page * PER_PAGE : (page + 1) * PER_PAGE]
            lis = "".join(
                f'<li><a href="./202311/t20231128_{i}.html">第{i}号测试文章的标题</a></li>' for i in items
            )
            return 200, f'<ul>{lis}</ul><script>createPageHTML({pages}, {page}, "index", "html");</script>'
        n = int(path.rsplit("_", 1)[1].split(".")[0])
        if n in self.failing:
            return 503, "busy"
        para = f"<p>第{n}号文章：全市重点项目建设现场推进会召开，会议要求各地各部门抓好落实，推动高质量发展。</p>"
        return 200, (
            f'<html><head><meta name="ArticleTitle" content="第{n}号测试文章的标题">'
            f'<meta name="PubDate" content="2023-11-{n % 28 + 1:02d} 09:30"></head><body>'
            f'<h1>第{n}号测试文章的标题</h1><div class="TRS_Editor">{para * 6}</div></body></html>'
        )

    def stored(self, db: Path) -> set[int]:
        rows = sqlite3.connect(db).execute("SELECT url FROM articles").fetchall()
        return {int(u.rsplit("_", 1)[1].split(".")[0]) for (u,) in rows}


@pytest.fixture
def column(tmp_path: Path):  # noqa: ANN201
    col = Column()
    yield col
    col.server.stop()


def test_an_article_that_failed_on_page_two_is_fetched_by_a_later_run(column: Column, tmp_path: Path) -> None:
    """Run 2 fails one new article on page 2; run 3 must walk past page 1 (all known) to fetch it."""
    config = tmp_path / "sites.toml"
    config.write_text(
        f'[[site]]\nname = "col"\nsources = [{{ kind = "listing", url = "{column.base}/col/index.html", '
        "max_pages = 20 }]\n",
        encoding="utf-8",
    )
    db = tmp_path / "col.db"
    fast = {"RETRY_TIMES": "0"}
    column.add(6)
    assert crawl_sites(db, config, extra=fast).returncode == 0
    assert column.stored(db) == set(range(1, 7))
    new = column.add(4)  # pages now: [10 9 8] [7 6 5] ...: 7 is on page 2
    column.failing = {7}
    crawl_sites(db, config, extra=fast)
    assert column.stored(db) == set(range(1, 11)) - {7}
    column.failing = set()
    column.requests.clear()
    proc = crawl_sites(db, config, extra=fast)
    assert proc.returncode == 0, proc.stdout
    assert column.stored(db) == set(range(1, 11)), column.requests
    assert new == [7, 8, 9, 10]
    # once the walk completed, the next unchanged run stops at the first page again
    column.requests.clear()
    assert crawl_sites(db, config, extra=fast).returncode == 0
    assert [p for p in column.requests if p.startswith("/col/")] == ["/col/index.html"]
    assert last_runs(db)["col"]["stats"].get("newsmon/early_stops") == 1


def test_max_articles_caps_a_local_run_exactly_and_leaves_the_rest_for_the_next(
    fast_demo: Any, tmp_path: Path
) -> None:
    """max_articles = 6 on a column of 14: runs store 6, 6 and 2, each article fetched once, in the run
    that stores it (Scrapy's CLOSESPIDER_ITEMCOUNT alone let a run capped at 5 store all 17 it had asked for)."""
    site, db, srv = "changchun-news", tmp_path / "news.db", fast_demo
    config = tmp_path / "sites.toml"
    config.write_text(
        srv.sites_toml().replace(f'name = "{site}"\n', f'name = "{site}"\nmax_articles = 6\n'),
        encoding="utf-8",
    )
    articles = {urlsplit(a["url"]).path for a in srv.truth()["articles"] if a["site"] == site}
    assert len(articles) == 14

    def stored() -> list[str]:
        conn = sqlite3.connect(db)
        try:
            return [
                urlsplit(u).path for (u,) in conn.execute("SELECT url FROM articles WHERE site = ?", (site,))
            ]
        finally:
            conn.close()

    counts = []
    for _ in range(3):
        before = set(stored()) if db.exists() else set()
        srv.reset_log()
        done = crawl_sites(db, config, site)
        assert done.returncode == 0, done.stderr[-2000:]
        fetched = [p for _, p, _ in srv.request_log(site) if p in articles]
        assert last_runs(db)[site]["status"] == "ok"
        assert set(stored()) - before == set(fetched) and len(fetched) == len(set(fetched))
        counts.append(len(fetched))
    assert counts == [6, 6, 2]
    assert set(stored()) == articles and len(stored()) == 14
