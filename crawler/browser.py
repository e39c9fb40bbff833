"""A headless Chromium driven by playwright (optional extra `render`), for pages drawn by script and
script-cookie challenges. Uses the system's chromium (no browser download): $NEWSMON_CHROMIUM, else
chromium / chromium-browser on PATH. Absent library or browser: available() says why, nothing breaks."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

BLOCKED_TYPES = frozenset({"image", "media", "font", "stylesheet"})


def chromium_path() -> str | None:
    """The system chromium executable, or None."""
    exe = os.environ.get("NEWSMON_CHROMIUM")
    if exe and os.access(exe, os.X_OK):
        return exe
    return shutil.which("chromium") or shutil.which("chromium-browser")


def unavailable_reason() -> str | None:
    """None when pages can be rendered, else what is missing."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install 'newsmon[render]')"
    if chromium_path() is None:
        return "no chromium executable (apt-get install chromium, or set NEWSMON_CHROMIUM)"
    return None


@dataclass
class Rendered:
    """The DOM after scripts ran, where the browser ended up, and the cookies it holds."""

    url: str
    html: str
    cookies: dict[str, str]


class Browser:
    """One browser per crawl process, started at the first render; one page rendered at a time."""

    def __init__(self, timeout_s: float = 20.0, user_agent: str | None = None) -> None:
        self.timeout_ms = timeout_s * 1000
        self.user_agent = user_agent
        self._pw: Any = None
        self._browser: Any = None
        self._lock = asyncio.Lock()

    async def _start(self) -> None:
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        self._browser = await self._pw.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )

    async def render(
        self, url: str, first: tuple[int, bytes, str] | None, hosts: frozenset[str], cookies: dict[str, str]
    ) -> Rendered:
        """Load url (its first answer given from Scrapy's download when `first` is set), let scripts run.

        Only requests to the site's own hosts leave the browser; images, media, fonts and styles are not
        fetched. A challenge that sets a cookie and reloads is followed until the page settles.
        """
        async with self._lock:
            if self._browser is None:
                await self._start()
            ctx = await self._browser.new_context(user_agent=self.user_agent, java_script_enabled=True)
            try:
                if cookies:
                    host = urlsplit(url).hostname or ""
                    await ctx.add_cookies(
                        [{"name": k, "value": v, "domain": host, "path": "/"} for k, v in cookies.items()]
                    )
                served = {"done": first is None}

                async def route(r: Any) -> None:
                    req = r.request
                    if urlsplit(req.url).netloc.lower() not in hosts or req.resource_type in BLOCKED_TYPES:
                        await r.abort()
                    elif not served["done"] and req.is_navigation_request() and req.url == url and first:
                        served["done"] = True
                        status, body, ctype = first
                        await r.fulfill(status=status, body=body, headers={"Content-Type": ctype})
                    else:
                        await r.continue_()

                await ctx.route("**/*", route)
                page = await ctx.new_page()
                await page.goto(url, wait_until="load", timeout=self.timeout_ms)
                html = await _settled(page, self.timeout_ms)
                jar = {c["name"]: c["value"] for c in await ctx.cookies()}
                return Rendered(page.url, html, jar)
            finally:
                await ctx.close()

    async def close(self) -> None:
        """Close the browser and playwright (idempotent)."""
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._pw is not None:
            await self._pw.stop()
            self._pw = None


async def _settled(page: Any, timeout_ms: float) -> str:
    """The page's HTML once navigation (a challenge's reload) and network activity have stopped."""
    with contextlib.suppress(Exception):  # a page that keeps polling still has a DOM worth reading
        await page.wait_for_load_state("networkidle", timeout=min(timeout_ms, 5000))
    for _ in range(3):
        try:
            return await page.content()
        except Exception:  # noqa: BLE001 - content() during a navigation: wait for it and read again
            await page.wait_for_load_state("load", timeout=timeout_ms)
    return await page.content()
