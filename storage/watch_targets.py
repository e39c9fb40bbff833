"""A watch's notify targets: a stable key and a display label without secrets per URL, and the pending
delivery rows a new hit gets (sent later by storage/watch_notify.py)."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from typing import Any

logger = logging.getLogger(__name__)


def target_key(url: str) -> str:
    """Stable key of a notify URL (the URL itself may hold secrets and stays only in the watch)."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def target_label(url: str) -> str:
    """The URL with secrets masked, for display: Apprise's privacy form, and no path or query at all
    (a webhook token often is the path: json://host/hook/TOKEN shows as json://host/…)."""
    label = url.split("://", 1)[0] + "://…"
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin is not None:
            label = str(plugin.url(privacy=True))
    except Exception:  # noqa: BLE001 - a label must never stop a hit from being recorded
        logger.debug("no privacy URL for a notify target")
    scheme, sep, rest = label.partition("://")
    netloc, slash, path = rest.partition("/")
    netloc = netloc.split("?", 1)[0].split("#", 1)[0]
    return f"{scheme}{sep}{netloc}" + ("/…" if slash and path.strip("/?#") else "")


def add_deliveries(conn: sqlite3.Connection, hit_id: int, watch: Any, created: str) -> None:
    """One pending delivery per notify URL of the watch, due now."""
    for url in watch.notify:
        conn.execute(
            "INSERT OR IGNORE INTO watch_deliveries (hit_id, watch, target, target_label, status, attempts, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
            (hit_id, watch.name, target_key(url), target_label(url), created, created),
        )
