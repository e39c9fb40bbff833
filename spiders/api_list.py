"""Spider part for JSON/JSONP list interfaces (kind "api", or "auto" answers that are JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response

from crawler import api_lists, discovery
from crawler.ledger import RunLedger
from crawler.sites import Source


def first_url(source: Source) -> str:
    """The URL a source's first request asks for (an API template's first page)."""
    if source.kind == "api" and source.api is not None:
        return api_lists.page_url(source.url, source.api, 0) or source.url
    return source.url


class ApiListMixin:
    """Reads list-interface answers into article requests seeded with the items' fields, and pages on."""

    crawler: Any
    state: RunLedger  # crawler/ledger.py: RunState locally, RunView in a cluster worker
    if TYPE_CHECKING:  # the spider's read-only properties (spiders/site.py)

        @property
        def hosts(self) -> frozenset[str]: ...

    def _api(self, response: Response, source: Source, page: int) -> Iterable[Any]:
        spec = response.meta.get("api_spec") or source.api or api_lists.ApiSpec()
        try:
            spec, found = api_lists.items(response.body, response.url, spec)
        except api_lists.ApiError as exc:
            self.state.fail(response.url, "parse", f"list interface: {exc}")
            return
        stats = self.crawler.stats
        stats.inc_value("newsmon/api_pages")
        found = [
            it for it in found if discovery.same_site(it.url, self.hosts | {discovery.netloc(response.url)})
        ]
        seeds = {it.url: it.seed for it in found}
        links = [discovery.Link(it.url, str(it.seed.get("title") or "")) for it in found]
        stats.inc_value("newsmon/links_found", len(links))
        new = self._new_article_links([link.url for link in links])  # type: ignore[attr-defined]
        for url in self._capped(new, source):  # type: ignore[attr-defined]
            request = self._article_request(url, source)  # type: ignore[attr-defined]
            request.meta["seed"] = dict(seeds.get(url) or {})
            yield request
        if not found or page + 1 >= source.max_pages:
            return
        if self.run.can_stop_early(source.url, [link.url for link in links], self.state.store):  # type: ignore[attr-defined]
            stats.inc_value("newsmon/early_stops")
            return
        template = source.url if source.kind == "api" else response.meta.get("api_template", source.url)
        nxt = api_lists.page_url(template, spec, page + 1)
        if nxt and nxt != response.url:
            yield scrapy.Request(
                nxt,
                callback=self.parse_api_page,
                errback=self.source_failed,  # type: ignore[attr-defined]
                meta={"source": source, "page": page + 1, "api_spec": spec, "api_template": template},
            )

    def parse_api_page(self, response: Response) -> Iterable[Any]:
        """A further page of a list interface."""
        self.crawler.stats.inc_value("newsmon/list_pages")
        yield from self._api(response, response.meta["source"], response.meta["page"])


def apply_seed(fields: dict[str, Any], seed: dict[str, Any], provenance: dict[str, Any]) -> None:
    """Fill the article fields the page left empty from its list item's values (provenance "api")."""
    for key, value in seed.items():
        if key in fields and not fields.get(key) and value:
            fields[key] = value
            provenance[key] = "api"
