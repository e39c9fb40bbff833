"""Keyword watches: matching (agrees with full-text search), config validation, hits once per story, CLI."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.cli import main
from crawler.sites import ConfigError
from crawler.watchconfig import check_regex, load_watches, parse_watches, watch_from_options
from storage import search
from storage import watch_match as M
from storage import watches as W
from storage.db import open_db
from storage.store import Store
from tests.helpers import item, long_body


def matches(
    watch: W.Watch, title: str, body: str = "", site: str = "s1", region: str = ""
) -> list[str] | None:
    found = W.Matcher([watch]).match(title, body, site, region)
    return found[0][1] if found else None


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    with Store(tmp_path / "news.db") as s:
        s.upsert_sites([
            {"name": "s1", "region": "吉林省/长春市"}, {"name": "s2", "region": "吉林省"},
            {"name": "s3", "region": "吉林省/吉林市"}, {"name": "s4", "region": "辽宁省"},
            {"name": "s5", "region": "吉林省/长春市/九台区"}, {"name": "gov", "region": "全国"},
        ])  # fmt: skip
        yield s


# -- matching ------------------------------------------------------------------------------------------


def test_chinese_words_match_without_segmentation() -> None:
    w = W.Watch("w", all_of=("振兴", "东北"))
    assert matches(w, "推动东北全面振兴", "") == ["振兴", "东北"]
    assert matches(w, "标题", "东北地区振兴取得新突破") == ["振兴", "东北"]  # title and body together
    assert matches(w, "振兴乡村", "") is None
    assert matches(W.Watch("w", all_of=("长春市",)), "长春市人民政府") == ["长春市"]
    assert matches(W.Watch("w", all_of=("长春市",)), "长春的市场") is None
    assert matches(W.Watch("w", all_of=("省",)), "吉林省") == ["省"]  # one character: any occurrence


def test_latin_words_and_full_width_forms_fold_like_search() -> None:
    assert matches(W.Watch("w", all_of=("AI",)), "人工智能（AI）产业") == ["AI"]
    assert matches(W.Watch("w", all_of=("AI",)), "he said so") is None  # words, not substrings
    assert matches(W.Watch("w", all_of=("5G",)), "５Ｇ网络建设") == ["5G"]  # full-width folded (NFKC)
    assert matches(W.Watch("w", all_of=("G20峰会",)), "出席G20峰会并讲话") == ["G20峰会"]


def test_any_none_regex_sites_and_regions() -> None:
    w = W.Watch("w", all_of=("振兴",), any_of=("政策", "规划"), none_of=("招聘",))
    assert matches(w, "振兴规划发布") == ["振兴", "规划"]
    assert matches(w, "振兴工作会议") is None  # none of the any-words
    assert matches(w, "振兴规划招聘公告") is None  # excluded word
    rx = W.Watch("w", regex=r"第[一二三]届")
    assert matches(rx, "第二届数字经济论坛") == ["第二届"]
    assert matches(rx, "第五届论坛") is None
    region = W.Watch("w", all_of=("振兴",), regions=("吉林省",))
    assert matches(region, "振兴", site="s1", region="吉林省/长春市") == ["振兴"]
    assert matches(region, "振兴", site="s4", region="辽宁省") is None
    site = W.Watch("w", all_of=("振兴",), sites=("s2",))
    assert matches(site, "振兴", site="s2") == ["振兴"]
    assert matches(site, "振兴", site="s1") is None


def test_matcher_with_many_watches_finds_the_same_as_one_by_one() -> None:
    words = ["振兴", "东北", "长春", "吉林", "安全", "生产", "会议", "乡村", "营商环境", "省"]
    watches = [W.Watch(f"w{i}", all_of=(words[i % 10], words[(i * 3) % 10]), none_of=(words[(i * 7 + 1) % 10],))
               for i in range(40)] + [W.Watch("rx", regex="长春.{0,20}会议"), W.Watch("any", any_of=("乡村", "省"))]  # fmt: skip
    text = "吉林省长春市召开安全生产工作会议，推动东北振兴"
    together = {w.name for w, _ in W.Matcher(watches).match(text, "")}
    alone = {w.name for w in watches if matches(w, text) is not None}
    assert together == alone and "rx" in together and "any" in together


_ALPHABET = "振兴东北长春市省吉林a1B ，。\n㍻５Ｇ"  # ㍻ and full-width forms: folds must agree


@settings(max_examples=300, deadline=None)
@given(
    st.text(_ALPHABET, max_size=40),
    st.text(_ALPHABET.replace(" ", "").replace("\n", ""), min_size=1, max_size=4),
)
def test_matching_agrees_with_full_text_search(text: str, word: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize='{search.TOKENIZE}')")
    conn.execute("INSERT INTO t (rowid, body) VALUES (1, ?)", (search.index_tokens(text),))
    found = conn.execute(
        "SELECT count(*) FROM t WHERE t MATCH ?", (search.match_expression(word),)
    ).fetchone()[0]
    term = W.compile_term(word)
    mine = term is not None and M._Doc("", text).has(term)
    assert mine == bool(found)


# -- configuration --------------------------------------------------------------------------------------

SITES = """
[[site]]
name = "jilin-gov"
region = "吉林省"
sources = [{ kind = "listing", url = "http://127.0.0.1:1/news/" }]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "sites.toml"
    p.write_text(SITES + text, encoding="utf-8")
    return p


