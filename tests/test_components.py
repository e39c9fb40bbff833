"""Crawl components on their own: challenge detection, failure classes, run status, pipelines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from crawler.challenge import detect_challenge
from crawler.extensions import run_status
from crawler.middlewares import ChallengeBlocked, ChallengeDetector
from crawler.pipelines import FingerprintPipeline, StorePipeline, ValidatePipeline
from crawler.robots import robots_fetch_netloc
from crawler.runstate import get_run_state
from spiders.site import SiteSpider, classify_failure

RUISHU = b"""<html><head><meta charset="utf-8"><script>var $_ts=window['$_ts'];if(!$_ts)$_ts={};
$_ts.nsd=12345;document.cookie="FSSBBIl1UgzbN7N80S="+x;location.reload();</script></head><body></body></html>"""
ENABLE_JS = "<html><body><p>请开启JavaScript并刷新该页.</p></body></html>".encode()
ARTICLE = (
    "<html><body><h1>标题</h1>"
    + "<p>政府工作报告提出，要坚持稳中求进工作总基调。</p>" * 40
    + "</body></html>"
).encode()


def test_detect_challenge() -> None:
    assert detect_challenge(412, RUISHU) is not None
    assert detect_challenge(521, b"<html></html>") is not None
    assert detect_challenge(200, RUISHU) is not None
    assert detect_challenge(200, ENABLE_JS) is not None
    assert detect_challenge(200, ARTICLE) is None
    # a long real article that merely mentions JavaScript in a footer is not a challenge
    assert detect_challenge(200, ARTICLE.replace(b"</body>", "请开启JavaScript</body>".encode())) is None


def test_challenge_middleware_raises() -> None:
    crawler = get_crawler(SiteSpider)
    mw = ChallengeDetector.from_crawler(crawler)
    req = Request("http://127.0.0.1:1/a.html")
    with pytest.raises(ChallengeBlocked):
        mw.process_response(req, Response(req.url, status=412, body=RUISHU, request=req))
    ok = HtmlResponse(req.url, body=ARTICLE, request=req)
    assert mw.process_response(req, ok) is ok


def test_robots_fetches_are_told_from_page_requests() -> None:
    """The robots.txt answers the cache keeps are Scrapy's own fetches, keyed by the host first asked."""
    meta = {"dont_obey_robotstxt": True}
    fetch = Request("http://a.gov.cn:8080/robots.txt", callback=NO_CALLBACK, meta=meta)
    assert robots_fetch_netloc(fetch) == "a.gov.cn:8080"
    moved = fetch.replace(url="https://b.gov.cn/robots.txt")
    moved.meta["redirect_urls"] = [fetch.url]
    assert robots_fetch_netloc(moved) == "a.gov.cn:8080"
    assert robots_fetch_netloc(Request("http://a.gov.cn/robots.txt")) is None  # a page request
    assert robots_fetch_netloc(Request("http://a.gov.cn/a.html", callback=NO_CALLBACK, meta=meta)) is None


def _failure(exc: Exception, status: int | None = None) -> Failure:
    try:
        raise exc
    except Exception:
        return Failure()


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ChallengeBlocked("blocked: HTTP 412"), "blocked"),
        (IgnoreRequest("Forbidden by robots.txt"), "robots"),
        (TimeoutError("took too long"), "timeout"),
        (DNSLookupError("no such host"), "dns"),
        (RuntimeError("boom"), "network"),
    ],
)
def test_classify_failure(exc: Exception, kind: str) -> None:
    assert classify_failure(_failure(exc))[0] == kind


def test_classify_http_error() -> None:
    req = Request("http://127.0.0.1:1/x")
    resp = Response(req.url, status=404, request=req)
    assert classify_failure(_failure(HttpError(resp, "nope")))[:2] == ("http", 404)


