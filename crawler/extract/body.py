"""Main content block: known CMS containers first, then prose density over the block tree."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from . import selectors as S
from .tree import HtmlElement, Line, Stats, contains, demote, forgive, render_lines, squash

logger = logging.getLogger(__name__)


@dataclass
class BodyChoice:
    """The chosen content element and how it was found."""

    node: HtmlElement
    method: str
    score: float


def _score(st: Stats, el: HtmlElement, penalty: float) -> float:
    return st.good.get(el, 0.0) - penalty * st.bad.get(el, 0.0)


def density_winner(root: HtmlElement, st: Stats, penalty: float = S.CHROME_PENALTY) -> BodyChoice | None:
    """Block element with the most prose net of the chrome text inside it."""
    best: HtmlElement | None = None
    best_score = 0.0
    for el, _order in st.order.items():
        tag = el.tag.lower()
        if tag not in S.BLOCK_TAGS or tag in ("html",) or el in st.chrome:
            continue
        if st.good.get(el, 0.0) <= 0:
            continue
        s = _score(st, el, penalty)
        if s > best_score:
            best, best_score = el, s
    if best is None:
        return None
    # Short closing lines ("特此通知。") or a caption can leave the winner one level too deep.
    parent = best.getparent()
    while parent is not None and parent.tag.lower() not in ("html", "body") and parent not in st.chrome:
        ps = _score(st, parent, penalty)
        if st.good.get(parent, 0.0) > st.good.get(best, 0.0) and ps >= best_score * S.EXPAND_KEEP:
            best, best_score, parent = parent, ps, parent.getparent()
        else:
            break
    return BodyChoice(best, "text-density", best_score)


def known_container(root: HtmlElement, st: Stats, winner: BodyChoice | None) -> BodyChoice | None:
    """A CMS content container that holds a fair share of the winner's prose."""
    need = (st.good.get(winner.node, 0.0) if winner else 0.0) * S.CONTENT_SELECTOR_MIN_SHARE
    best: BodyChoice | None = None
    # One pass over the tree for all selectors; then the first selector (in priority order) with a usable match.
    found = content_matches(st)
    if not found:
        return None
    for rank, sel in enumerate(S.CONTENT_SELECTORS):
        for el in found.get(rank, ()):
            if el in st.chrome:
                continue
            g = st.good.get(el, 0.0)
            if g <= 0 or g < need:
                continue
            related = winner is None or contains(st, el, winner.node) or contains(st, winner.node, el)
            # An unrelated container only when it has more prose than the density winner.
            if not related and winner is not None and g < st.good.get(winner.node, 0.0):
                continue
            if best is None or g > st.good.get(best.node, 0.0):
                best = BodyChoice(el, "content-block:" + sel, _score(st, el, S.CHROME_PENALTY))
        if best is not None:
            break
    return best


def _parse_simple(selector: str) -> tuple[str, str, str]:
    """('id', name, ''), ('class', name, '') or ('attr', name, value) for the simple selectors we list."""
    if m := re.fullmatch(r"#([\w-]+)", selector):
        return "id", m.group(1), ""
    if m := re.fullmatch(r"\.([\w-]+)", selector):
        return "class", m.group(1), ""
    if m := re.fullmatch(r"\[([\w-]+)=([\w-]+)\]", selector):
        return "attr", m.group(1), m.group(2)
    raise ValueError(f"content selector {selector!r} is not a simple #id, .class or [attr=value]")


_BY_KIND: dict[str, dict[str, list[tuple[int, str]]]] = {"id": {}, "class": {}, "attr": {}}
for _rank, _sel in enumerate(S.CONTENT_SELECTORS):
    _kind, _name, _value = _parse_simple(_sel)
    _BY_KIND[_kind].setdefault(_name, []).append((_rank, _value))


def content_matches(st: Stats) -> dict[int, list[HtmlElement]]:
    """Elements matching each content selector (by its rank), in document order, in one pass over the tree.

    Plain dictionary lookups on id, class and attribute: evaluating the 29 selectors as one XPath walked
    the tree once per selector and took a sixth of the extraction time.
    """
    ids, classes, attrs = _BY_KIND["id"], _BY_KIND["class"], _BY_KIND["attr"]
    out: dict[int, list[HtmlElement]] = {}
    for el in st.order:
        hits: list[int] = []
        i = el.get("id")
        if i and i in ids:
            hits.extend(rank for rank, _ in ids[i])
        c = el.get("class")
        if c:
            for name in c.split():
                if name in classes:
                    hits.extend(rank for rank, _ in classes[name])
        for name, wanted in attrs.items():
            v = el.get(name)
            if v:
                hits.extend(rank for rank, value in wanted if v == value)
        for rank in dict.fromkeys(hits):
            out.setdefault(rank, []).append(el)
    return out


