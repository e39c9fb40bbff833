"""Why a request failed, in the archive's failure kinds (`http`, `timeout`, `robots`, `blocked`, …)."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.middlewares import ChallengeBlocked, OffsiteRequest
from crawler.sizelimit import TOO_LARGE_META


def classify_failure(failure: Failure) -> tuple[str, int | None, str]:
    """(kind, http status, detail) of a failed request."""
    exc = failure.value
    request = getattr(failure, "request", None)
    if request is not None and request.meta.get(TOO_LARGE_META):
        return "too-large", None, "body larger than the download max size (cut off while streaming)"
    if isinstance(exc, ChallengeBlocked):
        return "blocked", None, str(exc)
    if isinstance(exc, OffsiteRequest):
        return exc.kind, None, str(exc)
    if isinstance(exc, HttpError):
        status = exc.response.status
        return "http", status, f"HTTP {status}"
    if isinstance(exc, IgnoreRequest):
        msg = str(exc)
        if "robots.txt" in msg.lower():
            return "robots", None, "forbidden by robots.txt"
        if "max redirections" in msg.lower():
            return "redirect-loop", None, msg
        if "max size" in msg.lower() or "maxsize" in msg.lower():
            return "too-large", None, msg
        return "ignored", None, msg or "request ignored"
    if isinstance(exc, TimeoutError | TCPTimedOutError) or "timeout" in type(exc).__name__.lower():
        return "timeout", None, str(exc) or "timed out"
    if isinstance(exc, DNSLookupError):
        return "dns", None, str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "connection", None, str(exc)
    msg = f"{type(exc).__name__}: {exc}"
    if "maxsize" in msg.lower() or "max size" in msg.lower():
        return "too-large", None, msg
    return "network", None, msg


def asked_url(request: Request) -> str:
    """The URL the spider asked for, before any redirects (failures are recorded under it)."""
    chain = request.meta.get("redirect_urls") or []
    return chain[0] if chain else request.url
