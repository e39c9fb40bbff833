"""Downloader middleware: anti-bot challenge pages become `blocked` failures, never articles or retries."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.challenge import detect_challenge


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
