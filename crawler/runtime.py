"""The warm crawl runtime, scheduler side: runs go to a `crawler.warm` worker that forks them. Imports no Scrapy.

A run started here looks to the scheduler exactly like a `scrapy crawl` subprocess: a handle with pid,
poll(), wait(timeout) and returncode, the pid heading its own process group (SIGTERM/SIGKILL to the
group stop it), and the run row written by the crawl itself under that pid. What changes is the cost:
the worker imported Scrapy once, so a run costs a fork and the crawl, not an interpreter start.

The worker is recycled after `max_runs` runs (it drains: its running children finish, then it exits)
and restarted when it dies; a run whose worker died while it ran is followed by its pid until it is
gone (exit status lost: 255). If the worker cannot start, runs fall back to plain subprocesses.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from typing import Any

from crawler.runner import CrawlJob, ScrapyRunner, crawl_argv, crawl_env, crawl_spec, process_alive
from crawler.sites import Site

logger = logging.getLogger(__name__)

LOST_EXIT = 255  # the worker died before it could report the run's exit status
READY_TIMEOUT = 60.0


class WarmProcess:
    """A run forked by the warm worker, with the parts of subprocess.Popen the scheduler uses."""

    def __init__(self, pid: int, args: list[str]) -> None:
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self._done = threading.Event()
        self._orphan = False

    def _finish(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        self._done.set()

    def _orphaned(self) -> None:
        """The worker is gone: follow the pid until the process ends."""
        self._orphan = True

    def poll(self) -> int | None:
        """The exit code, or None while the run goes on."""
        if self._orphan and not self._done.is_set() and not process_alive(self.pid):
            self._finish(LOST_EXIT)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the run to end; subprocess.TimeoutExpired after timeout seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                if self.poll() is not None:
                    return self.returncode  # type: ignore[return-value]
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            step = 0.5 if left is None else min(left, 0.5)
            if self._done.wait(step) or self.poll() is not None:
                return self.returncode  # type: ignore[return-value]


class WarmWorker:
    """One `python -m crawler.warm` process and the thread reading its replies."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.warm"],
            env=crawl_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            start_new_session=True,  # a Ctrl-C at the terminal reaches the scheduler, not the worker
        )
        self.runs = 0
        self._lock = threading.Lock()
        self._next = 0
        self._waiting: dict[int, tuple[threading.Event, dict[str, Any]]] = {}
        self._handles: dict[int, WarmProcess] = {}
        self._ready = threading.Event()
        self._dead = threading.Event()
        self._reader = threading.Thread(target=self._read, name="newsmon-warm-reader", daemon=True)
        self._reader.start()
        if not self._ready.wait(READY_TIMEOUT) or self._dead.is_set():
            self.close()
            raise OSError("the warm crawl worker did not start (see its stderr)")

    def alive(self) -> bool:
        """Whether the worker still takes runs."""
        return not self._dead.is_set() and self.proc.poll() is None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if msg.get("ready"):
                self._ready.set()
                continue
            job_id = msg.get("id")
            with self._lock:
                if "exit" in msg:
                    handle = self._handles.pop(job_id, None)
                    if handle is not None:
                        handle._finish(int(msg["exit"]))
                    continue
                slot = self._waiting.pop(job_id, None)
            if slot is not None:
                slot[1].update(msg)
                slot[0].set()
        # the worker is gone: nobody will report these runs' ends
        self._dead.set()
        self._ready.set()
        with self._lock:
            for _, reply in self._waiting.values():
                reply.setdefault("error", "the warm crawl worker exited")
            for event, _ in self._waiting.values():
                event.set()
            for handle in self._handles.values():
                handle._orphaned()
            self._waiting.clear()
            self._handles.clear()

    def start(self, job: CrawlJob, log: str | None, max_mb: int = 0) -> WarmProcess:
        """Ask the worker to fork one run; OSError when it cannot."""
        args, settings = crawl_spec(job, inline=True)
        argv = crawl_argv(job)
        event = threading.Event()
        reply: dict[str, Any] = {}
        with self._lock:
            if self._dead.is_set():
                raise OSError("the warm crawl worker exited")
            self._next += 1
            job_id = self._next
            self._waiting[job_id] = (event, reply)
            line = {"id": job_id, "args": args, "settings": settings, "log": log, "max_mb": max_mb}
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write((json.dumps(line) + "\n").encode())
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                self._waiting.pop(job_id, None)
                raise OSError(f"the warm crawl worker is gone: {exc}") from exc
        if not event.wait(READY_TIMEOUT) or "pid" not in reply:
            raise OSError(str(reply.get("error") or "the warm crawl worker did not answer"))
        handle = WarmProcess(int(reply["pid"]), argv)
        with self._lock:
            if self._dead.is_set():
                handle._orphaned()
            else:
                self._handles[job_id] = handle
        self.runs += 1
        return handle

    def drain(self) -> None:
        """No more runs: the worker exits once its running children have ended."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def close(self, timeout: float = 5.0) -> None:
        """Drain and wait for the worker (kill it if it does not go)."""
        self.drain()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class WarmRunner(ScrapyRunner):
    """Runner for the scheduler: each run forked by a warm worker (fallback: a plain subprocess)."""

    def __init__(self, *args: Any, max_runs: int = 500, max_mb: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_runs = max_runs
        self.max_mb = max_mb
        self._worker: WarmWorker | None = None
        self._lock = threading.Lock()
        self._old: list[WarmWorker] = []
        self.fallbacks = 0

    def worker_pids(self) -> list[int]:
        """Pids of the warm workers alive now (the current one and draining ones)."""
        with self._lock:
            return [w.proc.pid for w in [*self._old, *([self._worker] if self._worker else [])] if w.alive()]

    def _current(self) -> WarmWorker:
        with self._lock:
            w = self._worker
            if w is not None and (not w.alive() or w.runs >= self.max_runs):
                # recycled after max_runs (or dead): the old one drains while a fresh one takes runs
                w.drain()
                self._old = [o for o in self._old if o.proc.poll() is None] + [w]
                w = None
            if w is None:
                w = self._worker = WarmWorker()
            return w

    def start(self, site: Site) -> Any:
        """Fork a crawl of site in the warm worker; a plain `scrapy crawl` subprocess if that fails."""
        job = CrawlJob(site, self.db_path, self.sites_path, self.settings)
        log = os.path.join(self.log_dir, f"{site.name}.log") if self.log_dir else None
        if log is None and not self.quiet:
            log = "/dev/stderr"
        try:
            return self._current().start(job, log, self.max_mb)
        except OSError as exc:
            self.fallbacks += 1
            logger.warning("%s: warm worker unavailable (%s); starting a plain crawl process", site.name, exc)
            return super().start(site)

    def close(self) -> None:
        """Let the workers exit once their runs have ended."""
        with self._lock:
            workers = [*self._old, *([self._worker] if self._worker else [])]
            self._worker, self._old = None, []
        for w in workers:
            w.close()
