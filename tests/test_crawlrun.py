"""A site run's rules, in-process (crawler/crawlrun.py): no Scrapy, no server, no database.

Each rule here is the one both the local spider and the cluster spider apply; the archive is a dict-backed
`Lookups` and the stats a Counter.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from crawler.canonical import canonicalize_url
from crawler.crawlrun import SiteRun, given_up, validators_to_save

SRC = "http://127.0.0.1:1/col/index.html"
OTHER = "http://127.0.0.1:1/feed.xml"


class Archive:
    """Known canonical URLs and earlier failures, as Store/RunView answer them."""

    def __init__(
        self, known: set[str] = frozenset(), failed: dict[str, tuple[int, str, int | None]] | None = None
    ):
        self.known = set(known)
        self.failed = failed or {}
        self.asked: list[list[str]] = []

    def known_urls(self, urls: list[str]) -> set[str]:
        self.asked.append(list(urls))
        return {u for u in urls if u in self.known}

    def failed_attempts(self, urls: list[str]) -> dict[str, tuple[int, str, int | None]]:
        return {u: self.failed[u] for u in urls if u in self.failed}


class Stats(Counter):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self[key] += count


def art(n: int) -> str:
    return f"http://127.0.0.1:1/a/{n}.html"


def run(**kw: Any) -> SiteRun:
    return SiteRun("s", **kw)


# -- early stop ------------------------------------------------------------------------------------
def test_early_stop_only_when_the_oldest_entry_is_stored_and_the_source_was_walked_before() -> None:
    page = [art(3), art(2), art(1)]  # newest first
    r = run(completed={SRC})
    assert r.can_stop_early(SRC, page, Archive(known={art(1)}))
    assert not r.can_stop_early(SRC, page, Archive(known={art(3)})), "only the oldest entry counts"
    assert not r.can_stop_early(SRC, page, Archive()), "nothing known: keep paging"


def test_no_early_stop_after_a_run_that_did_not_walk_the_source_to_its_end() -> None:
    page = [art(2), art(1)]
    archive = Archive(known={art(1), art(2)})
    assert not run().can_stop_early(SRC, page, archive), "source not marked complete by an earlier run"
    assert not run(completed={OTHER}).can_stop_early(SRC, page, archive), "another source's mark"
    assert not run(completed={SRC}, refresh=True).can_stop_early(SRC, page, archive), "refresh walks all"
    assert not run(completed={SRC}).can_stop_early(SRC, [], archive), "an empty page says nothing"
    assert not run(completed={SRC}).can_stop_early(SRC, page, None), "no archive to ask"


def test_a_scheduled_but_unstored_oldest_entry_does_not_stop_paging() -> None:
    r = run(completed={SRC})
    archive = Archive()
    stats = Stats()
    assert r.new_links([art(1)], archive, stats) == [art(1)]  # scheduled by another source this run
    assert not r.can_stop_early(SRC, [art(2), art(1)], archive)


# -- caps and validators ---------------------------------------------------------------------------
def test_cap_per_source_defers_the_rest_and_marks_the_source_cut_short() -> None:
    r = run(max_per_source=2)
    stats = Stats()
    assert r.cap([art(1), art(2), art(3)], SRC, stats) == [art(1), art(2)]
    assert stats["newsmon/links_deferred"] == 1 and SRC in r.capped
    assert r.cap([art(4)], SRC, stats) == [] and stats["newsmon/links_deferred"] == 2
    assert r.cap([art(5)], OTHER, stats) == [art(5)] and OTHER not in r.capped


def test_site_max_articles_caps_the_whole_run() -> None:
    r = run(max_articles=3)
    stats = Stats()
    assert r.cap([art(1), art(2)], SRC, stats) == [art(1), art(2)]
    assert r.cap([art(3), art(4)], OTHER, stats) == [art(3)]
    assert r.capped == {OTHER} and r.run_cap_left() == 0
    assert run().run_cap_left() is None


def test_a_capped_source_does_not_save_its_validators() -> None:
    """The deferred articles are still unknown next run only if the source is fetched again (no 304)."""
    r = run(max_per_source=1)
    stats = Stats()
    r.source_answered(SRC, ("s", '"e1"', "Mon, 27 Nov 2023 00:00:00 GMT", 200))
    r.source_answered(OTHER, ("s", '"e2"', None, 200))
    r.cap([art(1), art(2)], SRC, stats)
    r.cap([art(3)], OTHER, stats)
    done = r.finish("finished")
    assert SRC not in done.save, "a capped source saved its validators: its deferred links would be lost"
    assert set(done.save) == {OTHER}


def test_a_source_cut_short_by_a_sitemap_limit_does_not_save_its_validators() -> None:
    r = run()
    r.source_answered(SRC, ("s", '"e"', None, 200))
    r.cut_short(SRC)
    assert r.finish("finished").save == {}


def test_failures_and_unfinished_runs_save_nothing() -> None:
    r = run()
    r.source_answered(SRC, ("s", '"e"', None, 200))
    r.source_answered(OTHER, ("s", '"f"', None, 200))
    r.source_failed(OTHER)
    assert set(r.finish("finished").save) == {SRC}
    for reason in ("shutdown", "closespider_itemcount", "closespider_timeout"):
        assert r.finish(reason).save == {} and r.finish(reason).still_complete == []


def test_an_article_to_be_retried_keeps_its_source_unsaved_one_given_up_does_not() -> None:
    r = run(max_attempts=3)
    r.source_answered(SRC, ("s", '"e"', None, 200))
    r.article_failed(SRC, (3, "http", 503))  # third failure: given up, the source may be trusted again
    assert SRC in r.finish("finished").save
    r.article_failed(SRC, (1, "timeout", None))  # will be retried next run: revalidate the source then
    assert SRC not in r.finish("finished").save


def test_unchanged_sources_stay_complete_only_if_they_were_and_did_not_fail() -> None:
    r = run(completed={SRC})
    r.source_answered(SRC, None)
    r.source_answered(OTHER, None)  # 304 but never walked to its end before
    assert r.finish("finished").still_complete == [SRC]
    r.source_failed(SRC)
    assert r.finish("finished").still_complete == []


def test_write_finish_goes_through_the_ledger_writers() -> None:
    saved: list[tuple] = []
    marked: list[tuple] = []
    r = run(completed={OTHER})
    r.source_answered(SRC, ("s", '"e"', "lm", 200))
    r.source_answered(OTHER, None)
    r.write_finish(
        "finished", lambda *a, **kw: saved.append((a, kw)), lambda urls, v: marked.append((urls, v))
    )
    assert saved == [((SRC, "s", '"e"', "lm", 200), {"complete": True})]
    assert marked == [([OTHER], True)]


def test_the_cluster_ingest_uses_the_same_validator_rule() -> None:
    """The writer ends a cluster run through SiteRun.write_finish (which applies validators_to_save)."""
    import inspect

    from crawler.distributed import ingest

    assert ingest.SiteRun is SiteRun
    assert ".write_finish(" in inspect.getsource(ingest.Ingest._save_validators)
    assert validators_to_save({SRC: 1, OTHER: 2}, {OTHER: 1}, {SRC}) == {}


# -- new links and given up ------------------------------------------------------------------------
def test_new_links_are_unknown_unscheduled_and_not_given_up() -> None:
    archive = Archive(
        known={art(1)},
        failed={art(2): (1, "http", 404), art(3): (1, "timeout", None), art(4): (3, "http", 500)},
    )
    r = run(aliases={"www.x": "127.0.0.1:1"})
    stats = Stats()
    got = r.new_links([art(1), art(2), art(3), art(4), art(5), art(5) + "#top"], archive, stats)
    assert [canonicalize_url(u) for u in got] == [art(3), art(5)], "one request per canonical URL"
    assert (
        stats["newsmon/links_known"],
        stats["newsmon/links_given_up"],
        stats["newsmon/article_retries"],
    ) == (
        1,
        2,
        1,
    )
    assert r.new_links([art(5), art(6)], archive, stats) == [art(6)], "scheduled once per run"


def test_refresh_requests_known_articles_again() -> None:
    r = run(refresh=True)
    assert r.new_links([art(1)], Archive(known={art(1)}), Stats()) == [art(1)]


@pytest.mark.parametrize(
    ("failures", "kind", "status", "expected"),
    [(1, "http", 404, True), (1, "robots", None, True), (2, "http", 503, False), (3, "timeout", None, True)],
)
def test_given_up(failures: int, kind: str, status: int | None, expected: bool) -> None:
    assert given_up(failures, kind, status, 3) is expected
    assert run(max_attempts=3).given_up(failures, kind, status) is expected


def test_conditional_headers_and_open_sources() -> None:
    r = run()
    r.open_sources({SRC: {"etag": '"e"', "last_modified": "lm", "complete": 1}, OTHER: None})
    assert r.completed == {SRC}
    assert r.conditional_headers(SRC) == {"If-None-Match": '"e"', "If-Modified-Since": "lm"}
    assert r.conditional_headers(OTHER) == {}
    r.refresh = True
    assert r.conditional_headers(SRC) == {}


def test_each_run_starts_empty() -> None:
    """Per-run state lives in the SiteRun: a new run (local crawl or cluster callback) shares none of it."""
    a = run()
    a.cap([art(1)], SRC, Stats())
    a.sitemap_limit_told[SRC] = True
    b = run()
    assert not (b.requested or b.capped or b.scheduled or b.sitemap_limit_told or b.sitemaps_seen)
