"""Cleaned body HTML: safe tags only, absolute links, no scripts, styles or event attributes."""

from __future__ import annotations

from html import escape

import nh3
from lxml import etree

from . import selectors as S
from .media import absolute, image_src
from .tree import HtmlElement, Stats


def _open(tag: str, el: HtmlElement, base: str) -> str | None:
    attrs = []
    for name in S.SAFE_ATTRS.get(tag, ()):
        value = el.get(name)
        if tag == "img" and name == "src":
            value = absolute(image_src(el), base)
            if not value:
                return None
        elif name == "href":
            value = absolute(value, base)
        if value:
            attrs.append(f' {name}="{escape(value.strip(), quote=True)}"')
    return "<{}{}>".format(tag, "".join(attrs))


def body_html(node: HtmlElement, st: Stats, base: str, skip: set[HtmlElement]) -> str:
    """Serialise node's content with the safe tag set (div-like blocks become <p>)."""
    out: list[str] = []
    closers: dict[HtmlElement, str] = {}
    walker = etree.iterwalk(node, events=("start", "end"))
    for event, el in walker:
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if event == "start":
            if el is not node and (el in skip or el in st.hidden or el in st.nav_blocks):
                walker.skip_subtree()
                closers[el] = ""
                continue
            mapped = tag
            if tag in S.AS_PARAGRAPH_TAGS:
                # A div-like wrapper of other blocks disappears; one holding only inline content is a <p>.
                has_blocks = any(isinstance(c.tag, str) and c.tag.lower() in S.BLOCK_TAGS for c in el)
                mapped = "" if has_blocks else "p"
            if el is node and tag != "p":
                mapped = ""
            if mapped in S.SAFE_TAGS:
                opening = _open(mapped, el, base)
                if opening is None:
                    closers[el] = ""
                else:
                    out.append(opening)
                    closers[el] = "" if mapped in ("br", "img") else f"</{mapped}>"
            else:
                closers[el] = ""
            if el.text:
                out.append(escape(el.text, quote=False))
        else:
            out.append(closers.pop(el, ""))
            if el is not node and el.tail:
                out.append(escape(el.tail, quote=False))
    html = "".join(out)
    # Nested <p> from div→p mapping is valid enough for storage; collapse the empty ones.
    for empty in ("<p></p>", "<p> </p>"):
        html = html.replace(empty, "")
    return sanitize(html.strip())


_NH3_ATTRS = {tag: set(names) for tag, names in S.SAFE_ATTRS.items()}


def sanitize(html: str) -> str:
    """The last word on stored HTML: Ammonia (nh3) keeps only the safe tags, attributes and http(s) URLs.

    The serialiser above already writes only these; the sanitizer makes that hold whatever it missed.
    """
    if not html:
        return html
    return nh3.clean(
        html,
        tags=set(S.SAFE_TAGS),
        attributes=_NH3_ATTRS,
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
    )
