"""URL canonicalization and content fingerprints (pure functions, no SQL).

Near-duplicate signatures are MinHash over character shingles of the *extracted body* only. Layout of
``signature()`` bytes (read by ``storage.stories``, which must not import this module)::

    0      1 byte   format version (SIG_VERSION)
    1      1 byte   shingle length k
    2      2 bytes  number of permutations P (uint16 little-endian)
    4      4 bytes  number of distinct shingles (uint32 little-endian)
    8      4*P      MinHash values (uint32 little-endian)
    8+4P   rest     short bodies only: normalized text lines, UTF-8, joined by "\\n"; byline lines
                    (来源, 责任编辑, page chrome) start with "#"

Short bodies carry their normalized lines so that two notices built from one boilerplate can be told apart
by an exact line rule instead of a noisy estimate (see ``storage.stories``).
"""

from __future__ import annotations

import contextlib
import hashlib
import posixpath
import re
import struct
import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit, urlunsplit

import numpy as np

# -- URLs -------------------------------------------------------------------------------------

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


def _host(parts: SplitResult, aliases: Mapping[str, str] | None) -> str:
    host = (parts.hostname or "").rstrip(".").lower()
    if host and not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    if aliases:
        host = aliases.get(host, host)
    return f"[{host}]" if ":" in host else host


def canonicalize_url(url: str, aliases: Mapping[str, str] | None = None) -> str:
    """Canonical form of an article or list URL, used as its identity key before any request.

    Lower-cases scheme and host, drops default ports, fragments, user info, tracking and session
    parameters, ``index.html``-style pages and trailing slashes, resolves ``.``/``..`` segments,
    normalizes percent-escapes, sorts the query, and maps host aliases (``{"www.x.gov.cn": "x.gov.cn"}``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _host(parts, aliases)
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
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


def host_aliases(canonical_host: str, aliases: Iterable[str]) -> dict[str, str]:
    """Alias map for canonicalize_url from a site's configured alias hosts (e.g. its ``www.`` form)."""
    target = canonical_host.lower().rstrip(".")
    return {a.lower().rstrip("."): target for a in aliases if a.lower().rstrip(".") != target}


