"""Removal signals as pure functions: is a re-fetched article gone, and did it drop out of its list?

Signals: HTTP 404/410; a redirect to the home page or a list page; a soft-404, judged by structure (the
page no longer holds the stored body, and what it holds is no article: the site's chrome around an empty
content block, or a short page of a few lines) rather than by a phrase list alone; an article missing
from a list page while the entries on both sides of it stay.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

from crawler import discovery

GONE_STATUSES = frozenset({404, 410})
# Removal notices name themselves; used to label a soft-404 and to judge a page too short to be an article
# (never alone: the stored body must be missing from the page as well).
NOTICE = re.compile(
    r"(已被?删除|已撤[稿销回]|不存在|已下线|已过期|已失效|无法访问|找不到|页面丢失|not\s*found|404)", re.I
)
SHORT_BODY = 200  # a new "body" this short, while the stored one is gone from the page, is no article
PRESENT_MIN = 0.5  # share of the stored body's lines still on the page for it to count as there
LINE_MIN = 8  # characters: shorter lines (dates, 来源 lines) say nothing about presence
HOME_PATHS = frozenset({"", "/", "/index.html", "/index.htm", "/index.shtml", "/default.html", "/index.jsp"})
DROP_MAX_SHARE = 0.2  # more drops than this share of a list in one parse is a reshuffle, not removals
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, without whitespace: the form texts are compared in."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def gone_status(status: int) -> str | None:
    """Evidence for a status that means removed ('http-404', 'http-410'), else None."""
    return f"http-{status}" if status in GONE_STATUSES else None


def redirect_removal(
    asked: str, final: str, redirected: bool, source_urls: Sequence[str], hosts: frozenset[str]
) -> str | None:
    """'redirect-home' / 'redirect-list' when an article URL now redirects to the home or a list page."""
    if not redirected or asked == final:
        return None
    parts = urlsplit(final)
    if discovery.same_site(final, hosts) and parts.path in HOME_PATHS and not parts.query:
        return "redirect-home"
    sources = {s.rstrip("/") for s in source_urls}
    if final.rstrip("/") in sources or (discovery.is_list_url(final) and not discovery.is_article_url(final)):
        return "redirect-list"
    return None


def body_presence(stored_body: str, page_text: str) -> float:
    """Share (0..1) of the stored body's lines (by characters) that still appear in the page's text."""
    page = normalize(page_text)
    lines = [normalize(line) for line in (stored_body or "").splitlines()]
    lines = [line for line in lines if len(line) >= LINE_MIN]
    if not lines:
        whole = normalize(stored_body)[:60]
        return 1.0 if whole and whole in page else 0.0
    total = sum(map(len, lines))
    return sum(len(line) for line in lines if line in page) / total


def soft_404(stored_body: str, page_text: str, new_body: str | None, is_article: bool) -> str | None:
    """Why a 200 page is a removal in disguise ('soft-404: …'), or None when it still is (or is again) an article.

    The stored body must be gone from the page; then the page is a removal when what it holds is no
    article (the extractor found no content block: chrome only) or only a short text, much shorter than the
    stored body, or a short notice. A page that still carries the stored text is never a removal (a layout
    change must not look like a deletion), and a long new body is an edit, not a removal.
    """
    if body_presence(stored_body, page_text) >= PRESENT_MIN:
        return None
    body = normalize(new_body or "")
    notice = NOTICE.search(body or normalize(page_text)[:2000])
    if not is_article or not body:
        return "soft-404: the page has the site's chrome but no article body" + (
            f" (notice: {notice.group(0)})" if notice else ""
        )
    stored = normalize(stored_body)
    if len(body) < SHORT_BODY and (notice or len(body) < 0.2 * len(stored)):
        what = f"a removal notice ({notice.group(0)})" if notice else f"{len(body)} characters"
        return f"soft-404: the page holds only {what} instead of the {len(stored)}-character body"
    return None


def dropped_from_list(previous: Sequence[str], current: Sequence[str]) -> list[str]:
    """Links of the previous parse that are gone now while the nearest survivors on both sides stay.

    An entry pushed off the end of a page by newer ones has no survivor after it, so it is not a drop; a
    page whose entries mostly changed (a reshuffle or a new layout) yields nothing.
    """
    now = set(current)
    if not previous or not now or not now & set(previous):
        return []
    position = {u: i for i, u in enumerate(current)}
    drops = []
    for i, url in enumerate(previous):
        if url in now:
            continue
        before = next((u for u in reversed(previous[:i]) if u in now), None)
        after = next((u for u in previous[i + 1 :] if u in now), None)
        if before is not None and after is not None and position[before] < position[after]:
            drops.append(url)
    if len(drops) > max(1, DROP_MAX_SHARE * len(previous)):
        return []
    return drops
