"""Keyword watch definitions and matching on Chinese text, the way full-text search matches.

Text and watch words become the tokens of storage/search.py (CJK character bigrams plus run ends, Latin
words and numbers as words, case and width folded); a word matches where its tokens occur consecutively,
so a watch word matches exactly the articles the search box finds for it, without word segmentation.
Many watches are matched at once through an index of one required token per watch: only watches whose
token occurs in the article are checked.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import re2

from storage import search

logger = logging.getLogger(__name__)

REGEX_TEXT_MAX = 20_000  # characters of title + body a regex sees (bounds its worst case)
# Watch regexes run on RE2 (linear in the text, no backtracking): with the text capped above and the compiled
# program capped here, one evaluation is bounded (a 600-instruction program on 20,000 characters: ~0.1 s).
REGEX_PROGRAM_MAX = 600
REGEX_MEMORY = 8 << 20  # bytes RE2 may use for one pattern's automata
REGEX_BUDGET_SECONDS = 2.0  # regex time one watch may spend in one Matcher; past it the watch is switched off
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Watch:
    """One keyword watch: what to match, where, and whom to tell."""

    name: str
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    none_of: tuple[str, ...] = ()
    regex: str | None = None
    sites: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    digest_seconds: int | None = None
    max_age_seconds: int | None = None
    enabled: bool = True
    on: tuple[str, ...] = ("new",)  # events that alert: a new story, an edit or a removal of a matching one

    def definition(self) -> dict[str, Any]:
        """The JSON form stored in `watches.definition` (empty keys left out)."""
        out: dict[str, Any] = {
            "all": list(self.all_of),
            "any": list(self.any_of),
            "none": list(self.none_of),
            "regex": self.regex,
            "sites": list(self.sites),
            "regions": list(self.regions),
            "notify": list(self.notify),
            "digest_seconds": self.digest_seconds,
            "max_age_seconds": self.max_age_seconds,
            "on": list(self.on) if tuple(self.on) != ("new",) else None,
        }
        return {k: v for k, v in out.items() if v not in (None, [])}

    @classmethod
    def from_definition(cls, name: str, data: dict[str, Any], enabled: bool = True) -> Watch:
        """Rebuild a watch from its stored JSON form."""
        return cls(
            name=name,
            all_of=tuple(data.get("all", ())),
            any_of=tuple(data.get("any", ())),
            none_of=tuple(data.get("none", ())),
            regex=data.get("regex"),
            sites=tuple(data.get("sites", ())),
            regions=tuple(data.get("regions", ())),
            notify=tuple(data.get("notify", ())),
            digest_seconds=data.get("digest_seconds"),
            max_age_seconds=data.get("max_age_seconds"),
            enabled=enabled,
            on=tuple(data.get("on", ("new",))),
        )


def text_tokens(text: str | None) -> list[str]:
    """The tokens full-text search indexes for `text` (CJK bigrams, run ends, folded words)."""
    return _TOKEN.findall((search.index_tokens(text) or "").lower())


def compile_regex(pattern: str) -> Any:
    """The pattern compiled by RE2; ValueError (saying why) for what RE2 cannot run or a too-large program."""
    opts = re2.Options()
    opts.max_mem = REGEX_MEMORY
    opts.log_errors = False
    try:
        compiled = re2.compile(pattern, opts)
    except re2.error as exc:
        why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValueError(
            f"not a valid regular expression for RE2 ({why}); back-references and look-arounds are not "
            "supported (watch regexes run in linear time)"
        ) from exc
    if compiled.programsize > REGEX_PROGRAM_MAX:
        raise ValueError(
            f"too complex: compiles to {compiled.programsize} instructions (at most {REGEX_PROGRAM_MAX}); "
            "use fewer or smaller repetitions"
        )
    return compiled


class Term(NamedTuple):
    """A watch word compiled to the token sequence it must match."""

    text: str
    pattern: str  # " tok tok " (or " tok tok" when the last token is a prefix), searched in the joined text
    required: frozenset[str]  # tokens that must all occur (cheap prefilter)


def compile_term(term: str) -> Term | None:
    """Compile a word like search does (storage.search._phrase); None when it has no letters or digits."""
    word = search.fold_query_word(term)  # exactly as the search box folds it, so watches and search agree
    toks = text_tokens(word)
    if not word or not toks:
        return None
    prefix = False
    if search.is_cjk(word[-1]):
        if len(word) > 1 and search.is_cjk(word[-2]):
            toks = toks[:-1]  # a document's run may go on after the word: drop the run-end token
        else:
            prefix = True  # a lone last character starts a bigram or is a run end
    pattern = " " + " ".join(toks) + ("" if prefix else " ")
    return Term(term, pattern, frozenset(toks[:-1] if prefix else toks))


class _Doc:
    """One article's text prepared for matching, with memoized term lookups."""

    __slots__ = ("raw", "joined", "tokens", "_seen")

    def __init__(self, title: str | None, body: str | None) -> None:
        self.raw = f"{title or ''}\n{body or ''}"
        toks = text_tokens(self.raw)
        self.tokens = set(toks)
        self.joined = " " + " ".join(toks) + " "
        self._seen: dict[str, bool] = {}

    def has(self, term: Term) -> bool:
        found = self._seen.get(term.pattern)
        if found is None:
            found = term.required <= self.tokens and term.pattern in self.joined
            self._seen[term.pattern] = found
        return found


