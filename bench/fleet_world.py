"""The fleet's simulated government sites for bench/fleet.py: N sites, each on its own loopback address.

Site i listens on 127.1.(i // 250).(i % 250 + 1), one port shared by all; each has two columns (list
pages) of three articles, a robots.txt, ETag / If-None-Match on every page. One asyncio server process
answers them all and counts, per round: requests by kind, robots.txt fetches and the most requests a
single host had in flight at once (politeness: it must stay 1). Controlled over a multiprocessing pipe:
("publish", sources) adds one article to each given (site, column); ("stats",) returns and resets the
counters; ("stop",). Only loopback addresses (127.0.0.0/8) are used.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import multiprocessing as mp
import socket
from collections import Counter
from typing import Any

from demo.text import TOPICS

PER_LIST = 3
COLUMNS = (1, 2)


def host_of(i: int) -> str:
    """Loopback address of site i (127.1.0.1, 127.1.0.2, …; 250 per /24)."""
    return f"127.1.{i // 250}.{i % 250 + 1}"


def free_port(host: str) -> int:
    """A port free on `host` (the fleet binds it on every site address)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _topic(n: int) -> str:
    t = TOPICS[n % len(TOPICS)]
    return t if isinstance(t, str) else str(t[0])


def _article(i: int, col: int, n: int) -> bytes:
    topic = _topic(i * 7 + col * 3 + n)
    title = f"第{i}号市{topic}工作第{n}次推进会议召开"
    paras = "".join(
        f"<p>会议指出，要深入推进{topic}工作，第{n}阶段在{i}区{k}街道全面铺开，确保各项任务落地见效，"
        f"切实把{topic}各项措施落到实处，不断提升群众获得感、幸福感、安全感。</p>"
        for k in range(4)
    )
    date = f"2026-11-{1 + n % 28:02d} 09:{n % 60:02d}"
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date}">'
        f'<meta name="ContentSource" content="第{i}号市人民政府"></head><body>'
        f'<div class="nav"><a href="/">首页</a> <a href="/col/col1/index.html">政务要闻</a></div>'
        f'<div class="article"><h1>{title}</h1><div class="info">发布时间：{date} 来源：第{i}号市人民政府</div>'
        f'<div class="content">{paras}</div></div></body></html>'
    ).encode()


def _list(i: int, col: int, newest: int) -> bytes:
    items = "".join(
        f'<li><a href="/art/2026/11/{col}/art_{col}_{n}.html">第{i}号市{_topic(i * 7 + col * 3 + n)}工作第{n}次推进会议召开</a>'
        f"<span>2026-11-{1 + n % 28:02d}</span></li>"
        for n in range(newest, max(0, newest - PER_LIST), -1)
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>第{i}号市政务要闻</title></head><body>'
        f'<div class="nav"><a href="/">首页</a></div><ul class="list">{items}</ul></body></html>'
    ).encode()


class _Fleet:
    def __init__(self, n_sites: int) -> None:
        self.newest = {(i, c): PER_LIST for i in range(n_sites) for c in COLUMNS}
        self.by_host = {host_of(i): i for i in range(n_sites)}
        self.counts: Counter[str] = Counter()
        self.inflight: Counter[str] = Counter()
        self.max_inflight = 0

    def reply(self, host: str, path: str, inm: str | None) -> tuple[int, bytes, str, str]:
        i = self.by_host[host]
        if path == "/robots.txt":
            self.counts["robots"] += 1
            return 200, b"User-agent: *\nDisallow: /private/\n", "text/plain", ""
        parts = path.strip("/").split("/")
        if path.startswith("/col/col") and path.endswith("/index.html"):
            col = int(parts[1][3:])
            self.counts["list"] += 1
            body = _list(i, col, self.newest[(i, col)])
        elif path.startswith("/art/"):
            col, n = (int(x) for x in parts[-1][4:-5].split("_"))
            if n > self.newest.get((i, col), 0):
                return 404, b"not found", "text/plain", ""
            self.counts["article"] += 1
            body = _article(i, col, n)
        else:
            self.counts["other"] += 1
            return 404, b"not found", "text/plain", ""
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        if inm == etag:
            self.counts["not_modified"] += 1
            return 304, b"", "text/html; charset=utf-8", etag
        return 200, body, "text/html; charset=utf-8", etag

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
                self.inflight[host] += 1
                self.max_inflight = max(self.max_inflight, self.inflight[host])
                self.counts["requests"] += 1
                status, body, ctype, etag = self.reply(host, path, headers.get("if-none-match"))
                extra = f"ETag: {etag}\r\n" if etag else ""
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode()
                    + body
                )
                await writer.drain()
                self.inflight[host] -= 1
        except (asyncio.IncompleteReadError, ConnectionError, IndexError, ValueError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def _serve(n_sites: int, port: int, conn: Any) -> None:
    fleet = _Fleet(n_sites)

    async def main() -> None:
        servers = [
            await asyncio.start_server(fleet.handle, host_of(i), port, backlog=64) for i in range(n_sites)
        ]
        loop = asyncio.get_running_loop()
        conn.send("ready")
        while True:
            msg = await loop.run_in_executor(None, conn.recv)
            if msg[0] == "stop":
                break
            if msg[0] == "publish":
                for i, col in msg[1]:
                    fleet.newest[(i, col)] += 1
                conn.send([f"http://{host_of(i)}:{port}/art/2026/11/{col}/art_{col}_{fleet.newest[(i, col)]}.html"
                           for i, col in msg[1]])  # fmt: skip
            elif msg[0] == "stats":
                conn.send({**fleet.counts, "max_inflight_per_host": fleet.max_inflight})
                fleet.counts.clear()
                fleet.max_inflight = 0
        for s in servers:
            s.close()

    asyncio.run(main())


class FleetServer:
    """The fleet's sites in a separate process (its CPU is the simulated internet's, not newsmon's)."""

    def __init__(self, n_sites: int) -> None:
        self.n_sites = n_sites
        self.port = free_port(host_of(0))
        self._conn, child = mp.Pipe()
        self.proc = mp.get_context("fork").Process(
            target=_serve, args=(n_sites, self.port, child), daemon=True
        )

    def __enter__(self) -> FleetServer:
        self.proc.start()
        if not self._conn.poll(300) or self._conn.recv() != "ready":
            raise RuntimeError("the fleet server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self._conn.send(("stop",))
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()

    def sites_toml(self, every: str = "1s") -> str:
        """One [[site]] per site, two column sources each."""
        return "".join(
            f'[[site]]\nname = "fleet{i:05d}"\nevery = "{every}"\nsources = ['
            + ", ".join(
                f'{{ url = "http://{host_of(i)}:{self.port}/col/col{c}/index.html" }}' for c in COLUMNS
            )
            + "]\n\n"
            for i in range(self.n_sites)
        )

    def publish(self, sources: list[tuple[int, int]]) -> list[str]:
        """One new article on each (site, column); their URLs."""
        self._conn.send(("publish", sources))
        return self._conn.recv()

    def stats(self) -> dict[str, int]:
        """Counters since the last call (then reset)."""
        self._conn.send(("stats",))
        return self._conn.recv()
