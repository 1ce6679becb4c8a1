"""Chinese text analysis shared by every index adapter: what is indexed, what a query asks, highlighting.

Text is folded for matching with :func:`gongkai.text.fold` (clean-up, traditional → simplified,
width and case), so ``發改委`` and ``发改委``, ``ＰＭ２．５`` and ``pm2.5`` are the same text. The
folded text falls into runs: a run of Latin letters or digits is one word (``pm2.5``, ``2026``),
a run of Chinese characters is indexed twice:

* as **words**, cut by jieba's search mode (``rjieba.cut_for_search``: ``建设项目`` gives
  ``建设 项目 建设项目``), which ranks well and keeps ``和服`` out of ``和服务``;
* as overlapping **bigrams** (``市发改委`` → ``市发 发改 改委 委``, the run's last character
  closing it), which find any run of characters, however new the word: project names and
  abbreviations the dictionary has never seen.

A query is cut the same way into :class:`Term` s, every one of which a document must contain:
a Latin word as a whole word, a short dictionary word (two or three characters) as a word, any
other Chinese run as the phrase of its bigrams (its characters adjacent, in order), a lone
character as the start of a bigram. Well-known abbreviations of agency names also match their
full names (``发改委`` ↔ ``发展和改革委员会``).

>>> [(t.text, t.route) for t in query_terms("市發改委 PM2.5 重大建设项目 税")]
[('市发改委', 'grams'), ('pm2.5', 'words'), ('重大建设项目', 'grams'), ('税', 'prefix')]
>>> document_terms("關於發改委")
Analysed(words='关于 发改委', grams='关于 于发 发改 改委 委')
>>> highlight("<b>發展改革</b>委員會", query_terms("发展改革"))
'&lt;b&gt;<mark>發展改革</mark>&lt;/b&gt;委員會'
"""

from __future__ import annotations

import html
import re
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

import rjieba

from gongkai.text import fold, to_simplified

__all__ = [
    "ABBREVIATIONS",
    "MAX_QUERY_TERMS",
    "MAX_TERM_CHARS",
    "SNIPPET_CHARS",
    "Analysed",
    "Folded",
    "Term",
    "bigrams",
    "document_terms",
    "fold_with_offsets",
    "highlight",
    "query_terms",
    "snippet",
]

#: A query keeps at most this many distinct terms, so that no query can cost without bound.
MAX_QUERY_TERMS = 32
#: A longer run of Chinese characters in a query is searched as pieces of this length.
MAX_TERM_CHARS = 40
#: About how many characters of the body a snippet shows.
SNIPPET_CHARS = 120
#: How far before the first match a snippet starts, so the match is read in context.
_SNIPPET_LEAD = 30
_ELLIPSIS = "…"
#: Dictionary words up to this length are matched as words; longer runs by their bigrams, because
#: jieba's search mode emits the two- and three-character words inside a longer one, not more.
_MAX_WORD_ROUTE = 3

#: Abbreviations of agency names and their full forms: a query for one finds the others.
ABBREVIATIONS: tuple[tuple[str, ...], ...] = (
    ("发改委", "发展和改革委员会", "发展改革委"),
    ("人社局", "人力资源和社会保障局"),
    ("人社厅", "人力资源和社会保障厅"),
    ("住建局", "住房和城乡建设局"),
    ("住建厅", "住房和城乡建设厅"),
    ("市监局", "市场监督管理局"),
    ("卫健委", "卫生健康委员会"),
    ("国资委", "国有资产监督管理委员会"),
    ("工信局", "工业和信息化局"),
    ("工信部", "工业和信息化部"),
    ("文旅局", "文化和旅游局"),
    ("应急局", "应急管理局"),
    ("医保局", "医疗保障局"),
    ("科技局", "科学技术局"),
    ("城管局", "城市管理局"),
    ("交通局", "交通运输局"),
    ("政数局", "政务服务数据管理局"),
    ("网信办", "网络安全和信息化委员会办公室", "互联网信息办公室"),
    ("外办", "外事办公室"),
    ("编办", "机构编制委员会办公室"),
    ("人大", "人民代表大会"),
    ("政协", "政治协商会议"),
)

