"""Headline cascade: ArticleTitle, OpenGraph, the heading near the body, then a cleaned <title>."""

from __future__ import annotations

from . import selectors as S
from .meta import PageMeta, first_tag, jsonld_text, meta_provenance
from .tree import HtmlElement, Stats, class_id, squash

MAX_TITLE_CHARS = 200
MIN_TITLE_CHARS = 4


def clean_title_tag(title: str | None, site_name: str | None = None) -> str | None:
    """<title> without the site-name parts ("标题_长春市人民政府" -> "标题")."""
    if not title:
        return None
    title = squash(title)
    parts = [p for p in S.TITLE_SEPARATOR_RE.split(title) if p and p.strip()]
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
    headings = heading_candidates(root, st, body)
    body_order = st.order.get(body, 0) if body is not None else None
    # The heading closest before the body that agrees with <title>, else the first h1 agreeing with it.
    ref = pm.title_tag or ""
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
    h1s = [(el, t) for el, t in headings if el.tag.lower() == "h1"]
    if h1s and not cleaned_tag:
        return h1s[0][1], "title-block"
    if cleaned_tag:
        return cleaned_tag, "title-tag"
    if headings:
        return headings[0][1], "title-block"
    return None, ""
