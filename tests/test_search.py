"""Chinese full-text search: bigram tokens, query expressions, trigger sync, `newsmon search`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.cli import main
from storage import search
from storage.db import connect, open_db
from storage.store import Store
from tests.helpers import make_db


def art(url: str, title: str, body: str, **kw: object) -> dict:
    from crawler.signatures import content_hash

    return {"url": url, "site": "s1", "title": title, "body_text": body, "content_hash": content_hash(body),
            "published_at": "2023-11-28T09:30:00+08:00", **kw}  # fmt: skip


def ids(db, query: str) -> set[int]:  # type: ignore[no-untyped-def]
    return {r["id"] for r in search.search(db, query, limit=1000)}


def test_index_tokens_are_bigrams_plus_run_end_and_words() -> None:
    tokens = search.index_tokens("长春市振兴，２０２３年 COVID-19")
    assert tokens.split() == ["长春", "春市", "市振", "振兴", "兴", ",2023", "年", "COVID-19"]
    assert search.index_tokens(None) is None and search.index_tokens("") == ""


@pytest.mark.parametrize(
    ("query", "expr"),
    [
        ("长春", '" 长春  "'),
        ("长春市", '" 长春  春市  "'),
        ("长", '" 长 "*'),
        ("长春 振兴", '" 长春  " AND " 振兴  "'),
        ("2023年", '"2023 年 "*'),
        ("covid", '"covid"'),
        ('a"b', '"a""b"'),
        ("，。", '""'),
        ("", '""'),
    ],
)
def test_match_expression(query: str, expr: str) -> None:
    assert search.match_expression(query) == expr


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "news.db")
    yield s
    s.close()


def test_two_character_words_and_phrases(store: Store) -> None:
    store.save_articles([
        art("u1", "长春市推进乡村振兴", "会议在长春召开。部署乡村振兴重点工作。"),
        art("u2", "吉林省优化营商环境", "营商环境持续改善，市场主体活力增强。"),
        art("u3", "春天", "长在春市的树。"),  # 长 and 春 present, but never the word 长春
    ])  # fmt: skip
    db = store.db
    assert ids(db, "长春") == {1}
    assert ids(db, "振兴") == {1}
    assert ids(db, "乡村振兴") == {1}
    assert ids(db, "营商环境") == {2}
    assert ids(db, "商环") == {2}
    assert ids(db, "长春 营商") == set()
    assert ids(db, "春市") == {1, 3}  # title 长春市…
    assert ids(db, "长") == {1, 3}
    assert ids(db, "市") == {1, 2, 3}  # run-end tokens find characters at the end of a run (吉林省…主体)
    assert ids(db, "长春市推进") == {1}
    assert ids(db, "长春推进") == set()


def test_index_follows_updates_deletes_and_exact_copies(store: Store) -> None:
    store.save_articles([art("u1", "旧标题", "原文提到长春。"), art("u2", "转载", "原文提到长春。")])
    db = store.db
    assert db.execute("SELECT duplicate_of FROM articles WHERE url = 'u2'").fetchone()[0] == 1
    assert db.execute(f"SELECT count(*) FROM {search.FTS_TABLE}").fetchone()[0] == 1  # copies share the body
    store.save_articles([art("u1", "新标题", "改为振兴。")])  # body changed: copy inherits the old body
    assert ids(db, "振兴") == {1}
    assert ids(db, "长春") == {2}
    assert ids(db, "新标") == {1} and ids(db, "旧标") == set()
    with db.conn:
        db.execute("DELETE FROM articles WHERE url = 'u2'")
    assert ids(db, "长春") == set()
    assert db.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('integrity-check')")


def test_rebuild_gives_the_same_answers(store: Store) -> None:
    store.save_articles([art(f"u{i}", f"标题{i}", f"第{i}篇，长春振兴营商环境。") for i in range(30)])
    before = {q: ids(store.db, q) for q in ("长春", "营商环境", "第1", "篇")}
    assert search.rebuild(store.db) == 30
    assert {q: ids(store.db, q) for q in before} == before


def migrated_before(path: Path, name: str) -> sqlite_utils.Database:
    """A database with the migrations before `name` applied (and recorded), as an older newsmon left it."""
    from storage.schema import MIGRATIONS

    db = connect(path)
    for m in MIGRATIONS.pending(db):
        if m.name == name:
            break
        m.fn(db)
        db["_sqlite_migrations"].insert(
            {"migration_set": "newsmon", "name": m.name, "applied_at": "x"}, alter=True
        )
    return db


def test_migration_indexes_existing_articles(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = migrated_before(path, "m003_fulltext")
    db.execute("INSERT INTO articles (url, site, title, body_text) VALUES ('u', 's', '题', '吉林长春')")
    db.conn.close()
    db = open_db(path)
    assert ids(db, "长春") == {1}


def test_a_writer_without_the_functions_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    open_db(path).conn.close()
    raw = sqlite3.connect(path)
    with pytest.raises(sqlite3.OperationalError, match=search.TOKENS_FUNCTION):
        raw.execute("INSERT INTO articles (url, site, title, body_text) VALUES ('u', 's', 't', 'b')")
    raw.close()


def test_only_writing_connections_keep_temp_data_in_memory(tmp_path: Path) -> None:
    """Writers get the in-memory temp store and big cache; a read-only reader keeps SQLite's defaults
    (its large ORDER BY sorts spill to temp files) and searches what is indexed, also while a writer
    outside a transaction has left rows queued."""
    path = tmp_path / "n.db"
    writer = open_db(path)
    writer.execute("INSERT INTO articles (url, site, title, body_text) VALUES ('u', 's', '题', '吉林长春')")
    assert writer.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    reader = connect(path, readonly=True)
    assert reader.execute("PRAGMA temp_store").fetchone()[0] == 0  # the build's default
    assert reader.execute("PRAGMA cache_size").fetchone()[0] == -2000  # SQLite's default 2 MB
    assert ids(reader, "长春") == set()  # queued by the autocommit INSERT, not indexed yet
    assert ids(writer, "长春") == {1}  # the writer's search indexes the queue
    assert ids(reader, "长春") == {1}
    reader.conn.close()
    writer.conn.close()


CJK = st.text(alphabet="长春市吉林振兴乡村营商环境", min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(st.lists(CJK, min_size=1, max_size=3).map("，".join), min_size=1, max_size=8),
       query=st.text(alphabet="长春市吉林振兴乡村营商环境", min_size=1, max_size=5))  # fmt: skip
def test_hits_are_exactly_the_documents_containing_the_query(docs: list[str], query: str) -> None:
    """A query without punctuation finds exactly the documents that contain it as a substring."""
    db = connect(":memory:")
    db.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, url, site, title, published_at, source, story_id, "
               "duplicate_of, body_text)")  # fmt: skip
    search.create(db)
    for d in docs:
        db.execute("INSERT INTO articles (title, body_text) VALUES ('', ?)", (d,))
    want = {i + 1 for i, d in enumerate(docs) if query in d}
    assert ids(db, query) == want


def test_search_command(tmp_path: Path) -> None:
    db = make_db(tmp_path / "news.db")
    r = CliRunner().invoke(main, ["search", "振兴", "--db", str(db)])
    assert r.exit_code == 0 and "国务院部署乡村振兴重点工作" in r.stdout and "3x" in r.stdout
    r = CliRunner().invoke(main, ["search", "长春", "--db", str(db), "--json", "-n", "5"])
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["title"] for x in rows] == ["长春市召开优化营商环境工作推进会议"]
    r = CliRunner().invoke(main, ["search", "--rebuild", "--db", str(db)])
    assert r.exit_code == 0 and "indexed 4 article(s)" in r.output
    r = CliRunner().invoke(main, ["search", "--db", str(db)])
    assert r.exit_code == 2


def test_index_is_written_per_transaction_from_the_queue(tmp_path: Path) -> None:
    """Rows of one write transaction enter the index together at COMMIT; queued rows deleted or changed
    before a flush never reach (or corrupt) the index; a raw writer's rows are found after a flush."""
    from storage.db import write_transaction

    db = open_db(tmp_path / "q.db")
    sql = "INSERT INTO articles (url, site, title, body_text) VALUES (?, 's', ?, ?)"
    with write_transaction(db) as conn:
        conn.executemany(sql, [(f"u{i}", f"题{i}", f"吉林长春{i}") for i in range(50)])
        assert conn.execute(f"SELECT count(*) FROM {search.QUEUE_TABLE}").fetchone()[0] == 50
        # changed and deleted while still queued: only the queue is touched
        conn.execute("UPDATE articles SET body_text = '振兴' WHERE url = 'u0'")
        conn.execute("DELETE FROM articles WHERE url = 'u1'")
    assert db.execute(f"SELECT count(*) FROM {search.QUEUE_TABLE}").fetchone()[0] == 0
    segments = db.execute(f"SELECT count(*) FROM {search.FTS_TABLE}_data").fetchone()[0]
    assert segments <= 3  # structure + averages + one segment, not one per row
    assert ids(db, "长春") == set(range(3, 51)) and ids(db, "振兴") == {1}
    db.execute("UPDATE articles SET body_text = '营商' WHERE url = 'u2'")  # autocommit: indexed row changes
    db.execute("INSERT INTO articles (url, site, title, body_text) VALUES ('x', 's', '', '营商环境')")
    assert ids(db, "营商") == {3, 51} and ids(db, "长春") == set(range(4, 51))
    db.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('integrity-check')")


