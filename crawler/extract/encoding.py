"""Bytes to text: BOM, valid UTF-8, HTTP charset, meta charset, then detection."""

from __future__ import annotations

import codecs
import logging
import re

logger = logging.getLogger(__name__)

META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.I,
)
# Legacy Chinese charsets are decoded with their superset so that rare characters survive.
CODEC_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "ms936": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "unicode": "utf-8",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
}
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
META_SCAN_BYTES = 8192
# Error share (per non-ASCII byte) a declared charset may show and still be trusted (damaged pages).
TOLERATED_ERROR_SHARE = 0.01
DETECTION_SAMPLE_BYTES = 64 * 1024


def normalize_codec(name: str | None) -> str | None:
    """Python codec name for a declared charset, or None when unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = CODEC_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    canonical = info.name
    return CODEC_ALIASES.get(canonical, canonical)


def meta_charset(body: bytes) -> str | None:
    """Charset declared in a <meta> or XML declaration near the start of the document."""
    m = META_CHARSET_RE.search(body[:META_SCAN_BYTES])
    if not m:
        return None
    return (m.group(1) or m.group(2)).decode("ascii", "ignore")


def _errors(body: bytes, codec: str) -> int:
    """Count replacement characters produced when decoding with codec (0 means a clean decode)."""
    try:
        return body.decode(codec, errors="replace").count("\ufffd")
    except (LookupError, ValueError):
        return len(body) or 1


def _clean(body: bytes, codec: str) -> str | None:
    """The text when body decodes cleanly in codec, else None (one decode serves test and result)."""
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _non_ascii(body: bytes) -> int:
    return len(body) - len(body.translate(None, bytes(range(128))))


def _detect(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - dependency of the project
        return None
    best = from_bytes(body[:DETECTION_SAMPLE_BYTES]).best()
    return normalize_codec(best.encoding) if best is not None else None


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns (text, codec actually used)."""
    for bom, codec in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace"), codec
    non_ascii = _non_ascii(body)
    if non_ascii == 0:
        return body.decode("ascii"), normalize_codec(declared) or "utf-8"
    # Valid multi-byte UTF-8 is almost never legacy-encoded text: it wins over a wrong declaration.
    text = _clean(body, "utf-8")
    if text is not None:
        return text, "utf-8"
    candidates: list[str] = []
    # GB18030 is the default guess for an undeclared Chinese page (it decodes GB2312 and GBK too).
    for name in (declared, meta_charset(body), "gb18030"):
        norm = normalize_codec(name)
        if norm and norm != "utf-8" and norm not in candidates:
            candidates.append(norm)
    for codec in candidates:
        text = _clean(body, codec)
        if text is not None:
            return text, codec
    # A damaged page in its declared charset: accept a handful of bad bytes.
    for codec in candidates:
        if _errors(body, codec) <= max(2, non_ascii * TOLERATED_ERROR_SHARE):
            logger.debug("decoding with %s despite a few invalid bytes", codec)
            return body.decode(codec, errors="replace"), codec
    detected = _detect(body)
    tried = [*candidates, "utf-8", "gb18030"]
    if detected and detected not in tried:
        tried.insert(0, detected)
    # Fewest undecodable runs wins; earlier candidates win ties.
    scored = sorted((_errors(body, c), i, c) for i, c in enumerate(tried))
    codec = scored[0][2]
    if candidates and codec != candidates[0]:
        logger.debug("declared charset %s overridden by %s", candidates[0], codec)
    return body.decode(codec, errors="replace"), codec
