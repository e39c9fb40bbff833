"""Finding articles: article links on column pages, CMS pagination, RSS/Atom/RDF feeds, sitemaps.

Pure functions over bytes/str; no Scrapy. XML is parsed without entity expansion or network access.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import lxml.etree as etree
import lxml.html

from crawler import api_lists, sitehosts
from crawler.listlinks import hidden_fragments, roles

MAX_XML_BYTES = 50 * 1024 * 1024  # after decompression
ATTACHMENT_EXT = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|ofd|jpg|jpeg|png|gif|bmp|mp4|mp3|avi|txt|csv|xml|apk)$", re.I
)
# URL shapes that government CMSs give to single articles.
ARTICLE_URL = re.compile(
    r"(/t\d{8}_\d+\.s?html?$)"  # TRS: t20231128_3241234.html
    r"|(/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$)"  # Hanweb
    r"|(/\d{4}[-_/]?\d{2}[-_/]?\d{2}/[^/]+\.(s?html?|jhtml|shtml)$)"  # dated folders
    r"|(/\d{6}/[^/]*\d{3,}[^/]*\.s?html?$)"  # /202311/abc123.html
    r"|(/(content|detail|article|art|news|info)[_/-]?\d+[^/]*\.(s?html?|jhtml|jsp|php|aspx?)$)"
    r"|(/[^/]*\d{5,}\.(s?html?|jhtml)$)"  # /4567890.html
    r"|([?&](id|articleid|aid|newsid|contentid|infoid|docid)=\d+)",
    re.I,
)
# URL shapes of column/list pages, navigation and search.
LIST_URL = re.compile(
    r"(/index(_\d+)?\.(s?html?|jhtml|jsp|php|aspx?)$)|(/col/col\d+/)|(/list[^/]*\.(s?html?|jsp)$)"
    r"|(/(search|login|register|rss|sitemap)\b)|([?&](page|pageno|pageindex|p)=\d+)|(/$)",
    re.I,
)
PAGINATION_URL = re.compile(r"/index_\d+\.\w+$|[?&](?:page|pageno|pageindex|p)=\d+", re.I)
NEXT_TEXT = re.compile(
    r"^\s*(?:(?:下一页|下页|后一页|后页|next\s*page|next)\s*[>»›]{0,2}|[›»>]{1,2})\s*$", re.I
)
# hrefs of a script template ("' + url + '", "${url}"), not addresses
TEMPLATE_HREF = re.compile(r"['\"+]\s*\+|\$\{|\{\{|<%")
CREATE_PAGE = re.compile(
    # newer TRS templates pass the pager's element id first: createPageHTML('page_div', 54, 1, 'index', 'shtml', 795)
    r"createPageHTML\(\s*(?:['\"][\w-]*['\"]\s*,\s*)?['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*"
    r"['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
HANWEB_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
HANWEB_TOTAL = re.compile(r"(?:totalRecord\s*[=:]\s*['\"]?|<totalrecord>)(\d+)", re.I)
HANWEB_PERPAGE = re.compile(r"perPage\s*[=:]\s*['\"]?(\d+)", re.I)
HANWEB_COLUMN = re.compile(r"columnid\s*[=:]\s*['\"]?(\d+)", re.I)
HANWEB_PROXY = re.compile(r"proxyUrl\s*[=:]\s*['\"]([^'\"]+)['\"]", re.I)
HANWEB_DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"
MIN_ANCHOR_CHARS = 6


@dataclass(frozen=True)
class Link:
    """A discovered link with its anchor text."""

    url: str
    text: str = ""
    role: str = ""  # "list" (in the page's repeated list), "nav" (in another repeated group), "next", ""


@dataclass(frozen=True)
class FeedEntry:
    """An entry of a feed or sitemap."""

    url: str
    title: str = ""
    published: str | None = None


def netloc(url: str) -> str:
    """Lower-cased host[:port] of a URL."""
    return urlsplit(url).netloc.lower()


def same_site(url: str, hosts: Iterable[str]) -> bool:
    """True when url belongs to the site (crawler.sitehosts.allowed: the one off-site rule)."""
    return sitehosts.allowed(url, hosts)


def is_article_url(url: str) -> bool:
    """True for URLs shaped like a single article."""
    path_q = urlsplit(url)
    tail = path_q.path + ("?" + path_q.query if path_q.query else "")
    if ATTACHMENT_EXT.search(path_q.path):
        return False
    return bool(ARTICLE_URL.search(tail))


def is_list_url(url: str) -> bool:
    """True for URLs shaped like a column page, navigation or search."""
    parts = urlsplit(url)
    tail = parts.path + ("?" + parts.query if parts.query else "")
    return bool(LIST_URL.search(tail)) or parts.path in ("", "/")


def parse_html(text: str | bytes, base_url: str) -> lxml.html.HtmlElement | None:
    """Parse HTML leniently; None for documents lxml cannot read at all."""
    if not text or (isinstance(text, str) and not text.strip()):
        return None
    try:
        doc = lxml.html.fromstring(text, base_url=base_url)
    except (etree.ParserError, ValueError):
        return None
    return doc


def all_links(
    doc: lxml.html.HtmlElement, base_url: str, role_of: dict[etree._Element, str] | None = None
) -> list[Link]:
    """Every <a href> with absolute URL, collapsed anchor text and its role, fragments dropped."""
    out = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")) or TEMPLATE_HREF.search(href):
            continue
        url = urljoin(base_url, href)
        if not url.startswith(("http://", "https://")):
            continue
        text = " ".join((a.text_content() or a.get("title") or "").split())
        role = "next" if "next" in (a.get("rel") or "").lower().split() else (role_of or {}).get(a, "")
        out.append(Link(url.split("#", 1)[0], text or (a.get("title") or "").strip(), role))
    return out


def hanweb_records(text: str, base_url: str) -> list[Link]:
    """Links inside Hanweb `<datastore><record><![CDATA[…]]></record>` lists (script or dataproxy XML)."""
    out: list[Link] = []
    for chunk in HANWEB_RECORD.findall(text):
        frag = parse_html(chunk, base_url)
        if frag is not None:
            out.extend(Link(link.url, link.text, "list") for link in all_links(frag, base_url))
    return out


def page_links(html: str, base_url: str) -> list[Link]:
    """Every link of a page with its role, the list links of markup in comments and scripts, Hanweb records."""
    doc = parse_html(html, base_url)
    if doc is None:
        return hanweb_records(html, base_url)
    links = all_links(doc, base_url, roles(doc))
    for frag in hidden_fragments(doc, base_url):
        links.extend(link for link in all_links(frag, base_url, roles(frag)) if link.role == "list")
    return links + hanweb_records(html, base_url)


def article_links(
    html: str, base_url: str, hosts: Iterable[str], links: list[Link] | None = None
) -> list[Link]:
    """Links on a column page that lead to articles of this site (not navigation, columns or files).

    When the page has a repeated list (see crawler/listlinks.py), its links are the articles, whatever their
    URL looks like, and menus are never; links in no group still count when shaped like an article. A page
    without a list falls back on URL shapes; of its menus, only links shaped like an article count.
    """
    hosts = set(hosts) | {netloc(base_url)}
    if links is None:
        links = page_links(html, base_url)
    has_list = any(link.role == "list" for link in links)
    seen: set[str] = set()
    out = []
    for link in links:
        if link.url in seen or not same_site(link.url, hosts) or link.role == "next":
            continue
        if link.role == "nav" and (has_list or not is_article_url(link.url)):
            continue  # a menu; on a page without a list, an undated group of article-shaped links may be one
        if ATTACHMENT_EXT.search(urlsplit(link.url).path) or NEXT_TEXT.match(link.text):
            continue
        if link.role == "list":
            words = len(re.sub(r"\W", "", link.text))  # "更多>>" is two words' worth, a headline is not
            ok = not PAGINATION_URL.search(link.url) and (words > 3 or is_article_url(link.url))
        elif has_list:
            ok = is_article_url(link.url) and len(link.text) >= MIN_ANCHOR_CHARS
        else:
            ok = is_article_url(link.url) or (
                not is_list_url(link.url) and len(link.text) >= MIN_ANCHOR_CHARS and _has_page_ext(link.url)
            )
        if ok:
            seen.add(link.url)
            out.append(link)
    return out


def _has_page_ext(url: str) -> bool:
    path = urlsplit(url).path
    return bool(re.search(r"\.(s?html?|jhtml|jsp|php|aspx?)$", path, re.I))


def hanweb_next(text: str, page_url: str) -> str | None:
    """The next record group of a Hanweb column (jpage dataproxy.jsp), or None when all were listed.

    A Hanweb column page embeds its first records in a `<datastore>` script and jpage.js asks
    dataproxy.jsp for the rest by record range; its XML answers carry `<totalrecord>`.
    """
    if "<datastore" not in text:
        return None
    total_m = HANWEB_TOTAL.search(text)
    if not total_m:
        return None
    total = int(total_m.group(1))
    records = len(HANWEB_RECORD.findall(text))
    parts = urlsplit(page_url)
    query = dict(parse_qsl(parts.query))
    start = int(query.get("startrecord", "1") or 1) if parts.path.endswith("dataproxy.jsp") else 1
    seen = start - 1 + records
    if records == 0 or seen >= total:
        return None
    per_m = HANWEB_PERPAGE.search(text)
    per = int(query.get("perpage") or (per_m.group(1) if per_m else 15))
    col_m = HANWEB_COLUMN.search(text)
    column = query.get("columnid") or (col_m.group(1) if col_m else None)
    if column is None:
        return None
    proxy_m = HANWEB_PROXY.search(text)
    proxy = proxy_m.group(1) if proxy_m else HANWEB_DEFAULT_PROXY
    params = {
        "startrecord": seen + 1,
        "endrecord": seen + 3 * per,
        "perpage": per,
        "columnid": column,
        "col": 1,
        "webid": query.get("webid", 1),
    }
    return urljoin(page_url, proxy) + "?" + urlencode(params)


def next_pages(html: str, page_url: str, hosts: Iterable[str], links: list[Link] | None = None) -> list[str]:
    """URLs of the following list page(s): Hanweb record groups, TRS createPageHTML, '下一页', ?page=N."""
    hosts = set(hosts) | {netloc(page_url)}
    out: list[str] = []
    hanweb = hanweb_next(html, page_url)
    if hanweb:
        return [hanweb]
    m = CREATE_PAGE.search(html)
    if m:
        total, current, prefix, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        if current + 1 < total:
            out.append(urljoin(page_url, f"{prefix}_{current + 1}.{ext}"))
    for link in page_links(html, page_url) if links is None else links:
        if (
            (link.role == "next" or NEXT_TEXT.match(link.text))
            and same_site(link.url, hosts)
            and link.url != page_url
        ):
            out.append(link.url)
    return list(dict.fromkeys(out))


# -- XML: feeds and sitemaps --------------------------------------------------------------------


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def maybe_gunzip(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Decompress gzip bytes with a size cap (gzip bombs stop at `limit`); other bytes pass through."""
    if body[:2] != b"\x1f\x8b":
        return body
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = io.BytesIO()
    for i in range(0, len(body), 65536):
        out.write(d.decompress(body[i : i + 65536], limit - out.tell() + 1))
        if out.tell() > limit or d.unconsumed_tail:
            raise ValueError(f"gzip content larger than {limit} bytes")
    return out.getvalue()


