"""JSON and JSONP list interfaces: parse the body, find the item list (configured or detected), page on.

Pure functions over bytes/str; no Scrapy. A configured source names the item list (`items = "data.list"`)
and the URL, title and date fields; without them the list is found automatically: the largest array of
objects whose members carry a URL-like and a date-like value. Written here because no library does this
shape detection; the JSON itself is read by the standard library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.extract.dates import parse_date

MAX_JSON_BYTES = 20 * 1024 * 1024
# `callback({...});`, `jQuery123_456({...})`, `var data = {...};`, `/**/ result({...})`
_JSONP = re.compile(rb"^\s*(?:/\*\*/\s*)?(?:var\s+[\w$]+\s*=\s*|[\w$.]+\s*\(\s*)(.*?)\s*\)?\s*;?\s*$", re.S)
_URL_VALUE = re.compile(
    r"^(https?://|//|/|\./|\.\./)[^\s<>\"']*$|^[\w./-]+\.(s?html?|jhtml|jsp|php|aspx?)(\?\S*)?$", re.I
)
_DATE_VALUE = re.compile(r"^\s*((19|20)\d{2}[-/.年]\d{1,2}|1\d{9}(\d{3})?\s*$|(19|20)\d{6}\b)")
_URL_NAMES = ("url", "link", "href", "docurl", "puburl", "articleurl", "detailurl", "weburl", "path")
_TITLE_NAMES = ("title", "name", "subject", "doctitle", "maintitle", "biaoti")
_DATE_NAMES = ("date", "time", "pub", "publish", "created", "docreltime", "fbrq", "rq")
_PAGE_PARAMS = ("page", "pageno", "pagenum", "pageindex", "currentpage", "curpage", "pn", "p", "pagenumber")
# article fields an item may seed (the rest of the article still comes from its page)
SEED_FIELDS = ("title", "published_at", "source", "author", "column_name", "description", "keywords",
               "doc_number", "index_number", "issuer", "written_at", "subject", "validity")  # fmt: skip
API_KEYS = {"items", "link", "title", "date", "fields", "first_page"}


class ApiError(ValueError):
    """The body is not JSON/JSONP, or holds no list of linked items where one was expected."""


@dataclass(frozen=True)
class ApiSpec:
    """Where the items are in a list interface's answer; None fields are detected per answer."""

    items: str | None = None
    link: str | None = None
    title: str | None = None
    date: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    first_page: int = 1


@dataclass(frozen=True)
class ApiItem:
    """One entry of a list interface: the article URL and the values that seed its article."""

    url: str
    seed: Mapping[str, Any]


def load_json(body: bytes) -> Any:
    """The JSON value of a JSON or JSONP body; ApiError when it is neither."""
    if len(body) > MAX_JSON_BYTES:
        raise ApiError(f"answer larger than {MAX_JSON_BYTES} bytes")
    data = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    candidates = [data]
    if data[:1] not in (b"{", b"["):
        m = _JSONP.match(data)
        if m:
            candidates.append(m.group(1).rstrip(b"); \t\r\n"))
    for chunk in candidates:
        for enc in ("utf-8", "gb18030"):
            try:
                return json.loads(chunk.decode(enc))
            except (UnicodeDecodeError, ValueError):
                continue
    raise ApiError("not JSON or JSONP")


