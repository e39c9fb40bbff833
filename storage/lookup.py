"""Name checks for command-line filters: which sites a database knows (configured, crawled or run)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def known_sites(conn: sqlite3.Connection) -> set[str]:
    """Every site name the database has seen: recorded sites, sites with runs and sites with articles."""
    rows = conn.execute(
        "SELECT name FROM sites UNION SELECT DISTINCT site FROM runs UNION SELECT DISTINCT site FROM articles"
    ).fetchall()
    return {r[0] for r in rows if r[0]}


def unknown_sites(conn: sqlite3.Connection, names: Iterable[str]) -> list[str]:
    """The given names that are no site of this database, in the order given."""
    known = known_sites(conn)
    return [n for n in names if n not in known]
