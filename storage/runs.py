"""Run records as the CLI reads them: a run by id, a site's latest run, the stats of runs since a time,
the runs crawl processes wrote, and the site configurations recorded with them."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from storage.connection import sqlite_uri
from storage.store import run_of_process

REPORT_TIMEOUT = 30  # seconds a crawl's report waits for a busy database


def run_row(db: sqlite_utils.Database, run_id: int) -> dict[str, Any]:
    """One run's row, every column."""
    return dict(db.table("runs").get(run_id))


def latest_run(conn: sqlite3.Connection, site: str) -> tuple[str, str | None, int | None, int | None] | None:
    """(status, reason, links found, failures) of a site's latest run; None when it has none."""
    return conn.execute(
        "SELECT status, reason, links_found, failures FROM runs WHERE site = ? ORDER BY id DESC LIMIT 1",
        (site,),
    ).fetchone()


def run_stats_since(conn: sqlite3.Connection, since: str) -> list[dict[str, Any]]:
    """The stats (decoded JSON) of every run started at or after `since` (ISO UTC)."""
    rows = conn.execute("SELECT stats FROM runs WHERE started_at >= ?", (since,))
    return [json.loads(r[0] or "{}") for r in rows]


def recorded_site_configs(conn: sqlite3.Connection) -> list[tuple[str, str | None]]:
    """(name, configuration JSON) of every site recorded in the database, by name."""
    return [(r[0], r[1]) for r in conn.execute("SELECT name, config FROM sites ORDER BY name")]


def runs_of_processes(
    db_path: str, processes: Sequence[tuple[str, int, str]], columns: Sequence[str]
) -> list[dict[str, Any] | None]:
    """For each (site, pid, started at) the run row that process wrote, or None; all None when the file
    is gone. A plain read-only connection: a full or read-only database still reports."""
    if not os.path.exists(db_path):
        return [None] * len(processes)
    conn = sqlite3.connect(sqlite_uri(db_path, mode="ro"), uri=True, timeout=REPORT_TIMEOUT)
    try:
        return [run_of_process(conn, site, pid, since, columns) for site, pid, since in processes]
    finally:
        conn.close()