def choose_body(root: HtmlElement, st: Stats, headline: HtmlElement | None = None) -> BodyChoice | None:
    """Known container when it qualifies, else the density winner, re-anchored on the headline (or, when
    the markup names none, on the page's first publish-date/来源 line, which stands where a headline would)."""
    if headline is not None:
        forgive(st, headline)
    else:
        headline = info_anchor(st)
    if headline is not None:
        demote_entries(st, headline)
    winner = anchored(st, density_winner(root, st), headline)
    known = known_container(root, st, winner)
    return known or winner


def info_anchor(st: Stats) -> HtmlElement | None:
    """The page's first short block outside chrome whose text carries a publish-date or 来源 label and a
    date: a news page prints it under its headline, so the text follows it. Only the first short blocks
    are read (the line stands above the text)."""
    skip_until, seen = -1, 0
    bare: HtmlElement | None = None  # the first bare date line under a headline-like line, if no labelled one
    for el, order in st.order.items():
        if order <= skip_until:
            continue
        if seen >= S.INFO_ANCHOR_SCAN_BLOCKS:
            break
        if el in st.chrome or el in st.hidden:
            skip_until = st.last_desc.get(el, order)
            continue
        n = st.own_chars.get(el, 0)
        if not n or n > S.INFO_ANCHOR_MAX_CHARS or el in st.nav_blocks:
            continue
        seen += 1
        t = squash(block_text(el, st))
        m = S.DATE_TEXT_RE.search(t)
        if m and S.INFO_ANCHOR_LABEL_RE.search(t):
            return el
        if m and bare is None and len(t) - (m.end() - m.start()) <= 2 and _under_heading(el, st):
            bare = el
    return bare


def _under_heading(el: HtmlElement, st: Stats) -> bool:
    """True when the element right before el is a short line that ends no sentence (a headline)."""
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    if prev is None or prev in st.chrome or prev in st.nav_blocks:
        return False
    t = squash(prev.text_content())
    return 4 <= len(t) <= 60 and t[-1:] not in S.SENTENCE_END


def block_text(block: HtmlElement, st: Stats) -> str:
    """The block's own text: its inline descendants' text and tails, not the text of blocks inside it."""
    out = [block.text or ""]
    stack: list[tuple[Iterator[HtmlElement], HtmlElement | None]] = [(iter(block), None)]
    while stack:
        it, owner = stack[-1]
        c = next(it, None)
        if c is None:
            stack.pop()
            if owner is not None and owner.tail:
                out.append(owner.tail)
            continue
        if isinstance(c.tag, str) and c.tag.lower() not in S.BLOCK_TAGS and c not in st.hidden:
            out.append(c.text or "")
            stack.append((iter(c), c))
        elif c.tail:
            out.append(c.tail)
    return "".join(out)


def demote_entries(st: Stats, headline: HtmlElement | None) -> None:
    """Lists of entries that the article's text comes before are chrome, however much prose they hold.

    Small entry lists are chrome already (tree.compute_stats); a large one (a blog sidebar, a comment
    thread longer than the story) is chrome when the first sentences after the headline lie outside it.
    A thread that follows its headline directly (a forum page) is the page's text and stays.
    """
    if headline is None or not st.entries:
        return
    h_end = st.last_desc.get(headline, st.order[headline])
    first = next(
        (el for el, o in st.order.items() if o > h_end and st.own_ends.get(el) and st.good.get(el, 0) > 0),
        None,
    )
    if first is None:
        return
    for lst in st.entries:
        if lst in st.chrome or any(a in st.chrome for a in lst.iterancestors()):
            continue
        if st.order[lst] > h_end and st.order[first] < st.order[lst]:
            demote(st, lst)


def anchored(st: Stats, winner: BodyChoice | None, headline: HtmlElement | None) -> BodyChoice | None:
    """The article follows its headline: a winner wholly below the headline with a real article block
    between them (a disclaimer, a 指导单位/ICP footer, a comment list beat a short story), or wholly above it
    (a notice), gives way to the best block after the headline that does not overlap it.

    The block (after the headline, or a box that holds the headline and the story but not the winner) must
    carry sentences (a date/来源 line does not) and a fair share of the winner's prose; and
    when the two join without chrome between them (their common container scores as well as the winner),
    they are one text (a lead or summary above the story), and the winner stays.
    """
    if winner is None or headline is None:
        return winner
    w = winner.node
    if contains(st, w, headline) or contains(st, headline, w):
        return winner
    h_end = st.last_desc.get(headline, st.order[headline])
    w_start, w_end = st.order[w], st.last_desc.get(w, st.order[w])
    if w_start > h_end:
        where, limit = "below", w_start
    elif w_end < st.order[headline]:
        where, limit = "above", None
    else:
        return winner
    # A winner of one or two paragraphs (a footer, a disclaimer, a notice) yields to any real block after
    # the headline; a winner of many paragraphs only to a block with a fair share of its prose.
    # So does a winner introduced by a related-stories/comments heading (网友评论, 相关新闻) below the headline.
    paragraphs = sum(1 for el in w.iter() if isinstance(el.tag, str) and st.own_ends.get(el))
    after_tail = where == "below" and tail_headed(st, h_end, w)
    share = 0.0 if paragraphs <= S.ANCHOR_FEW_PARAGRAPHS or after_tail else S.ANCHOR_MIN_SHARE
    need = max(S.ANCHOR_MIN_PROSE, share * winner.score)
    best: HtmlElement | None = None
    best_score = 0.0
    for el, order in st.order.items():
        # after the headline, or a container of the headline (the story's own box) that ends before the winner
        if (order <= h_end and not contains(st, el, headline)) or (
            limit is not None and st.last_desc.get(el, order) >= limit
        ):
            continue
        if el.tag.lower() not in S.BLOCK_TAGS or el in st.chrome or not st.ends.get(el):
            continue
        if where == "above" and contains(st, el, w):
            continue
        sc = _score(st, el, S.CHROME_PENALTY)
        if sc >= need and sc > best_score:
            best, best_score = el, sc
    if best is None:
        return winner
    common = next((a for a in best.iterancestors() if contains(st, a, w)), None)
    joined = common is not None and _score(st, common, S.CHROME_PENALTY) >= winner.score * S.EXPAND_KEEP
    if joined and not after_tail and not reads_as_footer(w):
        return winner
    return BodyChoice(best, f"text-density:after-headline({where})", best_score)


