"""Document fields stored, migrated onto an older archive, exported and described for datasette."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner

from crawler.cli import main
from crawler.extract import extract_article
from crawler.signatures import content_hash, signature
from storage.datasette_meta import ARTICLE_COLUMNS, QUERIES
from storage.db import open_db
from storage.schema import GOVDOC_COLUMNS, MIGRATIONS
from storage.store import Store
from tests.govdoc_pages import FORMS, Record, page

R = Record()
URL = "http://127.0.0.1:8001/zwgk/art/2024/3/5/art_1_123.html"


def _item() -> dict:
    d = extract_article(page(FORMS["cells_two_pairs_per_row"](R), R), URL).to_dict()
    fields = ("title", "published_at", "source", "author", "body_text", *GOVDOC_COLUMNS)
    return {"url": URL, "site": "qs-gov", **{k: d[k] for k in fields},
            "content_hash": content_hash(d["body_text"]), "signature": signature(d["body_text"])}  # fmt: skip


def test_extracted_fields_are_stored_and_exported(tmp_path: Path) -> None:
    db_path = tmp_path / "news.db"
    with Store(db_path) as store:
        store.upsert_sites(
            [{"name": "qs-gov", "title": "青石省人民政府", "region": "青石省", "level": "province"}]
        )
        store.save_articles([_item()])
    row = next(sqlite_utils.Database(db_path).query("SELECT * FROM articles"))
    assert {k: row[k] for k in GOVDOC_COLUMNS} == {
        "doc_number": R.doc_number, "index_number": R.index_number, "issuer": R.issuer,
        "written_at": R.written_at, "subject": R.subject, "validity": R.validity,
    }  # fmt: skip
    assert row["source"] == R.issuer
    out = CliRunner().invoke(main, ["export", "--db", str(db_path), "-f", "jsonl", "--all-copies"])
    assert out.exit_code == 0, out.output
    rec = json.loads(out.output.splitlines()[0])
    assert (rec["doc_number"], rec["issuer"], rec["written_at"]) == (R.doc_number, R.issuer, R.written_at)
    out = CliRunner().invoke(
        main, ["export", "--db", str(db_path), "-f", "csv", "--fields", "title,doc_number"]
    )
    assert out.output.splitlines()[1] == f"{R.title},{R.doc_number}"


def test_migration_adds_the_columns_to_an_older_archive(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    MIGRATIONS.apply(db, stop_before="m008_govdoc_fields")
    db["articles"].insert({"url": "http://127.0.0.1/a.html", "site": "s", "title": "旧文章"})
    assert "doc_number" not in db["articles"].columns_dict
    db.close()
    db = open_db(path)  # applies what is pending
    cols = db["articles"].columns_dict
    assert all(c in cols for c in GOVDOC_COLUMNS)
    assert next(db.query("SELECT title, doc_number FROM articles")) == {"title": "旧文章", "doc_number": None}


def test_datasette_metadata_describes_the_fields_and_the_documents_query(tmp_path: Path) -> None:
    assert all(c in ARTICLE_COLUMNS for c in GOVDOC_COLUMNS)
    db_path = tmp_path / "news.db"
    with Store(db_path) as store:
        store.save_articles([_item()])
    db = sqlite_utils.Database(db_path)
    rows = list(db.query(QUERIES["documents"]["sql"], {"issuer": R.issuer}))
    assert [r["doc_number"] for r in rows] == [R.doc_number]
    assert list(db.query(QUERIES["documents"]["sql"], {"issuer": "别的机关"})) == []
    assert len(list(db.query(QUERIES["documents"]["sql"], {"issuer": ""}))) == 1
