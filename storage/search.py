"""Chinese full-text search: an FTS5 index of character bigrams, kept in sync by triggers.

Why bigrams: FTS5's unicode61 tokenizer sees a run of Chinese characters as one "word", and the trigram
tokenizer cannot match two-character words and stores ~4.6x the text. Here the indexed text of an article
is rewritten before it reaches FTS5: every run of CJK characters becomes its overlapping character bigrams
followed by the run's last character (so one-character searches work), and Latin words and numbers stay
words. unicode61 then splits that on spaces, so every bigram is one token:

    "长春市振兴，2023年" -> "长春 春市 市振 振兴 兴 2023 年"

A two-character query is one token; a longer one is a phrase of its bigrams, which FTS5 matches at
consecutive positions, so "市振兴" finds exactly the text "市振兴". Whitespace in a query separates words
that must all occur (AND).

The FTS table is contentless (the text lives once, in ``articles``) with ``rowid = articles.id``; only
originals are indexed (exact copies have ``body_text`` NULL and share the first copy's body). Triggers on
``articles`` call the SQL function ``newsmon_fts_tokens_v2``, registered on every connection by
``storage.db.connect()`` (``setup_connection``); a writer without it fails loudly instead of letting the index drift. The function
name carries a version: a contentless FTS5 delete must be given exactly the text that was indexed, so a
change to the indexed text needs a new name, new triggers and a rebuild in a migration (``upgrade()``).

Bulk indexing (issue #18): FTS5 writes a segment at every statement savepoint, so the insert trigger only
queues the new row's id in ``articles_fts_queue``; ``flush()``, run by ``storage.connection.write_transaction``
just before COMMIT, makes the queued rows' text in one vectorized pass and inserts it with one executemany
(one segment per transaction), so every write transaction leaves the index complete. Deletes and updates
of a row still queued only touch the queue; rows a writer outside ``write_transaction`` queued are
indexed by the next write transaction or ``search()`` on a writable connection.

unicode61 spent half of FTS5's insert time decoding and folding CJK characters, so articles_fts uses the
``ascii`` tokenizer (non-ASCII characters are token characters, copied as they are) on text in which every
non-ASCII character already is what unicode61 makes of it: itself, its fold (``É`` -> ``e``), nothing
(combining marks) or a separator (``、``, ``・``), a map learnt from SQLite's unicode61 (``storage/fts_tokens.py``).
The index holds unicode61's tokens, and a query phrase reads the same in the attachments' unicode61 index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlite_utils

from storage.connection import add_before_commit, write_transaction
from storage.fts_tokens import (
    TOKENIZE,
    fold_query_word,
    index_text,
    index_texts,
    index_tokens,
    is_cjk,
    read_as_unicode61,
)

__all__ = ["TOKENIZE", "fold_query_word", "index_text", "index_texts", "index_tokens", "is_cjk"]

FTS_TABLE = "articles_fts"
ATTACHMENTS_FTS = "attachments_fts"  # attachment text, same tokens (storage/attachments.py)
TOKENS_FUNCTION = "newsmon_fts_tokens_v2"  # index_text: the text of articles_fts
OLD_TOKENS_FUNCTION = "newsmon_fts_tokens_v1"  # index_tokens, for triggers of a database not yet upgraded
QUERY_FUNCTION = "newsmon_fts_query"
INDEX_TOKENIZE = "ascii"  # articles_fts: reads text already folded as TOKENIZE would (index_text)
AUTOMERGE = 16
FILL_ROWS = 2000  # rows read and indexed at a time by a rebuild
CACHE_KIB = 16_000  # page cache of a connection (SQLite default 2,000)

_NO_MATCH = '""'  # the empty phrase: a query without letters or digits matches nothing

_CREATE = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
    body, title, content='', tokenize='{INDEX_TOKENIZE}'
)"""
QUEUE_TABLE = f"{FTS_TABLE}_queue"
_CREATE_QUEUE = f"CREATE TABLE IF NOT EXISTS {QUEUE_TABLE} (id INTEGER PRIMARY KEY)"
# The token expression of an indexed row; the run-end guard (`fn(NULL) IS NULL`) calls the function, so
# a writer without it still fails loudly on insert instead of queueing rows nobody can index.
_QUEUED = f"EXISTS (SELECT 1 FROM {QUEUE_TABLE} q WHERE q.id = old.id)"
_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON articles
    WHEN new.body_text IS NOT NULL AND {TOKENS_FUNCTION}(NULL) IS NULL BEGIN
        INSERT OR IGNORE INTO {QUEUE_TABLE} (id) VALUES (new.id);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON articles
    WHEN old.body_text IS NOT NULL BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, body)
        SELECT 'delete', old.id, {TOKENS_FUNCTION}(old.title), {TOKENS_FUNCTION}(old.body_text)
        WHERE NOT {_QUEUED};
        DELETE FROM {QUEUE_TABLE} WHERE id = old.id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF id, title, body_text ON articles BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, body)
        SELECT 'delete', old.id, {TOKENS_FUNCTION}(old.title), {TOKENS_FUNCTION}(old.body_text)
        WHERE old.body_text IS NOT NULL AND NOT {_QUEUED};
        DELETE FROM {QUEUE_TABLE} WHERE id = old.id;
        INSERT OR IGNORE INTO {QUEUE_TABLE} (id) SELECT new.id WHERE new.body_text IS NOT NULL;
    END""",
)
TRIGGER_NAMES = tuple(f"{FTS_TABLE}_{s}" for s in ("ai", "ad", "au"))


def _phrase(word: str) -> str | None:
    """FTS5 phrase for one whitespace-free query word: the token sequence its text produces in a document."""
    word = fold_query_word(word)
    if not word:
        return None
    text = index_tokens(word) or ""
    prefix = False
    if is_cjk(word[-1]):
        if len(word) > 1 and is_cjk(word[-2]):
            # A document's run may go on after the query's last character: drop the run-end token.
            text = text.rstrip()[:-1]
        else:
            # A lone last character: any bigram starting with it, or its run-end token.
            prefix = True
    # FTS5 splits the quoted string with the table's tokenizer, exactly as it split the documents; as
    # unicode61 reads it, so that the ascii tokenizer of articles_fts splits it the same way.
    text = read_as_unicode61(text)
    return '"' + text.replace('"', '""') + '"' + ("*" if prefix else "")


def match_expression(query: str | None) -> str:
    """FTS5 MATCH expression for a user query: each whitespace-separated word a bigram phrase, all ANDed."""
    phrases = [p for p in (_phrase(w) for w in (query or "").split()) if p]
    if not phrases:
        return _NO_MATCH
    return " AND ".join(phrases)


def register_functions(conn: sqlite3.Connection) -> None:
    """Register the tokenizing and query-building SQL functions on a connection."""
    conn.create_function(TOKENS_FUNCTION, 1, index_text, deterministic=True)
    conn.create_function(OLD_TOKENS_FUNCTION, 1, index_tokens, deterministic=True)
    conn.create_function(QUERY_FUNCTION, 1, match_expression, deterministic=True)


def setup_connection(conn: sqlite3.Connection) -> None:
    """Make a connection ready for articles: the SQL functions, the queue flushed before each COMMIT, and
    room for the index's writes."""
    register_functions(conn)
    add_before_commit(conn, flush)
    # The queue trigger makes every INSERT into articles keep a statement journal (a page copy of each of
    # its eleven b-trees), which by default spills to a temporary file: ~14 page writes per article. And
    # a transaction's segment and the articles' indexes outgrow the default 2 MB page cache, so pages were
    # read back from the file. Measured by bench/search.py.
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")


