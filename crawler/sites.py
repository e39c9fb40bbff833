"""Site configuration: load a TOML file, pick sites by name, make ad hoc sites from URLs, rebuild a site from
JSON. What a site is and how a config is validated: crawler/site_schema.py (its names most callers need are
importable from here too); checks of single values: crawler/config_checks.py."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.config_checks import ConfigError, check_url, parse_duration
from crawler.site_schema import EXTRACT_KEYS, NAME_RE, Site, Source, parse_sites

__all__ = [
    "EXTRACT_KEYS",
    "NAME_RE",
    "ConfigError",
    "Site",
    "Source",
    "adhoc_name",
    "adhoc_site",
    "adhoc_sites",
    "is_adhoc",
    "load_sites",
    "parse_duration",
    "parse_sites",
    "read_toml",
    "select_sites",
    "site_from_json",
]


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
