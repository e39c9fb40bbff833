"""Visible label lines around the body: 发布时间 / 来源 / 作者 / 责任编辑, and bare date lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from . import selectors as S
from .dates import find_dates, plausible
from .tree import HtmlElement, Line, Stats

MAX_VALUE_CHARS = 40
LIST_TAGS = frozenset({"li", "dd", "dt"})
CELL_TAGS = frozenset({"td", "th"})
INFO_LIST_MIN_LABELS = 2
_LABEL_TAIL = 14  # characters before a date searched for its label
_STRIP = " \t:：,，;；|｜/·-—()（）[]【】<>《》\"'“”"
_PAIRS = (("《", "》"), ("（", "）"), ("(", ")"), ("【", "】"), ("[", "]"), ("“", "”"))
_MARKUP_RE = re.compile(r"[<>{}]|\w=[\"']")  # markup left in the text of a broken page: size="20"
_TAGS = frozenset(("原创", "转载", "推荐", "独家", "首发", "图文", "视频", "置顶"))
_BOXED_RE = re.compile(r"\s*[\[【]\s*([^\[\]【】:：]{1,40}?)\s*[\]】]")
_ACCOUNT_TAIL_RE = re.compile(r"\s+[A-Za-z_]{1,6}\d{2,}\s*$")  # "张三 SN123": an editor's CMS account
_AUTHOR_TRAIL_RE = re.compile(r"\s*(?:报道|摄影?|整理|供稿|编辑|文|图)\s*$")


@dataclass
class Region:
    """Lines of the page split by their position against the body block."""

    header: list[Line]  # lines just before the body plus the first body lines
    before: list[Line]  # lines just before the body
    after: list[Line]  # lines just after the body
    other: list[Line]  # every line outside lists and navigation, in document order
    inside: list[Line] = field(default_factory=list)  # the body's own lines


def split_regions(outside: list[Line], inside: list[Line], st: Stats, body: HtmlElement | None) -> Region:
    """Header / after / other regions, leaving out navigation, list items and copyright lines."""
    lists: dict[HtmlElement, bool] = {}  # per list element: may its items be read (asked once per list)
    usable = [ln for ln in outside if _usable(ln, st, lists)]
    if body is None:
        return Region(usable[: S.HEADER_LINES], [], [], usable)
    # The header ends where the body's text starts (chrome inside the block may come first).
    start = inside[0].order if inside else st.order[body]
    before = [ln for ln in usable if ln.order < start]
    inside = [ln for ln in inside if _usable(ln, st, lists)]
    after = [ln for ln in usable if ln.order > start]
    header = before[-S.HEADER_LINES :] + inside[:3]
    return Region(header, before[-S.HEADER_LINES :], after[:15], before + inside + after, inside)


def _usable(ln: Line, st: Stats, lists: dict[HtmlElement, bool]) -> bool:
    if len(ln.text) > S.MAX_META_LINE_CHARS:
        return False
    if ln.block in st.nav_blocks:
        return False
    if ln.block.tag.lower() in LIST_TAGS:
        lst = ln.block.getparent()
        if lst not in lists:
            lists[lst] = _only_item(ln.block)
        if not lists[lst]:
            return False
    return not S.COPYRIGHT_RE.search(ln.text)


def _only_item(item: HtmlElement) -> bool:
    """True for the single <li> of the only list in its container: an info bar marked up as a list.

    A list of stories has more items, or is one of several one-item lists side by side; <dt>/<dd> items
    are never info bars.
    """
    lst = item.getparent()
    if item.tag.lower() != "li" or lst is None:
        return False
    if sum(1 for c in lst if c.tag == item.tag) != 1:
        return _info_list(lst)
    box = lst.getparent()
    return box is None or sum(1 for c in box if isinstance(c.tag, str) and c.tag.lower() in ("ul", "ol")) == 1


def _info_list(lst: HtmlElement) -> bool:
    """A list whose items open with different labels of a 政府信息公开 record (索引号, 发文机关, 发布日期 …);
    a list of stories that all open with "来源：" is not one."""
    labels = set()
    for li in lst:
        m = S.INFO_ITEM_RE.match(li.text_content().strip()) if isinstance(li.tag, str) else None
        if m:
            labels.add("".join(m.group().split()))
    return len(labels) >= INFO_LIST_MIN_LABELS


def _label_before(text: str, pos: int) -> str:
    """'date', 'update', 'written' or '' for the label right before position pos."""
    head = text[max(0, pos - _LABEL_TAIL) : pos].rstrip(" \t:：")
    if not head:
        return ""
    if S.WRITTEN_LABEL_RE.search(head[-5:]):
        return "written"
    if S.UPDATE_LABEL_RE.search(head[-5:]):
        return "update"
    last = None
    for last in S.DATE_LABEL_RE.finditer(head):  # noqa: B007 - the last label before the date counts
        pass
    if last and last.end() >= len(head) - 1:
        return "date"
    return ""


LABELLED = frozenset({"date"})
ANY_DATE = frozenset({"date", ""})
WRITTEN = frozenset({"written"})


def line_dates(
    lines: list[Line], now: datetime, *, kinds: frozenset[str], evidence: Sequence[date] = ()
) -> list[datetime]:
    """Plausible dates written in lines, in order, whose label is of the given kinds.

    Kinds: "date" (a publish-date label), "" (no label), "written" (成文日期 and the like), "update".
    A date alone in a table cell takes the label of the cell before it.
    """
    out = []
    prev: Line | None = None
    for ln in lines:
        for dt, pos in find_dates(ln.text, evidence):
            label = _label_before(ln.text, pos)
            if not label and prev is not None and not ln.text[:pos].strip() and _cell_pair(prev, ln):
                label = _label_before(prev.text, len(prev.text))
            if label in kinds and plausible(dt, now):
                out.append(dt)
        prev = ln
    return out


def trim_value(value: str) -> str:
    """Value without separators around it; a bracket it opens or closes itself stays ("光明网-《光明日报》")."""
    start = len(value) - len(value.lstrip(_STRIP))
    end = len(value.rstrip(_STRIP))
    if start >= end:
        return ""
    out, head, tail = value[start:end], value[:start].rstrip(), value[end:].lstrip()
    for left, right in _PAIRS:
        if out.count(left) > out.count(right) and tail.startswith(right):
            out += right
        elif out.count(right) > out.count(left) and head.endswith(left):
            out = left + out
    return out


def _value_after(text: str, m: re.Match[str]) -> str | None:
    rest = text[m.end() :]
    boxed = _BOXED_RE.match(rest)  # "来源：[ 人民网 ]"
    while boxed and boxed.group(1) in _TAGS:  # "作者：【原创】张三"
        rest = rest[boxed.end() :]
        boxed = _BOXED_RE.match(rest)
    stop = S.FIELD_STOP_RE.search(rest)
    value = boxed.group(1) if boxed else rest[: stop.start()] if stop else rest
    value = trim_value(value)
    if not value or len(value) > MAX_VALUE_CHARS or _MARKUP_RE.search(value):
        return None
    return value


def labelled_value(lines: list[Line], label: re.Pattern[str]) -> str | None:
    """Value of the first 'label：value' in lines (in a table, the value may sit in the next cell)."""
    for i, ln in enumerate(lines):
        for m in label.finditer(ln.text):
            # A label must start the line or follow a separator, not sit inside a sentence.
            if (
                m.start() > 0
                and ln.text[m.start() - 1] not in " \t|｜/】]）)（(　,，;；"
                and not _after_value(ln.text, m)
            ):
                continue
            value = _value_after(ln.text, m)
            if value:
                return value
            if m.end() == len(ln.text) and i + 1 < len(lines):
                value = _next_cell(ln, lines[i + 1])
                if value:
                    return value
    return None


def _cell_pair(label: Line, value: Line) -> bool:
    """True when two lines are neighbouring cells of one table row (a label and its value)."""
    return label.block.tag.lower() in CELL_TAGS and value.block.getparent() is label.block.getparent()


def _next_cell(label: Line, nxt: Line) -> str | None:
    """The value of a label that fills its own table cell: the text of the next cell in the row."""
    if not _cell_pair(label, nxt) or nxt.text.rstrip().endswith((":", "：")):  # an empty cell: nxt is a label
        return None
    value = trim_value(nxt.text)
    if not value or len(value) > MAX_VALUE_CHARS or S.FIELD_STOP_RE.match(value):
        return None
    return value


def _after_value(text: str, m: re.Match[str]) -> bool:
    """True when the label follows a date or another label's value on an info line."""
    return bool(re.search(r"[\d日:：]\s*$", text[: m.start()]))


def clean_author(value: str | None) -> str | None:
    """Author names without trailing role words ("张三 摄" -> "张三")."""
    if not value:
        return None
    value = trim_value(_AUTHOR_TRAIL_RE.sub("", _ACCOUNT_TAIL_RE.sub("", value)))
    return value or None