@pytest.mark.parametrize(
    ("stats", "reason", "status"),
    [
        (
            {
                "newsmon/sources": 1,
                "newsmon/sources_ok": 1,
                "newsmon/list_pages": 1,
                "newsmon/links_found": 5,
            },
            "finished",
            "ok",
        ),
        (
            {
                "newsmon/sources": 1,
                "newsmon/sources_ok": 1,
                "newsmon/list_pages": 1,
                "newsmon/sources_unchanged": 1,
            },
            "finished",
            "ok",
        ),
        (
            {
                "newsmon/sources": 2,
                "newsmon/sources_ok": 2,
                "newsmon/list_pages": 2,
                "newsmon/links_found": 0,
            },
            "finished",
            "failed",
        ),
        (
            {"newsmon/sources": 1, "newsmon/sources_ok": 0, "newsmon/failures/blocked": 1},
            "finished",
            "blocked",
        ),
        ({"newsmon/sources": 1, "newsmon/sources_ok": 0, "newsmon/failures/http": 1}, "finished", "failed"),
        ({"newsmon/sources": 1, "newsmon/sources_ok": 1, "newsmon/links_found": 3}, "shutdown", "failed"),
        (
            {
                "newsmon/sources": 1,
                "newsmon/sources_ok": 1,
                "newsmon/links_found": 3,
                "newsmon/storage_error": "disk full",
            },
            "finished",
            "failed",
        ),
        ({}, "finished", "failed"),  # start() failed before any source was requested
        (
            {
                "newsmon/sources": 1,
                "newsmon/sources_ok": 1,
                "newsmon/links_found": 5,
                "newsmon/article_requests": 5,
                "newsmon/article_failures": 5,
                "newsmon/article_failures/blocked": 5,
            },
            "finished",
            "blocked",
        ),
        (
            {
                "newsmon/sources": 1,
                "newsmon/sources_ok": 1,
                "newsmon/links_found": 5,
                "newsmon/article_requests": 5,
                "newsmon/article_failures": 5,
                "newsmon/article_failures/http": 5,
            },
            "finished",
            "failed",
        ),
        (  # only articles that failed before were asked again, and failed again: still a healthy run
            {
                "newsmon/sources": 1,
                "newsmon/sources_ok": 1,
                "newsmon/links_found": 5,
                "newsmon/article_requests": 2,
                "newsmon/article_retries": 2,
                "newsmon/article_failures": 2,
                "newsmon/article_failures/http": 2,
            },
            "finished",
            "ok",
        ),
        (  # one link that is not an article: a healthy run
            {
                "newsmon/sources": 1,
                "newsmon/sources_ok": 1,
                "newsmon/links_found": 1,
                "newsmon/article_requests": 1,
                "newsmon/article_pages": 1,
                "newsmon/failures/parse": 1,
            },
            "finished",
            "ok",
        ),
        (
            {
                "newsmon/sources": 1,
                "newsmon/sources_ok": 1,
                "newsmon/links_found": 4,
                "newsmon/article_requests": 4,
                "newsmon/article_pages": 4,
                "newsmon/failures/parse": 4,
            },
            "finished",
            "failed",
        ),
    ],
)
def test_run_status(stats: dict, reason: str, status: str) -> None:
    assert run_status(stats, reason)[0] == status


def _site_json() -> str:
    return json.dumps({"name": "t", "sources": [{"kind": "listing", "url": "http://127.0.0.1:9/index.html"}]})


def _crawler(tmp_path: Path, **settings: object):
    crawler = get_crawler(SiteSpider, {"NEWSMON_DB": str(tmp_path / "n.db"), **settings})
    crawler.spider = SiteSpider.from_crawler(crawler, site_json=_site_json())
    return crawler


def _item(url: str, body: str = "正文。" * 20, title: str = "标题") -> dict:
    from crawler.items import article_item

    return article_item(url=url, site="t", title=title, body_text=body)


def test_validate_pipeline_drops_and_records(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path)
    get_run_state(crawler).open("t")
    pipe = ValidatePipeline.from_crawler(crawler)
    assert pipe.process_item(_item("http://127.0.0.1:9/a.html"))
    with pytest.raises(DropItem):
        pipe.process_item(_item("http://127.0.0.1:9/b.html", title=" "))
    store = get_run_state(crawler).store
    assert [r["kind"] for r in store.db["failures"].rows] == ["parse"]


