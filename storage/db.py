"""Opening a newsmon database: connections with full-text search ready, migrations, the write lock proven.

The front door of storage/ for everything above it (store, stories, watches, the CLI): the connection
layer (storage/connection.py) plus the full-text setup (storage/search.py) and the schema
(storage/schema.py). Its names are the ones callers have always used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from storage import search, views
from storage.connection import (
    BUSY_TIMEOUT_MS,
    LockHeld,
    StorageError,
    explain,
    sidecar_lock,
    sqlite_uri,
    write_transaction,
)
from storage.connection import connect as _connect
from storage.schema import MIGRATIONS

__all__ = [
    "BUSY_TIMEOUT_MS",
    "LockHeld",
    "StorageError",
    "connect",
    "explain",
    "migrate",
    "open_db",
    "sidecar_lock",
    "sqlite_uri",
    "write_transaction",
]

logger = logging.getLogger(__name__)


def connect(path: str | os.PathLike[str], *, readonly: bool = False) -> sqlite_utils.Database:
    """A connection (storage.connection.connect) with the full-text functions and queue flush set up:
    the articles_fts triggers need them on every connection that may write articles. A read-only one
    gets the query functions only: the writers' in-memory temp store and larger cache would make its big
    sorted reads (exports) sort in memory."""
    setup = search.register_functions if readonly else search.setup_connection
    return _connect(path, readonly=readonly, setup=(setup,))


@contextlib.contextmanager
def _migration_lock(path: str) -> Iterator[None]:
    """Serialize schema migration across processes (first runs of several crawls at once)."""
    if path == ":memory:":
        yield
        return
    with sidecar_lock(path, "migrate"):
        yield


def migrate(db: sqlite_utils.Database, path: str | os.PathLike[str] = ":memory:") -> list[str]:
    """Apply pending migrations; return the names applied. Safe to call from several processes."""
    path = str(path)
    try:
        if not MIGRATIONS.pending(db) and not views.stale_views(db):
            return []  # up to date: no lock file, no write (works on a read-only copy)
        with _migration_lock(path):
            pending = [m.name for m in MIGRATIONS.pending(db)]
            if pending:
                MIGRATIONS.apply(db)
                logger.info("applied migrations: %s", ", ".join(pending))
            if views.stale_views(db):
                try:
                    with write_transaction(db):
                        logger.info("re-created views: %s", ", ".join(views.sync_views(db)))
                except sqlite3.OperationalError as exc:  # a read-only copy keeps the views it has
                    logger.warning("%s: views not updated (%s)", path, exc)
            return pending
    except sqlite3.Error as exc:
        raise explain(exc, path) from exc
    except OSError as exc:
        raise StorageError(f"{path}: cannot create the migration lock file ({exc.strerror})") from exc


def open_db(
    path: str | os.PathLike[str], *, migrate_schema: bool = True, writable: bool = False
) -> sqlite_utils.Database:
    """Open (creating if needed) a newsmon database and bring its schema up to date.

    writable=True also proves the write lock can be taken, so a read-only file fails here, clearly.
    """
    path = str(path)
    if path != ":memory:":
        parent = Path(path).resolve().parent
        if not parent.exists():
            raise StorageError(f"{path}: folder {parent} does not exist")
    db = connect(path)
    if migrate_schema:
        migrate(db, path)
    if writable:
        try:
            # take and release the write lock once, so a read-only file or file system fails here, clearly
            db.conn.execute("BEGIN IMMEDIATE")
            db.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            db.conn.close()
            raise explain(exc, path) from exc
    return db
