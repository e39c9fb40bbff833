"""Checks of single configuration values, and the collector that names each problem by file, entry and key.

Shared by the site configuration (crawler/site_schema.py) and the watches (crawler/watchconfig.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from crawler.sitehosts import split_host

DURATION_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_MAX = 3650 * 86400  # ten years: longer is a typo, and datetime arithmetic overflows soon after


class ConfigError(ValueError):
    """One or more configuration problems, each naming the file, the site and the key."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def is_host(text: str) -> bool:
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
