"""Background crawling: one queue of due sites, each run a separate crawl process (crawler/runtime.py).

Rules (DESIGN.md §7, §11): one entry per site in a queue ordered by due time (crawler/duequeue.py) and
one dispatch thread (crawler/dispatch.py), so threads are bounded by the crawl limit, not by the number
of sites; a global rate (by default the fleet's steady rate, the sum of 1/interval) spreads the starts
over the interval instead of starting every due site at once; at most one run per site (a run longer
than the site's interval is recorded once as `skipped` and its overlapped start is not made up); a
global limit on concurrent crawls; a per-run time limit (SIGTERM, then SIGKILL to the process group,
status `timeout`). The crawl writes its own run row; the scheduler only overrules it when the process
died (`crashed`) or was stopped for running too long (`timeout`). The first run time of each site comes
from the database, so a restart after downtime runs each overdue site once, the most overdue first.
This module never imports Scrapy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor as _Pool
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crawler.cadence import TZ, due_after, first_run_time, next_on_grid, period_seconds
from crawler.dispatch import Dispatcher
from crawler.duequeue import DueQueue, steady_rate
from crawler.run_verdict import RunOutcome, settle_run, wait_within
from crawler.runner import Runner, process_alive, reap_dead_runs, signal_group
from crawler.sites import Site
from storage.db import LockHeld, StorageError, open_db, sidecar_lock
from storage.store import Store
from storage.store_time import iso_utc

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 3600.0  # per run, unless the site sets `timeout`
DEFAULT_KILL_GRACE = 10.0  # SIGTERM → SIGKILL when a run exceeds its time limit
DEFAULT_SHUTDOWN_GRACE = 45.0  # SIGTERM to the scheduler: how long running crawls get to finish


@dataclass
class _Active:
    proc: subprocess.Popen[bytes]
    started: datetime


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SchedulerBusy(RuntimeError):
    """Another scheduler already holds the lock on this database."""


@contextlib.contextmanager
def scheduler_lock(db_path: str) -> Iterator[None]:
    """Hold `<db>.scheduler.lock` so only one scheduler starts crawls for a database."""
    try:
        with sidecar_lock(db_path, "scheduler", wait=False):
            yield
    except LockHeld as exc:
        raise SchedulerBusy(f"another scheduler (pid {exc.holder}) is running for {db_path}") from exc


class Scheduler:
    """Runs configured sites on their schedules as crawl subprocesses and keeps every run on record."""

    def __init__(
        self,
        sites: Sequence[Site],
        db_path: str,
        runner: Runner,
        *,
        max_concurrent: int | None = None,
        default_timeout: float = DEFAULT_TIMEOUT,
        kill_grace: float = DEFAULT_KILL_GRACE,
        shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE,
        rate: float | None = None,
    ) -> None:
        self.sites = {s.name: s for s in sites if s.enabled}
        self.db_path = str(db_path)
        self.runner = runner
        self.max_concurrent = max_concurrent or os.cpu_count() or 2
        self.default_timeout = default_timeout
        self.kill_grace = kill_grace
        self.shutdown_grace = shutdown_grace
        self._cond = threading.Condition()
        self._active: dict[str, _Active] = {}
        self._waiting: set[str] = set()  # due, waiting for a free crawl slot
        self._slots: set[str] = set()  # holding a crawl slot (starting or running)
        self._stopping = threading.Event()
        self._force = threading.Event()
        self._signals = 0
        self.rate = rate  # sites started per second at most (None: the fleet's steady rate)
        self._dispatcher: Dispatcher | None = None

    # -- database ----------------------------------------------------------------------------------
    def _store(self) -> Store:
        # one short-lived connection per use: jobs run on many threads, sqlite3 connections do not travel
        return Store(self.db_path, migrate_schema=False)

    def prepare(self) -> list[int]:
        """Create/migrate the schema once, record the sites, mark runs left by dead processes `crashed`."""
        open_db(self.db_path).conn.close()
        with self._store() as store:
            store.upsert_sites(
                {
                    "name": s.name,
                    "title": s.title,
                    "region": s.region,
                    "level": s.level,
                    "config_hash": s.config_hash,
                    "config": dict(s.raw),
                }
                for s in self.sites.values()
            )
            crashed = reap_dead_runs(store)
        return crashed

    def plan(self, now: datetime | None = None) -> dict[str, datetime]:
        """Each site's next run time from its last start in the database (overdue sites: now, once)."""
        now = now or datetime.now(TZ)
        with self._store() as store:
            last = store.last_run_starts()
        return {
            name: first_run_time(site, _parse_time(last[name]) if name in last else None, now)
            for name, site in self.sites.items()
        }

    # -- one run -----------------------------------------------------------------------------------
    def run_site(self, name: str) -> RunOutcome:
        """Run one crawl of a site now (waiting for a free slot) and return how it was recorded."""
        site = self.sites[name]
        busy: str | None = None
        with self._cond:
            if name in self._slots or name in self._waiting:
                busy = self._busy_reason(name)
            else:
                self._waiting.add(name)
                while len(self._slots) >= self.max_concurrent and not self._stopping.is_set():
                    self._cond.wait()
                self._waiting.discard(name)
                if self._stopping.is_set():
                    busy = "scheduler shutting down"
                else:
                    self._slots.add(name)
        if busy is not None:
            return self._skip(name, busy)
        try:
            other = self._live_run_elsewhere(name)
            started = datetime.now(UTC).replace(microsecond=0)
            with self._cond:
                # checked under the lock shutdown() takes to snapshot the crawls: none starts after it
                if self._stopping.is_set():
                    other = other or "scheduler shutting down"
                if other is None:
                    try:
                        proc = self.runner.start(site)
                    except OSError as exc:
                        other = f"cannot start: {exc}"
                    else:
                        self._active[name] = _Active(proc, started)
            if other is not None and other.startswith("cannot start"):
                logger.error("%s: %s", name, other)
                with self._store() as store:
                    run_id = store.record_ended_run(name, None, iso_utc(started), "failed", other)
                return RunOutcome(name, "failed", other, run_id)
            if other is not None:
                return self._skip(name, other)
            return self._watch(name, site, proc, started)
        finally:
            with self._cond:
                self._slots.discard(name)
                self._active.pop(name, None)
                self._cond.notify_all()

    def _watch(self, name: str, site: Site, proc: subprocess.Popen[bytes], started: datetime) -> RunOutcome:
        limit = float(site.timeout or self.default_timeout)
        t0 = time.monotonic()
        returncode, timed_out = wait_within(name, proc, limit, self.kill_grace)
        seconds = time.monotonic() - t0
        try:
            with self._store() as store:
                outcome = settle_run(
                    store,
                    name,
                    proc.pid,
                    started,
                    returncode,
                    timed_out=timed_out,
                    limit=limit,
                    stopping=self._stopping.is_set(),
                )
        except StorageError as exc:
            logger.error("%s: could not record how run of pid %s ended: %s", name, proc.pid, exc)
            outcome = RunOutcome(name, "unknown", str(exc), None, proc.pid)
        outcome.seconds = seconds
        if outcome.status in ("crashed", "timeout", "unknown"):
            self._after_run(name)  # the crawl did not get to evaluate watches itself
        logger.info(
            "%s: run %s %s (%s) in %.1fs", name, outcome.run_id, outcome.status, outcome.reason, seconds
        )
        return outcome

    def _after_run(self, name: str) -> None:
        """Keyword watches after a crawl that died: evaluate what it left, send alerts still pending."""
        if self._stopping.is_set():
            return
        try:
            from crawler.watchconfig import run_watches

            with self._store() as store:
                run_watches(store.db, self.runner.sites_path, notify=True, budget_seconds=20.0)
        except Exception:  # alerts must never stop the scheduling of crawls
            logger.exception("%s: keyword watches after the run failed", name)

    def _skip(self, name: str, reason: str) -> RunOutcome:
        logger.warning("%s: run skipped: %s", name, reason)
        try:
            with self._store() as store:
                run_id = store.record_skipped_run(name, reason)
        except StorageError as exc:
            logger.error("%s: could not record a skipped run: %s", name, exc)
            run_id = None
        return RunOutcome(name, "skipped", reason, run_id)

    def _busy_reason(self, name: str) -> str:
        active = self._active.get(name)
        if active is not None:
            return f"previous run (pid {active.proc.pid}) still running"
        if name in self._slots:
            return "previous run still starting"
        return f"previous run still waiting for a free crawl slot ({self.max_concurrent} in use)"

    def _live_run_elsewhere(self, name: str) -> str | None:
        """A run of this site by another process (e.g. a manual `newsmon crawl`) that is still alive."""
        host = socket.gethostname()
        with self._store() as store:
            for row in store.runs_in_progress():
                if (
                    row["site"] == name
                    and row["host"] == host
                    and process_alive(row["pid"], row["started_at"])
                ):
                    return f"another crawl of this site (pid {row['pid']}) is running"
        return None

    # -- scheduling --------------------------------------------------------------------------------
    def start(self, now: datetime | None = None) -> Dispatcher:
        """Prepare the database, queue every site by its due time and start dispatching (returns at once)."""
        self.prepare()
        now = now or datetime.now(TZ)
        with self._store() as store:
            last = store.last_run_starts()
        due = {}
        for name, site in self.sites.items():
            # overdue sites keep their missed time as their place in the queue: most overdue first, once
            when = due_after(site, _parse_time(last[name])) if name in last else now
            due[name] = (when or now).timestamp()
        rate = self.rate or steady_rate(period_seconds(s) for s in self.sites.values())
        queue = DueQueue(rate, now.timestamp())
        queue.push_all(due)
        self._dispatcher = Dispatcher(queue, self._run_scheduled, self.max_concurrent).start()
        waiting = sum(when <= now.timestamp() for when in due.values())
        logger.info(
            "scheduled %d site(s), %d due now; starting at most %.2f per second", len(due), waiting, rate
        )
        return self._dispatcher

    def next_runs(self) -> dict[str, datetime]:
        """Each queued site's next run time (a site running now is not queued)."""
        queued = self._dispatcher.next_runs() if self._dispatcher else {}
        return {name: datetime.fromtimestamp(ts, TZ) for name, ts in queued.items()}

    def _run_scheduled(self, name: str) -> float | None:
        """One dispatched run; returns the site's next due time. A run longer than the site's interval
        is recorded once as `skipped` (its overlapped start is not made up) and the rhythm goes on."""
        if self._stopping.is_set():
            return None  # released just as the scheduler stops: nothing to start, nothing to record
        site = self.sites[name]
        started = datetime.now(TZ)
        self.run_site(name)
        now = datetime.now(TZ)
        nxt = due_after(site, started)
        if nxt is not None and nxt <= now and not self._stopping.is_set():
            took = (now - started).total_seconds()
            self._skip(name, f"previous run still running at its next start time (it took {took:.0f}s)")
            nxt = next_on_grid(site, started, now)
        return None if nxt is None else nxt.timestamp()

    def running(self) -> dict[str, int]:
        """Sites with a crawl in progress and its pid."""
        with self._cond:
            return {name: a.proc.pid for name, a in self._active.items()}

    def shutdown(self, grace: float | None = None) -> list[str]:
        """Stop starting runs, SIGTERM running crawls, wait up to grace seconds, SIGKILL the rest."""
        grace = self.shutdown_grace if grace is None else grace
        with self._cond:
            self._stopping.set()
            self._cond.notify_all()
            procs = {name: a.proc for name, a in self._active.items()}
        if self._dispatcher is not None:
            self._dispatcher.stop()
        for name, proc in procs.items():
            logger.info("%s: forwarding SIGTERM to crawl pid %s", name, proc.pid)
            signal_group(proc.pid, signal.SIGTERM)
        left = self._wait_idle(grace)
        for name, pid in left.items():
            logger.warning("%s: crawl pid %s still running after %.0fs; sending SIGKILL", name, pid, grace)
            signal_group(pid, signal.SIGKILL)
        if left:
            self._wait_idle(max(self.kill_grace, 5.0), forceable=False)
        return sorted(left)

    def _wait_idle(self, seconds: float, forceable: bool = True) -> dict[str, int]:
        """Wait until no run is active (rows settled); return the sites (and pids) still active at the end."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while self._active:
                left = deadline - time.monotonic()
                if left <= 0 or (forceable and self._force.is_set()):
                    break
                # short slices: a second signal (force) must be noticed without notifying from a handler
                self._cond.wait(min(left, 0.2))
            return {name: a.proc.pid for name, a in self._active.items()}

    def run_once(self, now: datetime | None = None) -> list[RunOutcome]:
        """Run every due site once (at most max_concurrent at a time), wait for all, return the outcomes."""
        self.prepare()
        now = now or datetime.now(TZ)
        due = [name for name, when in self.plan(now).items() if when <= now]
        if not due:
            return []
        # threads bounded by the crawl limit (run_site would only wait for a slot), not by the due sites
        with _Pool(max_workers=min(len(due), self.max_concurrent), thread_name_prefix="newsmon-run") as pool:
            futures = [pool.submit(self.run_site, name) for name in due]
            return [f.result() for f in futures]

    # -- foreground service ------------------------------------------------------------------------
    def serve(self, once: bool = False) -> list[RunOutcome]:
        """Run in the foreground until SIGTERM/SIGINT (or, with once, until due runs end); the runs it saw."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        outcomes: list[RunOutcome] = []
        try:
            if once:
                with _Pool(max_workers=1, thread_name_prefix="newsmon-once") as pool:
                    future = pool.submit(self.run_once)
                    while not future.done() and not self._signals:
                        time.sleep(0.2)  # signal handlers run in this (main) thread between sleeps
                    if self._signals:
                        self.shutdown()
                    outcomes = future.result()
            else:
                self.start()
                while not self._signals:
                    time.sleep(0.5)
                self.shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.runner.close()  # a warm worker exits once its runs have ended
        return outcomes

    def _on_signal(self, signum: int, frame: Any) -> None:
        # only set flags here: the main thread may hold locks the handler would need
        self._signals += 1
        if self._signals == 1:
            logger.warning(
                "received %s: stopping (send again to kill running crawls)", signal.Signals(signum).name
            )
        else:
            self._force.set()
