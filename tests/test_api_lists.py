"""JSON/JSONP list interfaces: detection on differently shaped lists, config checks, real crawls."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from crawler import api_lists, discovery
from crawler.sites import ConfigError, parse_sites
from tests.conftest import crawl_sites, last_runs, newsmon
from tests.helpers import send

BODY = (
    "　　"
    + "。".join(f"第{i}段：长春市推进政务公开标准化规范化工作，做好信息发布解读回应" for i in range(6))
    + "。"
)


def article_html(n: int, title: str) -> bytes:
    """A plain article page (no meta dates: the list item's date seeds it)."""
    paras = "".join(f"<p>{BODY}（{n}）</p>" for _ in range(3))
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<div class='nav'><a href='/'>首页</a></div><h1>{title}</h1>"
        f"<div class='content'>{paras}</div></body></html>"
    ).encode()


def nested(page: int) -> dict[str, Any]:
    rows = [
        {"id": n, "title": f"关于政务公开第{n}号通知", "url": f"http://{{host}}/art/2024/3/{n}/art_1_{n}.html",
         "pubtimeStr": f"2024-03-{n:02d} 09:30", "puborg": "长春市人民政府办公厅", "pcode": f"长府办发〔2024〕{n}号"}
        for n in range(10 - 5 * page, 5 - 5 * page, -1) if n > 0
    ]  # fmt: skip
    return {
        "code": 200,
        "msg": "ok",
        "nav": [{"name": "首页", "link": "/"}],
        "data": {"total": 10, "list": rows},
    }


def top_array() -> list[dict[str, Any]]:
    return [
        {"DOCTITLE": f"市政府常务会议第{n}次", "DOCPUBURL": f"/xxgk/202403/t202403{n:02d}_{n}00001.html",
         "DOCRELTIME": 1709260200000 + n * 86400000, "CHNLNAME": "政务要闻"}
        for n in (7, 6, 5)
    ]  # fmt: skip


def jsonp(page: int) -> str:
    rows = [
        {"t": f"九台区第{n}批惠企政策解读", "href": f"./detail/{n}.jsp", "d": f"2024年03月{n:02d}日"}
        for n in ((9, 8) if page == 1 else (3,) if page == 2 else ())
    ]  # fmt: skip
    return "result(" + json.dumps({"pageCount": 2, "pager": {"rows": rows}}, ensure_ascii=False) + ");"


class _Handler(BaseHTTPRequestHandler):
    log: list[str] = []

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802
        """Lists and articles."""
        parts = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.log.append(self.path)
        host = self.headers["Host"]
        ctype, status = "application/json; charset=utf-8", 200
        if parts.path == "/robots.txt":
            body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
        elif parts.path == "/api/list":
            body = (
                json.dumps(nested(int(q.get("page", "0"))), ensure_ascii=False)
                .replace("{host}", host)
                .encode()
            )
        elif parts.path == "/api/all":
            body = json.dumps(top_array(), ensure_ascii=False).encode()
        elif parts.path == "/gkml/zf_list.jsp":
            body, ctype = jsonp(int(q.get("page", "1"))).encode(), "application/javascript"
        elif parts.path == "/api/notjson":
            body = b"{not json"
        elif parts.path.endswith((".html", ".jsp")):
            n = int(
                "".join(
                    ch for ch in parts.path.rsplit("/", 1)[-1].split(".")[0].split("_")[-1] if ch.isdigit()
                )[:2]
            )
            body, ctype = article_html(n, f"文章{n}：政务公开工作"), "text/html; charset=utf-8"
        else:
            body, status = b"not found", 404
        send(self, (status, {"Content-Type": ctype}, body))


@pytest.fixture
def api_server() -> Iterator[str]:
    _Handler.log = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


# -- detection, pure -------------------------------------------------------------------------------------


def test_detects_list_nested_under_data_list() -> None:
    body = json.dumps(nested(0), ensure_ascii=False).replace("{host}", "gov.example").encode()
    spec, found = api_lists.items(body, "http://gov.example/api/list?page=0", api_lists.ApiSpec())
    assert (spec.items, spec.link, spec.title, spec.date) == ("data.list", "url", "title", "pubtimeStr")
    assert [i.url for i in found][:2] == ["http://gov.example/art/2024/3/10/art_1_10.html",
                                          "http://gov.example/art/2024/3/9/art_1_9.html"]  # fmt: skip
    assert found[0].seed["published_at"] == "2024-03-10T09:30:00+08:00"
    assert "nav" not in spec.items  # the navigation array has links but no dates


def test_detects_top_level_array_with_epoch_dates() -> None:
    spec, found = api_lists.items(
        json.dumps(top_array()).encode(), "http://gov.example/api/all", api_lists.ApiSpec()
    )
    assert (spec.items, spec.link, spec.title, spec.date) == ("", "DOCPUBURL", "DOCTITLE", "DOCRELTIME")
    assert found[0].url == "http://gov.example/xxgk/202403/t20240307_700001.html"
    assert found[0].seed["title"] == "市政府常务会议第7次"
    assert found[0].seed["published_at"].startswith("2024-03-0")


def test_detects_jsonp_callback_with_relative_urls() -> None:
    body = jsonp(1).encode()
    assert discovery.detect_kind(body, "application/javascript") == "api"
    spec, found = api_lists.items(
        body, "http://gov.example/gkml/zf_list.jsp?page=1&lb=3", api_lists.ApiSpec()
    )
    assert (spec.items, spec.link, spec.title, spec.date) == ("pager.rows", "href", "t", "d")
    assert [i.url for i in found] == [
        "http://gov.example/gkml/detail/9.jsp",
        "http://gov.example/gkml/detail/8.jsp",
    ]
    assert found[0].seed["published_at"] == "2024-03-09T00:00:00+08:00"


