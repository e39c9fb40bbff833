"""What a response's headers say: a header as text, the declared charset, whether it answered validators."""

from __future__ import annotations

from scrapy.http import Response


def header(response: Response, name: str) -> str | None:
    """A response header as text (None when absent)."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def charset(response: Response) -> str | None:
    """The charset the Content-Type header declares (None when it declares none)."""
    ctype = header(response, "Content-Type") or ""
    for part in ctype.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def was_conditional(response: Response) -> bool:
    """Whether the request behind the response carried If-None-Match or If-Modified-Since."""
    request = response.request
    return request is not None and bool(
        request.headers.get("If-None-Match") or request.headers.get("If-Modified-Since")
    )
