"""Run crawls as `scrapy crawl` subprocesses (one process per site run). Imports no Scrapy."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

import psutil

from crawler.sites import Site
from storage.store import Store

logger = logging.getLogger(__name__)

PROJECT_SETTINGS = "crawler.settings"


@dataclass
class CrawlJob:
    """What one crawl subprocess should do."""

    site: Site
    db_path: str
    sites_path: str | None = None  # None: the site travels as JSON
    settings: Mapping[str, str | int | float] = field(default_factory=dict)
    refresh: bool = False


@dataclass
class CrawlResult:
    """How a crawl subprocess ended."""

    site: str
    returncode: int
    seconds: float
    pid: int
    started_at: str = ""  # ISO UTC, just before the process started
    log_path: str | None = None  # where its output went (run_crawls with log_dir)

    def last_error(self) -> str:
        """The last error line of the crawl's log ("" when there is no log or no error in it)."""
        if not self.log_path:
            return ""
        try:
            text = Path(self.log_path).read_text("utf-8", "replace")
        except OSError:
            return ""
        return last_error_line(text)


_ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL):|^\w+(\.\w+)*(Error|Exception|Exit)\b")


def last_error_line(log: str) -> str:
    """The last line of a crawl log that reports an error (a Scrapy ERROR/CRITICAL record or the final
    line of a traceback); the last non-empty line when none does."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        if _ERROR_LINE.search(line):
            return line
    return lines[-1] if lines else ""


def site_settings(site: Site) -> dict[str, str | int | float]:
    """Scrapy settings derived from a site's politeness overrides."""
    out: dict[str, str | int | float] = {"CONCURRENT_REQUESTS_PER_DOMAIN": site.concurrency}
    if site.delay is not None:
        out["DOWNLOAD_DELAY"] = site.delay
    if site.max_articles:
        out["CLOSESPIDER_ITEMCOUNT"] = site.max_articles
    return out


def crawl_spec(job: CrawlJob, inline: bool = False) -> tuple[dict[str, str], dict[str, str | int | float]]:
    """The spider arguments (-a) and settings (-s) of a job's `scrapy crawl site`; inline: the site as
    JSON even with a config file (which then only names the watches), so a run parses no config file."""
    args: dict[str, str] = {}
    if job.sites_path and inline:
        args.update(site_json=job.site.to_json(), sites=os.path.abspath(job.sites_path))
    elif job.sites_path:
        args.update(site=job.site.name, sites=os.path.abspath(job.sites_path))
    else:
        args["site_json"] = job.site.to_json()
    if job.refresh:
        args["refresh"] = "1"
    settings = {"NEWSMON_DB": os.path.abspath(job.db_path), **site_settings(job.site), **job.settings}
    return args, settings


def crawl_argv(job: CrawlJob) -> list[str]:
    """argv of `python -m scrapy crawl site …` for a job."""
    argv = [sys.executable, "-m", "scrapy", "crawl", "site"]
    args, settings = crawl_spec(job)
    for key, value in args.items():
        argv += ["-a", f"{key}={value}"]
    for name, setting in settings.items():
        argv += ["-s", f"{name}={setting}"]
    return argv


def crawl_env() -> dict[str, str]:
    """Environment for a crawl subprocess: project settings module and import path."""
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = PROJECT_SETTINGS
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def start_crawl(
    job: CrawlJob, *, stdout: int | None = None, stderr: int | None = None
) -> subprocess.Popen[bytes]:
    """Start one crawl subprocess in its own process group (so it can be stopped as a whole)."""
    argv = crawl_argv(job)
    logger.info("starting crawl of %s", job.site.name)
    return subprocess.Popen(
        argv, env=crawl_env(), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True
    )


