"""Revisits end to end: real crawls re-check stored articles and find edits, removals and restorations."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import crawl_sites, last_runs
from tests.revisit_site import RevisitSite

pytestmark = pytest.mark.slow


def later(hours: float) -> str:
    """An ISO time `hours` from now (what NEWSMON_REVISIT_NOW takes)."""
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")


@pytest.fixture
def site() -> Iterator[RevisitSite]:
    srv = RevisitSite(n=14)
    yield srv
    srv.stop()


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def crawl(db: Path, config: Path, **extra: str) -> dict:
    proc = crawl_sites(db, config, "rv", extra={"NEWSMON_WATCHES": "false", **extra})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return last_runs(db)["rv"]


def test_edits_removals_and_restores_found_by_revisits(site: RevisitSite, tmp_path: Path) -> None:
    """Each removal signal, an edit of body and of title, a chrome-only change (no edit), then restores."""
    db, config = tmp_path / "news.db", site.write_config(tmp_path / "sites.toml")
    first = crawl(db, config)
    assert first["new_items"] == 14
    p = site.pages
    p[0].paragraphs[1] = p[0].paragraphs[1].replace("。", "，并将于下周公布具体方案。", 1)  # body edit
    p[1].title = p[1].title + "（更正）"  # title edit
    p[2].views, p[2].footer_day = 98765, "2023-12-05"  # chrome only: visit counter and footer date
    p[3].state, p[4].state = "404", "410"
    p[5].state, p[6].state = "home", "list"
    p[7].state, p[8].state = "chrome-only", "notice"
    p[9].listed = False  # dropped from the list while its neighbours stay; the page itself still answers
    site.requests.clear()
    second = crawl(db, config, NEWSMON_REVISIT_NOW=later(2), NEWSMON_REVISIT_SHARE="1")
    assert second["status"] == "ok"
    ids = {url: i for url, i in rows(db, "SELECT url, id FROM articles")}
    aid = [ids[site.url(x)] for x in p]
    versions = {v[0]: v[1:] for v in rows(db, "SELECT article_id, changed, diff FROM article_versions")}
    assert {k: v[0] for k, v in versions.items()} == {aid[0]: "body_text", aid[1]: "title"}
    assert "{+，并将于下周公布具体方案" in versions[aid[0]][1]
    assert "（更正）" in versions[aid[1]][1]
    stored_title = rows(db, "SELECT title FROM articles WHERE id = ?", aid[1])[0][0]
    assert stored_title == p[1].title
    removed = dict(rows(db, "SELECT article_id, evidence FROM removals WHERE restored_at IS NULL"))
    assert removed == {
        aid[3]: "http-404",
        aid[4]: "http-410",
        aid[5]: "redirect-home",
        aid[6]: "redirect-list",
        aid[7]: "soft-404",
        aid[8]: "soft-404",
        aid[9]: "dropped-from-list",
    }
    # a removal never deletes the stored text
    kept = rows(
        db, f"SELECT count(*) FROM articles WHERE id IN ({','.join('?' * 7)}) AND body_text != ''", *aid[3:10]
    )
    assert kept == [(7,)]
    # unchanged articles were asked conditionally and answered 304
    unchanged = [path for path, status, cond in site.requests if status == 304 and cond and "t2023" in path]
    assert len(unchanged) >= 3
    # bring two back: the 404 page answers again, the dropped article is listed again
    p[3].state, p[9].listed = "up", True
    crawl(db, config, NEWSMON_REVISIT_NOW=later(7), NEWSMON_REVISIT_SHARE="1")
    events = rows(db, "SELECT article_id, evidence, restored_at IS NOT NULL FROM removals ORDER BY id")
    assert (aid[3], "http-404", 1) in events and (aid[9], "dropped-from-list", 1) in events
    assert (aid[4], "http-410", 0) in events  # still gone: one event, open
    back = rows(db, "SELECT id FROM articles WHERE removed_at IS NULL AND id IN (?, ?)", aid[3], aid[9])
    assert len(back) == 2
    assert rows(db, "SELECT count(*) FROM removals WHERE article_id = ?", aid[3]) == [
        (1,)
    ]  # both events on one row


def test_budget_cuts_revisits_oldest_due_first(site: RevisitSite, tmp_path: Path) -> None:
    """With 20% of a run's requests for revisits, only the longest overdue fit; the rest wait."""
    db, config = tmp_path / "news.db", site.write_config(tmp_path / "sites.toml")
    crawl(db, config)
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id")]
    # make ages differ: the article with the highest id is the longest overdue, and so on
    for rank, art_id in enumerate(reversed(ids)):
        conn.execute(
            "UPDATE articles SET next_revisit_at = ? WHERE id = ?",
            ((datetime.now(UTC) - timedelta(hours=30 - rank)).isoformat(timespec="seconds"), art_id),
        )
    conn.commit()
    conn.close()
    for n in range(8):  # eight new articles: the run has work of its own
        site.pages.insert(0, type(site.pages[0])(5000 + n, f"新发布的第{n}号通知", "本网", "2023-11-29T09:00:00+08:00",
                                                  [f"第{n}号通知正文：" + "各单位要按照要求做好相关工作，确保落实到位。" * 6]))  # fmt: skip
    run = crawl(db, config, NEWSMON_REVISIT_NOW=later(0.1))
    stats = run["stats"]
    assert run["new_items"] == 8
    done = stats.get("newsmon/revisits/done", 0)
    requests = stats["downloader/request_count"]
    assert done >= 1 and done / requests <= 0.2 + 1 / requests  # at most the share, give or take the carry
    assert stats["newsmon/revisits/due"] == 14 and stats["newsmon/revisits/deferred"] == 14 - done
    checked = [
        r[0]
        for r in rows(db, "SELECT id FROM articles WHERE last_checked_at IS NOT NULL AND revisit_count > 0")
    ]
    assert sorted(checked) == sorted(list(reversed(ids))[:done])  # the longest overdue went first


