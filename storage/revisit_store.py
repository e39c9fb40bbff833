"""Revisit bookkeeping in SQLite: due articles, checks, removals and restorations, list snapshots, budget.

A removal is a fact about an article (``articles.removed_at`` plus a ``removals`` row with its evidence),
never a deletion of stored text; an article that comes back gets ``restored_at`` on that row, so both
events stay on record.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from storage.store_time import iso_utc

LIST_EVIDENCE = "dropped-from-list"  # restored only by reappearing on a list, not by the page answering
DUE_COLUMNS = ("id", "url", "original_url", "http_etag", "http_last_modified", "first_seen_at", "removed_at")


class RevisitWrites:
    """Revisit reads and writes of the Store (mixed in: uses its `db` and `_write()`)."""

    db: Any

    def _write(self) -> Any:  # provided by Store
        raise NotImplementedError

    # -- due revisits --------------------------------------------------------------------------
    def due_revisits(self, site: str, now: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` articles of `site` whose next revisit is due at `now`, the longest overdue first."""
        if limit <= 0:
            return []
        cur = self.db.conn.execute(
            f"SELECT {', '.join(DUE_COLUMNS)} FROM articles INDEXED BY idx_articles_site_next_revisit_at "
            "WHERE site = ? AND next_revisit_at <= ? ORDER BY next_revisit_at, id LIMIT ?",
            (site, now, limit),
        )
        return [dict(zip(DUE_COLUMNS, r, strict=True)) for r in cur]

    def count_due(self, site: str, now: str) -> int:
        """How many articles of `site` are due for a revisit at `now`."""
        return int(
            self.db.conn.execute(
                "SELECT count(*) FROM articles WHERE site = ? AND next_revisit_at <= ?", (site, now)
            ).fetchone()[0]
        )

    def revisit_checked(self, article_id: int, next_at: str | None, *, restore: str | None = None) -> None:
        """An article was checked and found unchanged (304 or same content): set its next revisit."""
        now = iso_utc()
        with self._write() as conn:
            conn.execute(
                "UPDATE articles SET last_checked_at = ?, last_seen_at = ?, next_revisit_at = ?, "
                "revisit_count = coalesce(revisit_count, 0) + 1 WHERE id = ?",
                (now, now, next_at, article_id),
            )
            if restore:
                restore_article(conn, article_id, restore, now)

    # -- removals ------------------------------------------------------------------------------
    def record_removal(
        self,
        article_id: int,
        evidence: str,
        detail: str = "",
        http_status: int | None = None,
        run_id: int | None = None,
        next_at: str | None = None,
        checked: bool = True,
    ) -> bool:
        """Record that an article disappeared; True when this is a new removal (not one already open)."""
        now = iso_utc()
        with self._write() as conn:
            if checked:
                conn.execute(
                    "UPDATE articles SET last_checked_at = ?, next_revisit_at = ?, "
                    "revisit_count = coalesce(revisit_count, 0) + 1 WHERE id = ?",
                    (now, next_at, article_id),
                )
            row = conn.execute("SELECT site, removed_at FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None or row[1] is not None:
                return False
            conn.execute("UPDATE articles SET removed_at = ? WHERE id = ?", (now, article_id))
            conn.execute(
                "INSERT INTO removals (article_id, site, removed_at, evidence, detail, http_status, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (article_id, row[0], now, evidence, detail[:2000], http_status, run_id),
            )
            return True

    def restore_listed(self, urls: Sequence[str]) -> int:
        """Articles (canonical urls) seen on a list again: close their open removals. Returns how many."""
        if not urls:
            return 0
        now = iso_utc()
        n = 0
        with self._write() as conn:
            for i in range(0, len(urls), 500):
                chunk = list(urls[i : i + 500])
                marks = ",".join("?" * len(chunk))
                ids = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM articles WHERE url IN ({marks}) AND removed_at IS NOT NULL", chunk
                    )
                ]
                for art_id in ids:
                    n += restore_article(conn, art_id, "listed again", now, any_evidence=True)
        return n

    def article_ids(self, urls: Sequence[str]) -> dict[str, int]:
        """Canonical url → article id, for the stored ones."""
        out: dict[str, int] = {}
        for i in range(0, len(urls), 500):
            chunk = list(urls[i : i + 500])
            marks = ",".join("?" * len(chunk))
            out.update(self.db.conn.execute(f"SELECT url, id FROM articles WHERE url IN ({marks})", chunk))
        return out

    def stored_body(self, article_id: int) -> str | None:
        """The body text of an article (read from its twin for an exact copy)."""
        row = self.db.conn.execute(
            "SELECT coalesce(a.body_text, t.body_text) FROM articles a "
            "LEFT JOIN articles t ON t.id = a.duplicate_of WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        return row[0] if row else None

    # -- list snapshots ------------------------------------------------------------------------
    def list_snapshot(self, url: str) -> list[str] | None:
        """The article links a list page had at its last parse (None: never parsed)."""
        row = self.db.conn.execute("SELECT links FROM list_snapshots WHERE url = ?", (url,)).fetchone()
        return json.loads(row[0]) if row else None

    def save_list_snapshot(self, url: str, site: str, links: Sequence[str]) -> None:
        """Remember a list page's article links (canonical, in page order)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO list_snapshots (url, site, links, seen_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET links = excluded.links, seen_at = excluded.seen_at",
                (url, site, json.dumps(list(links)), iso_utc()),
            )

    # -- budget --------------------------------------------------------------------------------
    def revisit_credit(self, site: str) -> float:
        """Unspent revisit budget a site carries from its last run."""
        row = self.db.conn.execute("SELECT credit FROM revisit_credit WHERE site = ?", (site,)).fetchone()
        return float(row[0]) if row else 0.0

    def save_revisit_credit(self, site: str, credit: float) -> None:
        """Keep a site's unspent revisit budget for its next run."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO revisit_credit (site, credit) VALUES (?, ?) "
                "ON CONFLICT(site) DO UPDATE SET credit = excluded.credit",
                (site, credit),
            )


def restore_article(
    conn: sqlite3.Connection, article_id: int, evidence: str, now: str, *, any_evidence: bool = False
) -> int:
    """Close an article's open removal (1) unless only a list can restore it; 0 when nothing was open."""
    row = conn.execute(
        "SELECT id, evidence FROM removals WHERE article_id = ? AND restored_at IS NULL ORDER BY id DESC LIMIT 1",
        (article_id,),
    ).fetchone()
    if row is None:
        conn.execute("UPDATE articles SET removed_at = NULL WHERE id = ?", (article_id,))
        return 0
    if row[1] == LIST_EVIDENCE and not any_evidence:
        return 0
    conn.execute(
        "UPDATE removals SET restored_at = ?, restored_evidence = ? WHERE id = ?", (now, evidence, row[0])
    )
    conn.execute("UPDATE articles SET removed_at = NULL WHERE id = ?", (article_id,))
    return 1