def test_a_database_with_per_row_triggers_moves_to_the_queue(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = migrated_before(path, "m007_fulltext_queue")
    db.execute(f"DROP TABLE {search.QUEUE_TABLE}")  # as m003 created it before issue #18: per-row triggers
    for name in search.TRIGGER_NAMES:
        db.execute(f"DROP TRIGGER {name}")
    db.execute(f"CREATE TRIGGER {search.FTS_TABLE}_ai AFTER INSERT ON articles WHEN new.body_text IS NOT NULL "
               f"BEGIN INSERT INTO {search.FTS_TABLE} (rowid, title, body) VALUES (new.id, "
               f"{search.TOKENS_FUNCTION}(new.title), {search.TOKENS_FUNCTION}(new.body_text)); END")  # fmt: skip
    db.execute("INSERT INTO articles (url, site, title, body_text) VALUES ('u', 's', '题', '吉林长春')")
    db.conn.close()
    db = open_db(path)
    db.execute("INSERT INTO articles (url, site, title, body_text) VALUES ('v', 's', '题', '长春振兴')")
    assert ids(db, "长春") == {1, 2}
    assert db.execute(f"SELECT count(*) FROM {search.QUEUE_TABLE}").fetchone()[0] == 0


def tokens_read(tokenize: str, texts: list[str | None]) -> list[list[tuple[str, int]]]:
    """The (token, position) lists FTS5 with `tokenize` makes of each text."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{tokenize}')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    conn.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(texts, 1))
    found: list[list[tuple[str, int]]] = [[] for _ in texts]
    for doc, term, offset in conn.execute('SELECT doc, term, "offset" FROM v ORDER BY doc, "offset"'):
        found[doc - 1].append((term, offset))
    return found


MIXED = st.text(
    alphabet="长春市振兴乡村々〇ー・、。，；ガカ\u3099한국 AbÉéßΣ-_'\"１２ａＢ\u0301\u00a0\t😀𠀀", max_size=30
)


@settings(max_examples=80, deadline=None)
@given(texts=st.lists(MIXED, min_size=1, max_size=6))
def test_the_ascii_index_reads_the_tokens_unicode61_read(texts: list[str]) -> None:
    """index_texts (for the ascii tokenizer of articles_fts) gives, text by text, exactly the tokens and
    positions unicode61 gives for index_tokens, the indexed text before the ascii tokenizer."""
    assert search.index_texts(texts) == [search.index_text(t) for t in texts]
    indexed = tokens_read(search.INDEX_TOKENIZE, search.index_texts(texts))
    assert indexed == tokens_read(search.TOKENIZE, [search.index_tokens(t) for t in texts])
    for t in texts:  # a query word reads the same in both indexes (attachments keep unicode61)
        expr = search.match_expression(t)
        conn = sqlite3.connect(":memory:")
        for name, tokenize in (("a", search.INDEX_TOKENIZE), ("u", search.TOKENIZE)):
            conn.execute(f"CREATE VIRTUAL TABLE {name} USING fts5(x, tokenize='{tokenize}')")
            conn.execute(f"INSERT INTO {name} (x) VALUES (?)", (search.index_text(t) if name == "a" else
                                                                 search.index_tokens(t),))  # fmt: skip
        hits = [
            conn.execute(f"SELECT count(*) FROM {n} WHERE {n} MATCH ?", (expr,)).fetchone()[0] for n in "au"
        ]
        assert hits[0] == hits[1]


def test_an_index_of_the_unicode61_format_is_rebuilt_and_searches_right(tmp_path: Path) -> None:
    """A database whose articles_fts was built by unicode61 from index_tokens (v1 triggers) is re-created
    with the ascii tokenizer by the migration, finds what it found, and follows deletes afterwards."""
    path = tmp_path / "old.db"
    db = migrated_before(path, "m013_fulltext_ascii")
    search.drop(db)
    v1 = search.OLD_TOKENS_FUNCTION
    db.execute(f"CREATE VIRTUAL TABLE {search.FTS_TABLE} USING fts5(body, title, content='', "
               f"tokenize='{search.TOKENIZE}')")  # fmt: skip
    db.execute(f"CREATE TABLE {search.QUEUE_TABLE} (id INTEGER PRIMARY KEY)")
    db.execute(f"CREATE TRIGGER {search.FTS_TABLE}_ad AFTER DELETE ON articles WHEN old.body_text IS NOT NULL "
               f"BEGIN INSERT INTO {search.FTS_TABLE} ({search.FTS_TABLE}, rowid, title, body) VALUES "
               f"('delete', old.id, {v1}(old.title), {v1}(old.body_text)); END")  # fmt: skip
    bodies = ["吉林长春，振兴。", "Éclair 长春市・乡村", "营商环境ガカ"]
    for i, body in enumerate(bodies):
        db.execute(
            "INSERT INTO articles (url, site, title, body_text) VALUES (?, 's', '题', ?)", (f"u{i}", body)
        )
    db.execute(f"INSERT INTO {search.FTS_TABLE} (rowid, title, body) SELECT id, {v1}(title), {v1}(body_text) "
               "FROM articles")  # fmt: skip
    db.conn.commit()
    words = ("长春", "振兴", "eclair", "乡村", "市", "ガカ", "环境", "题")
    before = {w: ids(db, w) for w in words}
    db.conn.close()
    db = open_db(path)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (search.FTS_TABLE,)).fetchone()[0]
    assert f"tokenize='{search.INDEX_TOKENIZE}'" in sql
    assert {w: ids(db, w) for w in words} == before == {
        "长春": {1, 2}, "振兴": {1}, "eclair": {2}, "乡村": {2}, "市": {2}, "ガカ": {3}, "环境": {3}, "题": {1, 2, 3}
    }  # fmt: skip
    with db.conn:
        db.execute("DELETE FROM articles WHERE url = 'u1'")
    assert ids(db, "长春") == {1} and ids(db, "eclair") == set()
    db.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('integrity-check')")
