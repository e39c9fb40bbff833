"""The run ledger in SQLite: run rows (started, finished, skipped, marked crashed or timed out; the
RunWrites mixin of storage.store.Store) and run records as the scheduler and the CLI read them (a run by
id, a site's latest run, the stats of runs since a time, the runs crawl processes wrote, and the site
configurations recorded with them)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import sqlite_utils

from storage.connection import sqlite_uri
from storage.store_time import iso_utc

REPORT_TIMEOUT = 30  # seconds a crawl's report waits for a busy database
RUN_STATUSES = ("running", "ok", "failed", "crashed", "timeout", "skipped", "blocked")
RUN_COLUMNS = frozenset(
    "id site pid host started_at finished_at status reason pages list_pages links_found new_items "  # noqa: SIM905
    "duplicate_items updated_items failures stats".split()
)
BAD_STATUSES = ("failed", "crashed", "timeout", "blocked")  # a run that did not do its job


def run_of_process(
    conn: sqlite3.Connection,
    site: str,
    pid: int,
    since: str,
    columns: Sequence[str] = ("id", "status", "reason"),
) -> dict[str, Any] | None:
    """The latest run row written by process `pid` of this host for `site` at or after `since` (ISO UTC).

    Host and start time matter: a reused pid must not pick up an older run's row. Works on a read-only
    connection too (`newsmon crawl` reads its runs that way, so a full or read-only database still reports).
    """
    unknown = set(columns) - RUN_COLUMNS
    if unknown:
        raise ValueError(f"not run columns: {sorted(unknown)}")
    row = conn.execute(
        f"SELECT {', '.join(columns)} FROM runs WHERE site = ? AND pid = ? AND host = ? AND started_at >= ? "
        "ORDER BY id DESC LIMIT 1",
        (site, pid, socket.gethostname(), since),
    ).fetchone()
    return None if row is None else dict(zip(columns, row, strict=True))


class RunWrites:
    """Run rows of the Store (mixed in: uses its `db` and `_write()`)."""

    db: Any

    def _write(self) -> Any:  # provided by Store
        raise NotImplementedError

    # -- a run's own row --------------------------------------------------------------------------------
    def start_run(self, site: str, pid: int | None = None) -> int:
        """Insert a `running` run row and return its id."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (site, pid, host, started_at, status) VALUES (?, ?, ?, ?, 'running')",
                (site, pid if pid is not None else os.getpid(), socket.gethostname(), iso_utc()),
            )
            return int(cur.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        reason: str | None = None,
        counts: Mapping[str, int] | None = None,
        stats: Mapping[str, Any] | None = None,
    ) -> None:
        """Close a run with its status, reason, counters and Scrapy stats."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        counts = dict(counts or {})
        values: dict[str, Any] = {
            "finished_at": iso_utc(),
            "status": status,
            "reason": reason,
            "stats": json.dumps(stats or {}, ensure_ascii=False, default=str, sort_keys=True),
        }
        for key in ("pages", "list_pages", "links_found", "new_items", "duplicate_items", "updated_items"):
            values[key] = int(counts.get(key, 0))
        with self._write() as conn:
            failures = conn.execute("SELECT count(*) FROM failures WHERE run_id = ?", (run_id,)).fetchone()[0]
            values["failures"] = failures
            cols = ", ".join(f"{k} = ?" for k in values)
            conn.execute(f"UPDATE runs SET {cols} WHERE id = ?", (*values.values(), run_id))

    def record_skipped_run(self, site: str, reason: str, pid: int | None = None) -> int:
        """Record a run that was not started (previous run still going, limit reached)."""
        return self.record_ended_run(site, pid, iso_utc(), "skipped", reason)

    def start_marked_run(self, site: str, marker: str, pid: int | None, host: str) -> int:
        """The run row whose reason is `marker` (a cluster run's token), inserted `running` if there is none:
        found and inserted in one transaction, so a replayed start never makes two rows of one run."""
        with self._write() as conn:
            row = conn.execute("SELECT id FROM runs WHERE reason = ? AND site = ?", (marker, site)).fetchone()
            if row is not None:
                return int(row[0])
            cur = conn.execute(
                "INSERT INTO runs (site, pid, host, started_at, status, reason) VALUES (?, ?, ?, ?, 'running', ?)",
                (site, pid, host, iso_utc(), marker),
            )
            return int(cur.lastrowid or 0)

    def run_status(self, run_id: int) -> str | None:
        """A run row's status (None: no such row)."""
        row = self.db.conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else str(row[0])

    # -- bookkeeping (scheduler.py, `newsmon runs/health`) -------------------------------------------
    def runs_in_progress(self) -> list[dict[str, Any]]:
        """Rows still marked `running`: id, site, pid, host, started_at."""
        cur = self.db.conn.execute(
            "SELECT id, site, pid, host, started_at FROM runs WHERE status = 'running' ORDER BY id"
        )
        return [dict(zip(("id", "site", "pid", "host", "started_at"), r, strict=True)) for r in cur]

    def last_run_starts(self) -> dict[str, str]:
        """Per site, the start time of its latest run that was actually started (skipped runs excluded)."""
        cur = self.db.conn.execute(
            "SELECT site, max(started_at) FROM runs WHERE status != 'skipped' GROUP BY site"
        )
        return {site: started for site, started in cur if started}

    def run_of_process(self, site: str, pid: int, since: str) -> dict[str, Any] | None:
        """The latest run row written by process `pid` for `site` at or after `since` (ISO UTC)."""
        return run_of_process(self.db.conn, site, pid, since)

    def mark_run(self, run_id: int, status: str, reason: str) -> None:
        """Overrule a run's status (crashed, timeout), keeping its counters; set finished_at if missing."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, reason = ?, finished_at = coalesce(finished_at, ?), "
                "failures = coalesce(failures, (SELECT count(*) FROM failures WHERE run_id = ?)) WHERE id = ?",
                (status, reason, iso_utc(), run_id, run_id),
            )

    def record_ended_run(self, site: str, pid: int | None, started_at: str, status: str, reason: str) -> int:
        """Insert a finished row for a crawl process that died before writing its own."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (site, pid, host, started_at, finished_at, status, reason, failures) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (site, pid, socket.gethostname(), started_at, iso_utc(), status, reason),
            )
            return int(cur.lastrowid or 0)

    def recent_runs(
        self, sites: Sequence[str] = (), statuses: Sequence[str] = (), limit: int = 20
    ) -> list[dict[str, Any]]:
        """Latest runs first (without the stats JSON), optionally only some sites and statuses."""
        where: list[str] = []
        params: list[Any] = []
        if sites:
            where.append(f"site IN ({','.join('?' * len(sites))})")
            params.extend(sites)
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        sql = (
            "SELECT id, site, pid, host, started_at, finished_at, status, reason, pages, new_items, "
            "duplicate_items, updated_items, failures FROM runs"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY id DESC LIMIT ?"
        )
        cur = self.db.conn.execute(sql, (*params, limit))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


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
