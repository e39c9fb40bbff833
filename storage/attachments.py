"""Attached documents: one row per content hash (or per URL when it could not be fetched), linked to articles.

`attachments` holds name, URL, type, size, hash, text, pages and error; `article_attachments` links each
article to its files (a file shared by reposts is stored once). The text is indexed in its own contentless
FTS5 table, `attachments_fts`, with the article index's bigram tokens, so `newsmon search`, exports and
watches find words that only an attachment holds.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from storage import search
from storage.store_time import iso_utc

FTS_TABLE = search.ATTACHMENTS_FTS
matching_articles_sql = search.attachment_matches_sql
COLUMNS = ("key", "hash", "name", "url", "type", "size", "text", "pages", "error", "fetched_at")
# the attachment text of an article, as one string (watches and exports)
ARTICLE_TEXT_SQL = (
    "(SELECT group_concat(t.text, char(10)) FROM article_attachments aa JOIN attachments t "
    "ON t.id = aa.attachment_id WHERE aa.article_id = {id} AND t.text IS NOT NULL AND t.text != '')"
)


def create(db: sqlite_utils.Database) -> None:
    """Tables, indexes and the full-text index of attachments (idempotent)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS attachments (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, hash TEXT, name TEXT, url TEXT, type TEXT,
        size INTEGER, text TEXT, pages INTEGER, error TEXT, fetched_at TEXT)"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_attachments_url ON attachments (url)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS article_attachments (
        article_id INTEGER NOT NULL REFERENCES articles (id),
        attachment_id INTEGER NOT NULL REFERENCES attachments (id),
        name TEXT, url TEXT, PRIMARY KEY (article_id, attachment_id)) WITHOUT ROWID"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_article_attachments_file ON article_attachments (attachment_id)"
    )
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(name, text, content='', "
        f"tokenize='{search.TOKENIZE}')"
    )


def content_key(data_hash: str | None, url: str) -> str:
    """The row key: the content hash when the file was read, else its URL (failed fetches)."""
    return data_hash if data_hash else "url:" + hashlib.sha256(url.encode()).hexdigest()


def known_by_url(conn: sqlite3.Connection, urls: Sequence[str]) -> dict[str, int]:
    """URL → attachment id for files already stored with their content (not re-downloaded)."""
    if not urls:
        return {}
    marks = ",".join("?" * len(urls))
    rows = conn.execute(
        f"SELECT url, id FROM attachments WHERE url IN ({marks}) AND hash IS NOT NULL "
        f"UNION SELECT aa.url, aa.attachment_id FROM article_attachments aa JOIN attachments t "
        f"ON t.id = aa.attachment_id WHERE aa.url IN ({marks}) AND t.hash IS NOT NULL",
        [*urls, *urls],
    )
    return {u: i for u, i in rows}


def _upsert(conn: sqlite3.Connection, f: Mapping[str, Any]) -> int:
    key = content_key(f.get("hash"), f["url"])
    row = conn.execute("SELECT id, error FROM attachments WHERE key = ?", (key,)).fetchone()
    if row is not None:
        if f.get("hash") is None and row[1] != f.get("error"):  # a failed fetch: keep its latest reason
            conn.execute(
                "UPDATE attachments SET error = ?, fetched_at = ? WHERE id = ?",
                (f.get("error"), iso_utc(), row[0]),
            )
        return int(row[0])
    values = {c: f.get(c) for c in COLUMNS}
    values.update(key=key, fetched_at=f.get("fetched_at") or iso_utc())
    cur = conn.execute(
        f"INSERT INTO attachments ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        tuple(values[c] for c in COLUMNS),
    )
    att_id = int(cur.lastrowid or 0)
    if values["text"] or values["name"]:
        conn.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, name, text) VALUES (?, ?, ?)",
            (att_id, search.index_tokens(values["name"] or ""), search.index_tokens(values["text"] or "")),
        )
    return att_id


def save(conn: sqlite3.Connection, article_id: int, files: Iterable[Mapping[str, Any]]) -> int:
    """Store an article's files (inside the caller's write transaction) and link them; return the count."""
    n = 0
    for f in files:
        att_id = f.get("id") or _upsert(conn, f)
        conn.execute(
            "INSERT OR IGNORE INTO article_attachments (article_id, attachment_id, name, url) VALUES (?, ?, ?, ?)",
            (article_id, att_id, f.get("name"), f.get("url")),
        )
        n += 1
    return n
