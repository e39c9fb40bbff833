"""extract_article: decode → parse → metadata → clean → body block → fields, each with its provenance."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from . import selectors as S
from .body import body_lines, choose_body, inner_chrome, is_furniture, with_sibling_paragraphs
from .breadcrumb import breadcrumb_column
from .dates import SHANGHAI
from .encoding import decode_html
from .govdoc import fill_fields, fill_title, read_govdoc
from .labels import Region, split_regions
from .media import attachments, images
from .meta import PageMeta, first_tag, jsonld_text, meta_provenance, read_meta
from .model import Article, ExtractionError
from .overrides import Overrides, apply_drop, parse_overrides, select
from .people import choose_author, choose_source, is_byline_line
from .published import INFO_LINE_LABEL_RE, fill_date, is_info_line
from .render import body_html
from .template import apply_template, page_keys
from .titles import (
    SITE_TITLE,
    choose_title,
    clean_title_tag,
    fallback_title,
    headline_element,
    site_from_title,
)
from .tree import (
    HtmlElement,
    Line,
    Stats,
    compute_stats,
    contains,
    parse_html,
    render_lines,
    squash,
    strip_junk,
)

logger = logging.getLogger(__name__)

BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"Rar!",
    b"\xd0\xcf\x11\xe0",
)
CONTROL_BYTES = bytes([*range(9), *range(14, 32)])
INFO_EDGE_LINES = 3
HEADER_LINE_CHARS = 40
ATTACHMENT_LEVELS = 2


def is_binary(data: bytes) -> bool:
    """True for known binary formats or data full of control bytes."""
    head = data[:4096]
    if head.startswith(BINARY_MAGIC):
        return True
    if not head:
        return False
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    return controls > len(head) * 0.05


def _not_article(art: Article, reason: str) -> Article:
    art.is_article = False
    art.reason = reason
    return art


def extract_article(
    html: bytes | str,
    url: str,
    *,
    declared_encoding: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    template: Collection[str] | None = None,
) -> Article:
    """Extract the article fields of one page (never raises on bad html; raises ExtractionError on bad types).

    template: line keys that repeat on other pages of the site (template.py); blocks made of them are
    chrome. When given (also empty), the result's template_keys holds this page's keys to remember.
    """
    if not isinstance(html, bytes | bytearray | str):
        raise ExtractionError(f"html must be bytes or str, not {type(html).__name__}")
    if not isinstance(url, str):
        raise ExtractionError("url must be a str")
    art = Article(url=url)
    now = now or datetime.now(SHANGHAI)
    if now.tzinfo is None:
        now = now.replace(tzinfo=SHANGHAI)
    if isinstance(html, bytes | bytearray):
        data = bytes(html)
        if not data.strip():
            return _not_article(art, "empty")
        if is_binary(data):
            return _not_article(art, "binary")
        if len(data) > S.MAX_INPUT_BYTES:
            art.warnings.append(f"input cut to {S.MAX_INPUT_BYTES} bytes")
            data = data[: S.MAX_INPUT_BYTES]
        text, art.encoding = decode_html(data, declared_encoding)
    else:
        text = html[: S.MAX_INPUT_BYTES]
        if "\x00" in text[:4096]:
            return _not_article(art, "binary")
    root = parse_html(text)
    if root is None:
        return _not_article(art, "empty")
    ov = parse_overrides(overrides)
    before = list(art.warnings)
    result = _extract_tree(art, root, text, ov, now, template)
    if template and not result.is_article:
        # The template steers block choice and never costs an article: when every block of a page also
        # stands on other pages of the site (two stories sharing their paragraphs), read it as one page.
        alone = Article(url=url, encoding=art.encoding, warnings=before)
        retry = _extract_tree(alone, parse_html(text), text, ov, now, None)
        if retry.is_article:
            retry.template_keys = result.template_keys
            retry.warnings.append("every block repeats on other pages of the site: template not used")
            return retry
    return result


def _extract_tree(
    art: Article, root: HtmlElement, text: str, ov: Overrides, now: datetime, template: Collection[str] | None
) -> Article:
    art.warnings.extend(ov.warnings)
    n_elements = sum(1 for _ in root.iter())
    if n_elements > S.MAX_ELEMENTS:
        return _not_article(art, "too-complex")
    pm = read_meta(root)
    gov = read_govdoc(root, pm, text)
    strip_junk(root)
    apply_drop(root, ov, art.warnings)
    st = compute_stats(root)
    demoted: set[HtmlElement] = set()
    if template is not None:
        page = render_lines(root, st, skip_nav=False)
        art.template_keys = page_keys(page)
        demoted = apply_template(st, page, template)
        if demoted:
            art.provenance["template"] = f"{len(demoted)} blocks repeat on other pages of the site"

    headline = headline_element(pm, root, st)
    body_nodes, body_method = _body_nodes(root, st, ov, art.warnings, headline)
    if demoted:
        st.chrome -= demoted  # the template chose the block; the block's own text is left as it is
    main = body_nodes[0] if body_nodes else None
    lines: list[Line] = []
    html_parts: list[str] = []
    skip: set[HtmlElement] = set()
    for node in body_nodes:
        inner = inner_chrome(node, st)
        skip |= inner
        lines.extend(body_lines(node, st))
    _fill_meta_fields(art, pm, st)
    _fill_title(art, pm, root, st, main, ov, lines[0].order if lines else None)
    fill_title(art, gov)
    for node in body_nodes:
        html_parts.append(body_html(node, st, art.url, skip | _title_headings(node, art.title)))

    # Label lines outside the body, and in chrome inside it (an info table inside the content container);
    # the body's own first and last lines are added where they count.
    outside = render_lines(root, st, skip=set(body_nodes), skip_nav=False)
    # Only chrome above the text counts (a related list at the bottom of the block is not the header).
    text_start = lines[0].order if lines else 0
    outer = [
        el
        for el in skip
        if st.order[el] < text_start and not any(o is not el and contains(st, o, el) for o in skip)
    ]
    for el in outer:
        outside.extend(render_lines(el, st, skip_nav=False))
    if outer:
        outside.sort(key=lambda ln: ln.order)
    region = split_regions(outside, lines, st, main)
    if (not art.title or art.provenance.get("title") == SITE_TITLE) and lines:
        # never lose an article for a missing headline (nor name it after the site): the best line that
        # reads as one, said so
        above = region.before[-S.FALLBACK_TITLE_LINES :]
        found, how = fallback_title([ln.text for ln in above], [ln.text for ln in lines])
        if found:
            art.title, art.provenance["title"] = found, how
            art.warnings.append(f"no headline in the page's markup: title from the {how}")
            if headline is None:  # its line anchors the search for a bare date under it
                headline = next((ln.block for ln in reversed(above) if squash(ln.text) == art.title), None)
    if art.provenance.get("title") == SITE_TITLE:
        art.provenance["title"] = "title-tag"
    fill_date(
        art,
        pm,
        region,
        _override_text(root, ov, "date", art.warnings),
        now,
        st.order.get(headline) if headline is not None else None,
    )
    _fill_people(art, pm, region, lines, ov, root)
    fill_fields(art, gov)

    body = _trim_edges([ln.text for ln in lines], art.title)
    art.body_text = "\n".join(body)
    art.body_html = "".join(html_parts)
    if main is not None:
        art.provenance["body"] = body_method
        art.images = [img for node in body_nodes for img in images(node, art.url, skip)]
        art.attachments = attachments(_attachment_region(main), art.url)
    if S.CHALLENGE_RE.search(text[:20000]) and len("".join(art.body_text.split())) < 200:
        return _not_article(art, "challenge")
    if len("".join(art.body_text.split())) < S.MIN_BODY_CHARS:
        art.body_text, art.body_html = "", ""
        return _not_article(art, "no-body")
    if art.published_at is None:
        art.warnings.append("no publish date found: stored with published_at empty")
    art.is_article = True
    return art


def _title_headings(node: HtmlElement, title: str | None) -> set[HtmlElement]:
    """Headings inside the body that repeat the headline (left out of the cleaned html)."""
    tnorm = "".join((title or "").split())
    if not tnorm:
        return set()
    return {
        h for h in node.iter("h1", "h2", "h3") if h is not node and "".join(h.text_content().split()) == tnorm
    }


def _attachment_region(main: HtmlElement) -> HtmlElement:
    """The body block's container two levels up (attachment lists sit next to the text), never <body>."""
    region = main
    for _ in range(ATTACHMENT_LEVELS):
        parent = region.getparent()
        if parent is None or parent.tag.lower() in ("body", "html"):
            break
        region = parent
    return region


