"""The export query of `newsmon export`: every exportable field as SQL, the filters, rows streamed in chunks."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from storage.attachments import ARTICLE_TEXT_SQL, matching_articles_sql
from storage.search import FTS_TABLE, match_expression

FETCH = 1000  # rows per fetchmany: memory stays flat however many rows are exported

# Every exportable field and the SQL expression computing it. Only these fixed strings reach the SQL;
# values from the command line are always bound parameters.
FIELDS: dict[str, str] = {
    "story_id": "a.story_id",
    "article_id": "a.id",
    "role": "CASE WHEN st.first_article_id = a.id OR st.id IS NULL THEN 'first' ELSE 'copy' END",
    "published_at": "a.published_at",
    "site": "a.site",
    "site_title": "si.title",
    "region": "si.region",
    "level": "si.level",
    "source": "a.source",
    "author": "a.author",
    "column_name": "a.column_name",
    "title": "a.title",
    "doc_number": "a.doc_number",
    "index_number": "a.index_number",
    "issuer": "a.issuer",
    "written_at": "a.written_at",
    "subject": "a.subject",
    "validity": "a.validity",
    "url": "a.url",
    "copies": "coalesce(st.size, 1)",
    "first_site": "coalesce(st.first_site, a.site)",
    "first_published_at": "coalesce(st.first_published_at, a.published_at)",
    "claimed_origin": "st.claimed_origin",
    "copy_sites": "(SELECT group_concat(site, ',') FROM (SELECT DISTINCT c.site FROM articles c "
    "WHERE c.story_id = a.story_id AND c.id != a.id ORDER BY c.site))",
    "attachment_names": "(SELECT group_concat(aa.name, ' | ') FROM article_attachments aa WHERE aa.article_id = a.id)",
    "attachment_text": ARTICLE_TEXT_SQL.format(id="a.id"),
    "duplicate_of": "a.duplicate_of",
    "fetched_at": "a.fetched_at",
    "body_text": "coalesce(a.body_text, (SELECT b.body_text FROM articles b WHERE b.id = a.duplicate_of))",
}
STORY_FIELDS = (
    "story_id", "article_id", "published_at", "site", "site_title", "region", "level", "source", "column_name",
    "title", "url", "copies", "copy_sites", "claimed_origin", "doc_number", "issuer", "body_text",
)  # fmt: skip
COPY_FIELDS = (
    "article_id", "story_id", "role", "published_at", "site", "site_title", "region", "level", "source",
    "author", "column_name", "title", "url", "first_site", "first_published_at", "copies", "duplicate_of",
    "doc_number", "index_number", "issuer", "written_at", "subject", "validity", "body_text",
)  # fmt: skip


class BadTimeBound(ValueError):
    """A --since/--until value that is neither a date nor an ISO time."""


def time_bound(value: str | None, *, upper: bool) -> tuple[str, str] | None:
    """(operator, ISO string) for --since/--until; a bare date as --until includes that whole day."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return ("<", (day + timedelta(days=1)).isoformat()) if upper else (">=", day.isoformat())
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadTimeBound(
            f"{value!r} is not a date (2023-11-28) or ISO time (2023-11-28T09:00+08:00)"
        ) from exc
    return ("<=", value) if upper else (">=", value)


def build_query(
    *,
    fields: Sequence[str],
    all_copies: bool = False,
    sites: Sequence[str] = (),
    region: str | None = None,
    since: str | None = None,
    until: str | None = None,
    query: str | None = None,
    story: int | None = None,
) -> tuple[str, list[Any]]:
    """SQL and bound parameters for an export; filters apply to articles, in story mode to any copy."""
    cond: list[str] = []
    params: list[Any] = []
    alias = "a" if all_copies else "m"
    if sites:
        cond.append(f"{alias}.site IN ({', '.join('?' * len(sites))})")
        params.extend(sites)
    if region:
        cond.append(f"{alias}.site IN (SELECT name FROM sites WHERE region = ? OR region LIKE ? ESCAPE '\\')")
        params.extend([region, region.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"])
    for bound, upper in ((since, False), (until, True)):
        b = time_bound(bound, upper=upper)
        if b:
            cond.append(f"{alias}.published_at {b[0]} ?")
            params.append(b[1])
    if query is not None:
        match = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
        cond.append(
            f"({alias}.id IN ({match}) OR {alias}.duplicate_of IN ({match}) OR {alias}.id IN ({matching_articles_sql()}))"
        )
        params.extend([match_expression(query)] * 3)
    if story is not None:
        cond.append(f"{alias}.story_id = ?")
        params.append(story)
    select = ", ".join(f"{FIELDS[f]} AS {f}" for f in fields)
    sql = (
        f"SELECT {select} FROM articles a LEFT JOIN stories st ON st.id = a.story_id "
        "LEFT JOIN sites si ON si.name = a.site"
    )
    where: list[str] = []
    if all_copies:
        where = cond
    else:
        # One row per story: its first article (articles not yet clustered count as their own story),
        # kept when any copy of the story passes the filters.
        where.append("(a.story_id IS NULL OR st.id IS NULL OR st.first_article_id = a.id)")
        if cond:
            where.append(
                "coalesce(a.story_id, -a.id) IN "
                f"(SELECT coalesce(m.story_id, -m.id) FROM articles m WHERE {' AND '.join(cond)})"
            )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.published_at DESC, a.id DESC"
    return sql, params


def iter_rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Iterator[tuple]:
    """Stream result rows in chunks (never the whole result in memory)."""
    cur = conn.execute(sql, params)
    while True:
        chunk = cur.fetchmany(FETCH)
        if not chunk:
            return
        yield from chunk
