"""The news desk pages and Atom feeds, through datasette's own client on a small real database."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from crawler.commands.serve import build_datasette
from storage.datasette_meta import build_metadata
from storage.db import open_db, write_transaction
from tests.helpers import make_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = make_db(tmp_path_factory.mktemp("desk") / "news.db")
    store = open_db(str(path))
    conn = store.conn
    with write_transaction(store):
        first = conn.execute("SELECT id FROM articles WHERE url = 'https://www.gov.cn/1.html'").fetchone()[0]
        conn.execute(
            "UPDATE articles SET body_html = ?, doc_number = '国发〔2023〕12号', issuer = '国务院', "
            "images = ? WHERE id = ?",
            ('<p onclick="alert(1)">国务院常务会议<a href="javascript:alert(2)">链接</a></p><script>x()</script>'
             '<img src="https://www.gov.cn/a.jpg" onerror="alert(3)">',
             '[{"url": "https://www.gov.cn/a.jpg", "alt": "会议"}, {"url": "javascript:alert(4)", "alt": "坏"}]',
             first),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO article_versions (article_id, title, body_text, seen_at) VALUES (?, '旧标题', '旧正文', "
            "'2023-11-20T02:00:00+00:00')",
            (first,),
        )
        conn.execute(
            "INSERT INTO watch_hits (watch, story_id, article_id, site, title, created_at) "
            "SELECT '振兴', story_id, id, site, title, '2023-11-21T00:00:00+00:00' FROM articles WHERE id = ?",
            (first,),
        )
    conn.close()
    return path


def get(db: Path, path: str) -> tuple[int, str, str]:
    ds = build_datasette(str(db))

    async def go() -> tuple[int, str, str]:
        await ds.invoke_startup()
        r = await ds.client.get(path)
        return r.status_code, r.text, r.headers.get("content-type", "")

    return asyncio.run(go())


def q(s: str) -> str:
    return urllib.parse.quote(s)


def story_of(db: Path, url: str) -> int:
    return sqlite3.connect(db).execute("SELECT story_id FROM articles WHERE url = ?", (url,)).fetchone()[0]


def article_page(db: Path, url: str) -> tuple[int, str, str]:
    """The article page of the article stored under url: status, whole page, the body block."""
    aid = sqlite3.connect(db).execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()[0]
    status, html, _ = get(db, f"/-/article/{aid}")
    return status, html, html[html.index('id="desk-body"') : html.index("</article>")]


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="desk-row">(.*?)</tr>', html, re.S)


def test_desk_lists_latest_stories_with_first_publisher_copies_and_sites(db: Path) -> None:
    status, html, _ = get(db, "/")
    assert status == 200 and "今日事件" in html
    found = rows(html)
    titles = [re.search(r'href="/-/story/\d+">([^<]+)</a>', r).group(1) for r in found]
    # newest first publication first; the 3-copy story by its first publisher, with every site named
    assert titles[0] == "=HYPERLINK(&#34;http://evil&#34;)" and titles[-1] == "国务院部署乡村振兴重点工作"
    zx = found[-1]
    assert "中国政府网" in zx and '<td class="num">3</td>' in zx
    assert "吉林省人民政府" in zx and "长春市人民政府" in zx


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "region=" + q("吉林省"),
            {"国务院部署乡村振兴重点工作", "长春市召开优化营商环境工作推进会议", "HYPERLINK"},
        ),
        (
            "region=" + q("吉林省/长春市"),
            {"国务院部署乡村振兴重点工作", "长春市召开优化营商环境工作推进会议"},
        ),
        ("level=national", {"国务院部署乡村振兴重点工作"}),
        ("site=beijing-gov", {"北京市发布冬季供暖保障方案"}),
        (
            "column=" + q("要闻") + "&site=changchun-gov",
            {"国务院部署乡村振兴重点工作", "长春市召开优化营商环境工作推进会议"},
        ),
        ("column=" + q("没有这个栏目"), set()),
    ],
)
def test_desk_filters(db: Path, query: str, expected: set[str]) -> None:
    status, html, _ = get(db, "/?" + query)
    got = {re.search(r'href="/-/story/\d+">([^<]+)</a>', r).group(1) for r in rows(html)}
    got = {"HYPERLINK" if "HYPERLINK" in t else t for t in got}
    assert status == 200 and got == expected
    if not expected:
        assert "no stories match" in html


def test_story_page_is_a_timeline_with_changes_against_the_first(db: Path) -> None:
    sid = story_of(db, "https://www.gov.cn/1.html")
    status, html, _ = get(db, f"/-/story/{sid}")
    assert status == 200
    timeline = rows(html)
    assert len(timeline) == 3
    assert "首发 first" in timeline[0] and "中国政府网" in timeline[0] and "新华社" in timeline[0]
    assert "+6.5 h" in timeline[1] and "吉林省人民政府" in timeline[1]  # 09:00 -> 15:30
    assert "【转载】国务院部署乡村振兴重点工作" in timeline[1] and "标题改为" in timeline[1]
    assert "来源改为" in timeline[1] and "中国政府网" in timeline[1]
    assert "正文相同 same body" in timeline[2] and "+23 h" in timeline[2]
    assert get(db, "/-/story/999999")[0] == 404


def test_article_page_headline_document_fields_sanitized_body_images_versions(db: Path) -> None:
    status, html, body = article_page(db, "https://www.gov.cn/1.html")
    assert status == 200
    assert '<h2 id="desk-headline">国务院部署乡村振兴重点工作</h2>' in html
    assert "国发〔2023〕12号" in html and "发文机关 issuer" in html and "国务院" in html
    assert "国务院常务会议" in body and "链接" in body
    assert not re.search(r"\bon\w+=|javascript:|<script|<img", body, re.I), body
    assert 'href="https://www.gov.cn/a.jpg"' in body  # the image is a link
    assert "旧标题" in html and "历史版本" in html
    assert get(db, "/-/article/999999")[0] == 404


def test_article_page_of_an_exact_copy_shows_the_shared_body(db: Path) -> None:
    status, html, body = article_page(db, "https://www.changchun.gov.cn/3.html")
    assert status == 200 and "国务院常务会议" in body and "javascript" not in body  # the original's HTML
    assert "发文字号" not in html  # this copy has no document fields


def test_site_page_shows_runs_failures_by_kind_last_success_and_chart(db: Path) -> None:
    status, html, _ = get(db, "/-/site/jilin-gov")
    assert status == 200 and "吉林省人民政府" in html
    assert "<strong>http</strong> 1" in html and "status-failed" in html and "从未 never" in html
    assert "<svg" in html and "<rect" in html and "articles per day" in html
    status, html, _ = get(db, "/-/site/gov-cn")
    assert "从未 never" not in html and "status-ok" in html
    assert get(db, "/-/site/no-such-site")[0] == 404


def test_search_marks_words_and_groups_by_story(db: Path) -> None:
    status, html, _ = get(db, "/-/search?q=" + q("钉钉子"))
    assert status == 200 and 'label for="desk-q">全文检索' in html
    groups = re.findall(r'<section class="desk-result desk-row">(.*?)</section>', html, re.S)
    assert len(groups) == 1  # three copies, one story
    assert groups[0].count("<li>") == 3 and groups[0].count("<mark>钉钉子</mark>") == 3
    assert "3 篇 articles in 1 个事件" in html
    status, html, _ = get(db, "/-/search")
    assert "0 results" not in html and '<section class="desk-result' not in html and "两个字的词也可" in html


def parse_feed(db: Path, query: str = "") -> tuple[Any, etree._Element]:
    status, body, ctype = get(db, "/-/feed.atom" + query)
    assert status == 200 and ctype.startswith("application/atom+xml")
    parsed = feedparser.parse(body.encode())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed, etree.fromstring(body.encode())


def test_atom_feed_is_valid_newest_first_one_entry_per_story(db: Path) -> None:
    parsed, root = parse_feed(db)
    assert root.tag == f"{ATOM}feed"
    for el in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{el}") is not None
    entries = parsed.entries
    assert len(entries) == 4  # six articles, four stories (one with three copies)
    assert len({e.id for e in entries}) == 4
    published = [e.published_parsed for e in entries]
    assert published == sorted(published, reverse=True)
    zx = next(e for e in entries if e.title == "国务院部署乡村振兴重点工作")
    assert zx.author == "中国政府网" and zx.link == "https://www.gov.cn/1.html"
    content = zx.content[0].value
    assert content.count("<li>") == 3 and "吉林省人民政府" in content and "长春市人民政府" in content
    for entry in root.findall(f"{ATOM}entry"):  # every entry has what RFC 4287 requires
        for el in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{el}") is not None


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("?site=beijing-gov", ["北京市发布冬季供暖保障方案"]),
        (
            "?region=" + q("吉林省/长春市"),
            ["长春市召开优化营商环境工作推进会议", "国务院部署乡村振兴重点工作"],
        ),
        ("?q=" + q("振兴"), ["国务院部署乡村振兴重点工作"]),
        ("?watch=" + q("振兴"), ["国务院部署乡村振兴重点工作"]),
        ("?column=" + q("要闻") + "&site=gov-cn", ["国务院部署乡村振兴重点工作"]),
        ("?watch=nothing", []),
    ],
)
def test_atom_feed_filters(db: Path, query: str, titles: list[str]) -> None:
    parsed, _ = parse_feed(db, query)
    assert [e.title for e in parsed.entries] == titles


def test_column_descriptions_are_true_to_the_real_columns(tmp_path: Path) -> None:
    """Every column the metadata describes exists in a freshly migrated database, and the main tables'
    columns are all described."""
    store = open_db(str(tmp_path / "fresh.db"))
    conn = store.conn
    real = {
        name: {r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    }
    conn.close()
    tables = build_metadata("fresh")["databases"]["fresh"]["tables"]
    described = {name: t["columns"] for name, t in tables.items() if "columns" in t}
    assert {"articles", "stories", "story_list", "article_list", "sites"} <= set(described)
    for name, cols in described.items():
        assert name in real, name
        phantom = set(cols) - real[name]
        assert not phantom, f"{name} describes columns it does not have: {sorted(phantom)}"
    for name in ("story_list", "article_list", "stories", "sites"):
        assert real[name] <= set(described[name]), (name, sorted(real[name] - set(described[name])))


def test_table_pages_fold_column_descriptions(db: Path) -> None:
    status, html, _ = get(db, "/news/article_list")
    assert (
        status == 200 and "column-descriptions" in html and "details" in html
    )  # folded by the plugin script
