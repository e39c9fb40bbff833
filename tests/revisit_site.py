"""A purpose-built government site on 127.0.0.1 whose articles can be edited, taken down and brought back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from pathlib import Path
from typing import Any

from demo.world import sample_articles
from tests.helpers import HTML, LocalServer, send


@dataclass
class Page:
    """One article and what the site currently does with it."""

    num: int
    title: str
    source: str
    published: str
    paragraphs: list[str]
    state: str = "up"  # up | 404 | 410 | home | list | chrome-only | notice
    listed: bool = True
    views: int = 17  # chrome: the visit counter
    footer_day: str = "2023-11-28"  # chrome: the footer's update date
    log: list[int] = field(default_factory=list)


class RevisitSite:
    """A TRS-like column at /col/index.html with article pages /col/202311/t_N.html; ETag on every page."""

    def __init__(self, n: int = 12, seed: int = 7) -> None:
        records = [r for r in sample_articles(6 * n, seed) if "转载" not in r["title"]]
        seen: set[str] = set()
        self.pages: list[Page] = []
        for r in records:
            if r["title"] in seen or len(self.pages) >= n:
                continue
            seen.add(r["title"])
            num = 1000 + len(self.pages)
            self.pages.append(
                Page(num, r["title"], r["source"] or "本网", r["published_at"], r["body_text"].split("\n"))
            )
        self.requests: list[tuple[str, int, bool]] = []  # path, status, conditional
        self.server = LocalServer(self._serve, protocol_version="HTTP/1.1").start()
        self.base = self.server.base

    def _serve(self, handler: Any) -> None:
        status, body, headers = self.answer(handler.path)
        data = body.encode("utf-8")
        etag = '"' + hashlib.md5(data).hexdigest()[:16] + '"'
        conditional = handler.headers.get("If-None-Match") is not None
        if status == 200 and handler.headers.get("If-None-Match") == etag:
            status, data = 304, b""
        self.requests.append((handler.path, status, conditional))
        out = {"Content-Type": HTML, **dict(headers)}
        if status == 200:
            out["ETag"] = etag
        send(handler, (status, out, data))

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    def url(self, page: Page) -> str:
        """Absolute URL of an article."""
        return f"{self.base}/col/202311/t20231128_{page.num}.html"

    def write_config(self, path: Path, extra: str = "") -> Path:
        """A sites.toml with this one site."""
        path.write_text(
            f'[[site]]\nname = "rv"\ntitle = "测试市人民政府"\n{extra}\n'
            f'sources = [{{ kind = "listing", url = "{self.base}/col/index.html", max_pages = 1 }}]\n',
            encoding="utf-8",
        )
        return path

    # -- pages ---------------------------------------------------------------------------------
    def _chrome(self, inner: str, title: str, page: Page | None = None) -> str:
        latest = "".join(
            f'<li><a href="/col/202311/t20231128_{p.num}.html">{escape(p.title)}</a><span>{p.published[:10]}</span></li>'
            for p in self.pages[-4:]
        )
        views = page.views if page else 1
        day = page.footer_day if page else "2023-11-28"
        return (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}_测试市人民政府</title></head><body>'
            '<div class="header"><a href="/">测试市人民政府</a><ul class="nav"><li><a href="/">首页</a></li>'
            '<li><a href="/col/index.html">政务动态</a></li><li><a href="/zwgk/">政务公开</a></li></ul></div>'
            f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/col/index.html">政务动态</a></div>'
            f'{inner}<div class="side"><h3>最新发布</h3><ul>{latest}</ul></div>'
            f'<div class="footer"><p>主办单位：测试市人民政府办公厅　网站标识码2201000001</p>'
            f"<p>浏览次数：{views}　更新日期：{day}</p><p>© 2005-2023 测试市人民政府 版权所有</p></div></body></html>"
        )

    def article(self, page: Page) -> str:
        """The article page (or what stands in its place)."""
        if page.state == "chrome-only":
            return self._chrome(
                '<div class="article"><h1 class="title"></h1><div class="TRS_Editor"></div></div>', ""
            )
        if page.state == "notice":
            return '<html><head><meta charset="utf-8"><title>提示</title></head><body><p>该信息已删除</p></body></html>'
        metas = (
            f'<meta name="ArticleTitle" content="{escape(page.title)}">'
            f'<meta name="PubDate" content="{page.published[:16].replace("T", " ")}">'
            f'<meta name="ContentSource" content="{escape(page.source)}">'
        )
        body = "".join(f"<p>{escape(p)}</p>" for p in page.paragraphs)
        inner = (
            f'<div class="article"><h1 class="title">{escape(page.title)}</h1>'
            f'<div class="info">发布时间：{page.published[:16].replace("T", " ")}　来源：{escape(page.source)}</div>'
            f'<div class="TRS_Editor">{body}</div></div>'
        )
        return self._chrome(inner, page.title, page).replace("<title>", metas + "<title>", 1)

    def answer(self, path: str) -> tuple[int, str, list[tuple[str, str]]]:
        """(status, body, headers) for a path."""
        if path == "/robots.txt":
            return 200, "User-agent: *\nAllow: /\n", []
        if path in ("/", "/index.html"):
            return 200, self._chrome("<div>欢迎访问</div>", "首页"), []
        if path == "/col/index.html":
            lis = "".join(
                f'<li><a href="./202311/t20231128_{p.num}.html">{escape(p.title)}</a><span>{p.published[:10]}</span></li>'
                for p in self.pages
                if p.listed
            )
            return 200, self._chrome(f'<ul class="list">{lis}</ul>', "政务动态"), []
        for page in self.pages:
            if path == f"/col/202311/t20231128_{page.num}.html":
                if page.state in ("404", "410"):
                    return int(page.state), "<html><body><h2>页面不存在</h2></body></html>", []
                if page.state == "home":
                    return 302, "", [("Location", f"{self.base}/")]
                if page.state == "list":
                    return 302, "", [("Location", f"{self.base}/col/index.html")]
                return 200, self.article(page), [("Last-Modified", formatdate(1700000000, usegmt=True))]
        return 404, "<html><body>页面不存在</body></html>", []
