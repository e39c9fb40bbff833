"""Downloader middlewares: requests kept on the site's hosts; anti-bot challenge pages become `blocked`."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.challenge import detect_challenge
from crawler.sitehosts import allowed


class ChallengeBlocked(IgnoreRequest):
    """The response was an anti-bot challenge page."""


class ChallengeDetector:
    """Stops challenge responses (HTTP 412/521 script cookies, 'enable JavaScript' pages) before parsing."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ChallengeDetector:
        """Build from the crawler; off when NEWSMON_CHALLENGE_ENABLED is false."""
        if not crawler.settings.getbool("NEWSMON_CHALLENGE_ENABLED", True):
            raise NotConfigured
        return cls(crawler.stats)

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        """Raise ChallengeBlocked for a challenge page; pass anything else on."""
        body = response.body if hasattr(response, "body") else b""
        reason = detect_challenge(response.status, body)
        if reason:
            self.stats.inc_value("newsmon/challenges")
            raise ChallengeBlocked(f"blocked: {reason} at {response.url}")
        return response


class OffsiteRequest(IgnoreRequest):
    """A request (first, redirected or for robots.txt) to a host that is not the site's."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind  # "offsite-redirect" when a redirect led there, else "offsite"
        super().__init__(message)


class OffsiteGuard:
    """Refuses every request off the site's hosts before it reaches robots.txt handling or the network.

    Sits first in the downloader chain: Scrapy sends redirected requests and robots.txt fetches through
    the whole chain again, so a 30x to another port or host (absolute or //protocol-relative) is dropped
    here and the other service receives nothing. The rule itself is crawler.sitehosts.allowed.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> OffsiteGuard:
        """Build from the crawler."""
        return cls(crawler)

    def process_request(self, request: Any, spider: Any = None) -> None:
        """Raise OffsiteRequest for a URL off the spider's site; None (go on) otherwise."""
        spider = spider or getattr(self.crawler, "spider", None)
        hosts_of = getattr(spider, "request_hosts", None)
        hosts = hosts_of(request) if hosts_of is not None else None
        if not hosts or allowed(request.url, hosts):
            return None  # a spider without a site of its own (cluster mode checks per run) passes
        redirected = bool(request.meta.get("redirect_urls"))
        self.crawler.stats.inc_value("newsmon/offsite_refused")
        kind = "offsite-redirect" if redirected else "offsite"
        raise OffsiteRequest(kind, f"{kind}: {request.url} is not on the site's hosts")