def parse_xml(body: bytes) -> etree._Element | None:
    """Parse XML safely (no entities, no DTD, no network); None when it is not XML."""
    try:
        data = maybe_gunzip(body)
    except (OSError, zlib.error, EOFError, ValueError):
        return None
    data = data.lstrip()
    if not data.startswith(b"<"):
        return None
    try:
        root = etree.fromstring(data, parser=_safe_parser())
    except etree.XMLSyntaxError:
        return None
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def detect_kind(body: bytes, content_type: str = "") -> str:
    """'feed', 'sitemap', 'api' (a JSON/JSONP list of linked items) or 'listing' from the response bytes."""
    if api_lists.looks_like_json(body, content_type) and body.lstrip()[:1] != b"<":
        try:
            if api_lists.detect(api_lists.load_json(body)) is not None:
                return "api"
        except api_lists.ApiError:
            pass
    head = maybe_gunzip(body[:2_000_000]) if body[:2] == b"\x1f\x8b" else body[:4096]
    probe = head[:4096].lower()
    if b"<urlset" in probe or b"<sitemapindex" in probe:
        return "sitemap"
    if b"<rss" in probe or b"<feed" in probe or b"<rdf:rdf" in probe:
        return "feed"
    if "xml" in content_type and b"<html" not in probe:
        root = parse_xml(body)
        if root is not None and _local(root.tag) in ("urlset", "sitemapindex"):
            return "sitemap"
        if root is not None and _local(root.tag) in ("rss", "feed", "rdf"):
            return "feed"
    return "listing"


