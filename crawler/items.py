"""The article item that flows from spiders through pipelines into storage.

Its keys are the stored article columns (storage.store.ARTICLE_FIELDS): `url` is the canonical URL (the
identity key), `original_url` the URL as fetched, `published_at` ISO 8601 with offset (Asia/Shanghai when
the page gives none), `images`/`attachments`/`provenance` JSON-able lists and dicts.
"""

from __future__ import annotations

from typing import Any

from storage.store import ARTICLE_FIELDS

ARTICLE_KEYS = ARTICLE_FIELDS


def article_item(**fields: Any) -> dict[str, Any]:
    """A plain dict article item with every key present (missing ones None)."""
    unknown = set(fields) - set(ARTICLE_KEYS)
    if unknown:
        raise KeyError(f"unknown article fields: {sorted(unknown)}")
    return {k: fields.get(k) for k in ARTICLE_KEYS}
