"""The extraction result type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ExtractionError(ValueError):
    """Raised for input the extractor cannot work on at all (e.g. a non-text argument)."""


@dataclass
class Article:
    """Fields extracted from one article page, with where each came from."""

    url: str
    title: str | None = None
    published_at: datetime | None = None
    source: str | None = None
    author: str | None = None
    column: str | None = None
    site_name: str | None = None
    keywords: list[str] = field(default_factory=list)
    description: str | None = None
    body_text: str = ""
    body_html: str = ""
    images: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
    # The 政府信息公开 record of an official document (govdoc.py); written_at is an ISO date.
    doc_number: str | None = None
    index_number: str | None = None
    issuer: str | None = None
    written_at: str | None = None
    subject: str | None = None
    validity: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    is_article: bool = False
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    # keys of the page's lines for the caller's per-site template memory (template.py); not a stored field
    template_keys: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict; published_at as ISO 8601 with offset."""
        return {
            "url": self.url,
            "title": self.title,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "source": self.source,
            "author": self.author,
            "column": self.column,
            "site_name": self.site_name,
            "keywords": list(self.keywords),
            "description": self.description,
            "body_text": self.body_text,
            "body_html": self.body_html,
            "images": [dict(i) for i in self.images],
            "attachments": [dict(a) for a in self.attachments],
            "doc_number": self.doc_number,
            "index_number": self.index_number,
            "issuer": self.issuer,
            "written_at": self.written_at,
            "subject": self.subject,
            "validity": self.validity,
            "provenance": dict(self.provenance),
            "encoding": self.encoding,
            "is_article": self.is_article,
            "reason": self.reason,
            "warnings": list(self.warnings),
        }
