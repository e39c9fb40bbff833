"""Sitemap indexes that never end (self-listing, ever-growing, nested without bound) are cut at a depth and
a count; a body that streams without end (chunked, fast) is recorded as `too-large`, not a network fault."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import crawl_sites
from tests.faults.hostile import article
from tests.helpers import RouteServer, page

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _index(children: list[str]) -> bytes:
    rows = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>'.encode()


class GrowingIndex:
    """/idx.xml?n=K lists itself and two new indexes; /deep-K.xml lists /deep-(K+1).xml, without end."""

    def __init__(self) -> None:
        self.site = RouteServer()
        self.site.routes["/idx.xml"] = self.idx
        for k in range(200):
            self.site.routes[f"/deep-{k}.xml"] = self._send(_index([f"/deep-{k + 1}.xml", "/urls.xml"]))
        self.site.routes["/urls.xml"] = page(
            b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<url><loc>/a/t20231128_1.html</loc></url></urlset>",
            "application/xml",
        )
        self.site.routes["/a/t20231128_1.html"] = page(article("站点地图里的文章"))

    @staticmethod
    def _send(body: bytes) -> Any:
        def route(h: Any) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/xml")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)

        return route

    def idx(self, h: Any) -> None:
        n = int(h.path.partition("n=")[2] or 0)
        self._send(_index([h.path, f"/idx.xml?n={2 * n + 1}", f"/idx.xml?n={2 * n + 2}", "/urls.xml"]))(h)


def _endless(h: Any) -> None:
    """A fast chunked body that never ends (until the client hangs up)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<p>" + "无尽的页面内容".encode() * 3000 + b"</p>"
    try:
        for _ in range(5000):  # ~300 MB at most
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    except OSError:
        pass
    h.close_connection = True


def test_endless_indexes_and_bodies_are_cut(tmp_path: Path) -> None:
    g = GrowingIndex()
    g.site.routes["/a/t20231128_2.html"] = _endless
    g.site.routes["/endless-list.html"] = _endless
    g.site.routes["/list.html"] = page('<ul><li><a href="/a/t20231128_2.html">无尽的文章的标题</a></li></ul>')
    with g.site as site:
        config = tmp_path / "sites.toml"
        config.write_text(
            '[[site]]\nname = "s"\nsources = [\n'
            f'  {{ kind = "sitemap", url = "{site.base}/idx.xml", max_pages = 1 }},\n'
            f'  {{ kind = "sitemap", url = "{site.base}/deep-0.xml", max_pages = 5 }},\n'
            f'  {{ kind = "listing", url = "{site.base}/list.html", max_pages = 1 }},\n'
            f'  {{ kind = "listing", url = "{site.base}/endless-list.html", max_pages = 1 }},\n'
            "]\n",
            encoding="utf-8",
        )
        db = tmp_path / "n.db"
        extra = {"DOWNLOAD_MAXSIZE": str(2 * 1024 * 1024), "CLOSESPIDER_TIMEOUT": "40", "RETRY_TIMES": "0"}
        proc = crawl_sites(db, config, extra=extra)
        seen = list(site.seen)
    idx = [p for p in seen if p.startswith("/idx.xml")]
    deep = [p for p in seen if p.startswith("/deep-")]
    assert len(idx) <= 1 + 10, (len(idx), proc.stdout[-1500:])  # the source, then max_pages x 10 sitemaps
    assert len(deep) <= 1 + 3, deep  # the source, then three indexes deep at most
    conn = sqlite3.connect(db)
    assert [t for (t,) in conn.execute("SELECT title FROM articles")] == ["站点地图里的文章"]
    kinds = {u.replace(site.base, ""): k for u, k in conn.execute("SELECT url, kind FROM failures")}
    assert kinds.get("/a/t20231128_2.html") == "too-large", kinds
    assert kinds.get("/endless-list.html") == "too-large", kinds
    assert "sitemap-limit" in kinds.values(), kinds
    reason = conn.execute("SELECT reason FROM runs").fetchone()[0]
    assert "closespider_timeout" not in (reason or ""), reason
