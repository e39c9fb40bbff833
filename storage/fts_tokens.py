"""The text the full-text index holds: CJK runs as overlapping character bigrams, the rest as words.

`index_tokens` makes the text FTS5's unicode61 reads (the attachments' index, and what a query phrase
means); `index_texts` makes, for a whole batch in one vectorized pass, the same tokens already folded as
unicode61 would fold them, for articles_fts' cheaper ascii tokenizer (why: storage/search.py). Pure text
work with numpy; no database of ours.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np

TOKENIZE = "unicode61 remove_diacritics 2"  # what the tokens mean (the attachments' index uses it as is)

# CJK ideographs (incl. extension A, compatibility and the supplementary planes), 々〆〇, kana, hangul.
_CJK_RANGES = ((0x3005, 0x3007), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
               (0xF900, 0xFAFF), (0x20000, 0x3134F))  # fmt: skip
_SPACE = 32
_UNKNOWN = 0xFFFFFFFF  # not yet learnt from unicode61 (_index_chars)
_TRAILING = re.compile(r"[\W_]+$")  # punctuation after a query word's last letter


def is_cjk(ch: str) -> bool:
    """True for a character indexed as bigrams (CJK ideograph, kana, hangul)."""
    return any(lo <= ord(ch) <= hi for lo, hi in _CJK_RANGES)


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code point: its NFKC form where that is one character (full-width Latin and digits, compatibility
    ideographs; built once, ~50 ms), whether that is CJK, and what unicode61 makes of it (_index_chars)."""
    fold = np.arange(0x110000, dtype="<u4")
    for c in range(0x80, 0x10000):
        if not 0xD800 <= c < 0xE000:
            folded = unicodedata.normalize("NFKC", chr(c))
            if len(folded) == 1:
                fold[c] = ord(folded)
    cjk = np.zeros(0x110000, dtype=bool)
    for lo, hi in _CJK_RANGES:
        cjk[lo : hi + 1] = True
    as_unicode61 = np.where(fold < 0x80, fold, _UNKNOWN).astype("<u4")  # ascii reads ASCII as unicode61 does
    return fold, np.take(cjk, fold), as_unicode61


def fold_codepoints(text: str) -> np.ndarray:
    """Code points of `text` with the one-character NFKC folds applied."""
    return np.take(_tables()[0], np.frombuffer(text.encode("utf-32-le"), dtype="<u4"))


def _index_chars(raw: np.ndarray) -> np.ndarray:
    """What unicode61 makes of each code point's fold: itself, its own fold (É -> e), 0 (dropped: combining
    marks) or a space (a separator). A memo of SQLite's behaviour, learnt per code point on first sight."""
    fold, _, as_unicode61 = _tables()
    chars = np.take(as_unicode61, raw)
    if chars.size and chars.max() == _UNKNOWN:
        new = np.unique(raw[chars == _UNKNOWN])
        as_unicode61[new] = _learn(np.take(fold, new).tolist())
        chars = np.take(as_unicode61, raw)
    return chars


def _learn(cps: list[int]) -> list[int]:
    """Ask SQLite's unicode61 what it makes of each code point X between two letters: the token "qXq" (X
    folded, maybe to itself), "qq" (X dropped) or two tokens "q" (X a separator)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='{TOKENIZE}')")
        conn.execute("CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, 'instance')")
        conn.executemany("INSERT INTO probe (rowid, x) VALUES (?, ?)", enumerate(f"q{chr(c)}q" for c in cps))
        terms: dict[int, list[str]] = {}
        for doc, term in conn.execute("SELECT doc, term FROM probe_terms"):
            terms.setdefault(doc, []).append(term)
    finally:
        conn.close()
    return [
        _SPACE if t[0] == "q" else 0 if t[0] == "qq" else ord(t[0][1])
        for t in (terms[i] for i in range(len(cps)))
    ]


def _render(texts: Sequence[str], *, for_index: bool) -> list[str]:
    """index_tokens of each text (index_texts with for_index), all of them in one vectorized pass."""
    joined = "".join(texts)
    if not joined:
        return ["" for _ in texts]
    # Vectorized over the batch: every CJK character c becomes " c<next CJK character of its text, or
    # nothing> ", so "长春市" reads "长春 春市 市"; other characters stay where they are. For the index,
    # "nothing" is a space (the same tokens, and no pass to drop it).
    fold, cjk_of, _ = _tables()
    raw = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
    cjk = np.take(cjk_of, raw)
    chars = _index_chars(raw) if for_index else np.take(fold, raw)
    ends = np.cumsum([len(t) for t in texts])
    pair = cjk[:-1] & cjk[1:]
    pair[ends[(ends > 0) & (ends < raw.size)] - 1] = False  # no bigram across two texts
    follow = np.full(raw.size, _SPACE if for_index else 0, dtype="<u4")
    np.copyto(follow[:-1], chars[1:], where=pair)
    width = cjk * 3 + 1  # a CJK character takes four places: space, itself, its follower, space
    at = np.cumsum(width)
    at -= width
    out = np.full(int(at[-1] + width[-1]), _SPACE, dtype="<u4")
    np.put(out, at + cjk, chars)
    some = np.flatnonzero(cjk)
    np.put(out, np.take(at, some) + 2, np.take(follow, some))
    starts = np.append(at, out.size)[np.append(0, ends)]
    if not (for_index and chars.all()):  # drop the nothings (and what unicode61 drops)
        kept = out != 0
        starts = np.append(0, np.cumsum(kept))[starts]
        out = out[kept]
    flat = out.tobytes().decode("utf-32-le")
    bounds = starts.tolist()
    return [flat[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def index_tokens(text: str | None) -> str | None:
    """The text FTS5 indexes for `text`: each CJK run as its bigrams plus its last character, rest as is."""
    return None if text is None else _render([text], for_index=False)[0]


def index_texts(texts: Iterable[str | None]) -> list[str | None]:
    """index_tokens of each text, every character as unicode61 reads it: what articles_fts (ascii) indexes."""
    texts = list(texts)
    done = iter(_render([t for t in texts if t is not None], for_index=True))
    return [None if t is None else next(done) for t in texts]


def index_text(text: str | None) -> str | None:
    """index_texts of one text (the SQL function TOKENS_FUNCTION, for the delete triggers)."""
    return index_texts([text])[0]


def read_as_unicode61(tokens: str) -> str:
    """The text with every character as unicode61 reads it (folded, dropped or a separator)."""
    chars = _index_chars(np.frombuffer(tokens.encode("utf-32-le"), dtype="<u4"))
    return chars[chars != 0].tobytes().decode("utf-32-le")


def fold_query_word(word: str) -> str:
    """A query word folded as documents are (one-character NFKC folds), trailing punctuation removed."""
    return _TRAILING.sub("", fold_codepoints(word.strip()).tobytes().decode("utf-32-le"))
