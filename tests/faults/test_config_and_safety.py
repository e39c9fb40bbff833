"""Bad configuration stops everything before a request; crawls touch only their own sites."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.dates import parse_date
from tests.conftest import crawl_sites, newsmon

pytestmark = pytest.mark.faults

BAD_CONFIGS = {
    "unknown key": ('name = "a"\ncolour = "red"', "colour"),
    "wrong type": ('name = "a"\nevery = 5', "every"),
    "invalid url": ('name = "a"\nsources = [{ url = "htp:/nowhere" }]', "url"),
    "invalid cron": ('name = "a"\ncron = "61 25 * * *"', "cron"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_exits_2_and_crawls_nothing(demo_server, tmp_path: Path, case: str) -> None:
    body, key = BAD_CONFIGS[case]
    good = demo_server.sites_toml()
    config = tmp_path / "sites.toml"
    sources = 'sources = [{ url = "http://127.0.0.1:9/x.html" }]\n' if "sources" not in body else ""
    config.write_text(good + "\n[[site]]\n" + body + "\n" + sources, encoding="utf-8")
    demo_server.reset_log()
    db = ("--db", str(tmp_path / "n.db"))
    for args in (("crawl", "--all", *db), ("sites",), ("schedule", "--once", *db)):
        proc = newsmon(*args, "--sites", str(config))
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert str(config) in proc.stderr and "site 'a'" in proc.stderr and f"key '{key}'" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert demo_server.request_log() == []


def test_duplicate_site_names(tmp_path: Path) -> None:
    config = tmp_path / "sites.toml"
    config.write_text(
        '[[site]]\nname = "a"\nsources = [{ url = "http://127.0.0.1:9/" }]\n' * 2, encoding="utf-8"
    )
    proc = newsmon("crawl", "--all", "--sites", str(config), "--db", str(tmp_path / "n.db"))
    assert proc.returncode == 2 and "duplicate site name" in proc.stderr


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, page: str) -> None:
        self.seen: list[str] = []
        self.page = page
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.seen.append(self.path)
                body = server.page.encode() if self.path == "/list.html" else b"<html><body>no</body></html>"
                self.send_response(200 if self.path in ("/list.html", "/robots.txt") else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__((host, 0), Handler)


@pytest.mark.slow
def test_crawls_request_only_configured_hosts(tmp_path: Path) -> None:
    """Links to other hosts on a list page (even on this machine) are never requested."""
    other = _Recorder("127.0.0.2", "")
    threading.Thread(target=other.serve_forever, daemon=True).start()
    other_base = f"http://127.0.0.2:{other.server_address[1]}"
    links = "".join(
        f'<li><a href="{other_base}/a/t20231128_{i}.html">别的网站的文章标题{i}</a></li>' for i in range(5)
    )
    links += f'<li><a href="http://127.0.0.1:{other.server_address[1]}/a/t20231128_9.html">另一个端口的文章</a></li>'
    site = _Recorder("127.0.0.1", f"<html><body><ul>{links}</ul></body></html>")
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        config = tmp_path / "sites.toml"
        config.write_text(
            '[[site]]\nname = "mine"\nsources = [{ url = '
            f'"http://127.0.0.1:{site.server_address[1]}/list.html" }}]\n',
            encoding="utf-8",
        )
        proc = crawl_sites(tmp_path / "n.db", config)
        assert other.seen == []
        assert set(site.seen) <= {"/robots.txt", "/list.html"}
        assert proc.returncode == 1  # no article links of its own: a failed run, said clearly
        status, reason = (
            sqlite3.connect(tmp_path / "n.db").execute("SELECT status, reason FROM runs").fetchone()
        )
        assert status == "failed" and "no article links" in reason
    finally:
        for s in (other, site):
            s.shutdown()
            s.server_close()


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M"]),
)
def test_date_parsing_roundtrip(dt: datetime, fmt: str) -> None:
    text = dt.strftime(fmt)
    got = parse_date(text)
    assert got is not None and got.tzinfo is not None
    want = dt.replace(second=dt.second if "%S" in fmt else 0, microsecond=0)
    assert got.replace(tzinfo=None) == want
    # Asia/Shanghai, including China's daylight saving time of 1986-1991 (+09:00 in summer)
    assert got.utcoffset() == ZoneInfo("Asia/Shanghai").utcoffset(want)


@given(st.text(max_size=200))
def test_date_parsing_never_crashes(text: str) -> None:
    got = parse_date(text)
    assert got is None or got.tzinfo is not None
