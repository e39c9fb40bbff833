"""Headline cascade: ArticleTitle, OpenGraph, the heading near the body, then a cleaned <title>."""

from __future__ import annotations

import re

from . import selectors as S
from .meta import PageMeta, first_tag, jsonld_text, meta_provenance
from .tree import HtmlElement, Stats, class_id, squash

MAX_TITLE_CHARS = 200
# provenance of a <title> that only names the site: the caller looks for a better headline line
SITE_TITLE = "title-tag:site"
MIN_TITLE_CHARS = 4
PLACEHOLDER_CHARS = 1  # a <title> this short is a placeholder
# How a site's own name ends: 人民政府, 门户网站, 官网 …, or a short name ending in 网 (新华网, 中国政府网).
_SITE_NAME_RE = re.compile(r"(?:人民政府|人民政府网|政府网|门户网站|门户网|官方网站|官网|网站)$|^.{1,5}网$")
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
    pm: PageMeta, root: HtmlElement, st: Stats, body: HtmlElement | None, text_start: int | None = None
) -> tuple[str | None, str]:
    """(title, provenance).

    ArticleTitle; the heading leading into the body when <title> agrees with it; another heading agreeing
    with <title>; OpenGraph, JSON-LD; the cleaned <title>; and when <title> only names the site (or is a
    placeholder), the heading leading into the body that is not the site's name.
    """
    site = pm.tags.get("sitename") or pm.tags.get("og:site_name")
    cleaned_tag = clean_title_tag(pm.title_tag, site)
    hit = first_tag(pm, ("articletitle",))
    if hit and len(hit[1]) >= 2:
        return hit[1], meta_provenance(hit[0])
    # Section labels of sidebars and related lists ("热点新闻", "相关链接") are never the headline.
    headings = [(el, t) for el, t in heading_candidates(root, st, body) if not S.TAIL_MARKER_RE.match(t)]
    body_order = st.order.get(body, 0) if body is not None else None
    start = text_start if text_start is not None else body_order
    lead = [(el, t) for el, t in headings if start is None or st.order[el] <= start]
    ref = pm.title_tag or ""
    if lead and ref and _similar(lead[-1][1], ref):
        return lead[-1][1], "title-block"
    tag_is_site = bool(cleaned_tag) and names_a_site(cleaned_tag or "", site)
    # The heading closest before the body that agrees with <title>, else the first one agreeing with it.
    agreeing = [(el, t) for el, t in headings if ref and not tag_is_site and _similar(t, ref)]
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
    # <title> only names the site: the heading leading into the body, never one that repeats the site name.
    names = [n for n in (cleaned_tag, site, site_from_title(pm.title_tag)) if n]
    own = [(el, t) for el, t in lead if not any(_similar(t, n) for n in names)]
    # an <h1> first; else the last heading above the text (not a sub-heading that opens it)
    above = [(el, t) for el, t in own if start is None or st.order[el] < start]
    pick = [(el, t) for el, t in own if el.tag.lower() == "h1"][:1] or above[-1:] or own[:1]
    if pick:
        return pick[0][1], "title-block"
    return (cleaned_tag, SITE_TITLE) if cleaned_tag else (None, "")


def names_a_site(text: str, site: str | None) -> bool:
    """True for a <title> that is a placeholder ("x") or the site's name ("长春市人民政府", "中国政府网")."""
    flat = "".join(text.split())
    if len(flat) <= PLACEHOLDER_CHARS:
        return True
    if site and flat == "".join(site.split()):
        return True
    return bool(_SITE_NAME_RE.search(flat)) and bool(_PLAIN_NAME_RE.fullmatch(flat))


def headline_element(pm: PageMeta, root: HtmlElement, st: Stats) -> HtmlElement | None:
    """The heading that names the article (it agrees with ArticleTitle, og:title or <title>), before the
    body is chosen: the body follows its headline, so it anchors the block choice. An <h1> first."""
    site = pm.tags.get("sitename") or pm.tags.get("og:site_name")
    refs = [
        "".join(r.split())
        for r in (
            (first_tag(pm, ("articletitle",)) or ("", ""))[1],
            (first_tag(pm, ("og:title", "twitter:title")) or ("", ""))[1],
            clean_title_tag(pm.title_tag, site) or "",
        )
        if r
    ]
    refs = [r for r in refs if len(r) >= MIN_TITLE_CHARS and not names_a_site(r, site)]
    if not refs:
        return None
    agreeing = []
    for el, text in heading_candidates(root, st, None):
        flat = "".join(text.split())
        if S.TAIL_MARKER_RE.match(flat):
            continue
        # the heading is the headline, or holds it: not a short word that happens to occur in it
        if any(r in flat or (flat in r and len(flat) * 2 >= len(r)) for r in refs):
            agreeing.append(el)
    h1 = [el for el in agreeing if el.tag.lower() == "h1"]
    if h1 or agreeing:
        return (h1 or agreeing)[0]
    # no heading markup: an element whose own text is exactly the headline (<b>, <font>, a table cell)
    for el in st.order:
        own = el.text
        if (
            own
            and len(own) <= MAX_TITLE_CHARS
            and el not in st.chrome
            and "".join(own.split()) in refs
            and not any(isinstance(c.tag, str) and (c.text or "").strip() for c in el)
        ):
            return el
    return None


FALLBACK_MAX_CHARS = 60
_SENTENCE_TAIL = tuple("。！？；，,.!?;")


def fallback_title(before: list[str], first_lines: list[str]) -> tuple[str | None, str]:
    """(title, provenance) when no headline was found: the last short line above the body that reads as
    a heading (no sentence ending, not a label line), else the body's short first line."""
    for how, texts in (("heading-line", reversed(before)), ("body-first-line", first_lines[:1])):
        for text in texts:
            t = squash(text)
            if (
                MIN_TITLE_CHARS <= len(t) <= FALLBACK_MAX_CHARS
                and not t.endswith(_SENTENCE_TAIL)
                and not S.DATE_TEXT_RE.search(t)
                and not re.search(r"[:：]", t)
            ):
                return t, how
    return None, ""
