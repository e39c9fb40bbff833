"""Extraction stays fast and bounded on huge, deeply nested and hostile input; CLI bodies."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.extract import extract_article
from crawler.extract.cli import run_batch, run_extract

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
ROOT = Path(__file__).resolve().parents[1]


def timed(fn, limit: float):
    t0 = time.perf_counter()
    result = fn()
    assert time.perf_counter() - t0 < limit
    return result


@pytest.mark.timeout(30)
def test_ten_megabyte_page():
    para = "<p>这是一段用于压力测试的正文，句子足够长，带有标点符号。</p>\n".encode()
    data = (
        b"<html><body><div class='content'>"
        + para * (10 * 1024 * 1024 // len(para))
        + b"</div></body></html>"
    )
    assert len(data) > 10_000_000
    art = timed(lambda: extract_article(data, "http://x.gov.cn/big.html"), 20)
    assert art.is_article or art.reason == "too-complex"


@pytest.mark.timeout(30)
def test_hundred_thousand_nested_tags():
    data = (
        b"<html><body>"
        + b"<div>" * 100_000
        + "深层嵌套的文字。".encode()
        + b"</div>" * 100_000
        + b"</body></html>"
    )
    art = timed(lambda: extract_article(data, "http://x.gov.cn/deep.html"), 10)
    # libxml2 stops at 256 levels: the text below is lost, said as "no article" with a reason
    assert not art.is_article and art.reason in ("no-body", "too-complex")


@pytest.mark.timeout(30)
def test_many_unclosed_inline_tags():
    data = (
        b"<html><body><p>" + "开头的正文，足够长，带标点。".encode() + b"<b><i><font>" * 30_000 + b"</body>"
    )
    art = timed(lambda: extract_article(data, "http://x.gov.cn/inline.html"), 10)
    assert art.is_article and art.body_text.startswith("开头的正文，足够长，带标点。")
    assert art.to_dict()["body_text"] == art.body_text


def test_garbage_bytes_and_controls():
    for data in (b"\x00" * 1000, b"<html>\x00\x01\x02<body>\xff\xfe\xfd</body>", "<p>\ud800</p>"):
        art = extract_article(data, "http://x/a")
        assert not art.is_article


# --- CLI bodies ----------------------------------------------------------------------------------------
def test_run_extract_file_jsonl():
    out = io.StringIO()
    status = run_extract(
        [str(FIXTURES / "trs_gov.html"), str(FIXTURES / "no_article.html")],
        "http://www.qingshi.gov.cn/zwgk/zwdt/202311/t20231128_123.html",
        out,
    )
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert status == 0 and len(rows) == 2
    assert rows[0]["title"] == "青石市召开春季农业生产调度会" and rows[0]["is_article"] is True
    assert rows[1]["is_article"] is False


def test_run_extract_missing_file():
    out = io.StringIO()
    assert run_extract(["/nonexistent/page.html"], None, out) == 1
    assert "error" in json.loads(out.getvalue())


def test_run_batch_protocol():
    inp = io.StringIO(
        json.dumps({"path": str(FIXTURES / "hanweb.html"), "url": "http://www.nanling.gov.cn/a.html"})
        + "\n"
        + json.dumps({"path": "/nonexistent.html", "url": ""})
        + "\n"
    )
    out = io.StringIO()
    run_batch(inp, out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 2
    assert set(rows[0]) == {"title", "publish_date", "author", "source", "body"}
    assert rows[0]["publish_date"].startswith("2024-01-16") and rows[0]["source"] == "县水利局"
    assert "error" in rows[1]


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        body = (FIXTURES / "notice_gbk.txt").read_text(encoding="utf-8").encode("gbk")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")  # mislabelled on purpose
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_run_extract_local_url():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        out = io.StringIO()
        url = f"http://127.0.0.1:{srv.server_address[1]}/notice.html"
        assert run_extract([url], None, out) == 0
        row = json.loads(out.getvalue())
        assert row["url"] == url and row["encoding"] == "gb18030"
        assert row["title"] == "关于春节期间暂停办理业务的通知"
    finally:
        srv.shutdown()


def test_module_entry_point_score_format():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.extract",
            "--score-format",
            "--url",
            "http://x.gov.cn/a.html",
            str(FIXTURES / "hanweb.html"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    row = json.loads(proc.stdout)
    assert row["title"] == "南岭县召开河长制工作推进会"
