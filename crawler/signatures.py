"""Content fingerprints (pure functions, no SQL): the exact content hash and the near-duplicate signature.

Near-duplicate signatures are MinHash over character shingles of the *extracted body* only. The byte
layout is storage/signatures.py's (one codec, shared with the story matcher in storage/stories.py): this
module computes the values and hands them to ``storage.signatures.encode``.

Short bodies carry their normalized lines so that two notices built from one boilerplate can be told apart
by an exact line rule instead of a noisy estimate (see ``storage.stories``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

import numpy as np

from storage.signatures import BYLINE_MARK, SIG_VERSION, encode, jaccard_estimate

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


SHINGLE = 4  # characters per shingle; chosen in bench/dedup.py (k=3..5 compared)
PERMUTATIONS = 128
SHORT_TEXT_CHARS = 800  # bodies shorter than this (normalized) carry their lines in the signature
MIN_SIGNATURE_CHARS = 8  # below this a body is compared by exact hash only

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
    tail = _tail(lines) if len(norm) < SHORT_TEXT_CHARS else b""
    return encode(SHINGLE, len(hashes), _minhash(hashes), tail)


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
            tail = _tail(lines) if norm_len < SHORT_TEXT_CHARS else b""
            results[idx] = encode(SHINGLE, len(hashes), row, tail)
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


__all__ = [
    "SIG_VERSION",
    "content_hash",
    "jaccard_estimate",
    "normalize_text",
    "signature",
    "signature_batch",
]
