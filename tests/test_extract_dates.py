"""Publish dates on small pages built here: a full date-time beats a date-only line of the same day, a
bare date under the headline counts, A/B/YYYY is read by the page's own evidence; 来源 values stop at
their natural end."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawler.extract import extract_article
from crawler.extract.dates import find_dates
from crawler.extract.people import source_end

NOW = datetime.fromisoformat("2024-06-01T12:00:00+08:00")
URL = "http://www.qingshi.gov.cn/xw/1.html"
TEXT = (
    "<p>3月1日，青石市春季招聘会在市会展中心举行，200余家企业提供就业岗位5000余个，吸引求职者近万人。</p>" * 3
)
H1 = "<h1>青石市举办春季招聘会</h1>"


def extract(body: str, head: str = "") -> datetime | None:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return extract_article(html, URL, now=NOW).published_at


@pytest.mark.parametrize(
    "body",
    [
        f"{H1}<div>时间：2023.12.27</div><div>发布时间：2023-12-27 18:00 来源：青石日报</div><div class='c'>{TEXT}</div>",
        f"{H1}<div>时间：2023.12.27　浏览：123</div><div class='c'>{TEXT}</div><div>发布时间：2023-12-27 18:00</div>",
    ],
)
def test_full_date_time_beats_date_only_of_the_same_day(body):
    assert extract(body) == datetime.fromisoformat("2023-12-27T18:00:00+08:00")


def test_bare_date_under_a_headline_without_heading_markup():
    rows = "".join(f"<tr><td>栏目{i}</td></tr>" for i in range(10))
    body = (
        "<table><tr><td><b>青石市举办春季招聘会</b></td></tr><tr><td>2004-07-16 10:23</td></tr>"
        f"{rows}<tr><td>{TEXT}</td></tr></table>"
    )
    got = extract(body, "<title>青石市举办春季招聘会_青石网</title>")
    assert got == datetime.fromisoformat("2004-07-16T10:23:00+08:00")


@pytest.mark.parametrize(
    ("stamp", "want"),
    [
        ("7/5/2005 9:23:57", "2005-07-05T09:23:57"),  # month first: 5 July is next to 3 July
        ("5/7/2005 9:23:57 PM", "2005-07-05T21:23:57"),  # day first, although a US clock prints PM
    ],
)
def test_slash_date_order_follows_a_full_date_on_the_page(stamp, want):
    body = f"{H1}<div>{stamp}</div><div class='c'>{TEXT}<p>本报2005年07月03日讯，各地积极开展招聘活动。</p></div>"
    assert extract(body) == datetime.fromisoformat(want + "+08:00")


def test_slash_date_without_evidence_keeps_the_clock_hint():
    assert find_dates("7/5/2005 9:23:57 PM")[0][0].date().isoformat() == "2005-07-05"
    assert find_dates("7/5/2005")[0][0].date().isoformat() == "2005-05-07"
    assert find_dates("13/5/2005")[0][0].date().isoformat() == "2005-05-13"  # 13 is no month


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("鞭牛士 北京 举报", "鞭牛士"),
        ("青石日报", "青石日报"),
        ("Reuters News Agency", "Reuters News Agency"),
    ],
)
def test_source_value_ends_where_the_name_ends(value, want):
    assert source_end(value) == want


def test_source_line_running_into_chrome_on_a_page():
    body = f"{H1}<div class='i'><span>来源：鞭牛士</span> <span>北京</span> <a href='#'>举报</a></div><div class='c'>{TEXT}</div>"
    art = extract_article(f"<html><body>{body}</body></html>", URL, now=NOW)
    assert art.source == "鞭牛士"


def test_a_post_signed_with_its_date_takes_that_date_not_the_next_reply_s():
    """A forum page: the story is the first post, which closes with its own dated sign-off line; each
    reply below carries its own. The body's own labelled date comes before the lines after the body."""
    post = "<p>青石市今年春季招聘会规模创历年之最，现场气氛热烈，不少企业当场签约，求职者满意而归。</p>" * 6
    sign = "<p>〓 青石论坛 发布时间 2005/05/{day} {clock} by {who} 〓</p>"
    rows = (
        f"<tr><td>张三</td><td>{post}{sign.format(day=17, clock='22:11:42', who='张三')}</td></tr>"
        + "".join(
            f"<tr><td>网友{i}</td><td>说得好，支持！{sign.format(day=18 + i, clock='13:45:40', who=f'网友{i}')}</td></tr>"
            for i in range(3)
        )
    )
    body = f"<h1>青石市春季招聘会见闻</h1><table>{rows}</table>"
    published = extract(body, "<title>青石市春季招聘会见闻</title>")
    assert published == datetime.fromisoformat("2005-05-17T22:11:42+08:00")
