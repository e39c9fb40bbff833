"""Every request stays on the site's hosts: redirects (all 30x codes, absolute, protocol-relative, user-info
tricks), robots.txt fetches and redirected sources never reach another service, not even another port."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLUSTER_SETTINGS, crawl_sites
from tests.faults.hostile import article
from tests.helpers import RouteServer, moved, page

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _feed(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>t</title><link>{base}{p}</link></item>" for p in paths)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'.encode()
    )


def _local(tmp_path: Path, db: Path, config: Path, extra: dict[str, str]) -> str:
    return crawl_sites(db, config, extra=extra).stdout[-2000:]


def _cluster(cluster_factory: Any) -> Callable[[Path, Path, Path, dict[str, str]], str]:
    def crawl(tmp_path: Path, db: Path, config: Path, extra: dict[str, str]) -> str:
        cluster = cluster_factory({**CLUSTER_SETTINGS, **extra}, db=db.name)
        cluster.start_ingest()
        cluster.start_worker("w0")
        done = cluster.enqueue(config, "mine", wait=True)
        cluster.stop()  # the ingest process has written everything when it has stopped
        return done.stderr[-2000:]

    return crawl


@pytest.mark.parametrize("mode", ["local", "cluster"])
def test_redirects_and_sources_never_leave_the_site(tmp_path: Path, mode: str, request: Any) -> None:
    crawl = _local if mode == "local" else _cluster(request.getfixturevalue("cluster_factory"))
    other_routes = {
        "/robots.txt": page("User-agent: *\nAllow: /\n", "text/plain"),
        "/x.html": page(article("别的服务的秘密页面")),
        "/feed.xml": page(_feed("", ["/x.html"]), "application/rss+xml"),
    }
    with (
        RouteServer("127.0.0.1", other_routes) as port_other,
        RouteServer("127.0.0.2", other_routes) as host_other,
    ):
        other = port_other.netloc  # the same host, another port: another service
        targets = {
            "1": moved(f"http://{other}/x.html", 301),
            "2": moved(f"http://{other}/x.html", 302),
            "3": moved(f"http://{other}/x.html", 303),
            "4": moved(f"http://{other}/x.html", 307),
            "5": moved(f"http://{other}/x.html", 308),
            "6": moved(f"//{other}/x.html", 302),  # protocol-relative
            "7": moved(f"{host_other.base}/x.html", 302),  # another loopback host
            "8": moved("/a/t20231128_9.html", 302),  # on the site first, then away
            "9": moved(f"//{other}/x.html", 307),
        }
        with RouteServer("127.0.0.1") as site:
            targets["10"] = moved(f"http://{site.netloc}@{other}/x.html", 302)  # user-info trick
            targets["11"] = moved(f"HTTP://{other.upper()}/x.html", 301)
            routes = {f"/a/t20231128_{k}.html": v for k, v in targets.items()}
            routes["/a/t20231128_100.html"] = page(article("本站的正常文章"))
            links = "".join(f'<li><a href="{p}">本站文章标题第{p[-8:-5]}号</a></li>' for p in routes)
            routes["/list.html"] = page(f"<html><body><ul>{links}</ul></body></html>")
            routes["/robots.txt"] = moved(f"http://{other}/robots.txt", 302)  # robots.txt away too
            routes["/feed.xml"] = moved(f"//{other}/feed.xml", 301)
            routes["/sitemap.xml"] = moved(f"{host_other.base}/feed.xml", 307)
            routes["/list2.html"] = moved(f"http://{other}/feed.xml", 302)
            site.routes.update(routes)
            config = tmp_path / "sites.toml"
            config.write_text(
                '[[site]]\nname = "mine"\nsources = [\n'
                f'  {{ kind = "listing", url = "{site.base}/list.html", max_pages = 1 }},\n'
                f'  {{ kind = "feed", url = "{site.base}/feed.xml" }},\n'
                f'  {{ kind = "sitemap", url = "{site.base}/sitemap.xml" }},\n'
                f'  {{ kind = "auto", url = "{site.base}/list2.html" }},\n'
                "]\n",
                encoding="utf-8",
            )
            db = tmp_path / "n.db"
            out = crawl(tmp_path, db, config, {"RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "5"})
        assert port_other.seen == [], (port_other.seen, out)
        assert host_other.seen == [], host_other.seen
    conn = sqlite3.connect(db)
    titles = [t for (t,) in conn.execute("SELECT title FROM articles")]
    assert titles == ["本站的正常文章"]
    kinds = {u.rsplit("_", 1)[-1]: k for u, k in conn.execute("SELECT url, kind FROM failures")}
    for k in targets:
        assert kinds.get(f"{k}.html") == "offsite-redirect", (k, kinds)
    for src in ("feed.xml", "sitemap.xml", "list2.html"):
        assert any(u.endswith(src) and k == "offsite-redirect"
                   for u, k in conn.execute("SELECT url, kind FROM failures")), src  # fmt: skip
    assert [n for (n,) in conn.execute("SELECT netloc FROM robots_cache")] in ([], [site.netloc])
    assert "别的服务" not in " ".join(str(r) for r in conn.execute("SELECT * FROM robots_cache"))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:8000/a.html", True),
        ("https://127.0.0.1:8000/a.html", True),
        ("http://127.0.0.1:8001/a.html", False),
        ("http://127.0.0.1/a.html", False),
        ("http://localhost:8000/a.html", False),
        ("http://127.0.0.1:8000@127.0.0.1:8001/", False),
        ("ftp://127.0.0.1:8000/a", False),
        ("http://127.0.0.1:99999/", False),
        ("http://www.x.gov.cn/a.html", True),
        ("https://zwgk.x.gov.cn/a.html", True),
        ("http://zwgk.x.gov.cn:8080/a.html", False),
        ("http://WWW.X.GOV.CN:80/a.html", True),
        ("http://x.gov.cn.evil.cn/", False),
        ("http://alias.example.org/", True),
    ],
)
def test_one_rule_for_hosts(url: str, ok: bool) -> None:
    from crawler.sitehosts import allowed

    assert allowed(url, {"127.0.0.1:8000", "www.x.gov.cn", "alias.example.org"}) is ok
