"""Which links of a list page are its list: the repeated sibling group with dates, not the navigation.

A column page holds one list of articles and a lot of chrome: header and footer menus, column (栏目) links,
"更多" links, sidebars of other columns. URL shapes alone cannot tell them apart (a column page may be
`zwgk.shtml`, an article `/viewAjxxGz/336958-JD0-` with no extension at all), and phrase lists do not
carry over to the next site. Structure does: the articles are the page's repeated sibling items (<li>,
<tr>, <div> of one class) whose items carry a date or a headline-length text; menus are repeated groups
of short undated links. Each anchor gets a role: "list" (in such a group), "nav" (in another repeated
group) or "" (in no group). Lists drawn by a script or left in an HTML comment are parsed from there too.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

MIN_ITEMS = 3  # siblings of one shape that make a repeated group
MAX_CLIMB = 6  # levels from an anchor up to its item
DATED_SHARE = 0.5  # share of dated items that makes a group a list
HEADLINE_CHARS = 10  # median link text of an undated list (menus are shorter)
UNDATED_SHARE = 0.6  # an undated group is a list when its median text reaches this share of the best one
MAX_FRAGMENT_CHARS = 500_000
# A full date anywhere in an item; a short month-day ("11-28", "[11.28]") only outside its link text.
FULL_DATE_RE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}(?:\s*[-/.月]\s*\d{1,2})?")
SHORT_DATE_RE = re.compile(r"(?<![\d.])\d{1,2}\s*[-/.月]\s*\d{1,2}(?![\d.%])")
_MARKUP_IN_SCRIPT_RE = re.compile(r"<(?:a|li|tr)\b[^>]*>", re.I)


@dataclass
class _Group:
    by_item: dict[etree._Element, list[etree._Element]] = field(default_factory=dict)  # item -> its anchors


def _signature(el: etree._Element) -> tuple[str, str]:
    return (el.tag if isinstance(el.tag, str) else "", " ".join(sorted((el.get("class") or "").split())))


def _path(el: etree._Element) -> tuple[tuple[str, str], ...]:
    """The shape of an element's ancestry: two lists in one container with one shape are one list."""
    return tuple(_signature(a) for a in reversed([el, *el.iterancestors()]))


class _Shapes:
    """Per parent, how many children of each shape hold a link (counted once per parent)."""

    def __init__(self) -> None:
        self.counts: dict[etree._Element, dict[tuple[str, str], int]] = {}

    def linked(self, parent: etree._Element, sig: tuple[str, str]) -> int:
        counts = self.counts.get(parent)
        if counts is None:
            counts = self.counts[parent] = {}
            for c in parent:
                if isinstance(c.tag, str) and (c.tag == "a" or c.find(".//a") is not None):
                    key = _signature(c)
                    counts[key] = counts.get(key, 0) + 1
        return counts.get(sig, 0)

    def item_of(self, a: etree._Element) -> tuple[etree._Element, etree._Element] | None:
        """(item, its parent): the lowest element from the anchor up whose parent repeats its shape."""
        el = a
        for _ in range(MAX_CLIMB):
            parent = el.getparent()
            if parent is None or parent.tag in ("body", "html"):
                return None
            if self.linked(parent, _signature(el)) >= MIN_ITEMS:
                return el, parent
            el = parent
        return None


def _text(el: etree._Element) -> str:
    return "".join((el.text_content() or "").split())


def _dated(item: etree._Element, anchors: list[etree._Element]) -> bool:
    text = _text(item)
    if FULL_DATE_RE.search(text):
        return True
    for a in anchors:
        text = text.replace(_text(a), " ", 1)
    return bool(SHORT_DATE_RE.search(text))


def roles(doc: etree._Element) -> dict[etree._Element, str]:
    """Role of every <a href> of a parsed page: "list", "nav" or "" (see the module docstring)."""
    groups: dict[tuple[object, ...], _Group] = {}
    out: dict[etree._Element, str] = {}
    shapes = _Shapes()
    paths: dict[etree._Element, tuple[tuple[str, str], ...]] = {}
    for a in doc.iter("a"):
        if not a.get("href"):
            continue
        out[a] = ""
        found = shapes.item_of(a)
        if found is None:
            continue
        item, parent = found
        if parent not in paths:
            paths[parent] = _path(parent)
        g = groups.setdefault((paths[parent], _signature(item)), _Group())
        g.by_item.setdefault(item, []).append(a)
    stats: list[tuple[_Group, float, float]] = []
    for g in groups.values():
        # An item holding links of other groups is a section box ("要闻 更多>>" over its own list): its
        # own links are the box's furniture, and its dates are its list's.
        if any(sum(1 for _ in item.iter("a")) > len(anchors) for item, anchors in g.by_item.items()):
            stats.append((g, 0.0, 0))
            continue
        dated = sum(1 for item, anchors in g.by_item.items() if _dated(item, anchors)) / len(g.by_item)
        lengths = [len(_text(a)) for anchors in g.by_item.values() for a in anchors]
        stats.append((g, dated, statistics.median(lengths)))
    lists = [s for s in stats if s[1] >= DATED_SHARE]
    if not lists:  # no dated group: the groups of headline-length links
        best = max((s[2] for s in stats), default=0)
        lists = [s for s in stats if s[2] >= max(HEADLINE_CHARS, best * UNDATED_SHARE)]
    chosen = {id(s[0]) for s in lists}
    for g, _dated_share, _median in stats:
        role = "list" if id(g) in chosen else "nav"
        for anchors in g.by_item.values():
            for a in anchors:
                out[a] = role
    return out


def hidden_fragments(doc: etree._Element, base_url: str) -> Iterator[etree._Element]:
    """Markup left in HTML comments and written by scripts (document.write, template strings), parsed."""
    for node in doc.iter(etree.Comment, "script"):
        raw = node.text or ""
        if not raw or len(raw) > MAX_FRAGMENT_CHARS or not _MARKUP_IN_SCRIPT_RE.search(raw):
            continue
        if node.tag == "script":
            if "<![CDATA[" in raw:
                continue  # Hanweb record lists: discovery.hanweb_records reads them
            raw = raw.replace('\\"', '"').replace("\\'", "'").replace("\\/", "/")
        try:
            frag = lxml.html.fragment_fromstring(raw, create_parent="div", base_url=base_url)
        except (etree.ParserError, ValueError):
            continue
        yield frag
