"""The scheduler's dispatch loop: one thread releases due sites from a DueQueue into at most N run threads.

Threads are bounded by the crawl limit, not by the number of sites; a site is in the queue or running,
never both, so a site never runs twice at once and nothing piles up behind a slow run. Imports no Scrapy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from crawler.duequeue import DueQueue

logger = logging.getLogger(__name__)

RETRY_AFTER_ERROR_S = 60.0  # a run callback that raised: try the site again this much later


class Dispatcher:
    """Runs `run(name)` for each due site, `slots` at a time; `run` returns the site's next due time."""

    def __init__(
        self,
        queue: DueQueue,
        run: Callable[[str], float | None],
        slots: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.queue = queue
        self.run = run
        self.slots = max(1, slots)
        self.clock = clock
        self._cond = threading.Condition()
        self._busy = 0
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="newsmon-run")
        self._thread = threading.Thread(target=self._loop, name="newsmon-dispatch", daemon=True)

    def start(self) -> Dispatcher:
        """Start the dispatch thread (returns at once)."""
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """Whether the dispatch thread is alive."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Release no more sites; runs in progress go on (the scheduler stops those)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(5)
        self._pool.shutdown(wait=False)

    def next_runs(self) -> dict[str, float]:
        """Queued sites (not running now) and their due times."""
        with self._cond:
            return self.queue.snapshot()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while self._busy >= self.slots and not self._stop.is_set():
                    self._cond.wait(1.0)
                if self._stop.is_set():
                    return
                now = self.clock()
                name = self.queue.pop_due(now)
                if name is None:
                    wait = self.queue.wait_seconds(now)
                    self._cond.wait(1.0 if wait is None else min(max(wait, 0.005), 1.0))
                    continue
                self._busy += 1
            try:
                self._pool.submit(self._one, name)
            except RuntimeError:  # the pool was shut down under us: stopping
                return

    def _one(self, name: str) -> None:
        nxt: float | None = None
        try:
            nxt = self.run(name)
        except Exception:  # one site's bug must not stop the others being scheduled
            logger.exception("%s: scheduled run failed", name)
            nxt = self.clock() + RETRY_AFTER_ERROR_S
        finally:
            with self._cond:
                self._busy -= 1
                if nxt is not None and not self._stop.is_set():
                    self.queue.push(name, nxt)
                self._cond.notify_all()
