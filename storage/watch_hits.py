"""Recorded watch hits as `newsmon watch list` and `watch hits` show them: counts, the newest with their
deliveries' state."""

from __future__ import annotations

import sqlite_utils

_RECENT = (
    "SELECT h.id, h.created_at, h.watch, h.site, h.title, (SELECT group_concat(d.status || "
    "coalesce(' (' || d.last_error || ')', ''), '; ') FROM watch_deliveries d WHERE d.hit_id = h.id) "
    "FROM watch_hits h WHERE (? IS NULL OR h.watch = ?) ORDER BY h.id DESC LIMIT ?"
)


def hit_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Hits recorded per watch name."""
    return dict(db.conn.execute("SELECT watch, count(*) FROM watch_hits GROUP BY watch").fetchall())


def recent_hits(db: sqlite_utils.Database, watch: str | None = None, limit: int = 30) -> list[tuple]:
    """(id, created at, watch, site, title, delivery states or None) of the newest hits, of one watch
    when given."""
    return db.conn.execute(_RECENT, (watch, watch, limit)).fetchall()
