"""SQLite connections for newsmon: WAL, busy timeout, immediate write transactions, migrations."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from storage.schema import MIGRATIONS

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 60_000


class StorageError(Exception):
    """A database problem explained for a person (read-only file, disk full, corrupt file)."""


def explain(exc: BaseException, path: str | os.PathLike[str]) -> StorageError:
    """Turn a low-level sqlite3 error into a StorageError naming the file and the likely cause."""
    msg = str(exc)
    low = msg.lower()
    if "readonly" in low or "read-only" in low:
        why = "the database file (or its folder) is read-only"
    elif "disk is full" in low or "database or disk is full" in low:
        why = "the disk (or the database's size limit) is full"
    elif "not a database" in low or "malformed" in low or "corrupt" in low:
        why = "the file is not a valid SQLite database or is corrupt"
    elif "unable to open" in low and _read_only_place(path):
        why = "the database file or its folder is read-only"
    elif "unable to open" in low:
        why = "the database file cannot be opened (missing folder or no permission)"
    elif "locked" in low or "busy" in low:
        why = "the database stayed locked by another process longer than the busy timeout"
    else:
        why = "SQLite reported an error"
    return StorageError(f"{path}: {why} ({msg})")


def _read_only_place(path: str | os.PathLike[str]) -> bool:
    """True when the database's folder (or file system) cannot be written."""
    folder = Path(path).resolve().parent
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not os.access(folder, os.W_OK)
    except OSError:
        return False


def connect(path: str | os.PathLike[str], *, readonly: bool = False) -> sqlite_utils.Database:
    """Open a database with WAL, a busy timeout and autocommit, so writes use explicit transactions."""
    path = str(path)
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        else:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                logger.warning("%s: journal_mode is %s, not WAL", path, mode)
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a corrupt file fails here, explained
        # Full-text search (issue #7): the articles_fts triggers call these functions, so every
        # connection that may write articles needs them; see storage/search.py.
        from storage.search import register_functions

        register_functions(conn)
    except sqlite3.Error as exc:
        raise explain(exc, path) from exc
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock up front so a read-then-write never fails busy."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        # articles written in this transaction enter the full-text index in one statement (search.flush)
        from storage.search import flush

        try:
            flush(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


class LockHeld(Exception):
    """Another process holds a database's side lock; `holder` is its pid as it wrote it."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(f"held by pid {holder}")


@contextlib.contextmanager
def sidecar_lock(db_path: str | os.PathLike[str], name: str, *, wait: bool = True) -> Iterator[None]:
    """Hold `<db>.<name>.lock` (flock: released by the kernel even on SIGKILL); LockHeld when wait=False
    and another process has it. Serializes migrations, and keeps one scheduler and one ingest per database."""
    fd = os.open(f"{db_path}.{name}.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise LockHeld(os.pread(fd, 32, 0).decode(errors="replace").strip() or "?") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def _migration_lock(path: str) -> Iterator[None]:
    """Serialize schema migration across processes (first runs of several crawls at once)."""
    if path == ":memory:" or path.startswith("file:"):
        yield
        return
    with sidecar_lock(path, "migrate"):
        yield


def migrate(db: sqlite_utils.Database, path: str | os.PathLike[str] = ":memory:") -> list[str]:
    """Apply pending migrations; return the names applied. Safe to call from several processes."""
    path = str(path)
    try:
        if not MIGRATIONS.pending(db):
            return []  # up to date: no lock file, no write (works on a read-only copy)
        with _migration_lock(path):
            pending = [m.name for m in MIGRATIONS.pending(db)]
            if pending:
                MIGRATIONS.apply(db)
                logger.info("applied migrations: %s", ", ".join(pending))
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
