"""Images and attachment links of the article, with absolute URLs."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

from . import selectors as S
from .tree import HtmlElement, squash

# WHATWG URL parsing strips leading/trailing C0 controls and spaces and removes tab/newline anywhere before
# it reads the scheme, case-insensitively; "java\tscript:" and " JavaScript:" are scripts to a browser.
_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
SAFE_SCHEMES = ("http", "https")


def _normalised(url: str) -> str:
    return _TAB_NEWLINE.sub("", url.strip(_C0_AND_SPACE))


def scheme_ok(url: str, schemes: tuple[str, ...] = SAFE_SCHEMES) -> bool:
    """False when the URL (as a browser reads it, entities decoded or not) names a scheme not allowed."""
    for form in {url, html.unescape(url)}:  # a value decoded once more must not turn into a script either
        m = _SCHEME.match(_normalised(form))
        if m and m.group(1).lower() not in schemes:
            return False
    return True


def absolute(url: str | None, base: str) -> str | None:
    """Absolute http(s) URL, or None for empty, fragment-only and every other scheme (javascript:, data:,
    vbscript:, mailto: …) however it is spelled (case, tabs, newlines, control characters, entities)."""
    if not url or not scheme_ok(url):
        return None
    url = _normalised(url)
    if not url or url.startswith("#"):
        return None
    try:
        joined = urljoin(base, url) if base else url
    except ValueError:
        return None
    return joined if urlsplit(joined).scheme.lower() in SAFE_SCHEMES else None


def image_src(img: HtmlElement) -> str | None:
    """Lazy-load aware image source attribute (the first one with an allowed scheme)."""
    for attr in S.IMAGE_SRC_ATTRS:
        v = img.get(attr)
        if v and _normalised(v) and scheme_ok(v):
            return v
    return None


def images(node: HtmlElement, base: str, skip: set[HtmlElement]) -> list[dict[str, str]]:
    """Content images inside node (icons and spacers left out), first occurrence only."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for img in node.iter("img"):
        if any(a in skip for a in img.iterancestors()):
            continue
        src = absolute(image_src(img), base)
        if not src or src in seen or S.ICON_IMAGE_RE.search(urlsplit(src).path):
            continue
        w = img.get("width", "")
        if w.isdigit() and int(w) < 24:
            continue
        seen.add(src)
        out.append({"url": src, "alt": squash(img.get("alt") or img.get("title") or "")})
    return out


def attachment_ext(href: str, text: str) -> str | None:
    """Attachment file extension from the link path, else from the link text."""
    path = urlsplit(href).path.lower()
    for source in (path, text.lower().strip()):
        dot = source.rfind(".")
        if dot >= 0:
            ext = source[dot + 1 :].strip(" )）]】")
            if ext in S.ATTACHMENT_EXTS:
                return ext
    return None


def attachments(region: HtmlElement, base: str) -> list[dict[str, str]]:
    """Links to documents (PDF, DOC, XLS, WPS, ZIP, OFD …) with their link text."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for a in region.iter("a"):
        href = absolute(a.get("href"), base)
        if not href or href in seen:
            continue
        text = squash(a.text_content())
        ext = attachment_ext(href, text)
        if not ext or (ext == "txt" and not urlsplit(href).path.lower().endswith(".txt")):
            continue
        seen.add(href)
        out.append({"url": href, "text": text, "ext": ext})
    return out
