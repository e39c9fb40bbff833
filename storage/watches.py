"""Keyword watches (issue #10): stored watches, evaluation of new articles, one hit per story and watch.

Matching is in storage/watch_match.py (the tokens of full-text search), notifications in
storage/watch_notify.py.

Every newly stored article is evaluated once (a cursor over article ids). A hit is recorded for a
(watch, story) pair the first time one of the story's articles matches; a repost joining an alerted story
finds the hit through its story's members and does not alert again. Hits are keyed by article, not by
story id, because `newsmon dedup --rebuild` renumbers stories. A watch applies to articles not evaluated
yet when it is created (config watches are synced at the end of the crawl that stored them); a story with
an article evaluated before the watch existed never alerts it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlite_utils

from storage import attachments, search
from storage.db import write_transaction
from storage.store_time import iso_utc
from storage.stories import rebuild_in_progress, time_key
from storage.watch_match import Matcher, Watch, compile_term
from storage.watch_targets import add_deliveries

logger = logging.getLogger(__name__)

CURSOR = "cursor"  # watch_state row: id of the last article evaluated
BATCH = 500  # articles evaluated per write transaction
SOURCES = ("config", "cli")

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "watch_hits_last_7_days": {
        "title": "关键词监测命中（最近 7 天） · Watch hits of the last 7 days",
        "description": "每个监测词每个事件一行；转载不重复提醒 · One row per watch and story (reposts do not "
        "alert again), with notification status per target.",
        "sql": """SELECT h.created_at, h.watch, h.title, h.site, h.published_at, st.size AS copies,
       st.first_site, h.matched,
       (SELECT group_concat(d.status || ' ' || d.target_label, '; ') FROM watch_deliveries d
        WHERE d.hit_id = h.id) AS notifications,
       a.story_id, h.url
FROM watch_hits h
LEFT JOIN articles a ON a.id = h.article_id
LEFT JOIN stories st ON st.id = a.story_id
WHERE h.created_at >= strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-7 days')
  AND (coalesce(:watch, '') = '' OR h.watch = :watch)
ORDER BY h.created_at DESC, h.id DESC
LIMIT 1000""",
    },
}


class Hit(NamedTuple):
    """A newly recorded watch hit."""

    id: int
    watch: str
    story_id: int | None
    article_id: int
    site: str
    title: str | None
    url: str
    matched: list[str]


# -- watches in the database -----------------------------------------------------------------------


def _cursor(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM watch_state WHERE name = ?", (CURSOR,)).fetchone()
    return int(row[0]) if row else 0


def _set_cursor(conn: sqlite3.Connection, article_id: int) -> None:
    conn.execute(
        "INSERT INTO watch_state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (CURSOR, str(article_id)),
    )


def _max_article(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0])


def list_watches(db: sqlite_utils.Database, *, enabled_only: bool = False) -> list[dict[str, Any]]:
    """Stored watches as dicts: name, watch (Watch), source, config_path, enabled, created_at."""
    sql = "SELECT name, definition, source, config_path, enabled, created_at FROM watches"
    if enabled_only:
        sql += " WHERE enabled"
    out = []
    for name, definition, source, path, enabled, created in db.conn.execute(sql + " ORDER BY name"):
        try:
            watch = Watch.from_definition(name, json.loads(definition), bool(enabled))
        except (ValueError, TypeError, AttributeError) as exc:
            logger.warning("watch %r has an unreadable definition (%s); skipped", name, exc)
            continue
        out.append({"name": name, "watch": watch, "source": source, "config_path": path,
                    "enabled": bool(enabled), "created_at": created})  # fmt: skip
    return out


def get_watch(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    """One stored watch (as list_watches gives it), or None."""
    return next((w for w in list_watches(db) if w["name"] == name), None)


def save_watch(db: sqlite_utils.Database, watch: Watch, *, source: str = "cli",
               config_path: str | None = None) -> None:  # fmt: skip
    """Insert or replace a watch; a new watch alerts only on stories whose articles are not evaluated yet."""
    if source not in SOURCES:
        raise ValueError(f"unknown watch source {source!r}")
    now = iso_utc(None)
    definition = json.dumps(watch.definition(), ensure_ascii=False, sort_keys=True)
    with write_transaction(db) as conn:
        conn.execute(
            "INSERT INTO watches (name, definition, source, config_path, enabled, since_article_id, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
            "definition = excluded.definition, source = excluded.source, config_path = excluded.config_path, "
            "enabled = excluded.enabled, updated_at = excluded.updated_at",
            (watch.name, definition, source, config_path, int(watch.enabled), _cursor(conn), now, now),
        )


def remove_watch(db: sqlite_utils.Database, name: str) -> bool:
    """Delete a watch (its hits stay); True when it existed."""
    with write_transaction(db) as conn:
        return conn.execute("DELETE FROM watches WHERE name = ?", (name,)).rowcount > 0


def sync_config(db: sqlite_utils.Database, watches: Sequence[Watch], config_path: str) -> dict[str, int]:
    """Make the stored copy of one config file's watches equal to `watches`; return counts of changes."""
    counts = {"added": 0, "updated": 0, "removed": 0}
    now = iso_utc(None)
    with write_transaction(db) as conn:
        stored = {
            name: (definition, source, path, enabled)
            for name, definition, source, path, enabled in conn.execute(
                "SELECT name, definition, source, config_path, enabled FROM watches"
            )
        }
        since = _cursor(conn)
        for w in watches:
            definition = json.dumps(w.definition(), ensure_ascii=False, sort_keys=True)
            old = stored.get(w.name)
            if old == (definition, "config", config_path, int(w.enabled)):
                continue
            if old is not None and old[1] == "cli":
                logger.warning(
                    "watch %r from %s replaces the one added on the command line", w.name, config_path
                )
            conn.execute(
                "INSERT INTO watches (name, definition, source, config_path, enabled, since_article_id, "
                "created_at, updated_at) VALUES (?, ?, 'config', ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE "
                "SET definition = excluded.definition, source = 'config', config_path = excluded.config_path, "
                "enabled = excluded.enabled, updated_at = excluded.updated_at",
                (w.name, definition, config_path, int(w.enabled), since, now, now),
            )
            counts["updated" if old is not None else "added"] += 1
        names = {w.name for w in watches}
        for name, (_d, source, path, _e) in stored.items():
            if source == "config" and path == config_path and name not in names:
                conn.execute("DELETE FROM watches WHERE name = ?", (name,))
                counts["removed"] += 1
    return counts


