"""Read queries of the news desk pages: latest stories, one story's copies, one article, a site's health,
search results grouped by story, and the stories of a feed. Plain SQL over a read-only connection."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from storage.search import FTS_TABLE, match_expression

GOVDOC_FIELDS = ("doc_number", "index_number", "issuer", "written_at", "subject", "validity")
# the body of an exact copy lives on the article it duplicates
_BODY = "coalesce(a.body_text, (SELECT b.body_text FROM articles b WHERE b.id = a.duplicate_of))"
_HTML = "coalesce(a.body_html, (SELECT b.body_html FROM articles b WHERE b.id = a.duplicate_of))"


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Column names of a table or view (empty when it does not exist)."""
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]


def _region_clause(alias: str) -> str:
    return f"({alias}.region = ? OR {alias}.region LIKE ? ESCAPE '\\')"


def _region_params(region: str) -> list[str]:
    return [region, region.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"]


def story_filters(
    *,
    site: str | None = None,
    column: str | None = None,
    region: str | None = None,
    level: str | None = None,
    watch: str | None = None,
    q: str | None = None,
    day: str | None = None,
) -> tuple[list[str], list[Any]]:
    """WHERE conditions on stories `st`: a story passes when any of its copies matches each filter."""
    cond: list[str] = []
    params: list[Any] = []
    copy_cond: list[str] = []
    if site:
        copy_cond.append("c.site = ?")
        params.append(site)
    if column:
        copy_cond.append("c.column_name = ?")
        params.append(column)
    if region or level:
        sub = []
        if region:
            sub.append(_region_clause("si"))
            params.extend(_region_params(region))
        if level:
            sub.append("si.level = ?")
            params.append(level)
        copy_cond.append(f"c.site IN (SELECT si.name FROM sites si WHERE {' AND '.join(sub)})")
    if copy_cond:
        cond.append(
            f"EXISTS (SELECT 1 FROM articles c WHERE c.story_id = st.id AND {' AND '.join(copy_cond)})"
        )
    if watch:
        cond.append("st.id IN (SELECT story_id FROM watch_hits WHERE watch = ?)")
        params.append(watch)
    if q:
        match = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
        cond.append(f"st.id IN (SELECT story_id FROM articles WHERE id IN ({match}))")
        params.append(match_expression(q))
    if day:
        cond.append("substr(st.first_published_at, 1, 10) = ?")
        params.append(day)
    return cond, params


def latest_stories(conn: sqlite3.Connection, limit: int = 50, **filters: str | None) -> list[dict[str, Any]]:
    """Newest stories first: title, first publisher, first time, copies, the sites that carry them."""
    cond, params = story_filters(**filters)
    where = f"WHERE {' AND '.join(cond)}" if cond else ""
    sql = f"""
    SELECT st.id, st.title, st.first_site, fs.title AS first_site_title, st.first_published_at, st.size AS copies,
           st.claimed_origin, fa.column_name, fs.region, fs.level,
           (SELECT group_concat(t, '、') FROM (SELECT DISTINCT coalesce(si.title, c.site) AS t FROM articles c
              LEFT JOIN sites si ON si.name = c.site WHERE c.story_id = st.id ORDER BY c.published_at)) AS sites
    FROM stories st
    LEFT JOIN sites fs ON fs.name = st.first_site
    LEFT JOIN articles fa ON fa.id = st.first_article_id
    {where}
    ORDER BY st.first_published_at DESC, st.id DESC LIMIT ?"""
    return _rows(conn, sql, [*params, limit])


def filter_choices(conn: sqlite3.Connection) -> dict[str, list[Any]]:
    """The values the desk's filters offer: regions, levels, sites (name, title) and the busiest columns."""
    return {
        "region": [r[0] for r in conn.execute(
            "SELECT DISTINCT region FROM sites WHERE coalesce(region, '') != '' ORDER BY region")],
        "level": [r[0] for r in conn.execute(
            "SELECT DISTINCT level FROM sites WHERE coalesce(level, '') != '' ORDER BY level")],
        "site": conn.execute(
            "SELECT name, coalesce(title, name) FROM sites WHERE name IN (SELECT DISTINCT site FROM articles) "
            "ORDER BY region, name").fetchall(),
        "column": [r[0] for r in conn.execute(
            "SELECT column_name FROM articles WHERE coalesce(column_name, '') != '' GROUP BY column_name "
            "ORDER BY count(*) DESC LIMIT 40")],
    }  # fmt: skip


def story(conn: sqlite3.Connection, story_id: int) -> dict[str, Any] | None:
    """One story row with its first publisher's name."""
    rows = _rows(
        conn,
        "SELECT st.*, si.title AS first_site_title FROM stories st LEFT JOIN sites si ON si.name = st.first_site "
        "WHERE st.id = ?",
        (story_id,),
    )
    return rows[0] if rows else None


def story_copies(conn: sqlite3.Connection, story_id: int) -> list[dict[str, Any]]:
    """Every copy of a story, the first publisher first, then by publish time; with hours after the first."""
    sql = f"""
    SELECT a.id, a.site, coalesce(si.title, a.site) AS site_title, si.region, a.published_at, a.source, a.title,
           a.url, a.column_name, a.duplicate_of, {_BODY} AS body_text,
           CASE WHEN st.first_article_id = a.id THEN 1 ELSE 0 END AS is_first,
           round((julianday(a.published_at) - julianday(st.first_published_at)) * 24, 1) AS hours_after_first
    FROM articles a JOIN stories st ON st.id = a.story_id LEFT JOIN sites si ON si.name = a.site
    WHERE a.story_id = ?
    ORDER BY st.first_article_id != a.id, a.published_at IS NULL, a.published_at, a.id"""
    return _rows(conn, sql, (story_id,))


def article(conn: sqlite3.Connection, article_id: int) -> dict[str, Any] | None:
    """One article with its site, its (resolved) body, the document fields its table has, and its story."""
    have = set(columns(conn, "articles"))
    doc = ", ".join(f"a.{c}" for c in GOVDOC_FIELDS if c in have)
    sql = f"""
    SELECT a.id, a.url, a.site, a.title, a.published_at, a.source, a.author, a.column_name, a.site_name,
           a.keywords, a.description, a.images, a.attachments, a.story_id, a.duplicate_of, a.fetched_at,
           a.first_seen_at, {_BODY} AS body_text, {_HTML} AS body_html, {doc + "," if doc else ""}
           coalesce(si.title, a.site) AS site_title, si.region, si.level, st.size AS copies,
           st.first_site, st.first_article_id
    FROM articles a LEFT JOIN sites si ON si.name = a.site LEFT JOIN stories st ON st.id = a.story_id
    WHERE a.id = ?"""
    rows = _rows(conn, sql, (article_id,))
    if not rows:
        return None
    out = rows[0]
    for key in ("images", "attachments"):
        try:
            out[key] = json.loads(out[key] or "[]")
        except ValueError:
            out[key] = []
    out["doc_fields"] = {c: out.pop(c) for c in GOVDOC_FIELDS if c in out}
    out["attachment_rows"] = _related(conn, "attachments", article_id)
    out["versions"] = _related(conn, "article_versions", article_id)
    return out


def _related(conn: sqlite3.Connection, table: str, article_id: int) -> list[dict[str, Any]]:
    """Rows of a table other features add (attachments, article_versions), when it exists here."""
    cols = columns(conn, table)
    if "article_id" not in cols:
        return []
    return _rows(conn, f"SELECT * FROM {table} WHERE article_id = ? ORDER BY id LIMIT 200", (article_id,))


def site_health(conn: sqlite3.Connection, name: str, days: int = 30) -> dict[str, Any] | None:
    """A site's runs, failures by kind, last success and articles per publish day."""
    site = _rows(conn, "SELECT name, title, region, level, updated_at FROM sites WHERE name = ?", (name,))
    known = site or _rows(
        conn, "SELECT DISTINCT site AS name, site AS title FROM runs WHERE site = ?", (name,)
    )
    if not known:
        return None
    runs = _rows(
        conn,
        "SELECT id, status, reason, started_at, finished_at, pages, new_items, duplicate_items, updated_items, "
        "failures FROM runs WHERE site = ? ORDER BY id DESC LIMIT 30",
        (name,),
    )
    last_ok = conn.execute(
        "SELECT max(coalesce(finished_at, started_at)) FROM runs WHERE site = ? AND status = 'ok'", (name,)
    ).fetchone()[0]
    kinds = conn.execute(
        "SELECT kind, count(*) AS n, max(created_at) FROM failures WHERE site = ? GROUP BY kind ORDER BY n DESC",
        (name,),
    ).fetchall()
    recent = _rows(
        conn,
        "SELECT created_at, kind, http_status, url, detail FROM failures WHERE site = ? ORDER BY id DESC LIMIT 15",
        (name,),
    )
    per_day = conn.execute(
        "SELECT substr(published_at, 1, 10) AS day, count(*) FROM articles WHERE site = ? AND published_at IS NOT "
        "NULL GROUP BY day ORDER BY day DESC LIMIT ?",
        (name, days),
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM articles WHERE site = ?", (name,)).fetchone()[0]
    return {
        "site": known[0],
        "runs": runs,
        "last_success": last_ok,
        "failure_kinds": kinds,
        "recent_failures": recent,
        "per_day": list(reversed(per_day)),
        "articles": total,
    }


def search_by_story(conn: sqlite3.Connection, q: str, limit: int = 200) -> list[dict[str, Any]]:
    """Articles matching `q` (exact copies through their original), grouped by story, newest story first."""
    match = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m"
    sql = f"""
    SELECT a.id, a.story_id, a.title, a.site, coalesce(si.title, a.site) AS site_title, a.published_at, a.source,
           {_BODY} AS body_text, st.title AS story_title, st.size AS copies, st.first_published_at,
           st.first_site
    FROM articles a LEFT JOIN sites si ON si.name = a.site LEFT JOIN stories st ON st.id = a.story_id
    WHERE a.id IN ({match}) OR a.duplicate_of IN ({match})
    ORDER BY st.first_published_at DESC, a.story_id DESC, a.published_at, a.id LIMIT :limit"""
    groups: dict[Any, dict[str, Any]] = {}
    for row in _rows(conn, sql, {"m": match_expression(q), "limit": limit}):
        key = row["story_id"] if row["story_id"] is not None else -row["id"]
        g = groups.setdefault(
            key,
            {"story_id": row["story_id"], "title": row["story_title"] or row["title"], "copies": row["copies"] or 1,
             "first_published_at": row["first_published_at"], "first_site": row["first_site"], "articles": []},
        )  # fmt: skip
        g["articles"].append(row)
    return list(groups.values())


def feed_stories(conn: sqlite3.Connection, limit: int = 50, **filters: str | None) -> list[dict[str, Any]]:
    """Stories of a feed, newest first, each with its copies (the first publisher first)."""
    out = latest_stories(conn, limit=limit, **filters)
    for s in out:
        s["copy_rows"] = _rows(
            conn,
            "SELECT a.id, a.site, coalesce(si.title, a.site) AS site_title, a.published_at, a.source, a.title, "
            "a.url, a.description, a.fetched_at FROM articles a JOIN stories st ON st.id = a.story_id "
            "LEFT JOIN sites si ON si.name = a.site WHERE a.story_id = ? "
            "ORDER BY st.first_article_id != a.id, a.published_at, a.id LIMIT 50",
            (s["id"],),
        )
        first = s["copy_rows"][0] if s["copy_rows"] else {}
        s["summary"] = first.get("description") or ""
        s["updated"] = (
            max((c["fetched_at"] or "" for c in s["copy_rows"]), default="") or s["first_published_at"]
        )
    return out
