"""Notifications of watch hits through Apprise: one delivery row per hit and target, retried with backoff.

Deliveries are claimed (attempts + 1, next try pushed out by a lease) in a short write transaction, sent
outside it, and their outcome recorded afterwards, so two processes never send the same message and a
process that dies while sending leaves a lease that expires (the message is then sent again: at least
once). A failed delivery never touches its hit. A digest watch sends one message per target listing its
pending hits once `digest` has passed since its last message (or since its oldest pending hit).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from storage.db import write_transaction
from storage.store_time import iso_utc
from storage.watch_targets import redact_in_logs, target_key
from storage.watches import list_watches

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # then the delivery is 'failed' (kept; `newsmon watch run --retry-failed` resets it)
BACKOFF_BASE = 60  # seconds before the second attempt; doubles with each failure
BACKOFF_MAX = 6 * 3600
SEND_SECONDS_MAX = 30.0  # wall-clock deadline of one message (a trickling receiver is cut off here)
LEASE = 120  # seconds a claimed delivery is left alone by other processes (well past one send's deadline)
DIGEST_LIST_MAX = 50  # hits listed in one digest message (the rest are counted)
_LOG_PREFIX = re.compile(r"^\S+ \S+ - \w+ - ")

Sender = Callable[[str, str, str], "str | None"]  # (url, title, body) -> None when sent, else the error


def apprise_send(url: str, title: str, body: str, seconds: float = SEND_SECONDS_MAX) -> str | None:
    """Send one message through Apprise in a child process ended at `seconds` (wall clock); None when it
    was delivered, else the error. A child, because Apprise sends from ThreadPoolExecutor threads that the
    interpreter joins at exit: a send abandoned in a thread still held the process (`schedule --once`
    after a dead crawl) until a trickling receiver finished. The URL travels on stdin, never in argv."""
    redact_in_logs(url)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": package_root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = "import sys; from storage.watch_notify import _send_from_stdin; sys.exit(_send_from_stdin())"
    payload = json.dumps({"url": url, "title": title, "body": body, "seconds": seconds})
    try:
        done = subprocess.run([sys.executable, "-c", code], input=payload, capture_output=True, text=True,
                              timeout=seconds + 2, env=env)  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"no answer within {seconds:.0f} s (deadline)"
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])["error"]
    except (ValueError, IndexError, KeyError, TypeError):
        return f"notifier process ended ({done.returncode}) without an answer"[:500]


def _send_from_stdin() -> int:
    """The child side of apprise_send: one message from stdin, the outcome as JSON on stdout."""
    job = json.loads(sys.stdin.read())
    signal.alarm(max(1, math.ceil(job["seconds"])))  # the default SIGALRM action ends the process
    print(json.dumps({"error": _apprise_send_here(job["url"], job["title"], job["body"])}), flush=True)
    return 0


def _apprise_send_here(url: str, title: str, body: str) -> str | None:
    """Send one message through Apprise in this process; None when it was delivered, else the error."""
    import apprise

    ap = apprise.Apprise()
    if not ap.add(url):
        return "not a notification URL Apprise understands"
    with apprise.LogCapture(level=logging.WARNING) as logs:
        ok = ap.notify(title=title, body=body)
    if ok:
        return None
    lines = [_LOG_PREFIX.sub("", line) for line in logs.getvalue().strip().splitlines()]
    return (lines[-1] if lines else "notification failed")[:500]


def _hits(conn: sqlite3.Connection, delivery_ids: list[int]) -> list[tuple]:
    marks = ",".join("?" * len(delivery_ids))
    return conn.execute(
        "SELECT h.title, h.site, h.published_at, h.url, h.matched, st.size FROM watch_deliveries d "
        "JOIN watch_hits h ON h.id = d.hit_id LEFT JOIN articles a ON a.id = h.article_id "
        f"LEFT JOIN stories st ON st.id = a.story_id WHERE d.id IN ({marks}) ORDER BY h.id",
        delivery_ids,
    ).fetchall()


def message(watch: str, hits: list[tuple], digest: bool) -> tuple[str, str]:
    """Title and body of a notification for one hit or a digest of several."""
    if not digest and len(hits) == 1:
        title, site, published, url, matched, copies = hits[0]
        words = "、".join(json.loads(matched or "[]"))
        body = f"{title}\n{site} · {published or '?'}\n{url}\n命中 matched: {words}"
        if copies and copies > 1:
            body += f"\n转载 copies so far: {copies}"
        return f"[{watch}] {title}", body
    lines = []
    for i, (title, site, published, url, _m, _c) in enumerate(hits[:DIGEST_LIST_MAX], 1):
        lines.append(f"{i}. {title}\n   {site} · {published or '?'}\n   {url}")
    if len(hits) > DIGEST_LIST_MAX:
        lines.append(f"… 另有 {len(hits) - DIGEST_LIST_MAX} 条 · and {len(hits) - DIGEST_LIST_MAX} more")
    return f"[{watch}] {len(hits)} 条新事件 · {len(hits)} new stories", "\n".join(lines)


def _claim(
    conn: sqlite3.Connection, now: datetime, watches: dict[str, Any]
) -> list[tuple[str, str, list[int], bool]]:
    """Pick due deliveries, group them into messages and lease them; (watch, url, delivery ids, digest)."""
    now_s = iso_utc(now)
    groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for d_id, watch, target, created in conn.execute(
        "SELECT id, watch, target, created_at FROM watch_deliveries WHERE status = 'pending' "
        "AND next_attempt_at <= ? ORDER BY id",
        (now_s,),
    ):
        groups.setdefault((watch, target), []).append((d_id, created))
    out = []
    for (name, target), due in groups.items():
        w = watches.get(name)
        url = next((u for u in w.notify if target_key(u) == target), None) if w else None
        if w is None or url is None:
            why = "watch removed before sending" if w is None else "notify URL no longer in the watch"
            conn.executemany(
                "UPDATE watch_deliveries SET status = 'failed', last_error = ? WHERE id = ?",
                [(why, d_id) for d_id, _ in due],
            )
            continue
        ids = [d_id for d_id, _ in due]
        if w.digest_seconds:
            last = conn.execute(
                "SELECT max(sent_at) FROM watch_deliveries WHERE watch = ? AND target = ? AND status = 'sent'",
                (name, target),
            ).fetchone()[0]
            start = datetime.fromisoformat(last or min(c for _, c in due))
            if start + timedelta(seconds=w.digest_seconds) > now:
                continue
            out.append((name, url, ids, True))
        else:
            out.extend((name, url, [d_id], False) for d_id in ids)
    leased = iso_utc(now + timedelta(seconds=LEASE))
    conn.executemany(
        "UPDATE watch_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
        [(leased, d_id) for _, _, ids, _ in out for d_id in ids],
    )
    return out


def _record(conn: sqlite3.Connection, ids: list[int], error: str | None, now: datetime) -> str:
    marks = ",".join("?" * len(ids))
    if error is None:
        conn.execute(
            "UPDATE watch_deliveries SET status = 'sent', sent_at = ?, last_error = NULL, next_attempt_at = NULL "
            f"WHERE id IN ({marks})",
            [iso_utc(now), *ids],
        )
        return "sent"
    attempts = conn.execute(
        f"SELECT max(attempts) FROM watch_deliveries WHERE id IN ({marks})", ids
    ).fetchone()[0]
    if attempts >= MAX_ATTEMPTS:
        conn.execute(
            f"UPDATE watch_deliveries SET status = 'failed', last_error = ? WHERE id IN ({marks})",
            [error, *ids],
        )
        return "failed"
    wait = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX)
    conn.execute(
        f"UPDATE watch_deliveries SET last_error = ?, next_attempt_at = ? WHERE id IN ({marks})",
        [error, iso_utc(now + timedelta(seconds=wait)), *ids],
    )
    return "retrying"


def _send_within(send: Sender, url: str, title: str, body: str, seconds: float) -> str | None:
    """send(...) with a wall-clock deadline that really ends the wait: the send runs in a daemon thread,
    abandoned (its socket closes when the process exits) once the deadline passes, so a receiver that
    trickles its answer cannot keep the crawl or the scheduler alive. Socket timeouts alone reset with
    every byte; Apprise has no overall deadline."""
    outcome: list[str | None] = []

    def work() -> None:
        try:
            sent = send(url, title, body, seconds) if send is apprise_send else send(url, title, body)
            outcome.append(sent)
        except Exception as exc:  # noqa: BLE001 - a broken notifier is a failed delivery, never a lost hit
            outcome.append(f"{type(exc).__name__}: {exc}")

    worker = threading.Thread(target=work, name="newsmon-notify", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        return f"no answer within {seconds:.0f} s (deadline)"
    return outcome[0]


def notify_pending(db: sqlite_utils.Database, now: datetime | None = None, *, send: Sender | None = None,
                   budget_seconds: float | None = None, retry_failed: bool = False) -> dict[str, int]:  # fmt: skip
    """Send every due notification (digests when their window has passed); counts of the outcomes."""
    now = now or datetime.now(UTC)
    send = send or apprise_send
    counts = {"messages": 0, "sent": 0, "retrying": 0, "failed": 0, "deferred": 0}
    with write_transaction(db) as conn:
        if retry_failed:
            conn.execute(
                "UPDATE watch_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? "
                "WHERE status = 'failed'",
                (iso_utc(now),),
            )
        watches = {w["name"]: w["watch"] for w in list_watches(db)}
        batch = _claim(conn, now, watches)
        bodies = [message(name, _hits(conn, ids), digest) for name, _url, ids, digest in batch]
    started = time.monotonic()
    for (name, url, ids, _digest), (title, body) in zip(batch, bodies, strict=True):
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            # Out of time: hand the rest back, due now, without counting an attempt.
            with write_transaction(db) as conn:
                conn.executemany(
                    "UPDATE watch_deliveries SET attempts = attempts - 1, next_attempt_at = ? WHERE id = ?",
                    [(iso_utc(now), d_id) for d_id in ids],
                )
            counts["deferred"] += 1
            continue
        left = None if budget_seconds is None else max(1.0, budget_seconds - (time.monotonic() - started))
        error = _send_within(send, url, title, body, min(left or SEND_SECONDS_MAX, SEND_SECONDS_MAX))
        with write_transaction(db) as conn:
            outcome = _record(conn, ids, error, now)
        counts["messages"] += 1
        counts[outcome] += len(ids)
        if error:
            logger.warning("watch %s: notification failed (%s): %s", name, outcome, error)
    return counts
