"""Scheduler rules with a fake crawl process (tests/fakecrawl.py) that writes its own run row."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import psutil
import pytest

from crawler.runner import wait_for
from crawler.sites import Site, parse_sites
from scheduler import TZ, RunOutcome, Scheduler, first_run_time, period_seconds, scheduler_lock
from storage.store import Store
from tests.helpers import run_rows

FAKE = Path(__file__).with_name("fakecrawl.py")
T = TypeVar("T")


def make_site(name: str, **kw: Any) -> Site:
    raw = {"name": name, "sources": [{"url": "http://127.0.0.1:9/"}], **kw}
    return parse_sites({"site": [raw]})[0]


class FakeRunner:
    """Starts tests/fakecrawl.py; each site has a list of behaviours, the last one repeats."""

    sites_path: str | None = None  # sites travel as Site objects: no config file, no watches

    def __init__(self, db: Path, plan: dict[str, list[list[str]]]) -> None:
        self.db = str(db)
        self.plan = plan
        self.starts: Counter[str] = Counter()

    def start(self, site: Site) -> subprocess.Popen[bytes]:
        steps = self.plan[site.name]
        argv = steps[min(self.starts[site.name], len(steps) - 1)]
        self.starts[site.name] += 1
        return subprocess.Popen(
            [sys.executable, str(FAKE), self.db, site.name, *argv],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def close(self) -> None:
        pass


def statuses(db: Path, site: str) -> list[str]:
    return [r["status"] for r in run_rows(db, site)]


def set_last_start(db: Path, site: str, ago: timedelta, status: str = "ok") -> None:
    with Store(db) as store:
        run_id = store.start_run(site, pid=1)
        store.finish_run(run_id, status)
        store.db.conn.execute(
            "UPDATE runs SET started_at = ? WHERE id = ?",
            ((datetime.now(UTC) - ago).isoformat(timespec="seconds"), run_id),
        )


class RunningWatch:
    """Samples the runs table in the background: the most `running` rows seen at once per site."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.most: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        conn = sqlite3.connect(self.db)
        while not self._stop.is_set():
            try:
                for site, n in conn.execute(
                    "SELECT site, count(*) FROM runs WHERE status = 'running' GROUP BY site"
                ):
                    self.most[site] = max(self.most[site], n)
            except sqlite3.OperationalError:
                pass  # table not created yet
            self._stop.wait(0.01)
        conn.close()

    def __enter__(self) -> RunningWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "news.db"


@pytest.fixture
def stop_later() -> Iterator[list[Scheduler]]:
    started: list[Scheduler] = []
    yield started
    for s in started:
        s.shutdown(grace=5)


# -- planning ---------------------------------------------------------------------------------------
def test_first_run_time_catches_up_once() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=TZ)
    every = make_site("a", every="30m")
    assert first_run_time(every, None, now) == now  # never run: now
    assert first_run_time(every, now - timedelta(hours=5), now) == now  # ten periods missed: one run now
    assert first_run_time(every, now - timedelta(minutes=10), now) == now + timedelta(minutes=20)
    nightly = make_site("b", cron="0 3 * * *")
    assert first_run_time(nightly, now - timedelta(days=3), now) == now  # missed 03:00 fire: one run now
    ran_today = datetime(2024, 5, 1, 3, 0, 5, tzinfo=TZ)
    assert first_run_time(nightly, ran_today, now) == datetime(2024, 5, 2, 3, 0, tzinfo=TZ)
    assert period_seconds(every) == 1800 and period_seconds(nightly) == 86400


def test_sites_are_queued_by_name_with_their_next_run(db: Path, stop_later: list[Scheduler]) -> None:
    sites = [make_site("a", every="30m"), make_site("b", cron="*/15 * * * *")]
    set_last_start(db, "a", timedelta(minutes=1))
    set_last_start(db, "b", timedelta(minutes=0))
    sched = Scheduler(sites, str(db), FakeRunner(db, {}))
    stop_later.append(sched)
    before = threading.active_count()  # other tests' servers may still be winding down
    sched.start()
    runs = sched.next_runs()
    assert set(runs) == {"a", "b"}
    assert all(str(when.tzinfo) == "Asia/Shanghai" for when in runs.values())
    assert runs["a"] > datetime.now(TZ) + timedelta(minutes=28)
    assert runs["b"] <= datetime.now(TZ) + timedelta(minutes=15)
    assert threading.active_count() - before <= 1  # one dispatch thread, run threads only as crawls start


