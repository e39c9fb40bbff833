"""Images and attachment links of the article, with absolute URLs."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from . import selectors as S
from .tree import HtmlElement, squash


def absolute(url: str | None, base: str) -> str | None:
    """Absolute http(s) URL, or None for javascript:, data: and empty links."""
    if not url:
        return None
    url = url.strip()
    if not url or url.startswith(("javascript:", "data:", "mailto:", "#", "about:", "tel:")):
        return None
    try:
        return urljoin(base, url) if base else url
    except ValueError:
        return None


def image_src(img: HtmlElement) -> str | None:
    """Lazy-load aware image source attribute."""
    for attr in S.IMAGE_SRC_ATTRS:
        v = img.get(attr)
        if v and v.strip() and not v.strip().startswith("data:"):
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
