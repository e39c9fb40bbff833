"""A real browser on the datasette pages: the news desk (home, story, article, site, search) on the demo
database, and datasette's own pages (database, a faceted table, a canned query, a two-character search).

Headless Chromium (Debian package; `.ci/run` installs it), one browser per test driven over the DevTools
protocol, loads each page from `newsmon serve` running in a subprocess; the tests assert on the rendered DOM
(on the desk pages, also where elements are in the 1400×1000 first screen) and save screenshots under
artifacts/browser/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.cdp import Page
from tests.conftest import start_server
from tests.helpers import make_db

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]


def render(page: Page, url: str, name: str) -> str:
    """The DOM after load, and a screenshot saved as artifacts/browser/<name>.png."""
    page.goto(url)
    shot = ARTIFACTS / f"{name}.png"
    page.screenshot(shot)
    assert shot.stat().st_size > 5000
    dom = page.js("document.documentElement.outerHTML")
    (ARTIFACTS / f"{name}.html").write_text(dom, encoding="utf-8")
    return dom


def text(dom: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


def test_datasette_pages_in_chromium(tmp_path: Path) -> None:
    db = make_db(tmp_path / "news.db")
    proc, base = start_server(db)
    page = Page(tmp_path / "cdp-profile")
    try:
        home = text(render(page, base + "/", "home"))
        assert "今日事件" in home and "国务院部署乡村振兴重点工作" in home
        tables = text(render(page, base + "/news", "database"))
        assert "articles" in tables and "story_list" in tables and "articles_fts" not in tables

        dom = render(page, base + "/news/articles?_facet=site", "articles-facet")
        assert 'class="facet-info' in dom or "facet-results" in dom
        shown = text(dom)
        assert "changchun-gov" in shown and "长春市召开优化营商环境工作推进会议" in shown
        assert "publish time" in shown  # column description rendered from metadata

        shown = text(render(page, base + "/news/stories_by_reposts", "canned-stories-by-reposts"))
        assert "转载最多的事件" in shown and "国务院部署乡村振兴重点工作" in shown

        dom = render(
            page, base + "/news/story_list?_search=" + urllib.parse.quote("振兴"), "search-two-chars"
        )
        shown = text(dom)
        assert 'value="振兴"' in dom  # the search box is shown, holding the query
        assert "国务院部署乡村振兴重点工作" in shown
        assert "长春市召开优化营商环境工作推进会议" not in shown
        assert re.search(r"1 row\b", shown)
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=10)


# every attribute that runs script: inline handlers, and URLs with a script scheme
HOSTILE_JS = r"""
(() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.replace(/[\s\u0000-\u001f]+/g, '').toLowerCase();
      if (/^on/i.test(a.name) || (/^(href|src|action|formaction|xlink:href|srcdoc)$/i.test(a.name)
          && /^(javascript|vbscript|data):/.test(v))) {
        bad.push(el.tagName + ' ' + a.name + '=' + a.value.slice(0, 60));
      }
    }
  }
  return bad;
})()
"""
FIRST_SCREEN_JS = """
(() => {
  const el = document.querySelector(%s);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height,
          text: el.innerText.slice(0, 200), vw: window.innerWidth, vh: window.innerHeight};
})()
"""
HOSTILE_BODY = (
    '<p onclick="alert(1)">第一段。<a href="javascript:alert(2)">恶意链接</a> <a href=" JaVaScRiPt:alert(3)">二</a></p>'
    '<img src="http://127.0.0.1:9/pic.png" onerror="alert(4)"><script>alert(5)</script>'
    '<a href="vbscript:msgbox(6)">三</a><iframe src="javascript:alert(7)"></iframe>'
    '<p style="x" onmouseover="alert(8)">正文继续，会议强调要抓好落实。</p>'
    '<svg onload="alert(9)"><a xlink:href="javascript:alert(10)">四</a></svg><form action="javascript:alert(11)"></form>'
)


@pytest.fixture(scope="module")
def demo_db(
    demo_run: tuple[subprocess.CompletedProcess[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict]:
    """A copy of the demo database (`newsmon demo`), with hostile HTML planted in the body of one article
    that has copies, as a page that slipped past extraction-time cleaning would leave it."""
    import sqlite3

    from tests.conftest import copy_db

    proc, demo = demo_run
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    db = copy_db(demo, tmp_path_factory.mktemp("desk") / "demo.db")
    conn = sqlite3.connect(db)
    story_id, article_id = conn.execute(
        "SELECT id, first_article_id FROM stories WHERE size > 1 ORDER BY size DESC, id LIMIT 1"
    ).fetchone()
    title, site = conn.execute("SELECT title, site FROM articles WHERE id = ?", (article_id,)).fetchone()
    conn.close()
    from storage.db import open_db, write_transaction

    store = open_db(str(db))
    with write_transaction(store):
        store.conn.execute("UPDATE articles SET body_html = ? WHERE id = ?", (HOSTILE_BODY, article_id))
    store.conn.close()
    return db, {"story": story_id, "article": article_id, "title": title, "site": site}


def _in_first_screen(box: dict | None, what: str) -> None:
    """Desk pages: the element wholly inside the first screen; datasette's table pages: the first row
    starts on it with at least one line showing (its cells may run on below)."""
    assert box is not None, f"{what}: not on the page"
    assert box["vw"] == 1400 and box["vh"] == 1000
    bottom = box["top"] + 40 if what.startswith("table-") else box["bottom"]
    if what in ("table-articles", "table-runs"):  # long text and JSON cells are one line: a short row
        assert box["height"] < 200, (what, box)
    assert box["top"] >= 0 and bottom <= 1000 and box["height"] > 0, (what, box)
    assert box["left"] >= 0 and box["left"] < 1400, (what, box)


def test_desk_pages_on_the_demo_database(demo_db: tuple[Path, dict], tmp_path: Path) -> None:
    import json

    db, known = demo_db
    proc, base = start_server(db)
    page = Page(tmp_path / "cdp-profile")
    word = known["title"][:2]
    pages = [
        ("desk-home", "/", "#desk-stories tbody tr.desk-row"),
        ("desk-story", f"/-/story/{known['story']}", "#desk-timeline tbody tr.desk-row"),
        ("desk-article", f"/-/article/{known['article']}", "#desk-headline"),
        ("desk-search", "/-/search?q=" + urllib.parse.quote(word), ".desk-result"),
        ("desk-site", f"/-/site/{known['site']}", "#desk-runs tbody tr.desk-row"),
        ("table-story-list", "/demo/story_list", "table.rows-and-columns tbody tr"),
        ("table-article-list", "/demo/article_list", "table.rows-and-columns tbody tr"),
        ("table-articles", "/demo/articles", "table.rows-and-columns tbody tr"),
        ("table-stories", "/demo/stories", "table.rows-and-columns tbody tr"),
        ("table-runs", "/demo/runs", "table.rows-and-columns tbody tr"),
    ]
    try:
        seen = {}
        for name, path, first in pages:
            page.goto(base + path)
            page.screenshot(ARTIFACTS / f"{name}.png")
            assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000
            box = page.js(FIRST_SCREEN_JS % json.dumps(first))
            _in_first_screen(box, name)
            assert page.js(HOSTILE_JS) == [], name
            seen[name] = box["text"]
            (ARTIFACTS / f"{name}.html").write_text(page.js("document.documentElement.outerHTML"), "utf-8")
        # the first data row is a story, the headline is the article's, the search found it with a mark
        assert seen["desk-article"].strip() == known["title"]
        page.goto(base + f"/-/article/{known['article']}")
        body = page.js("document.querySelector('#desk-body').innerText")
        assert "第一段" in body and "恶意链接" in body and "正文继续" in body and "alert" not in body
        assert (
            page.js(
                "document.querySelectorAll('#desk-body script, #desk-body iframe, #desk-body img').length"
            )
            == 0
        )
        page.goto(base + "/-/search?q=" + urllib.parse.quote(word))
        assert page.js("document.querySelectorAll('.desk-result mark').length") > 0
        assert page.js("document.querySelector('label[for=desk-q]').innerText").startswith("全文检索")
        page.goto(base + f"/-/story/{known['story']}")
        rows = page.js("document.querySelectorAll('#desk-timeline tbody tr').length")
        assert rows >= 2 and "首发" in page.js("document.querySelector('#desk-timeline tbody tr').innerText")
        page.goto(base + "/demo/articles")
        assert page.js("document.querySelector('details.column-descriptions-box').open") is False
        assert page.js("document.querySelector('th[data-column=title]').title").startswith("标题")
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=10)