def _body_nodes(
    root: HtmlElement, st: Stats, ov: Overrides, warnings: list[str], headline: HtmlElement | None
) -> tuple[list[HtmlElement], str]:
    sel = ov.fields.get("body")
    if sel:
        found = select(root, sel, "body", warnings)
        # Keep outermost matches only.
        found = [el for el in found if not any(a in found for a in el.iterancestors())]
        if found:
            return found, "override:" + sel
    choice = choose_body(root, st, headline)
    if choice is None:
        return [], ""
    nodes = with_sibling_paragraphs(st, choice.node)
    return nodes, choice.method + ("+siblings" if len(nodes) > 1 else "")


def _trim_edges(lines: list[str], title: str | None) -> list[str]:
    """Drop a repeated headline and byline/date/source lines at the start and end of the body."""
    tnorm = "".join((title or "").split())
    out = list(lines)
    # The headline repeated in the block's first lines: the short lines above it are its kicker/source/date.
    repeats = [
        k for k, line in enumerate(out[: INFO_EDGE_LINES + 1]) if tnorm and "".join(line.split()) == tnorm
    ]
    if repeats and all(len(x) <= HEADER_LINE_CHARS for x in out[: repeats[-1]]):
        out = out[repeats[-1] :]
    for _ in range(INFO_EDGE_LINES + 1):
        if not out:
            break
        first = "".join(out[0].split())
        if (tnorm and first == tnorm) or is_info_line(out[0]) or is_byline_line(out[0]):
            out.pop(0)
        else:
            break
    for _ in range(INFO_EDGE_LINES):
        # A closing date line is the document's signature date (落款), so only labelled lines go.
        if (
            len(out) > 1
            and (INFO_LINE_LABEL_RE.search(out[-1]) or is_furniture(out[-1]))
            and len(out[-1]) <= 120
        ):
            out.pop()
        else:
            break
    return out


