"""How a scheduled run ended: its process waited for within its time limit (SIGTERM, then SIGKILL to its
group), then its run row made to tell the truth. Imports no Scrapy (the scheduler uses it)."""

from __future__ import annotations

import logging
import signal
import subprocess
from dataclasses import dataclass
from datetime import datetime

from crawler.runner import describe_exit, signal_group
from storage.store import Store
from storage.store_time import iso_utc

logger = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """How one scheduled run ended, as recorded in the database."""

    site: str
    status: str
    reason: str
    run_id: int | None = None
    pid: int | None = None
    seconds: float = 0.0


def wait_within(
    name: str, proc: subprocess.Popen[bytes], limit: float, kill_grace: float
) -> tuple[int, bool]:
    """(return code, timed out) of a crawl process given `limit` seconds, then SIGTERM and `kill_grace`
    seconds, then SIGKILL; whatever it left in its process group is killed with it."""
    timed_out = False
    try:
        returncode = proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        logger.warning("%s: run exceeded its %.0fs limit; sending SIGTERM", name, limit)
        signal_group(proc.pid, signal.SIGTERM)
        try:
            returncode = proc.wait(timeout=kill_grace)
        except subprocess.TimeoutExpired:
            logger.warning("%s: still running %.0fs after SIGTERM; sending SIGKILL", name, kill_grace)
            signal_group(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
    # whatever the crawl left in its group (helpers, hung children) goes with it
    signal_group(proc.pid, signal.SIGKILL)
    return returncode, timed_out


def settle_run(
    store: Store,
    name: str,
    pid: int,
    started: datetime,
    returncode: int,
    *,
    timed_out: bool,
    limit: float,
    stopping: bool,
) -> RunOutcome:
    """Make the run row of a process that is gone tell the truth: the crawl's own verdict when it wrote
    one, else `timeout`, `failed` (stopped by a scheduler shutdown) or `crashed`."""
    how = describe_exit(returncode)
    row = store.run_of_process(name, pid, iso_utc(started))
    if timed_out:
        status = "timeout"
        reason = f"timeout: still running after {limit:.0f}s; stopped ({how})"
        if row is not None and row["status"] != "running" and row["reason"]:
            reason += f"; crawl said: {row['reason']}"
    elif row is not None and row["status"] != "running":
        return RunOutcome(name, row["status"], row["reason"] or "", row["id"], pid)
    elif stopping:
        status, reason = "failed", f"shutdown: {how} before finishing its run"
    else:
        status = "crashed"
        reason = f"process {how} " + ("before writing its run row" if row is None else "mid-run")
    if row is None:
        run_id = store.record_ended_run(name, pid, iso_utc(started), status, reason)
    else:
        run_id = row["id"]
        store.mark_run(run_id, status, reason)
    return RunOutcome(name, status, reason, run_id, pid)
