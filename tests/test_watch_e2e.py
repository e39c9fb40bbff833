"""End to end: crawl the demo sites with [[watch]] config; a story reposted on 5+ sites alerts exactly once."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.search import is_cjk
from tests.conftest import crawl_sites, newsmon
from tests.helpers import Receiver

pytestmark = pytest.mark.slow


def _words(text: str, n: int) -> list[str]:
    """Runs of n Chinese characters in text."""
    return [w for w in (text[i : i + n] for i in range(len(text) - n + 1)) if all(map(is_cjk, w))]


def pick_story(truth: dict[str, Any]) -> tuple[str, str, str]:
    """A story with 5+ copies, a word found in every copy and in no other story, and a common word of its copies."""
    texts: dict[str, list[str]] = {}
    for a in truth["articles"]:
        texts.setdefault(a["story"], []).append(f"{a['title']}\n{a['body_text']}")
    for story, rec in sorted(truth["stories"].items()):
        if len(rec["urls"]) < 5:
            continue
        copies = texts[story]
        others = [t for s, ts in texts.items() if s != story for t in ts]
        title = copies[0].split("\n", 1)[0].replace("【转载】", "")
        for word in _words(title, 4):
            if all(word in c for c in copies) and not any(word in o for o in others):
                common = next(
                    w for w in _words(copies[0].split("\n", 1)[1], 2) if all(w in c for c in copies)
                )
                return story, word, common
    raise AssertionError("no story with 5+ copies and a distinctive word")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_story_reposted_on_five_demo_sites_triggers_exactly_one_notification(
    demo_server: Any, receiver: Receiver, tmp_path: Path
) -> None:
    truth = demo_server.truth()
    story, word, common = pick_story(truth)
    config = demo_server.write_sites_toml(tmp_path / "sites.toml")
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'\n[[watch]]\nname = "story"\nall = ["{word}"]\nnotify = ["{receiver.url}"]\n'
        + f'\n[[watch]]\nname = "excluded"\nall = ["{word}"]\nnone = ["{common}"]\nnotify = ["{receiver.url}"]\n',
        encoding="utf-8",
    )
    db = tmp_path / "news.db"
    r = crawl_sites(db, config)
    assert r.returncode == 0, r.stderr[-3000:]
    conn = sqlite3.connect(db)
    (hit_story,) = conn.execute(
        "SELECT a.story_id FROM watch_hits h JOIN articles a ON a.id = h.article_id WHERE h.watch = 'story'"
    ).fetchone()
    copies = conn.execute(
        "SELECT count(DISTINCT site) FROM articles WHERE story_id = ?", (hit_story,)
    ).fetchone()[0]
    assert copies >= 5  # the story really was stored from five or more sites
    assert conn.execute("SELECT count(*) FROM watch_hits WHERE watch = 'excluded'").fetchone()[0] == 0
    assert conn.execute("SELECT status FROM watch_deliveries").fetchall() == [("sent",)]
    titles = [m["title"] for m in receiver.messages]
    assert len(titles) == 1 and titles[0].startswith("[story] "), titles
    # a later `watch run` (cron, scheduler) finds nothing new to send
    r = newsmon("watch", "run", "--sites", str(config), "--db", str(db))
    assert r.returncode == 0 and "hits: 0" in r.stdout and "messages: 0" in r.stdout, r.stdout + r.stderr
    assert len(receiver.messages) == 1
    conn.close()