def _fill_meta_fields(art: Article, pm: PageMeta, st: Stats) -> None:
    hit = first_tag(pm, S.META_SITE)
    if hit:
        art.site_name, art.provenance["site_name"] = hit[1], meta_provenance(hit[0])
    elif pm.jsonld and jsonld_text(pm.jsonld.get("publisher")):
        art.site_name, art.provenance["site_name"] = jsonld_text(pm.jsonld.get("publisher")), "jsonld"
    else:
        site = site_from_title(pm.title_tag)
        if site and site != clean_title_tag(pm.title_tag):
            art.site_name, art.provenance["site_name"] = site, "title-tag"
    hit = first_tag(pm, S.META_COLUMN)
    if hit:
        art.column, art.provenance["column"] = hit[1], meta_provenance(hit[0])
    else:
        crumb = breadcrumb_column(st)
        if crumb:
            art.column, art.provenance["column"] = crumb, "breadcrumb"
    hit = first_tag(pm, S.META_KEYWORDS)
    if hit:
        art.keywords = [k for k in re.split(r"[,，;；、\s]+", hit[1]) if k][:30]
        art.provenance["keywords"] = meta_provenance(hit[0])
    hit = first_tag(pm, S.META_DESCRIPTION)
    if hit:
        art.description, art.provenance["description"] = hit[1], meta_provenance(hit[0])


def _override_text(root: HtmlElement, ov: Overrides, key: str, warnings: list[str]) -> str | None:
    sel = ov.fields.get(key)
    if not sel:
        return None
    for el in select(root, sel, key, warnings):
        value = el.get("content") or el.get("datetime") if key == "date" else None
        text = value or squash(el.text_content())
        if text:
            return text
    return None


def _fill_title(
    art: Article,
    pm: PageMeta,
    root: HtmlElement,
    st: Stats,
    main: HtmlElement | None,
    ov: Overrides,
    text_start: int | None,
) -> None:
    forced = _override_text(root, ov, "title", art.warnings)
    if forced:
        art.title, art.provenance["title"] = forced, "override"
        return
    title, how = choose_title(pm, root, st, main, text_start)
    if title:
        art.title, art.provenance["title"] = title, how


def _fill_people(
    art: Article, pm: PageMeta, region: Region, lines: list[Line], ov: Overrides, root: HtmlElement
) -> None:
    near = region.header + lines[-INFO_EDGE_LINES:] + region.after
    source = _override_text(root, ov, "source", art.warnings)
    how = "override"
    if source:
        source = S.SOURCE_LABEL_RE.sub("", source, count=1).strip() or source
    else:
        source, how = choose_source(pm, near)
    if source:
        art.source, art.provenance["source"] = source, how

    author = _override_text(root, ov, "author", art.warnings)
    how = "override"
    if author:
        author = S.AUTHOR_LABEL_RE.sub("", author, count=1).strip() or author
    else:
        texts = [ln.text for ln in lines]
        title = "".join((art.title or "").split())
        first = [t for t in texts[: INFO_EDGE_LINES + 1] if "".join(t.split()) != title][:INFO_EDGE_LINES]
        author, how = choose_author(pm, near, first, texts[-INFO_EDGE_LINES:], site_name=art.site_name)
    # A 来源 name is a publisher, never the author.
    if author and art.source and "".join(author.split()) == "".join(art.source.split()):
        author = None
    if author:
        art.author, art.provenance["author"] = author, how
