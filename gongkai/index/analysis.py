"""Chinese text analysis shared by every index adapter: normalisation, search terms, highlighting.

Text is normalised (Unicode NFKC, then case-folded) and cut into terms: a run of Latin
letters or digits is one word (``PM2.5``, ``2026``), a run of Chinese characters gives its
overlapping character bigrams (``发展改革`` → ``发展 展改 改革``). Documents are indexed with
the bigrams *and* the single characters, so that a one-character query (``税``, the ``年``
of ``2026年``) finds them too; queries use bigrams, and a lone character as itself.

>>> query_terms("关于2026年PM2.5")
['关于', '2026', '年', 'pm2.5']
>>> highlight("<b>发展改革</b>委员会", query_terms("发展改革"))
'&lt;b&gt;<mark>发展改革</mark>&lt;/b&gt;委员会'
"""

from __future__ import annotations

import html
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "MAX_QUERY_TERMS",
    "SNIPPET_CHARS",
    "Normalized",
    "Token",
    "highlight",
    "index_terms",
    "normalize",
    "normalize_with_offsets",
    "query_terms",
    "snippet",
    "tokens",
]

#: A query keeps at most this many distinct terms, so that no query can cost without bound.
MAX_QUERY_TERMS = 256
#: About how many characters of the body a snippet shows.
SNIPPET_CHARS = 120
#: How far before the first match a snippet starts, so the match is read in context.
_SNIPPET_LEAD = 30
_ELLIPSIS = "…"

# 〇 (used in dates: 二〇二六年), Ext A, the URO, compatibility ideographs, Ext B–H.
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A word: letters/digits that are not Chinese; "2.5" and "PM2.5" stay one word.
_WORD = rf"(?:(?![{_CJK}])[^\W_])"
_TOKEN_RUN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>{_WORD}*[0-9](?:\.[0-9]+)+|{_WORD}+)")
_WORD_CHAR = re.compile(rf"{_WORD}|\.")
# Characters known to normalise one-to-one and never to combine with what follows them:
# ASCII, CJK symbols and punctuation (less the tone marks), CJK ideographs, full-width
# ASCII. (tests/unit/test_analysis.py checks this claim character by character.)
_ONE_TO_ONE = re.compile("[\x00-\x7f\u3000-\u3029\u3030-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]+")


class Token(NamedTuple):
    """A term and where it is in the normalised text (``start`` inclusive, ``end`` exclusive)."""

    term: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text and, for each of its characters, the span of the original it came from."""

    text: str
    starts: array[int]
    ends: array[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind ``text[start:end]`` (``end > start``)."""
        return self.starts[start], self.ends[end - 1]


def normalize(text: str) -> str:
    """NFKC, then case folding: ``ＰＭ２．５`` and ``pm2.5`` are the same text."""
    return normalize_with_offsets(text).text


def normalize_with_offsets(text: str) -> Normalized:
    """Normalise ``text``, remembering where each output character came from (for highlighting).

    NFKC is applied cluster by cluster (a character and the combining marks after it), which
    agrees with whole-string NFKC for all but exotic input and lets matches be mapped back.
    """
    out: list[str] = []
    starts: array[int] = array("q")
    ends: array[int] = array("q")

    def one_to_one(lo: int, hi: int) -> None:
        out.append(unicodedata.normalize("NFKC", text[lo:hi]).casefold())
        starts.extend(range(lo, hi))
        ends.extend(range(lo + 1, hi + 1))

    def by_cluster(lo: int, hi: int) -> None:
        for c_lo, c_hi in _clusters(text, lo, hi):
            piece = unicodedata.normalize("NFKC", text[c_lo:c_hi]).casefold()
            out.append(piece)
            starts.extend(array("q", [c_lo]) * len(piece))
            ends.extend(array("q", [c_hi]) * len(piece))

    done = 0
    for run in _ONE_TO_ONE.finditer(text):
        lo, hi = run.span()
        if hi < len(text) and unicodedata.combining(text[hi]):
            hi -= 1  # "e" + U+0301 is one cluster: é
        by_cluster(done, lo)
        one_to_one(lo, hi)
        done = hi
    by_cluster(done, len(text))
    return Normalized("".join(out), starts, ends)