def test_config_watches_load(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """
[[watch]]
name = "东北振兴"
all = ["振兴", "东北"]
none = ["招聘"]
regex = "第[一二三]届"
sites = ["jilin-gov"]
regions = ["吉林省"]
notify = ["json://127.0.0.1:9/hook"]
digest = "6h"
max_age = "7d"
""",
    )
    (w,) = load_watches(p)
    assert (w.name, w.all_of, w.none_of, w.digest_seconds, w.max_age_seconds) == (
        "东北振兴", ("振兴", "东北"), ("招聘",), 6 * 3600, 7 * 86400)  # fmt: skip
    assert W.Watch.from_definition(w.name, w.definition()) == w


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name = "a"\nall = ["振兴"]\ncolour = "red"', "watch 'a', key 'colour': unknown key"),
        ('name = "a"', "watch 'a', key 'all': a watch needs words"),
        ('name = "a"\nall = ["，"]', "watch 'a', key 'all': '，' has no letters or digits"),
        ('name = "a"\nregex = "(振兴"', "watch 'a', key 'regex': not a valid regular expression"),
        (
            'name = "a"\nregex = "(\\\\w+)\\\\1"',
            "watch 'a', key 'regex': not a valid regular expression for RE2",
        ),
        (
            'name = "a"\nall = ["振兴"]\nsites = ["nowhere"]',
            "watch 'a', key 'sites': no site named 'nowhere'",
        ),
        (
            'name = "a"\nall = ["振兴"]\nnotify = ["nonsense"]',
            "watch 'a', key 'notify[0]': not a notification URL",
        ),
        (
            'name = "a"\nall = ["振兴"]\ndigest = "often"',
            "watch 'a', key 'digest': 'often' is not a duration",
        ),
        ('all = ["振兴"]', "watch #1, key 'name': required"),
        ('name = "a"\nall = "振兴"\nenabled = "yes"', "watch 'a', key 'enabled': expected true/false"),
    ],
)
def test_config_errors_name_file_watch_and_key(tmp_path: Path, body: str, message: str) -> None:
    p = write(tmp_path, "\n[[watch]]\n" + body + "\n")
    with pytest.raises(ConfigError) as err:
        load_watches(p)
    assert f"{p}: {message}" in str(err.value)


def test_duplicate_names_and_long_regex_are_refused() -> None:
    with pytest.raises(ConfigError, match="duplicate watch name"):
        parse_watches({"watch": [{"name": "a", "all": ["x"]}, {"name": "a", "all": ["y"]}]})
    with pytest.raises(ValueError, match="longer than"):
        check_regex("a" * 400)
    for bad in [r"(a)\1", "(?<=x)y", "(?!a)b"]:
        with pytest.raises(ValueError, match="RE2"):
            check_regex(bad)
    for linear in ["(a+)+", "(a*)*b", r"(\d+){2,}", "(?:x|y+)*"]:  # RE2 runs them in linear time
        assert check_regex(linear) == linear
    assert check_regex(r"第[一二三]届|(十四五)规划") == r"第[一二三]届|(十四五)规划"