def run_crawls(
    jobs: Sequence[CrawlJob],
    *,
    parallel: int = 0,
    on_done: Callable[[CrawlResult], None] | None = None,
    on_tick: Callable[[], None] | None = None,
    quiet: bool = True,
    log_dir: str | None = None,
) -> list[CrawlResult]:
    """Run jobs with at most `parallel` subprocesses at once (default: CPU count); wait for all.

    With `log_dir`, each crawl's output goes to <log_dir>/<site>.log (so a dead crawl can say why);
    otherwise nowhere (`quiet`) or to our own stdout/stderr."""
    parallel = parallel or os.cpu_count() or 2
    queue = list(jobs)
    running: dict[subprocess.Popen[bytes], tuple[CrawlJob, float, str]] = {}
    results: list[CrawlResult] = []
    default_out = subprocess.DEVNULL if quiet else None
    previous = None
    if threading.current_thread() is threading.main_thread():
        # a crawl runner stopped with SIGTERM stops its crawls too, instead of leaving them orphaned
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        while queue or running:
            while queue and len(running) < parallel:
                job = queue.pop(0)
                started = datetime.now(UTC).replace(microsecond=0).isoformat()
                if log_dir:
                    with open(Path(log_dir) / f"{job.site.name}.log", "ab") as log:
                        proc = start_crawl(job, stdout=log.fileno(), stderr=log.fileno())
                else:
                    proc = start_crawl(job, stdout=default_out, stderr=default_out)
                running[proc] = (job, time.monotonic(), started)
            finished = [p for p in running if p.poll() is not None]
            if not finished:
                if on_tick:
                    on_tick()
                time.sleep(0.05)
                continue
            for proc in finished:
                job, t0, started = running.pop(proc)
                log_path = str(Path(log_dir) / f"{job.site.name}.log") if log_dir else None
                result = CrawlResult(
                    job.site.name, proc.returncode, time.monotonic() - t0, proc.pid, started, log_path
                )
                results.append(result)
                if on_done:
                    on_done(result)
    except (KeyboardInterrupt, CrawlsTerminated):
        stop_all(list(running))
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return results


def process_alive(pid: int | None, started_at: str | None = None) -> bool:
    """Whether pid is a live (not zombie) process that is not younger than the run row it wrote."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if started_at:
            # a pid reused by a later process is not the crawl that wrote the row
            return proc.create_time() <= datetime.fromisoformat(started_at).timestamp() + 5
        return True
    except (psutil.NoSuchProcess, ValueError):
        return False
    except psutil.AccessDenied:
        return True


def wait_for(
    condition: Callable[[], Any], timeout: float = 20.0, what: str = "a condition", every: float = 0.05
) -> Any:
    """Poll an observable condition until it returns something true (never a fixed sleep); TimeoutError
    naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def reap_dead_runs(store: Store) -> list[int]:
    """Mark runs left `running` by processes of this host that are gone as `crashed`; return their ids."""
    host = socket.gethostname()
    crashed = []
    for row in store.runs_in_progress():
        if row["host"] not in (host, None) or process_alive(row["pid"], row["started_at"]):
            continue
        store.mark_run(row["id"], "crashed", f"process {row['pid']} ended without finishing its run")
        crashed.append(row["id"])
    if crashed:
        logger.warning("marked %d run(s) left running by dead processes as crashed", len(crashed))
    return crashed


class CrawlsTerminated(Exception):
    """SIGTERM arrived while crawls were running."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise CrawlsTerminated()


def stop_all(procs: Sequence[subprocess.Popen[bytes]], grace: float = 30.0) -> None:
    """SIGTERM each crawl's process group (Scrapy then closes gracefully), SIGKILL what outlives `grace`."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Runner(Protocol):
    """Starts one crawl of a site as a subprocess in its own process group (the group id is its pid)."""

    @property
    def sites_path(self) -> str | None:
        """The site config file the crawls read (the scheduler evaluates its watches after a crawl that
        died); None when each site travels as JSON."""
        ...

    def start(self, site: Site) -> subprocess.Popen[bytes]:
        """Start the crawl; the child writes its own run row with its own pid."""
        ...

    def close(self) -> None:
        """Release what the runner keeps between crawls (a warm worker exits once its runs end)."""
        ...


class ScrapyRunner:
    """The real runner: `python -m scrapy crawl site …` through crawler.runner."""

    def __init__(
        self,
        db_path: str,
        sites_path: str | None = None,
        settings: Mapping[str, str | int | float] | None = None,
        log_dir: str | None = None,
        quiet: bool = True,
    ) -> None:
        self.db_path = db_path
        self.sites_path = sites_path
        self.settings = dict(settings or {})
        self.log_dir = log_dir
        self.quiet = quiet

    def start(self, site: Site) -> subprocess.Popen[bytes]:
        """Start `scrapy crawl` for site; its log goes to <log_dir>/<site>.log, nowhere, or our stderr."""
        job = CrawlJob(site, self.db_path, self.sites_path, self.settings)
        out: IO[bytes] | None = None
        if self.log_dir:
            out = open(Path(self.log_dir) / f"{site.name}.log", "ab")  # noqa: SIM115 - closed below
        try:
            target: Any = out if out is not None else (subprocess.DEVNULL if self.quiet else None)
            return start_crawl(job, stdout=target, stderr=target)
        finally:
            if out is not None:
                out.close()

    def close(self) -> None:
        """Nothing to release: each crawl is its own process."""


def signal_group(pgid: int, sig: int) -> bool:
    """Send sig to a process group; False when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        logger.warning("not allowed to signal process group %s", pgid)
        return False


def describe_exit(returncode: int) -> str:
    """How a child process ended: "exit code 1", "killed by SIGKILL"."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"
