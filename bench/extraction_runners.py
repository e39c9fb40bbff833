"""The extractors bench/extraction.py compares: newsmon (alone and with an in-run site template),
trafilatura, GNE and readability-lxml when installed (`pip install .[compare]`), and "all text"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.extract import decode_html, extract_article
from crawler.extract.cli import score_record

Result = dict[str, Any]  # title, publish_date, author, source, body
Extractor = Callable[[bytes, str], Result]


def run_newsmon(data: bytes, url: str) -> Result:
    """newsmon's own extractor."""
    return score_record(extract_article(data, url))


def make_newsmon_site() -> Extractor:
    """newsmon with an in-run per-site template memory (by host), as a crawl uses it: each page is
    extracted with what the site's earlier pages taught, then taught to the memory."""
    import urllib.parse

    from crawler.extract.template import TemplateMemory

    memories: dict[str, TemplateMemory] = {}

    def run(data: bytes, url: str) -> Result:
        host = urllib.parse.urlsplit(url).netloc
        if not host:  # a saved page without an address belongs to no known site
            return run_newsmon(data, url)
        mem = memories.setdefault(host, TemplateMemory())
        art = extract_article(data, url, template=mem.template())
        mem.add(url, art.template_keys)
        return score_record(art)

    return run


def _html_text(html: str) -> str:
    import lxml.html

    if not html.strip():
        return ""
    root = lxml.html.fromstring(html)
    for el in root.iter("br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "td"):
        el.tail = "\n" + (el.tail or "")
    return root.text_content()


def make_trafilatura() -> Extractor | None:
    """trafilatura with metadata (it decodes the bytes itself)."""
    try:
        import trafilatura
    except ImportError:
        return None

    def run(data: bytes, url: str) -> Result:
        doc = trafilatura.bare_extraction(data, url=url or None, with_metadata=True)
        if doc is None:
            return {}
        get = doc.get if isinstance(doc, dict) else lambda k: getattr(doc, k, None)
        return {
            "title": get("title"),
            "publish_date": get("date"),
            "author": get("author"),
            "body": get("text"),
        }

    return run


def make_gne() -> Extractor | None:
    """GNE on the text decoded by newsmon's decoder."""
    try:
        from gne import GeneralNewsExtractor
    except ImportError:
        return None
    extractor = GeneralNewsExtractor()

    def run(data: bytes, url: str) -> Result:
        text, _ = decode_html(data)
        r = extractor.extract(text, host=url or None)
        return {
            "title": r.get("title"),
            "publish_date": r.get("publish_time"),
            "author": r.get("author"),
            "body": r.get("content"),
        }

    return run


def make_readability() -> Extractor | None:
    """readability-lxml on the text decoded by newsmon's decoder (no dates)."""
    try:
        from readability import Document
    except ImportError:
        return None

    def run(data: bytes, url: str) -> Result:
        text, _ = decode_html(data)
        doc = Document(text, url=url or None)
        return {"title": doc.short_title(), "body": _html_text(doc.summary(html_partial=True))}

    return run


def run_all_text(data: bytes, url: str) -> Result:
    """Every visible text node of the page (no extraction): the floor."""
    import lxml.html

    text, _ = decode_html(data)
    if not text.strip():
        return {"body": ""}
    root = lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    for el in list(root.iter("script", "style", "noscript", "head")):
        el.drop_tree()
    return {"body": root.text_content()}


def extractors(only: set[str] | None) -> dict[str, Extractor]:
    """Installed extractors by name, newsmon first."""
    table: dict[str, Extractor | None] = {
        "newsmon": run_newsmon,
        "newsmon+site": make_newsmon_site(),
        "trafilatura": make_trafilatura(),
        "gne": make_gne(),
        "readability": make_readability(),
        "all-text": run_all_text,
    }
    return {k: v for k, v in table.items() if v is not None and (not only or k in only)}