def test_command_line_definition_is_validated() -> None:
    with pytest.raises(ConfigError, match="command line: watch 'x', key 'max_age'"):
        watch_from_options("x", all=("振兴",), max_age="soon")


# -- evaluation: once per story -------------------------------------------------------------------------


def test_story_reposted_on_five_sites_gives_one_hit(store: Store) -> None:
    db = store.db
    W.save_watch(db, W.Watch("东北振兴", all_of=("振兴", "东北")))
    body = long_body("推动东北全面振兴")
    store.save_articles([item("http://gov/1", body, site="gov", title="推动东北全面振兴")])
    first = W.evaluate(db)
    assert [(h.watch, h.site) for h in first] == [("东北振兴", "gov")]
    for i, site in enumerate(["s1", "s2", "s3", "s4"]):
        copy = body if i % 2 else body + "\n（来源：中国政府网）"  # exact and near-duplicate reposts
        store.save_articles([item(f"http://{site}/1", copy, site=site, title="【转载】推动东北全面振兴")])
        assert W.evaluate(db) == []
    assert db.conn.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0] == 1
    assert db.conn.execute("SELECT count(*) FROM watch_hits").fetchone()[0] == 1
    # a different story on the same topic is a new hit
    store.save_articles([item("http://s1/2", long_body("东北振兴新闻发布会召开"), site="s1")])
    assert len(W.evaluate(db)) == 1


def test_reposts_in_one_batch_and_exclusions(store: Store) -> None:
    db = store.db
    W.save_watch(db, W.Watch("振兴", all_of=("振兴",), none_of=("招聘",)))
    a, b = long_body("东北振兴"), long_body("振兴人才招聘")
    store.save_articles([item(f"http://s{i}/1", a, site=f"s{i}") for i in range(1, 6)])
    store.save_articles([item(f"http://s{i}/2", b, site=f"s{i}") for i in range(1, 6)])
    hits = W.evaluate(db)
    assert len(hits) == 1 and hits[0].url == "http://s1/1"


def test_region_filter_alerts_once_on_the_first_matching_copy(store: Store) -> None:
    db = store.db
    W.save_watch(db, W.Watch("吉林", all_of=("振兴",), regions=("吉林省",)))
    body = long_body("东北振兴")
    store.save_articles([item("http://gov/1", body, site="gov"), item("http://s4/1", body, site="s4")])
    assert W.evaluate(db) == []  # 全国 and 辽宁省 copies only
    store.save_articles([item("http://s5/1", body, site="s5")])
    assert [h.site for h in W.evaluate(db)] == ["s5"]
    store.save_articles([item("http://s1/1", body, site="s1")])
    assert W.evaluate(db) == []


def test_stories_older_than_the_watch_do_not_alert(store: Store) -> None:
    db = store.db
    old = long_body("东北振兴旧闻")
    store.save_articles([item("http://s1/1", old, site="s1")])
    assert W.evaluate(db) == []  # evaluated without watches
    W.save_watch(db, W.Watch("w", all_of=("振兴",)))
    store.save_articles([item("http://s2/1", old, site="s2")])  # repost of a story from before the watch
    assert W.evaluate(db) == []
    store.save_articles([item("http://s2/2", long_body("振兴新篇章"), site="s2")])
    assert len(W.evaluate(db)) == 1


def test_max_age_skips_backfilled_stories(store: Store) -> None:
    db = store.db
    W.save_watch(db, W.Watch("w", all_of=("振兴",), max_age_seconds=7 * 86400))
    now = datetime(2023, 12, 1, tzinfo=UTC)
    store.save_articles([
        item("http://s1/1", long_body("振兴旧闻"), published="2023-10-01T09:00:00+08:00"),
        item("http://s1/2", long_body("振兴新闻"), published="2023-11-29T09:00:00+08:00"),
    ])  # fmt: skip
    assert [h.url for h in W.evaluate(db, now=now)] == ["http://s1/2"]