def create(db: sqlite_utils.Database, *, backfill: bool = True) -> None:
    """Create the FTS table and its triggers (idempotent); index existing originals when asked."""
    register_functions(db.conn)
    existed = FTS_TABLE in db.table_names()
    db.execute(_CREATE)
    if not existed:
        # Store inserts one row per statement, and FTS5 writes a segment at every statement savepoint,
        # so merges dominate the insert cost; merging 16 segments at a time instead of 4 measured ~35%
        # faster inserts at 10k articles with the same query time (bench/search.py).
        db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('automerge', {AUTOMERGE})")
    db.execute(_CREATE_QUEUE)
    for sql in _TRIGGERS:
        db.execute(sql)
    if backfill and not existed:
        _fill(db.conn)


def use_queue(db: sqlite_utils.Database) -> None:
    """Replace per-row indexing triggers (before issue #18) by the queueing ones; the index is unchanged."""
    if FTS_TABLE not in db.table_names():
        return
    for name in TRIGGER_NAMES:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    create(db, backfill=False)


def flush(conn: sqlite3.Connection) -> int:
    """Index every queued row with one executemany (one FTS5 segment) and empty the queue; rows indexed."""
    try:
        if conn.execute(f"SELECT 1 FROM {QUEUE_TABLE} LIMIT 1").fetchone() is None:
            return 0
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0  # a database not migrated yet (or without the index): nothing to do
        raise
    rows = conn.execute(
        f"SELECT a.id, a.title, a.body_text FROM {QUEUE_TABLE} q JOIN articles a ON a.id = q.id "
        "WHERE a.body_text IS NOT NULL ORDER BY a.id"
    ).fetchall()
    _index(conn, rows)
    conn.execute(f"DELETE FROM {QUEUE_TABLE}")
    return len(rows)