def tail_headed(st: Stats, h_end: int, w: HtmlElement) -> bool:
    """True when a short related-stories/comments heading stands between the headline and the first
    sentence of w (before w, or as w's own heading)."""
    first = next((el for el in w.iter() if isinstance(el.tag, str) and st.own_ends.get(el)), w)
    stop = st.order.get(first, st.order[w])
    for el, order in st.order.items():
        if order <= h_end:
            continue
        if order >= stop:
            return False
        t = squash(el.text)
        if t and len(t) <= S.TAIL_HEADING_CHARS and S.TAIL_MARKER_RE.match(t):
            return True
    return False


def reads_as_footer(el: HtmlElement) -> bool:
    """True for a block that states a copyright, an ICP/备案 number or the site's 主办/承办/技术支持 units: it
    closes the page, so it is never one text with the block above it."""
    return bool(S.COPYRIGHT_RE.search(el.text_content()[: S.FOOTER_SCAN_CHARS]))


def inner_chrome(node: HtmlElement, st: Stats) -> set[HtmlElement]:
    """Chrome subtrees inside the chosen block (share bars, related lists, pagers)."""
    return {el for el in st.chrome if el is not node and contains(st, node, el)}


def body_lines(node: HtmlElement, st: Stats) -> list[Line]:
    """Lines of the content block without chrome, navigation and furniture lines."""
    lines = render_lines(node, st, skip=inner_chrome(node, st))
    # The tail cut first: a "相关新闻" heading is also furniture, and must still end the body.
    return [ln for ln in cut_tail(lines) if not is_furniture(ln.text)]


def cut_tail(lines: list[Line]) -> list[Line]:
    """Stop the body at a related-stories/comments heading or the site footer."""
    seen = 0
    for i, ln in enumerate(lines):
        t = squash(ln.text)
        if seen >= S.MIN_CHARS_BEFORE_TAIL and (
            (len(t) <= S.TAIL_HEADING_CHARS and S.TAIL_MARKER_RE.match(t))
            or (len(t) <= S.MAX_FOOTER_LINE_CHARS and S.FOOTER_LINE_RE.search(t))
            or S.STATEMENT_START_RE.match(t)
        ):
            return lines[:i]
        seen += len(t)
    return lines


def is_furniture(text: str) -> bool:
    """True for share/print/prev-next/related-heading lines."""
    t = squash(text)
    if len(t) > 80:
        return False
    return bool(S.BOILERPLATE_LINE_RE.search(t) or S.NOISE_LINE_RE.match(t))


def with_sibling_paragraphs(st: Stats, node: HtmlElement) -> list[HtmlElement]:
    """A winner that is one paragraph among sibling paragraphs (its container lost for the sidebar or
    list it also holds) takes the unbroken run of sibling paragraphs around it; empty ones (an image)
    do not break the run, anything else (a heading, a sidebar, a chrome block, a copyright statement)
    ends it."""
    parent = node.getparent()
    if node.tag.lower() != "p" or parent is None:
        return [node]
    kids = [c for c in parent if isinstance(c.tag, str)]
    i = kids.index(node)

    def joins(c: HtmlElement) -> bool:
        if c.tag != node.tag or c in st.chrome or c in st.nav_blocks or reads_as_footer(c):
            return False
        return st.good.get(c, 0.0) > 0 or not st.own_chars.get(c, 0)

    lo, hi = i, i
    while lo > 0 and joins(kids[lo - 1]):
        lo -= 1
    while hi + 1 < len(kids) and joins(kids[hi + 1]):
        hi += 1
    return [c for c in kids[lo : hi + 1] if st.good.get(c, 0.0) > 0 or c is node]
