"""Per-site template memory: blocks that repeat on a site's other pages are chrome, so a short article
wins over a long footer and sidebar that out-score it on a single page."""

from __future__ import annotations

from datetime import datetime

from crawler.extract import extract_article
from crawler.extract.template import MIN_PAGES, TemplateMemory, line_key
from tests.helpers import FOOTER, SIDEBAR

NOW = datetime.fromisoformat("2024-06-01T12:00:00+08:00")
STORIES = [
    ("青石市召开春耕生产调度会", "4月1日，青石市召开春耕生产调度会，部署春播备耕工作。"),
    ("青石市举办春季招聘会", "3月1日，青石市春季招聘会在市会展中心举行，提供岗位五千余个。"),
    ("青石市开展安全生产大检查", "5月8日，青石市启动安全生产大检查，重点检查危化品企业。"),
    ("青石市启动全民阅读活动", "4月23日，青石市全民阅读活动启动，全年将举办读书活动百余场。"),
]


def site_page(i: int) -> str:
    """A page of one site: the <title> only names the site, so only repetition tells chrome from story."""
    head, text = STORIES[i]
    return (
        "<html><head><title>青石市人民政府</title></head><body>"
        f"<div class='w'>{SIDEBAR}<div class='r'><div class='t'>{head}</div><div class='c'><p>{text}</p></div></div></div>"
        f"{FOOTER}</body></html>"
    )


def url(i: int) -> str:
    return f"http://www.qingshi.gov.cn/xw/{i}.html"


def test_one_page_alone_keeps_the_sidebar_and_footer_around_its_short_story():
    art = extract_article(site_page(2), url(2), now=NOW)
    assert "东北平原腹地" in art.body_text or STORIES[2][1] not in art.body_text  # what the memory is for


def test_template_learned_from_other_pages_lets_the_short_story_win():
    memory = TemplateMemory()
    for i in range(MIN_PAGES):
        first = extract_article(site_page(i), url(i), now=NOW, template=memory.template())
        assert first.template_keys  # every page hands back its keys
        memory.add(url(i), first.template_keys)
    art = extract_article(site_page(2), url(2), now=NOW, template=memory.template())
    assert art.body_text == STORIES[2][1]
    assert "repeat on other pages" in art.provenance["template"]
    assert art.is_article and art.provenance["body"]


def test_keys_seen_on_one_other_page_are_not_template_yet():
    memory = TemplateMemory()
    memory.add(url(0), extract_article(site_page(0), url(0), now=NOW, template=frozenset()).template_keys)
    assert memory.template() == frozenset()
    art = extract_article(site_page(2), url(2), now=NOW, template=memory.template())
    assert "template" not in art.provenance


def test_template_does_not_edit_the_chosen_blocks_text():
    """A repeated line inside the story's block (an editor line) stays: fetched again after the memory
    grew, a page gives the same text, so a refresh records no spurious new version."""
    editor = "（责任编辑：王小明同志）"
    pages = [
        f"<html><body><h1>{h}</h1><div class='c'><p>{t}</p><p>{editor}</p></div></body></html>"
        for h, t in STORIES
    ]
    before = extract_article(pages[3], url(3), now=NOW).body_text
    template = frozenset({line_key(editor)})
    assert extract_article(pages[3], url(3), now=NOW, template=template).body_text == before


def test_without_a_template_no_keys_are_computed():
    art = extract_article(site_page(0), url(0), now=NOW)
    assert art.template_keys == []


def test_a_page_counts_once_however_often_it_is_fetched():
    memory = TemplateMemory()
    keys = extract_article(site_page(0), url(0), now=NOW, template=frozenset()).template_keys
    assert memory.add(url(0), keys) and not memory.add(url(0), keys)
    assert memory.template() == frozenset()  # its own lines are not template after a revisit


def test_a_page_whose_every_block_repeats_is_still_an_article():
    """Two stories sharing their whole text (a reposted notice) must not lose the third copy to the memory."""
    shared = "".join(f"<p>{text}</p>" for _, text in STORIES)

    def copy(i: int) -> str:
        return (
            f"<html><head><title>青石市通知{i}</title></head><body><h1>青石市通知{i}</h1>"
            f"<div class='c'>{shared}</div>{FOOTER}</body></html>"
        )

    memory = TemplateMemory()
    for i in range(MIN_PAGES):
        memory.add(
            url(i), extract_article(copy(i), url(i), now=NOW, template=memory.template()).template_keys
        )
    art = extract_article(copy(9), url(9), now=NOW, template=memory.template())
    assert art.is_article, art.reason
    assert STORIES[0][1] in art.body_text and STORIES[3][1] in art.body_text
    assert art.template_keys and any("template not used" in w for w in art.warnings)