def _index(conn: sqlite3.Connection, rows: Sequence[tuple[int, str | None, str]]) -> None:
    """Add (id, title, body_text) rows to the index: their text made in one pass, inserted by one executemany."""
    texts = index_texts(text for _, title, body in rows for text in (title, body))
    conn.executemany(
        f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (?, ?, ?)",
        [(row[0], texts[2 * i], texts[2 * i + 1]) for i, row in enumerate(rows)],
    )


def drop(db: sqlite_utils.Database) -> None:
    """Remove the FTS table and its triggers (used by the bench to measure without the index)."""
    for name in TRIGGER_NAMES:
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    db.execute(f"DROP TABLE IF EXISTS {QUEUE_TABLE}")


def _fill(conn: sqlite3.Connection) -> None:
    last = 0
    sql = (
        "SELECT id, title, body_text FROM articles WHERE body_text IS NOT NULL AND id > ? ORDER BY id LIMIT ?"
    )
    while rows := conn.execute(sql, (last, FILL_ROWS)).fetchall():
        _index(conn, rows)
        last = rows[-1][0]


def upgrade(db: sqlite_utils.Database) -> None:
    """Re-create an index of the format before the ascii tokenizer (unicode61, v1 triggers) and re-index."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).fetchone()
    if row is None or f"tokenize='{INDEX_TOKENIZE}'" in row[0]:
        return
    drop(db)
    create(db)
    optimize(db)


def rebuild(db: sqlite_utils.Database) -> int:
    """Re-index every original from scratch in one write transaction; return the number indexed."""
    register_functions(db.conn)
    with write_transaction(db) as conn:
        conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')")
        conn.execute(f"DELETE FROM {QUEUE_TABLE}")
        _fill(conn)
        conn.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")
        return int(conn.execute("SELECT count(*) FROM articles WHERE body_text IS NOT NULL").fetchone()[0])


def optimize(db: sqlite_utils.Database) -> None:
    """Merge the index's segments into one (smaller and faster to query; worth it after a bulk load)."""
    db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")


def index_bytes(db: sqlite_utils.Database) -> int:
    """Bytes of the FTS index: pages of all its shadow tables and their indexes (needs dbstat)."""
    shadows = [t for t in db.table_names() if t.startswith(FTS_TABLE + "_")]
    marks = ",".join("?" * len(shadows))
    row = db.conn.execute(
        f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({marks}) OR name IN "
        f"(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks}))",
        [*shadows, *shadows],
    ).fetchone()
    return int(row[0] or 0)


def attachment_matches_sql() -> str:
    """SQL (one `?`: a MATCH expression) of the article ids whose attachments match (storage/attachments.py
    fills that index)."""
    return (
        f"SELECT aa.article_id FROM {ATTACHMENTS_FTS} JOIN article_attachments aa "
        f"ON aa.attachment_id = {ATTACHMENTS_FTS}.rowid WHERE {ATTACHMENTS_FTS} MATCH ?"
    )


def search(db: sqlite_utils.Database, query: str, limit: int = 20) -> list[dict]:
    """Originals whose title or body, or one of whose attachments, contains every word of `query`."""
    _flush_if_writable(db.conn)
    sql = f"""
    SELECT a.id, a.site, a.title, a.published_at, a.source, a.story_id, a.url,
           (SELECT count(*) FROM articles c WHERE c.story_id = a.story_id) AS copies
    FROM articles a
    WHERE a.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?) {{attached}}
    ORDER BY a.published_at DESC, a.id DESC
    LIMIT ?"""
    expr = match_expression(query)
    has_files = db.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (ATTACHMENTS_FTS,)).fetchone()
    attached = f"OR a.id IN ({attachment_matches_sql()})" if has_files else ""
    args = (expr, expr, limit) if has_files else (expr, limit)
    cur = db.conn.execute(sql.replace("{attached}", attached), args)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur]


def _flush_if_writable(conn: sqlite3.Connection) -> None:
    """Index rows a writer outside write_transaction left queued (read-only connections: as they are)."""
    if conn.in_transaction:
        return
    try:
        if conn.execute(f"SELECT 1 FROM {QUEUE_TABLE} LIMIT 1").fetchone() is None:
            return
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return  # read-only, locked or not migrated: search what is indexed
    try:
        flush(conn)
    except sqlite3.OperationalError as exc:
        conn.execute("ROLLBACK")
        if "readonly" in str(exc):  # a mode=ro connection may BEGIN IMMEDIATE; its first write fails
            return
        raise
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