def test_fingerprint_and_store_batches(tmp_path: Path) -> None:
    crawler = _crawler(tmp_path, NEWSMON_BATCH_SIZE=3, NEWSMON_BATCH_SECONDS=3600)
    fp = FingerprintPipeline.from_crawler(crawler)
    store_pipe = StorePipeline.from_crawler(crawler)
    store_pipe.open_spider()
    store = get_run_state(crawler).store
    for i in range(5):
        item = fp.process_item(_item(f"HTTP://127.0.0.1:9/{i}.html#top", body=f"第{i}篇正文。" * 10))
        assert item["url"] == f"http://127.0.0.1:9/{i}.html" and item["content_hash"]
        store_pipe.process_item(item)
        # committed in batches of three: nothing is visible to other connections before a batch fills
        assert store.db["articles"].count == (3 if i >= 2 else 0)
    store_pipe.close_spider()
    assert store.db["articles"].count == 5
    assert crawler.stats.get_value("newsmon/items/new") == 5


@pytest.mark.parametrize(
    ("failures", "kind", "status", "given_up"),
    [
        (1, "http", 404, True),
        (1, "http", 410, True),
        (1, "robots", None, True),
        (1, "http", 429, False),
        (1, "http", 403, False),
        (2, "http", 503, False),
        (3, "http", 503, True),
        (3, "timeout", None, True),
        (1, "blocked", None, False),
    ],
)
def test_retry_budget(tmp_path: Path, failures: int, kind: str, status: int | None, given_up: bool) -> None:
    """Gone and forbidden pages are not asked again; rate limits, 5xx and timeouts get 3 runs in all."""
    spider = _crawler(tmp_path).spider
    assert spider.run.given_up(failures, kind, status) is given_up


def test_cluster_workers_keep_the_projects_components_but_the_ones_named() -> None:
    """A spider's component dicts replace the project's whole dicts: the worker starts from them, so the
    off-site guard and the size marker hold there too; only what a worker does otherwise is swapped."""
    pytest.importorskip("redis")
    from crawler import settings as project
    from crawler.distributed.spider import RedisSiteSpider

    own = RedisSiteSpider.custom_settings
    for name, swapped in (
        ("DOWNLOADER_MIDDLEWARES", {"crawler.render.RenderMiddleware", "crawler.distributed.worker.ClusterPoliteness"}),
        ("EXTENSIONS", {"crawler.extensions.RunRecorder"}),
    ):  # fmt: skip
        project_dict, worker_dict = getattr(project, name), own[name]
        kept = {k: v for k, v in project_dict.items() if k not in swapped}
        assert {k: worker_dict[k] for k in kept} == kept, name
        assert set(worker_dict) - set(project_dict) <= swapped, name
    assert own["DOWNLOADER_MIDDLEWARES"]["crawler.middlewares.OffsiteGuard"] == 50
    assert own["EXTENSIONS"]["crawler.sizelimit.BodySizeMarker"] == 510


def test_no_spider_callback_is_a_generator_that_returns_a_value() -> None:
    """What Scrapy's WARN_ON_GENERATOR_RETURN_VALUE would check per response (switched off in
    crawler/settings.py for its cost), checked here once for every callback and errback of our spiders."""
    from scrapy.utils.misc import is_generator_with_return_value

    from crawler import settings as project

    assert project.WARN_ON_GENERATOR_RETURN_VALUE is False
    spiders = [SiteSpider]
    try:
        from crawler.distributed.spider import RedisSiteSpider

        spiders.append(RedisSiteSpider)
    except ImportError:  # redis is an optional extra
        pass
    checked = 0
    for cls in spiders:
        for name in dir(cls):
            fn = getattr(cls, name, None)
            if name.startswith(("parse", "_parse")) or name.endswith("_failed"):
                assert callable(fn), name
                assert not is_generator_with_return_value(fn), f"{cls.__name__}.{name}"
                checked += 1
    assert checked >= 8