def test_many_sites_one_queue_bounded_threads_and_a_spread_start(
    db: Path, stop_later: list[Scheduler]
) -> None:
    """2,000 sites all due: threads stay bounded by the crawl limit, starts follow the global rate, the
    most overdue site goes first, and shutdown writes no `skipped` row for the sites still queued."""
    names = [f"s{i:04d}" for i in range(2000)]
    set_last_start(db, "s1999", timedelta(hours=3))  # the most overdue
    runner = FakeRunner(db, {n: [["ok"]] for n in names})
    before = threading.active_count()
    sched = Scheduler([make_site(n, every="30m") for n in names], str(db), runner, max_concurrent=2, rate=5.0)
    stop_later.append(sched)
    t0 = time.monotonic()
    sched.start()
    wait_for(lambda: sum(runner.starts.values()) >= 6, what="six starts")
    assert threading.active_count() - before <= 2 + 2  # dispatcher + 2 run threads (+ slack)
    sched.shutdown(grace=30)
    elapsed = time.monotonic() - t0  # after shutdown: starts may go on until it has stopped the queue
    started = sum(runner.starts.values())
    assert started <= 5 * elapsed + 2  # the rate, not 2,000 at once
    assert next(iter(runner.starts)) == "s1999"  # the most overdue first
    assert not [r for r in run_rows(db) if r["status"] == "skipped"]


# -- run rules --------------------------------------------------------------------------------------
def test_overlap_is_skipped_never_two_running(db: Path, stop_later: list[Scheduler]) -> None:
    runner = FakeRunner(db, {"slow": [["ok", "1.2"]]})
    sched = Scheduler([make_site("slow", every="1s")], str(db), runner)
    stop_later.append(sched)
    with RunningWatch(db) as watch:
        sched.start()
        wait_for(
            lambda: statuses(db, "slow").count("ok") >= 2 and "skipped" in statuses(db, "slow"),
            what="two finished runs and a skipped one",
        )
        sched.shutdown(grace=5)
    all_rows = run_rows(db, "slow")
    skipped = [r for r in all_rows if r["status"] == "skipped"]
    assert skipped and all(r["reason"].startswith("previous run") for r in skipped)
    assert not [r for r in all_rows if r["reason"] == "OVERLAP"]
    assert watch.most["slow"] == 1


def test_killed_and_exited_crawls_are_crashed_others_continue(db: Path, stop_later: list[Scheduler]) -> None:
    runner = FakeRunner(
        db,
        {
            "killed": [["sigkill"]],
            "exits": [["exit", "0"]],
            "early": [["early", "3"]],
            "steady": [["ok"]],
        },
    )
    sites = [make_site(n, every="1s") for n in ("killed", "exits", "early", "steady")]
    sched = Scheduler(sites, str(db), runner, max_concurrent=4)
    stop_later.append(sched)
    sched.start()
    wait_for(
        lambda: (
            all(statuses(db, n).count("crashed") >= 2 for n in ("killed", "exits", "early"))
            and statuses(db, "steady").count("ok") >= 2
        ),
        what="repeated crashes while the steady site keeps running",
    )
    sched.shutdown(grace=5)
    reasons = {r["site"]: r["reason"] for r in run_rows(db) if r["status"] == "crashed"}
    assert "SIGKILL" in reasons["killed"] and "mid-run" in reasons["killed"]
    assert reasons["exits"] == "process exit code 0 mid-run"  # exit code 0, yet crashed: status is not rc
    assert reasons["early"] == "process exit code 3 before writing its run row"
    assert all(r["finished_at"] for r in run_rows(db) if r["status"] == "crashed")
    assert "running" not in {r["status"] for r in run_rows(db)}


