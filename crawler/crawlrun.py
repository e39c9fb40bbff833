"""One site run's state and decisions, for the local spider and the cluster spider alike (no Scrapy, no SQL).

A `SiteRun` holds everything a run learns as it goes (links scheduled, articles requested per source,
sources capped, failed or walked to their end, list-page validators) and answers the run's questions:
which links are new, how many of them may be requested, whether paging may stop early, whether a failed
article is given up, and, at the finish, which validators to save and which sources to mark complete.
What it needs from storage (known URLs, earlier failures) comes through `Lookups`, which the local Store
and the cluster's Redis view both provide; counters go to a `Stats` (Scrapy's collector or the cluster's
per-callback one). The local spider keeps one SiteRun per crawl; a cluster worker builds one per
callback from the run's shared state in Redis (crawler/distributed/spider.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from crawler.canonical import canonicalize_url

PERMANENT_HTTP = frozenset({400, 404, 410, 451})
Validators = tuple[str, str | None, str | None, int]  # (site, ETag, Last-Modified, HTTP status)


class Lookups(Protocol):
    """What a run asks the archive: canonical URLs already stored, and earlier failures of URLs."""

    def known_urls(self, urls: Sequence[str]) -> set[str]:
        """The subset of canonical urls already stored (or known redirects)."""
        ...

    def failed_attempts(self, urls: Sequence[str]) -> dict[str, tuple[int, str, int | None]]:
        """(failures, last kind, last HTTP status) of urls that failed before."""
        ...


class Stats(Protocol):
    """A counter sink (Scrapy's StatsCollector has this method)."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        """Add count to key."""
        ...


def given_up(failures: int, kind: str, status: int | None, max_attempts: int) -> bool:
    """Whether an article that failed before should not be requested again."""
    if kind == "robots" or (kind == "http" and status in PERMANENT_HTTP):
        return True  # forbidden by robots.txt or gone: asking again changes nothing
    return failures >= max_attempts  # 5xx, 403, 408, 429, timeouts, challenges: a few more runs


def validators_to_save(
    validators: Mapping[str, Any], source_failures: Mapping[str, int], capped: Iterable[str]
) -> dict[str, Any]:
    """The one rule for list-page validators at a run's finish: kept only for sources whose articles all
    came through (no failure, not cut short by a cap). Saving a capped source's validators would make the
    next run get a 304 and never request the articles it deferred."""
    cut = set(capped)
    return {u: v for u, v in validators.items() if not source_failures.get(u) and u not in cut}


@dataclass
class Finish:
    """What to write at the end of a run: validators to save (sources then marked complete), and
    unchanged (304) sources that stay complete."""

    save: dict[str, Validators]
    still_complete: list[str]


@dataclass
class SiteRun:
    """A site run's state and its rules."""

    site_name: str
    aliases: Mapping[str, str] = field(default_factory=dict)
    refresh: bool = False
    max_attempts: int = 3
    max_per_source: int = 1000
    max_articles: int | None = None  # the site's cap for the whole run (None: none, or counted elsewhere)
    scheduled: set[str] = field(default_factory=set)  # canonical URLs requested this run
    requested: dict[str, int] = field(default_factory=dict)  # article requests per source URL
    capped: set[str] = field(default_factory=set)  # sources cut short (not walked to their end)
    source_failures: dict[str, int] = field(default_factory=dict)
    validators: dict[str, Validators] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)  # sources an earlier run walked to their end
    unchanged: set[str] = field(default_factory=set)  # sources that answered 304
    source_states: dict[str, dict[str, Any]] = field(default_factory=dict)
    sitemaps_seen: dict[str, set[str]] = field(default_factory=dict)
    sitemap_limit_told: dict[str, bool] = field(default_factory=dict)

    # -- start -------------------------------------------------------------------------------------
    def open_sources(self, states: Mapping[str, dict[str, Any] | None]) -> None:
        """Take each source's saved state (validators, `complete` mark) from the archive."""
        for url, state in states.items():
            if state is not None:
                self.source_states[url] = state
                if state.get("complete"):
                    self.completed.add(url)

    def conditional_headers(self, source_url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a source's first request (none with refresh)."""
        known = self.source_states.get(source_url)
        headers: dict[str, str] = {}
        if known and not self.refresh:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        return headers

    # -- links -------------------------------------------------------------------------------------
    def new_links(self, urls: Sequence[str], lookups: Lookups | None, stats: Stats) -> list[str]:
        """Links not stored, not scheduled this run and not given up; they are scheduled from now on."""
        canon = {canonicalize_url(u, self.aliases): u for u in urls}
        fresh = {c: u for c, u in canon.items() if c not in self.scheduled}
        known = lookups.known_urls(list(fresh)) if lookups is not None and not self.refresh else set()
        attempts = lookups.failed_attempts(list(fresh.values())) if lookups is not None else {}
        out = []
        for c, u in fresh.items():
            if c in known:
                stats.inc_value("newsmon/links_known")
                continue
            if u in attempts and self.given_up(*attempts[u]):
                stats.inc_value("newsmon/links_given_up")
                continue
            if u in attempts:
                stats.inc_value("newsmon/article_retries")
            self.scheduled.add(c)
            out.append(u)
        return out

    def given_up(self, failures: int, kind: str, status: int | None) -> bool:
        """Whether an article that failed `failures` times before is left alone now."""
        return given_up(failures, kind, status, self.max_attempts)

    def run_cap_left(self) -> int | None:
        """Article requests this run may still make under the site's max_articles (None: no limit)."""
        if not self.max_articles:
            return None
        return self.max_articles - sum(self.requested.values())

    def cap(self, urls: list[str], source_url: str, stats: Stats) -> list[str]:
        """At most max_per_source new articles per source and run, and the site's max_articles in all;
        the rest wait for the next run (still unknown then) and the source counts as cut short."""
        left = self.max_per_source - self.requested.get(source_url, 0)
        run_left = self.run_cap_left()
        if run_left is not None:
            left = min(left, run_left)
        if len(urls) > left:
            stats.inc_value("newsmon/links_deferred", len(urls) - max(left, 0))
            self.capped.add(source_url)
            urls = urls[: max(left, 0)]
        self.requested[source_url] = self.requested.get(source_url, 0) + len(urls)
        return urls

    def can_stop_early(self, source_url: str, links: Sequence[str], lookups: Lookups | None) -> bool:
        """Stop paging when the page's last (oldest) entry is already stored.

        Government columns list newest first, so once the oldest entry of a page is known the following
        pages hold nothing new. Only trusted when an earlier run walked this source to its end (a crawl
        killed half-way is completed by the next one), and never with refresh.
        """
        if self.refresh or not links or source_url not in self.completed or lookups is None:
            return False
        oldest = canonicalize_url(links[-1], self.aliases)
        return bool(lookups.known_urls([oldest]))  # stored, not merely scheduled by another source

    # -- outcomes ----------------------------------------------------------------------------------
    def source_answered(self, source_url: str, validators: Validators | None) -> None:
        """A source's first response: its validators, or None for 304 Not Modified."""
        if validators is None:
            self.unchanged.add(source_url)
        else:
            self.validators[source_url] = validators

    def source_failed(self, source_url: str) -> None:
        """A page of the source could not be fetched: it was not walked completely."""
        self.source_failures[source_url] = self.source_failures.get(source_url, 0) + 1

    def article_failed(self, source_url: str, attempts: tuple[int, str, int | None]) -> None:
        """An article failed; unless it is given up now, its source must be revalidated next run."""
        if not self.given_up(*attempts):
            self.source_failed(source_url)

    def cut_short(self, source_url: str) -> None:
        """A source not walked to its end for a limit (sitemap depth or count)."""
        self.capped.add(source_url)

    # -- finish ------------------------------------------------------------------------------------
    def finish(self, reason: str) -> Finish:
        """What to save at the end: nothing unless the run finished; then validators of sources whose
        articles all came through, and unchanged sources that were complete and did not fail."""
        if reason != "finished":
            return Finish({}, [])
        save = validators_to_save(self.validators, self.source_failures, self.capped)
        still = sorted(u for u in self.unchanged if u in self.completed and not self.source_failures.get(u))
        return Finish(save, still)

    def write_finish(
        self, reason: str, save_state: Callable[..., Any], set_complete: Callable[..., Any]
    ) -> None:
        """Apply finish(reason) through the ledger's two writers."""
        done = self.finish(reason)
        for url, (site, etag, modified, status) in done.save.items():
            save_state(url, site, etag, modified, status, complete=True)
        if done.still_complete:
            set_complete(done.still_complete, True)
