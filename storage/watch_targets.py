"""A watch's notify targets: a stable key and a display label without secrets per URL, and the pending
delivery rows a new hit gets (sent later by storage/watch_notify.py)."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

logger = logging.getLogger(__name__)


def target_key(url: str) -> str:
    """Stable key of a notify URL (the URL itself may hold secrets and stays only in the watch)."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def target_label(url: str) -> str:
    """The URL with secrets masked, for display: Apprise's privacy form, and no path or query at all
    (a webhook token often is the path: json://host/hook/TOKEN shows as json://host/…)."""
    label = url.split("://", 1)[0] + "://…"
    redact_in_logs(url)  # Apprise logs the URL it loads (at debug level) with its path and query
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


class _Redact(logging.Filter):
    """Masks the secret parts of notify URLs in every record a handler emits. Written here because the
    libraries that send (Apprise, urllib3) log the URL's path and query at debug level with no option to
    mask them; a handler filter sees records of every logger, also those propagated from theirs."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with each known secret replaced by '…'."""
        if not self.secrets:
            return True
        msg = record.getMessage()
        hidden = msg
        for secret in sorted(self.secrets, key=len, reverse=True):
            hidden = hidden.replace(secret, "…")
        if hidden != msg:
            record.msg, record.args = hidden, None
        return True


_REDACT = _Redact()


def redact_in_logs(url: str) -> None:
    """From now on, no log handler of this process shows url's path, query values or password."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        parts, password = None, None
    secrets: set[str] = set()
    if parts is not None:
        secrets |= {parts.path, unquote(parts.path)} if parts.path.strip("/") else set()
        secrets |= {v for _, v in parse_qsl(parts.query)} | {parts.query}
        secrets.add(password or "")
    _REDACT.secrets |= {s for s in secrets if len(s) >= 4}
    for handler in logging.getLogger().handlers:
        handler.addFilter(_REDACT)  # once per handler (addFilter ignores a filter it already has)


def add_deliveries(conn: sqlite3.Connection, hit_id: int, watch: Any, created: str) -> None:
    """One pending delivery per notify URL of the watch, due now."""
    for url in watch.notify:
        conn.execute(
            "INSERT OR IGNORE INTO watch_deliveries (hit_id, watch, target, target_label, status, attempts, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
            (hit_id, watch.name, target_key(url), target_label(url), created, created),
        )
