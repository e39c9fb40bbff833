"""Script and data URLs never survive cleaning, however a browser would still read them as a scheme:
case, tabs and newlines inside, leading control characters and spaces, character references."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
import pytest

from crawler.extract import extract_article
from tests.faults.hostile import PARA

pytestmark = pytest.mark.faults

PAYLOADS = {"javascript": "alert(1)", "vbscript": "msgbox(1)", "data": "text/html,<script>alert(1)</script>"}


def spellings(scheme: str) -> list[str]:
    """Ways of writing `scheme:` in an attribute that a WHATWG URL parser reads as that scheme."""
    mid = len(scheme) // 2
    out = [scheme, scheme.upper(), scheme.capitalize(), scheme[:mid] + scheme[mid:].upper()]
    for ref in ("&#9;", "&#x09;", "&Tab;", "&#10;", "&#xA;", "&NewLine;", "&#13;", "\t", "\n"):
        out.append(scheme[:mid] + ref + scheme[mid:])
    for lead in ("&#1;", "&#x1f;", " ", "&#32;", "\x01", "&#x0C;", "&#8;", "  &#9;"):
        out.append(lead + scheme)
    out.append("&#" + str(ord(scheme[0])) + ";" + scheme[1:])  # the first letter as a reference
    return out


def hostile_urls() -> list[str]:
    return [f"{s}:{PAYLOADS[base]}" for base in PAYLOADS for s in spellings(base)]


def _scheme(url: str) -> str:
    """The scheme a browser would see (WHATWG: leading C0/space stripped, tab/newline removed)."""
    clean = re.sub(r"[\t\n\r]", "", url.lstrip("".join(chr(i) for i in range(0x21))))
    return urlsplit(clean).scheme.lower()


def _page(urls: list[str]) -> bytes:
    parts = []
    for i, u in enumerate(urls):
        text = PARA[3:-4]
        parts.append(f'<p>第{i}段{text}<a href="{u}">链接{i}</a>{text} <a href="{u}#x.pdf">附件{i}.pdf</a>'
                     f'<img src="{u}" alt="图{i}"><img data-src="{u}" src="{u}"></p>')  # fmt: skip
    body = (
        PARA * 6
        + "".join(parts)
        + f'<p>{PARA[3:-4]}<a href="/files/ok.pdf">正常附件.pdf</a><img src="/img/ok.jpg"></p>'
    )
    return (
        '<html><head><meta charset="utf-8"><title>测试文章_政府</title></head><body><h1>测试文章</h1>'
        f'<div class="TRS_Editor">{body}</div></body></html>'
    ).encode()


@pytest.mark.parametrize("base", sorted(PAYLOADS))
def test_only_http_urls_survive(base: str) -> None:
    urls = [f"{s}:{PAYLOADS[base]}" for s in spellings(base)]
    art = extract_article(_page(urls), "http://127.0.0.1:8000/a/t20231128_1.html")
    assert art.is_article, art.reason
    stored = [i["url"] for i in art.images] + [a["url"] for a in art.attachments]
    tree = lxml.html.fromstring(f"<div>{art.body_html}</div>")
    stored += [v for el in tree.iter() for k, v in el.attrib.items() if k in ("href", "src")]
    bad = [u for u in stored if _scheme(u) not in ("http", "https")]
    assert not bad, bad
    assert not [u for u in stored if base in re.sub(r"[^a-z]", "", u.lower())], stored
    # the real links are kept
    assert "http://127.0.0.1:8000/files/ok.pdf" in [a["url"] for a in art.attachments]
    assert "http://127.0.0.1:8000/img/ok.jpg" in [i["url"] for i in art.images]
    assert 'href="http://127.0.0.1:8000/files/ok.pdf"' in art.body_html
    assert all(f"第{i}段" in art.body_html for i in range(len(urls)))  # the hostile links were in the body


def test_every_spelling_is_a_scheme_to_a_browser() -> None:
    """The test's own spellings really are read as the scheme (so the test cannot pass vacuously)."""
    import html

    for u in hostile_urls():
        assert _scheme(html.unescape(u)) in PAYLOADS, u
