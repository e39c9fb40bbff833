"""Cluster mode behaves like a local crawl where docs/scaleout.md once listed differences: the Referer
header of followed requests and a site's `max_articles` per run. Real workers, ingest and redis-server
against the demo sites. Needs Debian's redis-server (installed by .ci/run)."""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import crawl_sites
from tests.helpers import article_paths, client, run_rows, stored

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
]

REFERER_SITES = (
    "changchun-gov",
    "changchun-news",
    "jilinshi-gov",
)  # columns with a redirect; pager; sitemaps


def recording_demo(**world: Any) -> Any:
    """The demo sites (their request log keeps each request's Referer header)."""
    from demo.server import DemoServer
    from demo.world import build_world

    return DemoServer(build_world(**{"seed": 7, "scale": 1, "slow_seconds": 0.5, **world}))


@pytest.fixture
def demo() -> Iterator[Any]:
    """Demo sites that record request headers (slow page within the download timeout)."""
    srv = recording_demo().start()
    yield srv
    srv.stop()


@pytest.fixture
def cluster(cluster_factory: Any) -> Any:
    """Ingest + 3 workers on this test's Redis (stopped afterwards)."""
    c = cluster_factory(db="cluster.db")
    c.start_ingest()
    for i in range(3):
        c.start_worker(f"w{i}")
    return c


def referers(srv: Any) -> dict[str, str | None]:
    """Path → Referer path of every GET (robots.txt aside), asserting each path was asked for once."""
    entries = [e for e in srv.request_log(detail=True) if e["method"] == "GET" and e["path"] != "/robots.txt"]
    twice = [p for p, n in Counter(e["path"] for e in entries).items() if n > 1]
    assert not twice, twice
    out: dict[str, str | None] = {}
    for e in entries:
        ref = e.get("referer")
        if ref:
            parts = urlsplit(ref)
            assert parts.scheme == "http" and parts.hostname == "127.0.0.1" and not parts.fragment, ref
            ref = parts.path + (f"?{parts.query}" if parts.query else "")
        out[e["path"]] = ref
    return out


def test_cluster_requests_carry_the_referer_a_local_crawl_sends(
    demo: Any, cluster: Any, tmp_path: Path
) -> None:
    """Article, next-page, child-sitemap and redirect requests: the same Referer in both modes."""
    config = demo.write_sites_toml(tmp_path / "sites.toml")
    # the cluster's download timeout: a retried request would be logged twice
    local = crawl_sites(tmp_path / "local.db", config, *REFERER_SITES, extra={"DOWNLOAD_TIMEOUT": "10"})
    assert local.returncode == 0, local.stdout + local.stderr
    expected = referers(demo)

    demo.reset_log()
    done = cluster.enqueue(config, *REFERER_SITES, wait=True)
    assert done.returncode == 0, done.stderr
    got = referers(demo)
    assert got == expected
    assert sorted(stored(tmp_path / "cluster.db")) == sorted(stored(tmp_path / "local.db"))

    # what local mode sends (Scrapy's default policy): the page a link was found on, for articles…
    truth = demo.truth()
    arts = article_paths(demo)
    listed = {urlsplit(f["url"]).path: urlsplit(f["listed_on"]).path for f in truth["faults"]}
    assert all(got[p] for p in arts if p in got) and len([p for p in arts if p in got]) >= 30
    assert got["/col/xwdt/index_1.html"] == "/col/xwdt/index.html"  # …for page 2 of a column
    assert got["/news/?page=2"] == "/news/"  # …for a rel=next page
    assert got["/sitemap-1.xml"] == "/sitemap.xml"  # …for a sitemap listed by a sitemap index
    assert not got["/col/xwdt/index.html"] and not got["/sitemap.xml"]  # none for the sources
    redirect = next(f for f in truth["faults"] if f["kind"] == "redirect")
    source = urlsplit(redirect["url"]).path
    assert got[source] == listed[source]
    assert got[urlsplit(redirect["location"]).path] == source  # the redirect target: the redirecting URL


def site_rows(db: Path, site: str) -> list[dict[str, Any]]:
    """Run rows of one site, oldest first."""
    return [r for r in run_rows(db) if r["site"] == site]


def run_stats(row: dict[str, Any]) -> dict[str, Any]:
    """A run row's stats."""
    import json

    return json.loads(row["stats"] or "{}")


