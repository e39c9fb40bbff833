"""Parsing into an lxml tree, removing non-content elements, and per-block text statistics."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeAlias

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from . import selectors as S
from .entries import is_entry_list

logger = logging.getLogger(__name__)

HtmlElement: TypeAlias = lxml.html.HtmlElement


def parse_html(text: str) -> HtmlElement | None:
    """Parse decoded html text; None when there is no document at all."""
    if not text or not text.strip():
        return None
    # Feeding UTF-8 bytes with a fixed parser encoding makes lxml ignore the page's own charset claims.
    parser = lxml.html.HTMLParser(
        encoding="utf-8",
        recover=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
        no_network=True,
    )
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        logger.debug("unparseable document: %s", exc)
        return None
    return root


@lru_cache(maxsize=512)
def compile_css(selector: str) -> CSSSelector:
    """Compiled CSS selector (a pure memo: selectors are constants or site config)."""
    return CSSSelector(selector, translator="html")


def squash(text: str | None) -> str:
    """Collapse all whitespace (incl. full-width and nbsp) into single spaces."""
    return " ".join(text.split()) if text else ""


def is_hidden(el: HtmlElement) -> bool:
    """True for elements hidden with inline CSS or the hidden attribute."""
    style = el.get("style")
    return bool(
        el.get("hidden") is not None or (style and "none" in style and S.HIDDEN_STYLE_RE.search(style))
    )


def strip_junk(root: HtmlElement) -> None:
    """Remove scripts, styles, forms controls and other elements that never hold article text."""
    doomed = [el for el in root.iter() if not isinstance(el.tag, str) or el.tag.lower() in S.DROP_TAGS]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the tail text


def class_id(el: HtmlElement) -> str:
    """The class and id attribute values joined for pattern matching."""
    c, i = el.get("class"), el.get("id")
    if c and i:
        return c + " " + i
    return c or i or ""


@dataclass
class Stats:
    """Text statistics of the document, per block and per subtree."""

    order: dict[HtmlElement, int] = field(default_factory=dict)  # document order of every element
    block_of: dict[HtmlElement, HtmlElement] = field(default_factory=dict)  # nearest block of every element
    own_chars: dict[HtmlElement, int] = field(default_factory=dict)
    own_link: dict[HtmlElement, int] = field(default_factory=dict)
    own_punct: dict[HtmlElement, int] = field(default_factory=dict)
    own_words: dict[HtmlElement, int] = field(default_factory=dict)  # space-separated pieces of plain text
    own_last: dict[HtmlElement, str] = field(default_factory=dict)  # last non-space character of own text
    good: dict[HtmlElement, float] = field(default_factory=dict)  # prose chars in the subtree
    bad: dict[HtmlElement, float] = field(default_factory=dict)  # link and label chars in the subtree
    nav_blocks: set[HtmlElement] = field(default_factory=set)
    chrome: set[HtmlElement] = field(default_factory=set)  # chrome subtrees (by tag or class)
    hidden: set[HtmlElement] = field(default_factory=set)
    last_desc: dict[HtmlElement, int] = field(default_factory=dict)  # order of the last descendant
    own_ends: dict[HtmlElement, int] = field(default_factory=dict)  # sentence ends (。！？) outside links
    ends: dict[HtmlElement, int] = field(
        default_factory=dict
    )  # sentence ends in the subtree, chrome excluded
    entries: list[HtmlElement] = field(default_factory=list)  # lists of entries not made chrome by size alone


def _count(text: str) -> tuple[int, int, int]:
    words = text.split()
    compact = "".join(words)
    return len(compact), len(compact) - len(compact.translate(_DROP_PUNCT)), len(words)


_DROP_PUNCT = {ord(ch): None for ch in S.SENTENCE_PUNCT}
_DROP_ENDS = {ord(ch): None for ch in "。！？!?"}


def _block_value(
    chars: int, link: int, punct: int, ends_sentence: bool, words: int = 1
) -> tuple[float, float, bool]:
    """(prose, chrome, is_nav) value of one block's own text (words: its plain text's space-separated pieces)."""
    if chars == 0:
        return 0.0, 0.0, False
    plain = chars - link
    if link / chars > S.LINK_DENSITY_MAX:
        return 0.0, float(chars), True
    # a long run without punctuation is prose, unless it is many short words (a menu, a tag cloud)
    listy = words >= S.LIST_MIN_WORDS and plain < S.LIST_WORD_CHARS * words
    if (
        (punct >= 1 and plain >= 8)
        or (plain >= S.PROSE_MIN_CHARS * 2 and not listy)
        or (punct >= 2 and plain >= 4)
        or (ends_sentence and plain >= 3)
    ):
        return float(plain), float(link), False
    return 0.0, float(chars), False


def _add_text(st: Stats, block: HtmlElement, text: str, link: bool) -> None:
    """Count a text node into its block: characters, link characters, punctuation, last character."""
    n, p, w = _count(text)
    if not n:
        return
    st.own_chars[block] = st.own_chars.get(block, 0) + n
    if link:
        st.own_link[block] = st.own_link.get(block, 0) + n
    else:
        st.own_punct[block] = st.own_punct.get(block, 0) + p
        st.own_words[block] = st.own_words.get(block, 0) + w
        if p and ("。" in text or "！" in text or "？" in text or "!" in text or "?" in text):
            e = len(text) - len(text.translate(_DROP_ENDS))
            st.own_ends[block] = st.own_ends.get(block, 0) + e
        st.own_last[block] = text.rstrip()[-1]


def compute_stats(root: HtmlElement) -> Stats:
    """Attribute every text node to its nearest block and aggregate prose/chrome per subtree."""
    st = Stats()
    nodes = [el for el in root.iter() if isinstance(el.tag, str)]
    in_link: dict[HtmlElement, bool] = {}
    info_hits: list[HtmlElement] = []
    for i, el in enumerate(nodes):
        st.order[el] = i
        tag = el.tag.lower()
        parent = el.getparent()
        pblock = st.block_of.get(parent, root) if parent is not None else root
        block = el if (tag in S.BLOCK_TAGS or parent is None) else pblock
        st.block_of[el] = block
        link = tag == "a" or (parent is not None and in_link.get(parent, False))
        in_link[el] = link
        if el.text:
            _add_text(st, block, el.text, link)
        if el.tail and parent is not None:  # the tail belongs to the parent's block and link state
            _add_text(st, pblock, el.tail, in_link.get(parent, False))
        if is_hidden(el):
            st.hidden.add(el)
        if el.text and S.GOV_INFO_TABLE_RE.search(el.text):
            info_hits.append(el)
    # Bottom-up: children come after their parent in document order.
    good: dict[HtmlElement, float] = {}
    bad: dict[HtmlElement, float] = {}
    last: dict[HtmlElement, int] = {}
    ends: dict[HtmlElement, int] = {}
    for el in reversed(nodes):
        g, b, nav = _block_value(
            st.own_chars.get(el, 0),
            st.own_link.get(el, 0),
            st.own_punct.get(el, 0),
            st.own_last.get(el, "") in S.SENTENCE_END,
            st.own_words.get(el, 1),
        )
        if nav:
            st.nav_blocks.add(el)
        g += good.get(el, 0.0)
        b += bad.get(el, 0.0)
        good[el], bad[el] = g, b
        e = ends.get(el, 0) + (st.own_ends.get(el, 0) if g > 0 else 0)
        ends[el] = e
        last.setdefault(el, st.order[el])
        parent = el.getparent()
        if parent is not None:
            good[parent] = good.get(parent, 0.0) + g
            bad[parent] = bad.get(parent, 0.0) + b
            ends[parent] = ends.get(parent, 0) + e
            if last.get(parent, -1) < last[el]:
                last[parent] = last[el]
    total_good = good.get(root, 0.0) or 1.0
    # Chrome (by tag, class or hidden style) that does not hold most of the prose becomes penalty text.
    for el in nodes:
        tag = el.tag.lower()
        is_chrome = tag in S.CHROME_TAGS or bool(S.CHROME_CLASS_RE.search(class_id(el))) or el in st.hidden
        if is_chrome and good[el] < 0.3 * total_good and not any(a in st.chrome for a in _ancestors(el)):
            st.chrome.add(el)
        elif len(el) >= 3 and good[el] > 0 and tag not in ("body", "html") and is_entry_list(el):
            st.entries.append(el)
    for el in info_hits:
        # The nearest table-like container of the label, when it is small.
        table = next((a for a in _ancestors(el) if a.tag.lower() in S.GOV_INFO_TABLE_TAGS), None)
        if table is None or good[table] + bad[table] > S.GOV_INFO_TABLE_MAX_CHARS:
            continue
        if good[table] < 0.5 * total_good and not any(a in st.chrome for a in _ancestors(table)):
            st.chrome.add(table)
    shift: dict[HtmlElement, float] = {}
    shift_ends: dict[HtmlElement, int] = {}
    for el in st.chrome:
        for a in _ancestors(el):
            shift[a] = shift.get(a, 0.0) + good[el]
            shift_ends[a] = shift_ends.get(a, 0) + ends[el]
        shift[el] = good[el]
        shift_ends[el] = ends[el]
    for el, g in shift.items():
        good[el] -= g
        bad[el] += g
        ends[el] -= shift_ends[el]
    st.good, st.bad, st.last_desc, st.ends = good, bad, last, ends
    return st


def demote(st: Stats, el: HtmlElement) -> None:
    """Make el chrome after the statistics are built: its prose no longer counts for it or its containers
    (neutral, not penalty: a story's container is not punished for the list it also holds)."""
    g, e = st.good.get(el, 0.0), st.ends.get(el, 0)
    for a in (el, *_ancestors(el)):
        st.good[a] -= g
        st.ends[a] = st.ends.get(a, 0) - e
    st.chrome.add(el)


def forgive(st: Stats, el: HtmlElement) -> None:
    """Take el's penalty text off its containers (the headline belongs to the article it heads)."""
    b = st.bad.get(el, 0.0)
    for a in (el, *_ancestors(el)):
        st.bad[a] -= b


def _ancestors(el: HtmlElement) -> Iterator[HtmlElement]:
    p = el.getparent()
    while p is not None:
        yield p
        p = p.getparent()


def contains(st: Stats, outer: HtmlElement, inner: HtmlElement) -> bool:
    """True when inner is outer or inside it."""
    o, i = st.order.get(outer), st.order.get(inner)
    return o is not None and i is not None and o <= i <= st.last_desc.get(outer, o)


@dataclass
class Line:
    """One visible text line and the block that holds it."""

    text: str
    block: HtmlElement
    order: int


def render_lines(
    node: HtmlElement, st: Stats, *, skip: set[HtmlElement] | None = None, skip_nav: bool = True
) -> list[Line]:
    """Visible text of node as lines: block boundaries and <br> break lines."""
    skip = skip or set()
    lines: list[Line] = []
    buf: list[str] = []
    cur_block: list[HtmlElement | None] = [None]

    def flush() -> None:
        text = squash("".join(buf))
        buf.clear()
        if text and cur_block[0] is not None:
            blk = cur_block[0]
            lines.append(Line(text, blk, st.order.get(blk, 0)))
        cur_block[0] = None

    def add(text: str | None, block: HtmlElement) -> None:
        if not text:
            return
        if skip_nav and block in st.nav_blocks:
            return
        if (cur_block[0] is None or not text.isspace()) and cur_block[0] is None:
            cur_block[0] = block
        buf.append(text)

    walker = etree.iterwalk(node, events=("start", "end"))
    for event, el in walker:
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        block = st.block_of.get(el, node)
        if event == "start":
            if el is not node and (el in skip or el in st.hidden):
                walker.skip_subtree()
                continue
            if tag in S.BLOCK_TAGS or tag in S.LINE_BREAK_TAGS:
                flush()
            add(el.text, block)
        else:
            if tag in S.BLOCK_TAGS or tag in S.LINE_BREAK_TAGS:
                flush()
            if el is not node:
                parent = el.getparent()
                add(el.tail, st.block_of.get(parent, node) if parent is not None else node)
    flush()
    return lines
