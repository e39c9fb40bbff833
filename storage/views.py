"""The browsing views (schema layer): ``story_list`` (one row per story, with its first publisher) and
``article_list`` (every copy, with the site's region and level, for facets); DESIGN.md §4.

A view holds no data, so a changed definition here is applied by `sync_views` when the database is opened
(storage/db.py: migrate), with no migration to write.
"""

from __future__ import annotations

import sqlite_utils

VIEWS = {
    "story_list": """
        SELECT st.id, st.title, st.first_published_at, substr(st.first_published_at, 1, 10) AS day,
               st.first_site, si.title AS first_site_title, si.region, si.level, st.claimed_origin,
               st.size AS copies, a.source, a.column_name, a.url, st.first_article_id, st.updated_at,
               a.removed_at AS first_removed_at
        FROM stories st
        LEFT JOIN articles a ON a.id = st.first_article_id
        LEFT JOIN sites si ON si.name = st.first_site
        ORDER BY st.first_published_at DESC, st.id DESC""",
    "article_list": """
        SELECT a.id, a.title, a.published_at, substr(a.published_at, 1, 10) AS day, a.site,
               si.title AS site_title, si.region, si.level, a.source, a.column_name, a.author, a.story_id,
               CASE WHEN st.first_article_id = a.id THEN 'first' ELSE 'copy' END AS role,
               a.duplicate_of, a.url, a.fetched_at, a.removed_at
        FROM articles a
        LEFT JOIN sites si ON si.name = a.site
        LEFT JOIN stories st ON st.id = a.story_id
        ORDER BY a.published_at DESC, a.id DESC""",
}


def create_views(db: sqlite_utils.Database) -> None:
    """Create the browsing views (idempotent)."""
    for name, sql in VIEWS.items():
        db.execute(f"CREATE VIEW IF NOT EXISTS {name} AS {sql}")


def _body(create_sql: str | None) -> str:
    """The SELECT of a stored CREATE VIEW statement, whitespace folded."""
    return " ".join((create_sql or "").split(" AS ", 1)[-1].split()) if create_sql else ""


def stale_views(db: sqlite_utils.Database) -> list[str]:
    """Views that are missing or whose stored definition differs from VIEWS."""
    stored = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    return [name for name, sql in VIEWS.items() if _body(stored.get(name)) != " ".join(sql.split())]


def sync_views(db: sqlite_utils.Database) -> list[str]:
    """Re-create stale views (in the caller's transaction); their names."""
    stale = stale_views(db)
    for name in stale:
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS {VIEWS[name]}")
    return stale