def test_hanging_crawl_times_out_and_its_group_is_gone(db: Path) -> None:
    runner = FakeRunner(db, {"hangs": [["hang"]]})
    # the limit must outlast the fake's start (Python and storage imports: over 1 s on a loaded
    # machine), or it is stopped before it ignores SIGTERM and forks, and nothing hangs
    sched = Scheduler([make_site("hangs", timeout="4s")], str(db), runner, kill_grace=0.5)
    sched.prepare()
    outcome = sched.run_site("hangs")
    assert outcome.status == "timeout"
    (row,) = run_rows(db, "hangs")
    assert row["status"] == "timeout" and row["pid"] == outcome.pid and row["finished_at"]
    assert "SIGKILL" in row["reason"]
    grandchild = int(Path(f"{db}.hangs.grandchild").read_text())
    assert outcome.pid is not None
    wait_for(lambda: not psutil.pid_exists(grandchild), 5, "the grandchild to be gone")
    with pytest.raises(ProcessLookupError):
        os.killpg(outcome.pid, 0)


def test_start_marks_rows_of_dead_processes_crashed(db: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Store(db) as store:
        gone = store.start_run("a", pid=dead.pid)
        alive = store.start_run("b", pid=os.getpid())  # e.g. a manual `newsmon crawl` still going
    sched = Scheduler([make_site("a"), make_site("b")], str(db), FakeRunner(db, {}))
    assert sched.prepare() == [gone]
    by_id = {r["id"]: r for r in run_rows(db)}
    assert by_id[gone]["status"] == "crashed" and by_id[gone]["finished_at"]
    assert by_id[alive]["status"] == "running"
    # ...and the live run of b keeps the scheduler from starting a second one
    assert sched.run_site("b").reason == f"another crawl of this site (pid {os.getpid()}) is running"


def test_restart_after_downtime_runs_each_overdue_site_once(db: Path, stop_later: list[Scheduler]) -> None:
    set_last_start(db, "late", timedelta(hours=5))  # ten periods missed
    set_last_start(db, "fresh", timedelta(minutes=1))
    set_last_start(db, "nightly", timedelta(days=2))
    sites = [
        make_site("late", every="30m"),
        make_site("fresh", every="30m"),
        # daily, twelve hours away from now: missed since the last run two days ago, next one far off
        make_site("nightly", cron=f"0 {(datetime.now(TZ).hour + 12) % 24} * * *"),
        make_site("new", every="30m"),
    ]
    runner = FakeRunner(db, {n: [["ok"]] for n in ("late", "fresh", "nightly", "new")})
    sched = Scheduler(sites, str(db), runner)
    stop_later.append(sched)
    sched.start()
    wait_for(
        lambda: (
            all(statuses(db, n).count("ok") == 2 for n in ("late", "nightly"))
            and statuses(db, "new") == ["ok"]
        ),
        what="one catch-up run per overdue site",
    )
    wait_for(lambda: not sched.running(), what="runs to settle")
    soon = datetime.now(TZ) + timedelta(minutes=25)
    jobs = sched.next_runs()
    # no further run is due soon: the catch-up was one run, not a burst of the missed ones
    assert all(when > soon for when in jobs.values()), jobs
    assert runner.starts == Counter({"late": 1, "nightly": 1, "new": 1})
    assert statuses(db, "fresh") == ["ok"]


def test_once_runs_due_sites_then_nothing(db: Path) -> None:
    set_last_start(db, "late", timedelta(hours=2))
    set_last_start(db, "fresh", timedelta(minutes=1))
    runner = FakeRunner(db, {"late": [["ok"]], "fresh": [["ok"]], "new": [["ok"]]})
    sites = [make_site(n, every="30m") for n in ("late", "fresh", "new")]
    sched = Scheduler(sites, str(db), runner)
    outcomes = sched.run_once()
    assert sorted((o.site, o.status) for o in outcomes) == [("late", "ok"), ("new", "ok")]
    assert Scheduler(sites, str(db), runner).run_once() == []


def test_global_limit_on_concurrent_crawls(db: Path) -> None:
    names = ["s1", "s2", "s3", "s4"]
    runner = FakeRunner(db, {n: [["ok", "0.3"]] for n in names})
    sched = Scheduler([make_site(n) for n in names], str(db), runner, max_concurrent=2)
    most = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal most
        while not done.is_set():
            most = max(most, len(sched.running()))
            done.wait(0.005)

    t = threading.Thread(target=watch)
    t.start()
    outcomes = sched.run_once()
    done.set()
    t.join()
    assert [o.status for o in outcomes] == ["ok"] * 4
    assert most == 2
    starts = sorted(r["started_at"] for r in run_rows(db))
    assert len(starts) == 4


def test_shutdown_mid_crawl_commits_items(db: Path) -> None:
    runner = FakeRunner(db, {"busy": [["items", "1000", "0.02"]]})
    sched = Scheduler([make_site("busy")], str(db), runner)
    sched.start()
    with Store(db, migrate_schema=False) as store:
        wait_for(lambda: store.db["articles"].count >= 6, what="some committed items")
    # a crawl that honours SIGTERM stops long before the grace runs out; the generous grace only keeps
    # a loaded CI machine (once: a 5 s grace ran out) from turning slowness into a false failure
    assert sched.shutdown(grace=30) == []  # nothing needed SIGKILL
    (row,) = run_rows(db, "busy")
    assert row["status"] == "failed" and row["reason"].startswith("shutdown")
    import json

    scraped = json.loads(row["stats"])["item_scraped_count"]
    with Store(db, migrate_schema=False) as store:
        assert store.db["articles"].count == scraped == row["new_items"]


def test_shutdown_kills_crawls_that_ignore_sigterm(db: Path) -> None:
    runner = FakeRunner(db, {"hangs": [["hang"]]})
    sched = Scheduler([make_site("hangs")], str(db), runner, kill_grace=0.5)
    sched.start()
    wait_for(lambda: statuses(db, "hangs") == ["running"], what="the crawl to start")
    assert sched.shutdown(grace=0.5) == ["hangs"]
    (row,) = run_rows(db, "hangs")
    assert (
        row["status"] == "failed" and row["reason"] == "shutdown: killed by SIGKILL before finishing its run"
    )


def test_waiting_runs_are_skipped_at_shutdown(db: Path) -> None:
    runner = FakeRunner(db, {"a": [["ok", "30"]], "b": [["ok"]]})
    sched = Scheduler([make_site("a"), make_site("b")], str(db), runner, max_concurrent=1)
    sched.prepare()
    results: list[RunOutcome] = []
    ta = threading.Thread(target=lambda: results.append(sched.run_site("a")))
    ta.start()
    wait_for(lambda: sched.running(), what="a to start")
    tb = threading.Thread(target=lambda: results.append(sched.run_site("b")))
    tb.start()
    wait_for(lambda: "b" in sched._waiting, what="b to wait for a slot")
    sched.shutdown(grace=5)
    ta.join()
    tb.join()
    assert {(o.site, o.status) for o in results} == {("a", "failed"), ("b", "skipped")}
    assert runner.starts == Counter({"a": 1})


def test_scheduler_lock_is_exclusive(db: Path) -> None:
    from scheduler import SchedulerBusy

    with scheduler_lock(str(db)), pytest.raises(SchedulerBusy, match=str(os.getpid())):  # noqa: SIM117
        with scheduler_lock(str(db)):
            pass


def test_sigterm_to_scheduler_process_exits_within_grace(db: Path, tmp_path: Path) -> None:
    """The real signal path (serve): SIGTERM → forwarded to the crawl → exit 0 within the grace period."""
    script = tmp_path / "serve.py"
    script.write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(FAKE.parent.parent)!r}, {str(FAKE.parent)!r}]\n"
        "from test_scheduler import FakeRunner, make_site\n"
        "from pathlib import Path\n"
        "from scheduler import Scheduler\n"
        f"db = Path({str(db)!r})\n"
        "runner = FakeRunner(db, {'busy': [['items', '1000', '0.02']]})\n"
        "Scheduler([make_site('busy')], str(db), runner, shutdown_grace=30).serve()\n"
    )
    proc = subprocess.Popen([sys.executable, str(script)])
    try:
        wait_for(
            lambda: db.exists() and any(r["new_items"] is None for r in run_rows(db, "busy")), what="a crawl"
        )
        with Store(db, migrate_schema=False) as store:
            wait_for(lambda: store.db["articles"].count >= 3, what="committed items")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0  # within the grace: the crawl was not SIGKILLed
    finally:
        proc.kill()
    (row,) = run_rows(db, "busy")
    assert row["reason"].startswith("shutdown")
    import json

    with Store(db, migrate_schema=False) as store:
        assert store.db["articles"].count == json.loads(row["stats"])["item_scraped_count"]


def test_scheduler_never_imports_scrapy() -> None:
    code = "import sys, scheduler, crawler.commands.schedule; sys.exit('scrapy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=FAKE.parent.parent).returncode == 0
