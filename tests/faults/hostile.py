"""A purpose-built hostile web site on 127.0.0.1: redirect loops, huge and bomb responses, slow-loris,
truncated bodies, wrong types and encodings, XML bombs and external entities, huge sitemaps, deep nesting.

Each path's expected outcome is listed in EXPECT: an article or a failure kind.
"""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers import send, trickle

PARA = (
    "<p>长春市人民政府召开常务会议，研究部署优化营商环境、推动高质量发展等重点工作，会议强调要狠抓落实。</p>"
)


def article(title: str, paragraphs: int = 8, extra: str = "", charset: str = "utf-8") -> str:
    """A plain government-style article page."""
    return (
        f'<html><head><meta charset="{charset}"><title>{title}_长春市人民政府</title>'
        f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2023-11-28 09:30">'
        f'<meta name="ContentSource" content="长春日报"></head><body>{extra}<h1>{title}</h1>'
        f'<div class="info">发布时间：2023-11-28 09:30 来源：长春日报</div><div class="TRS_Editor">'
        + PARA * paragraphs
        + "</div></body></html>"
    )


# path -> expected outcome: "article" or a failure kind recorded in the failures table
EXPECT: dict[str, str] = {
    "/a/t20231128_1001.html": "article",  # plain control article
    "/a/t20231128_1002.html": "redirect-loop",  # redirect loop: stops at REDIRECT_MAX_TIMES
    "/a/t20231128_1003.html": "offsite-redirect",  # redirect to another host
    "/a/t20231128_1004.html": "too-large",  # 12 MB page, above DOWNLOAD_MAXSIZE
    "/a/t20231128_1005.html": "too-large",  # gzip bomb: 200 MB of zeros in ~200 KB
    "/a/t20231128_1006.html": "timeout",  # slow-loris: one byte a second
    "/a/t20231128_1007.html": "network",  # truncated: Content-Length larger than the body
    "/a/t20231128_1008.html": "article",  # HTML served as application/octet-stream
    "/a/t20231128_1009.html": "article",  # declared UTF-8, bytes GBK with invalid UTF-8 sequences
    "/a/t20231128_1010.html": "parse",  # 100k nested tags, no article
    "/a/t20231128_1011.html": "article",  # megabytes of inline script before the article
    "/a/t20231128_1012.html": "parse",  # binary bytes served as text/html
    "/a/t20231128_1013.html": "article",  # a real article behind a 302 on the same host
}
XXE_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title>
<item><title>&secret;</title><link>/a/t20231128_1001.html</link></item></channel></rss>"""
BOMB_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><item><title>&lol9;</title><link>/a/t20231128_1008.html</link></item></channel></rss>"""
HUGE_SITEMAP_URLS = 60_000


def _gzip_bomb() -> bytes:
    """200 MB of zeros in ~200 KB (built by the server, not at import: the modules that import this one for
    its page builders do not pay the seconds it takes)."""
    return gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)


def _huge_sitemap() -> bytes:
    rows = "".join(f"<url><loc>/b/t20231128_{i}.html</loc></url>" for i in range(HUGE_SITEMAP_URLS))
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'.encode()