class _Compiled(NamedTuple):
    watch: Watch
    all_of: tuple[Term, ...]
    any_of: tuple[Term, ...]
    none_of: tuple[Term, ...]
    regex: Any  # an RE2 pattern, or None


class Matcher:
    """Watches compiled for matching many articles; candidates found through an index of one token each."""

    def __init__(self, watches: Iterable[Watch]) -> None:
        self.compiled: list[_Compiled] = []
        self._index: dict[str, list[int]] = {}
        self._always: list[int] = []
        self._regex_seconds: dict[int, float] = {}
        for w in watches:
            self._add(w)

    def _add(self, w: Watch) -> None:
        def terms(words: Sequence[str]) -> tuple[Term, ...]:
            return tuple(t for t in (compile_term(x) for x in words) if t is not None)

        regex = None
        if w.regex:
            try:
                regex = compile_regex(w.regex)
            except ValueError as exc:  # stored by an older version, or edited in the database
                logger.warning("watch %r: regex refused, watch ignored: %s", w.name, exc)
                return
        c = _Compiled(w, terms(w.all_of), terms(w.any_of), terms(w.none_of), regex)
        if not (c.all_of or c.any_of or c.regex):
            logger.warning("watch %r has nothing to match; ignored", w.name)
            return
        i = len(self.compiled)
        self.compiled.append(c)
        # One token that every matching text must contain: from the longest required word, else one per
        # any-word; a watch without such a token (lone characters, regex only) is tried on every article.
        anchored = [t for t in c.all_of if t.required]
        if anchored:
            best = max(anchored, key=lambda t: len(t.required))
            self._index.setdefault(max(best.required, key=len), []).append(i)
        elif c.any_of and not c.all_of and all(t.required for t in c.any_of):
            for tok in {max(t.required, key=len) for t in c.any_of}:
                self._index.setdefault(tok, []).append(i)
        else:
            self._always.append(i)

    def __len__(self) -> int:
        return len(self.compiled)

    def match(self, title: str | None, body: str | None, site: str | None = None,
              region: str | None = None) -> list[tuple[Watch, list[str]]]:  # fmt: skip
        """Watches matching an article's title and body (and site/region filters), with the matched words."""
        doc = _Doc(title, body)
        cands = set(self._always)
        for tok in self._index.keys() & doc.tokens:
            cands.update(self._index[tok])
        out = []
        for i in sorted(cands):
            found = self._check(i, doc, site, region)
            if found is not None:
                out.append((self.compiled[i].watch, found))
        return out

    def _check(self, i: int, doc: _Doc, site: str | None, region: str | None) -> list[str] | None:
        c = self.compiled[i]
        w = c.watch
        if w.sites and site not in w.sites:
            return None
        if w.regions and not any((region or "").startswith(r) for r in w.regions):
            return None
        if not all(doc.has(t) for t in c.all_of):
            return None
        anys = [t.text for t in c.any_of if doc.has(t)]
        if c.any_of and not anys:
            return None
        if any(doc.has(t) for t in c.none_of):
            return None
        found = [t.text for t in c.all_of] + anys
        if c.regex is not None:
            spent = self._regex_seconds.get(i, 0.0)
            if spent > REGEX_BUDGET_SECONDS:
                return None  # switched off for the rest of this evaluation (warned once, below)
            t0 = time.monotonic()
            m = c.regex.search(doc.raw[:REGEX_TEXT_MAX])
            spent += time.monotonic() - t0
            self._regex_seconds[i] = spent
            if spent > REGEX_BUDGET_SECONDS:
                logger.warning("watch %r: its regex used %.1f s; skipped for the rest of this evaluation",
                               w.name, spent)  # fmt: skip
            if m is None:
                return None
            found.append(m.group(0)[:40])
        return found
