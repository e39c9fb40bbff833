"""Watch notifications through Apprise to a local webhook: once per story, retries, failures, digests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import watch_notify as N
from storage import watch_targets
from storage import watches as W
from storage.store import Store
from tests.helpers import Receiver, item, long_body

T0 = datetime(2023, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "news.db") as s:
        yield s


def deliveries(store: Store) -> list[tuple]:
    return store.db.conn.execute(
        "SELECT status, attempts, last_error IS NOT NULL, next_attempt_at, sent_at FROM watch_deliveries ORDER BY id"
    ).fetchall()


def hits(store: Store) -> int:
    return store.db.conn.execute("SELECT count(*) FROM watch_hits").fetchone()[0]


def test_story_reposted_on_five_sites_sends_one_message(store: Store, receiver: Receiver) -> None:
    W.save_watch(store.db, W.Watch("东北振兴", all_of=("振兴", "东北"), notify=(receiver.url,)))
    body = long_body("推动东北全面振兴")
    for i in range(5):
        store.save_articles([item(f"http://s{i}/1", body, site=f"s{i}", title="推动东北全面振兴")])
        W.evaluate(store.db, now=T0)
        N.notify_pending(store.db, now=T0)
    assert len(receiver.messages) == 1
    msg = receiver.messages[0]
    assert msg["title"] == "[东北振兴] 推动东北全面振兴"
    assert "http://s0/1" in msg["message"] and "振兴、东北" in msg["message"]
    assert deliveries(store) == [("sent", 1, 0, None, T0.isoformat())]


def test_exclusions_send_nothing(store: Store, receiver: Receiver) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), none_of=("招聘",), notify=(receiver.url,)))
    store.save_articles([item("http://s1/1", long_body("振兴人才招聘公告"))])
    W.evaluate(store.db)
    assert N.notify_pending(store.db)["messages"] == 0
    assert receiver.requests == 0 and hits(store) == 0


@pytest.mark.parametrize("down", ["error500", "closed"])
def test_receiver_down_is_retried_with_backoff_and_the_hit_stays(store: Store, receiver: Receiver,
                                                                 down: str) -> None:  # fmt: skip
    url = receiver.url
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), notify=(url,)))
    store.save_articles([item("http://s1/1", long_body("振兴"))])
    W.evaluate(store.db, now=T0)
    if down == "error500":
        receiver.status = 500
    else:
        receiver.close()
    assert N.notify_pending(store.db, now=T0)["retrying"] == 1
    status, attempts, has_error, next_at, sent = deliveries(store)[0]
    assert (status, attempts, has_error, sent) == ("pending", 1, 1, None)
    assert next_at == (T0 + timedelta(seconds=N.BACKOFF_BASE)).isoformat()
    error = store.db.conn.execute("SELECT last_error FROM watch_deliveries").fetchone()[0]
    assert ("500" in error) if down == "error500" else ("onnection" in error)
    # not due yet: nothing is attempted
    assert N.notify_pending(store.db, now=T0 + timedelta(seconds=30))["messages"] == 0
    # keeps failing: attempts grow, backoff doubles, then it gives up as 'failed' — the hit stays
    t = T0
    for attempt in range(2, N.MAX_ATTEMPTS + 1):
        t += timedelta(seconds=min(N.BACKOFF_BASE * 2 ** (attempt - 2), N.BACKOFF_MAX))
        N.notify_pending(store.db, now=t)
        assert deliveries(store)[0][1] == attempt
    assert deliveries(store)[0][0] == "failed"
    assert hits(store) == 1
    # back up: --retry-failed delivers it
    if down == "error500":
        receiver.status = 200
        out = N.notify_pending(store.db, now=t, retry_failed=True)
        assert out["sent"] == 1 and len(receiver.messages) == 1
        assert deliveries(store)[0][0] == "sent"


def test_recovered_receiver_gets_the_message_once(store: Store, receiver: Receiver) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), notify=(receiver.url,)))
    store.save_articles([item("http://s1/1", long_body("振兴"))])
    W.evaluate(store.db, now=T0)
    receiver.status = 500
    N.notify_pending(store.db, now=T0)
    receiver.status = 200
    N.notify_pending(store.db, now=T0 + timedelta(minutes=2))
    N.notify_pending(store.db, now=T0 + timedelta(hours=2))
    assert receiver.requests == 2 and len(receiver.messages) == 1


def test_one_failing_target_does_not_resend_to_the_other(store: Store, receiver: Receiver) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), notify=(receiver.url, "json://127.0.0.1:9/none")))
    store.save_articles([item("http://s1/1", long_body("振兴"))])
    W.evaluate(store.db, now=T0)
    for minutes in (0, 2, 10, 30):
        N.notify_pending(store.db, now=T0 + timedelta(minutes=minutes))
    assert len(receiver.messages) == 1
    assert [d[0] for d in deliveries(store)] == ["sent", "pending"]
    assert deliveries(store)[1][1] == 4


def test_digest_batches_hits_per_window(store: Store, receiver: Receiver) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), notify=(receiver.url,), digest_seconds=6 * 3600))
    for i in range(3):
        store.save_articles([item(f"http://s1/{i}", long_body(f"振兴第{i}篇"), title=f"振兴{i}")])
    W.evaluate(store.db, now=T0)
    assert N.notify_pending(store.db, now=T0 + timedelta(hours=1))["messages"] == 0  # held
    out = N.notify_pending(store.db, now=T0 + timedelta(hours=6))
    assert out == {"messages": 1, "sent": 3, "retrying": 0, "failed": 0, "deferred": 0}
    (msg,) = receiver.messages
    assert msg["title"] == "[w] 3 条新事件 · 3 new stories"
    assert all(f"振兴{i}" in msg["message"] for i in range(3))
    # the next hit waits for the window since the last message
    store.save_articles([item("http://s1/9", long_body("振兴又一篇"), title="振兴9")])
    W.evaluate(store.db, now=T0 + timedelta(hours=7))
    assert N.notify_pending(store.db, now=T0 + timedelta(hours=11))["messages"] == 0
    assert N.notify_pending(store.db, now=T0 + timedelta(hours=12))["sent"] == 1
    assert len(receiver.messages) == 2 and "振兴9" in receiver.messages[1]["message"]


def test_claimed_deliveries_are_not_sent_twice_by_a_concurrent_process(
    store: Store, receiver: Receiver
) -> None:
    from storage.db import open_db

    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), notify=(receiver.url,)))
    store.save_articles([item("http://s1/1", long_body("振兴"))])
    W.evaluate(store.db, now=T0)
    inner: list[dict] = []

    def send(url: str, title: str, body: str) -> str | None:
        inner.append(N.notify_pending(open_db(store.path), now=T0))  # another process, same moment
        return N.apprise_send(url, title, body)

    N.notify_pending(store.db, now=T0, send=send)
    assert inner[0]["messages"] == 0 and len(receiver.messages) == 1


def test_budget_defers_the_rest_without_counting_an_attempt(store: Store) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), notify=("json://127.0.0.1:9/x",)))
    store.save_articles([item(f"http://s1/{i}", long_body(f"振兴{i}")) for i in range(3)])
    W.evaluate(store.db, now=T0)

    def slow(url: str, title: str, body: str) -> str | None:
        time.sleep(0.2)
        return None

    out = N.notify_pending(store.db, now=T0, send=slow, budget_seconds=0.1)
    assert (out["sent"], out["deferred"]) == (1, 2)
    assert sorted(d[:2] for d in deliveries(store)) == [("pending", 0), ("pending", 0), ("sent", 1)]
    assert N.notify_pending(store.db, now=T0, send=slow)["sent"] == 2


def test_a_crashing_sender_is_a_failed_delivery(store: Store) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), notify=("json://127.0.0.1:9/x",)))
    store.save_articles([item("http://s1/1", long_body("振兴"))])
    W.evaluate(store.db, now=T0)

    def boom(url: str, title: str, body: str) -> str | None:
        raise RuntimeError("bad plugin")

    assert N.notify_pending(store.db, now=T0, send=boom)["retrying"] == 1
    assert (
        store.db.conn.execute("SELECT last_error FROM watch_deliveries").fetchone()[0]
        == "RuntimeError: bad plugin"
    )


def test_removed_watch_or_target_marks_pending_deliveries_failed(store: Store, receiver: Receiver) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), notify=(receiver.url,)))
    store.save_articles([item("http://s1/1", long_body("振兴"))])
    W.evaluate(store.db, now=T0)
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",)))  # notify URL dropped before sending
    N.notify_pending(store.db, now=T0)
    assert store.db.conn.execute("SELECT status, last_error FROM watch_deliveries").fetchone() == (
        "failed", "notify URL no longer in the watch")  # fmt: skip
    assert receiver.requests == 0 and hits(store) == 1


def test_target_labels_hide_secrets() -> None:
    label = watch_targets.target_label("tgram://123456789:abcdefg_hijklmnop/12315544/")
    assert "abcdefg_hijklmnop" not in label and label.startswith("tgram://")