def looks_like_json(body: bytes, content_type: str = "") -> bool:
    """Cheap test before parsing: a JSON(P) content type, or a body opening like JSON or a callback."""
    head = body[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
    if "json" in content_type or "javascript" in content_type:
        return True
    return head[:1] in (b"{", b"[") or bool(re.match(rb"^(/\*\*/\s*)?[\w$.]+\s*\(\s*[\[{]", head))


def _arrays(value: Any, path: str = "", depth: int = 0) -> Iterator[tuple[str, list[Any]]]:
    """Every array of objects inside value, with its dotted path (depth-limited)."""
    if depth > 6:
        return
    if isinstance(value, list):
        if value and sum(isinstance(v, dict) for v in value) >= max(1, len(value) // 2):
            yield path, value
        for i, v in enumerate(value[:3]):
            if isinstance(v, dict | list):
                yield from _arrays(v, f"{path}.{i}" if path else str(i), depth + 1)
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict | list):
                yield from _arrays(v, f"{path}.{k}" if path else str(k), depth + 1)


def at_path(value: Any, path: str | None) -> Any:
    """value["a"]["b"][0] for path "a.b.0"; the value itself for an empty path; None when absent."""
    for part in (path or "").split(".") if path else []:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _is_url(v: Any) -> bool:
    return isinstance(v, str) and len(v) < 2000 and bool(_URL_VALUE.match(v.strip()))


def _is_date(v: Any) -> bool:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return 1e9 <= v < 1e13
    return isinstance(v, str) and len(v) < 40 and bool(_DATE_VALUE.match(v))


def _named(key: str, names: tuple[str, ...]) -> bool:
    k = key.lower().replace("_", "")
    return any(k == n or k.endswith(n) or k.startswith(n) for n in names)


def _best_key(rows: list[dict[str, Any]], test: Any, names: tuple[str, ...]) -> str | None:
    """The key whose values pass `test` in most rows; a conventional name breaks ties."""
    counts: dict[str, int] = {}
    for row in rows:
        for k, v in row.items():
            if test(v):
                counts[k] = counts.get(k, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda k: (counts[k], _named(k, names), -len(k)))


def _title_key(rows: list[dict[str, Any]], skip: set[str]) -> str | None:
    """A conventionally named text field, else the text field with the longest values."""
    lengths: dict[str, list[int]] = {}
    for row in rows:
        for k, v in row.items():
            if k not in skip and isinstance(v, str) and v.strip() and not _is_url(v) and not _is_date(v):
                lengths.setdefault(k, []).append(len(v.strip()))
    named = [k for k in lengths if _named(k, _TITLE_NAMES) and len(lengths[k]) * 2 >= len(rows)]
    if named:
        return min(named, key=len)
    usable = {
        k: sum(v) / len(v) for k, v in lengths.items() if len(v) * 2 >= len(rows) and sum(v) / len(v) < 200
    }
    return max(usable, key=lambda k: usable[k]) if usable else None


def detect(value: Any) -> ApiSpec | None:
    """Find the list of linked, dated objects in a JSON value: (items path, link, title, date) or None."""
    best: tuple[float, ApiSpec] | None = None
    for path, arr in _arrays(value):
        rows = [r for r in arr if isinstance(r, dict)]
        link = _best_key(rows, _is_url, _URL_NAMES)
        date = _best_key(rows, _is_date, _DATE_NAMES)
        if link is None or date is None:
            continue
        share = sum(1 for r in rows if _is_url(r.get(link))) / len(rows)
        dated = sum(1 for r in rows if _is_date(r.get(date))) / len(rows)
        if share < 0.5 or dated < 0.5:
            continue
        score = len(rows) * share * dated
        spec = ApiSpec(items=path, link=link, date=date, title=_title_key(rows, {link, date}))
        if best is None or score > best[0]:
            best = (score, spec)
    return best[1] if best else None


def _date_value(v: Any) -> str | None:
    if isinstance(v, int | float) and not isinstance(v, bool):
        v = str(int(v))
    dt = parse_date(str(v)) if v not in (None, "") else None
    return dt.isoformat() if dt else None


def items(body: bytes, base_url: str, spec: ApiSpec) -> tuple[ApiSpec, list[ApiItem]]:
    """The items of one answer (spec filled in by detection where it leaves fields open)."""
    value = load_json(body)
    if spec.items is None or spec.link is None:
        found = detect(value if spec.items is None else at_path(value, spec.items))
        if found is None:
            raise ApiError("no list of objects with URL and date fields found")
        items_path = (
            found.items if spec.items is None else ".".join(p for p in (spec.items, found.items) if p)
        )
        spec = ApiSpec(
            items=items_path,
            link=spec.link or found.link,
            title=spec.title or found.title,
            date=spec.date or found.date,
            fields=spec.fields,
            first_page=spec.first_page,
        )
    arr = at_path(value, spec.items)
    if arr is None:
        return spec, []  # an empty page (no list key) ends the paging
    if not isinstance(arr, list):
        raise ApiError(f"{spec.items!r} is not a list")
    out = []
    for row in arr:
        if not isinstance(row, dict):
            continue
        link = row.get(spec.link) if spec.link else None
        if not isinstance(link, str) or not link.strip():
            continue
        url = urljoin(base_url, link.strip())
        if not url.startswith(("http://", "https://")):
            continue
        seed: dict[str, Any] = {}
        if spec.title and isinstance(row.get(spec.title), str):
            seed["title"] = " ".join(row[spec.title].split()) or None
        if spec.date:
            seed["published_at"] = _date_value(row.get(spec.date))
        for name, key in spec.fields.items():
            v = row.get(key)
            if v not in (None, ""):
                seed[name] = _date_value(v) if name == "written_at" else " ".join(str(v).split())
        out.append(ApiItem(url.split("#", 1)[0], {k: v for k, v in seed.items() if v}))
    return spec, out


def page_url(template: str, spec: ApiSpec, page: int) -> str | None:
    """URL of page `page` (0-based) of a list interface; None when it cannot be paged.

    A `{page}` in the configured URL is replaced by first_page + page; otherwise a page-like query
    parameter (page, pageNo, pageIndex, curPage, p …) is counted on from its value in the URL.
    """
    if "{page}" in template:
        return template.replace("{page}", str(spec.first_page + page))
    parts = urlsplit(template)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for i, (k, v) in enumerate(query):
        if k.lower() in _PAGE_PARAMS and v.isdigit():
            if page == 0:
                return template
            query[i] = (k, str(int(v) + page))
            return urlunsplit(parts._replace(query=urlencode(query)))
    return template if page == 0 else None


def check_config(src: Mapping[str, Any], error: Any) -> ApiSpec:
    """The ApiSpec of a source table; each bad key reported through error(key, message)."""
    spec: dict[str, Any] = {}
    for key in ("items", "link", "title", "date"):
        v = src.get(key)
        if v is not None and not (isinstance(v, str) and v.strip()):
            error(key, "expected a field name (or dotted path) string")
        elif v is not None:
            spec[key] = v.strip()
    fields = src.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) and v for v in fields.values()):
        error("fields", 'expected a table of article field = "item key", e.g. { issuer = "puborg" }')
        fields = {}
    for name in sorted(set(fields) - set(SEED_FIELDS)):
        error(f"fields.{name}", f"not an article field (allowed: {', '.join(SEED_FIELDS)})")
    first = src.get("first_page", 1)
    if not isinstance(first, int) or isinstance(first, bool) or first < 0:
        error("first_page", "expected a non-negative integer")
        first = 1
    if "link" in spec and "items" not in spec:
        error("items", "give the item list's path too when naming its link field")
    return ApiSpec(fields={k: v for k, v in fields.items() if k in SEED_FIELDS}, first_page=first, **spec)
