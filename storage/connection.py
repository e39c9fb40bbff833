"""SQLite connections (layer 1 of storage/): WAL, busy timeout, errors explained, immediate write
transactions with their before-commit work, side locks. Imports nothing of newsmon's.

Layers above add to a connection what they need without this module knowing them: `connect(setup=...)`
runs their setup on the new connection (full-text registers its SQL functions and, as before-commit work,
its queue flush; storage/search.py), and `write_transaction` runs the connection's `before_commit` list
just before COMMIT.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import sqlite_utils

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 60_000


class Connection(sqlite3.Connection):
    """A sqlite3 connection that carries the work to run just before each write transaction commits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_commit: list[Callable[[sqlite3.Connection], object]] = []
        # (path, {file: (st_dev, st_ino)}) of the database and its -wal as opened; None: nothing to check
        self.identity: tuple[str, dict[str, tuple[int, int] | None]] | None = None
        self.detached: StorageError | None = None  # set once the file was found replaced: no more writes


def add_before_commit(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], object]) -> None:
    """Run `work(conn)` inside every write transaction of conn, just before COMMIT (once per work)."""
    if not isinstance(conn, Connection):
        raise TypeError("before-commit work needs a connection made by storage.connection.connect()")
    if work not in conn.before_commit:
        conn.before_commit.append(work)


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


def sqlite_uri(path: str | os.PathLike[str], **params: str) -> str:
    """A `file:` URI for a path, quoted, so '%41', '?' and '#' in a file name stay part of the name."""
    uri = "file:" + quote(os.path.abspath(os.fspath(path)), safe="/")
    return uri + ("?" + urlencode(params) if params else "")


def connect(
    path: str | os.PathLike[str],
    *,
    readonly: bool = False,
    setup: Sequence[Callable[[sqlite3.Connection], None]] = (),
) -> sqlite_utils.Database:
    """Open a database with WAL, a busy timeout and autocommit, so writes use explicit transactions;
    `setup` functions (SQL functions, before-commit work of the layers above) run on the new connection."""
    path = str(path)
    try:
        # always a quoted URI, never the bare name (which an SQLite built with URI names would parse)
        params = {"mode": "ro"} if readonly else {}
        target = ":memory:" if path == ":memory:" else sqlite_uri(path, **params)
        conn = sqlite3.connect(
            target, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, factory=Connection
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                logger.warning("%s: journal_mode is %s, not WAL", path, mode)
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a corrupt file fails here, explained
        if not readonly and path != ":memory:":
            conn.identity = (os.path.abspath(path), _file_ids(path))
        for fn in setup:
            fn(conn)
    except sqlite3.Error as exc:
        raise explain(exc, path) from exc
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock up front so a read-then-write never fails busy."""
    conn = db.conn
    _check_identity(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        _check_identity(conn)  # the write lock is ours: nothing can swap a file we then commit into unseen
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        # e.g. articles written in this transaction enter the full-text index in one statement
        try:
            for work in conn.before_commit if isinstance(conn, Connection) else ():
                work(conn)
            _check_identity(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


DETACHED = "database file was replaced or deleted under the crawl"


def detached_copy_path(path: str | os.PathLike[str], pid: int) -> str:
    """Where process pid keeps what it had committed when it found its database file replaced/deleted."""
    return f"{os.path.abspath(os.fspath(path))}.detached-{pid}.db"


def _file_ids(path: str) -> dict[str, tuple[int, int] | None]:
    """(st_dev, st_ino) of the database file and its -wal now (None for one that does not exist)."""
    ids: dict[str, tuple[int, int] | None] = {}
    for name in (path, path + "-wal"):
        try:
            st = os.stat(name)
            ids[name] = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            ids[name] = None
    return ids


def _check_identity(conn: sqlite3.Connection) -> None:
    """StorageError when the database file (or its -wal) under this connection is no longer the one it
    opened: moved over by a backup, or deleted. Writing on would go to a file nobody will read again, and
    a reader of the new file would take this connection's WAL for its own (mixing two databases' pages).
    So the first time: keep what this connection committed in a copy beside it, fold the WAL into the old
    file and empty it (the new file is left exactly as it was put there), and refuse every later write."""
    if not isinstance(conn, Connection) or conn.identity is None:
        return
    if conn.detached is not None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise conn.detached
    path, opened = conn.identity
    now = _file_ids(path)
    # a -wal that did not exist at open may appear; one that existed must still be the same file
    changed = [n for n, ident in opened.items() if (ident is not None or n == path) and now[n] != ident]
    if not changed:
        return
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    what = ", ".join(f"{n} {'deleted' if now[n] is None else 'replaced'}" for n in changed)
    kept = _keep_detached_copy(conn, path)
    conn.detached = StorageError(
        f"{DETACHED}: {what}; nothing more is written to it"
        + (f"; what this process had committed is kept in {kept}" if kept else "")
    )
    logger.error("%s", conn.detached)
    raise conn.detached


def _keep_detached_copy(conn: sqlite3.Connection, path: str) -> str | None:
    """Copy the database as this connection sees it (old file + WAL) to `<path>.detached-<pid>.db`,
    then checkpoint and truncate the WAL into the old file (best effort; the path of the copy or None)."""
    copy = detached_copy_path(path, os.getpid())
    kept: str | None = copy
    try:
        target = sqlite3.connect(copy)
        try:
            conn.backup(target)
        finally:
            target.close()
    except (sqlite3.Error, OSError) as exc:
        logger.error("could not copy the detached database to %s: %s", kept, exc)
        kept = None
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return kept


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


def hold_key_lock(db_path: str | os.PathLike[str], group: str, key: str) -> int:
    """Lock one byte of `<db>.<group>.lock` chosen by key (POSIX record lock: released when the process
    ends, even by SIGKILL) and return the descriptor that holds it (close it to release); LockHeld when
    another process holds that key. One file for all keys, so 15,000 sites do not make 15,000 files."""
    fd = os.open(f"{db_path}.{group}.lock", os.O_CREAT | os.O_RDWR, 0o644)
    offset = zlib.crc32(key.encode("utf-8"))
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
    except OSError as exc:
        os.close(fd)
        raise LockHeld("?") from exc
    return fd
