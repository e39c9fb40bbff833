"""A real browser on the datasette pages: home, a faceted table, a canned query, a two-character search.

Headless Chromium (Debian package; `.ci/run` installs it) loads each page from `newsmon serve` running in a
subprocess; the test asserts on the rendered DOM and saves screenshots under artifacts/browser/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import start_server
from tests.test_export import make_db

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]


def render(url: str, name: str, profile: Path) -> str:
    """The DOM after load, and a screenshot saved as artifacts/browser/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-extensions", "--hide-scrollbars", "--lang=zh-CN", f"--user-data-dir={profile}",
        "--window-size=1280,1600",
    ]  # fmt: skip
    shot = ARTIFACTS / f"{name}.png"
    subprocess.run([*base, f"--screenshot={shot}", url], capture_output=True, timeout=60, check=True)
    assert shot.stat().st_size > 5000
    dom = subprocess.run(
        [*base, "--dump-dom", url], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    (ARTIFACTS / f"{name}.html").write_text(dom, encoding="utf-8")
    return dom


def text(dom: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


def test_datasette_pages_in_chromium(tmp_path: Path) -> None:
    db = make_db(tmp_path / "news.db")
    proc, base = start_server(db)
    profile = tmp_path / "chromium-profile"
    try:
        home = text(render(base + "/", "home", profile))
        assert "newsmon · 政务新闻监测" in home and "articles" in home and "articles_fts" not in home

        dom = render(base + "/news/articles?_facet=site", "articles-facet", profile)
        assert 'class="facet-info' in dom or "facet-results" in dom
        page = text(dom)
        assert "changchun-gov" in page and "长春市召开优化营商环境工作推进会议" in page
        assert "publish time" in page  # column description rendered from metadata

        page = text(render(base + "/news/stories_by_reposts", "canned-stories-by-reposts", profile))
        assert "转载最多的事件" in page and "国务院部署乡村振兴重点工作" in page

        dom = render(
            base + "/news/story_list?_search=" + urllib.parse.quote("振兴"), "search-two-chars", profile
        )
        page = text(dom)
        assert 'value="振兴"' in dom  # the search box is shown, holding the query
        assert "国务院部署乡村振兴重点工作" in page
        assert "长春市召开优化营商环境工作推进会议" not in page
        assert re.search(r"1 row\b", page)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
