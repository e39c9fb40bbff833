"""Local HTTP server for the demo world: one port per site plus a control port with truth and controls."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo.pages import Reply, http_date, not_modified, respond
from demo.world import World, build_world


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet (no per-request stderr output)."""

    def _send(self, status: int, body: bytes, ctype: str, headers: list[tuple[str, str]], head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304 and body:
            self.wfile.write(body)


def _site_handler(srv: DemoServer, site: str) -> type[BaseHTTPRequestHandler]:
    class Handler(_Quiet):
        def _handle(self, head: bool = False) -> None:
            started = time.time()
            if self.command == "POST":
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
            base = srv.site_urls[site]
            try:
                reply = respond(srv.world, site, self.command, self.path, base)
            except Exception:  # a bug in the demo must surface as a 500, not a dropped connection
                traceback.print_exc()
                reply = Reply(500, b"demo server error\n", "text/plain; charset=utf-8")
            etag, unchanged = not_modified(
                reply, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
            )
            status = 304 if unchanged else reply.status
            headers = list(reply.headers)
            if etag:
                headers.append(("ETag", etag))
            if reply.mtime is not None and reply.status == 200:
                headers.append(("Last-Modified", http_date(reply.mtime)))
            if reply.delay and not unchanged:
                time.sleep(reply.delay)
            srv._log(site, self.command, self.path, status, self.headers, started)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(status, reply.body, reply.ctype, headers, head)

        def do_GET(self) -> None:  # noqa: N802
            """Serve a page."""
            self._handle()

        def do_HEAD(self) -> None:  # noqa: N802
            """Serve headers only."""
            self._handle(head=True)

        def do_POST(self) -> None:  # noqa: N802
            """Hanweb's dataproxy is usually POSTed; everything else answers as for GET."""
            self._handle()

    Handler.server_version = {
        "trs": "TRS WCM",
        "hanweb": "Apache-Coyote/1.1",
        "dahan": "Microsoft-IIS/8.5",
    }.get(srv.world.spec(site).cms, "nginx")
    return Handler


def _control_handler(srv: DemoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Quiet):
        def _json(self, obj: object, status: int = 200) -> None:
            self._send(
                status,
                json.dumps(obj, ensure_ascii=False).encode(),
                "application/json; charset=utf-8",
                [],
                self.command == "HEAD",
            )

        def _route(self) -> None:
            parts = urlsplit(self.path)
            q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if self.command == "POST":
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    q.update({k: v[-1] for k, v in parse_qs(self.rfile.read(n).decode()).items()})
            site = q.get("site") or None
            if site is not None and site not in srv.world.sites:
                return self._json({"error": f"unknown site {site!r}"}, 404)
            try:
                if parts.path == "/truth" and self.command == "GET":
                    return self._json(srv.truth(bodies=q.get("bodies", "1") != "0"))
                if parts.path == "/publish" and self.command == "POST":
                    return self._json(srv.publish(site, int(q.get("n", "1"))))
                if parts.path == "/broken" and self.command == "POST":
                    if site is None:
                        return self._json({"error": "site required"}, 400)
                    srv.set_broken(site, q.get("on", "1") not in ("0", "false", "off"))
                    return self._json({"site": site, "broken": srv.world.sites[site].broken})
                if parts.path == "/change" and self.command == "POST":
                    if site is None:
                        return self._json(srv.demo_changes())
                    return self._json(srv.change(site, q.get("action", ""), int(q.get("n", "1"))))
                if parts.path == "/log" and self.command == "GET":
                    return self._json(srv.request_log(site, detail=True))
                if parts.path == "/reset-log" and self.command == "POST":
                    srv.reset_log()
                    return self._json({"ok": True})
                if parts.path == "/sites.toml" and self.command == "GET":
                    return self._send(
                        200, srv.sites_toml().encode(), "application/toml; charset=utf-8", [], False
                    )
                if parts.path == "/" and self.command == "GET":
                    return self._json({"control": srv.control_url, "sites": srv.site_urls})
            except ValueError as exc:
                return self._json({"error": str(exc)}, 400)
            return self._json({"error": "not found"}, 404)

        def do_GET(self) -> None:  # noqa: N802
            """Control GET endpoints."""
            self._route()

        def do_POST(self) -> None:  # noqa: N802
            """Control POST endpoints."""
            self._route()

    return Handler


class DemoServer:
    """Serves a World on 127.0.0.1: one port per site (in World order) and one control port after them."""

    def __init__(
        self, world: World, host: str = "127.0.0.1", base_port: int = 0, slow_seconds: float | None = None
    ) -> None:
        self.world = world
        self.host = host
        self.base_port = base_port
        if slow_seconds is not None:
            world.slow_seconds = slow_seconds
        self.site_urls: dict[str, str] = {}
        self.control_url = ""
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._log_lock = threading.Lock()
        self._entries: list[dict] = []

    # ---------- lifecycle ----------
    def start(self) -> DemoServer:
        """Bind all ports and serve in background threads."""
        if self._servers:
            return self
        names = list(self.world.sites)
        try:
            for i, name in enumerate(names):
                port = self.base_port + i if self.base_port else 0
                s = _Server((self.host, port), _site_handler(self, name))
                self._servers.append(s)
                self.site_urls[name] = f"http://{self.host}:{s.server_address[1]}"
            port = self.base_port + len(names) if self.base_port else 0
            c = _Server((self.host, port), _control_handler(self))
            self._servers.append(c)
            self.control_url = f"http://{self.host}:{c.server_address[1]}"
        except OSError:
            self.stop()
            raise
        for s in self._servers:
            t = threading.Thread(
                target=s.serve_forever,
                kwargs={"poll_interval": 0.1},
                daemon=True,
                name=f"demo-{s.server_address[1]}",
            )
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        """Stop serving and close all sockets."""
        for s in self._servers:
            if self._threads:
                s.shutdown()
            s.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------- API ----------
    def truth(self, bodies: bool = True) -> dict:
        """Ground truth of what is currently published, with live URLs."""
        return self.world.truth(self.site_urls, bodies)

    def publish(self, site: str | None = None, n: int = 1) -> list[dict]:
        """Publish n new articles on a site (or on every site when None); return their truth records."""
        return self.world.publish(site, n, self.site_urls)

    def set_broken(self, site: str, on: bool = True) -> None:
        """Change a site's list-page layout so that no article links can be found (or restore it)."""
        self.world.set_broken(site, on)

    def change(self, site: str, action: str, n: int = 1) -> list[dict]:
        """Edit or take down n articles of a site (demo.changes.ACTIONS); their records."""
        from demo.changes import change

        return change(self.world, site, action, n, self.site_urls)

    def demo_changes(self) -> list[dict]:
        """The demo's planned edits, chrome changes and removals on every site (demo.changes.DEMO_PLAN)."""
        from demo.changes import demo_changes

        return demo_changes(self.world, self.site_urls)

    def sites_toml(self) -> str:
        """newsmon site configuration for the live ports."""
        return self.world.sites_toml(self.site_urls)

    def write_sites_toml(self, path: str | Path) -> Path:
        """Write sites_toml() to path and return it."""
        p = Path(path)
        p.write_text(self.sites_toml(), encoding="utf-8")
        return p

    def _log(self, site: str, method: str, path: str, status: int, headers: Any, started: float) -> None:
        entry = {
            "site": site,
            "method": method,
            "path": path,
            "status": status,
            "start": started,  # the request arrived
            "time": time.time(),  # the reply is about to be sent
            "if_none_match": headers.get("If-None-Match") is not None,
            "if_modified_since": headers.get("If-Modified-Since") is not None,
            "user_agent": headers.get("User-Agent", ""),
            "referer": headers.get("Referer"),
        }
        with self._log_lock:
            self._entries.append(entry)

    def request_log(self, site: str | None = None, detail: bool = False) -> list:
        """Requests served so far as (method, path, status), or dicts with headers flags when detail=True."""
        with self._log_lock:
            entries = [e for e in self._entries if site is None or e["site"] == site]
        if detail:
            return [dict(e) for e in entries]
        return [(e["method"], e["path"], e["status"]) for e in entries]

    def reset_log(self) -> None:
        """Forget the request log."""
        with self._log_lock:
            self._entries.clear()


def main(argv: list[str] | None = None) -> int:
    """Run the demo sites in the foreground until SIGTERM/SIGINT."""
    ap = argparse.ArgumentParser(prog="python -m demo.server", description=__doc__)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--base-port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--slow-seconds", type=float, default=3.0)
    ap.add_argument("--write-config", metavar="PATH")
    args = ap.parse_args(argv)
    # a flag, not a threading.Event: Event.set() from a handler can deadlock against the main
    # thread's own Event.wait() (both take the same non-reentrant lock)
    stopped: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: stopped.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _: stopped.append(signum))
    srv = DemoServer(build_world(args.seed, args.scale, args.slow_seconds), args.host, args.base_port).start()
    try:
        if args.write_config:
            srv.write_sites_toml(args.write_config)
        print(
            json.dumps({"control": srv.control_url, "sites": srv.site_urls}, ensure_ascii=False), flush=True
        )
        for name, url in srv.site_urls.items():
            print(f"{name:16} {url}/  ({srv.world.spec(name).title})", flush=True)
        print(f"{'control':16} {srv.control_url}/truth", flush=True)
        if args.write_config:
            print(f"config written to {args.write_config}", flush=True)
        while not stopped:
            time.sleep(0.2)
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
