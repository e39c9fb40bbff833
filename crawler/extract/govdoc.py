"""The 政府信息公开 record of an official document: 索引号, 发文字号, 发文机关, 成文日期, 主题分类, 有效性, 标题.

The record is printed in a handful of shapes: label and value in neighbouring table cells (several pairs
per row, labels padded with full-width spaces: 标　　题：), "label：value" inside one cell, <li> or <span>,
definition lists (<dt>label</dt><dd>value</dd>), a header row of labels over a row of values, and meta
tags. All but the last come down to one thing: a known label at the start of an element's text, its value
in the rest of that element or in the next element. The page is flattened once into a string where every
element boundary is a marker (a hard one for cells and blocks, a soft one for inline elements), and the
labels are read off that string; scripts, styles and comments are left out, so a record that a script
would print only under a condition does not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .dates import parse_date
from .meta import PageMeta
from .model import Article
from .titles import names_a_site
from .tree import HtmlElement, squash

HARD = "\x1e"  # boundary of a cell, list item or block
SOFT = "\x1f"  # boundary of an inline element (and <br>: a long title wraps inside its cell)
BLOCK_TAGS = frozenset(
    "td th tr li dt dd p div table tbody thead ul ol dl h1 h2 h3 h4 h5 h6 section article header "  # noqa: SIM905
    "footer form aside nav main center hr caption".split()
)
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "textarea", "select", "option"})
FIELDS = ("title", "index_number", "doc_number", "issuer", "written_at", "subject", "validity")
# The labels of each field, longest first inside an alternation (文号 must not win over 发文字号).
LABELS: dict[str, tuple[str, ...]] = {
    "index_number": ("索引号", "索引编号", "信息索引号", "索取号"),
    "doc_number": ("发文字号", "发文文号", "文件编号", "发文编号", "文件字号", "文件文号", "文号"),
    "issuer": (
        "发文机关",
        "发文单位",
        "发文机构",
        "发布机构",
        "发布机关",
        "发布单位",
        "制发机关",
        "发文部门",
        "颁布机关",
    ),
    "written_at": ("成文日期", "成文时间", "印发日期"),
    "subject": ("主题分类", "主题词", "信息分类", "所属主题", "分类", "主题"),
    "validity": ("有效性", "时效性", "效力状态", "有效状态", "是否有效", "时效"),
    "title": ("标题", "文件名称", "信息名称", "文件标题", "名称"),
    "published": ("发布日期", "发布时间", "公开日期", "发文日期"),
    # Labels read only so that the value before them ends there.
    "_other": tuple(
        "生成日期 实施日期 施行日期 废止日期 失效日期 来源 信息来源 公开方式 公开范围 公开时限 体裁分类 "  # noqa: SIM905
        "组配分类 服务对象 内容概述 关键词 所属机构 体裁 有效期 公开主体".split()
    ),
}
# Fields that make a record: a 标题/名称 label and a date label alone are found on plenty of other pages.
RECORD_FIELDS = frozenset({"index_number", "doc_number", "issuer", "written_at", "subject", "validity"})
MIN_RECORD_FIELDS = 2
MAX_CHARS = {"title": 200, "subject": 80, "issuer": 60, "doc_number": 60, "index_number": 60, "validity": 20}
MIN_TITLE_CHARS = 4
# Meta names some CMSs give the record's fields (the label itself, or its pinyin initials).
META_KEYS: dict[str, tuple[str, ...]] = {
    "index_number": ("indexnumber", "indexno", "syh"),
    "doc_number": ("filenumber", "fileno", "docnumber", "documentnumber", "wenhao", "fwzh", "wh"),
    "issuer": ("issuer", "fwjg", "fbjg"),
    "written_at": ("writtendate", "cwrq"),
    "subject": ("ztfl",),
    "validity": ("validity", "yxx"),
}
_SPACED = r"[\s\u3000\xa0]*"


def _label_pattern(word: str) -> str:
    return _SPACED.join(map(re.escape, word))


_ALL_LABELS = sorted(((w, f) for f, ws in LABELS.items() for w in ws), key=lambda p: -len(p[0]))
_FIELD_OF = {w: f for w, f in _ALL_LABELS}
# A label opens an element or follows a separator, and ends with a colon or at the element's end.
LABEL_RE = re.compile(
    rf"(?:^|(?<=[{HARD}{SOFT}\s|｜【\[]))(?P<label>{'|'.join(_label_pattern(w) for w, _ in _ALL_LABELS)})"
    # ends with a colon, a bracket (【发文字号】), the element's end, or a space before the value in the same cell
    rf"{_SPACED}(?:[:：]|[】\]]|(?=[{HARD}{SOFT}])|(?<=[\s\u3000\xa0]))"
)
# Another (unknown) label after a space or at an element's start ends a value: "国务院  公开方式：主动公开".
# The quick test on the raw page: it names a record label, or a weaker one (标题, 名称, 分类 …) right before
# a tag, allowing spaces and &nbsp; between the characters; a page with neither is not read further.
# Branches are grouped by their first character, which keeps the scan of a 100 KB page near 1 ms.
_RAW_SP = r"(?:[\s\u3000\xa0]|&nbsp;|&#160;|&#12288;)*"
_STRONG = tuple(
    w for w, f in _ALL_LABELS if (f in RECORD_FIELDS and f != "subject") or w in ("主题分类", "主题词")
)
_WEAK = tuple(w for w, f in _ALL_LABELS if f != "_other" and w not in _STRONG)


def _grouped(words: tuple[str, ...], end: str = "") -> list[str]:
    heads: dict[str, list[str]] = {}
    for w in words:
        heads.setdefault(w[0], []).append(_RAW_SP + _RAW_SP.join(map(re.escape, w[1:])))
    return [re.escape(h) + "(?:" + "|".join(rest) + ")" + end for h, rest in heads.items()]


RAW_LABEL_RE = re.compile("|".join(_grouped(_STRONG) + _grouped(_WEAK, f"{_RAW_SP}[:：]?{_RAW_SP}<")))
_OTHER_LABEL_RE = re.compile(rf"[{SOFT}\s][{SOFT}\s]*[^{HARD}{SOFT}\s:：]{{2,8}}[:：]")
_TRIM = f" \t\r\n\u3000\xa0:：;；,，|｜】]{HARD}{SOFT}"
_DIGIT_RE = re.compile(r"\d")
_NAME_KEY_RE = re.compile(r"[\s\u3000\xa0:：]+")


@dataclass
class GovDoc:
    """The fields of an official document's record, each with where it came from."""

    title: str | None = None
    index_number: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    written_at: str | None = None  # ISO date
    subject: str | None = None
    validity: str | None = None
    published: datetime | None = (
        None  # 发布日期 in the record: the publish date when the page has no better one
    )
    provenance: dict[str, str] = field(default_factory=dict)
    record: bool = False  # the page prints a document record (enough of its fields), not a lone label

    def found(self) -> bool:
        """True when any record field was read."""
        return any(getattr(self, f) for f in FIELDS)