# 〇 (used in dates: 二〇二六年), Ext A, the URO, compatibility ideographs, Ext B–H.
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A word: letters/digits that are not Chinese; "2.5" and "PM2.5" stay one word.
_WORD = rf"(?:(?![{_CJK}])[^\W_])"
_TOKEN_RUN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>{_WORD}*[0-9](?:\.[0-9]+)+|{_WORD}+)")
_WORD_CHAR = re.compile(rf"{_WORD}|\.")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# What separates the words of a query: the spaces that fold keeps (it drops other controls).
_QUERY_SPACE = re.compile("[ \t\n\r\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# Characters that fold one-to-one without context, once the script is simplified: printable
# ASCII and the space, CJK punctuation (less the ideographic space and the tone marks), CJK ideographs and
# full-width ASCII (tests/unit/test_analysis.py checks this claim character by character).
_ONE_TO_ONE = re.compile("[ -~\u3001-\u3029\u3030-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]+")
_NEEDS_TABLE = re.compile("[A-Z\u3001-\u303f\uff01-\uff5e]+")


# --- folding with offsets (for highlighting) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Folded:
    """Folded text and, for each of its characters, the span of the original it came from.

    ``starts``/``ends`` are None when folding kept every character in place (the usual case).
    """

    text: str
    starts: array[int] | None
    ends: array[int] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind ``text[start:end]`` (``end > start``)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _fold_piece(piece: str) -> str:
    """A piece's folded form for highlighting; what ``fold`` would drop still separates words."""
    simplified = to_simplified(unicodedata.normalize("NFKC", piece))
    return unicodedata.normalize("NFKC", simplified.casefold()) or " "


@lru_cache(maxsize=1)
def _one_to_one_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for lo, hi in ((0x41, 0x5A), (0x3001, 0x303F), (0xFF01, 0xFF5E)):
        for code in range(lo, hi + 1):
            folded = _fold_piece(chr(code))
            if folded != chr(code) and len(folded) == 1:
                table[code] = folded
    return table


def fold_with_offsets(text: str) -> Folded:
    """``text`` folded as :func:`gongkai.text.fold` folds it, remembering where each character came from.

    The script is converted for the whole text (OpenCC keeps lengths: one character for one);
    width and case are folded character by character, a character with its combining marks
    at a time where that is not one-to-one. Unlike ``fold`` nothing is removed, so that every
    folded character has an origin; spaces and punctuation only ever separate words.
    """
    simplified = to_simplified(text)
    if len(simplified) != len(text):  # never seen; then fold each character on its own
        simplified = "".join(to_simplified(char) if len(to_simplified(char)) == 1 else char for char in text)
    if _ONE_TO_ONE.fullmatch(simplified):
        return Folded(simplified.translate(_one_to_one_table()), None, None)
    out: list[str] = []
    starts: array[int] = array("q")
    ends: array[int] = array("q")
    table = _one_to_one_table()

    def one_to_one(lo: int, hi: int) -> None:
        run = simplified[lo:hi]
        out.append(_NEEDS_TABLE.sub(lambda m: m[0].translate(table), run))
        starts.extend(range(lo, hi))
        ends.extend(range(lo + 1, hi + 1))

    def by_cluster(lo: int, hi: int) -> None:
        for c_lo, c_hi in _clusters(simplified, lo, hi):
            piece = _fold_piece(simplified[c_lo:c_hi])
            out.append(piece)
            starts.extend(array("q", [c_lo]) * len(piece))
            ends.extend(array("q", [c_hi]) * len(piece))

    done = 0
    for run in _ONE_TO_ONE.finditer(simplified):
        lo, hi = run.span()
        if hi < len(simplified) and unicodedata.combining(simplified[hi]):
            hi -= 1  # "e" + U+0301 is one cluster: é
        by_cluster(done, lo)
        one_to_one(lo, hi)
        done = hi
    by_cluster(done, len(simplified))
    return Folded("".join(out), starts, ends)


def _clusters(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    start = lo
    for i in range(lo + 1, hi):
        if not unicodedata.combining(text[i]):
            yield start, i
            start = i
    if start < hi:
        yield start, hi


# --- documents ----------------------------------------------------------------------------------------


class Analysed(NamedTuple):
    """A field's terms, space separated: jieba's search-mode words and the character bigrams."""

    words: str
    grams: str


def bigrams(run: str) -> list[str]:
    """Overlapping bigrams of a run of Chinese characters, closed by its last character.

    The closing character lets a one-character query find the run's end as well.

    >>> bigrams("发改委"), bigrams("税")
    (['发改', '改委', '委'], ['税'])
    """
    grams = list(map(str.__add__, run, run[1:]))
    grams.append(run[-1])
    return grams


def document_terms(text: str) -> Analysed:
    """The terms to index ``text`` under."""
    words: list[str] = []
    grams: list[str] = []
    for run in _TOKEN_RUN.finditer(fold(text)):
        if run.lastgroup == "word":
            words.append(run[0])
        else:
            words.extend(rjieba.cut_for_search(run[0]))
            grams.extend(bigrams(run[0]))
    return Analysed(" ".join(words), " ".join(grams))


# --- queries ------------------------------------------------------------------------------------------

Route = Literal["words", "grams", "prefix"]


@dataclass(frozen=True, slots=True)
class Term:
    """Something every hit contains: a Latin word, or a run of Chinese characters (folded).

    ``route`` says how an adapter finds it: ``words`` (a Latin word or a short dictionary word,
    one token), ``grams`` (the phrase of the run's bigrams), ``prefix`` (one character: a bigram
    starting with it). ``alternatives`` are other spellings that count as the term (full names
    of an abbreviation); each has its own route.
    """

    text: str
    route: Route
    alternatives: tuple[Term, ...] = ()

    @property
    def spellings(self) -> tuple[Term, ...]:
        return (self, *self.alternatives)

    @property
    def is_word(self) -> bool:
        """A Latin word or number, matched only whole."""
        return not _is_cjk(self.text[0])

    def tokens(self) -> list[str]:
        """The index tokens this spelling is: one word, or the run's bigrams (a phrase)."""
        if self.route == "grams":
            return list(map(str.__add__, self.text, self.text[1:]))
        return [self.text]


def _is_cjk(char: str) -> bool:
    return _CJK_CHAR.match(char) is not None


@lru_cache(maxsize=4096)
def _route(text: str, is_cjk: bool) -> Route:
    if not is_cjk:
        return "words"
    if len(text) == 1:
        return "prefix"
    if len(text) <= _MAX_WORD_ROUTE and rjieba.has_word(text):
        return "words"
    return "grams"


def _spelling(text: str) -> Term:
    return Term(text, _route(text, _is_cjk(text[0])))


_EXPANSIONS: dict[str, tuple[str, ...]] = {
    member: tuple(other for other in group if other != member) for group in ABBREVIATIONS for member in group
}


def _term(text: str, is_cjk: bool) -> Term:
    term = Term(text, _route(text, is_cjk))
    if is_cjk and text in _EXPANSIONS:
        return Term(term.text, term.route, tuple(_spelling(other) for other in _EXPANSIONS[text]))
    return term


def query_terms(q: str) -> list[Term]:
    """The distinct terms a document must all contain to match the user's query ``q``.

    Whitespace separates terms; every other character is text: quotes, ``*``, ``-``, ``AND``,
    ``NEAR(`` mean nothing beyond the words they spell. A Chinese run longer than
    :data:`MAX_TERM_CHARS` is cut into pieces; at most :data:`MAX_QUERY_TERMS` terms are kept.
    """
    terms: dict[str, Term] = {}
    for part in _QUERY_SPACE.split(q):
        for run in _TOKEN_RUN.finditer(fold(part)):
            text, is_cjk = run[0], run.lastgroup == "cjk"
            pieces = [text[i : i + MAX_TERM_CHARS] for i in range(0, len(text), MAX_TERM_CHARS)] if is_cjk else [text]
            for piece in pieces:
                terms.setdefault(piece, _term(piece, is_cjk))
            if len(terms) >= MAX_QUERY_TERMS:
                return list(terms.values())[:MAX_QUERY_TERMS]
    return list(terms.values())


# --- highlighting -------------------------------------------------------------------------------------


def highlight(text: str, terms: Sequence[Term]) -> str:
    """``text`` as HTML: the query's matches in ``<mark>…</mark>``, everything else escaped."""
    folded = fold_with_offsets(text)
    return _render(text, _match_spans(folded, terms, 0, len(folded.text)), 0, len(text))


def snippet(text: str, terms: Sequence[Term], *, width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``text`` around its first match, highlighted, as HTML.

    Whitespace runs become one space; ``…`` marks where the text was cut. Without a match
    the snippet is the beginning of the text.
    """
    text = " ".join(text.split())
    folded = fold_with_offsets(text)
    spans = _match_spans(folded, terms, 0, len(folded.text))
    match_at = spans[0][0] if spans else 0
    lo = max(0, min(match_at - _SNIPPET_LEAD, len(text) - width))
    hi = min(len(text), lo + width)
    body = _render(text, spans, lo, hi)
    return (_ELLIPSIS if lo > 0 else "") + body + (_ELLIPSIS if hi < len(text) else "")


def _match_spans(folded: Folded, terms: Sequence[Term], lo: int, hi: int) -> list[tuple[int, int]]:
    """Merged, ordered original-text spans of every occurrence of a term in ``folded.text[lo:hi]``."""
    found: list[tuple[int, int]] = []
    for term in terms:
        for spelling in term.spellings:
            found.extend(_occurrences(folded.text, spelling, lo, hi))
    found.sort()
    spans: list[tuple[int, int]] = []
    for start, end in found:
        o_start, o_end = folded.original_span(start, end)
        # Touching or overlapping matches (2026年 then 国民经济) make one mark.
        if spans and o_start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(o_end, spans[-1][1]))
        else:
            spans.append((o_start, o_end))
    return spans


def _occurrences(folded: str, term: Term, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    needle = term.text
    at = folded.find(needle, lo, hi)
    while at >= 0:
        end = at + len(needle)
        if not term.is_word or _is_whole_word(folded, at, end):
            yield at, end
        at = folded.find(needle, at + 1, hi)


def _is_whole_word(folded: str, start: int, end: int) -> bool:
    """``folded[start:end]`` is a word token by itself ("pm" inside "pm2.5" is not)."""
    at = start
    while at > 0 and _WORD_CHAR.fullmatch(folded[at - 1]):
        at -= 1
    for run in _TOKEN_RUN.finditer(folded, at):
        if run.start() >= start:
            return run.start() == start and run.end() == end and run.lastgroup == "word"
        if run.end() > start:
            return False
    return False


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
