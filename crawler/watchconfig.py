"""Keyword watch configuration: `[[watch]]` tables and `newsmon watch add` options, validated like sites.

[[watch]]
name = "东北振兴"
all = ["振兴", "东北"]          # every word must occur (title or body)
any = ["政策", "规划"]          # at least one of these, when given
none = ["招聘"]                 # none of these
regex = "第[一二三四五]届"       # optional RE2 regex on title + body (no back-references)
sites = ["jilin-gov"]           # only copies on these sites …
regions = ["吉林省"]            # … or on sites whose region starts with one of these
notify = ["json://127.0.0.1:8080/hook"]   # Apprise URLs
digest = "6h"                   # at most one message per watch and target per 6 hours
max_age = "7d"                  # ignore stories first published longer ago (backfills)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.config_checks import ConfigChecker, ConfigError, parse_duration
from crawler.site_schema import Site, parse_sites
from crawler.sites import read_toml
from storage.watch_targets import redact_in_logs
from storage.watches import Watch, compile_term

WATCH_KEYS = {"name", "all", "any", "none", "regex", "sites", "regions", "notify", "digest", "max_age",
              "enabled", "notes", "on"}  # fmt: skip
WATCH_EVENTS = ("new", "edited", "removed")
TERMS_MAX = 50  # words per list
TERM_CHARS_MAX = 100
REGEX_CHARS_MAX = 300
NAME_CHARS_MAX = 64
_NAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\]")


def _words(p: ConfigChecker, where: str, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        p.error(where, key, 'expected a list of words like ["振兴", "东北"]')
        return ()
    if len(value) > TERMS_MAX:
        p.error(where, key, f"at most {TERMS_MAX} words")
    if key in ("all", "any", "none"):
        for v in value:
            if len(v) > TERM_CHARS_MAX:
                p.error(where, key, f"{v[:20]!r}… is longer than {TERM_CHARS_MAX} characters")
            elif compile_term(v) is None:
                p.error(where, key, f"{v!r} has no letters or digits to match")
    elif any(not v.strip() for v in value):
        p.error(where, key, "empty string")
    return tuple(value)


def check_regex(pattern: Any) -> str:
    """Return the pattern if it is short and RE2 (linear time) can run it; else ValueError saying why."""
    from storage.watch_match import compile_regex

    if not isinstance(pattern, str) or not pattern:
        raise ValueError("expected a non-empty regular expression string")
    if len(pattern) > REGEX_CHARS_MAX:
        raise ValueError(f"longer than {REGEX_CHARS_MAX} characters")
    compile_regex(pattern)
    return pattern


def check_notify_url(url: str) -> None:
    """Raise ValueError unless Apprise understands the URL."""
    import apprise

    redact_in_logs(url)  # Apprise logs the URL it loads (at debug level) with its path and query
    if apprise.Apprise.instantiate(url) is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:10]
        raise ValueError(f"not a notification URL Apprise understands (scheme {scheme!r}); see "
                         "https://github.com/caronc/apprise/wiki")  # fmt: skip


def _duration(p: ConfigChecker, where: str, data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(f"expected a duration string like '6h', got {value!r}")
        return parse_duration(value)
    except ValueError as exc:
        p.error(where, key, str(exc))
        return None


def _parse_watch(p: ConfigChecker, idx: int, data: Any, site_names: set[str] | None) -> Watch | None:
    name = data.get("name") if isinstance(data, dict) else None
    where = f"watch '{name}'" if isinstance(name, str) and name else f"watch #{idx + 1}"
    if not isinstance(data, dict):
        p.error(where, None, "each [[watch]] must be a table")
        return None
    before = len(p.problems)
    for key in sorted(set(data) - WATCH_KEYS):
        p.error(where, key, f"unknown key (allowed: {', '.join(sorted(WATCH_KEYS))})")
    if not isinstance(name, str) or not name.strip() or name != name.strip() or _NAME_BAD.search(name):
        p.error(
            where, "name", "required: a short name without slashes or control characters, e.g. '东北振兴'"
        )
    elif len(name) > NAME_CHARS_MAX:
        p.error(where, "name", f"longer than {NAME_CHARS_MAX} characters")
    all_of, any_of, none_of = (_words(p, where, data, k) for k in ("all", "any", "none"))
    regex = data.get("regex")
    if regex is not None:
        try:
            check_regex(regex)
        except ValueError as exc:
            p.error(where, "regex", str(exc))
    if not (all_of or any_of or regex):
        p.error(where, "all", "a watch needs words in 'all' or 'any', or a 'regex'")
    sites = _words(p, where, data, "sites")
    if site_names is not None:
        for s in sites:
            if s not in site_names:
                p.error(where, "sites", f"no site named {s!r} in this file")
    regions = _words(p, where, data, "regions")
    notify = _words(p, where, data, "notify")
    for i, url in enumerate(notify):
        try:
            check_notify_url(url)
        except ValueError as exc:
            p.error(where, f"notify[{i}]", str(exc))
    digest = _duration(p, where, data, "digest")
    max_age = _duration(p, where, data, "max_age")
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        p.error(where, "enabled", "expected true/false")
    if "notes" in data and not isinstance(data["notes"], str):
        p.error(where, "notes", "expected a string")
    on = data.get("on", ["new"])
    if not isinstance(on, list) or not on or not all(isinstance(e, str) and e in WATCH_EVENTS for e in on):
        p.error(where, "on", f"expected a non-empty list of {', '.join(map(repr, WATCH_EVENTS))}")
    if len(p.problems) > before or not isinstance(name, str):
        return None
    return Watch(name=name, all_of=all_of, any_of=any_of, none_of=none_of, regex=regex, sites=sites,
                 regions=regions, notify=notify, digest_seconds=digest, max_age_seconds=max_age,
                 enabled=enabled, on=tuple(dict.fromkeys(on)))  # fmt: skip


def parse_watches(
    data: Mapping[str, Any], path: str = "<config>", site_names: set[str] | None = None
) -> list[Watch]:
    """Validate the `[[watch]]` tables of a parsed TOML document; raise ConfigError listing every problem."""
    p = ConfigChecker(path)
    raw = data.get("watch", [])
    if not isinstance(raw, list):
        raise ConfigError([f"{path}: top level, key 'watch': watches are written as [[watch]] tables"])
    watches: list[Watch] = p.unique(
        "watch", ((i, _parse_watch(p, i, item, site_names)) for i, item in enumerate(raw))
    )
    if p.problems:
        raise ConfigError(p.problems)
    return watches


_LOADED: dict[tuple[str, int, int], list[Watch]] = {}  # (path, mtime_ns, size) -> watches


def load_watches(path: str | Path) -> list[Watch]:
    """Read the watches of a TOML file (sites and watches, or watches only), validating both.

    Remembered per file version (path, mtime, size): a crawl runs this at its end, and a warm worker
    (crawler/warm.py) reads the file once for all the runs it forks instead of each run parsing and
    validating thousands of sites again."""
    p = Path(path)
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key is not None and key in _LOADED:
        return list(_LOADED[key])
    watches = _load_watches(p)
    if key is not None:
        _LOADED.clear()
        _LOADED[key] = watches
    return list(watches)


def _load_watches(p: Path) -> list[Watch]:
    data = read_toml(p)
    names = {s.name for s in parse_sites(data, str(p))} if data.get("site") else None
    return parse_watches(data, str(p), names)


def load_config(path: str | Path) -> tuple[list[Site], list[Watch]]:
    """Sites and watches of one file, both validated: every command that reads the file refuses it alike."""
    p = Path(path)
    data = read_toml(p)
    sites = parse_sites(data, str(p))
    return sites, parse_watches(data, str(p), {s.name for s in sites})


def watch_from_options(name: str, **options: Any) -> Watch:
    """Build a watch from command-line options (lists, or None when not given); ConfigError when invalid."""
    data = {"name": name, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()
                             if v not in (None, (), [])}}  # fmt: skip
    return parse_watches({"watch": [data]}, "command line")[0]


def config_key(path: str | Path) -> str:
    """How a config file is named in `watches.config_path` (absolute, so every process agrees)."""
    return str(Path(path).resolve())


def sync_watches(db: sqlite_utils.Database, config_path: str | Path | None) -> dict[str, int]:
    """Copy a config file's [[watch]] tables into the database (added/updated/removed counts)."""
    from storage.watches import sync_config

    if config_path is None:
        return {}
    return dict(sync_config(db, load_watches(config_path), config_key(config_path)))