def _clusters(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    start = lo
    for i in range(lo + 1, hi):
        if not unicodedata.combining(text[i]):
            yield start, i
            start = i
    if start < hi:
        yield start, hi


def tokens(normalized: str, *, unigrams: bool, pos: int = 0) -> Iterator[Token]:
    """The terms of already normalised text, in order of position, starting at ``pos``.

    With ``unigrams`` every Chinese character is a term besides the bigrams (index side);
    without, a character is a term only when it stands alone (query side).
    """
    for run in _TOKEN_RUN.finditer(normalized, pos):
        lo, hi = run.span()
        if run.lastgroup == "word":
            yield Token(run.group(), lo, hi)
            continue
        for i in range(lo, hi):
            if i + 1 < hi:
                yield Token(normalized[i : i + 2], i, i + 2)
            if unigrams or hi - lo == 1:
                yield Token(normalized[i], i, i + 1)


def index_terms(text: str) -> list[str]:
    """Terms to index ``text`` under: words, Chinese bigrams and single Chinese characters."""
    return [token.term for token in tokens(normalize(text), unigrams=True)]


def query_terms(q: str) -> list[str]:
    """The distinct terms a document must all contain to match the user's query ``q``.

    Every character of ``q`` is text: quotes, ``*``, ``-``, ``AND``, ``NEAR(`` have no
    meaning beyond the words they spell. Capped at :data:`MAX_QUERY_TERMS`.
    """
    terms = dict.fromkeys(token.term for token in tokens(normalize(q), unigrams=False))
    return list(terms)[:MAX_QUERY_TERMS]


def highlight(text: str, terms: Collection[str]) -> str:
    """``text`` as HTML: the query's matches in ``<mark>…</mark>``, everything else escaped."""
    norm = normalize_with_offsets(text)
    spans = _match_spans(norm, frozenset(terms), 0, len(norm.text))
    return _render(text, spans, 0, len(text))


def snippet(text: str, terms: Collection[str], *, width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` around its first match, highlighted, as HTML.

    Whitespace runs become one space; ``…`` marks where the text was cut. Without a match
    the snippet is the beginning of the text.
    """
    text = " ".join(text.split())
    wanted = frozenset(terms)
    norm = normalize_with_offsets(text)
    first = _first_match(norm.text, wanted)
    match_at = norm.starts[first.start] if first is not None else 0
    lo = max(0, min(match_at - _SNIPPET_LEAD, len(text) - width))
    hi = min(len(text), lo + width)
    n_lo, n_hi = _normalized_range(norm, lo, hi)
    spans = _match_spans(norm, wanted, n_lo, n_hi) if first is not None else []
    body = _render(text, spans, lo, hi)
    return (_ELLIPSIS if lo > 0 else "") + body + (_ELLIPSIS if hi < len(text) else "")


def _first_match(normalized: str, terms: frozenset[str]) -> Token | None:
    # Every matching token is an occurrence of its term as a substring, so jump from one
    # occurrence to the next (at C speed) instead of tokenising the whole of a long body.
    cursor = 0
    while True:
        found = [at for at in (normalized.find(term, cursor) for term in terms) if at >= 0]
        if not found:
            return None
        candidate = min(found)
        cursor = candidate + 1
        for token in tokens(normalized, unigrams=True, pos=_run_start(normalized, candidate)):
            if token.start == candidate and token.term in terms:
                return token
            if token.start > candidate:
                break
            # "pm" inside "pm2.5" is no match: go on after the word that hides it.
            cursor = max(cursor, token.end)


def _run_start(normalized: str, at: int) -> int:
    """A position at or before ``at`` from which tokenising gives the same tokens after ``at``.

    Chinese tokens may start anywhere; a word must be read from its first character.
    """
    while at > 0 and _WORD_CHAR.fullmatch(normalized[at - 1]):
        at -= 1
    return at


def _normalized_range(norm: Normalized, lo: int, hi: int) -> tuple[int, int]:
    """The normalised characters that come from ``original[lo:hi]``."""
    return bisect_left(norm.starts, lo), bisect_right(norm.ends, hi)


def _match_spans(norm: Normalized, terms: frozenset[str], lo: int, hi: int) -> list[tuple[int, int]]:
    """Merged original-text spans of the tokens in ``norm.text[lo:hi]`` whose term was asked for."""
    spans: list[tuple[int, int]] = []
    if not terms:
        return spans
    for token in tokens(norm.text, unigrams=True, pos=_run_start(norm.text, lo)):
        if token.start >= hi:
            break
        if token.term not in terms or token.end <= lo:
            continue
        start, end = norm.original_span(max(token.start, lo), min(token.end, hi))
        # Consecutive bigrams (发展, 展改, 改革) overlap: one mark for the whole word.
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _render(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
    parts: list[str] = []
    cursor = lo
    for start, end in spans:
        start, end = max(start, lo), min(end, hi)
        if start >= end:
            continue
        parts.append(html.escape(text[cursor:start]))
        parts.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    parts.append(html.escape(text[cursor:hi]))
    return "".join(parts)
