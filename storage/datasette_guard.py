"""Datasette guards: requests for another Host refused (DNS rebinding), bad query options a clean 400."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from datasette import hookimpl

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def loopback_hosts(port: int) -> frozenset[str]:
    """The Host header values a browser sends to a server bound on loopback at port."""
    return frozenset(f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]"))


def host_guard(app: ASGIApp, allowed: Iterable[str]) -> ASGIApp:
    """Wrap an ASGI app: HTTP requests whose Host header is not one of `allowed` get 421, unread.

    A page on evil.example whose name is rebound to 127.0.0.1 reaches a loopback server with its own
    Host; refusing any name but the bound one keeps such pages from reading the database.
    """
    hosts = frozenset(h.lower() for h in allowed)

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") in ("http", "websocket"):
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").lower()
            if host not in hosts:
                body = b"Misdirected request: this server answers only for its own address\n"
                await send({"type": "http.response.start", "status": 421,
                            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})  # fmt: skip
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded


@hookimpl(tryfirst=True)
def handle_exception(datasette: Any, request: Any, exception: Exception) -> None:
    """A sort on a column that does not exist is the request's fault: datasette's page, with status 400."""
    from datasette.views.base import DatasetteError

    if isinstance(exception, DatasetteError) and str(getattr(exception, "message", "")).startswith(
        "Cannot sort"
    ):
        exception.status = 400  # datasette's own handler (called next) renders it, escaped