def flatten(root: HtmlElement) -> str:
    """The page's visible text with a marker at every element boundary (scripts and comments left out)."""
    out: list[str] = []
    _walk(root, out)
    return "".join(out)


def _walk(el: HtmlElement, out: list[str]) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if not tag or tag in SKIP_TAGS:
        return
    mark = HARD if tag in BLOCK_TAGS else SOFT
    out.append(mark)
    if el.text:
        out.append(el.text)
    for child in el:
        _walk(child, out)
        if child.tail:
            out.append(child.tail)
    out.append(mark)


def _clean(value: str, name: str) -> str | datetime | None:
    """The value of one field, or None when it cannot be one (too long, a date that is none …)."""
    value = squash(value.replace(HARD, " ").replace(SOFT, "")).strip(_TRIM)
    if not value:
        return None
    if name in ("written_at", "published"):
        dt = parse_date(value)
        return dt.date().isoformat() if dt and name == "written_at" else dt
    if len(value) > MAX_CHARS.get(name, 80) or LABEL_RE.match(value):
        return None
    if name in ("doc_number", "index_number") and not _DIGIT_RE.search(value):
        return None  # "无", "—": printed, but no number
    if name == "title" and len(value) < MIN_TITLE_CHARS:
        return None
    return value


def _value(text: str, start: int, end: int) -> str:
    """Text after a label: skip the boundaries up to the value's element, stop at the next boundary."""
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip(_TRIM))
    chunk = chunk[lead:]
    stop = chunk.find(HARD)
    if stop >= 0:
        chunk = chunk[:stop]
    other = _OTHER_LABEL_RE.search(chunk)
    return chunk[: other.start()] if other else chunk


def read_pairs(text: str) -> list[tuple[str, str, str]]:
    """(field, label, raw value) of every label in a flattened page, in document order."""
    matches = list(LABEL_RE.finditer(text))
    out = []
    for i, m in enumerate(matches):
        label = "".join(m.group("label").split())
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out.append((_FIELD_OF[label], label, _value(text, m.end(), end)))
    return out


