"""Read-side queries behind the CLI (storage/reads.py) and the demo's refusal to replace a real database."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from crawler.cli import main
from storage import reads
from storage.store import Store
from tests.helpers import art


def _archive(path: Path) -> None:
    with Store(path) as s:
        s.upsert_sites([{"name": "s1", "title": "站一", "config": '{"url": "http://127.0.0.1:1/"}'}])
        s.save_articles([art("http://a/1", source="新华社"), art("http://a/2", body="另一篇正文内容。")])
        s.record_failure(None, "s1", "http://a/3", "http", "404", 404)


def test_archive_stats_counts(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    _archive(db)
    s = reads.archive_stats(db, days=5, top=3)
    assert (s["articles"], s["originals"], s["failures"], s["sites"]) == (2, 2, 1, 1)
    assert s["top_sources"] == [{"source": "新华社", "articles": 1}]
    assert s["per_day"] == [{"day": "2023-11-28", "articles": 2, "stories": 2}]


def test_crawl_outcome_and_site_split(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    _archive(db)
    out = reads.crawl_outcome(db)
    assert set(out["articles"]) == {"http://a/1", "http://a/2"}
    assert out["failures"] == [("http://a/3", "http")]
    assert reads.site_hosts_split(db, "127.0.0.1") == (1, 0)
    assert reads.site_hosts_split(db, "example.gov.cn") == (0, 1)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert reads.site_hosts_split(junk, "127.0.0.1") is None


def test_demo_refuses_to_replace_a_database_with_other_sites(tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    with Store(db) as s:
        s.upsert_sites([{"name": "gov", "title": "政府", "config": '{"url": "https://www.gov.cn/"}'}])
    result = CliRunner().invoke(main, ["demo", "--db", str(db)])
    assert result.exit_code != 0 and "is not a demo database" in result.output
    assert db.exists() and reads.site_hosts_split(db, "gov.cn") == (1, 0)
