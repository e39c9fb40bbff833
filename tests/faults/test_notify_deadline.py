"""A webhook receiver that trickles its answer (or never answers) cannot hold a process: every send has a
wall-clock deadline that ends it, and the delivery is retried later, not leased for ten minutes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storage import watch_notify as N
from storage import watches as W
from storage.store import Store
from tests.helpers import RouteServer, item, long_body, trickle

pytestmark = pytest.mark.faults


def _silent(h: Any) -> None:
    h.rfile.read(int(h.headers.get("Content-Length") or 0))
    time.sleep(60)  # accepts, reads, never answers


@pytest.mark.parametrize("route", [trickle, _silent])
def test_a_slow_receiver_cannot_hold_the_process(tmp_path: Path, route: Any) -> None:
    srv = RouteServer(routes={"/hook/t": route})
    with srv, Store(tmp_path / "news.db") as store:
        W.save_watch(store.db, W.Watch("东北振兴", all_of=("振兴",), notify=(f"json://{srv.netloc}/hook/t",)))
        store.save_articles([item("http://s0/1", long_body("推动东北全面振兴"), title="推动东北全面振兴")])
        now = datetime.now(UTC)
        W.evaluate(store.db, now=now)
        t0 = time.monotonic()
        out = N.notify_pending(store.db, now=now, budget_seconds=3.0)
        took = time.monotonic() - t0
        assert took < 8, took  # the budget, not the receiver's pace
        assert out["retrying"] == 1, out
        status, error, next_at = store.db.conn.execute(
            "SELECT status, last_error, next_attempt_at FROM watch_deliveries"
        ).fetchone()
        assert status == "pending" and "deadline" in error
        assert (datetime.fromisoformat(next_at) - now).total_seconds() <= N.BACKOFF_BASE + 1
        assert N.LEASE <= 180
