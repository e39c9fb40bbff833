"""The site spider's per-site template memory: loaded from the database once, grown with each new
article, written back every few pages and when the spider closes (crawler/extract/template.py)."""

from __future__ import annotations

import logging
from typing import Any

from crawler.extract import Article
from crawler.extract.template import TemplateMemory
from storage.db import StorageError
from storage.templates import add_template_pages, load_template_counts

logger = logging.getLogger(__name__)

FLUSH_PAGES = 20


class TemplateMixin:
    """Gives SiteSpider site_template() for extract_article and remember_template() after it."""

    _templates: TemplateMemory | None = None

    def _template_store(self) -> Any:
        state = getattr(self, "state", None)
        return state.store if state is not None else None

    def site_template(self) -> frozenset[str] | None:
        """The site's template keys (None when NEWSMON_TEMPLATE_ENABLED is off)."""
        crawler = getattr(self, "crawler", None)
        if crawler is not None and not crawler.settings.getbool("NEWSMON_TEMPLATE_ENABLED", True):
            return None
        if self._templates is None:
            counts: dict[str, int] = {}
            store = self._template_store()
            if store is not None:
                try:
                    counts = load_template_counts(store.db, self.site_name, store.path)  # type: ignore[attr-defined]
                except StorageError as exc:  # only an aid to extraction: go on without it
                    logger.error("%s", exc)
            self._templates = TemplateMemory(counts)
        return self._templates.template()

    def remember_template(self, url: str, art: Article) -> None:
        """Count a new article page's line keys; persist them every FLUSH_PAGES pages."""
        if self._templates is None or not art.template_keys:
            return
        self._templates.add(url, art.template_keys)
        if len(self._templates.pending) >= FLUSH_PAGES:
            self.flush_template()

    def flush_template(self) -> None:
        """Write the pages counted since the last flush."""
        store = self._template_store()
        if self._templates is None or store is None or not self._templates.pending:
            return
        try:
            add_template_pages(store.db, self.site_name, self._templates.take_pending(), store.path)  # type: ignore[attr-defined]
        except StorageError as exc:
            logger.error("%s", exc)

    def closed(self, reason: str) -> None:
        """Scrapy calls this when the spider closes: keep what this run learned."""
        self.flush_template()
