"""Date strings to timezone-aware datetimes, URL dates, and the plausibility check."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from . import selectors as S

SHANGHAI = ZoneInfo(S.TIMEZONE)
_ISO_RE = re.compile(
    r"^\s*((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?:[T\s-](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_EPOCH_RE = re.compile(r"^\s*(1\d{9})(\d{3})?\s*$")


def _build(parts: Sequence[str | None], tz: tzinfo) -> datetime | None:
    """Datetime from (year, month, day, hour, minute, second) strings; None when out of range."""
    y, mo, d, h, mi, s = (list(parts) + [None] * 6)[:6]
    if not (y and mo and d):
        return None
    try:
        return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), tzinfo=tz)
    except (ValueError, OverflowError):
        return None


def _zone(spec: str | None) -> tzinfo | None:
    """The zone of an ISO offset; None for one no clock has (+25:00, -99:99, +08:60)."""
    if not spec:
        return SHANGHAI
    if spec == "Z":
        return ZoneInfo("UTC")
    sign = 1 if spec[0] == "+" else -1
    digits = spec[1:].replace(":", "")
    from datetime import timezone

    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(text: str | None) -> datetime | None:
    """First date (with time when given) in text; Asia/Shanghai when no zone is given."""
    if not text:
        return None
    m = _ISO_RE.match(text)
    if m:
        zone = _zone(m.group(7))
        return _build(m.groups()[:6], zone) if zone is not None else None
    m = _EPOCH_RE.match(text)
    if m:
        try:
            return datetime.fromtimestamp(int(m.group(1)), tz=SHANGHAI)
        except (ValueError, OverflowError, OSError):
            return None
    m = S.DATE_TEXT_RE.search(text)
    if m:
        return _build(m.groups(), SHANGHAI)
    m = S.DATE_SLASH_RE.search(text)
    if m:
        return _slash(m)
    m = S.DATE_COMPACT_RE.search(text)
    if m:
        return _build(m.groups(), SHANGHAI)
    return None


def _slash(m: re.Match[str], evidence: Sequence[date] = ()) -> datetime | None:
    """A/B/YYYY: which of A and B is the month is decided by the page, not by habit.

    A number above 12 cannot be a month. When both could be, the reading closer to another full date on
    the same page (evidence: a 2005年07月03日 printed nearby) wins; with no evidence, an AM/PM clock says a
    US-locale server printed it (month first), else day first.
    """
    a, b, y, h, mi, s, ampm = m.groups()
    hour = int(h or 0)
    if ampm and ampm.lower() == "pm" and hour < 12:
        hour += 12
    elif ampm and ampm.lower() == "am" and hour == 12:
        hour = 0
    month_first = _build((y, a, b, str(hour), mi, s), SHANGHAI) if int(a) <= 12 else None
    day_first = _build((y, b, a, str(hour), mi, s), SHANGHAI) if int(b) <= 12 else None
    if month_first is None or day_first is None:
        return month_first or day_first
    if evidence and month_first != day_first:

        def distance(dt: datetime) -> int:
            return min(abs((dt.date() - e).days) for e in evidence)

        return month_first if distance(month_first) <= distance(day_first) else day_first
    return month_first if ampm else day_first


def find_dates(text: str, evidence: Sequence[date] = ()) -> list[tuple[datetime, int]]:
    """All dates written in a line with their character offsets (evidence: see _slash)."""
    out = []
    for m in S.DATE_TEXT_RE.finditer(text):
        dt = _build(m.groups(), SHANGHAI)
        if dt is not None:
            out.append((dt, m.start()))
    if not out:
        for m in S.DATE_SLASH_RE.finditer(text):
            dt = _slash(m, evidence)
            if dt is not None:
                out.append((dt, m.start()))
    return out


def url_date(url: str) -> datetime | None:
    """Date embedded in an article URL (TRS t20231128_, /2023-11/17/, /20240509/ ...)."""
    path = url.split("?", 1)[0]
    for rx in S.URL_DATE_RES:
        m = rx.search(path)
        if m:
            dt = _build((m.group(1), m.group(2), m.group(3)), SHANGHAI)
            if dt is not None:
                return dt
    return None


def plausible(dt: datetime | None, now: datetime) -> bool:
    """Not in the future (a day of slack for zones) and not before 1990."""
    if dt is None:
        return False
    if dt.year < S.EARLIEST_YEAR:
        return False
    return dt <= now + timedelta(days=1)


def page_evidence(texts: Sequence[str]) -> list[date]:
    """The unambiguous (year-first) dates written in texts: the evidence for reading A/B/YYYY dates."""
    out = []
    for text in texts:
        for m in S.DATE_TEXT_RE.finditer(text):
            dt = _build(m.groups()[:3], SHANGHAI)
            if dt is not None:
                out.append(dt.date())
    return out
