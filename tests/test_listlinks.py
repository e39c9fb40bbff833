"""List pages of several template shapes: the repeated list's links are articles, menus and columns are not."""

from __future__ import annotations

import pytest

from crawler import discovery as d
from crawler.listlinks import roles
from tests.listpages import BASE, HOST, TEMPLATES, TITLES, ul_dated


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_list_links_are_the_articles_and_nothing_else(name: str) -> None:
    html, want = TEMPLATES[name]()
    got = [link.url for link in d.article_links(html, BASE, {HOST})]
    assert got == want


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_next_page_found_on_every_template(name: str) -> None:
    html, _ = TEMPLATES[name]()
    assert d.next_pages(html, BASE, {HOST}) == [f"http://{HOST}/xwdt/index_1.shtml"]


def test_roles_mark_menus_and_the_list() -> None:
    html, _ = ul_dated()
    doc = d.parse_html(html, BASE)
    by_text = {" ".join(a.text_content().split()): r for a, r in roles(doc).items()}
    assert by_text[TITLES[0]] == "list"
    assert by_text["政务公开"] == "nav" and by_text["网站地图"] == "nav"
    assert by_text["政策文件及解读专栏"] == "nav"
    assert by_text["更多>>"] == ""


def test_a_featured_headline_outside_the_list_still_counts() -> None:
    html, want = ul_dated()
    head = f"<div class='focus'><a href='http://{HOST}/xwdt/202311/t20231130_3365599.shtml'>头条：{TITLES[0]}</a></div>"
    html = html.replace("<ul class='list'>", head + "<ul class='list'>")
    got = [link.url for link in d.article_links(html, BASE, {HOST})]
    assert got == [f"http://{HOST}/xwdt/202311/t20231130_3365599.shtml", *want]


def test_next_page_by_rel_and_by_arrow_text() -> None:
    html = "<a rel='next' href='list_2.html'><img src='n.gif'></a>"
    assert d.next_pages(html, BASE, {HOST}) == [f"http://{HOST}/xwdt/list_2.html"]
    assert d.next_pages("<a href='p3.html'>下页 »</a>", BASE, {HOST}) == [f"http://{HOST}/xwdt/p3.html"]


def test_a_huge_menu_is_linear() -> None:
    """3,000 links in one menu: grouped once, all nav, no article."""
    menu = "".join(f"<li><a href='/c{i}.shtml'>栏目{i}</a></li>" for i in range(3000))
    html = f"<html><body><ul>{menu}</ul></body></html>"
    assert d.article_links(html, BASE, {HOST}) == []


@pytest.mark.parametrize(
    ("script", "current", "want"),
    [
        ("createPageHTML('page_div', 54, 0, 'index', 'shtml', 795);", 0, "index_1.shtml"),
        ('createPageHTML("page_div",54,1,"index","shtml",795);', 1, "index_2.shtml"),
        ("createPageHTML(54, 1, 'index', 'shtml');", 1, "index_2.shtml"),
    ],
)
def test_trs_pager_with_and_without_its_element_id(script: str, current: int, want: str) -> None:
    html = f"<div id='page_div'></div><script>{script}</script>"
    url = f"http://{HOST}/xwdt/index{'_' + str(current) if current else ''}.shtml"
    assert d.next_pages(html, url, {HOST}) == [f"http://{HOST}/xwdt/{want}"]
    last = script.replace(f"54, {current}", "54, 53").replace(f"54,{current}", "54,53")
    assert d.next_pages(f"<script>{last}</script>", url, {HOST}) == []
