"""The near-duplicate signature's bytes: one codec for the encoder (crawler/signatures.py) and the story
matcher (storage/stories.py). Pure (numpy only), so both layers can use it.

Layout::

    0      1 byte   format version (SIG_VERSION)
    1      1 byte   shingle length k
    2      2 bytes  number of permutations P (uint16 little-endian)
    4      4 bytes  number of distinct shingles (uint32 little-endian)
    8      4*P      MinHash values (uint32 little-endian)
    8+4P   rest     short bodies only: normalized text lines, UTF-8, joined by "\\n"; byline lines
                    (来源, 责任编辑, page chrome) start with BYLINE_MARK
"""

from __future__ import annotations

import struct
from typing import NamedTuple

import numpy as np

SIG_VERSION = 1
HEADER = struct.Struct("<BBHI")
HEADER_SIZE = HEADER.size  # MinHash values start here
COMPARABLE = 4  # leading bytes (version, k, P) two signatures must share to be compared
BYLINE_MARK = "#"  # cannot occur in normalized text, which has no punctuation


class Signature(NamedTuple):
    """A parsed signature: header, MinHash values, and short-body lines."""

    head: bytes
    shingles: int
    values: np.ndarray
    lines: tuple[str, ...] | None

    @property
    def text_len(self) -> int | None:
        """Normalized body length for short bodies (None: long body, lines not carried)."""
        if self.lines is None:
            return None
        return sum(len(line.lstrip(BYLINE_MARK)) for line in self.lines)


def encode(shingle: int, shingles: int, values: np.ndarray, tail: bytes = b"") -> bytes:
    """Signature bytes from the shingle length, distinct shingle count, MinHash values and short-body lines."""
    return HEADER.pack(SIG_VERSION, shingle, len(values), shingles) + values.astype("<u4").tobytes() + tail


def permutations(blob: bytes) -> int:
    """Number of MinHash values in a signature."""
    return int(HEADER.unpack_from(blob, 0)[2])


def values_end(blob: bytes) -> int:
    """Offset just past a signature's MinHash values (where the short-body lines start)."""
    return HEADER_SIZE + 4 * permutations(blob)


def parse(blob: bytes) -> Signature:
    """Split signature bytes into their parts."""
    _version, _k, perms, shingles = HEADER.unpack_from(blob, 0)
    end = HEADER_SIZE + 4 * perms
    values = np.frombuffer(blob, dtype="<u4", count=perms, offset=HEADER_SIZE)
    tail = blob[end:]
    lines = tuple(tail.decode("utf-8").split("\n")) if tail else None
    return Signature(bytes(blob[:COMPARABLE]), shingles, values, lines)


def jaccard_estimate(a: bytes, b: bytes) -> float:
    """MinHash estimate of the shingle-set Jaccard similarity of two signatures (0 if incomparable)."""
    if a[:COMPARABLE] != b[:COMPARABLE]:
        return 0.0
    p = permutations(a)
    va = np.frombuffer(a, dtype="<u4", count=p, offset=HEADER_SIZE)
    vb = np.frombuffer(b, dtype="<u4", count=p, offset=HEADER_SIZE)
    return float(np.count_nonzero(va == vb)) / p
