"""Read-side queries the CLI prints (`stats`, `demo`, `stories`, `dedup`, `sites check`, crawl progress):
the SQL lives here, not in commands."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import sqlite_utils

from storage.db import connect, sqlite_uri
from storage.runs import latest_run

FILL_FIELDS = ("title", "published_at", "source", "author", "column_name", "body_text")


def archive_stats(path: str | os.PathLike[str], days: int = 14, top: int = 10) -> dict[str, Any]:
    """Counts of articles, stories and sites; articles per publish day; top sources and sites."""
    db = connect(path, readonly=True)
    conn = db.conn
    try:

        def one(sql: str, *params: Any) -> Any:
            return conn.execute(sql, params).fetchone()[0]

        out: dict[str, Any] = {
            "articles": one("SELECT count(*) FROM articles"),
            "originals": one("SELECT count(*) FROM articles WHERE duplicate_of IS NULL"),
            "exact_copies": one("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"),
            "stories": one("SELECT count(*) FROM stories"),
            "stories_with_copies": one("SELECT count(*) FROM stories WHERE size > 1"),
            "sites": one("SELECT count(*) FROM sites"),
            "sites_with_articles": one("SELECT count(DISTINCT site) FROM articles"),
            "runs": one("SELECT count(*) FROM runs"),
            "failures": one("SELECT count(*) FROM failures"),
            "first_published": one("SELECT min(published_at) FROM articles"),
            "last_published": one("SELECT max(published_at) FROM articles"),
        }
        out["per_day"] = [
            {"day": d, "articles": a, "stories": s}
            for d, a, s in conn.execute(
                "SELECT substr(published_at, 1, 10) AS day, count(*), count(DISTINCT story_id) FROM articles "
                "WHERE published_at IS NOT NULL GROUP BY day ORDER BY day DESC LIMIT ?",
                (days,),
            )
        ]
        out["top_sources"] = [
            {"source": src, "articles": n}
            for src, n in conn.execute(
                "SELECT source, count(*) AS n FROM articles WHERE coalesce(source, '') != '' "
                "GROUP BY source ORDER BY n DESC, source LIMIT ?",
                (top,),
            )
        ]
        out["top_sites"] = [
            {"site": site, "articles": n}
            for site, n in conn.execute(
                "SELECT site, count(*) AS n FROM articles GROUP BY site ORDER BY n DESC, site LIMIT ?", (top,)
            )
        ]
    finally:
        conn.close()
    return out


def crawl_outcome(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Everything a crawl left, for comparing with a ground truth: articles by URL, failures, runs."""
    db = connect(path, readonly=True)
    conn = db.conn
    try:
        articles = {
            r[0]: {"title": r[1], "published_at": r[2], "source": r[3], "site": r[4]}
            for r in conn.execute("SELECT url, title, published_at, source, site FROM articles")
        }
        failures = [tuple(r) for r in conn.execute("SELECT url, kind FROM failures")]
        runs = [tuple(r) for r in conn.execute("SELECT site, status, reason FROM runs ORDER BY id")]
    finally:
        conn.close()
    return {"articles": articles, "failures": failures, "runs": runs}


def site_hosts_split(path: str | os.PathLike[str], marker: str) -> tuple[int, int] | None:
    """(sites whose config mentions marker, sites whose config does not); None when the file is not a
    readable newsmon database."""
    try:
        db = connect(path, readonly=True)
    except Exception:  # noqa: BLE001 - StorageError or sqlite3.Error: not a database we can read
        return None
    try:
        like = f"%{marker}%"
        mine = db.conn.execute("SELECT count(*) FROM sites WHERE config LIKE ?", (like,)).fetchone()[0]
        others = db.conn.execute("SELECT count(*) FROM sites WHERE config NOT LIKE ?", (like,)).fetchone()[0]
        return int(mine), int(others)
    except sqlite3.Error:
        return None
    finally:
        db.conn.close()


def table_columns(path: str | os.PathLike[str]) -> dict[str, set[str]]:
    """Each table's and view's column names (for metadata that describes only columns that exist)."""
    db = connect(path, readonly=True)
    try:
        names = [
            r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        ]
        return {n: {c[1] for c in db.conn.execute(f"PRAGMA table_info([{n}])")} for n in names}
    finally:
        db.conn.close()


def stored_articles(path: str | os.PathLike[str]) -> int:
    """Articles stored so far, for a live progress line: 0 while the file is missing, busy or unreadable."""
    try:
        conn = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def site_check(db: sqlite_utils.Database, site: str) -> dict[str, Any]:
    """What `sites check` reports of one site: its latest run and how often each field was filled."""
    run = latest_run(db.conn, site) or ("crashed", "no run recorded", 0, 0)
    rows = list(db.query(f"SELECT {', '.join(FILL_FIELDS)} FROM articles WHERE site = ?", [site]))
    fill = {k: (sum(1 for r in rows if r[k]) / len(rows) if rows else 0.0) for k in FILL_FIELDS}
    return {
        "site": site,
        "status": run[0],
        "reason": run[1],
        "links_found": run[2] or 0,
        "failures": run[3] or 0,
        "articles": len(rows),
        "fill_rates": fill,
    }


def list_stories(
    conn: sqlite3.Connection, min_copies: int = 1, site: str | None = None, limit: int = 50
) -> list[tuple]:
    """(id, copies, first site, first published, claimed origin, title, first URL, first removed) per
    story, largest and newest first; only stories with a copy on `site` when given; limit 0: all."""
    where: list[str] = ["s.size >= ?"]
    args: list[object] = [min_copies]
    if site:
        where.append("EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id AND a.site = ?)")
        args.append(site)
    sql = (
        "SELECT s.id, s.size, s.first_site, s.first_published_at, s.claimed_origin, s.title, a.url, a.removed_at "
        "FROM stories s LEFT JOIN articles a ON a.id = s.first_article_id "
        f"WHERE {' AND '.join(where)} ORDER BY s.size DESC, s.first_published_at DESC, s.id"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return conn.execute(sql, args).fetchall()


def dedup_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Articles (with a signature, exact copies), stories (with more than one copy) and band keys."""
    n_articles, n_sigs, n_copies = conn.execute(
        "SELECT count(*), count(signature), count(duplicate_of) FROM articles"
    ).fetchone()
    n_stories, n_multi = conn.execute("SELECT count(*), coalesce(sum(size > 1), 0) FROM stories").fetchone()
    n_bands = conn.execute("SELECT count(*) FROM dedup_bands").fetchone()[0]
    return {"articles": n_articles, "signatures": n_sigs, "exact_copies": n_copies, "stories": n_stories,
            "stories_with_copies": n_multi, "band_keys": n_bands}  # fmt: skip
