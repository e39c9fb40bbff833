"""Datasette's database object for a newsmon file, opened through a quoted `file:` URI.

Datasette 0.65 builds `file:{path}?mode=ro` from the bare path, so a name holding '%41', '?' or '#' opens
another file or fails; this subclass differs only in quoting the path (storage.connection.sqlite_uri).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette.database import Database

from storage.connection import sqlite_uri

# Largest string or blob one query may make: a stored body is at most a few MB (pages are capped at 10 MB);
# without it `select randomblob(3e8)` builds 300 MB in one step that the time limit cannot interrupt.
VALUE_BYTES_MAX = 32 * 1024 * 1024


class QuotedPathDatabase(Database):
    """A mutable, read-only datasette Database whose file name is never parsed as a URI."""

    def connect(self, write: bool = False) -> sqlite3.Connection:
        """A read-only connection (a write one only when datasette itself asks for it)."""
        if self.is_memory or self.memory_name:
            return super().connect(write)
        params: dict[str, Any] = {} if write else {"mode": "ro"}
        if not write and self.ds.nolock:
            params["nolock"] = "1"
        conn = sqlite3.connect(sqlite_uri(self.path, **params), uri=True, check_same_thread=False)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_BYTES_MAX)
        self._all_file_connections.append(conn)
        return conn
