"""政府信息公开 pages built for tests and bench/govdoc.py: one record, printed in each of its common forms."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

FULL_SPACE = "\u3000"
BODY = (
    "各市（州）人民政府，长白山管委会，梅河口市人民政府，省政府各厅委办、各直属机构：\n"
    "为进一步做好青石河流域综合治理工作，切实保障沿河群众生命财产安全，经省政府同意，现就有关事项通知如下。\n"
    "一、严格控制流域范围内新增建设项目，确需建设的，须依法履行审批程序，并报省水利厅备案。\n"
    "二、各地要加强组织领导，落实属地责任，对违规建设行为依法依规严肃处理，确保各项措施落到实处。\n"
    "三、本通知自印发之日起施行，有效期五年。执行中遇到的问题，请及时报告省政府办公厅。"
)


@dataclass(frozen=True)
class Record:
    """The truth of one page."""

    title: str = "青石省人民政府关于加强青石河流域综合治理的通知"
    index_number: str = "11220000013544357T/2024-00426"
    doc_number: str = "青政发〔2024〕5号"
    issuer: str = "青石省人民政府"
    written_at: str = "2024-02-27"
    published: str = "2024-03-05"
    subject: str = "水利、水务;通知"
    validity: str = "有效"

    def zh(self, iso: str) -> str:
        """2024年02月27日."""
        y, m, d = iso.split("-")
        return f"{y}年{m}月{d}日"


def _pairs(r: Record) -> list[tuple[str, str]]:
    return [
        (f"索{FULL_SPACE}引{FULL_SPACE}号", r.index_number),
        (f"分{FULL_SPACE}{FULL_SPACE}类", r.subject),
        ("发文机关", r.issuer),
        ("成文日期", r.zh(r.written_at)),
        (f"标{FULL_SPACE}{FULL_SPACE}{FULL_SPACE}{FULL_SPACE}题", r.title),
        ("发文字号", r.doc_number),
        ("发布日期", r.zh(r.published)),
        (f"有{FULL_SPACE}效{FULL_SPACE}性", r.validity),
    ]


def cells_one_pair_per_row(r: Record) -> str:
    """<tr><td>label：</td><td>value</td></tr>."""
    rows = "".join(f"<tr><td class='l'>{k}：</td><td class='v'>{v}</td></tr>" for k, v in _pairs(r))
    return f"<table class='xxgk'>{rows}</table>"


def cells_two_pairs_per_row(r: Record) -> str:
    """Two label/value pairs per row, labels in <b>, the title over the whole row (the policy library form)."""
    p = _pairs(r)
    title = p.pop(4)
    rows = "".join(
        f"<tr><td><b>{a[0]}：</b></td><td>{a[1]}</td><td><b>{b[0]}：</b></td><td>{b[1]}</td></tr>"
        for a, b in zip_longest(p[0::2], p[1::2], fillvalue=("", ""))
    )
    rows += f"<tr><td><b>{title[0]}：</b></td><td colspan='3'>{title[1]}</td></tr>"
    return f"<table class='bd1'><tbody>{rows}</tbody></table>"


def cells_inline(r: Record) -> str:
    """ "label：value" inside one cell, three cells a row."""
    cells = [f"<td>{k}：{v}</td>" for k, v in _pairs(r)]
    rows = "".join("<tr>" + "".join(cells[i : i + 3]) + "</tr>" for i in range(0, len(cells), 3))
    return f"<table class='info'>{rows}</table>"


def list_items(r: Record) -> str:
    """<li><span>label：</span><span>value</span></li>."""
    items = "".join(f"<li><span class='k'>{k}：</span><span class='v'>{v}</span></li>" for k, v in _pairs(r))
    return f"<div class='xxgk-box'><ul class='clearfix'>{items}</ul></div>"


def list_items_bold(r: Record) -> str:
    """<li><b>label：</b>value</li>, labels without a colon."""
    items = "".join(f"<li><strong>{k}</strong>{v}</li>" for k, v in _pairs(r))
    return f"<ul class='gk'>{items}</ul>"


def spans_in_one_line(r: Record) -> str:
    """ "label：value" spans side by side in one block, separated by spaces."""
    spans = "　".join(f"<span>{k}：{v}</span>" for k, v in _pairs(r))
    return f"<div class='meta'>{spans}</div>"


def definition_list(r: Record) -> str:
    """<dl><dt>label</dt><dd>value</dd></dl>."""
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in _pairs(r))
    return f"<dl class='record'>{items}</dl>"


def header_row(r: Record) -> str:
    """A row of labels over a row of values."""
    p = _pairs(r)
    head = "".join(f"<th>{k}</th>" for k, _ in p)
    vals = "".join(f"<td>{v}</td>" for _, v in p)
    return f"<table class='grid'><tr>{head}</tr><tr>{vals}</tr></table>"


def bracketed_labels(r: Record) -> str:
    """<p>【label】value</p>."""
    return "<div class='gk'>" + "".join(f"<p>【{k}】{v}</p>" for k, v in _pairs(r)) + "</div>"


def space_after_label(r: Record) -> str:
    """ "label&nbsp;&nbsp;value" in one cell, no colon; labels in <th> elsewhere."""
    rows = "".join(f"<tr><td>{k}&nbsp;&nbsp;{v}</td></tr>" for k, v in _pairs(r))
    return f"<table class='t'>{rows}</table>"


def header_cells(r: Record) -> str:
    """<th>label</th><td>value</td>, two pairs a row."""
    p = _pairs(r)
    rows = "".join(
        f"<tr><th>{a[0]}</th><td>{a[1]}</td><th>{b[0]}</th><td>{b[1]}</td></tr>"
        for a, b in zip(p[0::2], p[1::2], strict=True)
    )
    return f"<table class='xxgk'>{rows}</table>"


FORMS = {
    "cells_one_pair_per_row": cells_one_pair_per_row,
    "cells_two_pairs_per_row": cells_two_pairs_per_row,
    "cells_inline": cells_inline,
    "list_items": list_items,
    "list_items_bold": list_items_bold,
    "spans_in_one_line": spans_in_one_line,
    "definition_list": definition_list,
    "header_row": header_row,
    "bracketed_labels": bracketed_labels,
    "space_after_label": space_after_label,
    "header_cells": header_cells,
}


def body_lines(r: Record) -> list[str]:
    """The document's text: every line names its own document, so pages of one site differ in each line."""
    return [f"{line}（{r.doc_number}）" for line in BODY.splitlines()]


def page(record_html: str, r: Record, *, title_tag: str = "青石省人民政府门户网站", heading: bool = False,
         source_line: str = "", head: str = "") -> str:  # fmt: skip
    """A whole page: site chrome, the record, an optional heading and 来源 line, the body, a footer."""
    paras = "".join(f"<p>{line}</p>" for line in body_lines(r))
    h1 = f"<h1>{r.title}</h1>" if heading else ""
    return (
        f"<html><head><meta charset='utf-8'><title>{title_tag}</title>{head}</head><body>"
        "<div class='top'><a href='/'>首页</a> <a href='/zwgk/'>政务公开</a> <a href='/hdjl/'>互动交流</a></div>"
        f"<div class='main'>{record_html}{h1}{source_line}<div class='content' id='zoom'>{paras}</div></div>"
        "<div class='footer'>主办单位：青石省人民政府办公厅 版权所有 备案号：青ICP备05001234号</div>"
        "</body></html>"
    )
