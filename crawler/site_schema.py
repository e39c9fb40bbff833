"""What a site configuration is: the Site and Source types, the keys a [[site]] table may have, and
parse_sites, which validates a parsed document and names every problem by file, site and key."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawler import api_lists, canonical
from crawler.config_checks import ConfigChecker, ConfigError, check_cron, check_url, is_host, parse_duration
from crawler.revisits import DEFAULT_SCHEDULE, parse_schedule

LEVELS = ("national", "province", "city", "county", "department")
RENDER_MODES = ("never", "auto", "always")
SOURCE_KINDS = ("listing", "feed", "sitemap", "api", "auto")
# the override keys crawler.extract understands (a test keeps the two lists equal)
EXTRACT_KEYS = ("title", "body", "date", "source", "author", "drop")
SITE_KEYS = {
    "name",
    "title",
    "region",
    "level",
    "every",
    "cron",
    "sources",
    "aliases",
    "extract",
    "delay",
    "concurrency",
    "timeout",
    "verified",
    "enabled",
    "notes",
    "max_articles",
    "revisit",
    "render",
}
SOURCE_KEYS = {"kind", "url", "max_pages"} | api_lists.API_KEYS
TOP_KEYS = {"site", "watch", "defaults"}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
DEFAULT_EVERY = "30m"
DEFAULT_MAX_PAGES = 5


@dataclass(frozen=True)
class Source:
    """One place to discover articles: a column (listing), a feed or a sitemap."""

    kind: str
    url: str  # for kind "api" a template: "{page}" stands for the page number
    max_pages: int = DEFAULT_MAX_PAGES
    api: api_lists.ApiSpec | None = None  # kind "api" (and "auto" answers that are JSON)


@dataclass(frozen=True)
class Site:
    """A monitored site, as configured."""

    name: str
    title: str
    sources: tuple[Source, ...]
    region: str = ""
    level: str = "city"
    every: str | None = DEFAULT_EVERY
    cron: str | None = None
    aliases: tuple[str, ...] = ()
    extract: Mapping[str, Any] = field(default_factory=dict)
    delay: float | None = None
    concurrency: int = 1
    timeout: int | None = None
    verified: bool = False
    enabled: bool = True
    max_articles: int | None = None
    render: str = "never"  # never | auto (script lists, 412/521 challenges) | always: a headless browser
    revisit: tuple[int, ...] | None = DEFAULT_SCHEDULE  # seconds after first seen; None: no revisits
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def every_seconds(self) -> int | None:
        """The interval in seconds, or None when the site runs on a cron schedule."""
        return parse_duration(self.every) if self.every and not self.cron else None

    @property
    def hosts(self) -> frozenset[str]:
        """Host names (with port when not default) that belong to this site."""
        hosts = {_netloc(s.url) for s in self.sources}
        hosts.update(a.lower() for a in self.aliases)
        return frozenset(hosts)

    @property
    def host_aliases(self) -> dict[str, str]:
        """Alias host → the first source's host, the map canonical URLs are made with."""
        if not self.aliases or not self.sources:
            return {}
        return canonical.host_aliases(_netloc(self.sources[0].url), self.aliases)

    @property
    def config_hash(self) -> str:
        """Stable hash of the site's configuration, to notice edits."""
        blob = json.dumps(self.raw, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> str:
        """The raw config as JSON (handed to the spider subprocess)."""
        return json.dumps(dict(self.raw), ensure_ascii=False, sort_keys=True)


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc or "").lower()


