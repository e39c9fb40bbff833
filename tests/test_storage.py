"""Storage: schema, idempotent upserts, exact copies, versions, runs, failures, write-lock discipline."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from storage.db import StorageError, connect, open_db, write_transaction
from storage.schema import MIGRATIONS
from storage.store import Store
from tests.helpers import art


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "news.db")
    yield s
    s.close()


def test_schema_created_once_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    assert {"sites", "articles", "stories", "article_versions", "runs", "failures", "source_state"} <= set(
        db.table_names()
    )
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
    db.conn.close()
    db2 = open_db(path)
    assert MIGRATIONS.pending(db2) == []


def test_upsert_is_idempotent(store: Store) -> None:
    assert store.save_articles([art("http://a/1")]) == ["new"]
    assert store.save_articles([art("http://a/1")]) == ["unchanged"]
    assert store.db["articles"].count == 1
    assert store.db["stories"].count == 1


def test_exact_copy_does_not_store_body_twice(store: Store) -> None:
    out = store.save_articles([art("http://a/1"), art("http://b/1", site="s2", title="转载：标题")])
    assert out == ["new", "duplicate"]
    first, copy = store.db.query("SELECT id, body_text, duplicate_of, story_id FROM articles ORDER BY id")
    assert copy["body_text"] is None and copy["duplicate_of"] == first["id"]
    assert copy["story_id"] == first["story_id"]
    assert store.db["stories"].get(first["story_id"])["size"] == 2


def test_changed_article_keeps_old_version_and_copies_keep_their_body(store: Store) -> None:
    store.save_articles([art("http://a/1", "旧的正文。"), art("http://b/1", "旧的正文。", site="s2")])
    assert store.save_articles([art("http://a/1", "新的正文，内容变了。")]) == ["updated"]
    versions = list(store.db["article_versions"].rows)
    assert len(versions) == 1 and versions[0]["body_text"] == "旧的正文。"
    rows = {r["url"]: r for r in store.db.query("SELECT url, body_text, duplicate_of FROM articles")}
    assert rows["http://a/1"]["body_text"] == "新的正文，内容变了。"
    assert rows["http://b/1"]["body_text"] == "旧的正文。" and rows["http://b/1"]["duplicate_of"] is None


def test_runs_and_failures(store: Store) -> None:
    run = store.start_run("s1", pid=4242)
    store.record_failure(run, "s1", "http://a/404", "http", "HTTP 404", 404)
    store.finish_run(run, "ok", reason="finished", counts={"pages": 5, "new_items": 2}, stats={"x": 1})
    row = store.db["runs"].get(run)
    assert (row["status"], row["pid"], row["pages"], row["new_items"], row["failures"]) == (
        "ok",
        4242,
        5,
        2,
        1,
    )
    assert row["finished_at"] and '"x": 1' in row["stats"]
    with pytest.raises(ValueError):
        store.finish_run(run, "weird")


def test_source_state_roundtrip(store: Store) -> None:
    assert store.source_state("http://a/list") is None
    store.save_source_state("http://a/list", "s1", '"e1"', "Tue, 28 Nov 2023 01:30:00 GMT", 200)
    store.save_source_state("http://a/list", "s1", '"e2"', None, 200)
    assert store.source_state("http://a/list")["etag"] == '"e2"'


def test_known_urls_in_chunks(store: Store) -> None:
    store.save_articles([art(f"http://a/{i}", f"正文{i}号。") for i in range(1200)])
    asked = [f"http://a/{i}" for i in range(0, 2400, 2)]
    assert len(store.known_urls(asked)) == 600


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        open_db(tmp_path / "missing-dir" / "x.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="not a valid SQLite database"):
        open_db(junk)


def _read_then_write(path: Path, begin: str, barrier: threading.Barrier, errors: list) -> None:
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        conn.execute(begin)
        conn.execute("SELECT count(*) FROM t").fetchone()
        barrier.wait()
        conn.execute("INSERT INTO t VALUES (1)")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        errors.append(str(exc))
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_deferred_transactions_lose_writes_immediate_ones_do_not(tmp_path: Path) -> None:
    """Why every write starts with BEGIN IMMEDIATE: two deferred read-then-write transactions deadlock,
    and SQLite fails one at once with 'database is locked' despite the busy timeout."""
    path = tmp_path / "lock.db"
    db = connect(path)
    db.conn.execute("CREATE TABLE t (x)")
    db.conn.close()
    errors: list[str] = []
    barrier = threading.Barrier(2, timeout=5)
    threads = [
        threading.Thread(target=_read_then_write, args=(path, "BEGIN", barrier, errors)) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors and "locked" in errors[0]

    errors.clear()
    done = []

    def immediate() -> None:
        db = connect(path)
        with write_transaction(db) as conn:
            conn.execute("SELECT count(*) FROM t").fetchone()
            conn.execute("INSERT INTO t VALUES (2)")
        done.append(1)
        db.conn.close()

    threads = [threading.Thread(target=immediate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 4
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*) FROM t WHERE x = 2").fetchone()[0] == 4


def test_a_changed_view_is_recreated_when_the_database_is_opened(tmp_path) -> None:
    """Views hold no data: an old definition in a database is replaced by storage/views.py's at open."""
    from storage import views

    path = tmp_path / "v.db"
    open_db(path).conn.close()
    db = connect(path)
    db.execute("DROP VIEW story_list")
    db.execute("CREATE VIEW story_list AS SELECT 1 AS id")
    assert views.stale_views(db) == ["story_list"]
    db.conn.close()
    db = open_db(path)
    assert views.stale_views(db) == []
    assert "first_site_title" in db["story_list"].columns_dict


def test_cluster_writer_methods_are_idempotent_and_replace_its_sql(store: Store) -> None:
    """What the ingest writer needs without SQL of its own: a run row per marker (a replayed start finds
    it), a failure recorded once per run, a run's status, and the archive's lookups in bulk for the seed."""
    first = store.start_marked_run("s", "cluster run t1", 7, "redis:p")
    assert store.start_marked_run("s", "cluster run t1", None, "other") == first
    assert store.start_marked_run("s", "cluster run t2", None, "redis:p") != first
    assert store.run_status(first) == "running" and store.run_status(first + 99) is None
    failure = ("http://127.0.0.1:1/a.html", "http", "HTTP 503", 503)
    assert store.record_failure_once(first, "s", failure)
    assert not store.record_failure_once(first, "s", failure), "a replayed message"
    assert store.failed_attempts([failure[0]]) == {failure[0]: (1, "http", 503)}
    store.finish_run(first, "ok")
    assert store.run_status(first) == "ok"
    store.save_articles([art("http://127.0.0.1:1/b.html")], first)
    store.save_redirect("http://127.0.0.1:1/old.html", "http://127.0.0.1:1/b.html")
    store.save_source_state("http://127.0.0.1:1/col/", "s", '"e"', None, 200)
    assert sorted(store.iter_known_urls()) == ["http://127.0.0.1:1/b.html", "http://127.0.0.1:1/old.html"]
    assert list(store.iter_failed_attempts()) == [(failure[0], (1, "http", 503))]
    assert [(u, s) for u, s in store.iter_source_states()] == [
        ("http://127.0.0.1:1/col/", store.source_state("http://127.0.0.1:1/col/"))
    ]
