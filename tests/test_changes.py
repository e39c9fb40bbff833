"""Where people see revisits: `newsmon changes`, export --versions, datasette canned queries, stories."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler import signatures as dedup
from crawler.cli import main
from storage.datasette_meta import QUERIES
from storage.store import Store

BODY = "全市安全生产工作会议今天召开，会议总结了今年以来的安全生产工作，部署下一阶段重点任务。" * 6


def item(
    url: str, body: str, title: str, site: str = "a", published: str = "2023-11-28T09:30:00+08:00"
) -> dict:
    return {"url": url, "site": site, "title": title, "published_at": published, "source": "本网",
            "body_text": body, "content_hash": dedup.content_hash(body), "signature": dedup.signature(body)}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Three articles: a first publisher and its copy (one story), another; one edit, one removal, one restore."""
    path = tmp_path / "news.db"
    with Store(path) as store:
        store.upsert_sites([{"name": "a"}, {"name": "b"}])
        store.save_articles([item("http://a/1", BODY, "安全生产会议召开")])
        store.save_articles([item("http://b/1", BODY + "（责任编辑：王明）", "【转载】安全生产会议召开", "b",
                                  "2023-11-28T12:00:00+08:00")])  # fmt: skip
        store.save_articles(
            [item("http://b/2", "另一篇通知的正文，关于防汛工作的安排。" * 10, "防汛通知", "b")]
        )
        edited = BODY.replace("部署下一阶段", "研究部署下一阶段", 1)
        assert store.save_articles([item("http://b/1", edited, "【转载】安全生产会议召开", "b",
                                         "2023-11-28T12:00:00+08:00")]) == ["updated"]  # fmt: skip
        ids = store.article_ids(["http://a/1", "http://b/2"])
        assert store.record_removal(ids["http://a/1"], "http-404", "http-404: http://a/1", 404)
        assert store.record_removal(ids["http://b/2"], "soft-404", "soft-404: chrome only")
        store.revisit_checked(ids["http://b/2"], None, restore="page answers again")
    return path


def run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.output


def test_changes_lists_edits_removals_and_restores(db: Path) -> None:
    code, out = run("changes", "--db", str(db))
    assert code == 0, out
    lines = out.splitlines()
    assert "edited" in out and "body_text" in out
    assert any(
        "removed" in line and "http-404" in line and " first" in line for line in lines
    )  # the first copy
    assert "restored" in out and "soft-404" in out
    code, out = run("changes", "--db", str(db), "--kind", "removed", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["what"].split(" ")[0] for r in rows} == {"http-404", "soft-404"} and all(
        r["kind"] == "removed" for r in rows
    )
    code, out = run("changes", "--db", str(db), "--kind", "edited", "--diff")
    assert "{+研究+}" in out
    code, out = run("changes", "--db", str(db), "--site", "a", "--json")
    assert {json.loads(line)["site"] for line in out.splitlines()} == {"a"}
    code, out = run("changes", "--db", str(db), "--since", "1h", "--json")
    assert len(out.splitlines()) == 4
    code, out = run("changes", "--db", str(db), "--since", "2099-01-01")
    assert code == 0 and "(no changes match)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "neither a duration"),
        (["--kind", "moved"], "moved"),
        (["--site", "nosuch"], "no site named 'nosuch'"),
    ],
)
def test_changes_bad_input_is_a_clear_error(db: Path, args: list[str], message: str) -> None:
    code, out = run("changes", "--db", str(db), *args)
    assert code == 2 and message in out


def test_export_versions(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "versions.jsonl"
    code, msg = run("export", "--db", str(db), "--versions", "-o", str(out))
    assert code == 0, msg
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(rows) == 1 and rows[0]["url"] == "http://b/1" and "{+研究+}" in rows[0]["diff"]
    assert rows[0]["old_body_text"].startswith("全市安全生产") and "研究部署" not in rows[0]["old_body_text"]
    assert rows[0]["old_story_id"] == rows[0]["new_story_id"]
    code, msg = run("export", "--db", str(db), "--versions", "--all-copies")
    assert code == 2 and "combines only with --site and --since" in msg


def test_canned_queries_and_story_views(db: Path) -> None:
    conn = sqlite3.connect(db)
    for name in ("recently_edited", "removed_articles", "version_diff"):
        sql = QUERIES[name]["sql"]
        params = {p: 1 for p in re.findall(r":(\w+)", sql)}
        got = conn.execute(sql, params).fetchall()
        assert got, name
    removed = conn.execute(QUERIES["removed_articles"]["sql"]).fetchall()
    assert {r[4] for r in removed} == {"http-404", "soft-404"}
    assert conn.execute("SELECT count(*) FROM story_list WHERE first_removed_at IS NOT NULL").fetchone() == (
        1,
    )
    conn.close()
    code, out = run("stories", "--db", str(db))
    assert code == 0 and "[first copy removed" in out
