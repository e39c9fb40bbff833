"""Rendering through a real headless Chromium: a 412 script-cookie wall and a list drawn by script.

The sites are demo.sources_sites on 127.0.0.1. Without playwright or chromium the rendered cases skip;
the blocked-without-a-browser case always runs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.browser import unavailable_reason
from demo.sources_sites import SourcesSites
from tests.conftest import crawl_sites, last_runs

NO_BROWSER = unavailable_reason()
needs_browser = pytest.mark.skipif(NO_BROWSER is not None, reason=NO_BROWSER or "")


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[SourcesSites, Path]]:
    srv = SourcesSites(articles=4).start()
    yield srv, tmp_path
    srv.stop()


def config(srv: SourcesSites, tmp: Path, render: str) -> Path:
    toml = srv.sites_toml().replace('render = "auto"', f'render = "{render}"')
    script_list = f"{srv.urls['api-gov']}/col/zfxxgk/index.html"  # api-gov's column, drawn by script
    toml += f'\n[[site]]\nname = "script-list"\nrender = "{render}"\nsources = [{{ kind = "listing", url = "{script_list}" }}]\n'
    path = tmp / f"sites-{render}.toml"
    path.write_text(toml, encoding="utf-8")
    return path


def stored(db: Path, site: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT title FROM articles WHERE site = ? ORDER BY url", (site,))]
    finally:
        conn.close()


def test_challenge_is_blocked_without_a_browser(sites: tuple[SourcesSites, Path]) -> None:
    srv, tmp = sites
    db = tmp / "never.db"
    crawl_sites(db, config(srv, tmp, "never"), "wall-gov", "script-list")
    assert stored(db, "wall-gov") == [] and stored(db, "script-list") == []
    runs = last_runs(db)
    assert runs["wall-gov"]["status"] == "blocked", runs["wall-gov"]
    conn = sqlite3.connect(db)
    kinds = {k for (k,) in conn.execute("SELECT kind FROM failures WHERE site = 'wall-gov'")}
    conn.close()
    assert kinds == {"blocked"}
    assert "newsmon/renders" not in runs["wall-gov"]["stats"]


@needs_browser
def test_browser_passes_the_wall_once_and_keeps_its_cookie(sites: tuple[SourcesSites, Path]) -> None:
    srv, tmp = sites
    db = tmp / "auto.db"
    proc = crawl_sites(db, config(srv, tmp, "auto"), "wall-gov", "script-list")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert len(stored(db, "wall-gov")) == 4, last_runs(db)["wall-gov"]
    stats = last_runs(db)["wall-gov"]["stats"]
    assert stats["newsmon/renders"] == 1 and stats["newsmon/challenges_passed"] == 1, stats
    wall = [(p, s) for site, p, s in srv.log if site == "wall-gov" and p != "/robots.txt"]
    # one 412 (the list page's first visit, then the browser's reload), every later request carries the cookie
    assert [s for _, s in wall].count(412) == 1, wall
    # the script-drawn list: rendered once, its links followed
    assert len(stored(db, "script-list")) == 4
    assert last_runs(db)["script-list"]["stats"]["newsmon/pages_rendered"] == 1


@needs_browser
def test_a_page_still_a_challenge_after_rendering_is_blocked(
    sites: tuple[SourcesSites, Path], monkeypatch
) -> None:
    srv, tmp = sites
    import demo.sources_sites as mod

    monkeypatch.setattr(mod, "WALL_COOKIE", "wall_clearance=never-matches")  # the wall never lets anyone in
    db = tmp / "stuck.db"
    crawl_sites(db, config(srv, tmp, "auto"), "wall-gov")
    assert stored(db, "wall-gov") == []
    assert last_runs(db)["wall-gov"]["status"] == "blocked"
