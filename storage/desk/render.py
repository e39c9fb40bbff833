"""Presentation helpers of the news desk: sanitized body HTML, what a copy changed against the first,
search snippets with the matched words marked, and the articles-per-day chart."""

from __future__ import annotations

import difflib
import re
from typing import Any

import nh3
from markupsafe import Markup, escape

from storage.search import fold_query_word

# What a stored body may keep on the desk: text structure, tables, links. Images become links (a page of
# remote images would fetch from government servers on every view and can carry tracking), scripts,
# styles, event handlers and every non-http(s) URL are dropped by nh3 (Ammonia), never by our own code.
BODY_TAGS = {
    "p", "br", "div", "span", "strong", "b", "em", "i", "u", "sub", "sup", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "td", "th", "caption", "blockquote", "pre", "a", "hr",
}  # fmt: skip
BODY_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(['\"])(.*?)\1[^>]*>", re.I | re.S)
_SENTENCE = re.compile(r"(?<=[。！？；!?;\n])")


def _img_as_link(m: re.Match[str]) -> str:
    src = m.group(2)
    return f'<a href="{src}" class="desk-img">[图片 image]</a>'


def clean_body(html: str | None) -> Markup:
    """Stored body HTML as safe markup for the page: nh3 with a small allow-list, images as links."""
    if not html:
        return Markup("")
    text = _IMG.sub(_img_as_link, html)
    return Markup(
        nh3.clean(
            text,
            tags=BODY_TAGS,
            attributes=BODY_ATTRIBUTES,
            url_schemes={"http", "https"},
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
    )


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text or "") if s.strip()]


def changes_against(first: dict[str, Any], copy: dict[str, Any], show: int = 3) -> dict[str, Any]:
    """What a copy changed against the first publication: title, 来源, sentences added and removed."""
    out: dict[str, Any] = {"title": None, "source": None, "added": [], "removed": [], "same_body": False}
    if (copy.get("title") or "") != (first.get("title") or ""):
        out["title"] = copy.get("title")
    if (copy.get("source") or "") != (first.get("source") or ""):
        out["source"] = copy.get("source") or "—"
    a, b = _sentences(first.get("body_text") or ""), _sentences(copy.get("body_text") or "")
    if a == b:
        out["same_body"] = True
        return out
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out["removed"].extend(a[i1:i2])
        if op in ("insert", "replace"):
            out["added"].extend(b[j1:j2])
    out["n_added"], out["n_removed"] = len(out["added"]), len(out["removed"])
    out["added"], out["removed"] = out["added"][:show], out["removed"][:show]
    return out


def snippet(text: str | None, query: str, width: int = 90) -> Markup:
    """A window of `text` around the first matched word, every query word marked.

    Done here because the full-text table is contentless (the text lives once, in articles), and FTS5's
    snippet() and highlight() need the indexed text; the words are matched as search folds them.
    """
    text = " ".join((text or "").split())
    words = sorted({w for w in (fold_query_word(x) for x in query.split()) if w}, key=len, reverse=True)
    if not text or not words:
        return Markup(escape(text[:width]))
    pattern = re.compile("|".join(re.escape(w) for w in words), re.I)
    m = pattern.search(text)
    start = max(0, (m.start() if m else 0) - width // 3)
    window = text[start : start + width]
    parts: list[str] = ["…" if start else ""]
    pos = 0
    for hit in pattern.finditer(window):
        parts.append(str(escape(window[pos : hit.start()])))
        parts.append(f"<mark>{escape(hit.group(0))}</mark>")
        pos = hit.end()
    parts.append(str(escape(window[pos:])))
    if start + width < len(text):
        parts.append("…")
    return Markup("".join(parts))


def bar_chart(per_day: list[tuple[str, int]], width: int = 640, height: int = 120) -> Markup:
    """Articles per day as an inline SVG bar chart.

    Hand-written (about 20 lines) because the chart plugins (datasette-vega, datasette-dashboards) render
    from client-side JavaScript and canned-query configuration; a static SVG needs neither and shows in
    the first paint.
    """
    if not per_day:
        return Markup("<p>—</p>")
    top = max(n for _, n in per_day) or 1
    bar = width / len(per_day)
    rects = []
    for i, (day, n) in enumerate(per_day):
        h = max(1.0, (height - 20) * n / top)
        x, y = i * bar, height - 14 - h
        rects.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}" fill="#276890">'
            f"<title>{escape(day)}: {n}</title></rect>"
        )
    first, last = escape(per_day[0][0]), escape(per_day[-1][0])
    return Markup(
        f'<svg class="desk-chart" role="img" aria-label="articles per day" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">{"".join(rects)}'
        f'<text x="0" y="{height - 2}" font-size="11">{first}</text>'
        f'<text x="{width}" y="{height - 2}" font-size="11" text-anchor="end">{last}</text>'
        f'<text x="{width}" y="11" font-size="11" text-anchor="end">max {top}</text></svg>'
    )


def hours(value: float | None) -> str:
    """'+3.5 h' after the first publication ('首发' for the first itself)."""
    if value is None:
        return "?"
    return f"+{value:g} h" if value > 0 else ("首发 first" if value == 0 else f"{value:g} h")