def _header_row_pairs(root: HtmlElement) -> list[tuple[str, str, str]]:
    """A row of labels over a row of values (column headers): pairs by column."""
    out: list[tuple[str, str, str]] = []
    for tr in root.iter("tr"):
        cells = [c for c in tr if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]
        labels = ["".join(squash(c.text_content()).rstrip(":：").split()) for c in cells]
        if len(cells) < MIN_RECORD_FIELDS or not all(lb in _FIELD_OF for lb in labels):
            continue
        nxt = tr.getnext()
        values = [c for c in nxt if isinstance(c.tag, str)] if nxt is not None else []
        after = nxt.getnext() if nxt is not None else None
        if after is not None and len([c for c in after if isinstance(c.tag, str)]) == len(cells):
            continue  # a table of many documents (a list, related files), not one document's record
        if len(values) == len(cells):
            out.extend(
                (_FIELD_OF[lb], lb, squash(v.text_content())) for lb, v in zip(labels, values, strict=True)
            )
    return out


def read_govdoc(root: HtmlElement, pm: PageMeta, html: str) -> GovDoc:
    """The document record of a page (empty when the page prints none); run before the tree is cleaned."""
    doc = GovDoc()
    if not RAW_LABEL_RE.search(html):
        return _from_meta(doc, pm)
    text = flatten(root)
    if not LABEL_RE.search(text):
        return _from_meta(doc, pm)
    kinds: dict[str, list[tuple[str | datetime, str, str]]] = {}
    for how, pairs in (("info-table", read_pairs(text)), ("info-table:columns", _header_row_pairs(root))):
        for name, label, raw in pairs:
            value = _clean(raw, name) if name != "_other" else None
            if value:
                kinds.setdefault(name, []).append((value, how, label))
    record = doc.record = len(RECORD_FIELDS & set(kinds)) >= MIN_RECORD_FIELDS
    for name, found in kinds.items():
        if not record and name != "title":
            continue
        value, how, label = found[0]
        if name == "title" and not record and (label != "标题" or not _cell_label(text, label)):
            continue
        setattr(doc, name, value)
        doc.provenance[name] = f"{how}:{label}"
    return _from_meta(doc, pm)


def _cell_label(text: str, label: str) -> bool:
    """True when a 标题 label fills a table cell of its own (outside a record it counts only then)."""
    pattern = rf"{HARD}[\s\u3000\xa0]*{_label_pattern(label)}{_SPACED}[:：]?[\s\u3000\xa0]*{HARD}"
    return re.search(pattern, text) is not None


def _from_meta(doc: GovDoc, pm: PageMeta) -> GovDoc:
    """Fields the page left unprinted, from meta tags named after the label or its pinyin initials."""
    by_label: dict[str, tuple[str, str]] = {}
    for key, value in pm.tags.items():
        name = _FIELD_OF.get(_NAME_KEY_RE.sub("", key))
        if name and name != "_other":
            by_label.setdefault(name, (key, value))
    for name, keys in META_KEYS.items():
        for key in keys:
            if key in pm.tags and name not in by_label:
                by_label[name] = (key, pm.tags[key])
    for name, (key, raw) in by_label.items():
        if getattr(doc, name):
            continue
        cleaned = _clean(raw, name)
        if cleaned:
            setattr(doc, name, cleaned)
            doc.provenance[name] = "meta:" + key
    return doc


# The published_at provenances weaker than the record's own 发布日期.
WEAK_DATE_SOURCES = frozenset({"url", "visible-line:written"})
MAX_TITLE_EXTRA = 6  # characters a headline may add to the 标题 cell and still say the same ("（全文）")


def _flat(text: str | None) -> str:
    return "".join((text or "").split())


def fill_title(art: Article, doc: GovDoc) -> None:
    """The 标题 cell as the headline when there is no better one.

    Better: an override; a headline that says what the cell says (an ArticleTitle with "（全文）" added, a
    heading repeating it). A headline that says something else (the site's or a section's name, in
    <title> or in ArticleTitle) gives way to the record's own title. Outside a record, a lone 标题 cell only
    names a page whose headline is missing or is the site's name.
    """
    if not doc.title or art.provenance.get("title") == "override":
        return
    if not doc.record and art.title and not names_a_site(art.title, art.site_name):
        return
    mine, cell = _flat(art.title), _flat(doc.title)
    if mine and (mine == cell or (cell in mine and len(mine) - len(cell) <= MAX_TITLE_EXTRA)):
        return
    art.title, art.provenance["title"] = doc.title, doc.provenance["title"]


def fill_fields(art: Article, doc: GovDoc) -> None:
    """Copy the record's fields; the issuer is the 来源 of a page that names none; its 发布日期 the date."""
    for name in ("index_number", "doc_number", "issuer", "written_at", "subject", "validity"):
        value = getattr(doc, name)
        if value:
            setattr(art, name, value)
            art.provenance[name] = doc.provenance[name]
    if doc.issuer and not art.source:
        art.source, art.provenance["source"] = doc.issuer, "issuer"
    if doc.published and (
        art.published_at is None or art.provenance.get("published_at") in WEAK_DATE_SOURCES
    ):
        art.published_at, art.provenance["published_at"] = doc.published, doc.provenance["published"]
