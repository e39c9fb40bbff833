"""Site configuration: load a TOML file, validate every key, and explain errors by file, site and key."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler import api_lists, canonical
from crawler.revisits import DEFAULT_SCHEDULE, parse_schedule
from crawler.sitehosts import split_host

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
DURATION_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_MAX = 3650 * 86400  # ten years: longer is a typo, and datetime arithmetic overflows soon after
DEFAULT_EVERY = "30m"
DEFAULT_MAX_PAGES = 5


class ConfigError(ValueError):
    """One or more configuration problems, each naming the file, the site and the key."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


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


def _is_host(text: str) -> bool:
    """A bare host or host:port (no scheme, path, user info or spaces) that parses with a valid port."""
    if not text or any(ch in text for ch in "/\\@?# \t") or "://" in text:
        return False
    return split_host(text) is not None


def parse_duration(text: str) -> int:
    """'30m' → 1800. Raises ValueError for anything else."""
    m = DURATION_RE.match(str(text))
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like '90s', '30m', '2h' or '1d'")
    seconds = int(m.group(1)) * DURATION_UNITS[m.group(2)]
    if seconds > DURATION_MAX:
        raise ValueError(f"{text!r} is longer than {DURATION_MAX // 86400} days")
    return seconds


def check_cron(expr: str) -> None:
    """Raise ValueError unless expr is a valid 5-field crontab expression."""
    from apscheduler.triggers.cron import CronTrigger

    if len(str(expr).split()) != 5:
        raise ValueError(f"{expr!r} is not a 5-field crontab expression (minute hour day month weekday)")
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    trigger = CronTrigger.from_crontab(str(expr), timezone=tz)
    if trigger.get_next_fire_time(None, datetime.now(tz)) is None:
        raise ValueError(f"{expr!r} never fires (no such date, e.g. 30 February)")


def check_url(url: Any) -> str:
    """Return url if it is an absolute http(s) URL with a host, else raise ValueError."""
    if not isinstance(url, str):
        raise ValueError(f"expected a URL string, got {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"{url!r} has an invalid port") from exc
    return url


class ConfigChecker:
    """Collects every problem of one config file, each naming the file, the entry and the key."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[str] = []

    def error(self, where: str, key: str | None, msg: str) -> None:
        """Record one problem: "FILE: WHERE, key 'KEY': MSG"."""
        loc = f"{self.path}: {where}"
        if key:
            loc += f", key '{key}'"
        self.problems.append(f"{loc}: {msg}")

    def unique(self, kind: str, parsed: Iterable[tuple[int, Any]]) -> list[Any]:
        """The parsed entries (index, entry or None) whose .name is not taken already; a repeat is a problem."""
        out: list[Any] = []
        seen: dict[str, int] = {}
        for i, entry in parsed:
            if entry is None:
                continue
            if entry.name in seen:
                self.error(
                    f"{kind} '{entry.name}'",
                    "name",
                    f"duplicate {kind} name (also {kind} #{seen[entry.name] + 1})",
                )
                continue
            seen[entry.name] = i
            out.append(entry)
        return out

    def typed(self, where: str, data: Mapping[str, Any], key: str, types: type | tuple[type, ...]) -> Any:
        """data[key] when it has one of the types (a boolean is not an integer), else None and a problem."""
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.error(where, key, f"expected {_type_name(types)}, got a boolean")
            return None
        if not isinstance(value, types):
            self.error(where, key, f"expected {_type_name(types)}, got {type(value).__name__} {value!r}")
            return None
        return value


def _type_name(types: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a table",
    }
    if isinstance(types, tuple):
        return " or ".join(names.get(t, t.__name__) for t in types)
    return names.get(types, types.__name__)


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
        if not isinstance(a, str) or not _is_host(a):
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


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning every way it can fail into a ConfigError naming the file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError([f"{p}: file not found"]) from exc
    except OSError as exc:
        raise ConfigError([f"{p}: cannot read ({exc.strerror})"]) from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{p}: invalid TOML: {exc}"]) from exc


def load_sites(path: str | Path) -> list[Site]:
    """Read and validate a site configuration file."""
    return parse_sites(read_toml(path), str(path))


def select_sites(sites: Sequence[Site], names: Sequence[str], path: str = "<config>") -> list[Site]:
    """Pick sites by name, raising ConfigError for names that are not configured."""
    by_name = {s.name: s for s in sites}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ConfigError(
            [
                f"{path}: no site named {n!r} (configured: {', '.join(sorted(by_name)) or 'none'})"
                for n in missing
            ]
        )
    return [by_name[n] for n in names]


def adhoc_name(url: str) -> str:
    """The site name of an ad hoc crawl: its host as a slug (www.gov.cn -> www-gov-cn), never one shared name."""
    netloc = (urlsplit(url).netloc or "adhoc").lower().rsplit("@", 1)[-1]
    return re.sub(r"[^a-z0-9_-]+", "-", netloc).strip("-")[:63] or "adhoc"


def is_adhoc(site: Site) -> bool:
    """True for a site made by adhoc_site (its name is its first source's host, every source auto)."""
    return (
        bool(site.sources)
        and all(s.kind == "auto" for s in site.sources)
        and site.name == adhoc_name(site.sources[0].url)
    )


def adhoc_site(urls: Sequence[str], name: str | None = None) -> Site:
    """A site made on the fly from URLs given on the command line (kind detected from the response),
    named by the host of its first URL."""
    problems = []
    for u in urls:
        try:
            check_url(u)
        except ValueError as exc:
            problems.append(f"command line: {exc}")
    if problems:
        raise ConfigError(problems)
    name = name or adhoc_name(urls[0])
    title = (urlsplit(urls[0]).hostname or name) if name == adhoc_name(urls[0]) else name
    raw = {"name": name, "title": title, "sources": [{"kind": "auto", "url": u} for u in urls]}
    return parse_sites({"site": [raw]}, "command line")[0]


def adhoc_sites(urls: Sequence[str]) -> list[Site]:
    """One ad hoc site per host, in the order the hosts first appear."""
    by_host: dict[str, list[str]] = {}
    for u in urls:
        by_host.setdefault(adhoc_name(u), []).append(u)
    return [adhoc_site(group) for group in by_host.values()]


def site_from_json(blob: str, where: str = "spider argument") -> Site:
    """Rebuild a Site from Site.to_json() (the spider subprocess; sites recorded in the database)."""
    return parse_sites({"site": [json.loads(blob)]}, where)[0]