def complete_marks(db: Path) -> dict[str, int]:
    """source_state.complete of every source."""
    conn = sqlite3.connect(db)
    try:
        return {urlsplit(u).path: c for u, c in conn.execute("SELECT url, complete FROM source_state")}
    finally:
        conn.close()


def test_max_articles_caps_each_cluster_run_and_leaves_the_rest_for_the_next(
    demo: Any, cluster: Any, tmp_path: Path
) -> None:
    """max_articles = N with 3 workers: each run requests and stores exactly N new articles (the count
    is cluster-wide), is recorded `ok`/`closespider_itemcount` like a local run stopped by
    CLOSESPIDER_ITEMCOUNT, and the next run stores the rest, also after the column was walked once."""
    site, db = "changchun-news", tmp_path / "cluster.db"  # one column of 14 articles, 10 per page
    base = demo.sites_toml()

    def run_capped(n: int) -> tuple[set[str], dict[str, Any]]:
        (tmp_path / "sites.toml").write_text(
            base.replace(f'name = "{site}"\n', f'name = "{site}"\nmax_articles = {n}\n'), encoding="utf-8"
        )
        before = set(stored(db)) if db.exists() else set()
        demo.reset_log()
        done = cluster.enqueue(tmp_path / "sites.toml", site, wait=True)
        assert done.returncode == 0, done.stderr
        new = set(stored(db)) - before
        fetched = [p for _, p, _ in demo.request_log(site) if p in article_paths(demo)]
        assert len(fetched) == len(new) and {urlsplit(u).path for u in new} == set(fetched)
        return new, site_rows(db, site)[-1]

    all_urls = {a["url"] for a in demo.truth()["articles"] if a["site"] == site}
    assert len(all_urls) == 14
    # an earlier walk to the end, so that "a capped run clears the mark" below can fail
    from storage.store import Store

    column = urlsplit(next(iter(all_urls)))._replace(path="/news/", query="").geturl()
    with Store(str(db)) as store:
        store.save_source_state(column, site, None, None, 200, complete=True)
    assert complete_marks(db)["/news/"] == 1
    got: set[str] = set()
    for expect in (6, 6):
        new, row = run_capped(6)
        assert len(new) == expect and not new & got, (len(new), row)
        got |= new
        assert (row["status"], row["reason"], row["new_items"]) == ("ok", "closespider_itemcount", 6)
        stats = run_stats(row)
        assert stats["finish_reason"] == "closespider_itemcount"
        assert stats["newsmon/article_requests"] == 6 and stats.get("newsmon/links_deferred", 0) > 0
        assert complete_marks(db)["/news/"] == 0  # not walked to the end: no early stop next time
    new, row = run_capped(6)
    got |= new
    assert len(new) == 2 and got == all_urls
    assert (row["status"], row["reason"]) == ("ok", "finished")
    assert complete_marks(db)["/news/"] == 1

    # the column was walked to its end once (early stops trusted from now on); 12 new articles push 2 of
    # them onto page 2. A run capped at 11 stores page 1 and one of page 2; the next run must not stop
    # after page 1 (all known by then) and fetches the last one.
    fresh = {a["url"] for a in demo.publish(site, 12)}
    new, row = run_capped(11)
    assert len(new) == 11 and new <= fresh, row
    assert row["reason"] == "closespider_itemcount" and run_stats(row)["newsmon/links_deferred"] == 1
    new2, row = run_capped(11)
    assert new2 == fresh - new, row
    assert (row["status"], row["reason"]) == ("ok", "finished")
    urls = stored(db)
    assert len(urls) == len(set(urls)) == 26