def test_edit_inside_a_story_keeps_id_and_story(tmp_path: Path) -> None:
    """A repost pair is one story; a small edit keeps both the article id and the story, a rewrite leaves it."""
    site = RevisitSite(n=4)
    try:
        base = site.pages[0]
        twin = type(base)(
            2000, "【转载】" + base.title, "测试市政府办公室", base.published, list(base.paragraphs)
        )
        twin.paragraphs[-1] += "（责任编辑：王明）"
        site.pages.append(twin)
        db, config = tmp_path / "news.db", site.write_config(tmp_path / "sites.toml")
        crawl(db, config)
        q = "SELECT id, story_id FROM articles WHERE url = ?"
        (_a_id, a_story), (b_id, b_story) = rows(db, q, site.url(base))[0], rows(db, q, site.url(twin))[0]
        assert a_story == b_story
        twin.paragraphs[0] = twin.paragraphs[0][:-1] + "，会议强调要压实责任。"
        other = site.pages[1]
        other.paragraphs = list(site.pages[2].paragraphs)  # rewritten: now the text of another story
        crawl(db, config, NEWSMON_REVISIT_NOW=later(2), NEWSMON_REVISIT_SHARE="1")
        got = dict(rows(db, "SELECT id, story_id FROM articles"))
        assert got[b_id] == b_story  # same id, same story
        v = rows(
            db, "SELECT article_id, old_story_id, new_story_id, changed FROM article_versions ORDER BY id"
        )
        by_article = {r[0]: r for r in v}
        assert by_article[b_id][1:] == (b_story, b_story, "body_text")
        moved = rows(db, "SELECT id FROM articles WHERE url = ?", site.url(other))[0][0]
        old, new = by_article[moved][1:3]
        assert (
            old != new
            and new == got[rows(db, "SELECT id FROM articles WHERE url = ?", site.url(site.pages[2]))[0][0]]
        )
        fields = json.loads(rows(db, "SELECT fields FROM article_versions WHERE article_id = ?", b_id)[0][0])
        assert fields["title"] == twin.title
    finally:
        site.stop()


def test_revisit_false_turns_revisits_off(site: RevisitSite, tmp_path: Path) -> None:
    db, config = tmp_path / "news.db", site.write_config(tmp_path / "sites.toml", "revisit = false")
    crawl(db, config)
    site.pages[0].state = "404"
    site.requests.clear()
    run = crawl(db, config, NEWSMON_REVISIT_NOW=later(2), NEWSMON_REVISIT_SHARE="1")
    assert not [r for r in site.requests if "t2023" in r[0]]
    assert "newsmon/revisits/done" not in run["stats"]
    assert rows(db, "SELECT count(*) FROM removals") == [(0,)]


def test_watch_alerts_on_removal_and_edit(site: RevisitSite, tmp_path: Path) -> None:
    """on = ["new", "removed"]: one alert for the new story, one when it is taken down; edits stay quiet."""
    from tests.helpers import Receiver

    receiver = Receiver()
    try:
        target, edited = site.pages[0], site.pages[1]
        word = next(target.title[i : i + 4] for i in range(len(target.title) - 3)
                    if not any(target.title[i : i + 4] in p.title + "".join(p.paragraphs) for p in site.pages[1:]))  # fmt: skip
        watches = (
            f'\n[[watch]]\nname = "gone"\nall = ["{word}"]\non = ["new", "removed"]\nnotify = ["{receiver.url}"]\n'
            f'\n[[watch]]\nname = "edits"\nall = ["{edited.title[:6]}"]\non = ["edited"]\nnotify = ["{receiver.url}"]\n'
        )
        db, config = tmp_path / "news.db", site.write_config(tmp_path / "sites.toml")
        config.write_text(config.read_text("utf-8") + watches, encoding="utf-8")
        proc = crawl_sites(db, config, "rv")
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert [m["title"] for m in receiver.messages] == [f"[gone] {target.title}"]  # "edits" has no "new"
        target.state = "404"
        edited.paragraphs[0] += "会议要求抓好落实。"
        proc = crawl_sites(
            db, config, "rv", extra={"NEWSMON_REVISIT_NOW": later(2), "NEWSMON_REVISIT_SHARE": "1"}
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        titles = sorted(m["title"] for m in receiver.messages[1:])
        assert titles == sorted(
            [f"[gone] 【已删除 removed】{target.title}", f"[edits] 【已修改 edited】{edited.title}"]
        )
        events = rows(db, "SELECT watch, event FROM watch_hits ORDER BY id")
        assert sorted(events) == [("edits", "edited"), ("gone", "new"), ("gone", "removed")]
        # a third run finds nothing new to say
        crawl_sites(db, config, "rv", extra={"NEWSMON_REVISIT_NOW": later(7), "NEWSMON_REVISIT_SHARE": "1"})
        assert len(receiver.messages) == 3
    finally:
        receiver.close()
