"""Edits and removals of published demo articles, on command: what a revisit must find (or must not).

Edits change what an extractor reads (body, title, 来源); a chrome change touches only the page around the
article (a visit counter, a footer update date) and must not count as an edit. Removals take an article
down the ways government sites do: 404, 410, a redirect to the home or the column page, a soft-404 (the
site's chrome around an empty content block, or a bare notice page), or dropping it from its column list
while the page stays up.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from demo.text import Content

if TYPE_CHECKING:
    from demo.world import Item, World

EDITS = ("body", "title", "source", "chrome")
REMOVALS = ("404", "410", "home", "list", "soft404", "notice", "unlist")
ACTIONS = EDITS + REMOVALS
# The demo's second pass: three changes per site, together every kind of edit and removal.
DEMO_PLAN = {
    "changchun-gov": ("body", "unlist", "404"),
    "jilin-gov": ("title", "410", "soft404"),
    "jiutai-gov": ("chrome", "home", "body"),
    "cc-edu": ("source", "list", "notice"),
    "gov-cn": ("body", "chrome", "soft404"),
    "jilinshi-gov": ("title", "404", "chrome"),
    "changchun-news": ("source", "notice", "unlist"),
}


def kind_of(action: str) -> str:
    """'edit', 'chrome' (must not count) or 'removal'."""
    return "chrome" if action == "chrome" else ("edit" if action in EDITS else "removal")


def apply_edit(c: Content, action: str | None) -> Content:
    """The content as shown after an edit (chrome and removals leave it alone)."""
    if action == "body" and c.paragraphs:  # (head-only content has no paragraphs)
        paragraphs = list(c.paragraphs)
        i = min(1, len(paragraphs) - 1)
        paragraphs[i] = paragraphs[i].rstrip("。") + "，并要求各有关单位于本月底前报送落实情况。"
        return replace(c, paragraphs=paragraphs)
    if action == "title":
        return replace(c, title=c.title + "（修订）")
    if action == "source":
        return replace(c, source=(c.source or "本网") + "综合")
    return c


def chrome_box(it: Item) -> str:
    """Page chrome an edit of kind 'chrome' adds below the article: a visit counter and an update date."""
    if it.edit != "chrome":
        return ""
    return f'<div class="visit">浏览次数：{it.views}　最后更新：2023-12-0{1 + it.views % 8}</div>\n'


def _candidates(w: World, site: str, action: str) -> list[Item]:
    st = w.sites[site]
    fresh = [
        it for it in st.items if it.fault is None and not it.hidden and it.edit is None and it.removed is None
    ]
    if action != "unlist":
        return fresh
    # an entry in the middle of the first list page, whose neighbours there are untouched
    page = w.listed(site, 0)[: st.spec.per_page]
    return [
        it
        for i, it in enumerate(page[2:-2], start=2)
        if it in fresh and all(x.fault is None and x.removed is None for x in page[i - 1 : i + 2 : 2])
    ]


def change(
    w: World, site: str, action: str, n: int = 1, bases: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Edit or remove n articles of a site (chosen deterministically); their records."""
    if action not in ACTIONS:
        raise ValueError(f"unknown change {action!r} (one of {', '.join(ACTIONS)})")
    with w.lock:
        cands = _candidates(w, site, action)
        rng = random.Random(f"{w.seed}:change:{site}:{action}:{len(w.changes)}")
        picked = rng.sample(cands, min(n, len(cands)))
        out = []
        for it in picked:
            if action in EDITS:
                it.edit = action
                it.views += 1000 + rng.randint(1, 900)
            else:
                it.removed = action
            w.now += 60
            w.sites[site].mtime = w.now
            record = {"url": w.base(bases, site) + w.item_path(it), "site": site, "action": action,
                      "kind": kind_of(action)}  # fmt: skip
            w.changes.append(record)
            out.append(record)
        return out


def demo_changes(w: World, bases: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The demo's planned changes on every planned site the world has."""
    out: list[dict[str, Any]] = []
    for site, actions in DEMO_PLAN.items():
        if site in w.sites:
            for action in actions:
                out += change(w, site, action, 1, bases)
    return out


def removed_page(w: World, it: Item, base: str) -> tuple[int, str, list[tuple[str, str]]] | None:
    """(status, html, headers) standing in for a removed article, or None when it is not removed."""
    from demo import pages  # pages imports this module

    sp = w.spec(it.site)
    how = it.removed
    if how in (None, "unlist"):
        return None
    if how in ("404", "410"):
        return int(how), pages.not_found_page(sp), []
    if how == "home":
        return 302, "", [("Location", base + "/")]
    if how == "list":
        return 302, "", [("Location", base + w.column_path(it.site, it.col))]
    if how == "notice":
        return (
            200,
            '<html><head><meta charset="utf-8"><title>提示信息</title></head><body><p>该信息已删除</p></body></html>',
            [],
        )
    crumb = pages._crumb(sp, it.col, w.column_path(it.site, it.col))
    empty = '<div class="article"><h1 class="title"></h1><div class="info"></div><div class="TRS_Editor"></div></div>\n'
    html = "".join([pages._head(sp, sp.title), pages._header(sp), '<div class="main container">\n', crumb,
                    empty, "</div>\n", pages._footer(sp)])  # fmt: skip
    return 200, html, []
