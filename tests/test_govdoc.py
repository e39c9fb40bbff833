"""The 政府信息公开 record (crawler/extract/govdoc.py) in each of its common forms, end to end in extract_article."""

from __future__ import annotations

import pytest

from crawler.extract import extract_article
from crawler.extract.govdoc import flatten, read_govdoc
from crawler.extract.meta import read_meta
from crawler.extract.tree import parse_html
from tests.govdoc_pages import BODY, FORMS, Record, body_lines, page

URL = "http://127.0.0.1:8001/zwgk/art/2024/3/5/art_1_123.html"
R = Record()


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_gives_every_field(form: str) -> None:
    art = extract_article(page(FORMS[form](R), R), URL)
    assert art.is_article
    assert art.title == R.title, form
    assert art.index_number == R.index_number
    assert art.doc_number == R.doc_number
    assert art.issuer == R.issuer
    assert art.written_at == R.written_at
    assert art.subject == R.subject
    assert art.validity == R.validity
    assert art.published_at is not None and art.published_at.date().isoformat() == R.published
    assert art.provenance["doc_number"].startswith("info-table")
    # the record is metadata, not body; the body is kept whole
    assert "发文字号" not in art.body_text
    assert body_lines(R)[1] in art.body_text


def test_title_from_the_cell_when_title_tag_only_names_the_site() -> None:
    """No <h1>, a <title> that is only the site's name: the 标题 cell names the document."""
    html = page(FORMS["cells_one_pair_per_row"](R), R, title_tag="中国青石政府网")
    art = extract_article(html, URL)
    assert art.title == R.title
    assert art.provenance["title"] == "info-table:标题"


def test_only_a_title_cell_and_a_site_name_title() -> None:
    """A table holding nothing but the 标题 cell still names the page (a cell of its own is a label)."""
    html = page(
        f"<table><tr><td>标　　题：</td><td>{R.title}</td></tr></table>", R, title_tag="青石省人民政府"
    )
    art = extract_article(html, URL)
    assert art.title == R.title
    assert art.doc_number is None and art.issuer is None


def test_a_heading_that_agrees_with_the_cell_is_kept() -> None:
    html = page(FORMS["cells_inline"](R), R, title_tag=f"{R.title}_青石省人民政府", heading=True)
    art = extract_article(html, URL)
    assert art.title == R.title
    assert not art.provenance["title"].startswith("info-table")


def test_meta_article_title_that_agrees_with_the_cell_is_kept() -> None:
    head = "<meta name='ArticleTitle' content='青石省人民政府关于加强青石河流域综合治理的通知（全文）'>"
    art = extract_article(page(FORMS["cells_inline"](R), R, head=head), URL)
    assert art.title.endswith("（全文）")
    assert art.provenance["title"] == "meta:articletitle"


@pytest.mark.parametrize("meta_title", ["国务院政策文件库", "中国青石政府网"])
def test_meta_article_title_naming_the_site_gives_way_to_the_cell(meta_title: str) -> None:
    head = f"<meta name='ArticleTitle' content='{meta_title}'>"
    art = extract_article(page(FORMS["cells_two_pairs_per_row"](R), R, title_tag=meta_title, head=head), URL)
    assert art.title == R.title
    assert art.provenance["title"] == "info-table:标题"


def test_issuer_is_the_source_when_no_source_is_printed() -> None:
    art = extract_article(page(FORMS["definition_list"](R), R), URL)
    assert art.source == R.issuer
    assert art.provenance["source"] == "issuer"


def test_a_printed_source_is_kept_beside_the_issuer() -> None:
    html = page(FORMS["list_items"](R), R, source_line="<div class='ly'>来源：青石省水利厅</div>")
    art = extract_article(html, URL)
    assert art.source == "青石省水利厅"
    assert art.issuer == R.issuer


def test_meta_tags_only() -> None:
    """A page that prints no record: the gov standard metas and the record's own meta names."""
    head = (
        f"<meta name='ArticleTitle' content='{R.title}'><meta name='PubDate' content='{R.published} 09:30'>"
        f"<meta name='ContentSource' content=''><meta name='发文字号' content='{R.doc_number}'>"
        f"<meta name='fwjg' content='{R.issuer}'><meta name='索引号' content='{R.index_number}'>"
        f"<meta name='cwrq' content='{R.written_at}'>"
    )
    art = extract_article(page("", R, head=head), URL)
    assert (art.title, art.doc_number, art.issuer) == (R.title, R.doc_number, R.issuer)
    assert (art.index_number, art.written_at) == (R.index_number, R.written_at)
    assert art.published_at.isoformat() == f"{R.published}T09:30:00+08:00"
    assert art.provenance["doc_number"] == "meta:发文字号"
    assert art.source == R.issuer


