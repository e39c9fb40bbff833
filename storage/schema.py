"""The newsmon schema, created and changed only here, as ordered sqlite-utils migrations."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

MIGRATIONS = Migrations("newsmon")


@MIGRATIONS()
def m001_core(db: sqlite_utils.Database) -> None:
    """Sites, articles, stories, versions, runs, failures, source validators."""
    db["sites"].create(
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
    db["stories"].create(
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
    db["articles"].create(
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
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["site", "published_at"])
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["story_id"])
    db["article_versions"].create(
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
    db["article_versions"].create_index(["article_id"])
    db["runs"].create(
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
    db["runs"].create_index(["site", "started_at"])
    db["runs"].create_index(["status"])
    db["failures"].create(
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
    db["failures"].create_index(["run_id"])
    db["failures"].create_index(["created_at"])
    db["source_state"].create(
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
    db["dedup_state"].create({"name": str, "value": str}, pk="name", if_not_exists=True)
    db["articles"].create_index(["duplicate_of"], if_not_exists=True)
    db["stories"].create_index(["first_site"], if_not_exists=True)
    db["stories"].create_index(["size"], if_not_exists=True)