# -- evaluation ------------------------------------------------------------------------------------

_ARTICLES = """
SELECT a.id, a.site, a.story_id, a.title, coalesce(a.body_text, d.body_text, '') || coalesce(char(10) || {ATTACHED}, ''), a.url,
       a.published_at, si.region
FROM articles a
LEFT JOIN articles d ON d.id = a.duplicate_of
LEFT JOIN sites si ON si.name = a.site
WHERE a.id > ? ORDER BY a.id LIMIT ?""".replace("{ATTACHED}", attachments.ARTICLE_TEXT_SQL.format(id="a.id"))


def cursor(db: sqlite_utils.Database) -> int:
    """Id of the last article evaluated against the watches."""
    return _cursor(db.conn)


def _already_hit(conn: sqlite3.Connection, watch: str, story_id: int | None, art_id: int) -> bool:
    if story_id is None:
        sql, arg = "SELECT 1 FROM watch_hits WHERE watch = ? AND article_id = ? AND event = 'new'", art_id
    else:
        sql = ("SELECT 1 FROM articles a JOIN watch_hits h ON h.article_id = a.id AND h.watch = ? "
               "AND h.event = 'new' WHERE a.story_id = ? LIMIT 1")  # fmt: skip
        arg = story_id
    return conn.execute(sql, (watch, arg)).fetchone() is not None


def _story_is_new(conn: sqlite3.Connection, story_id: int | None, art_id: int, since: int,
                  max_age: int | None, now: datetime) -> bool:  # fmt: skip
    """The story had no article before the watch existed and (with max_age) was first published recently."""
    if story_id is None:
        return art_id > since
    first, published = conn.execute(
        "SELECT (SELECT min(id) FROM articles WHERE story_id = ?), "
        "(SELECT first_published_at FROM stories WHERE id = ?)",
        (story_id, story_id),
    ).fetchone()
    if first is not None and first <= since:
        return False
    return not (max_age and time_key(published) < now.timestamp() - max_age)


def _record_hit(
    conn: sqlite3.Connection, w: Watch, row: tuple, matched: list[str], created: str
) -> Hit | None:
    art_id, site, story_id, title, _body, url, published, _region = row
    cur = conn.execute(
        "INSERT INTO watch_hits (watch, story_id, article_id, site, title, url, published_at, matched, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(watch, article_id, event, event_id) DO NOTHING",
        (w.name, story_id, art_id, site, title, url, published, json.dumps(matched, ensure_ascii=False),
         created),
    )  # fmt: skip
    if not cur.rowcount:
        return None
    hit = Hit(int(cur.lastrowid or 0), w.name, story_id, art_id, site, title, url, matched)
    add_deliveries(conn, hit.id, w, created)
    return hit


