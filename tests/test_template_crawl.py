"""Per-site template memory end to end: a real crawl of a local site whose pages share a long sidebar
and footer learns them, stores the counts, and the next run extracts each short story alone."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.store import Store
from storage.templates import add_template_pages, load_template_counts
from tests.conftest import crawl_sites
from tests.helpers import FOOTER, HTML, SIDEBAR, LocalServer, send

pytestmark = pytest.mark.slow


def story(n: int) -> str:
    return f"第{n}号消息：青石市第{n}批重点项目集中开工，总投资{n * 10}亿元。"


class Site:
    """Article pages that only repetition can tell apart from their chrome (<title> names the site)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.server = LocalServer(self._serve).start()
        self.base = self.server.base

    def _serve(self, handler: Any) -> None:
        send(handler, (200, {"Content-Type": HTML}, self.answer(handler.path).encode()))

    def answer(self, path: str) -> str:
        if path == "/robots.txt":
            return ""
        if path == "/xw/index.html":
            items = "".join(
                f'<li><a href="./202403/t20240301_{i}.html">第{i}号消息标题文字</a><span>2024-03-0{i}</span></li>'
                for i in self.ids
            )
            return f"<html><body><div class='nav'><a href='/'>首页</a></div><ul class='list'>{items}</ul></body></html>"
        n = int(path.rsplit("_", 1)[1].split(".")[0])
        return (
            "<html><head><title>青石市人民政府</title></head><body>"
            f"<div class='w'>{SIDEBAR}<div class='r'><div class='t'>第{n}号消息标题文字</div>"
            f"<div class='c'><p>{story(n)}</p></div></div></div>{FOOTER}</body></html>"
        )


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.server.stop()


def bodies(db: Path) -> dict[int, str]:
    rows = sqlite3.connect(db).execute("SELECT url, body_text FROM articles").fetchall()
    return {int(u.rsplit("_", 1)[1].split(".")[0]): b for u, b in rows}


def test_second_run_extracts_short_stories_from_the_learned_template(site: Site, tmp_path: Path) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(
        f'[[site]]\nname = "qs"\nsources = [{{ kind = "listing", url = "{site.base}/xw/index.html" }}]\n',
        encoding="utf-8",
    )
    db = tmp_path / "qs.db"
    site.ids = [1, 2, 3]
    assert crawl_sites(db, config).returncode == 0
    assert set(bodies(db)) == {1, 2, 3}
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM site_template_pages WHERE site = 'qs'").fetchone()[0] == 3
    assert (
        conn.execute("SELECT count(*) FROM site_template WHERE site = 'qs' AND pages = 3").fetchone()[0] >= 4
    )
    conn.close()
    site.ids = [4, 5, 6, 1, 2, 3]
    assert crawl_sites(db, config).returncode == 0
    got = bodies(db)
    for n in (4, 5, 6):  # the template came from the database: every new page is its story alone
        assert got[n] == story(n), got[n]


def test_counts_are_added_once_per_page(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    try:
        assert add_template_pages(store.db, "qs", [("u1", ["a", "b"]), ("u2", ["a"])]) == 2
        assert add_template_pages(store.db, "qs", [("u1", ["a", "b"])]) == 0  # a revisit counts nothing
        assert load_template_counts(store.db, "qs") == {"a": 2, "b": 1}
        assert load_template_counts(store.db, "other") == {}
    finally:
        store.close()