def test_commit_script_counts_max_articles_per_run_across_workers(redis_server: Any) -> None:
    """The cap is one count per run in Redis: commits of several workers together admit exactly N article
    requests; the rest stay unclaimed (deferred), further list pages are dropped, the run is marked cut."""
    import json

    from crawler.distributed.cluster import Cluster

    c = Cluster.from_url(redis_server.url, "cap")
    c.server.hset(c.keys.run("r"), mapping={"pending": 2, "site": "s"})

    def commit(worker: str, children: list[dict[str, Any]], n_articles: int) -> int:
        c.server.zadd(c.keys.requests, {f"popped-{worker}".encode(): 0})
        entry, _ = c.pop_script(args=["cap", worker])
        payload = {
            "worker": worker,
            "inflight": entry.decode(),
            "job": "",
            "run": "r",
            "children": children,
            "messages": [],
            "stats": {"newsmon/article_requests": n_articles},
            "hset": {},
            "hincr": {"requested": {"src-" + worker: n_articles}},
            "sadd": {},
            "pages": 1,
            "done": 1,
            "max_articles": 5,
        }
        blobs = [f"{worker}-{i}" for i in range(len(children))]
        return int(c.commit_script(args=["cap", json.dumps(payload), *blobs]))

    def article(url: str, worker: str) -> dict[str, Any]:
        return {"claim": url, "fp": "", "score": 0, "src": "src-" + worker}

    a = [article(f"http://h/a{i}", "w1") for i in range(4)]
    assert commit("w1", a, 4) == 2 - 1 + 4  # pending: the other list page and 4 articles
    b = [article(f"http://h/a{i}", "w2") for i in (3, 4, 5, 6)]  # a3: claimed already, not deferred
    b.append({"claim": "", "fp": "page-2", "score": 0, "src": "src-w2"})  # the next list page
    assert commit("w2", b, 4) == 5 - 1 + 1  # a4 admitted; a5, a6 deferred; page 2 dropped
    run = {k.decode(): v.decode() for k, v in c.server.hgetall(c.keys.run("r")).items()}
    assert c.server.scard(c.keys.run("r", "claims")) == 5
    assert c.server.zcard(c.keys.requests) == 5
    assert run["s:newsmon/links_deferred"] == "2"
    assert run["s:newsmon/article_requests"] == str(4 + 4 - 2)
    assert run["finish_reason"] == "closespider_itemcount"
    assert c.server.smembers(c.keys.run("r", "capped")) == {b"src-w2"}
    assert c.server.hgetall(c.keys.run("r", "requested")) == {b"src-w1": b"4", b"src-w2": b"2"}
    assert not c.server.sismember(c.keys.run("r", "df"), "page-2")


def test_a_run_the_scheduler_settled_still_clears_its_sources_complete_marks(
    redis_server: Any, cluster_factory: Any, tmp_path: Path
) -> None:
    """The scheduler's time limit stops `enqueue --wait` and records the run `timeout` before the cluster
    answers it; when its run-finish reaches the writer later, the sources it did not walk must lose their
    "walked to the end" mark, or the next run stops paging early and misses what moved to page 2."""
    import json
    import os
    import signal
    import subprocess
    from datetime import UTC, datetime

    from crawler.distributed.localcluster import wait_for
    from crawler.distributed.redis_runner import enqueue_argv
    from crawler.runner import crawl_env
    from storage.store import Store

    source = "http://127.0.0.1:9/col/index.html"  # a closed local port: the run is settled before any fetch
    config = tmp_path / "sites.toml"
    config.write_text(f'[[site]]\nname = "s"\nsources = [{{ kind = "listing", url = "{source}" }}]\n')
    db = tmp_path / "news.db"
    with Store(str(db)) as store:
        store.save_source_state(source, "s", '"e1"', None, 200, complete=True)  # an earlier run walked it
    c = client(redis_server.url)
    cluster = cluster_factory()
    cluster.start_ingest()
    wait_for(lambda: c.server.hexists(c.keys.sources, source), 30, "the writer to publish source states")
    c.server.hset(c.keys.sources, source, json.dumps({"etag": '"e1"', "complete": 1}))
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    waiter = subprocess.Popen(
        enqueue_argv(redis_server.url, config, ["s"], wait=True),
        env=crawl_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def run_row() -> dict[str, Any] | None:
        with Store(str(db), migrate_schema=False) as store:
            return store.run_of_process("s", waiter.pid, started)

    row = wait_for(run_row, 30, "the run row")
    os.killpg(waiter.pid, signal.SIGTERM)  # the scheduler's time limit …
    waiter.wait(timeout=30)
    with Store(str(db), migrate_schema=False) as store:  # … and its verdict, before the cluster answers
        store.mark_run(row["id"], "timeout", "timeout: still running after 2s; stopped (exit code 143)")
    cluster.start_worker("w0")
    wait_for(lambda: not c.active_runs(), 60, "the cancelled run to be answered")
    assert [(r["status"]) for r in run_rows(db)] == ["timeout"]
    assert complete_marks(db)["/col/index.html"] == 0
    assert json.loads(c.server.hget(c.keys.sources, source))["complete"] == 0
