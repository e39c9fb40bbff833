"""Attached documents: text of each format, limits (size, budget, corrupt, password, zip bomb), real crawls
storing them once per hash, full-text search and watches finding words only an attachment holds."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import scrapy
from scrapy.http import Response
from scrapy.settings import Settings

from crawler.attachment_text import extract_text
from demo import docgen
from spiders.attachments import AttachmentMixin
from tests.conftest import crawl_sites, newsmon
from tests.helpers import send

TOPICS = ("营商环境", "乡村振兴", "城市更新", "社会保障", "生态保护", "数字政府", "教育公平", "医疗改革")


def para(n: int) -> str:
    """A body paragraph of its own for article n (the same text on every page would be site chrome)."""
    words = [TOPICS[(n * 3 + i) % len(TOPICS)] for i in range(5)]
    return (
        "　　"
        + "。".join(
            f"第{n}号文件第{i}条：围绕{w}推进第{n * 7 + i}项重点任务落实" for i, w in enumerate(words)
        )
        + "。"
    )


SECRET_WORD = "鲲鹏专项"  # appears only inside the PDF of the 详见附件 article
PDF_LINES = [
    ["关于印发鲲鹏专项扶持办法的通知", f"第一条 为支持{SECRET_WORD}企业发展，制定本办法。"],
    ["第二条 本办法自发布之日起施行。"],
]
FILES: dict[str, tuple[bytes, str]] = {}


def build_files() -> None:
    if FILES:
        return
    FILES.update({
        "plan.pdf": (docgen.make_pdf(PDF_LINES), "application/pdf"),
        "copy-of-plan.pdf": (docgen.make_pdf(PDF_LINES), "application/pdf"),  # same bytes, other URL
        "list.xlsx": (docgen.make_xlsx([["序号", "企业名称"], [1, "长春一汽配套公司"]]), "application/octet-stream"),
        "rules.docx": (docgen.make_docx(["政务服务事项清单说明", "第一章 总则"], [["事项", "时限"], ["登记", "3日"]]),
                       "application/msword"),
        "notice.ofd": (docgen.make_ofd([["OFD版式文件第一页"], ["第二页：附则"]]), "application/ofd"),
        "scan.pdf": (docgen.make_pdf([["x"]], image_only=True), "application/pdf"),
        "locked.pdf": (docgen.encrypt_pdf(docgen.make_pdf([["密件内容"]])), "application/pdf"),
        "broken.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "application/pdf"),
        "bomb.docx": (docgen.zip_bomb(), "application/octet-stream"),
        "big.pdf": (docgen.make_pdf([["大文件"]]) + b"%" + b"0" * 300_000, "application/pdf"),
    })  # fmt: skip


ARTICLES = {
    1: ("政务服务事项清单发布", para(1), ["rules.docx", "list.xlsx", "notice.ofd"]),
    2: ("关于印发扶持办法的通知", "详见附件。", ["plan.pdf"]),
    3: ("扶持办法转载", para(3), ["copy-of-plan.pdf", "scan.pdf"]),
    4: ("有问题的附件", para(4), ["locked.pdf", "broken.pdf", "bomb.docx", "big.pdf", "missing.doc"]),
}


def article_page(n: int) -> bytes:
    title, body, files = ARTICLES[n]
    links = "".join(f'<p><a href="/files/{f}">附件{i + 1}：{f}</a></p>' for i, f in enumerate(files))
    paras = "".join(f"<p>{body}（{i}）</p>" for i in range(1 if body.startswith("详见") else 3))
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta name='PubDate' content='2024-03-0{n} 10:00'></head><body><h1>{title}</h1>"
        f"<div class='TRS_Editor'>{paras}{links}</div></body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    log: list[str] = []

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802
        """List, articles and files."""
        self.log.append(self.path)
        ctype, status = "text/html; charset=utf-8", 200
        if self.path == "/robots.txt":
            body, ctype = b"User-agent: *\nDisallow: /private/\n", "text/plain"
        elif self.path == "/col/index.html":
            items = "".join(
                f'<li><a href="/202403/t2024030{n}_{n}000.html">{t}</a><span>2024-03-0{n}</span></li>'
                for n, (t, _, _) in ARTICLES.items()
            )
            body = f"<html><body><h2>通知公告</h2><ul>{items}</ul></body></html>".encode()
        elif self.path.startswith("/202403/"):
            body = article_page(int(self.path.rsplit("_", 1)[1][0]))
        elif self.path.startswith("/files/") and self.path[7:] in FILES:
            body, ctype = FILES[self.path[7:]]
        else:
            body, status = b"not found", 404
        send(self, (status, {"Content-Type": ctype}, body))


@pytest.fixture
def file_site(tmp_path: Path) -> Iterator[Path]:
    build_files()
    _Handler.log = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    config = tmp_path / "sites.toml"
    url = f"http://127.0.0.1:{srv.server_address[1]}/col/index.html"
    config.write_text(f'[[site]]\nname = "files"\nsources = [{{ kind = "listing", url = "{url}" }}]\n')
    yield config
    srv.shutdown()
    srv.server_close()


# -- formats and limits, pure --------------------------------------------------------------------------


def test_text_of_each_format() -> None:
    build_files()
    pdf = extract_text(FILES["plan.pdf"][0], "pdf")
    assert pdf.error is None and pdf.pages == 2 and SECRET_WORD in pdf.text and "第二条" in pdf.text
    docx = extract_text(FILES["rules.docx"][0], "doc")  # a .docx linked as .doc is still read as DOCX
    assert docx.type == "docx" and docx.text == "政务服务事项清单说明\n第一章 总则\n事项 时限\n登记 3日"
    xlsx = extract_text(FILES["list.xlsx"][0], "xlsx")
    assert xlsx.text == "序号 企业名称\n1 长春一汽配套公司" and xlsx.pages == 1
    ofd = extract_text(FILES["notice.ofd"][0], "ofd")
    assert ofd.text == "OFD版式文件第一页\n第二页：附则" and ofd.pages == 2


def test_broken_and_hostile_files_are_errors_not_crashes() -> None:
    build_files()
    scan = extract_text(FILES["scan.pdf"][0], "pdf")
    assert scan.text == "" and scan.pages == 1 and scan.error.startswith("image-only PDF")
    assert extract_text(FILES["locked.pdf"][0], "pdf").error == "password-protected PDF"
    assert extract_text(FILES["broken.pdf"][0], "pdf").error.startswith("corrupt PDF")
    bomb = extract_text(FILES["bomb.docx"][0], "docx")
    assert len(FILES["bomb.docx"][0]) < 1_000_000 and bomb.error.startswith("zip bomb"), bomb
    assert extract_text(b"PK\x03\x04 not really", "xlsx").error.startswith("corrupt xlsx")
    assert extract_text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "xls").error.startswith(
        "corrupt xls"
    )
    assert "not a document type" in (extract_text(b"GIF89a", "gif").error or "")


@pytest.mark.skipif(not (shutil.which("catdoc") or shutil.which("antiword")), reason="no catdoc/antiword")
def test_doc_reader_reports_a_broken_doc() -> None:
    got = extract_text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048, "wps")
    assert (
        got.type == "wps" and got.error and got.error.startswith("unreadable wps") and "/tmp" not in got.error
    )


def test_a_file_is_handled_by_a_spider_that_did_not_ask_for_it() -> None:
    """Any cluster worker may pop an article's file request, also one that never parsed an article: its
    callback must still find the attachment budget (it once raised AttributeError there, and the article
    was lost: the cluster stored one or two demo articles fewer than a local crawl)."""

    class Stats(Counter):
        def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
            self[key] += count

    class FreshWorker(AttachmentMixin):
        def __init__(self) -> None:
            self.crawler = SimpleNamespace(settings=Settings(), stats=Stats())

    build_files()
    url = "http://127.0.0.1:1/files/plan.pdf"
    item = {"url": "http://127.0.0.1:1/a.html", "body_text": "正文" * 50}
    meta = {"att": (item, [], [], {"url": url, "name": "plan.pdf", "ext": "pdf"})}
    response = Response(url, body=FILES["plan.pdf"][0], request=scrapy.Request(url, meta=meta))
    out = list(FreshWorker().parse_attachment(response))
    assert out == [item] and item["attachment_files"][0]["pages"] == 2


# -- real crawls ---------------------------------------------------------------------------------------


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_crawl_stores_attachments_once_with_limits_and_finds_their_words(
    file_site: Path, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    add = newsmon("watch", "add", "kunpeng", "--all", SECRET_WORD, "--db", str(db))
    assert add.returncode == 0, add.stdout + add.stderr
    proc = crawl_sites(db, file_site, "files", extra={"NEWSMON_ATTACHMENT_MAX_MB": "0.2"})
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    files = {
        r[0].rsplit("/", 1)[1]: r[1:]
        for r in rows(db, "SELECT url, type, size, pages, error, hash, text FROM attachments")
    }
    assert files["rules.docx"][:4] == ("docx", len(FILES["rules.docx"][0]), None, None)
    assert files["notice.ofd"][2] == 2 and files["list.xlsx"][5].endswith("长春一汽配套公司")
    # the same bytes under two URLs: one row (named after whichever came first), linked from both articles
    assert ("plan.pdf" in files) != ("copy-of-plan.pdf" in files), sorted(files)
    assert files["scan.pdf"][3].startswith("image-only PDF")
    assert files["locked.pdf"][3] == "password-protected PDF"
    assert files["broken.pdf"][3].startswith("corrupt PDF")
    assert files["bomb.docx"][3].startswith("zip bomb")
    assert files["big.pdf"][3].startswith("too-large") and files["big.pdf"][4] is None
    assert files["missing.doc"][3] == "http: HTTP 404"
    links = rows(
        db, "SELECT a.url, aa.url FROM article_attachments aa JOIN articles a ON a.id = aa.article_id"
    )
    assert len(links) == 3 + 1 + 2 + 5
    shared = rows(db, "SELECT count(DISTINCT article_id) FROM article_attachments aa JOIN attachments t "
                      "ON t.id = aa.attachment_id WHERE t.url LIKE '%plan.pdf'")  # fmt: skip
    assert shared == [(2,)]
    # the 详见附件 article's body is the PDF's text
    body, prov = rows(
        db, "SELECT body_text, provenance FROM articles WHERE title = '关于印发扶持办法的通知'"
    )[0]
    assert SECRET_WORD in body and json.loads(prov)["body"] == "attachment"
    # a word only inside an attachment of a normal article: full-text search finds the article
    found = newsmon("search", "长春一汽配套", "--db", str(db), "--json")
    assert found.returncode == 0, found.stderr
    assert [json.loads(line)["title"] for line in found.stdout.splitlines()] == ["政务服务事项清单发布"]
    scan = newsmon("search", "OFD版式文件", "--db", str(db), "--json")
    assert len(scan.stdout.splitlines()) == 1
    run = newsmon("watch", "run", "--no-notify", "--db", str(db), "--sites", str(file_site))
    assert run.returncode == 0, run.stdout + run.stderr
    hits = rows(db, "SELECT watch, title FROM watch_hits")
    assert ("kunpeng", "关于印发扶持办法的通知") in hits, hits
    # files are fetched through Scrapy like pages: robots.txt asked once, each file once
    got = [p for p in _Handler.log if p.startswith("/files/")]
    assert sorted(got) == sorted(set(got)) and len(got) == 11


def test_budget_defers_files_and_known_files_are_not_fetched_again(file_site: Path, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    proc = crawl_sites(db, file_site, "files", extra={"NEWSMON_ATTACHMENT_BUDGET_FILES": "3"})
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    fetched = [p for p in _Handler.log if p.startswith("/files/")]
    assert len(fetched) == 3, fetched
    linked = rows(
        db, "SELECT aa.url, t.error FROM article_attachments aa JOIN attachments t ON t.id = aa.attachment_id"
    )
    for url, error in linked:
        assert (url.split("/", 3)[-1] in {f.lstrip("/") for f in fetched}) != (error or "").startswith(
            "budget"
        )
    assert sum(1 for _, e in linked if (e or "").startswith("budget")) >= 11 - 3 - 1
    # the 详见附件 article, when its file was over budget, has no body: not stored, tried again next run
    if not rows(db, "SELECT 1 FROM articles WHERE title = '关于印发扶持办法的通知'"):
        assert rows(db, "SELECT kind FROM failures WHERE url LIKE '%t20240302_2000.html'") == [("parse",)]
    _Handler.log.clear()
    again = crawl_sites(db, file_site, "files")
    assert again.returncode == 0, again.stdout
    refetched = {p for p in _Handler.log if p.startswith("/files/")}
    assert not refetched & set(fetched), (refetched, fetched)  # stored files are linked, not downloaded again
