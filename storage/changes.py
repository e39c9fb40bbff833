"""Reads of what changed on stored articles: edits (article_versions), removals and restorations."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

KINDS = ("edited", "removed", "restored")
COLUMNS = ("kind", "at", "site", "article_id", "story_id", "first_of_story", "title", "url", "what", "ref")
_EVENTS = """
SELECT 'edited' AS kind, v.seen_at AS at, a.site, a.id AS article_id, a.story_id, a.title, a.url,
       v.changed AS what, v.id AS ref
FROM article_versions v JOIN articles a ON a.id = v.article_id
UNION ALL
SELECT 'removed', r.removed_at, a.site, a.id, a.story_id, a.title, a.url,
       r.evidence || coalesce(' (' || r.detail || ')', ''), r.id
FROM removals r JOIN articles a ON a.id = r.article_id
UNION ALL
SELECT 'restored', r.restored_at, a.site, a.id, a.story_id, a.title, a.url,
       coalesce(r.restored_evidence, '') || ' after ' || r.evidence, r.id
FROM removals r JOIN articles a ON a.id = r.article_id WHERE r.restored_at IS NOT NULL
"""


def _where(*filters: tuple[str, Any]) -> tuple[str, list[Any]]:
    """' WHERE …' and its parameters: (column, a time) means column >= time, (column, a list) column IN list;
    empty values filter nothing."""
    parts: list[str] = []
    args: list[Any] = []
    for column, value in filters:
        if not value:
            continue
        if isinstance(value, str):
            parts.append(f"{column} >= ?")
            args.append(value)
        else:
            parts.append(f"{column} IN ({','.join('?' * len(value))})")
            args.extend(value)
    return (" WHERE " + " AND ".join(parts) if parts else ""), args


def list_changes(
    conn: sqlite3.Connection,
    since: str | None = None,
    sites: Sequence[str] = (),
    kinds: Sequence[str] = (),
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Edit, removal and restoration events, newest first, optionally since an ISO UTC time, per site or kind."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown change kinds: {sorted(unknown)}")
    where, args = _where(("e.at", since), ("e.site", sites), ("e.kind", kinds))
    sql = (
        "SELECT e.kind, e.at, e.site, e.article_id, e.story_id, "
        "coalesce(st.first_article_id = e.article_id, 0), e.title, e.url, e.what, e.ref "
        f"FROM ({_EVENTS}) e LEFT JOIN stories st ON st.id = e.story_id"
        + where
        + " ORDER BY e.at DESC, e.ref DESC"
        + (" LIMIT ?" if limit else "")
    )
    cur = conn.execute(sql, (*args, limit) if limit else args)
    return [dict(zip(COLUMNS, r, strict=True)) for r in cur]


def version_diff(conn: sqlite3.Connection, version_id: int) -> str | None:
    """The stored diff of one version (None when there is no such version)."""
    row = conn.execute("SELECT diff FROM article_versions WHERE id = ?", (version_id,)).fetchone()
    return None if row is None else (row[0] or "")


VERSION_FIELDS = (
    "version_id", "article_id", "site", "url", "seen_at", "changed", "old_title", "old_published_at",
    "old_source", "old_body_text", "old_fields", "diff", "old_story_id", "new_story_id", "title_now",
)  # fmt: skip
_VERSION_SQL = """SELECT v.id, v.article_id, a.site, a.url, v.seen_at, v.changed, v.title, v.published_at,
       v.source, v.body_text, v.fields, v.diff, v.old_story_id, v.new_story_id, a.title
FROM article_versions v JOIN articles a ON a.id = v.article_id"""


def version_query(since: str | None = None, sites: Sequence[str] = ()) -> tuple[str, list[Any]]:
    """(sql, params) reading every stored previous version (VERSION_FIELDS), oldest first, for export."""
    where, args = _where(("v.seen_at", since), ("a.site", sites))
    return _VERSION_SQL + where + " ORDER BY v.id", args


def changed_urls(conn: sqlite3.Connection, since: str | None = None) -> tuple[set[str], set[str]]:
    """(URLs of articles with a version seen since `since`, URLs of articles removed since then)."""
    bound = since or ""
    edited = {r[0] for r in conn.execute(
        "SELECT DISTINCT a.url FROM article_versions v JOIN articles a ON a.id = v.article_id WHERE v.seen_at >= ?",
        (bound,),
    )}  # fmt: skip
    removed = {r[0] for r in conn.execute(
        "SELECT DISTINCT a.url FROM removals r JOIN articles a ON a.id = r.article_id WHERE r.removed_at >= ?",
        (bound,),
    )}  # fmt: skip
    return edited, removed
