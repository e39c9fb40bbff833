"""The newsmon schema, created and changed only here, as ordered sqlite-utils migrations."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from storage import attachments, search, views

MIGRATIONS = Migrations("newsmon")


@MIGRATIONS()
def m001_core(db: sqlite_utils.Database) -> None:
    """Sites, articles, stories, versions, runs, failures, source validators."""
    db.table("sites").create(
        {
            "name": str,
            "title": str,
            "region": str,
            "level": str,
            "config_hash": str,
            "config": str,
            "updated_at": str,
        },
        pk="name",
    )
    db.table("stories").create(
        {
            "id": int,
            "first_article_id": int,
            "first_site": str,
            "first_published_at": str,
            "claimed_origin": str,
            "title": str,
            "size": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db.table("articles").create(
        {
            "id": int,
            "url": str,
            "site": str,
            "original_url": str,
            "title": str,
            "published_at": str,
            "source": str,
            "author": str,
            "column_name": str,
            "site_name": str,
            "keywords": str,
            "description": str,
            "body_text": str,
            "body_html": str,
            "images": str,
            "attachments": str,
            "content_hash": str,
            "signature": bytes,
            "story_id": int,
            "duplicate_of": int,
            "provenance": str,
            "encoding": str,
            "http_etag": str,
            "http_last_modified": str,
            "fetched_at": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "run_id": int,
        },
        pk="id",
        not_null={"url", "site"},
    )
    db.table("articles").create_index(["url"], unique=True)
    db.table("articles").create_index(["site", "published_at"])
    db.table("articles").create_index(["published_at"])
    db.table("articles").create_index(["content_hash"])
    db.table("articles").create_index(["story_id"])
    db.table("article_versions").create(
        {
            "id": int,
            "article_id": int,
            "content_hash": str,
            "title": str,
            "body_text": str,
            "published_at": str,
            "seen_at": str,
        },
        pk="id",
    )
    db.table("article_versions").create_index(["article_id"])
    db.table("runs").create(
        {
            "id": int,
            "site": str,
            "pid": int,
            "host": str,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "reason": str,
            "pages": int,
            "list_pages": int,
            "links_found": int,
            "new_items": int,
            "duplicate_items": int,
            "updated_items": int,
            "failures": int,
            "stats": str,
        },
        pk="id",
    )
    db.table("runs").create_index(["site", "started_at"])
    db.table("runs").create_index(["status"])
    db.table("failures").create(
        {
            "id": int,
            "run_id": int,
            "site": str,
            "url": str,
            "kind": str,
            "http_status": int,
            "detail": str,
            "created_at": str,
        },
        pk="id",
    )
    db.table("failures").create_index(["run_id"])
    db.table("failures").create_index(["created_at"])
    db.table("source_state").create(
        {
            "url": str,
            "site": str,
            "etag": str,
            "last_modified": str,
            "last_status": int,
            "last_fetched_at": str,
        },
        pk="url",
    )


@MIGRATIONS()
def m002_dedup_index(db: sqlite_utils.Database) -> None:
    """Near-duplicate candidate index (LSH band keys) and dedup bookkeeping (rebuild progress, params)."""
    # One row per (band key, article); the band number is mixed into the 47-bit key, so a row is two
    # small integers and a lookup is one primary-key probe per band.
    db.execute(
        "CREATE TABLE IF NOT EXISTS dedup_bands (key INTEGER NOT NULL, article_id INTEGER NOT NULL, "
        "PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )
    db.table("dedup_state").create({"name": str, "value": str}, pk="name", if_not_exists=True)
    db.table("articles").create_index(["duplicate_of"], if_not_exists=True)
    db.table("stories").create_index(["first_site"], if_not_exists=True)
    db.table("stories").create_index(["size"], if_not_exists=True)


@MIGRATIONS()
def m003_fulltext(db: sqlite_utils.Database) -> None:
    """Chinese full-text index over title and body (storage/search.py) and the browsing views."""
    search.create(db)
    views.create_views(db)


@MIGRATIONS()
def m004_robots_cache(db: sqlite_utils.Database) -> None:
    """robots.txt kept between runs (an unchanged site costs one request per source); failures by URL."""
    db.table("robots_cache").create(
        {"netloc": str, "status": int, "body": bytes, "fetched_at": str},
        pk="netloc",
    )
    db.table("failures").create_index(["url"])
    db.table("redirects").create({"url": str, "target": str, "seen_at": str}, pk="url")


@MIGRATIONS()
def m005_watches(db: sqlite_utils.Database) -> None:
    """Keyword watches (issue #10): definitions, evaluation cursor, hits, notification deliveries."""
    # One statement per execute: executescript() would COMMIT the migration's transaction.
    for sql in (
        """CREATE TABLE IF NOT EXISTS watches (
        name TEXT PRIMARY KEY, definition TEXT NOT NULL, source TEXT NOT NULL, config_path TEXT,
        enabled INTEGER NOT NULL DEFAULT 1, since_article_id INTEGER NOT NULL DEFAULT 0,
        created_at TEXT, updated_at TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS watch_state (name TEXT PRIMARY KEY, value TEXT)""",
        """CREATE TABLE IF NOT EXISTS watch_hits (
        id INTEGER PRIMARY KEY, watch TEXT NOT NULL, story_id INTEGER, article_id INTEGER NOT NULL,
        site TEXT, title TEXT, url TEXT, published_at TEXT, matched TEXT, created_at TEXT NOT NULL,
        UNIQUE (watch, article_id)
        )""",
        """CREATE INDEX IF NOT EXISTS idx_watch_hits_article_id ON watch_hits (article_id)""",
        """CREATE INDEX IF NOT EXISTS idx_watch_hits_created_at ON watch_hits (created_at)""",
        """CREATE TABLE IF NOT EXISTS watch_deliveries (
        id INTEGER PRIMARY KEY, hit_id INTEGER NOT NULL REFERENCES watch_hits (id), watch TEXT NOT NULL,
        target TEXT NOT NULL, target_label TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, next_attempt_at TEXT, sent_at TEXT, created_at TEXT,
        UNIQUE (hit_id, target)
        )""",
        """CREATE INDEX IF NOT EXISTS idx_watch_deliveries_due ON watch_deliveries (status, next_attempt_at)""",
        """CREATE INDEX IF NOT EXISTS idx_watch_deliveries_target ON watch_deliveries (watch, target, sent_at)""",
    ):
        db.execute(sql)
    # An archive that predates watches is not alerted on: evaluation starts after its last article.
    db.execute(
        "INSERT OR IGNORE INTO watch_state (name, value) SELECT 'cursor', coalesce(max(id), 0) FROM articles"
    )


@MIGRATIONS()
def m006_source_complete(db: sqlite_utils.Database) -> None:
    """source_state.complete: the last run walked this source to its end (early stop may be trusted)."""
    db.execute("ALTER TABLE source_state ADD COLUMN complete INTEGER NOT NULL DEFAULT 0")


@MIGRATIONS()
def m007_fulltext_queue(db: sqlite_utils.Database) -> None:
    """Full-text index written per transaction from a queue of new rows, not per row (issue #18)."""
    search.use_queue(db)


# The 政府信息公开 record of an official document (crawler/extract/govdoc.py); written_at is an ISO date.
GOVDOC_COLUMNS = ("doc_number", "index_number", "issuer", "written_at", "subject", "validity")


@MIGRATIONS()
def m008_govdoc_fields(db: sqlite_utils.Database) -> None:
    """Document metadata of government pages: 发文字号, 索引号, 发文机关, 成文日期, 主题分类, 有效性."""
    existing = set(db.table("articles").columns_dict)
    for column in GOVDOC_COLUMNS:
        if column not in existing:
            db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT")
    db.table("articles").create_index(["issuer"], if_not_exists=True)
    db.table("articles").create_index(["doc_number"], if_not_exists=True)


@MIGRATIONS()
def m009_revisits(db: sqlite_utils.Database) -> None:
    """Revisits (issue #17): when each article is checked again, its edits (versions with diffs), removals."""
    articles = db.table("articles")
    for column, kind in (
        ("next_revisit_at", str),
        ("revisit_count", int),
        ("last_checked_at", str),
        ("removed_at", str),
    ):
        if column not in articles.columns_dict:
            articles.add_column(column, kind)
    # picking a site's due revisits, oldest due first, is one range scan of this index
    articles.create_index(["site", "next_revisit_at"], if_not_exists=True)
    articles.create_index(["removed_at"], if_not_exists=True)
    # an archive older than revisits is checked once more (oldest first, within each run's budget)
    db.execute("UPDATE articles SET next_revisit_at = first_seen_at WHERE next_revisit_at IS NULL")
    versions = db.table("article_versions")
    for column, kind in (
        ("source", str),
        ("fields", str),  # the edited fields' old values (JSON), document metadata included
        ("changed", str),  # comma-separated names of the fields that changed
        ("diff", str),
        ("old_story_id", int),
        ("new_story_id", int),
        ("run_id", int),
    ):
        if column not in versions.columns_dict:
            versions.add_column(column, kind)
    versions.create_index(["seen_at"], if_not_exists=True)
    for sql in (
        """CREATE TABLE IF NOT EXISTS removals (
        id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL, site TEXT, removed_at TEXT NOT NULL,
        evidence TEXT NOT NULL, detail TEXT, http_status INTEGER, run_id INTEGER,
        restored_at TEXT, restored_evidence TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS idx_removals_article_id ON removals (article_id)",
        "CREATE INDEX IF NOT EXISTS idx_removals_removed_at ON removals (removed_at)",
        # a list page's links at its last parse, to notice an article dropping out while its neighbours stay
        """CREATE TABLE IF NOT EXISTS list_snapshots (url TEXT PRIMARY KEY, site TEXT, links TEXT NOT NULL,
        seen_at TEXT)""",
        # unspent revisit budget per site (a fraction of a request carried to the next run)
        "CREATE TABLE IF NOT EXISTS revisit_credit (site TEXT PRIMARY KEY, credit REAL NOT NULL DEFAULT 0)",
    ):
        db.execute(sql)


@MIGRATIONS()
def m010_site_template(db: sqlite_utils.Database) -> None:
    """Per-site template memory: page counts of line keys (storage/templates.py)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS site_template (site TEXT NOT NULL, key TEXT NOT NULL, "
        "pages INTEGER NOT NULL, seen_at TEXT, PRIMARY KEY (site, key)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS site_template_pages (site TEXT NOT NULL, url TEXT NOT NULL, "
        "seen_at TEXT, PRIMARY KEY (site, url)) WITHOUT ROWID"
    )


@MIGRATIONS()
def m011_watch_events(db: sqlite_utils.Database) -> None:
    """watch_hits.event/event_id: a watch may also alert on an edit or a removal of a matching story (#17).

    The UNIQUE (watch, article_id) of watch_hits becomes (watch, article_id, event, event_id), which SQLite
    can only do by building the table again; watch_deliveries refers to it, so both are copied and rebuilt
    (children dropped first, so no foreign key ever points at a missing row).
    """
    if "event" in db.table("watch_hits").columns_dict:
        return
    deliveries = [
        r[0]
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'watch_deliveries' AND sql IS NOT NULL "
            "ORDER BY type = 'index', name"
        ).fetchall()
    ]
    hit_cols = "id, watch, story_id, article_id, site, title, url, published_at, matched, created_at"
    for sql in (
        "CREATE TABLE _watch_hits_old AS SELECT * FROM watch_hits",
        "CREATE TABLE _watch_deliveries_old AS SELECT * FROM watch_deliveries",
        "DROP TABLE watch_deliveries",
        "DROP TABLE watch_hits",
        """CREATE TABLE watch_hits (
        id INTEGER PRIMARY KEY, watch TEXT NOT NULL, story_id INTEGER, article_id INTEGER NOT NULL,
        site TEXT, title TEXT, url TEXT, published_at TEXT, matched TEXT, created_at TEXT NOT NULL,
        event TEXT NOT NULL DEFAULT 'new', event_id INTEGER NOT NULL DEFAULT 0,
        UNIQUE (watch, article_id, event, event_id)
        )""",
        f"INSERT INTO watch_hits ({hit_cols}) SELECT {hit_cols} FROM _watch_hits_old",
        "CREATE INDEX IF NOT EXISTS idx_watch_hits_article_id ON watch_hits (article_id)",
        "CREATE INDEX IF NOT EXISTS idx_watch_hits_created_at ON watch_hits (created_at)",
        *deliveries,
        "INSERT INTO watch_deliveries SELECT * FROM _watch_deliveries_old",
        "DROP TABLE _watch_hits_old",
        "DROP TABLE _watch_deliveries_old",
        # edits and removals stored before this are not alerted on
        "INSERT OR IGNORE INTO watch_state (name, value) SELECT 'version_cursor', coalesce(max(id), 0) "
        "FROM article_versions",
        "INSERT OR IGNORE INTO watch_state (name, value) SELECT 'removal_cursor', coalesce(max(id), 0) FROM removals",
    ):
        db.execute(sql)


@MIGRATIONS()
def m012_attachments_text(db: sqlite_utils.Database) -> None:
    """Attached documents once per content hash, linked to articles, with their own full-text index (#16)."""
    attachments.create(db)


@MIGRATIONS()
def m013_fulltext_ascii(db: sqlite_utils.Database) -> None:
    """articles_fts read by the ascii tokenizer from text folded as unicode61 would (storage/search.py): the
    same tokens, indexed twice as fast (issue #18); the index is re-created and every original re-indexed."""
    search.upgrade(db)
