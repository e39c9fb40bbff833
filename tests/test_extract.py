"""Extraction on small hand-written fixture pages: fields, provenance, encodings, overrides."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from crawler.extract import Article, ExtractionError, decode_html, extract_article

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
NOW = datetime.fromisoformat("2024-06-01T12:00:00+08:00")
TRS_URL = "http://www.qingshi.gov.cn/zwgk/zwdt/202311/t20231128_123.html"


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def extract(name: str, url: str = TRS_URL, **kw) -> Article:
    return extract_article(page(name), url, now=NOW, **kw)


# --- TRS-style government page ----------------------------------------------------------------------
def test_trs_fields_and_provenance():
    art = extract("trs_gov.html")
    assert art.is_article and art.reason is None
    assert art.title == "青石市召开春季农业生产调度会"
    assert art.provenance["title"] == "meta:articletitle"
    assert art.published_at == datetime.fromisoformat("2023-11-28T09:30:00+08:00")
    assert art.source == "青石日报"
    assert art.author == "李明"
    assert art.column == "政务动态"
    assert art.site_name == "青石市人民政府"
    assert art.keywords == ["春耕", "农业生产", "调度会"]
    assert art.description.startswith("青石市召开春季农业生产调度会")
    assert art.provenance["body"].startswith("content-block")
    assert art.encoding == "utf-8"


def test_trs_body_without_chrome():
    text = extract("trs_gov.html").body_text
    assert text.startswith("11月27日，青石市召开春季农业生产调度会")
    assert text.endswith("各县区农业农村部门主要负责同志参加会议。")
    assert len(text.split("\n")) == 5  # paragraphs kept
    for chrome in ("上一篇", "下一篇", "分享到", "打印本页", "相关新闻", "版权所有", "script text", "字号"):
        assert chrome not in text


def in_block(headline: str, block: str, inner: str) -> Article:
    """Extract a page whose <h1> is headline and whose content element (block, e.g. "<div id='zoom'>")
    holds inner."""
    html = f"<html><body><h1>{headline}</h1>{block}{inner}</div></body></html>"
    return extract_article(html, "http://www.example.cn/a.html", now=NOW)


def body_lines_of(art: Article) -> list[str]:
    return art.body_text.split("\n")


def test_control_labels_at_the_body_edges_are_not_text():
    prose = (
        "<p>新华社巴黎12月9日电（记者唐雨）法国9日再次爆发全国跨行业大罢工，反对政府进行退休制度改革。</p>"
        * 3
    )
    art = in_block(
        "法国全国大罢工再次严重影响交通",
        "<div id='detail'>",
        f"<p>图集</p><p>链接已复制</p>{prose}<p>+1</p><p>【纠错】</p>",
    )
    lines = body_lines_of(art)
    assert lines[0].startswith("新华社巴黎") and lines[-1].endswith("退休制度改革。")
    assert len(lines) == 3


def test_platform_page_ends_at_its_disclaimer_and_comments():
    prose = "<p>斯诺克名将在刚刚结束的世锦赛上提前出局，但他表示会继续坚持训练，争取明年再战。</p>" * 3
    for tail in (
        "<p>以上内容为创作者平台用户上传并发布，本平台仅提供信息存储服务</p><p>451</p><p>文章不错，点个赞吧</p>",
        "<p>评论13</p><p>Yang7569</p><p>这篇文章写得真不错，我很喜欢这位球员。</p>",
    ):
        opening = "<p>关注</p><p>2024-05-08 23:23</p><p>来自甘肃</p>"
        lines = body_lines_of(
            in_block("斯诺克名将提前出局", "<div class='detail-content'>", opening + prose + tail)
        )
        assert lines[0].startswith("斯诺克名将") and lines[-1].endswith("争取明年再战。")
        assert len(lines) == 3


def test_address_date_and_byline_lines_opening_the_body_are_not_text():
    prose = (
        "<p>李金泽同志现任黑龙江省某机械有限责任公司党委书记、董事长兼总经理，先后荣获多项国家专利。</p>" * 3
    )
    art = in_block(
        "李金泽：做实业的带头人",
        "<div class='main'>",
        "<p>www.chinaneast.gov.cn</p><p>http://www.sina.net 2005年08月16日 11:21 《理财周刊》</p>"
        f"<p>新华网黑龙江频道 记者 伊琳 李清芬</p>{prose}<p>（责任编辑：黄帅）</p><p>振兴东北网版权与免责声明：</p>"
        "<p>凡本网注明来源的所有作品，版权均属于本网，未经本网授权不得转载、摘编或利用其它方式使用上述作品。</p>",
    )
    lines = body_lines_of(art)
    assert lines[0].startswith("李金泽同志") and len(lines) == 3
    assert art.author == "伊琳 李清芬"  # found before the byline line leaves the body


def test_headline_repeated_under_its_source_and_date_starts_the_body():
    prose = (
        "<p>（法新社羅馬19日電）德國網球好手茲韋列夫今天以兩盤擊敗智利選手，在義大利公開賽拿下冠軍。</p>" * 3
    )
    headline = "義大利公開賽 茲韋列夫封王"
    art = in_block(
        headline,
        "<div class='caas-body'>",
        f"<p>{headline}</p><p>法新社</p><p>2024年5月20日週一 下午2:05</p><p>{headline}</p>{prose}<p>播报</p><p>编辑</p>",
    )
    lines = body_lines_of(art)
    assert lines[0].startswith("（法新社羅馬19日電）") and len(lines) == 3


def test_disclaimer_words_and_places_inside_prose_stay():
    prose = "<p>为做好春耕生产工作，确保粮食安全，现将有关事项通知如下。各地要高度重视，认真抓好落实。</p>"
    art = in_block(
        "平台管理办法",
        "<div id='zoom'>",
        f"{prose}<p>来自基层的声音</p><p>第五条 免责声明：平台对用户上传的内容不承担审核义务，但应当履行提示义务。</p>"
        f"<p>第六条 对于仅提供信息存储空间服务的，平台应当公开其名称、联系方式。</p>{prose}",
    )
    lines = body_lines_of(art)
    assert len(lines) == 5 and lines[1] == "来自基层的声音"


def test_related_news_heading_ends_the_body():
    prose = (
        "<p>为做好春耕生产工作，确保粮食安全，现将有关事项通知如下。各地要高度重视，认真抓好落实。</p>" * 2
    )
    art = in_block(
        "春耕生产全面展开",
        "<div id='zoom'>",
        f"{prose}<p>相关新闻</p><p>我市部署节前安全生产工作 2024-02-01</p>",
    )
    assert len(body_lines_of(art)) == 2


def test_a_sub_heading_opening_the_body_is_not_the_title():
    html = (
        "<html><head><title></title></head><body><h2>我市召开安全生产工作会议</h2><div class='TRS_Editor'>"
        "<h3>一、起草背景</h3><p>为做好春耕生产工作，确保粮食安全，现将有关事项通知如下。各地要高度重视。</p>"
        "<p>会议指出，要坚持问题导向，聚焦群众急难愁盼，推动各项任务落细落实，确保取得实效。</p></div></body></html>"
    )
    assert (
        extract_article(html, "http://www.example.gov.cn/a.html", now=NOW).title == "我市召开安全生产工作会议"
    )


def test_trs_body_html_is_clean_and_absolute():
    html = extract("trs_gov.html").body_html
    assert "<script" not in html and "<style" not in html and "onclick" not in html and "style=" not in html
    assert '<img src="http://www.qingshi.gov.cn/zwgk/zwdt/images/chungeng.jpg" alt="调度会现场">' in html
    assert "<div" not in html and "<p><p>" not in html


def test_trs_images_and_attachments():
    art = extract("trs_gov.html")
    assert art.images == [
        {"url": "http://www.qingshi.gov.cn/zwgk/zwdt/images/chungeng.jpg", "alt": "调度会现场"}
    ]
    assert art.attachments == [
        {
            "url": "http://www.qingshi.gov.cn/files/2023/P020231128_plan.pdf",
            "text": "1.春耕生产实施方案.pdf",
            "ext": "pdf",
        },
        {
            "url": "http://www.qingshi.gov.cn/zwgk/zwdt/202311/files/list.docx",
            "text": "2.物资调运清单",
            "ext": "docx",
        },
    ]


def test_to_dict_is_json_with_offset():
    d = extract("trs_gov.html").to_dict()
    assert d["published_at"] == "2023-11-28T09:30:00+08:00"
    assert json.loads(json.dumps(d)) == d


# --- Hanweb-style table layout, visible lines only --------------------------------------------------
def test_hanweb_visible_lines():
    art = extract("hanweb.html", "http://www.nanling.gov.cn/art/2024/1/16/art_1_6.html")
    assert art.title == "南岭县召开河长制工作推进会"
    # Newer dates in the "最新动态" side list and the copyright year must not be picked.
    assert art.published_at.date().isoformat() == "2024-01-16"
    assert art.provenance["published_at"] == "visible-line"
    assert art.published_at.utcoffset().total_seconds() == 8 * 3600
    assert art.source == "县水利局"
    assert art.author == "周敏"  # 责任编辑 is the author fallback, never the 来源
    assert art.body_text.startswith("1月15日下午")
    assert "浏览次数" not in art.body_text and "南岭县开展植树节活动" not in art.body_text
    assert "责任编辑" not in art.body_text


def test_title_tag_site_suffix_removed():
    from crawler.extract.titles import clean_title_tag

    assert clean_title_tag("青石市召开春季农业生产调度会_长春市人民政府") == "青石市召开春季农业生产调度会"
    assert clean_title_tag("标题一 - 南岭县人民政府门户网站") == "标题一"
    assert clean_title_tag("只有标题") == "只有标题"


@pytest.mark.parametrize(
    ("title_tag", "header", "title"),
    [
        # <title> is only the site's name: the headline cell, not the logo
        (
            "长春市人民政府",
            "<h1 class='logo'>长春市人民政府</h1><div class='biaoti'>关于做好春耕生产工作的通知</div>",
            "关于做好春耕生产工作的通知",
        ),
        (
            "长春市人民政府门户网站",
            "<h1 class='logo'>长春市人民政府</h1><td class='title'>关于做好春耕生产工作的通知</td>",
            "关于做好春耕生产工作的通知",
        ),
        (
            "x",
            "<h1>关于做好<br>春耕生产工作的通知</h1>",
            "关于做好春耕生产工作的通知",
        ),  # a placeholder <title>
        ("-青石历史网", "<h1>疫情防控政策怎么咨询</h1>", "疫情防控政策怎么咨询"),
        # titles that happen to end like a site's name, or are short, are still titles
        ("建设人民满意的服务型政府", "<h1>建设人民满意的服务型政府</h1>", "建设人民满意的服务型政府"),
        (
            "关于春耕生产情况的通报_青石市人民政府",
            "<h3>热点新闻</h3><h1>关于春耕生产情况的通报</h1>",
            "关于春耕生产情况的通报",
        ),
        ("春耕忙", "<h3>热点新闻</h3>", "春耕忙"),
    ],
)
def test_title_when_the_title_tag_names_the_site(title_tag, header, title):
    prose = (
        "<p>为做好春耕生产工作，确保粮食安全，现将有关事项通知如下。各地要高度重视，认真抓好落实。</p>" * 3
    )
    html = (
        f"<html><head><title>{title_tag}</title></head><body><div class='nav'><a href='/'>首页</a></div>"
        f"<table><tr>{header if header.startswith('<td') else '<td>' + header + '</td>'}</tr></table>"
        f"<div id='zoom'>{prose}</div></body></html>"
    )
    assert extract_article(html, "http://www.changchun.gov.cn/a.html", now=NOW).title == title


# --- JSON-LD and OpenGraph ----------------------------------------------------------------------------
def test_jsonld_page():
    art = extract("jsonld.html", "https://news.example.cn/a/1.html")
    assert art.title == "城市图书馆延长夜间开放时间"
    assert art.published_at == datetime.fromisoformat("2024-04-02T08:15:00+08:00")
    assert art.provenance["published_at"] == "jsonld"
    assert art.author == "陈晓"
    assert art.site_name == "晨光新闻网"
    assert "推荐阅读" not in art.body_text and "博物馆推出夜场活动" not in art.body_text
    assert art.body_text.count("\n") == 2
    assert "城市图书馆延长夜间开放时间</p>" not in art.body_html  # headline not repeated in the body


# --- dates ------------------------------------------------------------------------------------------
def test_related_and_copyright_dates_ignored():
    html = """<html><head><meta charset="utf-8"><title>某文章_某网站</title></head><body>
    <div class="main"><h1>某区举办消夏晚会</h1>
    <div class="text"><p>本报讯，某区昨晚举办消夏文艺晚会，吸引上千名市民观看，现场气氛热烈。</p>
    <p>晚会由区文化馆主办，节目包括歌舞、戏曲和小品等，均由本地文艺爱好者自编自演。</p></div></div>
    <div class="related"><ul><li><a href="/a/2.html">某区举办读书节活动</a> 2023-08-01</li>
    <li><a href="/a/3.html">某区图书馆新馆开放</a> 2023-07-15</li></ul></div>
    <div class="footer">Copyright © 2006-2023 某网站 版权所有</div></body></html>"""
    art = extract_article(html, "http://www.example.cn/news/show.php?id=12", now=NOW)
    assert art.is_article
    assert art.published_at is None


def test_url_date_last_resort():
    html = "<html><body><h1>标题文字在这里</h1><div><p>这是一段正文，内容足够长，可以作为文章主体。再加一句话。</p></div></body></html>"
    art = extract_article(html, "http://www.qingshi.gov.cn/zwgk/202311/t20231128_9.html", now=NOW)
    assert art.published_at.date().isoformat() == "2023-11-28"
    assert art.provenance["published_at"] == "url"


def test_future_and_ancient_dates_rejected():
    html = """<html><head><meta name="PubDate" content="2031-01-01 10:00"></head><body><h1>未来的文章标题</h1>
    <div class="info">发布时间：1985-01-01</div><div><p>正文第一段，内容足够长，可以作为文章主体。再加一句话。</p></div></body></html>"""
    art = extract_article(html, "http://x.gov.cn/a.html", now=NOW)
    assert art.published_at is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017年03月29日 10:20", "2017-03-29T10:20:00+08:00"),
        ("2017-03-29", "2017-03-29T00:00:00+08:00"),
        ("2023-11-28T09:30:00Z", "2023-11-28T09:30:00+00:00"),
        ("2023-11-28T09:30:00+0800", "2023-11-28T09:30:00+08:00"),
        ("7/5/2005 9:23:57 PM", "2005-07-05T21:23:57+08:00"),
        ("2005/3/21 11:21", "2005-03-21T11:21:00+08:00"),
    ],
)
def test_parse_date_formats(text, expected):
    from crawler.extract.dates import parse_date

    assert parse_date(text).isoformat() == expected


def test_url_date_formats():
    from crawler.extract.dates import url_date

    assert url_date("http://a.gov.cn/x/202311/t20231128_1.html").date().isoformat() == "2023-11-28"
    assert url_date("http://www.news.cn/fortune/2023-11/17/c_1.htm").date().isoformat() == "2023-11-17"
    assert url_date("http://www.news.cn/politics/20240509/abc/c.html").date().isoformat() == "2024-05-09"
    assert url_date("http://a.cn/n1/2024/0510/c1-1.html").date().isoformat() == "2024-05-10"
    assert url_date("http://a.cn/news/12345.html") is None


def test_publish_date_not_written_date():
    html = """<html><body><h1>关于印发某某办法的通知</h1>
    <table class="xxgk"><tr><td>成文日期：2022-01-27</td><td>发布日期：2022-01-28</td></tr></table>
    <div id="zoom"><p>各市（州）人民政府，省政府各厅委办、各直属机构：现将某某办法印发给你们，请认真贯彻执行。</p></div>
    </body></html>"""
    art = extract_article(html, "http://x.gov.cn/a.html", now=NOW)
    assert art.published_at.date().isoformat() == "2022-01-28"


@pytest.mark.parametrize(
    ("cells", "day", "how"),
    [
        ((("发布日期：", "2024年03月05日"), ("成文日期：", "2024年02月27日")), "2024-03-05", "visible-line"),
        ((("成文日期：", "2024年02月27日"), ("发布日期：", "2024年03月05日")), "2024-03-05", "visible-line"),
        # dates of a document that are not its publication, in the cell before 发布日期
        ((("施行日期：", "2024年02月10日"), ("发布日期：", "2024年03月05日")), "2024-03-05", "visible-line"),
        ((("更新日期：", "2024年05月20日"), ("发布日期：", "2024年03月05日")), "2024-03-05", "visible-line"),
        # Only the written date on the page: it is the last resort, and says so.
        (
            (("成文日期：", "2024年02月27日"), ("发文机关：", "青石市人民政府")),
            "2024-02-27",
            "visible-line:written",
        ),
    ],
)
def test_dates_with_their_labels_in_the_cell_before(cells, day, how):
    rows = "".join(f"<tr><td>{label}</td><td>{value}</td></tr>" for label, value in cells)
    prose = (
        "<p>为做好春耕生产工作，确保粮食安全，现将有关事项通知如下。各地要高度重视，认真抓好落实。</p>" * 3
    )
    html = (
        f"<html><body><table class='xxgk'>{rows}</table><h1>关于做好春耕生产工作的通知</h1>"
        f"<div id='UCAP-CONTENT'>{prose}</div></body></html>"
    )
    art = extract_article(html, "http://www.qingshi.gov.cn/zwgk/content_1.htm", now=NOW)
    assert (art.published_at.date().isoformat(), art.provenance["published_at"]) == (day, how)


# --- source vs author -------------------------------------------------------------------------------
def test_source_is_never_author():
    html = """<html><head><meta name="author" content="新华社"></head><body><h1>一篇转载的新闻标题</h1>
    <div class="info">2024-03-01 10:00 来源：新华社</div>
    <div class="content"><p>这是一篇转载稿件的正文，内容足够长，可以作为文章主体。再加一句话。</p></div></body></html>"""
    art = extract_article(html, "http://x.gov.cn/a.html", now=NOW)
    assert art.source == "新华社"
    assert art.author is None


def test_source_and_author_on_one_line():
    html = """<html><body><h1>一篇原创的新闻标题</h1>
    <p class="info">来源：青石日报 | 作者：王芳 | 发布时间：2024-03-01</p>
    <div class="content"><p>这是一篇原创稿件的正文，内容足够长，可以作为文章主体。再加一句话。</p></div></body></html>"""
    art = extract_article(html, "http://x.gov.cn/a.html", now=NOW)
    assert (art.source, art.author) == ("青石日报", "王芳")
    assert art.published_at.date().isoformat() == "2024-03-01"


# --- encodings --------------------------------------------------------------------------------------
def gbk_notice() -> bytes:
    return (FIXTURES / "notice_gbk.txt").read_text(encoding="utf-8").encode("gbk")


def test_gbk_bytes_decoded_as_gb18030():
    art = extract_article(gbk_notice(), "http://x.gov.cn/a.html", now=NOW)
    assert art.encoding == "gb18030"
    assert art.title == "关于春节期间暂停办理业务的通知"
    assert "鎔金路服务点" in art.body_text and art.body_text.endswith("特此通知。")
    assert art.published_at == datetime.fromisoformat("2024-02-06T15:20:00+08:00")


def test_mislabelled_utf8_header_with_gbk_bytes():
    art = extract_article(gbk_notice(), "http://x.gov.cn/a.html", declared_encoding="utf-8", now=NOW)
    assert art.encoding == "gb18030"
    assert "政务服务大厅" in art.body_text


def test_meta_says_gbk_but_bytes_are_utf8():
    data = (FIXTURES / "notice_gbk.txt").read_bytes()  # UTF-8 bytes, <meta charset=gb2312>
    text, codec = decode_html(data)
    assert codec == "utf-8" and "政务服务大厅" in text


def test_decode_html_bom_and_http_charset():
    assert decode_html(b"\xef\xbb\xbf<p>\xe4\xb8\xad</p>") == ("<p>中</p>", "utf-8")
    assert decode_html("<p>中文</p>".encode("gbk"), "GBK")[1] == "gb18030"
    text, codec = decode_html("<p>中文</p>".encode("big5"), "big5")
    assert text == "<p>中文</p>" and codec == "big5hkscs"


def test_str_input_has_no_encoding():
    art = extract_article((FIXTURES / "notice_gbk.txt").read_text(encoding="utf-8"), "http://x.gov.cn/a.html")
    assert art.encoding is None and art.is_article


# --- overrides --------------------------------------------------------------------------------------
def test_overrides_take_precedence():
    art = extract(
        "trs_gov.html",
        overrides={
            "title": "h1.title",
            "body": "div.TRS_Editor",
            "date": ".info",
            "source": ".info",
            "drop": [".TRS_Editor p[style]"],
        },
    )
    assert art.provenance["body"] == "override:div.TRS_Editor"
    assert art.provenance["title"] == "override"
    assert art.published_at.date().isoformat() == "2023-11-28"
    assert "主要负责同志" not in art.body_text
    assert art.warnings == []


def test_override_matching_nothing_is_reported():
    art = extract("trs_gov.html", overrides={"body": "div.no-such-block", "drop": ["#nothing"]})
    assert "override body matched nothing: div.no-such-block" in art.warnings
    assert "override drop matched nothing: #nothing" in art.warnings
    assert art.provenance["body"].startswith("content-block")  # falls back to the cascade
    assert art.is_article


def test_invalid_override_selector_is_a_warning():
    art = extract("trs_gov.html", overrides={"body": "div[[", "colour": "x"})
    assert any("invalid selector" in w for w in art.warnings)
    assert any("not a known key" in w for w in art.warnings)
    assert art.is_article


# --- not articles and bad input ---------------------------------------------------------------------
def test_list_page_is_not_an_article():
    art = extract("no_article.html", "http://www.qingshi.gov.cn/")
    assert not art.is_article and art.reason == "no-body"
    assert art.body_text == ""


def test_short_notice_is_an_article():
    html = "<html><body><h1>停水通知</h1><div class='content'><p>因管网检修，明日9时至17时城区停水。</p></div></body></html>"
    art = extract_article(html, "http://x.gov.cn/a.html", now=NOW)
    assert art.is_article and art.title == "停水通知"


@pytest.mark.parametrize("data", [b"", b"   \n ", "", b"<html></html>", b"<!-- only a comment -->"])
def test_empty_documents(data):
    art = extract_article(data, "http://x.gov.cn/a.html")
    assert not art.is_article and art.reason in ("empty", "no-body")


def test_binary_data():
    assert extract_article(b"%PDF-1.7\n" + bytes(range(256)) * 10, "http://x/a.pdf").reason == "binary"
    assert extract_article(bytes(range(256)) * 40, "http://x/a.bin").reason == "binary"


def test_wrong_argument_types():
    with pytest.raises(ExtractionError):
        extract_article(None, "http://x/")  # type: ignore[arg-type]
    with pytest.raises(ExtractionError):
        extract_article(b"<p>x</p>", None)  # type: ignore[arg-type]


def test_truncated_html():
    data = page("trs_gov.html")
    cut = data[: data.index("会议强调".encode())]
    art = extract_article(cut, TRS_URL, now=NOW)
    assert art.is_article and art.body_text.startswith("11月27日")


def test_challenge_page():
    html = (
        "<html><head><script>document.cookie='__jsl_clearance=1';location.reload()</script></head>"
        "<body><noscript>请开启JavaScript并刷新该页。</noscript></body></html>"
    )
    art = extract_article(html, "http://x.gov.cn/a.html")
    assert not art.is_article and art.reason in ("challenge", "no-body")


def test_time_of_day_comes_from_a_candidate_naming_the_same_day() -> None:
    """A visible 日期 line without a time does not throw away the time a PubDate meta tag gives."""
    html = (
        '<html><head><meta name="PubDate" content="2023-08-08 17:25:00"></head><body><h1>教育新闻标题</h1>'
        '<div class="info">日期：2023-08-08　来源：长春市教育局</div><div class="content">'
        + "<p>今年以来，全市各级各类学校扎实推进课后服务工作，取得了明显成效。</p>" * 6
        + "</div></body></html>"
    )
    art = extract_article(html, "http://127.0.0.1:8001/jyxw/20230808/1.shtml")
    assert art.published_at is not None and art.published_at.isoformat() == "2023-08-08T17:25:00+08:00"


def test_gov_cn_firstpublishedtime_format() -> None:
    from crawler.extract.dates import parse_date

    dt = parse_date("2023-08-14-20:56:25")
    assert dt is not None and dt.isoformat() == "2023-08-14T20:56:25+08:00"