def test_rows_in_comments_and_scripts_do_not_count() -> None:
    html = page(
        "<table><tr><td>索引号：</td><td>000014349/2024-00017</td></tr>"
        "<tr><td>发文机关：</td><td>青石省人民政府</td></tr>"
        "<!-- <tr><td>发文字号：</td><td>青政发〔2023〕1号</td></tr> -->"
        "<script>if ('有效' != '有效') document.write('<tr><td>有效性：</td><td>失效</td></tr>');</script>"
        "</table>",
        R,
    )
    art = extract_article(html, URL)
    assert art.issuer == "青石省人民政府" and art.index_number == "000014349/2024-00017"
    assert art.doc_number is None and art.validity is None


def test_an_unknown_label_ends_a_value() -> None:
    html = page("<div><span>发文机关：</span><span>青石省人民政府</span><span>公开方式：</span><span>主动公开</span>"
                "<span>索引号：</span><span>A01/2024-1</span></div>", R)  # fmt: skip
    art = extract_article(html, URL)
    assert art.issuer == "青石省人民政府"


def test_empty_and_placeholder_values_are_not_fields() -> None:
    html = page("<table><tr><td>发文字号：</td><td>无</td><td>发文机关：</td><td></td><td>索引号：</td>"
                "<td>A01/2024-1</td><td>成文日期：</td><td>2024年02月27日</td></tr></table>", R)  # fmt: skip
    art = extract_article(html, URL)
    assert art.doc_number is None and art.issuer is None
    assert art.index_number == "A01/2024-1" and art.written_at == "2024-02-27"


def test_a_news_page_with_one_stray_label_has_no_record() -> None:
    """One 名称/分类 word on a news page is not a record: no fields, the <title> stays the headline."""
    html = (
        "<html><head><title>青石河治理进展顺利_青石新闻网</title></head><body>"
        "<div class='nav'>分类：<a href='/a'>要闻</a></div><h1>青石河治理进展顺利</h1>"
        f"<div class='content'>{''.join(f'<p>{line}</p>' for line in BODY.splitlines())}</div>"
        "<table><tr><td>名称</td><td>相关下载</td></tr></table></body></html>"
    )
    art = extract_article(html, URL)
    assert art.title == "青石河治理进展顺利"
    assert (art.subject, art.doc_number, art.issuer) == (None, None, None)


def test_first_record_wins_when_a_page_prints_it_twice() -> None:
    other = Record(doc_number="青政发〔2020〕9号", issuer="青石省发展改革委")
    html = page(FORMS["cells_inline"](R) + FORMS["cells_inline"](other), R)
    art = extract_article(html, URL)
    assert (art.doc_number, art.issuer) == (R.doc_number, R.issuer)


def test_flatten_marks_boundaries_and_skips_scripts() -> None:
    root = parse_html("<div><b>发文字号：</b>国发<span>〔2019〕</span>5号<script>x='发文机关'</script></div>")
    text = flatten(root)
    assert "发文机关" not in text
    doc = read_govdoc(root, read_meta(root), "<td>发文字号：国发")
    assert doc.doc_number is None  # one record field alone is not a record
    assert "".join(text.replace("\x1e", "").replace("\x1f", "").split()) == "发文字号：国发〔2019〕5号"


def test_to_dict_carries_the_fields() -> None:
    d = extract_article(page(FORMS["cells_inline"](R), R), URL).to_dict()
    assert {k: d[k] for k in ("doc_number", "issuer", "written_at")} == {
        "doc_number": R.doc_number,
        "issuer": R.issuer,
        "written_at": R.written_at,
    }


def test_a_table_of_many_documents_is_not_a_record() -> None:
    """A related-files table (a header row over several rows) gives no fields to the page."""
    head = "<tr><th>标题</th><th>发文字号</th><th>发文机关</th><th>成文日期</th></tr>"
    rows = "".join(f"<tr><td>关于第{i}批项目的通知</td><td>青政发〔2023〕{i}号</td><td>青石省人民政府</td>"
                   f"<td>2023年0{i}月01日</td></tr>" for i in range(1, 4))  # fmt: skip
    art = extract_article(page(f"<table class='related'>{head}{rows}</table>", R), URL)
    assert (art.doc_number, art.issuer, art.written_at) == (None, None, None)


def test_a_title_wrapped_with_br_inside_its_cell_is_whole() -> None:
    wrapped = R.title.replace("关于", "关于<br/>")
    html = page(FORMS["cells_two_pairs_per_row"](R).replace(R.title, wrapped), R, title_tag="青石省人民政府")
    assert extract_article(html, URL).title == R.title
