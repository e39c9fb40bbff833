"""Three more demo sites, each on its own 127.0.0.1 port, for what real government sites serve (#16).

- `api-gov`: the column page draws its list by script from a JSONP interface
  (`/govsearch/jsonp/zf_list.jsp?page=N&callback=result`), the articles carry 发文字号/发文机关 in the items.
- `files-gov`: articles whose text is (also) in PDF, DOCX, XLSX and OFD attachments generated here, one
  whose body is only "详见附件"; the truth holds each file's text.
- `wall-gov`: every page answers a first visit with HTTP 412 and a script that computes a cookie and
  reloads (as 瑞数/加速乐 walls do); a browser passes, a plain HTTP client stays blocked.

Kept apart from demo.world so the seven original sites (used by other tests) do not change.
"""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo import docgen

TOPICS = (
    "优化营商环境",
    "乡村振兴",
    "城市更新",
    "社会保障",
    "生态环境保护",
    "数字政府建设",
    "教育公平",
    "医疗卫生",
)
PER_PAGE = 4
WALL_A, WALL_B = 7919, 104729  # the challenge script multiplies these into the cookie value
WALL_COOKIE = f"wall_clearance={WALL_A * WALL_B}"


def _paras(site: str, n: int, k: int = 3) -> list[str]:
    return [
        f"{site}第{n}号文件第{i + 1}部分：围绕{TOPICS[(n + i) % len(TOPICS)]}，推进第{n * 10 + i}项重点任务，"
        f"明确责任单位和完成时限，确保各项措施落地见效。"
        for i in range(k)
    ]


def _page(title: str, date: str, paras: list[str], extra: str = "", source: str = "本网") -> bytes:
    body = "".join(f"<p>　　{p}</p>" for p in paras)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta name='ArticleTitle' content='{title}'><meta name='PubDate' content='{date}'>"
        f"<meta name='ContentSource' content='{source}'></head><body><div class='nav'><a href='/'>首页</a></div>"
        f"<h1>{title}</h1><div class='info'>发布时间：{date} 来源：{source}</div>"
        f"<div class='TRS_Editor'>{body}{extra}</div><div class='footer'>主办单位：示范市人民政府</div></body></html>"
    ).encode()


def _files(n: int) -> list[tuple[str, str, bytes, str]]:
    """(file name, link text, bytes, truth text) of files-gov article n."""
    lines = [f"附件{n}：{TOPICS[n % len(TOPICS)]}实施细则", f"第一条 为做好{TOPICS[(n + 1) % len(TOPICS)]}工作制定本细则。",
             f"第二条 本细则自2024年3月{n + 1}日起施行。"]  # fmt: skip
    kind = ("pdf", "docx", "xlsx", "ofd")[n % 4]
    if kind == "pdf":
        data, text = docgen.make_pdf([lines[:2], lines[2:]]), "\n".join(lines)
    elif kind == "docx":
        data, text = docgen.make_docx(lines), "\n".join(lines)
    elif kind == "xlsx":
        rows = [
            ["序号", "事项", "时限"],
            [1, TOPICS[n % len(TOPICS)], "3个工作日"],
            [2, "材料审核", "5个工作日"],
        ]
        data, text = docgen.make_xlsx(rows), "\n".join(" ".join(str(c) for c in r) for r in rows)
    else:
        data, text = docgen.make_ofd([lines[:1], lines[1:]]), "\n".join(lines)
    return [(f"P0{n:02d}.{kind}", f"附件：{TOPICS[n % len(TOPICS)]}实施细则.{kind}", data, text)]


