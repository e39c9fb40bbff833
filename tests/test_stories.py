"""Story clustering through Store.save_articles: demo reposts, first publisher, re-crawls, rebuild, CLI."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.dedup_gen import Gen, labelled_corpus  # noqa: E402
from crawler import signatures as dedup
from crawler.cli import main
from crawler.commands.stories import rebuild
from storage import stories
from storage.store import Store


def item(url: str, body: str, *, site: str = "s", published: str | None = None, source: str | None = None,
         title: str = "标题") -> dict:  # fmt: skip
    return {
        "url": url, "site": site, "title": title, "published_at": published, "source": source,
        "body_text": body, "content_hash": dedup.content_hash(body), "signature": dedup.signature(body),
    }  # fmt: skip


def partition(store: Store) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for url, sid in store.db.conn.execute("SELECT url, story_id FROM articles"):
        groups.setdefault(sid, set()).add(url)
    return {frozenset(g) for g in groups.values()}


def firsts(store: Store) -> dict[frozenset[str], str]:
    """Each story's member set -> its first article's URL."""
    out = {}
    for sid, first in store.db.conn.execute("SELECT id, first_article_id FROM stories"):
        urls = frozenset(
            r[0] for r in store.db.conn.execute("SELECT url FROM articles WHERE story_id = ?", (sid,))
        )
        out[urls] = store.db.conn.execute("SELECT url FROM articles WHERE id = ?", (first,)).fetchone()[0]
    return out


def story_rows(store: Store) -> list[tuple]:
    return store.db.conn.execute(
        "SELECT id, first_article_id, first_site, first_published_at, claimed_origin, title, size "
        "FROM stories ORDER BY id"
    ).fetchall()


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    with Store(tmp_path / "news.db") as s:
        yield s


@pytest.fixture(scope="module")
def demo_truth() -> dict:
    from demo.world import build_world

    return build_world(seed=7, scale=2).truth()


def test_demo_reposts_are_one_story_with_the_right_first_publisher(store: Store, demo_truth: dict) -> None:
    arts = list(demo_truth["articles"])
    random.Random(1).shuffle(arts)  # crawl order is not publish order: reposts often arrive first
    for i in range(0, len(arts), 20):
        store.save_articles([
            item(a["url"], a["body_text"], site=a["site"], published=a["published_at"], source=a["source"],
                 title=a["title"])
            for a in arts[i : i + 20]
        ])  # fmt: skip
    conn = store.db.conn
    story_of = dict(conn.execute("SELECT url, story_id FROM articles"))
    reposted = [s for s in demo_truth["stories"].values() if len(s["urls"]) > 1]
    assert reposted
    for s in reposted:
        assert len({story_of[u] for u in s["urls"]}) == 1, s["urls"]
        sid = story_of[s["first_url"]]
        first_url, size = conn.execute(
            "SELECT a.url, s.size FROM stories s JOIN articles a ON a.id = s.first_article_id WHERE s.id = ?",
            (sid,),
        ).fetchone()
        assert first_url == s["first_url"]
        assert size == len(s["urls"])
    # everything else stays apart, hard negatives included
    assert len(set(story_of.values())) == len(demo_truth["stories"])
    for neg in demo_truth["hard_negatives"]:
        assert story_of[neg["a"]] != story_of[neg["b"]], neg["why"]


def test_exact_copy_joins_without_storing_body(store: Store) -> None:
    body = "\n".join(Gen(1).news()[1])
    store.save_articles([item("http://a/1", body, site="a"), item("http://b/1", body, site="b")])
    rows = store.db.conn.execute(
        "SELECT story_id, duplicate_of, body_text IS NULL FROM articles ORDER BY id"
    ).fetchall()
    assert rows[0][0] == rows[1][0] and rows[1][1] is not None and rows[1][2] == 1
    assert story_rows(store)[0][6] == 2


def test_first_publisher_ties_missing_times_and_late_originals(store: Store) -> None:
    g = Gen(2)
    paras = g.news(6)[1]
    body = "\n".join(paras)
    repost = "\n".join(["来源：长春市人民政府", *paras, "（责任编辑：张三）"])
    repost2 = "\n".join([*paras[:2], *paras[3:]])
    # a repost with no time, then one at 10:00, then the original at 09:00 arrives last
    store.save_articles([item("http://c/1", repost, site="c", published=None, source="长春市人民政府")])
    store.save_articles([item("http://b/1", repost2, site="b", published="2024-05-01T10:00:00+08:00",
                              source="长春市人民政府")])  # fmt: skip
    (row,) = story_rows(store)
    assert row[2] == "b"  # a known time beats a missing one
    store.save_articles([item("http://a/1", body, site="a", published="2024-05-01T01:00:00Z", source="本网")])
    (row,) = story_rows(store)
    assert (row[2], row[3], row[6]) == ("a", "2024-05-01T01:00:00Z", 3)  # 09:00+08:00, strictly earlier
    assert row[4] == "长春市人民政府"  # the 来源 most copies name
    # a tie at the same minute does not flip the representative
    store.save_articles(
        [item("http://d/1", body + "\n分享到：微信", site="d", published="2024-05-01T09:00:00+08:00")]
    )
    assert story_rows(store)[0][2] == "a"


def test_recrawl_changes_nothing(store: Store) -> None:
    arts = labelled_corpus(seed=3, n_news=40)
    items = [item(a.url, a.body_text, site=a.site, published=a.published_at, source=a.source) for a in arts]
    store.save_articles(items)
    before, parts = story_rows(store), partition(store)
    random.Random(0).shuffle(items)
    outcomes = store.save_articles(items)
    assert set(outcomes) == {"unchanged"}
    assert story_rows(store) == before and partition(store) == parts


def test_changed_content_moves_only_when_it_is_another_story(store: Store) -> None:
    g = Gen(4)
    a, b = "\n".join(g.news(6)[1]), "\n".join(g.news(6)[1])
    store.save_articles(
        [item("http://x/1", a, site="x"), item("http://y/1", a + "\n（责任编辑：王丹）", site="y")]
    )
    (sid,) = {r[0] for r in store.db.conn.execute("SELECT story_id FROM articles")}
    # a small correction keeps the article in its story
    assert store.save_articles([item("http://y/1", a + "\n（责任编辑：刘畅）", site="y")]) == ["updated"]
    assert {r[0] for r in store.db.conn.execute("SELECT story_id FROM articles")} == {sid}
    # the URL now carries a different story: it leaves, and the old story shrinks
    store.save_articles([item("http://y/1", b, site="y")])
    ids = dict(store.db.conn.execute("SELECT url, story_id FROM articles"))
    assert ids["http://x/1"] == sid and ids["http://y/1"] != sid
    assert store.db.conn.execute("SELECT size FROM stories WHERE id = ?", (sid,)).fetchone()[0] == 1


def test_rebuild_gives_the_incremental_clustering_and_resumes(tmp_path: Path) -> None:
    arts = labelled_corpus(seed=5, n_news=120)
    path = tmp_path / "news.db"
    with Store(path) as store:
        for i in range(0, len(arts), 25):
            store.save_articles([item(a.url, a.body_text, site=a.site, published=a.published_at, source=a.source)
                                 for a in arts[i : i + 25]])  # fmt: skip
        incremental, incremental_firsts = partition(store), firsts(store)
        truth: dict[str, set[str]] = {}
        for a in arts:
            truth.setdefault(a.story, set()).add(a.url)
        assert len(incremental) >= len(truth) * 0.97
    rebuild(str(path), chunk=100, echo=False)
    with Store(path) as store:
        assert partition(store) == incremental
        assert firsts(store) == incremental_firsts
        # a rebuild killed after two chunks resumes where it stopped
        conn = store.db.conn
        conn.execute("BEGIN IMMEDIATE")
        state = stories.start_rebuild(conn)
        ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id LIMIT 200")]
        state = stories.rebuild_chunk(conn, state, ids[:100])
        state = stories.rebuild_chunk(conn, state, ids[100:])
        conn.execute("COMMIT")
        # articles crawled meanwhile wait for the rebuild
        late = "\n".join(Gen(99).news()[1])
        store.save_articles([item("http://late/1", late, site="late")])
        assert conn.execute("SELECT story_id FROM articles WHERE url = 'http://late/1'").fetchone()[0] is None
    rebuild(str(path), chunk=150, echo=False)
    with Store(path) as store:
        assert partition(store) == incremental | {frozenset({"http://late/1"})}
        assert stories.rebuild_state(store.db.conn) is None
        assert stories.stored_params(store.db.conn) == stories.PARAMS


def test_band_lookup_uses_the_primary_key(store: Store) -> None:
    plan = store.db.conn.execute(
        "EXPLAIN QUERY PLAN " + stories._KEY_ARM.format(cap=stories.KEY_POSTINGS_MAX), (1,)
    ).fetchall()
    text = " ".join(str(r[-1]) for r in plan)
    assert "USING PRIMARY KEY (key=?)" in text and "SCAN dedup_bands" not in text


def test_cli_stories_and_dedup(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    g = Gen(6)
    paras = g.news(5)[1]
    with Store(path) as store:
        store.save_articles([
            item("http://a/1", "\n".join(paras), site="gov-a", published="2024-05-01T09:00:00+08:00",
                 title="长春市部署优化营商环境工作"),
            item("http://b/1", "\n".join([*paras, "（责任编辑：张三）"]), site="gov-b",
                 published="2024-05-02T09:00:00+08:00", source="gov-a", title="转载：长春市部署优化营商环境工作"),
            item("http://c/1", "\n".join(g.news(5)[1]), site="gov-c", title="另一条新闻"),
        ])  # fmt: skip
    runner = CliRunner()
    res = runner.invoke(main, ["stories", "--db", str(path), "--min-copies", "2"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split()[:3] == ["story", "copies", "first"]
    assert len(lines) == 2 and "gov-a" in lines[1] and "2024-05-01T09:00:00+08:00" in lines[1]
    assert "长春市部署优化营商环境工作" in lines[1]
    res = runner.invoke(main, ["stories", "--db", str(path), "--site", "gov-c"])
    assert "另一条新闻" in res.output and "营商环境" not in res.output
    res = runner.invoke(main, ["stories", "--db", str(path), "--json"])
    assert res.exit_code == 0 and res.output.count("\n") == 2
    res = runner.invoke(main, ["dedup", "--db", str(path)])
    assert res.exit_code == 0 and "stories: 2 (1 with more than one copy)" in res.output
    res = runner.invoke(main, ["dedup", "--rebuild", "--db", str(path)])
    assert res.exit_code == 0 and "rebuild finished: 2 stories" in res.output
    for cmd in ("stories", "dedup"):
        assert "Example:" in runner.invoke(main, [cmd, "--help"]).output


def test_a_copy_that_inherits_the_body_is_found_by_later_reposts(store: Store) -> None:
    """When the first copy's content changes, its exact copy takes the old body and joins the candidate index,
    so a later edited repost of the old body still finds that story."""
    g = Gen(9)
    old, new = "\n".join(g.news(6)[1]), "\n".join(g.news(6)[1])
    store.save_articles([item("http://x/1", old, site="x"), item("http://y/1", old, site="y")])
    (sid,) = {r[0] for r in store.db.conn.execute("SELECT story_id FROM articles")}
    store.save_articles([item("http://x/1", new, site="x")])  # x's page now carries another story
    heir = store.db.conn.execute("SELECT id FROM articles WHERE url = 'http://y/1'").fetchone()[0]
    assert store.db.conn.execute("SELECT count(*) FROM dedup_bands WHERE article_id = ?", (heir,)).fetchone()[
        0
    ]
    store.save_articles([item("http://z/1", old + "\n（责任编辑：王丹）", site="z")])
    ids = dict(store.db.conn.execute("SELECT url, story_id FROM articles"))
    assert ids["http://z/1"] == ids["http://y/1"] == sid
