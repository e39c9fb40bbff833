"""Per-site template memory: text blocks that repeat across the pages of one site are its chrome.

A one-page extractor must guess which block is navigation, footer, sidebar, related list or disclaimer; a
monitor has already fetched other pages of the same site. Every line of a page (its normalised text) gets
a short key; keys seen on at least MIN_PAGES other pages of the site form the site's template, which the
caller keeps (storage/templates.py, or in-run) and passes back into extract_article. Blocks made only of
template lines count as chrome before the body is chosen, so the block that differs from the site's
other pages wins. extract_article stays pure: the template comes in as an argument, the page's keys go
out on the result.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Collection, Iterable

from .tree import HtmlElement, Line, Stats, demote

MIN_LINE_CHARS = 6  # shorter lines ("首页", "›") say nothing about a template
MIN_PAGES = 2  # a key on this many other pages of the site is template
KEY_HEX = 16
MAX_KEYS_PER_PAGE = 400


def line_key(text: str) -> str:
    """Key of one line: sha1 of its NFKC text without whitespace, shortened."""
    flat = "".join(unicodedata.normalize("NFKC", text).split())
    return hashlib.sha1(flat.encode("utf-8")).hexdigest()[:KEY_HEX]  # noqa: S324 - a key, not a secret


def page_keys(lines: Iterable[Line]) -> list[str]:
    """Distinct keys of a page's lines long enough to matter, in page order (capped)."""
    out: dict[str, None] = {}
    for ln in lines:
        if len("".join(ln.text.split())) >= MIN_LINE_CHARS:
            out.setdefault(line_key(ln.text), None)
            if len(out) >= MAX_KEYS_PER_PAGE:
                break
    return list(out)


def apply_template(st: Stats, lines: list[Line], template: Collection[str]) -> set[HtmlElement]:
    """Demote every block whose own lines are all template lines and that holds no other prose; returns
    the demoted blocks.

    The template steers which block is the body; it does not edit the chosen block's text (the caller
    takes the demoted blocks out of the chrome again before rendering it), so a page fetched again after
    the memory grew yields the same text and no spurious new version.
    """
    if not template:
        return set()
    seen: dict[HtmlElement, bool] = {}  # block -> all its own lines are template
    for ln in lines:
        seen[ln.block] = seen.get(ln.block, True) and line_key(ln.text) in template
    mixed = {b for b, all_template in seen.items() if not all_template}
    demoted: set[HtmlElement] = set()
    for block, all_template in seen.items():
        if not all_template or block in st.chrome or block.tag.lower() in ("body", "html"):
            continue
        if any(c in mixed for c in block.iterdescendants()):
            continue  # blocks inside it still hold text of their own
        demote(st, block)
        demoted.add(block)
    return demoted


class TemplateMemory:
    """Line-key counts of one site's pages (loaded from storage, grown in-run); owned by its caller.

    Each page address counts once (a revisited page must not make its own text template). The template
    set grows as counts reach MIN_PAGES, so asking for it costs nothing per page.
    """

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        self.counts: dict[str, int] = dict(counts or {})
        self._template = {k for k, n in self.counts.items() if n >= MIN_PAGES}
        self.urls: set[str] = set()
        self.pending: list[tuple[str, list[str]]] = []  # pages added since the last take_pending()

    def template(self) -> frozenset[str]:
        """Keys seen on at least MIN_PAGES pages so far (a snapshot)."""
        return frozenset(self._template)

    def add(self, url: str, keys: Iterable[str]) -> bool:
        """Count one page's keys, once per page address; False when the page was counted already."""
        if url in self.urls:
            return False
        self.urls.add(url)
        distinct = list(dict.fromkeys(keys))
        for k in distinct:
            n = self.counts.get(k, 0) + 1
            self.counts[k] = n
            if n >= MIN_PAGES:
                self._template.add(k)
        self.pending.append((url, distinct))
        return True

    def take_pending(self) -> list[tuple[str, list[str]]]:
        """The pages added since the last call (to persist), and forget them."""
        out, self.pending = self.pending, []
        return out