class SourcesSites:
    """The three sites and their ground truth; start() binds the ports."""

    names = ("api-gov", "files-gov", "wall-gov")

    def __init__(self, articles: int = 8) -> None:
        self.n = articles
        self.urls: dict[str, str] = {}
        self._servers: list[ThreadingHTTPServer] = []
        self._files = {n: _files(n) for n in range(1, articles + 1)}
        self.log: list[tuple[str, str, int]] = []

    # -- content -------------------------------------------------------------------------------
    def _date(self, n: int) -> str:
        return f"2024-03-{n + 1:02d} 09:{n:02d}"

    def _title(self, site: str, n: int) -> str:
        return {"api-gov": "关于{t}的通知（第{n}号）", "files-gov": "{t}实施细则的公告（第{n}号）",
                "wall-gov": "{t}工作动态（第{n}期）"}[site].format(t=TOPICS[n % len(TOPICS)], n=n)  # fmt: skip

    def _body_paras(self, site: str, n: int) -> list[str]:
        if site == "files-gov" and n == 1:
            return ["详见附件。"]
        return _paras({"api-gov": "市政府", "files-gov": "市发改委", "wall-gov": "市网信办"}[site], n)

    def truth(self) -> dict[str, Any]:
        """Articles (url, site, title, published_at, source, body_text, rendered), attachments with text."""
        arts, files = [], []
        for site in self.names:
            base = self.urls.get(site, "")
            for n in range(1, self.n + 1):
                url = f"{base}/art/2024/{n}/art_{n}.html"
                body = "\n".join(self._body_paras(site, n))
                if site == "files-gov":
                    for name, link, _data, text in self._files[n]:
                        files.append(
                            {"url": f"{base}/uploadfiles/{name}", "article": url, "name": link, "text": text}
                        )
                        if n == 1:
                            body = text
                arts.append({
                    "url": url, "site": site, "title": self._title(site, n),
                    "published_at": self._date(n).replace(" ", "T") + ":00+08:00", "source": "本网",
                    "body_text": body, "kind": {"api-gov": "api", "wall-gov": "rendered"}.get(site, "attachments"),
                    "doc_number": f"示府发〔2024〕{n}号" if site == "api-gov" else None,
                })  # fmt: skip
        return {"articles": arts, "attachments": files}

    def sites_toml(self) -> str:
        """newsmon configuration of the three sites at their live ports."""
        a, f, w = (self.urls[s] for s in self.names)
        return f"""
[[site]]
name = "api-gov"
title = "示范市人民政府（政务公开接口）"
region = "示范省/示范市"
sources = [{{ kind = "api", url = "{a}/govsearch/jsonp/zf_list.jsp?page={{page}}&lb=3&callback=result", max_pages = 5, fields = {{ doc_number = "pcode", issuer = "puborg" }} }}]

[[site]]
name = "files-gov"
title = "示范市发展和改革委员会"
region = "示范省/示范市"
level = "department"
sources = [{{ kind = "listing", url = "{f}/col/tzgg/index.html" }}]

[[site]]
name = "wall-gov"
title = "示范市网信办（访问验证）"
region = "示范省/示范市"
level = "department"
render = "auto"
sources = [{{ kind = "listing", url = "{w}/col/gzdt/index.html" }}]
"""

    # -- HTTP ----------------------------------------------------------------------------------
    def respond(self, site: str, path: str, cookie: str) -> tuple[int, bytes, str, list[tuple[str, str]]]:
        """(status, body, content type, headers) of one GET."""
        parts = urlsplit(path)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        html = "text/html; charset=utf-8"
        if parts.path == "/robots.txt":
            return 200, b"User-agent: *\nDisallow: /admin/\n", "text/plain", []
        if site == "wall-gov" and WALL_COOKIE not in cookie:
            script = (f"<script>var a={WALL_A},b={WALL_B};document.cookie='wall_clearance='+(a*b)+'; path=/';"
                      "setTimeout(function(){location.reload()},50);</script>")  # fmt: skip
            return 412, f"<html><head>{script}</head><body></body></html>".encode(), html, []
        if parts.path.startswith("/art/2024/"):
            n = int(parts.path.rsplit("_", 1)[1].split(".")[0])
            if not 1 <= n <= self.n:
                return 404, b"not found", "text/plain", []
            extra = ""
            if site == "files-gov":
                extra = "".join(
                    f'<p><a href="/uploadfiles/{nm}">{link}</a></p>' for nm, link, _, _ in self._files[n]
                )
            body = _page(self._title(site, n), self._date(n), self._body_paras(site, n), extra)
            return 200, body, html, []
        if site == "files-gov" and parts.path.startswith("/uploadfiles/"):
            for fs in self._files.values():
                for nm, _link, data, _text in fs:
                    if parts.path.endswith("/" + nm):
                        return 200, data, "application/octet-stream", []
            return 404, b"not found", "text/plain", []
        if site == "api-gov" and parts.path == "/govsearch/jsonp/zf_list.jsp":
            page = int(q.get("page", "1") or 1)
            ns = list(range(self.n, 0, -1))[(page - 1) * PER_PAGE : page * PER_PAGE]
            rows = [{"title": self._title(site, n), "url": f"/art/2024/{n}/art_{n}.html", "pubtimeStr": self._date(n),
                     "pcode": f"示府发〔2024〕{n}号", "puborg": "示范市人民政府"} for n in ns]  # fmt: skip
            data = {"total": self.n, "page": page, "data": {"list": rows}}
            cb = q.get("callback", "result")
            return (
                200,
                f"{cb}({json.dumps(data, ensure_ascii=False)});".encode(),
                "application/javascript",
                [],
            )
        if parts.path in ("/", "/index.html") or parts.path.startswith("/col/"):
            if site == "api-gov":  # drawn by script from the JSONP interface: no links in the HTML itself
                script = ("<script>function result(d){var h='';d.data.list.forEach(function(r){h+='<li><a href=\"'+"
                          "r.url+'\">'+r.title+'</a> '+r.pubtimeStr+'</li>'});document.getElementById('list')"
                          ".innerHTML=h}</script><script src='/govsearch/jsonp/zf_list.jsp?page=1&callback=result'>"
                          "</script>")  # fmt: skip
                return 200, f"<html><body><ul id='list'></ul>{script}</body></html>".encode(), html, []
            items = "".join(
                f"<li><a href='/art/2024/{n}/art_{n}.html'>{self._title(site, n)}</a><span>{self._date(n)[:10]}</span></li>"
                for n in range(self.n, 0, -1)
            )
            return 200, f"<html><body><ul class='list'>{items}</ul></body></html>".encode(), html, []
        return 404, b"not found", "text/plain", []

    def _handler(self, site: str) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                """Quiet."""

            def do_GET(self) -> None:  # noqa: N802
                """One page."""
                status, body, ctype, headers = owner.respond(site, self.path, self.headers.get("Cookie", ""))
                owner.log.append((site, self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        return Handler

    def start(self) -> SourcesSites:
        """Bind one port per site and serve in background threads."""
        for site in self.names:
            srv = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(site))
            srv.daemon_threads = True
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
            self._servers.append(srv)
            self.urls[site] = f"http://127.0.0.1:{srv.server_address[1]}"
        return self

    def stop(self) -> None:
        """Stop serving."""
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers.clear()

    def __enter__(self) -> SourcesSites:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