def parse_feed(body: bytes, base_url: str) -> list[FeedEntry]:
    """Entries of an RSS 2.0, Atom or RDF feed."""
    root = parse_xml(body)
    if root is None:
        return []
    out = []
    for el in root.iter():
        name = _local(el.tag)
        if name not in ("item", "entry"):
            continue
        link, title, published = "", "", None
        for child in el:
            cname = _local(child.tag)
            if cname == "link":
                href = child.get("href")
                if href and child.get("rel", "alternate") == "alternate":
                    link = href
                elif not href and (child.text or "").strip():
                    link = child.text.strip()
            elif cname == "guid" and not link and (child.text or "").startswith("http"):
                link = child.text.strip()
            elif cname == "title":
                title = " ".join((child.text or "").split())
            elif cname in ("pubdate", "published", "updated", "date", "issued") and not published:
                published = (child.text or "").strip() or None
        if not link:
            about = el.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
            link = about or ""
        if link:
            out.append(FeedEntry(urljoin(base_url, link), title, published))
    return out


def parse_sitemap(body: bytes, base_url: str) -> tuple[str, list[FeedEntry]]:
    """('index', child sitemaps) or ('urlset', page URLs) of a sitemap; ('', []) when not a sitemap."""
    root = parse_xml(body)
    if root is None:
        return "", []
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        return "", []
    out = []
    for el in root:
        loc, lastmod = "", None
        for child in el:
            cname = _local(child.tag)
            if cname == "loc":
                loc = (child.text or "").strip()
            elif cname == "lastmod":
                lastmod = (child.text or "").strip() or None
        if loc:
            out.append(FeedEntry(urljoin(base_url, loc), "", lastmod))
    return ("index" if kind == "sitemapindex" else "urlset"), out
