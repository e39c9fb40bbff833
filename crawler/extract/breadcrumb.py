"""The column (栏目) an article sits in, read from the page's breadcrumb trail ("首页 > 新闻 > 本市要闻")."""

from __future__ import annotations

import re

from .tree import Stats, class_id, squash

BREADCRUMB_RE = re.compile(r"crumb|position|location|curpos|dqwz|weizhi|path|daohang|当前位置", re.I)
BREADCRUMB_SPLIT_RE = re.compile(r"\s*(?:>|&gt;|»|›|→|＞|/|\|)\s*")


def breadcrumb_column(st: Stats) -> str | None:
    """The column named by the page's breadcrumb trail (its last part, or the one before 正文/详情)."""
    for el in st.order:
        if el.tag.lower() not in ("div", "span", "p", "td", "ul", "ol", "nav") or not BREADCRUMB_RE.search(
            class_id(el)
        ):
            continue
        text = squash(el.text_content())
        if not text or len(text) > 120:
            continue
        parts = [p for p in BREADCRUMB_SPLIT_RE.split(text) if p and p.strip()]
        if len(parts) >= 2:
            last = re.sub(r"^.*[:：]", "", parts[-1]).strip()
            if last and last not in ("正文", "详情", "内容"):
                return last
            if len(parts) >= 3:
                return parts[-2].strip()
    return None
