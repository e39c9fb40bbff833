"""Pure revisit rules: the decaying schedule, the budget, removal signals, character diffs."""

from __future__ import annotations

import pytest

from crawler import removals
from crawler.revisits import DEFAULT_SCHEDULE, budget, carry, next_revisit, parse_schedule
from crawler.sites import ConfigError, parse_duration, parse_sites
from storage.versions import changed_fields, char_diff

T0 = "2026-01-01T00:00:00+00:00"
BODY = "\n".join(
    [
        "全市安全生产工作会议今天召开，会议总结了今年以来的安全生产工作。",
        "会议要求各地各部门压实责任，深入开展隐患排查整治，坚决遏制重特大事故发生。",
        "会议强调，要加强应急值守，确保人民群众生命财产安全。",
    ]
)


def test_schedule_decays_from_first_seen() -> None:
    assert next_revisit(T0, T0, DEFAULT_SCHEDULE) == "2026-01-01T01:00:00+00:00"
    assert next_revisit(T0, "2026-01-01T01:00:05+00:00", DEFAULT_SCHEDULE) == "2026-01-01T06:00:00+00:00"
    # a check delayed past several offsets goes on with the next one after it, no pile-up
    assert next_revisit(T0, "2026-01-05T00:00:00+00:00", DEFAULT_SCHEDULE) == "2026-01-08T00:00:00+00:00"
    assert next_revisit(T0, "2026-02-01T00:00:01+00:00", DEFAULT_SCHEDULE) is None
    assert next_revisit(T0, T0, None) is None


def test_schedule_config() -> None:
    assert parse_schedule(None, parse_duration) == DEFAULT_SCHEDULE
    assert parse_schedule(False, parse_duration) is None
    assert parse_schedule(["2h", "2d"], parse_duration) == (7200, 172800)
    for bad in (["2d", "1d"], [], "1h", [3]):
        with pytest.raises(ValueError):
            parse_schedule(bad, parse_duration)
    with pytest.raises(ConfigError, match="site 'a', key 'revisit'"):
        parse_sites({"site": [{"name": "a", "revisit": ["x"], "sources": [{"url": "http://127.0.0.1/"}]}]})


def test_budget_share_and_carry() -> None:
    assert budget(8, 0.2) == (2, 2.0)  # 2 of 10 requests
    allowed, credit = budget(1, 0.2)  # a quiet run: one 304
    assert allowed == 0 and carry(credit, 0) == pytest.approx(0.25)
    credit = 0.0
    spent = []
    for _ in range(8):  # one revisit every fourth quiet run, never a burst
        allowed, credit = budget(1, 0.2, credit)
        spent.append(allowed)
        credit = carry(credit, allowed)
    assert spent == [0, 0, 0, 1, 0, 0, 0, 1]
    assert carry(50.0, 0) == 1.0
    assert budget(5, 1.0)[0] > 10**6 and budget(5, 0)[0] == 0


def test_gone_and_redirect_signals() -> None:
    assert removals.gone_status(404) == "http-404" and removals.gone_status(410) == "http-410"
    assert removals.gone_status(500) is None
    hosts = frozenset({"127.0.0.1:8000"})
    src = ["http://127.0.0.1:8000/col/xwdt/index.html"]
    art = "http://127.0.0.1:8000/col/xwdt/202311/t20231128_5.html"
    assert removals.redirect_removal(art, "http://127.0.0.1:8000/", True, src, hosts) == "redirect-home"
    assert removals.redirect_removal(art, src[0], True, src, hosts) == "redirect-list"
    moved = "http://127.0.0.1:8000/col/xwdt/202311/t20231128_9.html"
    assert removals.redirect_removal(art, moved, True, src, hosts) is None  # moved, not removed


def test_soft_404_by_structure() -> None:
    chrome = "首页 政务动态 当前位置：首页 > 政务动态 主办单位：某市人民政府办公厅 网站标识码2201000001"
    # chrome and no body, without any notice phrase
    assert removals.soft_404(BODY, chrome, None, False).startswith("soft-404: the page has the site's chrome")
    # a short page with a notice, which the extractor took for a body
    assert "removal notice" in removals.soft_404(BODY, "该信息已删除", "该信息已删除", True)
    # a short text that is no notice, much shorter than the stored body
    assert removals.soft_404(BODY, chrome + " 暂无内容", "暂无内容", True) is not None
    # the stored body is still on the page: a layout change, never a removal
    assert removals.soft_404(BODY, chrome + BODY, None, False) is None
    # a long new body is an edit, not a removal
    assert removals.soft_404(BODY, "另一篇" * 100, "另一篇文章的正文。" * 40, True) is None


def test_dropped_from_list_needs_both_neighbours() -> None:
    before = list("abcdefghij")
    assert removals.dropped_from_list(before, list("abcdfghij")) == ["e"]
    assert removals.dropped_from_list(before, list("xyabcdefgh")) == []  # pushed off the end by new ones
    assert removals.dropped_from_list(before, list("bcdefghij")) == []  # the first: no neighbour before it
    assert removals.dropped_from_list(before, list("klmnopqrst")) == []  # a new layout or reshuffle
    assert removals.dropped_from_list(before, list("adgj")) == []  # most entries gone at once: no verdict


def test_char_diff_marks_characters() -> None:
    diff = char_diff("会议要求各地压实责任。\n第二段不变。", "会议要求各地各部门压实责任。\n第二段不变。")
    assert diff == "会议要求各地{+各部门+}压实责任。"
    assert char_diff("甲\n乙", "甲") == "[-乙-]"
    assert (
        changed_fields(
            {"title": "通知", "source": "本网"}, {"title": "通知 ", "source": None}, ["title", "source"]
        )
        == []
    )
    assert (
        changed_fields(
            {"published_at": "2023-11-28T09:30:00+08:00"},
            {"published_at": "2023-11-28T01:30:00+00:00"},
            ["published_at"],
        )
        == []
    )  # one instant
    assert changed_fields(
        {"published_at": "2023-11-28T09:30:00+08:00"},
        {"published_at": "2023-11-28T10:30:00+08:00"},
        ["published_at"],
    ) == ["published_at"]


def test_watch_on_events_config() -> None:
    from crawler.watchconfig import parse_watches

    (w,) = parse_watches({"watch": [{"name": "w", "all": ["振兴"], "on": ["new", "removed"]}]})
    assert w.on == ("new", "removed") and w.definition()["on"] == ["new", "removed"]
    (d,) = parse_watches({"watch": [{"name": "w", "all": ["振兴"]}]})
    assert d.on == ("new",) and "on" not in d.definition()
    for bad in (["deleted"], [], "removed"):
        with pytest.raises(ConfigError, match="watch 'w', key 'on'"):
            parse_watches({"watch": [{"name": "w", "all": ["振兴"], "on": bad}]})


def test_watch_add_on_events(tmp_path) -> None:  # noqa: ANN001
    from click.testing import CliRunner

    from crawler.cli import main

    db = str(tmp_path / "w.db")
    res = CliRunner().invoke(
        main, ["watch", "add", "删稿", "--all", "振兴", "--on", "new", "--on", "removed", "--db", db]
    )
    assert res.exit_code == 0 and "on: new, removed" in res.output, res.output
    res = CliRunner().invoke(main, ["watch", "add", "x", "--all", "振兴", "--on", "moved", "--db", db])
    assert res.exit_code == 2 and "moved" in res.output