def test_jsonp_variants_and_non_json() -> None:
    assert api_lists.load_json(b'/**/ jQuery1_2({"a": [1]});') == {"a": [1]}
    assert api_lists.load_json(b"var data = [1, 2];") == [1, 2]
    with pytest.raises(api_lists.ApiError):
        api_lists.load_json(b"<html>not json</html>")
    with pytest.raises(api_lists.ApiError, match="no list"):
        api_lists.items(b'{"a": [{"x": 1}]}', "http://gov.example/", api_lists.ApiSpec())
    assert discovery.detect_kind(b"<html><body>x</body></html>", "text/html") == "listing"
    assert discovery.detect_kind(b'{"ok": true}', "application/json") == "listing"  # no items: not a list


def test_page_urls() -> None:
    spec = api_lists.ApiSpec(first_page=1)
    assert api_lists.page_url("http://x/l.jsp?page={page}&lb=2", spec, 2) == "http://x/l.jsp?page=3&lb=2"
    assert api_lists.page_url("http://x/l.jsp?lb=2&pageNo=1", spec, 1) == "http://x/l.jsp?lb=2&pageNo=2"
    assert api_lists.page_url("http://x/api/all/0", spec, 1) is None


def test_configured_api_source_and_its_errors() -> None:
    site = parse_sites({"site": [{"name": "a", "sources": [{
        "kind": "api", "url": "http://x/l?page={page}", "items": "data.list", "link": "url",
        "date": "pubtimeStr", "fields": {"description": "puborg"}, "first_page": 0}]}]})[0]  # fmt: skip
    assert site.sources[0].api == api_lists.ApiSpec(
        "data.list", "url", None, "pubtimeStr", {"description": "puborg"}, 0
    )
    with pytest.raises(ConfigError) as err:
        parse_sites({"site": [{"name": "a", "sources": [
            {"kind": "api", "url": "http://x/", "link": "url", "fields": {"colour": "c"}, "first_page": -1},
            {"kind": "listing", "url": "http://x/", "items": "data"}]}]}, "s.toml")  # fmt: skip
    text = str(err.value)
    for key in ("'items'", "'fields.colour'", "'first_page'", "sources[1], key 'items'"):
        assert key in text, text


# -- real crawls ------------------------------------------------------------------------------------------


def stored(db: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = {r["url"]: dict(r) for r in conn.execute("SELECT * FROM articles")}
    conn.close()
    return rows


def test_adhoc_crawl_detects_three_list_shapes(api_server: str, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    urls = [
        f"{api_server}/api/list?page=0",
        f"{api_server}/api/all",
        f"{api_server}/gkml/zf_list.jsp?page=1&lb=3",
    ]
    sets = ["--set=DOWNLOAD_DELAY=0", "--set=AUTOTHROTTLE_ENABLED=False", "--set=LOG_LEVEL=INFO"]
    proc = newsmon("crawl", "--db", str(db), *sets, *urls)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    rows = stored(db)
    assert len(rows) == 10 + 3 + 3, sorted(rows)  # both pages of the nested list, both JSONP pages
    assert rows[f"{api_server}/gkml/detail/3.jsp"]["published_at"] == "2024-03-03T00:00:00+08:00"
    art = rows[f"{api_server}/art/2024/3/4/art_1_4.html"]
    assert art["published_at"] == "2024-03-04T09:30:00+08:00"
    assert json.loads(art["provenance"])["published_at"] == "api"
    stats = next(iter(last_runs(db).values()))["stats"]
    assert stats["newsmon/detected/api"] == 3


def test_configured_source_seeds_fields_and_stops_at_known_items(api_server: str, tmp_path: Path) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(
        f"""[[site]]
name = "apigov"
[[site.sources]]
kind = "api"
url = "{api_server}/api/list?page={{page}}"
first_page = 0
items = "data.list"
link = "url"
title = "title"
date = "pubtimeStr"
fields = {{ doc_number = "pcode", issuer = "puborg" }}
[[site.sources]]
kind = "api"
url = "{api_server}/api/notjson"
""",
        encoding="utf-8",
    )
    db = tmp_path / "news.db"
    first = crawl_sites(db, config, "apigov")
    assert "apigov" in first.stdout, first.stdout + first.stderr[-2000:]
    rows = stored(db)
    assert len(rows) == 10, first.stdout + first.stderr[-2000:]
    art = rows[f"{api_server}/art/2024/3/7/art_1_7.html"]
    assert art["doc_number"] == "长府办发〔2024〕7号" and json.loads(art["provenance"])["doc_number"] == "api"
    assert art["issuer"] == "长春市人民政府办公厅"
    conn = sqlite3.connect(db)
    fails = conn.execute("SELECT url, kind, detail FROM failures").fetchall()
    conn.close()
    assert [(u.rsplit("/", 1)[-1], k) for u, k, _ in fails] == [("notjson", "parse")], fails
    assert "not JSON" in fails[0][2]
    _Handler.log.clear()
    crawl_sites(db, config, "apigov")
    pages = [p for p in _Handler.log if p.startswith("/api/list")]
    assert pages == ["/api/list?page=0"], pages  # the first page's oldest item is known: no page 1
