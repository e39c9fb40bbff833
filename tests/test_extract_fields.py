"""Never lose an article for a missing field: no <title> gives the best headline line (with provenance
and a warning); a body with no date is an article with published_at empty and a warning."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawler.extract import extract_article

NOW = datetime.fromisoformat("2024-06-01T12:00:00+08:00")
URL = "http://www.qingshi.gov.cn/xw/1.html"
TEXT = "<p>3月1日，青石市春季招聘会在市会展中心举行，200余家企业提供就业岗位5000余个。</p><p>现场设立政策咨询区，解答社保问题。</p>"
HEADLINE = "青石市举办春季招聘会"


@pytest.mark.parametrize(
    ("html", "how"),
    [
        (f"<html><body><h2>{HEADLINE}</h2><div>{TEXT}</div></body></html>", "title-block"),
        (
            f"<html><body><div class='x'><b>{HEADLINE}</b></div><div class='c'>{TEXT}</div></body></html>",
            "heading-line",
        ),
        (
            f"<html><body><div class='c'><p><strong>{HEADLINE}</strong></p>{TEXT}</div></body></html>",
            "body-first-line",
        ),
        (
            f"<html><head><title></title></head><body><table><tr><td>{HEADLINE}</td></tr>"
            f"<tr><td>{TEXT}</td></tr></table></body></html>",
            "heading-line",
        ),
    ],
)
def test_page_without_title_tag_keeps_its_article(html, how):
    art = extract_article(html, URL, now=NOW)
    assert art.is_article
    assert art.title == HEADLINE and art.provenance["title"] == how
    assert art.body_text.startswith("3月1日") and HEADLINE not in art.body_text


def test_body_without_any_date_is_an_article_with_a_warning():
    art = extract_article(f"<html><body><h1>{HEADLINE}</h1><div>{TEXT}</div></body></html>", URL, now=NOW)
    assert art.is_article and art.published_at is None
    assert any("no publish date" in w for w in art.warnings)
