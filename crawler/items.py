"""The article item that flows from spiders through pipelines into storage."""

from __future__ import annotations

from typing import Any

ARTICLE_KEYS = (
    "url",  # canonical URL (identity key)
    "original_url",  # URL as fetched (after redirects)
    "site",
    "title",
    "published_at",  # ISO 8601 with offset, Asia/Shanghai when the page gives none
    "source",
    "author",
    "column_name",
    "site_name",
    "keywords",
    "description",
    "body_text",
    "body_html",
    "images",
    "attachments",
    "provenance",
    "encoding",
    "http_etag",
    "http_last_modified",
    "fetched_at",
    "content_hash",
    "signature",
)


def article_item(**fields: Any) -> dict[str, Any]:
    """A plain dict article item with every key present (missing ones None)."""
    unknown = set(fields) - set(ARTICLE_KEYS)
    if unknown:
        raise KeyError(f"unknown article fields: {sorted(unknown)}")
    return {k: fields.get(k) for k in ARTICLE_KEYS}
