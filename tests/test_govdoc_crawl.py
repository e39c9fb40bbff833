"""A real crawl of a small 政府信息公开 site on 127.0.0.1: the list's links only, each record stored whole."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import crawl_sites
from tests.govdoc_pages import FORMS, Record, page

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


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        body = None
        if path == "/list.shtml":
            body = _list_page()
        elif path.startswith("/xxgk/") and path.endswith("-JD0-"):
            i = int(path.split("/")[2].split("-")[0])
            body = page(FORMS[FORM_NAMES[i]](RECORDS[i]), RECORDS[i], title_tag="青石省人民政府门户网站")
        elif path.startswith(("/col/", "/zwgk/")):
            body = "<html><head><title>栏目</title></head><body><p>栏目页面</p></body></html>"
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def site() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_crawl_stores_every_record_and_no_column_page(site: str, tmp_path: Path) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(
        f'[[site]]\nname = "qs-gov"\ntitle = "青石省人民政府"\nsources = [{{ kind = "listing", url = "{site}/list.shtml" }}]\n',
        encoding="utf-8",
    )
    db = tmp_path / "news.db"
    proc = crawl_sites(db, config)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = {r["url"]: dict(r) for r in conn.execute("SELECT * FROM articles")}
    assert sorted(rows) == sorted(f"{site}/xxgk/{i}-JD0-" for i in range(len(RECORDS)))
    for i, r in enumerate(RECORDS):
        row = rows[f"{site}/xxgk/{i}-JD0-"]
        assert (row["title"], row["doc_number"], row["index_number"]) == (
            r.title,
            r.doc_number,
            r.index_number,
        ), i
        assert (row["issuer"], row["source"], row["written_at"]) == (r.issuer, r.issuer, r.written_at)
        assert row["published_at"].startswith(r.published)
    failures = [dict(f) for f in conn.execute("SELECT url, kind FROM failures")]
    assert failures == []
