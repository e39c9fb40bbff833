"""Writes and reads of crawl results: articles, failures, redirects, list-page validators (run rows: runs.py)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from storage import attachments, stories, versions
from storage.db import connect, explain, open_db, write_transaction
from storage.revisit_store import RevisitWrites, restore_article
from storage.runs import BAD_STATUSES, RUN_COLUMNS, RUN_STATUSES, RunWrites, run_of_process
from storage.store_time import iso_utc

logger = logging.getLogger(__name__)

# re-exported: callers import the run vocabulary from here
__all__ = ["BAD_STATUSES", "RUN_COLUMNS", "RUN_STATUSES", "Store", "run_of_process"]

ARTICLE_FIELDS = (
    "url",
    "site",
    "original_url",
    "title",
    "published_at",
    "source",
    "author",
    "column_name",
    "site_name",
    "keywords",
    "description",
    "doc_number",
    "index_number",
    "issuer",
    "written_at",
    "subject",
    "validity",
    "body_text",
    "body_html",
    "images",
    "attachments",
    "content_hash",
    "signature",
    "provenance",
    "encoding",
    "http_etag",
    "http_last_modified",
    "fetched_at",
    "next_revisit_at",
)
JSON_FIELDS = ("images", "attachments", "provenance")
SOURCE_STATE_KEYS = ("etag", "last_modified", "last_status", "last_fetched_at", "complete")


def _row_from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    row = {k: item.get(k) for k in ARTICLE_FIELDS}
    for k in JSON_FIELDS:
        if row[k] is not None and not isinstance(row[k], str):
            row[k] = json.dumps(row[k], ensure_ascii=False)
    return row


def _insert_failure(conn: sqlite3.Connection, values: tuple[Any, ...]) -> None:
    """One failures row: (run_id, site, url, kind, http_status, detail)."""
    conn.execute(
        "INSERT INTO failures (run_id, site, url, kind, http_status, detail, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (*values, iso_utc()),
    )


class Store(RunWrites, RevisitWrites):
    """One process's handle on the newsmon database; every write is a BEGIN IMMEDIATE transaction."""

    def __init__(
        self, path: str | os.PathLike[str], *, migrate_schema: bool = True, readonly: bool = False
    ) -> None:
        self.path = str(path)
        # readonly: for reports (runs, health) that must work on a read-only copy and never wait for a writer
        self.db: sqlite_utils.Database = (
            connect(self.path, readonly=True)
            if readonly
            else open_db(self.path, migrate_schema=migrate_schema, writable=True)
        )
        # 64 MB page cache: story assignment probes the LSH index, which outgrows the 2 MB default
        self.db.conn.execute("PRAGMA cache_size = -65536")

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sites ------------------------------------------------------------------------------
    def upsert_sites(self, sites: Iterable[Mapping[str, Any]]) -> None:
        """Record configured sites (name, title, region, level, config hash, config JSON)."""
        rows = [
            {
                "name": s["name"],
                "title": s.get("title"),
                "region": s.get("region"),
                "level": s.get("level"),
                "config_hash": s.get("config_hash"),
                "config": json.dumps(s.get("config", {}), ensure_ascii=False, sort_keys=True),
                "updated_at": iso_utc(),
            }
            for s in sites
        ]
        if not rows:
            return
        with self._write():
            self.db.table("sites").upsert_all(rows, pk="name")

    # -- failures ---------------------------------------------------------------------------
    def record_failure(
        self,
        run_id: int | None,
        site: str | None,
        url: str,
        kind: str,
        detail: str = "",
        http_status: int | None = None,
    ) -> None:
        """Store one failed fetch or extraction."""
        with self._write() as conn:
            _insert_failure(conn, (run_id, site, url, kind, http_status, detail[:2000]))

    def record_failure_once(
        self, run_id: int, site: str | None, failure: tuple[str, str, str, int | None]
    ) -> bool:
        """record_failure of (url, kind, detail, HTTP status), unless this run already has this failure (a
        replayed message); True if recorded."""
        url, kind, detail, http_status = failure
        detail = detail[:2000]
        with self._write() as conn:
            seen = conn.execute(
                "SELECT 1 FROM failures WHERE run_id = ? AND url = ? AND kind = ? AND detail = ? LIMIT 1",
                (run_id, url, kind, detail),
            ).fetchone()
            if seen is None:
                _insert_failure(conn, (run_id, site, url, kind, http_status, detail))
        return seen is None

    # -- articles ---------------------------------------------------------------------------
    def known_urls(self, urls: Sequence[str]) -> set[str]:
        """Subset of canonical `urls` already stored as articles."""
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            chunk = list(urls[i : i + 500])
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.conn.execute(
                    f"SELECT url FROM articles WHERE url IN ({marks}) "
                    # a redirect counts as known only once the article it leads to is stored
                    f"UNION SELECT r.url FROM redirects r JOIN articles a ON a.url = r.target "
                    f"WHERE r.url IN ({marks})",
                    chunk + chunk,
                )
            )
        return found

    def save_articles(self, items: Sequence[Mapping[str, Any]], run_id: int | None = None) -> list[str]:
        """Store a batch in one transaction; return per item 'new', 'duplicate', 'updated' or 'unchanged'."""
        outcomes: list[str] = []
        with self._write() as conn:
            for item in items:
                outcomes.append(self._save_one(conn, item, run_id))
                if item.get("attachment_files"):
                    art_id = conn.execute("SELECT id FROM articles WHERE url = ?", (item["url"],)).fetchone()[
                        0
                    ]
                    attachments.save(conn, art_id, item["attachment_files"])
        return outcomes

    def _save_one(self, conn: sqlite3.Connection, item: Mapping[str, Any], run_id: int | None) -> str:
        row = _row_from_item(item)
        now = iso_utc()
        existing = conn.execute("SELECT id, removed_at FROM articles WHERE url = ?", (row["url"],)).fetchone()
        if existing is not None:
            fresh = {
                "last_seen_at": now,
                "last_checked_at": now,
                "http_etag": row["http_etag"],
                "http_last_modified": row["http_last_modified"],
            }
            nxt = row.pop("next_revisit_at")
            if nxt is not None:  # None: the revisit already set it (or it is not known)
                fresh["next_revisit_at"] = nxt
            outcome = versions.update_existing(conn, existing[0], row, run_id, now, fresh)
            if existing[1] is not None:  # it answers with its article again: back
                restore_article(conn, existing[0], "page answers with the article again", now)
            return outcome

        row.update(first_seen_at=now, last_seen_at=now, run_id=run_id)
        twin = None
        if row["content_hash"]:
            twin = conn.execute(
                "SELECT id FROM articles WHERE content_hash = ? AND duplicate_of IS NULL ORDER BY id LIMIT 1",
                (row["content_hash"],),
            ).fetchone()
        if twin is not None:
            # An exact copy keeps its own metadata but points at the first copy's body.
            row.update(body_text=None, body_html=None, signature=None, duplicate_of=twin[0])
        cols = ", ".join(row)
        marks = ", ".join("?" * len(row))
        cur = conn.execute(f"INSERT INTO articles ({cols}) VALUES ({marks})", tuple(row.values()))
        art_id = int(cur.lastrowid or 0)
        stories.assign(conn, art_id)
        return "duplicate" if twin is not None else "new"

    # -- list-page validators -----------------------------------------------------------------
    def source_state(self, url: str) -> dict[str, Any] | None:
        """Stored ETag/Last-Modified of a list page, feed or sitemap, and whether its last walk was complete."""
        row = self.db.conn.execute(
            f"SELECT {', '.join(SOURCE_STATE_KEYS)} FROM source_state WHERE url = ?", (url,)
        ).fetchone()
        return None if row is None else dict(zip(SOURCE_STATE_KEYS, row, strict=True))

    def save_source_state(
        self,
        url: str,
        site: str,
        etag: str | None,
        last_modified: str | None,
        status: int,
        complete: bool = True,
    ) -> None:
        """Remember validators of a list page for the next run's conditional request."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO source_state (url, site, etag, last_modified, last_status, last_fetched_at, complete) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, last_status = excluded.last_status, "
                "last_fetched_at = excluded.last_fetched_at, complete = excluded.complete",
                (url, site, etag, last_modified, status, iso_utc(), int(complete)),
            )

    def set_sources_complete(self, urls: Sequence[str], complete: bool) -> None:
        """Mark sources as walked to their end (or not): a run clears the mark when it starts."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE source_state SET complete = ? WHERE url = ?", [(int(complete), u) for u in urls]
            )

    def articles_since(self, since: str) -> dict[str, int]:
        """Articles first seen at or after `since` (ISO UTC), counted per site."""
        cur = self.db.conn.execute(
            "SELECT site, count(*) FROM articles WHERE first_seen_at >= ? GROUP BY site", (since,)
        )
        return {site: n for site, n in cur}

    def failed_attempts(self, urls: Sequence[str]) -> dict[str, tuple[int, str, int | None]]:
        """For URLs that failed before: (number of failures, last kind, last HTTP status)."""
        out: dict[str, tuple[int, str, int | None]] = {}
        for i in range(0, len(urls), 500):
            chunk = list(urls[i : i + 500])
            marks = ",".join("?" * len(chunk))
            # SQLite takes bare columns from the row that holds max(id): the latest failure
            for url, n, kind, status, _ in self.db.conn.execute(
                f"SELECT url, count(*), kind, http_status, max(id) FROM failures WHERE url IN ({marks}) "
                "GROUP BY url",
                chunk,
            ):
                out[url] = (n, kind, status)
        return out

    # -- the whole archive's lookups (a cluster's ingest writer publishes them to Redis) --------------
    def iter_known_urls(self) -> Iterator[str]:
        """Every canonical URL known: stored articles and remembered redirects."""
        for (url,) in self.db.conn.execute("SELECT url FROM articles UNION SELECT url FROM redirects"):
            yield url

    def iter_failed_attempts(self) -> Iterator[tuple[str, tuple[int, str, int | None]]]:
        """failed_attempts of every URL that failed before."""
        for url, n, kind, status, _ in self.db.conn.execute(
            "SELECT url, count(*), kind, http_status, max(id) FROM failures GROUP BY url"
        ):
            yield url, (n, kind, status)

    def iter_source_states(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """source_state of every source with saved validators."""
        cur = self.db.conn.execute(f"SELECT url, {', '.join(SOURCE_STATE_KEYS)} FROM source_state")
        for url, *values in cur:
            yield url, dict(zip(SOURCE_STATE_KEYS, values, strict=True))

    def known_attachments(self, urls: Sequence[str]) -> dict[str, int]:
        """URL → id of attachments already stored with their content (linked again, not downloaded)."""
        return attachments.known_by_url(self.db.conn, list(urls))

    def save_redirect(self, url: str, target: str) -> None:
        """Remember that `url` (canonical) redirects to the article at `target`, so it counts as known."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO redirects (url, target, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET target = excluded.target, seen_at = excluded.seen_at",
                (url, target, iso_utc()),
            )

    # -- robots.txt cache ----------------------------------------------------------------------
    def cached_robots(self, netloc: str, max_age_s: float) -> tuple[int, bytes] | None:
        """(status, body) of a robots.txt fetched less than max_age_s seconds ago, else None."""
        row = self.db.conn.execute(
            "SELECT status, body, fetched_at FROM robots_cache WHERE netloc = ?", (netloc,)
        ).fetchone()
        if row is None:
            return None
        age = datetime.now(UTC) - datetime.fromisoformat(row[2])
        return (row[0], row[1] or b"") if age.total_seconds() < max_age_s else None

    def save_robots(self, netloc: str, status: int, body: bytes) -> None:
        """Remember a robots.txt response for later runs."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO robots_cache (netloc, status, body, fetched_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(netloc) DO UPDATE SET status = excluded.status, body = excluded.body, "
                "fetched_at = excluded.fetched_at",
                (netloc, status, body, iso_utc()),
            )

    # -- helpers ----------------------------------------------------------------------------
    def _write(self) -> Any:
        return _ExplainedWrite(self)


class _ExplainedWrite:
    """write_transaction that turns sqlite3 errors into StorageError naming the file."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cm: Any = None

    def __enter__(self) -> sqlite3.Connection:
        self._cm = write_transaction(self.store.db)
        try:
            return self._cm.__enter__()
        except sqlite3.Error as exc:
            raise explain(exc, self.store.path) from exc

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        try:
            self._cm.__exit__(et, ev, tb)
        except sqlite3.Error as exc:
            raise explain(exc, self.store.path) from exc
        if isinstance(ev, sqlite3.Error):
            raise explain(ev, self.store.path) from ev
