"""Extension: a body cut off at DOWNLOAD_MAXSIZE while streaming is recorded as `too-large`.

Scrapy cancels a response without Content-Length (chunked, endless) once it passes the limit, but the
failure it hands on is a bare CancelledError, which reads as a network fault. Counting the bytes of each
request here (the `bytes_received` signal comes before Scrapy's own check) marks the request, and the
spider's failure classifier reads the mark.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals

TOO_LARGE_META = "newsmon_too_large"
_BYTES_META = "newsmon_bytes_received"


class BodySizeMarker:
    """Counts received bytes per request and marks the request once they pass its download max size."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler: Any) -> BodySizeMarker:
        """Build from the crawler and listen to bytes_received."""
        ext = cls(crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        crawler.signals.connect(ext.bytes_received, signal=signals.bytes_received)
        return ext

    def bytes_received(self, data: bytes, request: Any, spider: Any = None) -> None:
        """Add the chunk to the request's count; mark it when the limit is passed."""
        limit = request.meta.get("download_maxsize", self.maxsize)
        got = request.meta.get(_BYTES_META, 0) + len(data)
        request.meta[_BYTES_META] = got
        if limit and got > limit:
            request.meta[TOO_LARGE_META] = True
