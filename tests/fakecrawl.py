"""A stand-in for `scrapy crawl` in scheduler tests: writes its own run row like the real crawl, then
behaves as told.

    python tests/fakecrawl.py DB SITE MODE [ARG]

Modes:
    ok [SECONDS]       run SECONDS (default 0), finish `ok`; SIGTERM → `failed` "shutdown: …" (like Scrapy)
    items N [PERIOD]   scrape one item every PERIOD s, committed in batches of 3; SIGTERM commits the
                       pending batch and finishes "shutdown" with the number of items scraped
    sigkill            start the run row, then SIGKILL itself
    exit [CODE]        start the run row, then os._exit(CODE) (default 0)
    early [CODE]       os._exit(CODE) before writing any row (default 1)
    hang               start the row, ignore SIGTERM, fork a grandchild that ignores it too, never finish

Every run checks that no other run row of its site is `running` when it starts; if one is, the run
finishes `failed` with reason "OVERLAP" so tests can catch a broken scheduler.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.store import Store  # noqa: E402


class _Stop:
    """SIGTERM sets a flag that `wait` polls.

    Not a threading.Event: its set() takes the lock its wait() holds for a moment each round, so an
    Event set from a signal handler deadlocks the main thread when the signal lands in that moment
    (seen once in CI as a crawl that ignored SIGTERM)."""

    def __init__(self) -> None:
        self.stopped = False

    def on_signal(self, *_: object) -> None:
        self.stopped = True

    def is_set(self) -> bool:
        return self.stopped

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, returning early (True) once stopped."""
        deadline = time.monotonic() + seconds
        while not self.stopped and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.01))
        return self.stopped


def main(argv: list[str]) -> int:
    """Entry point (see the module docstring)."""
    db, site, mode, *rest = argv
    if mode == "early":
        os._exit(int(rest[0]) if rest else 1)
    store = Store(db, migrate_schema=False)
    run_id = store.start_run(site)
    others = store.db.conn.execute(
        "SELECT count(*) FROM runs WHERE site = ? AND status = 'running' AND id != ?", (site, run_id)
    ).fetchone()[0]
    if others:
        store.finish_run(run_id, "failed", reason="OVERLAP")
        return 1
    stop = _Stop()
    signal.signal(signal.SIGTERM, stop.on_signal)

    if mode == "ok":
        if stop.wait(float(rest[0]) if rest else 0.0):
            store.finish_run(run_id, "failed", reason="shutdown: stopped before the crawl finished")
        else:
            store.finish_run(run_id, "ok", reason="finished", stats={"fake": True})
        return 0
    if mode == "items":
        total, period = int(rest[0]), float(rest[1]) if len(rest) > 1 else 0.1
        pending: list[dict[str, str]] = []
        scraped = new = 0
        while scraped < total and not stop.wait(period):
            scraped += 1
            pending.append(
                {
                    "url": f"http://127.0.0.1/{site}/{run_id}/{scraped}",
                    "site": site,
                    "title": "t",
                    "body_text": "b",
                }
            )
            if len(pending) >= 3:
                new += store.save_articles(pending, run_id).count("new")
                pending = []
        new += store.save_articles(pending, run_id).count("new") if pending else 0
        counts = {"new_items": new}
        stats = {"item_scraped_count": scraped}
        if stop.is_set():
            store.finish_run(
                run_id,
                "failed",
                reason="shutdown: stopped before the crawl finished",
                counts=counts,
                stats=stats,
            )
        else:
            store.finish_run(run_id, "ok", reason="finished", counts=counts, stats=stats)
        return 0
    if mode == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "exit":
        os._exit(int(rest[0]) if rest else 0)
    if mode == "hang":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = os.fork()
        if child == 0:
            while True:
                signal.pause()
        Path(db + f".{site}.grandchild").write_text(str(child))
        while True:
            signal.pause()
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
