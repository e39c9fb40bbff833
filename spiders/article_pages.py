"""Spider part for article pages: one page → an article item (or a recorded reason why it is none)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response

from crawler import discovery
from crawler.canonical import canonicalize_url
from crawler.extract import extract_article
from crawler.failures import asked_url
from crawler.items import ARTICLE_KEYS, article_item
from crawler.ledger import RunLedger
from crawler.responses import charset, header
from crawler.sites import Site
from spiders.api_list import apply_seed
from spiders.attachments import has_documents, page_documents
from storage.db import StorageError
from storage.store_time import iso_utc

logger = logging.getLogger(__name__)


# extracted fields an item takes under the same name (column and keywords are renamed or joined)
_SAME_NAME = (
    "title", "published_at", "source", "author", "site_name", "description", "doc_number", "index_number",
    "issuer", "written_at", "subject", "validity", "body_text", "body_html", "encoding",
)  # fmt: skip


def _joined(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or None
    return value


class ArticlePagesMixin:
    """Extracts article pages into items, with their redirects remembered and their files fetched."""

    crawler: Any
    state: RunLedger  # crawler/ledger.py: RunState locally, RunView in a cluster worker
    site: Site | None
    if TYPE_CHECKING:  # the spider's read-only properties (spiders/site.py)

        @property
        def hosts(self) -> frozenset[str]: ...

        @property
        def host_aliases(self) -> dict[str, str]: ...

    # provided by the spider's other parts (templates, attachments, revisits)
    site_template: Any
    remember_template: Any
    with_attachments: Any
    first_revisit: Any

    def parse_article(self, response: Response) -> Iterable[Any]:
        """Extract one article page into an item (or record why it is not one)."""
        assert self.site is not None
        self.crawler.stats.inc_value("newsmon/article_pages")
        asked = asked_url(response.request) if response.request is not None else response.url
        redirects = response.meta.get("redirect_urls") or []
        if redirects and not discovery.same_site(response.url, self.hosts):
            self.state.fail(redirects[0], "offsite-redirect", f"redirected off the site to {response.url}")
            return
        if redirects and discovery.netloc(redirects[0]) != discovery.netloc(response.url):
            self.crawler.stats.inc_value("newsmon/redirects_other_host")
            logger.info("redirected to another host of the site: %s -> %s", redirects[0], response.url)
        if not isinstance(response, scrapy.http.TextResponse) and response.body.lstrip()[:1] != b"<":
            self.state.fail(asked, "parse", f"not an HTML page ({header(response, 'Content-Type')})")
            return
        try:
            art = extract_article(
                response.body,
                response.url,
                declared_encoding=charset(response),
                overrides=self.site.extract,
                template=self.site_template(),
            )
        except Exception as exc:  # extraction must never kill the crawl; record and go on
            logger.exception("extraction failed for %s", response.url)
            self.state.fail(asked, "parse", f"{type(exc).__name__}: {exc}")
            return
        for warning in art.warnings:
            self.crawler.stats.inc_value("newsmon/extract_warnings")
            logger.warning("%s: %s", response.url, warning)
        if not art.is_article and art.reason == "no-body" and art.title and not art.attachments:
            art.attachments = page_documents(response.body, response.url)  # the text may be in a file
        if not art.is_article and not (
            art.reason == "no-body" and art.title and has_documents(art.attachments)
        ):
            self.state.fail(asked, "parse", f"no article: {art.reason}")
            return
        self.crawler.stats.inc_value("newsmon/articles_extracted")
        self.remember_template(canonicalize_url(response.url, self.host_aliases), art)
        if redirects and self.state.store is not None:
            final = canonicalize_url(response.url, self.host_aliases)
            for url in redirects:
                if canonicalize_url(url, self.host_aliases) != final:
                    try:
                        self.state.store.save_redirect(canonicalize_url(url, self.host_aliases), final)
                    except StorageError as exc:  # only an optimisation: the article itself still goes on
                        logger.error("%s", exc)
                        self.crawler.stats.set_value("newsmon/storage_error", str(exc))
        yield from self.with_attachments(self._article_item(art.to_dict(), response))

    def _article_item(self, data: dict[str, Any], response: Response) -> dict[str, Any]:
        """The item of an extracted article page (seeded with what an API list said about it)."""
        assert self.site is not None
        fields = dict(
            url=response.url,
            original_url=response.url,
            site=self.site.name,
            **{key: data.get(key) for key in _SAME_NAME},
            column_name=data.get("column"),
            keywords=_joined(data.get("keywords")),
            images=data.get("images") or [],
            attachments=data.get("attachments") or [],
            provenance=data.get("provenance") or {},
            http_etag=header(response, "ETag"),
            http_last_modified=header(response, "Last-Modified"),
            fetched_at=iso_utc(),
            next_revisit_at=self.first_revisit(),
        )
        seed = {k: v for k, v in (response.meta.get("seed") or {}).items() if k in ARTICLE_KEYS}
        apply_seed(fields, seed, fields["provenance"])
        return article_item(**fields)