def test_migration_starts_after_an_existing_archive(tmp_path: Path) -> None:
    from storage.schema import MIGRATIONS

    path = tmp_path / "old.db"
    with Store(path) as s:
        s.save_articles([item("http://s1/1", long_body("振兴"))])
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_watches'")
    for t in ("watches", "watch_state", "watch_hits", "watch_deliveries"):
        conn.execute(f"DROP TABLE {t}")
    conn.commit()
    conn.close()
    db = open_db(path)
    assert not MIGRATIONS.pending(db)
    assert W.cursor(db) == 1


def test_story_rebuild_does_not_alert_again(store: Store, tmp_path: Path) -> None:
    from crawler.commands.stories import rebuild

    db = store.db
    W.save_watch(db, W.Watch("w", all_of=("振兴",)))
    store.save_articles(
        [item("http://s9/1", long_body("无关新闻")), item("http://s1/1", long_body("东北振兴"))]
    )
    assert len(W.evaluate(db)) == 1
    rebuild(store.path, echo=False)  # renumbers stories
    store.save_articles([item("http://s2/1", long_body("东北振兴"), site="s2")])
    assert W.evaluate(db) == []


def test_sync_config_is_scoped_to_its_file(store: Store) -> None:
    db = store.db
    W.save_watch(db, W.Watch("cli", all_of=("a",)), source="cli")
    a = [W.Watch("one", all_of=("振兴",)), W.Watch("two", all_of=("东北",))]
    assert W.sync_config(db, a, "/etc/a.toml") == {"added": 2, "updated": 0, "removed": 0}
    assert W.sync_config(db, a, "/etc/a.toml") == {"added": 0, "updated": 0, "removed": 0}
    assert W.sync_config(db, [W.Watch("three", all_of=("x",))], "/etc/b.toml")["added"] == 1
    changed = [W.Watch("one", all_of=("振兴", "吉林"))]
    assert W.sync_config(db, changed, "/etc/a.toml") == {"added": 0, "updated": 1, "removed": 1}
    names = {w["name"]: (w["source"], w["watch"].all_of) for w in W.list_watches(db)}
    assert names == {"cli": ("cli", ("a",)), "one": ("config", ("振兴", "吉林")), "three": ("config", ("x",))}


def test_disabled_watches_do_not_match(store: Store) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",), enabled=False))
    store.save_articles([item("http://s1/1", long_body("振兴"))])
    assert W.evaluate(store.db) == []


# -- command line --------------------------------------------------------------------------------------


def test_cli_add_list_test_run_remove(store: Store, tmp_path: Path) -> None:
    db = store.path
    store.save_articles([item("http://s1/1", long_body("东北振兴"), title="东北振兴座谈会"),
                         item("http://s2/1", long_body("振兴人才招聘"), site="s2", title="招聘")])  # fmt: skip
    run = CliRunner().invoke
    nosites = ["--sites", str(tmp_path / "none.toml")]
    r = run(main, ["watch", "test", "振兴 -招聘", "--db", db])
    assert r.exit_code == 0, r.output
    assert "东北振兴座谈会" in r.output and "1 stories match" in r.output
    r = run(main, ["watch", "test", "振兴|吉林", "--site", "s2", "--db", db, "--json"])
    assert json.loads(r.output)["site"] == "s2"
    r = run(main, ["watch", "add", "东北振兴", "--all", "振兴", "--none", "招聘", "--notify", "json://127.0.0.1:9/x",
                   "--digest", "6h", "--db", db])  # fmt: skip
    assert r.exit_code == 0 and "added watch 东北振兴" in r.output
    assert run(main, ["watch", "add", "东北振兴", "--all", "x", "--db", db]).exit_code == 1
    assert run(main, ["watch", "add", "bad", "--regex", r"(a)\1", "--db", db]).exit_code == 2
    r = run(main, ["watch", "list", "--db", db, *nosites[:0]], env={"NEWSMON_SITES": nosites[1]})
    assert "东北振兴  [cli, 0 hits]" in r.output and "digest: 6h" in r.output
    store.save_articles([item("http://s1/2", long_body("振兴发展"), title="振兴发展")])
    r = run(main, ["watch", "run", "--no-notify", "--db", db], env={"NEWSMON_SITES": nosites[1]})
    assert r.exit_code == 0 and "hits: 2" in r.output, r.output  # stored before the watch, not evaluated yet
    r = run(main, ["watch", "hits", "--db", db])
    assert "振兴发展" in r.output and "pending" in r.output
    assert run(main, ["watch", "remove", "东北振兴", "--db", db]).exit_code == 0
    assert run(main, ["watch", "remove", "东北振兴", "--db", db]).exit_code == 1
    assert db_count(db, "watch_hits") == 2  # hits outlive their watch


