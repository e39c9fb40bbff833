"""A real crawl of a small 政府信息公开 site on 127.0.0.1: the list's links only, each record stored whole."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import crawl_sites
from tests.govdoc_pages import FORMS, Record, page
from tests.helpers import RouteServer
from tests.helpers import page as route

FORM_NAMES = sorted(FORMS)
RECORDS = [
    Record(
        title=f"青石省人民政府关于第{i + 1}批重点项目建设的通知",
        doc_number=f"青政发〔2024〕{i + 1}号",
        index_number=f"11220000013544357T/2024-{i + 1:05d}",
        published=f"2024-03-{i + 1:02d}",
    )
    for i in range(len(FORM_NAMES))
]
MENU = "".join(f"<a href='/col/lm{i}.shtml'>栏目{i}</a>" for i in range(5))
COLUMNS = (
    "<ul>"
    + "".join(f"<li><a href='/zwgk/zl{i}.shtml'>政务公开第{i}专栏信息</a></li>" for i in range(4))
    + "</ul>"
)


def _list_page() -> str:
    items = "".join(
        f"<li><a href='/xxgk/{i}-JD0-'>{r.title}</a><span>{r.published}</span></li>"
        for i, r in enumerate(RECORDS)
    )
    return f"<html><body><div class='nav'>{MENU}</div>{COLUMNS}<ul class='list'>{items}</ul></body></html>"


def _routes() -> dict[str, object]:
    routes: dict[str, object] = {"/list.shtml": route(_list_page())}
    for i, r in enumerate(RECORDS):
        routes[f"/xxgk/{i}-JD0-"] = route(
            page(FORMS[FORM_NAMES[i]](r), r, title_tag="青石省人民政府门户网站")
        )
    column = route("<html><head><title>栏目</title></head><body><p>栏目页面</p></body></html>")
    routes.update(
        {f"/col/lm{i}.shtml": column for i in range(5)} | {f"/zwgk/zl{i}.shtml": column for i in range(4)}
    )
    return routes


@pytest.fixture
def site() -> Iterator[RouteServer]:
    with RouteServer(routes=_routes()) as srv:
        yield srv


def test_crawl_stores_every_record_and_no_column_page(site: RouteServer, tmp_path: Path) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(
        f'[[site]]\nname = "qs-gov"\ntitle = "青石省人民政府"\nsources = [{{ kind = "listing", url = "{site.base}/list.shtml" }}]\n',
        encoding="utf-8",
    )
    db = tmp_path / "news.db"
    proc = crawl_sites(db, config)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = {r["url"]: dict(r) for r in conn.execute("SELECT * FROM articles")}
    assert sorted(rows) == sorted(f"{site.base}/xxgk/{i}-JD0-" for i in range(len(RECORDS)))
    for i, r in enumerate(RECORDS):
        row = rows[f"{site.base}/xxgk/{i}-JD0-"]
        assert (row["title"], row["doc_number"], row["index_number"]) == (
            r.title,
            r.doc_number,
            r.index_number,
        ), i
        assert (row["issuer"], row["source"], row["written_at"]) == (r.issuer, r.issuer, r.written_at)
        assert row["published_at"].startswith(r.published)
    failures = [dict(f) for f in conn.execute("SELECT url, kind FROM failures")]
    assert failures == []
    assert not [p for p in site.seen if p.startswith(("/col/", "/zwgk/"))]  # menus and columns never fetched
