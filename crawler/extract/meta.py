"""Metadata from <meta> tags (gov CMS standard, OpenGraph, Dublin Core) and JSON-LD."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import selectors as S
from .tree import HtmlElement, squash

logger = logging.getLogger(__name__)

_TAG_RE = re.compile(r"<[^>]*>")
MAX_JSONLD_CHARS = 500_000


@dataclass
class PageMeta:
    """Raw metadata found in the document head."""

    tags: dict[str, str] = field(default_factory=dict)  # lower-cased key -> first non-empty value
    jsonld: dict[str, Any] = field(default_factory=dict)  # the article-like JSON-LD object, flattened
    title_tag: str | None = None
    lang: str | None = None


def _clean_value(value: str) -> str:
    return squash(_TAG_RE.sub("", value))


def read_meta(root: HtmlElement) -> PageMeta:
    """Collect meta tags, <title> and JSON-LD before the tree is cleaned."""
    pm = PageMeta(lang=root.get("lang"))
    for el in root.iter("meta"):
        key = el.get("name") or el.get("property") or el.get("itemprop") or el.get("http-equiv")
        value = el.get("content")
        if not key or value is None:
            continue
        value = _clean_value(value)
        if value:
            pm.tags.setdefault(key.strip().lower(), value)
    for el in root.iter("title"):
        text = squash(el.text_content())
        if text:
            pm.title_tag = text
            break
    for el in root.iter("script"):
        if (el.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (el.text or "").strip()
        if not raw or len(raw) > MAX_JSONLD_CHARS:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            logger.debug("invalid JSON-LD skipped")
            continue
        obj = _article_object(data)
        if obj:
            pm.jsonld = obj
            break
    return pm


def _walk(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk(data["@graph"], depth + 1)


def _article_object(data: Any) -> dict[str, Any] | None:
    for obj in _walk(data):
        types = obj.get("@type")
        names = [types] if isinstance(types, str) else (types if isinstance(types, list) else [])
        if any(isinstance(t, str) and t.lower() in S.JSONLD_ARTICLE_TYPES for t in names):
            return obj
    return None


def first_tag(pm: PageMeta, keys: Iterable[str]) -> tuple[str, str] | None:
    """(key, value) of the first meta key present."""
    for k in keys:
        v = pm.tags.get(k)
        if v:
            return k, v
    return None


def jsonld_text(value: Any) -> str | None:
    """A person/organisation/string JSON-LD value as plain text."""
    if isinstance(value, str):
        return squash(value) or None
    if isinstance(value, dict):
        return jsonld_text(value.get("name"))
    if isinstance(value, list):
        parts = [p for p in (jsonld_text(v) for v in value) if p]
        return " ".join(parts) or None
    return None


def meta_provenance(key: str) -> str:
    """Provenance label for a meta key ('opengraph' for og:/article:, else 'meta:<key>')."""
    if key.startswith(("og:", "article:", "twitter:")):
        return "opengraph"
    return "meta:" + key
