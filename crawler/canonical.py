"""URL canonicalization (pure functions): one spelling per article URL, before any request.

Scheme and host case, default ports, fragments, tracking and session parameters, index pages, trailing
slashes, percent-encoding and a site's host aliases.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from collections.abc import Iterable, Mapping
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit, urlunsplit

from crawler.sitehosts import split_host

TRACKING_PARAMS = frozenset(
    {
        "spm", "from", "share", "share_token", "shareid", "isappinstalled", "wxshare", "scene", "clicktime",
        "enterid", "gclid", "fbclid", "yclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
        "jsessionid", "phpsessid", "aspsessionid", "sid", "sessionid", "session_id", "cfid", "cftoken",
        "timestamp", "_t", "t", "_", "rnd", "random",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "aspsessionid", "hmsr", "hmpl", "hmcu", "hmkw", "hmci")
DEFAULT_PORTS = {"http": 80, "https": 443}
INDEX_PAGES = (
    "index.html", "index.htm", "index.shtml", "index.jhtml", "index.php", "index.jsp", "index.asp",
    "index.aspx", "default.html", "default.htm", "default.aspx", "default.asp",
)  # fmt: skip
_SESSION_IN_PATH = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#;]*", re.I)
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
# RFC 3986 unreserved characters never need escaping; these plus sub-delims, ":" "@" "/" stay literal.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _fix_percent(segment: str, safe: str) -> str:
    """Escape what must be escaped, decode escapes of unreserved characters, upper-case the rest."""

    def unescape(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return ch if ch in _UNRESERVED else "%" + m.group(1).upper()

    # quote() leaves existing "%XX" alone only if "%" is safe; a stray "%" is escaped as "%25".
    parts = re.split(r"(%[0-9A-Fa-f]{2})", segment)
    out = [p if _PCT.fullmatch(p) else quote(p, safe=safe) for p in parts]
    return _PCT.sub(unescape, "".join(out))


def _host(parts: SplitResult) -> str:
    host = (parts.hostname or "").rstrip(".").lower()
    if host and not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    return f"[{host}]" if ":" in host else host


def canonicalize_url(url: str, aliases: Mapping[str, str] | None = None) -> str:
    """Canonical form of an article or list URL, used as its identity key before any request.

    Lower-cases scheme and host, drops default ports, fragments, user info, tracking and session
    parameters, ``index.html``-style pages and trailing slashes, resolves ``.``/``..`` segments,
    normalizes percent-escapes, sorts the query, and maps host aliases (``{"www.x.gov.cn": "x.gov.cn"}``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _host(parts)
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    if aliases:  # keys and targets are whole host[:port] forms (host_aliases), so a port never doubles
        netloc = aliases.get(netloc, netloc)
    path = _SESSION_IN_PATH.sub("", parts.path)
    path = _fix_percent(path, _PATH_SAFE) or "/"
    if not path.startswith("/"):
        path = "/" + path
    trailing = path.endswith("/")
    path = posixpath.normpath(path)
    if path.startswith("//"):  # normpath keeps a leading "//"
        path = "/" + path.lstrip("/")
    if trailing and path != "/":
        path += "/"
    base = path.rsplit("/", 1)[-1]
    if base.lower() in INDEX_PAGES:
        path = path[: -len(base)]
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, quote_via=quote, safe="/:@!$'()*,;~"), ""))


def netloc_key(host_or_netloc: str) -> str:
    """'Host[:port]' as canonical URLs write it: lower case, no trailing dot, no default port (80/443)."""
    got = split_host(host_or_netloc)
    if got is None:
        return host_or_netloc.strip().lower()
    host, port = got
    host = f"[{host}]" if ":" in host else host
    return host if port is None else f"{host}:{port}"


def host_aliases(canonical_host: str, aliases: Iterable[str]) -> dict[str, str]:
    """Alias map for canonicalize_url from a site's configured alias hosts (e.g. its ``www.`` form);
    keys and target are host[:port] (``localhost:8001`` → ``127.0.0.1:8001``)."""
    target = netloc_key(canonical_host)
    return {netloc_key(a): target for a in aliases if netloc_key(a) != target}