def _parse_site(c: ConfigChecker, idx: int, data: Any, defaults: Mapping[str, Any]) -> Site | None:
    name = data.get("name") if isinstance(data, dict) else None
    where = f"site '{name}'" if isinstance(name, str) and name else f"site #{idx + 1}"
    if not isinstance(data, dict):
        c.error(where, None, "each [[site]] must be a table")
        return None
    merged = {**defaults, **data}
    before = len(c.problems)
    for key in sorted(set(data) - SITE_KEYS):
        c.error(where, key, f"unknown key (allowed: {', '.join(sorted(SITE_KEYS))})")
    if not isinstance(name, str) or not NAME_RE.match(name):
        c.error(where, "name", "required: a lower-case slug such as 'changchun-gov' (a-z, 0-9, '-', '_')")
    title = c.typed(where, merged, "title", str) or (name if isinstance(name, str) else "")
    region = c.typed(where, merged, "region", str) or ""
    level = c.typed(where, merged, "level", str) or "city"
    if level not in LEVELS:
        c.error(where, "level", f"{level!r} is not one of {', '.join(LEVELS)}")
    every = c.typed(where, merged, "every", str)
    cron = c.typed(where, merged, "cron", str)
    if "every" in data and "cron" in data:
        c.error(where, "cron", "give either 'every' or 'cron', not both")
    if cron is not None:
        try:
            check_cron(cron)
        except ValueError as exc:
            c.error(where, "cron", str(exc))
        every = None if "every" not in data else every
    elif every is None:
        every = DEFAULT_EVERY
    if every is not None and not cron:
        try:
            parse_duration(every)
        except ValueError as exc:
            c.error(where, "every", str(exc))
    sources: list[Source] = []
    raw_sources = merged.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        c.error(where, "sources", "required: a non-empty list of { kind, url } tables")
        raw_sources = []
    for j, src in enumerate(raw_sources):
        swhere = f"{where}, sources[{j}]"
        if not isinstance(src, dict):
            c.error(swhere, None, 'each source must be a table like { kind = "listing", url = "…" }')
            continue
        for key in sorted(set(src) - SOURCE_KEYS):
            c.error(swhere, key, f"unknown key (allowed: {', '.join(sorted(SOURCE_KEYS))})")
        kind = c.typed(swhere, src, "kind", str) or "listing"
        if kind not in SOURCE_KINDS:
            c.error(swhere, "kind", f"{kind!r} is not one of {', '.join(SOURCE_KINDS)}")
        try:
            url = check_url(src.get("url"))
        except ValueError as exc:
            c.error(swhere, "url", str(exc))
            continue
        max_pages = c.typed(swhere, src, "max_pages", int)
        if max_pages is not None and not 1 <= max_pages <= 10_000:
            c.error(swhere, "max_pages", "must be between 1 and 10000")
        api = None
        if kind in ("api", "auto"):
            api = api_lists.check_config(src, lambda key, msg, w=swhere: c.error(w, key, msg))
        for key in sorted(set(src) & api_lists.API_KEYS if kind not in ("api", "auto") else ()):
            c.error(swhere, key, 'only for kind = "api"')
        sources.append(Source(kind=kind, url=url, max_pages=max_pages or DEFAULT_MAX_PAGES, api=api))
    aliases = c.typed(where, merged, "aliases", list) or []
    for a in aliases:
        if not isinstance(a, str) or not is_host(a):
            c.error(where, "aliases", f"{a!r} is not a host name or host:port (like 'www.x.gov.cn')")
    extract = c.typed(where, merged, "extract", dict) or {}
    for key in sorted(set(extract) - set(EXTRACT_KEYS)):
        c.error(where, f"extract.{key}", f"unknown key (allowed: {', '.join(EXTRACT_KEYS)})")
    for key, value in extract.items():
        ok = isinstance(value, str) or (
            key == "drop" and isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            c.error(
                where, f"extract.{key}", "expected a CSS selector string" + (" list" if key == "drop" else "")
            )
    delay = c.typed(where, merged, "delay", (int, float))
    if delay is not None and not 0 <= delay <= 3600:
        c.error(where, "delay", "must be between 0 and 3600 seconds")
    concurrency = c.typed(where, merged, "concurrency", int) or 1
    if not 1 <= concurrency <= 32:
        c.error(where, "concurrency", "must be between 1 and 32")
    timeout = merged.get("timeout")
    timeout_s: int | None = None
    if timeout is not None:
        try:
            timeout_s = parse_duration(timeout) if isinstance(timeout, str) else None
            if not isinstance(timeout, str):
                raise ValueError(f"expected a duration string like '20m', got {timeout!r}")
        except ValueError as exc:
            c.error(where, "timeout", str(exc))
    verified = c.typed(where, merged, "verified", bool)
    enabled = c.typed(where, merged, "enabled", bool)
    max_articles = c.typed(where, merged, "max_articles", int)
    render = c.typed(where, merged, "render", str) or "never"
    if render not in RENDER_MODES:
        c.error(where, "render", f"{render!r} is not one of {', '.join(RENDER_MODES)}")
    c.typed(where, merged, "notes", str)
    try:
        revisit = parse_schedule(merged.get("revisit"), parse_duration)
    except ValueError as exc:
        c.error(where, "revisit", str(exc))
    if len(c.problems) > before or not isinstance(name, str):
        return None
    return Site(
        name=name,
        title=title,
        region=region,
        level=level,
        every=every if not cron else None,
        cron=cron,
        sources=tuple(sources),
        aliases=tuple(a.lower() for a in aliases),
        extract=dict(extract),
        delay=float(delay) if delay is not None else None,
        concurrency=concurrency,
        timeout=timeout_s,
        verified=bool(verified),
        enabled=True if enabled is None else enabled,
        max_articles=max_articles,
        render=render,
        revisit=revisit,
        raw=dict(data),
    )


def parse_sites(data: Mapping[str, Any], path: str = "<config>") -> list[Site]:
    """Validate an already-parsed TOML document; raise ConfigError listing every problem."""
    c = ConfigChecker(path)
    for key in sorted(set(data) - TOP_KEYS):
        c.error("top level", key, f"unknown key (allowed: {', '.join(sorted(TOP_KEYS))})")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        c.error("[defaults]", None, "must be a table")
        defaults = {}
    for key in sorted(set(defaults) - (SITE_KEYS - {"name", "sources", "title"})):
        c.error("[defaults]", key, "unknown or not allowed as a default")
    raw_sites = data.get("site", [])
    if not isinstance(raw_sites, list):
        c.error("top level", "site", "sites are written as [[site]] tables")
        raw_sites = []
    sites: list[Site] = c.unique(
        "site", ((i, _parse_site(c, i, raw, defaults)) for i, raw in enumerate(raw_sites))
    )
    _check_alias_collisions(c, sites)
    if c.problems:
        raise ConfigError(c.problems)
    return sites


def _check_alias_collisions(c: ConfigChecker, sites: Sequence[Site]) -> None:
    """An alias naming another site's host would store one site's articles under the other's URLs."""
    owner: dict[str, str] = {}
    for site in sites:
        for s in site.sources:
            owner.setdefault(canonical.netloc_key(_netloc(s.url)), site.name)
    for site in sites:
        for a in site.aliases:
            other = owner.get(canonical.netloc_key(a))
            if other is not None and other != site.name:
                c.error(f"site '{site.name}'", "aliases", f"{a!r} is a host of site '{other}'")
            owner.setdefault(canonical.netloc_key(a), site.name)