# -- text fingerprints ------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize_text(text: str) -> str:
    """NFKC, with whitespace and punctuation removed: the basis of the exact content hash."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or ""))


def content_hash(text: str) -> str | None:
    """Hash of the normalized body text, or None for an empty body."""
    norm = normalize_text(text)
    if not norm:
        return None
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=16).hexdigest()


SIG_VERSION = 1
SHINGLE = 4  # characters per shingle; chosen in bench/dedup.py (k=3..5 compared)
PERMUTATIONS = 128
SHORT_TEXT_CHARS = 800  # bodies shorter than this (normalized) carry their lines in the signature
MIN_SIGNATURE_CHARS = 8  # below this a body is compared by exact hash only
_HEADER = struct.Struct("<BBHI")

_rng = np.random.Generator(np.random.PCG64(20240501))
# Multiply-add-shift hashing (Dietzfelbinger): h_i(x) = (a_i * x + b_i) >> 32 over uint64, a_i odd.
_PERM_A = (_rng.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_PERM_B = _rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT32 = np.uint64(32)


def _shingle_hashes(norm: str, k: int = SHINGLE) -> np.ndarray:
    """Distinct 32-bit hashes of the k-character shingles of a normalized text."""
    cps = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(cps) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(k):
            h = (h ^ cps[i : i + n]) * _MIX
        h ^= h >> _SHIFT32
        h *= _MIX
    return np.unique(h >> _SHIFT32)


def _minhash(hashes: np.ndarray) -> np.ndarray:
    # min commutes with the final ">> 32" (monotone), so the shift runs on 128 values only.
    with np.errstate(over="ignore"):
        perm = np.multiply(_PERM_A[:, None], hashes[None, :])
        perm += _PERM_B[:, None]
        return (perm.min(axis=1) >> _SHIFT32).astype("<u4")


BYLINE_PREFIXES = (
    "来源", "信息来源", "文章来源", "稿件来源", "稿源", "编辑", "责任编辑", "责编", "作者", "审核", "审校",
    "校对", "供稿", "发布时间", "发布日期", "发布机构", "记者", "通讯员", "摄影", "打印", "关闭", "分享",
    "字号", "浏览次数", "点击数", "阅读次数", "扫一扫", "转载",
)  # fmt: skip
BYLINE_MAX_CHARS = 40
BYLINE_MARK = "#"  # cannot occur in normalized text, which has no punctuation


def _lines(text: str) -> list[str]:
    out = [normalize_text(line) for line in (text or "").splitlines()]
    return [line for line in out if line]


def _tail(lines: list[str]) -> bytes:
    """Lines of a short body, bylines (来源, 责任编辑, page chrome words) marked with BYLINE_MARK."""
    marked = [
        BYLINE_MARK + line if len(line) <= BYLINE_MAX_CHARS and line.startswith(BYLINE_PREFIXES) else line
        for line in lines
    ]
    return "\n".join(marked).encode("utf-8")


def signature(text: str) -> bytes | None:
    """Near-duplicate signature of the body text (None when too short to compare)."""
    lines = _lines(text)
    norm = "".join(lines)
    if len(norm) < MIN_SIGNATURE_CHARS:
        return None
    hashes = _shingle_hashes(norm)
    head = _HEADER.pack(SIG_VERSION, SHINGLE, PERMUTATIONS, len(hashes))
    tail = _tail(lines) if len(norm) < SHORT_TEXT_CHARS else b""
    return head + _minhash(hashes).tobytes() + tail


def signature_batch(texts: Iterable[str]) -> list[bytes | None]:
    """``signature()`` of many texts; the same bytes, computed in larger numpy steps."""
    results: list[bytes | None] = []
    pending: list[tuple[int, list[str], np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        allh = np.concatenate([p[2] for p in pending])
        with np.errstate(over="ignore"):
            perm = np.multiply(_PERM_A[:, None], allh[None, :])
            perm += _PERM_B[:, None]
        starts = np.cumsum([0] + [len(p[2]) for p in pending[:-1]])
        mins = (np.minimum.reduceat(perm, starts, axis=1) >> _SHIFT32).astype("<u4").T
        for row, (idx, lines, hashes) in zip(mins, pending, strict=True):
            norm_len = sum(len(line) for line in lines)
            head = _HEADER.pack(SIG_VERSION, SHINGLE, PERMUTATIONS, len(hashes))
            tail = _tail(lines) if norm_len < SHORT_TEXT_CHARS else b""
            results[idx] = head + row.tobytes() + tail
        pending.clear()

    budget = 0
    for text in texts:
        lines = _lines(text)
        norm = "".join(lines)
        results.append(None)
        if len(norm) < MIN_SIGNATURE_CHARS:
            continue
        hashes = _shingle_hashes(norm)
        if not len(hashes):
            continue
        pending.append((len(results) - 1, lines, hashes))
        budget += len(hashes)
        if budget > 8_000:
            flush()
            budget = 0
    flush()
    return results


def jaccard_estimate(a: bytes, b: bytes) -> float:
    """MinHash estimate of the shingle-set Jaccard similarity of two signatures (0 if incomparable)."""
    if a[:4] != b[:4]:
        return 0.0
    p = struct.unpack_from("<H", a, 2)[0]
    va = np.frombuffer(a, dtype="<u4", count=p, offset=8)
    vb = np.frombuffer(b, dtype="<u4", count=p, offset=8)
    return float(np.count_nonzero(va == vb)) / p


__all__ = [
    "canonicalize_url",
    "content_hash",
    "host_aliases",
    "jaccard_estimate",
    "normalize_text",
    "signature",
    "signature_batch",
]
