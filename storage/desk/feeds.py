"""Atom feeds of the news desk: one entry per story, newest first, listing its copies (feedgen builds
the XML, so escaping, dates and the required elements are a library's job)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator
from markupsafe import escape

FEED_FILTERS = ("site", "column", "region", "level", "watch", "q")


def _time(value: str | None) -> datetime:
    """An ISO time as an aware datetime (naive ones are UTC); the epoch for a missing or broken one."""
    try:
        dt = datetime.fromisoformat(value or "")
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def feed_title(filters: dict[str, str]) -> str:
    """'newsmon · site changchun-gov · q 振兴' from the filters that are set."""
    parts = [f"{k} {v}" for k, v in filters.items() if v]
    return "newsmon · 政务新闻 " + (" · ".join(parts) if parts else "all stories")


def _entry_html(story: dict[str, Any], base: str) -> str:
    items = []
    for c in story["copy_rows"]:
        when = escape(c["published_at"] or "?")
        source = f" · 来源 {escape(c['source'])}" if c.get("source") else ""
        items.append(
            f'<li><a href="{escape(c["url"])}">{escape(c["site_title"])}</a> {when}{source}: {escape(c["title"] or "")}</li>'
        )
    summary = f"<p>{escape(story['summary'])}</p>" if story.get("summary") else ""
    more = f'<p><a href="{escape(base)}/-/story/{story["id"]}">时间线 timeline</a></p>'
    return f"{summary}<p>{story['copies'] or 1} 篇 copies:</p><ul>{''.join(items)}</ul>{more}"


def build_atom(stories: list[dict[str, Any]], base: str, self_url: str, filters: dict[str, str]) -> bytes:
    """The Atom document (UTF-8 bytes) for stories already in newest-first order."""
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(feed_title(filters))
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=base + "/", rel="alternate", type="text/html")
    fg.author({"name": "newsmon"})
    fg.generator("newsmon")
    fg.language("zh-CN")
    newest = max((_time(s["updated"]) for s in stories), default=datetime.now(UTC))
    fg.updated(newest)
    # feedgen prepends entries by default; add oldest first so the document lists newest first
    for s in reversed(stories):
        fe = fg.add_entry()
        fe.id(f"{base}/-/story/{s['id']}")
        fe.title(s["title"] or f"story {s['id']}")
        first = s["copy_rows"][0] if s["copy_rows"] else {}
        fe.link(href=first.get("url") or f"{base}/-/story/{s['id']}", rel="alternate")
        fe.published(_time(s["first_published_at"]))
        fe.updated(max(_time(s["updated"]), _time(s["first_published_at"])))
        fe.author({"name": s.get("first_site_title") or s.get("first_site") or "newsmon"})
        for c in s["copy_rows"][1:]:
            fe.contributor({"name": c["site_title"]})
        fe.content(_entry_html(s, base), type="html")
    return fg.atom_str(pretty=True)
