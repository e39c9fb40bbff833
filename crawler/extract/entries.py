"""Lists of entries (stories, posts, comments) recognised by their structure, not by their words.

A run of at least three sibling items of one kind (same tag and class) where most items open with a link
title or carry an element that holds only a date is a list of other entries: a related-stories box, a
blog sidebar, a comment thread. Its summaries are prose, so density alone counts them as text; their
structure says they are not the article.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

MIN_ITEMS = 3
ITEM_SHARE = 0.6  # share of a container's element children that must be such items
MIN_LINK_TITLE_CHARS = 4
MAX_DATE_CHARS = 25
DATE_ONLY_RE = re.compile(
    r"^[\s\[(（【]*(?:(?:19|20)\d{2}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}[:：]\d{2}(?::\d{2})?)?[\s\])）】]*$"
)


def _opens_with_link(item: HtmlElement) -> bool:
    """True when the item's first visible text is a link of a few characters (an entry's title)."""
    for el in item.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text and el.text.strip():
            if len(el.text.strip()) < MIN_LINK_TITLE_CHARS:
                return False
            node: HtmlElement | None = el
            while node is not None:
                if node.tag == "a":
                    return True
                if node is item:
                    return False
                node = node.getparent()
            return False
        if el is not item and el.tail and el.tail.strip():
            return False
    return False


def _has_date_element(item: HtmlElement) -> bool:
    """True when an element inside the item (two levels deep at most) holds nothing but a date."""
    for child in item:
        if not isinstance(child.tag, str):
            continue
        for el in (child, *child):
            if not isinstance(el.tag, str) or len(el):
                continue
            text = el.text or ""
            if text.strip() and len(text) <= MAX_DATE_CHARS and DATE_ONLY_RE.match(text):
                return True
    return False


def is_entry_list(el: HtmlElement) -> bool:
    """True for a container whose children are mostly entries of one kind (see the module docstring)."""
    kids = [c for c in el if isinstance(c.tag, str)]
    if len(kids) < MIN_ITEMS:
        return False
    kinds: dict[tuple[str, str], list[HtmlElement]] = {}
    for c in kids:
        kinds.setdefault((c.tag, c.get("class") or ""), []).append(c)
    items = max(kinds.values(), key=len)
    if len(items) < MIN_ITEMS or len(items) < ITEM_SHARE * len(kids) or items[0].tag in ("p", "br"):
        return False
    hits = sum(1 for it in items if _opens_with_link(it) or _has_date_element(it))
    return hits >= MIN_ITEMS and hits >= ITEM_SHARE * len(items)
