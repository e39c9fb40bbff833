"""Block choice on small pages built here: the short article wins over the blocks that beat it on unseen
pages (a copyright/disclaimer block, an ICP/备案 footer, a 指导单位 footer, a notice above the headline, a
comment thread, a blog sidebar), and a lead above a long story stays with it."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawler.extract import extract_article
from tests.blockpages import (
    ARTICLE,
    BARE_HEAD,
    BLOGS,
    COMMENTS,
    DISCLAIMER,
    FIRST,
    GUIDE,
    HEAD,
    ICP,
    LAST,
    LONG_DISCLAIMER,
    NOTICE,
    NOW,
    REPLIES,
    STORY,
    URL,
    page,
)


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
