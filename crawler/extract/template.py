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


def apply_template(st: Stats, lines: list[Line], template: Collection[str]) -> int:
    """Demote every block whose own lines are all template lines and that holds no other prose.

    Returns how many blocks were demoted. A block that mixes template lines with new text (an article
    cell that also holds the footer) keeps its prose; only its template lines are dropped from the body
    (see template_lines).
    """
    if not template:
        return 0
    seen: dict[HtmlElement, bool] = {}  # block -> all its own lines are template
    for ln in lines:
        seen[ln.block] = seen.get(ln.block, True) and line_key(ln.text) in template
    mixed = {b for b, all_template in seen.items() if not all_template}
    n = 0
    for block, all_template in seen.items():
        if not all_template or block in st.chrome or block.tag.lower() in ("body", "html"):
            continue
        if any(c in mixed for c in block.iterdescendants()):
            continue  # blocks inside it still hold text of their own
        demote(st, block)
        n += 1
    return n


def template_lines(lines: list[Line], template: Collection[str]) -> list[Line]:
    """Lines not in the site's template (the body's own text)."""
    if not template:
        return lines
    return [ln for ln in lines if line_key(ln.text) not in template]


class TemplateMemory:
    """Line-key counts of one site's pages (loaded from storage, grown in-run); owned by its caller."""

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        self.counts: dict[str, int] = dict(counts or {})

    def template(self) -> frozenset[str]:
        """Keys seen on at least MIN_PAGES pages so far."""
        return frozenset(k for k, n in self.counts.items() if n >= MIN_PAGES)

    def add(self, keys: Iterable[str]) -> None:
        """Count one more page's keys (each page once)."""
        for k in set(keys):
            self.counts[k] = self.counts.get(k, 0) + 1