def evaluate(db: sqlite_utils.Database, now: datetime | None = None, batch: int = BATCH) -> list[Hit]:
    """Match every article stored since the last call against the enabled watches; record new hits."""
    now = now or datetime.now(UTC)
    created = iso_utc(now)
    hits: list[Hit] = []
    matcher: Matcher | None = None
    since: dict[str, int] = {}
    while True:
        with write_transaction(db) as conn:
            if rebuild_in_progress(conn):
                logger.info("story rebuild in progress: watches wait for it")
                return hits
            if matcher is None:
                matcher = Matcher(
                    w["watch"] for w in list_watches(db, enabled_only=True) if "new" in w["watch"].on
                )
                since = dict(conn.execute("SELECT name, since_article_id FROM watches").fetchall())
            if not len(matcher):
                # Nothing to match: move past the stored articles without reading them.
                _set_cursor(conn, _max_article(conn))
                return hits
            rows = conn.execute(_ARTICLES, (_cursor(conn), batch)).fetchall()
            if not rows:
                return hits
            for row in rows:
                art_id, site, story_id, title, body, _url, _pub, region = row
                for w, matched in matcher.match(title, body, site, region):
                    if _already_hit(conn, w.name, story_id, art_id):
                        continue
                    if not _story_is_new(
                        conn, story_id, art_id, since.get(w.name, 0), w.max_age_seconds, now
                    ):
                        continue
                    hit = _record_hit(conn, w, row, matched, created)
                    if hit is not None:
                        hits.append(hit)
            _set_cursor(conn, rows[-1][0])
        if len(rows) < batch:
            return hits


def stories_matching(db: sqlite_utils.Database, watch: Watch, limit: int = 50) -> list[dict[str, Any]]:
    """Stored stories the watch would match (any copy passing its filters), newest first."""
    matcher = Matcher([watch])
    if not len(matcher):
        return []
    conn = db.conn
    words = [t for t in watch.all_of if compile_term(t)]
    if words:
        expr = search.match_expression(" ".join(words))
    else:
        anys = [search.match_expression(t) for t in watch.any_of if compile_term(t)]
        expr = " OR ".join(f"({e})" for e in anys) if anys and not watch.regex else ""
    if expr:
        # The full-text index narrows the scan; the matcher decides (filters, exclusions, regex).
        story_ids = [r[0] for r in conn.execute(
            f"SELECT DISTINCT a.story_id FROM {search.FTS_TABLE} f JOIN articles a ON a.id = f.rowid "
            f"WHERE f.{search.FTS_TABLE} MATCH ? AND a.story_id IS NOT NULL UNION SELECT a.story_id FROM "
            f"articles a WHERE a.id IN ({attachments.matching_articles_sql()}) AND a.story_id IS NOT NULL",
            (expr, expr))]  # fmt: skip
    else:
        story_ids = [r[0] for r in conn.execute("SELECT id FROM stories")]
    out = []
    for sid in story_ids:
        members = conn.execute(
            "SELECT a.id, a.site, a.story_id, a.title, coalesce(a.body_text, d.body_text, '') || "
            f"coalesce(char(10) || {attachments.ARTICLE_TEXT_SQL.format(id='a.id')}, ''), a.url, "
            "a.published_at, si.region FROM articles a LEFT JOIN articles d ON d.id = a.duplicate_of "
            "LEFT JOIN sites si ON si.name = a.site WHERE a.story_id = ? ORDER BY a.id",
            (sid,),
        ).fetchall()
        for art_id, site, _sid, title, body, url, published, region in members:
            found = matcher.match(title, body, site, region)
            if found:
                size, first_site, first_pub = conn.execute(
                    "SELECT size, first_site, first_published_at FROM stories WHERE id = ?", (sid,)
                ).fetchone() or (None, None, None)
                out.append({"story": sid, "copies": size, "first_site": first_site,
                            "first_published_at": first_pub, "article": art_id, "site": site, "title": title,
                            "url": url, "published_at": published, "matched": found[0][1]})  # fmt: skip
                break
    out.sort(key=lambda r: (time_key(r["first_published_at"]), r["story"]), reverse=True)
    return out[:limit] if limit else out
