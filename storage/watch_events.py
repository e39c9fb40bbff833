"""Watches that alert on an edit or a removal of a matching story (`on = ["new", "edited", "removed"]`).

Events are read after cursors in watch_state (``version_cursor`` over article_versions, ``removal_cursor``
over removals), so each is judged once. A story matches a watch when the changed copy matches its words
now, or when the watch already alerted on the story: a removal that takes the matching words away is
still the news. Each event is one hit (title marked 已修改 edited / 已删除 removed) with its deliveries.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import sqlite_utils

from storage.db import write_transaction
from storage.store_time import iso_utc
from storage.watch_match import Matcher, Watch
from storage.watch_targets import add_deliveries
from storage.watches import Hit, list_watches

EVENTS = {  # event -> (cursor row, table, label put before the title)
    "edited": ("version_cursor", "article_versions", "【已修改 edited】"),
    "removed": ("removal_cursor", "removals", "【已删除 removed】"),
}
_ARTICLE = """SELECT a.id, a.site, a.story_id, a.title, coalesce(a.body_text, d.body_text), a.url, a.published_at,
       si.region
FROM articles a LEFT JOIN articles d ON d.id = a.duplicate_of LEFT JOIN sites si ON si.name = a.site
WHERE a.id = ?"""


def _cursor(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM watch_state WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def _story_alerted(conn: sqlite3.Connection, watch: str, story_id: int | None, art_id: int) -> bool:
    if story_id is None:
        sql, arg = "SELECT 1 FROM watch_hits WHERE watch = ? AND article_id = ? LIMIT 1", art_id
    else:
        sql = "SELECT 1 FROM watch_hits h JOIN articles a ON a.id = h.article_id WHERE h.watch = ? AND a.story_id = ? LIMIT 1"
        arg = story_id
    return conn.execute(sql, (watch, arg)).fetchone() is not None


def evaluate_changes(db: sqlite_utils.Database, now: datetime | None = None) -> list[Hit]:
    """Record a hit for every edit and removal since the last call on a story a watch with that event matches."""
    created = iso_utc(now or datetime.now(UTC))
    hits: list[Hit] = []
    with write_transaction(db) as conn:
        watches: list[Watch] = [w["watch"] for w in list_watches(db, enabled_only=True)]
        for event, (cursor, table, label) in EVENTS.items():
            start = _cursor(conn, cursor)
            rows = conn.execute(
                f"SELECT id, article_id FROM {table} WHERE id > ? ORDER BY id", (start,)
            ).fetchall()
            if not rows:
                continue
            conn.execute(
                "INSERT INTO watch_state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (cursor, str(rows[-1][0])),
            )
            wanted = [w for w in watches if event in w.on]
            if not wanted:
                continue
            matcher = Matcher(wanted)
            for event_id, art_id in rows:
                art = conn.execute(_ARTICLE, (art_id,)).fetchone()
                if art is None:
                    continue
                _id, site, story_id, title, body, url, published, region = art
                found = {w.name: (w, terms) for w, terms in matcher.match(title, body, site, region)}
                for w in wanted:
                    if w.name not in found and _story_alerted(conn, w.name, story_id, art_id):
                        found[w.name] = (w, ["(story alerted before)"])
                for w, terms in found.values():
                    cur = conn.execute(
                        "INSERT INTO watch_hits (watch, story_id, article_id, site, title, url, published_at, matched, "
                        "created_at, event, event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT(watch, article_id, event, event_id) DO NOTHING",
                        (w.name, story_id, art_id, site, label + (title or ""), url, published,
                         json.dumps(terms, ensure_ascii=False), created, event, event_id),
                    )  # fmt: skip
                    if not cur.rowcount:
                        continue
                    hit = Hit(
                        int(cur.lastrowid or 0), w.name, story_id, art_id, site, title, url, list(terms)
                    )
                    add_deliveries(conn, hit.id, w, created)
                    hits.append(hit)
    return hits