def run_watches(db: sqlite_utils.Database, config_path: str | Path | None = None, *, notify: bool = True,
                now: datetime | None = None, budget_seconds: float | None = None,
                retry_failed: bool = False) -> dict[str, int]:  # fmt: skip
    """Sync a config file's watches, evaluate articles stored since the last call, send due notifications."""
    from storage.watch_events import evaluate_changes
    from storage.watch_notify import notify_pending
    from storage.watches import evaluate

    out = sync_watches(db, config_path)
    out["hits"] = len(evaluate(db, now))
    out["change_hits"] = len(evaluate_changes(db, now))
    if notify:
        out.update(notify_pending(db, now, budget_seconds=budget_seconds, retry_failed=retry_failed))
    return out


def describe(watch: Watch) -> Sequence[str]:
    """Human-readable lines describing a watch (for `newsmon watch list`)."""
    from storage.watch_targets import target_label

    def dur(seconds: int) -> str:
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return f"{seconds // size}{unit}"
        return f"{seconds}s"

    parts = []
    for label, words in (("all", watch.all_of), ("any", watch.any_of), ("none", watch.none_of),
                         ("sites", watch.sites), ("regions", watch.regions)):  # fmt: skip
        if words:
            parts.append(f"{label}: {' '.join(words)}")
    if watch.regex:
        parts.append(f"regex: {watch.regex}")
    if watch.notify:
        parts.append("notify: " + ", ".join(target_label(u) for u in watch.notify))
    if watch.digest_seconds:
        parts.append(f"digest: {dur(watch.digest_seconds)}")
    if watch.max_age_seconds:
        parts.append(f"max_age: {dur(watch.max_age_seconds)}")
    if tuple(watch.on) != ("new",):
        parts.append("on: " + ", ".join(watch.on))
    return parts
