"""Block choice on small pages built here: the short article wins over the blocks that beat it on unseen
pages (a copyright/disclaimer block, an ICP/备案 footer, a 指导单位 footer, a notice above the headline, a
comment thread, a blog sidebar), and a lead above a long story stays with it."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawler.extract import extract_article

NOW = datetime.fromisoformat("2024-06-01T12:00:00+08:00")
URL = "http://www.qingshi.gov.cn/xw/1.html"
NAV = "<div class='top'>" + "".join(f"<a href='/c{i}'>栏目{i}</a>" for i in range(40)) + "</div>"
FIRST = "3月1日，青石市春季招聘会在市会展中心举行，200余家企业提供就业岗位5000余个，吸引求职者近万人。"
LAST = "招聘会现场设立政策咨询区，工作人员为求职者解答社保、创业扶持等问题。"
ARTICLE = f"<p>{FIRST}</p><p>{LAST}</p>"
HEAD = "<h1>青石市举办春季招聘会</h1><div class='info'>发布时间：2024-03-01 10:00　来源：青石日报</div>"
DISCLAIMER = (
    "<div class='sm'><p>著作权声明：本网站所刊登的各种新闻、信息和各种专题专栏资料，均为本网站版权所有，未经协议授权，"
    "禁止下载使用。凡本网注明“来源：某某”的作品，均转载自其它媒体，转载目的在于传递更多信息，并不代表本网赞同其观点。"
    "如有侵权，请与我们联系，我们将在第一时间删除。本网站所载内容仅供参考，不构成任何建议，使用者据此操作，风险自担。</p></div>"
)
# one paragraph, four times the story: a share rule alone would keep it
LONG_DISCLAIMER = DISCLAIMER.replace(
    "<p>", "<p>" + DISCLAIMER[len("<div class='sm'><p>") : -len("</p></div>")] * 3
)
ICP = (
    "<div class='bt'><p>主办单位：青石市人民政府办公室　承办单位：青石市大数据中心　地址：青石市人民大街1号，邮编：130000，"
    "联系电话：0431-12345678，网站标识码：2201000001，吉ICP备05001234号，吉公网安备22010202000123号。"
    "建议以IE8.0以上版本浏览器浏览，分辨率1280*1024以上，为了您的浏览体验，请使用最新版浏览器。</p></div>"
)
GUIDE = (
    "<div class='dw'><p>指导单位：中共青石市委网信办，青石市互联网信息办公室；主办单位：青石日报社，青石市广播电视台；"
    "技术支持：青石网络科技有限公司，青石数据服务中心；本站所有内容未经许可，不得转载，违者必究。</p></div>"
)
NOTICE = (
    "<div class='gg'><p>温馨提示：因系统升级维护，本网站将于本周六晚上22:00至次日凌晨6:00暂停服务，届时网站的检索、"
    "留言、申请等功能将无法使用，给您带来的不便，敬请谅解。如有紧急事项，请拨打值班电话联系我们，感谢您的理解和支持。</p></div>"
)
COMMENTS = (
    "<div class='ly'><h3>网友留言</h3><ul>"
    + "".join(
        f"<li><span>网友{i}</span><span>2024-03-0{i} 1{i}:00</span>"
        "<p>这个招聘会办得很好，希望以后多举办这样的活动，给我们年轻人更多的机会，点赞！</p></li>"
        for i in range(1, 7)
    )
    + "</ul></div>"
)
BLOGS = (
    "<div class='bk'>"
    + "".join(
        f"<div class='b'><a href='/b{i}'>博文标题{i}号关于城市发展的一些思考</a>"
        "<p>城市发展需要统筹规划，兼顾经济与民生，本文从几个方面谈谈个人看法，欢迎交流讨论。</p></div>"
        for i in range(12)
    )
    + "</div>"
)


def page(body: str, title: str = "青石市举办春季招聘会_青石网") -> str:
    return f"<html><head><title>{title}</title></head><body>{NAV}{body}</body></html>"


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(page(HEAD + f"<div class='con'>{ARTICLE}</div>" + DISCLAIMER), id="disclaimer"),
        pytest.param(
            page(HEAD + f"<div class='con'>{ARTICLE}</div>" + LONG_DISCLAIMER),
            id="disclaimer-four-times-the-story",
        ),
        pytest.param(page(HEAD + f"<div class='con'>{ARTICLE}</div>" + ICP), id="icp-footer"),
        pytest.param(page(HEAD + f"<div class='con'>{ARTICLE}</div>" + GUIDE), id="guide-footer"),
        pytest.param(
            page(f"<div class='con'>{HEAD}{ARTICLE}{GUIDE}</div>"), id="guide-footer-in-the-story-box"
        ),
        pytest.param(page(f"<div class='con'>{HEAD}{ARTICLE}{ICP}</div>"), id="icp-footer-in-the-story-box"),
        pytest.param(page(NOTICE + HEAD + f"<div class='con'>{ARTICLE}</div>"), id="notice-above"),
        pytest.param(page(HEAD + f"<div class='con'>{ARTICLE}</div>" + COMMENTS), id="comment-thread"),
        pytest.param(
            page(f"<div class='w'><div class='l'>{HEAD}{ARTICLE}</div>{BLOGS}</div>"), id="blog-sidebar"
        ),
        pytest.param(
            page(f"<div class='main'>{HEAD}{ARTICLE}<div class='side'>{BLOGS}</div></div>"),
            id="sidebar-in-the-story-container",
        ),
    ],
)
def test_short_article_beats_longer_chrome(html):
    art = extract_article(html, URL, now=NOW)
    assert art.is_article
    assert art.body_text.split("\n") == [FIRST, LAST]
    assert art.title == "青石市举办春季招聘会"
    assert art.published_at == datetime.fromisoformat("2024-03-01T10:00:00+08:00")


def test_lead_above_a_long_story_stays_with_it():
    lead = "<div class='zy'><p>摘要：青石市春季招聘会昨日举行，提供岗位五千余个，现场达成就业意向两千余人。</p></div>"
    story = "<div class='nr'>" + f"<p>{FIRST}</p>" * 8 + "</div>"
    art = extract_article(page(HEAD + lead + story), URL, now=NOW)
    assert FIRST in art.body_text and len(art.body_text) > 8 * len(FIRST)


def test_forum_thread_that_follows_its_headline_is_the_text():
    html = page("<h1>青石市举办春季招聘会</h1>" + COMMENTS)
    art = extract_article(html, URL, now=NOW)
    assert art.is_article and art.body_text.count("这个招聘会办得很好") == 6


# No heading in the markup names the story (<title> is the site's name): the publish-date/来源 line anchors.
BARE_HEAD = (
    "<div class='t'>青石市举办春季招聘会</div><div class='i'>发布时间：2024-03-01 10:00　来源：青石日报</div>"
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BARE_HEAD + f"<div class='con'>{ARTICLE}</div>" + DISCLAIMER, id="disclaimer"),
        pytest.param(BARE_HEAD + f"<div class='con'>{ARTICLE}</div>" + ICP, id="icp-footer"),
        pytest.param(BARE_HEAD + f"<div class='con'>{ARTICLE}</div>" + GUIDE, id="guide-footer"),
        pytest.param(NOTICE + BARE_HEAD + f"<div class='con'>{ARTICLE}</div>", id="notice-above"),
        pytest.param(BARE_HEAD + f"<div class='con'>{ARTICLE}</div>" + COMMENTS, id="comment-thread"),
    ],
)
def test_info_line_anchors_the_body_when_no_headline_is_marked(body):
    art = extract_article(page(body, title="青石网"), URL, now=NOW)
    assert art.is_article
    assert art.body_text.split("\n") == [FIRST, LAST]
    assert art.published_at == datetime.fromisoformat("2024-03-01T10:00:00+08:00")


MIDDLE = (
    "招聘会分为制造业、服务业、信息技术三个专区，其中信息技术专区岗位同比增长三成，平均月薪超过八千元。",
    "市人社局负责人介绍，今年将继续举办各类招聘活动五十场以上，帮助高校毕业生和农民工实现就业。",
    "不少求职者表示，现场岗位丰富，待遇透明，还能当面与企业负责人交流，求职效率明显提高。",
)
STORY = [FIRST, *MIDDLE, LAST]


@pytest.mark.parametrize("head", [HEAD, BARE_HEAD], ids=["headline", "no-headline"])
def test_a_statement_longer_than_the_story_is_not_one_text_with_it(head):
    """The winner grows over story and statement (their container beats the statement alone): the
    statement still closes the page and the story ends where it begins."""
    story = "<div class='con'>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div>"
    art = extract_article(page(head + story + LONG_DISCLAIMER, title="青石网"), URL, now=NOW)
    assert art.is_article
    lines = art.body_text.split("\n")
    assert lines[-5:] == STORY
    assert "著作权" not in art.body_text


def test_a_copyright_paragraph_beside_the_story_paragraphs_is_not_joined_to_them():
    statement = DISCLAIMER.replace("<div class='sm'>", "").replace("</div>", "")
    art = extract_article(page(HEAD + ARTICLE + statement), URL, now=NOW)
    assert art.body_text.split("\n") == [FIRST, LAST]


def test_label_and_counter_lines_around_a_short_post_are_not_prose():
    """A blog page: profile, archive and category boxes on both sides of a short post. Their lines carry
    colons and brackets (昵称：…, 2023年1月（4篇）) but no sentence: they are not the text, however many."""
    post = [
        "今天去了城东的湿地公园，春天的芦苇刚刚冒出新芽，水面上有几只白鹭在觅食，景色十分宜人。",
        "公园里新修了木栈道，沿着湖边走一圈大约需要一个小时，路上遇到不少带孩子来踏青的家庭。",
        "傍晚时分夕阳把湖面染成金色，我拍了几张照片，回家的路上心情格外舒畅，下次还想再来。",
    ]
    profile = "".join(
        f"<div>{k}：{v}</div>" for k, v in [("昵称", "山水间"), ("等级", "五级"), ("积分", "12345")]
    )
    archive = "".join(f"<div>2023年{m}月（{m + 3}篇）</div>" for m in range(1, 13))
    cats = "".join(f"<div>游记随笔第{i}类（{i * 2}）</div>" for i in range(15))
    side = (
        f"<div class='box'><h3>个人资料</h3>{profile}</div><div class='box'><h3>文章归档</h3>{archive}</div>"
    )
    side += f"<div class='box'><h3>文章分类</h3>{cats}</div>"
    main = "<h2>湿地公园踏青记</h2><div>2024-03-10 18:20</div>" + "".join(f"<p>{p}</p>" for p in post)
    html = (
        "<html><head><title>湿地公园踏青记_山水间的博客</title></head><body><div class='wrap'>"
        f"<div class='l'>{side * 2}</div><div class='m'>{main}</div><div class='r'>{side * 2}</div></div></body></html>"
    )
    art = extract_article(html, "http://blog.qingshi.cn/1.html", now=NOW)
    assert art.body_text.split("\n") == post


@pytest.mark.parametrize("head", [HEAD, BARE_HEAD], ids=["headline", "no-headline"])
def test_the_story_s_own_cell_beats_a_longer_column_of_teasers_beside_it(head):
    """Old table layout: link column, the story's cell (its headline and info line inside), and a column
    of teaser paragraphs with more prose than the story. The block after the headline may be the box
    that holds the headline too."""
    links = "".join(
        f"<tr><td><a href='/n{i}'>青石新闻第{i}条关于经济发展</a> 2024-02-{i % 28 + 1:02d}</td></tr>"
        for i in range(60)
    )
    teasers = "".join(
        f"<p>青石市第{i}届文化节开幕，市民踊跃参与，现场气氛热烈。<a href='/m{i}'>详细</a></p>"
        for i in range(20)
    )
    story = "".join(f"<p>{p}</p>" for p in STORY)
    html = page(
        f"<table><tr><td><table>{links}</table></td><td>{head}{story}</td><td>{teasers}</td></tr></table>",
        "青石网",
    )
    art = extract_article(html, URL, now=NOW)
    assert art.body_text.split("\n")[-5:] == STORY
    assert "文化节" not in art.body_text


REPLIES = (
    "<h3>网友评论</h3><ul>"
    + "".join(
        f"<li>网友{i}（2024-03-0{i} 1{i}:00）：这个招聘会办得很好，希望以后多举办这样的活动，给我们年轻人更多的机会，点赞！</li>"
        for i in range(1, 8)
    )
    + "</ul>"
)


@pytest.mark.parametrize("head", [HEAD, BARE_HEAD], ids=["headline", "no-headline"])
def test_a_list_under_a_comments_heading_never_beats_the_short_story_above_it(head):
    """Plain-text replies (no link titles, no date elements) outweigh the story; the 网友评论 heading between
    the headline and them says they come after the article."""
    art = extract_article(page(head + f"<div class='con'>{ARTICLE}</div>" + REPLIES, "青石网"), URL, now=NOW)
    assert art.body_text.split("\n") == [FIRST, LAST]


def test_a_title_that_only_names_the_site_gives_way_to_the_headline_line():
    story = "<div class='con'>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div>"
    art = extract_article(page(BARE_HEAD + story + REPLIES, "青石网"), URL, now=NOW)
    assert art.title == "青石市举办春季招聘会"
    assert art.body_text.split("\n") == STORY
    assert art.published_at == datetime.fromisoformat("2024-03-01T10:00:00+08:00")


def test_a_run_of_short_unlinked_words_is_not_prose():
    """A tag cloud and a menu of plain <span> words hold more characters than a three-sentence post, and
    no punctuation: many short words are a list, not a sentence (the page names no headline, no label)."""
    words = "".join(f"<span>标签{i}</span> " for i in range(30))
    menu = "".join(f"<span>栏目{i}</span> " for i in range(12))
    post = "<div>湿地公园踏青记</div><div>2024-03-10 18:20</div>" + "".join(f"<p>{p}</p>" for p in STORY[:3])
    html = page(
        f"<div class='m'>{menu}</div><div class='w'><div class='k'>{words}</div><div class='p'>{post}</div></div>",
        "青石网",
    )
    art = extract_article(html, URL, now=NOW)
    assert art.body_text.split("\n")[-3:] == STORY[:3]
    assert "标签" not in art.body_text


@pytest.mark.parametrize("chrome", [COMMENTS, BLOGS], ids=["comment-thread", "blog-list"])
def test_a_bare_date_under_a_headline_line_anchors_when_nothing_is_labelled(chrome):
    """No heading markup, no 发布时间 label: the bare date line right under a short headline-like line
    stands where the info line would, and the entry list after the story gives way to it."""
    head = "<div class='t'>青石市举办春季招聘会</div><div class='d'>2024-03-01 10:00</div>"
    art = extract_article(page(f"<div class='con'>{head}{ARTICLE}{chrome}</div>", "青石网"), URL, now=NOW)
    assert art.body_text.split("\n") == [FIRST, LAST]
    assert art.title == "青石市举办春季招聘会"
    assert art.published_at == datetime.fromisoformat("2024-03-01T10:00:00+08:00")
