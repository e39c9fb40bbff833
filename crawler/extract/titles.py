"""Headline cascade: ArticleTitle, OpenGraph, the heading near the body, then a cleaned <title>."""

from __future__ import annotations

import re

from . import selectors as S
from .meta import PageMeta, first_tag, jsonld_text, meta_provenance
from .tree import HtmlElement, Stats, class_id, squash

MAX_TITLE_CHARS = 200
MIN_TITLE_CHARS = 4
SHORT_TITLE_CHARS = 4  # a <title> this short names a column, not a story
SITE_NAME_CHARS = 14  # a <title> this short, without punctuation, ending in 政府/网/门户… is a site name
_EDGE_SEPARATORS = " -_|｜—–"
_PLAIN_NAME_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9.]+")


def clean_title_tag(title: str | None, site_name: str | None = None) -> str | None:
    """<title> without the site-name parts ("标题_长春市人民政府" -> "标题")."""
    if not title:
        return None
    title = squash(title).strip(_EDGE_SEPARATORS)
    parts = [p for p in S.TITLE_SEPARATOR_RE.split(title) if p and p.strip(_EDGE_SEPARATORS)]
    if len(parts) <= 1:
        return title
    if site_name:
        kept = [p for p in parts if p != site_name and p not in site_name]
        if kept and len(kept) < len(parts):
            parts = kept
    # Drop trailing parts that look like site or channel names; keep the longest remaining part.
    while len(parts) > 1 and (S.TITLE_SITE_HINT_RE.search(parts[-1]) or len(parts[-1]) <= 6):
        parts.pop()
    return max(parts, key=len) if len(parts) > 1 else parts[0]


def site_from_title(title: str | None) -> str | None:
    """Site name from the last <title> part when it looks like one."""
    if not title:
        return None
    parts = [p for p in S.TITLE_SEPARATOR_RE.split(squash(title)) if p.strip()]
    if len(parts) > 1 and len(parts[-1]) <= 30:
        return parts[-1]
    return None


def _similar(a: str, b: str) -> bool:
    a, b = "".join(a.split()), "".join(b.split())
    if not a or not b:
        return False
    return a in b or b in a


def heading_candidates(
    root: HtmlElement, st: Stats, body: HtmlElement | None
) -> list[tuple[HtmlElement, str]]:
    """Headings and title-class blocks, in document order, with their text."""
    out = []
    for el in st.order:
        tag = el.tag.lower()
        if el in st.chrome:
            continue
        if tag in ("h1", "h2", "h3") or (
            tag in ("div", "td", "p", "span", "strong", "b", "font")
            and S.TITLE_BLOCK_CLASS_RE.search(class_id(el))
        ):
            text = squash(el.text_content())
            if MIN_TITLE_CHARS <= len(text) <= MAX_TITLE_CHARS:
                out.append((el, text))
    return out


def choose_title(
    pm: PageMeta, root: HtmlElement, st: Stats, body: HtmlElement | None
) -> tuple[str | None, str]:
    """(title, provenance)."""
    site = pm.tags.get("sitename") or pm.tags.get("og:site_name")
    cleaned_tag = clean_title_tag(pm.title_tag, site)
    hit = first_tag(pm, ("articletitle",))
    if hit and len(hit[1]) >= 2:
        return hit[1], meta_provenance(hit[0])
    # A <title> that only names the site agrees with the logo, not with the headline; headings that
    # repeat a site name are the logo.
    tag_is_site = bool(cleaned_tag) and names_a_site(cleaned_tag or "", site)
    sites = [n for n in (site, site_from_title(pm.title_tag), cleaned_tag if tag_is_site else None) if n]
    flat_sites = ["".join(n.split()) for n in sites]
    headings = [
        (el, t)
        for el, t in heading_candidates(root, st, body)
        if not any("".join(t.split()) in n for n in flat_sites)
    ]
    body_order = st.order.get(body, 0) if body is not None else None
    # The heading closest before the body that agrees with <title>, else the first h1 agreeing with it.
    ref = "" if tag_is_site else pm.title_tag or ""
    agreeing = [(el, t) for el, t in headings if ref and _similar(t, ref)]
    if agreeing:
        before = [(el, t) for el, t in agreeing if body_order is None or st.order[el] <= body_order + 50]
        el, text = (before or agreeing)[-1] if before else agreeing[0]
        return text, "title-block"
    og = first_tag(pm, ("og:title", "twitter:title"))
    if og:
        return clean_title_tag(og[1], site) or og[1], meta_provenance(og[0])
    ld = jsonld_text(pm.jsonld.get("headline")) if pm.jsonld else None
    if ld:
        return ld, "jsonld"
    if cleaned_tag and not tag_is_site:
        return cleaned_tag, "title-tag"
    # No usable <title> (missing, or only the site's or a column's name): the heading that leads into the body.
    lead = [(el, t) for el, t in headings if body_order is None or st.order[el] <= body_order]
    h1s = [(el, t) for el, t in headings if el.tag.lower() == "h1"]
    pick = [(el, t) for el, t in lead if el.tag.lower() == "h1"][:1] or lead[-1:] or h1s[:1] or headings[:1]
    if pick:
        return pick[0][1], "title-block"
    return (cleaned_tag, "title-tag") if cleaned_tag else (None, "")


def names_a_site(text: str, site: str | None) -> bool:
    """True for a <title> that names the site or a column rather than a story ("长春市人民政府", "x")."""
    flat = "".join(text.split())
    if len(flat) <= SHORT_TITLE_CHARS:
        return True
    if site and flat == "".join(site.split()):
        return True
    return (
        len(flat) <= SITE_NAME_CHARS
        and bool(_PLAIN_NAME_RE.fullmatch(flat))
        and bool(S.TITLE_SITE_HINT_RE.search(flat))
    )
