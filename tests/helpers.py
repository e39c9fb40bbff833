"""What the tests share: a local HTTP server in a thread and fixed routes for it, a webhook receiver, the
crawl command line, article items and rows, a small archive, run rows, the CLI's command tree.

Test modules import these from here, not from one another.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from crawler import signatures
from storage.store import Store
from tests.conftest import DEMO_SETTINGS

HTML = "text/html; charset=utf-8"
Route = tuple[int, dict[str, str], bytes]  # status, headers, body


def send(handler: Any, route: Route) -> None:
    """Answer a request with a (status, headers, body) route (Content-Length added)."""
    status, headers, body = route
    handler.send_response(status)
    for k, v in headers.items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def page(body: str | bytes, ctype: str = HTML, **headers: str) -> Route:
    """A 200 route."""
    return 200, {"Content-Type": ctype, **headers}, body.encode() if isinstance(body, str) else body


def moved(location: str, status: int = 302) -> Route:
    """A redirect route."""
    return status, {"Location": location}, b""


class LocalServer:
    """An HTTP server on a loopback address (a free port) serving from a daemon thread once started;
    each GET (and POST) request is handed to `handle(handler)`, which writes the answer."""

    def __init__(
        self,
        handle: Callable[[BaseHTTPRequestHandler], None],
        host: str = "127.0.0.1",
        protocol_version: str = "HTTP/1.0",
    ) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                handle(self)

            do_POST = do_GET  # noqa: N815 - webhook receivers are POSTed to

        Handler.protocol_version = protocol_version
        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.netloc = f"{host}:{self.port}"
        self.base = f"http://{self.netloc}"

    def start(self, poll_interval: float = 0.5) -> LocalServer:
        """Serve from a daemon thread (stop() waits up to poll_interval seconds for it)."""
        threading.Thread(target=self.httpd.serve_forever, args=(poll_interval,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RouteServer(LocalServer):
    """A threaded 127.0.0.1 (or other loopback) server answering fixed routes and recording every request.

    `routes` maps a path to (status, headers, body) or to a callable(handler) doing its own writing;
    any other path is a 404. Used as the "other service" that must receive nothing, and as a site.
    """

    def __init__(self, host: str = "127.0.0.1", routes: dict[str, Any] | None = None) -> None:
        self.routes: dict[str, Any] = dict(routes or {})
        self.seen: list[str] = []
        self.hosts: list[str] = []
        super().__init__(self._answer, host, "HTTP/1.1")

    def __enter__(self) -> RouteServer:
        self.start()
        return self

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        self.seen.append(handler.path)
        self.hosts.append(handler.headers.get("Host", ""))
        route = self.routes.get(handler.path.split("?")[0])
        if callable(route):
            route(handler)
            return
        status, headers, body = route or (404, {}, b"not found")
        send(handler, (status, {"Content-Type": HTML, **headers}, body))


def crawl_command(
    db: Path, config: Path, *args: str, settings: Mapping[str, str] = DEMO_SETTINGS
) -> list[str]:
    """argv of `newsmon crawl --db DB --sites CONFIG --set K=V … ARGS` (the demo's fast settings by default)."""
    sets = [f"--set={k}={v}" for k, v in settings.items()]
    return [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "--db",
        str(db),
        "--sites",
        str(config),
        *sets,
        *args,
    ]


def trickle(h: Any, *, byte: bytes = b"x", times: int = 60, every: float = 2.0, html: bool = False) -> None:
    """A route that reads the request, then answers one byte every `every` s, `times` times (two minutes by
    default): each socket read succeeds, the answer never completes its Content-Length."""
    h.rfile.read(int(h.headers.get("Content-Length") or 0))
    h.send_response(200)
    if html:
        h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    try:
        for _ in range(times):
            h.wfile.write(byte)
            h.wfile.flush()
            time.sleep(every)  # the server's pace: what the client must not wait out
    except OSError:
        pass


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records Apprise json:// posts; can fail (500) or be closed."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self.status = 200
        self.server = LocalServer(self._answer).start(poll_interval=0.05)
        self.port = self.server.port

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self.requests += 1
        if self.status == 200:
            self.messages.append(json.loads(body))
        handler.send_response(self.status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    @property
    def url(self) -> str:
        """Apprise URL posting JSON to this receiver."""
        return f"json://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        """Stop listening: connections are refused from now on."""
        self.server.stop()


# -- articles and archives -----------------------------------------------------------------------------
def item(url: str, body: str, *, site: str = "s1", title: str = "标题", published: str | None = None) -> dict:
    """An article item as the pipeline hands it to Store.save_articles."""
    return {
        "url": url, "site": site, "title": title, "published_at": published or "2023-11-28T09:30:00+08:00",
        "body_text": body, "content_hash": signatures.content_hash(body), "signature": signatures.signature(body),
    }  # fmt: skip


def art(url: str, body: str = "正文第一段。正文第二段。", **kw: object) -> dict:
    """An article row with a content hash (no signature); keyword arguments set or add columns."""
    row = {
        "url": url,
        "site": kw.pop("site", "s1"),
        "title": kw.pop("title", "标题"),
        "body_text": body,
        "content_hash": signatures.content_hash(body),
        "published_at": "2023-11-28T09:30:00+08:00",
    }
    row.update(kw)
    return row


def long_body(topic: str, n: int = 12) -> str:
    """A body about `topic`, long enough for near-duplicate detection and distinct for each topic."""
    rng = random.Random(topic)
    pool = "工作会议推进发展建设改革创新服务群众经济社会项目企业产业政策落实部署安排调研检查督导完善机制"
    sentences = ["".join(rng.choice(pool) for _ in range(24)) + "。" for _ in range(n)]
    return topic + "。\n" + "\n".join(sentences)


PARA = (
    "会议强调，要坚持以人民为中心的发展思想，聚焦群众急难愁盼，推动各项任务落细落实。"
    "截至10月底，全省累计完成项目建设投资320亿元，同比增长12.5%，带动新增就业岗位5600个。"
)
ZX_BODY = "国务院常务会议部署乡村振兴重点工作。" + PARA * 3 + "各地要以钉钉子精神抓好落实，确保取得实效。"
CC_BODY = "长春市召开优化营商环境工作推进会议。" + PARA * 2 + "会议由长春市人民政府主持。"
BJ_BODY = "北京市发布冬季供暖保障方案，确保群众温暖过冬。" + PARA
FORMULA_BODY = "公告正文。" + PARA

SITES = [
    {"name": "gov-cn", "title": "中国政府网", "region": "全国", "level": "national"},
    {"name": "jilin-gov", "title": "吉林省人民政府", "region": "吉林省", "level": "province"},
    {"name": "changchun-gov", "title": "长春市人民政府", "region": "吉林省/长春市", "level": "city"},
    {"name": "beijing-gov", "title": "北京市人民政府", "region": "北京市", "level": "province"},
]
ARTICLES = [
    # (url, site, title, published_at, source, body)
    ("https://www.gov.cn/1.html", "gov-cn", "国务院部署乡村振兴重点工作", "2023-11-20T09:00:00+08:00", "新华社", ZX_BODY),
    ("https://www.jl.gov.cn/2.html", "jilin-gov", "【转载】国务院部署乡村振兴重点工作", "2023-11-20T15:30:00+08:00",
     "中国政府网", ZX_BODY),
    ("https://www.changchun.gov.cn/3.html", "changchun-gov", "国务院部署乡村振兴重点工作",
     "2023-11-21T08:00:00+08:00", "中国政府网", ZX_BODY),
    ("https://www.changchun.gov.cn/4.html", "changchun-gov", "长春市召开优化营商环境工作推进会议",
     "2023-11-22T10:00:00+08:00", "长春日报", CC_BODY),
    ("https://www.beijing.gov.cn/5.html", "beijing-gov", "北京市发布冬季供暖保障方案", "2023-11-23T11:00:00+08:00",
     "北京日报", BJ_BODY),
    ("https://www.jl.gov.cn/6.html", "jilin-gov", "=HYPERLINK(\"http://evil\")", "2023-11-24T12:00:00+08:00",
     "+861012345", FORMULA_BODY),
]  # fmt: skip

# the chrome every page of a template site repeats: what only repetition tells apart from a short story
SIDEBAR = (
    "<div class='l'><p>青石市地处东北平原腹地，是省内重要的交通枢纽和工业基地，全市辖六个区、三个县，总面积一万余平方公里。</p>"
    "<p>近年来，青石市坚持创新驱动发展，大力推进产业转型升级，城市综合实力不断增强，人民生活水平稳步提高。</p>"
    "<p>办事指南：市民可通过政务服务网或前往各区政务服务中心办理户籍、社保、医保、公积金等业务，工作日全天受理。</p></div>"
)
FOOTER = (
    "<div class='f'><p>主办：青石市人民政府办公室，承办：青石市大数据管理中心。地址：青石市人民大街1号，"
    "邮编：130000，联系电话：0431-12345678，欢迎各界人士对本网站提出意见和建议，我们将认真研究改进。</p></div>"
)


def make_db(path: Path) -> Path:
    """A small newsmon database: one story copied twice (exact copies), three single stories, runs, failures."""
    with Store(path) as store:
        store.upsert_sites(SITES)
        items = [
            {"url": u, "site": s, "title": t, "published_at": p, "source": src, "body_text": b,
             "content_hash": signatures.content_hash(b), "signature": signatures.signature(b), "column_name": "要闻"}
            for u, s, t, p, src, b in ARTICLES
        ]  # fmt: skip
        store.save_articles(items)
        run = store.start_run("jilin-gov")
        store.record_failure(run, "jilin-gov", "https://www.jl.gov.cn/x.html", "http", "404", 404)
        store.finish_run(run, "failed", reason="errors")
        ok = store.start_run("gov-cn")
        store.finish_run(ok, "ok")
    return path


def run_rows(db: Path, site: str | None = None) -> list[dict[str, Any]]:
    """The run rows (of one site), oldest first; none when the schema is not created yet."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    sql = "SELECT * FROM runs" + (" WHERE site = ?" if site else "") + " ORDER BY id"
    try:
        out = [dict(r) for r in conn.execute(sql, (site,) if site else ())]
    except sqlite3.OperationalError:
        out = []  # schema not created yet
    finally:
        conn.close()
    return out


def stored(db: Path) -> list[str]:
    """URLs of every article row."""
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT url FROM articles")]
    finally:
        conn.close()


def article_paths(srv: Any) -> set[str]:
    """Paths of every article of a demo server."""
    return {urlsplit(a["url"]).path for a in srv.truth()["articles"]}


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command below a click group, with its path of names."""
    out = []
    for name, cmd in sorted(group.commands.items()):
        out.append(((*prefix, name), cmd))
        if isinstance(cmd, click.Group):
            out.extend(commands(cmd, (*prefix, name)))
    return out


def client(url: str) -> Any:
    """A cluster handle on a Redis URL, for assertions."""
    # imported here: redis is an optional extra, and most tests never reach the cluster
    from crawler.distributed.cluster import Cluster

    return Cluster.from_url(url)