def test_cli_config_watches_sync_and_cannot_be_removed_from_cli(store: Store, tmp_path: Path) -> None:
    p = write(tmp_path, '\n[[watch]]\nname = "cfg"\nall = ["振兴"]\n')
    run = CliRunner().invoke
    r = run(main, ["watch", "list", "--sites", str(p), "--db", store.path])
    assert "cfg  [config, 0 hits]" in r.output
    r = run(main, ["watch", "remove", "cfg", "--db", store.path])
    assert r.exit_code == 1 and "sites.toml; remove it there" in r.output
    assert (
        run(main, ["watch", "run", "--sites", str(tmp_path / "missing.toml"), "--db", store.path]).exit_code
        == 2
    )


def test_every_watch_command_has_an_example() -> None:
    group = main.commands["watch"]
    assert "Example:" in (group.help or "")
    for name, cmd in group.commands.items():
        assert "Example:" in (cmd.help or ""), name


def db_count(path: str, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_canned_query_runs(store: Store) -> None:
    W.save_watch(store.db, W.Watch("w", all_of=("振兴",)))
    store.save_articles([item("http://s1/1", long_body("振兴"))])
    W.evaluate(store.db)
    sql = W.CANNED_QUERIES["watch_hits_last_7_days"]["sql"]
    rows = store.db.conn.execute(sql, {"watch": ""}).fetchall()
    assert len(rows) == 1 and rows[0][1] == "w"
    assert store.db.conn.execute(sql, {"watch": "other"}).fetchall() == []


def test_two_processes_evaluating_at_once_record_one_hit(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    with Store(path) as s:
        W.save_watch(s.db, W.Watch("w", all_of=("振兴",)))
        s.save_articles([item(f"http://s{i}/1", long_body("振兴"), site=f"s{i}") for i in range(5)])
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(len(W.evaluate(open_db(path))))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 0, 0, 1]


_ = timedelta


# -- the crawl hook (crawler/extensions.py) --------------------------------------------------------------


def test_crawl_hook_syncs_config_records_hits_and_sets_stats(store: Store, tmp_path: Path) -> None:
    from scrapy.utils.test import get_crawler

    from crawler.extensions import RunRecorder

    config = write(tmp_path, '\n[[watch]]\nname = "cfg"\nall = ["振兴"]\n')
    store.save_articles([item("http://s1/1", long_body("东北振兴"))])
    crawler = get_crawler(settings_dict={"NEWSMON_DB": store.path})
    crawler.stats.open_spider(None)
    RunRecorder(crawler)._run_watches(store, str(config))
    assert crawler.stats.get_value("newsmon/watch/hits") == 1
    assert crawler.stats.get_value("newsmon/watch/added") == 1


def test_crawl_hook_failure_is_logged_and_never_raised(store: Store, tmp_path: Path, caplog) -> None:  # noqa: ANN001
    from scrapy.utils.test import get_crawler

    from crawler.extensions import RunRecorder

    bad = write(tmp_path, '\n[[watch]]\nname = "cfg"\nregex = "(?=a)b"\n')
    crawler = get_crawler(settings_dict={"NEWSMON_DB": store.path})
    RunRecorder(crawler)._run_watches(store, str(bad))  # does not raise
    assert "keyword watches failed" in caplog.text and "RE2" in caplog.text
