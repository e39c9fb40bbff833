"""Per-site template memory in the database: how many pages of a site showed each line key.

The extractor (crawler/extract/template.py) keys every line of a page; lines on at least two other pages
of the same site are that site's template (navigation, footers, sidebars, disclaimers). This module only
stores and loads the counts; it knows nothing of pages or extraction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import sqlite_utils

from storage.connection import explain, write_transaction
from storage.store_time import iso_utc

MAX_LOADED_KEYS = 50_000  # the most frequent keys of a site are loaded; rarer ones are a page's own text


def load_template_counts(db: sqlite_utils.Database, site: str, path: str = "") -> dict[str, int]:
    """Key -> page count of one site (the MAX_LOADED_KEYS most frequent)."""
    try:
        rows = db.conn.execute(
            "SELECT key, pages FROM site_template WHERE site = ? ORDER BY pages DESC LIMIT ?",
            (site, MAX_LOADED_KEYS),
        ).fetchall()
    except sqlite3.Error as exc:
        raise explain(exc, path) from exc
    return {k: int(n) for k, n in rows}


def add_template_pages(
    db: sqlite_utils.Database, site: str, pages: Iterable[tuple[str, Iterable[str]]], path: str = ""
) -> int:
    """Count the line keys of pages (url, keys) of a site, each url once ever; returns pages counted."""
    now = iso_utc()
    counted = 0
    try:
        with write_transaction(db) as conn:
            for url, keys in pages:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO site_template_pages (site, url, seen_at) VALUES (?, ?, ?)",
                    (site, url, now),
                )
                if cur.rowcount != 1:
                    continue  # this page was counted before (a revisit)
                counted += 1
                conn.executemany(
                    "INSERT INTO site_template (site, key, pages, seen_at) VALUES (?, ?, 1, ?) "
                    "ON CONFLICT(site, key) DO UPDATE SET pages = pages + 1, seen_at = excluded.seen_at",
                    [(site, k, now) for k in dict.fromkeys(keys)],
                )
    except sqlite3.Error as exc:
        raise explain(exc, path) from exc
    return counted