class HostileServer:
    """Threaded server on 127.0.0.1 (free port); `other` is a second loopback host for off-site redirects."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.other = ThreadingHTTPServer(("127.0.0.2", 0), self._handler())
        self.other.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.other_base = f"http://127.0.0.2:{self.other.server_address[1]}"
        self.huge_sitemap = _huge_sitemap()
        self.gzip_bomb = _gzip_bomb()

    def __enter__(self) -> HostileServer:
        for srv in (self.httpd, self.other):
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for srv in (self.httpd, self.other):
            srv.shutdown()
            srv.server_close()

    def sites_toml(self) -> str:
        """Site config pointing at the hostile server."""
        return (
            '[[site]]\nname = "hostile"\nsources = [\n'
            f'  {{ kind = "listing", url = "{self.base}/list.html", max_pages = 1 }},\n'
            f'  {{ kind = "feed", url = "{self.base}/xxe.xml" }},\n'
            f'  {{ kind = "feed", url = "{self.base}/bomb.xml" }},\n'
            f'  {{ kind = "sitemap", url = "{self.base}/huge-sitemap.xml" }},\n'
            "]\n"
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def send(
                self,
                status: int,
                body: bytes,
                ctype: str = "text/html; charset=utf-8",
                headers: dict[str, str] | None = None,
            ) -> None:
                send(self, (status, {"Content-Type": ctype, **(headers or {})}, body))

            def redirect(self, location: str, status: int = 302) -> None:
                self.send(status, b"", headers={"Location": location})

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                with server._lock:
                    server.requests.append(path)
                if path == "/robots.txt":
                    return self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                if path == "/list.html":
                    links = "".join(f'<li><a href="{p}">测试文章标题第{p[-9:-5]}号</a></li>' for p in EXPECT)
                    return self.send(200, f"<html><body><ul>{links}</ul></body></html>".encode())
                if path == "/xxe.xml":
                    return self.send(200, XXE_FEED, "application/rss+xml")
                if path == "/bomb.xml":
                    return self.send(200, BOMB_FEED, "application/rss+xml")
                if path == "/huge-sitemap.xml":
                    return self.send(200, server.huge_sitemap, "application/xml")
                if path.startswith("/b/"):
                    return self.send(404, b"gone")
                if path == "/a/t20231128_1001.html":
                    return self.send(200, article("营商环境工作推进会议召开").encode())
                if path == "/a/t20231128_1002.html":
                    return self.redirect("/loop-b")
                if path == "/loop-b":
                    return self.redirect("/a/t20231128_1002.html")
                if path == "/a/t20231128_1003.html":
                    return self.redirect(f"{server.other_base}/elsewhere.html")
                if path == "/elsewhere.html":
                    return self.send(200, article("别的网站").encode())
                if path == "/a/t20231128_1004.html":
                    return self.send(
                        200, article("超大页面", extra="<!--" + "x" * (12 * 1024 * 1024) + "-->").encode()
                    )
                if path == "/a/t20231128_1005.html":
                    return self.send(200, server.gzip_bomb, headers={"Content-Encoding": "gzip"})
                if path == "/a/t20231128_1006.html":  # slow-loris: one byte a second for 30 s
                    return trickle(self, byte=b"<", times=30, every=1.0, html=True)
                if path == "/a/t20231128_1007.html":
                    body = article("截断的页面").encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body) * 3))
                    self.end_headers()
                    self.wfile.write(body[:500])
                    self.wfile.flush()
                    self.close_connection = True
                    return None
                if path == "/a/t20231128_1008.html":
                    return self.send(200, article("类型错误的页面").encode(), "application/octet-stream")
                if path == "/a/t20231128_1009.html":
                    body = article("朱镕基同志题词的学校举行校庆", charset="utf-8").encode("gb18030")
                    return self.send(200, body, "text/html; charset=utf-8")
                if path == "/a/t20231128_1010.html":
                    deep = "<div>" * 100_000 + "深" + "</div>" * 100_000
                    return self.send(200, f"<html><body>{deep}</body></html>".encode())
                if path == "/a/t20231128_1011.html":
                    script = "<script>var a='" + "x" * (3 * 1024 * 1024) + "';</script>"
                    return self.send(200, article("脚本很多的页面", extra=script).encode())
                if path == "/a/t20231128_1012.html":
                    return self.send(200, bytes(range(256)) * 4000, "text/html")
                if path == "/a/t20231128_1013.html":
                    return self.redirect("/a/real_1013.html")
                if path == "/a/real_1013.html":
                    return self.send(200, article("跳转后的真实文章").encode())
                return self.send(404, b"not found")

        return Handler
