"""`newsmon serve` and `newsmon stats`: metadata, search box, canned queries, read-only, a real server."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.commands.serve import build_datasette
from storage.datasette_meta import QUERIES, build_metadata
from tests.conftest import start_server
from tests.helpers import ARTICLES, make_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_db(tmp_path_factory.mktemp("serve") / "news.db")


def get(db: Path, path: str) -> tuple[int, Any]:
    ds = build_datasette(str(db))

    async def go() -> tuple[int, Any]:
        await ds.invoke_startup()
        r = await ds.client.get(path)
        return r.status_code, (r.json() if ".json" in path else r.text)

    return asyncio.run(go())


def q(s: str) -> str:
    return urllib.parse.quote(s)


def test_metadata_describes_hides_and_sorts() -> None:
    meta = build_metadata("news")["databases"]["news"]
    tables = meta["tables"]
    assert (
        "标题" in tables["articles"]["columns"]["title"] and "title" in tables["articles"]["columns"]["title"]
    )
    assert tables["articles"]["sort_desc"] == "published_at"
    for hidden in ("articles_fts", "source_state", "_sqlite_migrations", "dedup_bands"):
        assert tables[hidden]["hidden"] is True
    assert {"site", "region", "level", "source", "column_name", "day"} <= set(
        tables["article_list"]["facets"]
    )
    assert {"latest_stories", "todays_stories", "stories_by_reposts", "story_copies", "failures_last_day",
            "unhealthy_sites", "search"} <= set(meta["queries"])  # fmt: skip


def test_search_box_finds_two_character_words(db: Path) -> None:
    status, page = get(db, f"/news/articles.json?_search={q('长春')}&_shape=objects")
    assert status == 200 and [r["title"] for r in page["rows"]] == ["长春市召开优化营商环境工作推进会议"]
    # exact copies carry no body of their own but are found through their original
    status, page = get(db, f"/news/articles.json?_search={q('振兴')}&_col=site&_shape=objects")
    assert sorted(r["site"] for r in page["rows"]) == ["changchun-gov", "gov-cn", "jilin-gov"]
    status, page = get(db, f"/news/story_list.json?_search={q('振兴')}&_shape=objects")
    assert [(r["first_site"], r["copies"]) for r in page["rows"]] == [("gov-cn", 3)]
    status, html = get(db, f"/news/story_list?_search={q('营商环境')}")
    assert 'name="_search"' in html and "长春市召开优化营商环境工作推进会议" in html


def test_default_sort_and_facets(db: Path) -> None:
    status, page = get(db, "/news/articles.json?_shape=objects&_col=published_at")
    dates = [r["published_at"] for r in page["rows"]]
    assert status == 200 and dates == sorted(dates, reverse=True)
    status, page = get(db, "/news/article_list.json?_size=0")
    facets = page["facet_results"]
    assert {"site", "region", "level", "source", "column_name", "day"} <= set(facets)
    assert {f["value"] for f in facets["region"]["results"]} == {"全国", "吉林省", "吉林省/长春市", "北京市"}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_canned_queries_run(db: Path, name: str) -> None:
    params = {"story_copies": "?story=1", "todays_stories": "?day=2023-11-22", "search": f"?q={q('振兴')}"}
    status, page = get(
        db, f"/news/{name}.json{params.get(name, '')}&_shape=objects".replace(".json&", ".json?")
    )
    assert status == 200 and page["ok"], page
    rows = page["rows"]
    if name == "story_copies":
        assert [r["site"] for r in rows][0] == "gov-cn" and len(rows) == 3
    if name == "failures_last_day":
        assert [r["kind"] for r in rows] == ["http"]
    if name == "unhealthy_sites":
        assert {r["site"] for r in rows} == {"jilin-gov", "changchun-gov", "beijing-gov"}
    if name == "stories_by_reposts":
        assert rows[0]["copies"] == 3
    if name == "search":
        assert [r["site"] for r in rows] == ["gov-cn"]
    if name == "todays_stories":
        assert [r["title"] for r in rows] == ["长春市召开优化营商环境工作推进会议"]


def test_custom_sql_cannot_write(db: Path) -> None:
    sql = q("INSERT INTO sites (name) VALUES ('x')")
    status, page = get(db, f"/news.json?sql={sql}")
    assert not page.get("ok", True) or status >= 400
    status, page = get(db, f"/news.json?sql={q('SELECT count(*) AS n FROM sites')}&_shape=objects")
    assert page["rows"] == [{"n": 4}]


def test_serve_get_and_missing_db(db: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        main, ["serve", "--db", str(db), "--get", "/news/latest_stories.json?_shape=objects"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["rows"][0]["title"] == '=HYPERLINK("http://evil")'
    r = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "nope.db"), "--get", "/"])
    assert r.exit_code == 1 and "no such database" in r.output
    assert not (tmp_path / "nope.db").exists()


def test_stats_table_and_json(db: Path) -> None:
    r = CliRunner().invoke(main, ["stats", "--db", str(db), "--json"])
    s = json.loads(r.stdout)
    assert (s["articles"], s["stories"], s["sites"], s["exact_copies"]) == (len(ARTICLES), 4, 4, 2)
    assert s["per_day"][0] == {"day": "2023-11-24", "articles": 1, "stories": 1}
    assert s["top_sources"][0] == {"source": "中国政府网", "articles": 2}
    r = CliRunner().invoke(main, ["stats", "--db", str(db), "--days", "2"])
    assert (
        r.exit_code == 0
        and "stories" in r.stdout
        and "2023-11-23" in r.stdout
        and "2023-11-22" not in r.stdout
    )


def fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def test_real_server_on_loopback_reads_while_a_crawl_writes(tmp_path: Path) -> None:
    from crawler.signatures import content_hash
    from storage.store import Store

    db = make_db(tmp_path / "live.db")
    proc, base = start_server(db)
    try:
        assert proc.args[-1] != "0.0.0.0"
        conns = {
            c.laddr.ip
            for c in __import__("psutil").Process(proc.pid).net_connections()
            if c.status == "LISTEN"
        }
        assert conns == {"127.0.0.1"}
        before = fetch_json(base + "/live/articles.json?_size=0")["filtered_table_rows_count"]
        with Store(db) as store:  # a crawl writing while the server is up (WAL: no lock conflict)
            body = "吉林市召开冰雪旅游推介会，振兴冰雪经济。"
            store.save_articles([{"url": "https://jl/live.html", "site": "jilin-gov", "title": "冰雪旅游推介会",
                                  "body_text": body, "content_hash": content_hash(body),
                                  "published_at": "2023-11-28T09:00:00+08:00"}])  # fmt: skip
            page = fetch_json(base + f"/live/articles.json?_search={q('冰雪')}&_shape=objects")
        assert [r["title"] for r in page["rows"]] == ["冰雪旅游推介会"]
        assert fetch_json(base + "/live/articles.json?_size=0")["filtered_table_rows_count"] == before + 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_custom_sql_cannot_read_notification_targets(tmp_path: Path) -> None:
    db = make_db(tmp_path / "news.db")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "INSERT INTO watches (name, definition, source) VALUES ('w', ?, 'cli')",
            (json.dumps({"notify": ["tgram://123456:SECRET-TOKEN/999"]}),),
        )
        conn.execute(
            "INSERT INTO watch_hits (id, watch, article_id, created_at) VALUES (1, 'w', 1, '2023-11-22T00:00:00')"
        )
        conn.execute(
            "INSERT INTO watch_deliveries (hit_id, watch, target, status) VALUES (1, 'w', 'tgram://SECRET-TOKEN', 'sent')"
        )
    conn.close()
    for sql in (
        "SELECT definition FROM watches",
        "SELECT * FROM watch_deliveries",
        "SELECT (SELECT target FROM watch_deliveries) AS t FROM sites",
        "SELECT value FROM watch_state",
    ):
        status, page = get(db, f"/news.json?sql={q(sql)}&_shape=objects")
        assert "SECRET-TOKEN" not in json.dumps(page)
        assert status >= 400 or not page.get("ok", True), (sql, page)
    # what may be served still is: the hits, counts, and the pages of the database
    status, page = get(db, f"/news.json?sql={q('SELECT watch, article_id FROM watch_hits')}&_shape=objects")
    assert status == 200 and page["rows"] == [{"watch": "w", "article_id": 1}]
    status, page = get(db, f"/news.json?sql={q('SELECT count(*) AS n FROM watches')}&_shape=objects")
    assert status == 200 and page["rows"] == [{"n": 1}]
    status, html = get(db, "/news")
    assert status == 200 and "SECRET-TOKEN" not in html
