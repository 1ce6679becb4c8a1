"""Chinese text clean-up shared by intake and search: display clean-up and the folded form used for matching.

`clean_text` is what pages show: the text in its own script, with scraping and conversion
debris (control characters, full-width letters, stray spaces, inline pinyin) removed.
`fold` is what the search index and queries compare: simplified, width-folded, lower-case.

>>> clean_text("　　市發(fā)改委認(rèn)真貫徹落實（試行）\\r\\n")
'市發改委認真貫徹落實（試行）'
>>> fold("市發改委 ＰＭ２．５") == fold("市发改委 pm2.5")
True
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from typing import Protocol

__all__ = ["clean_text", "fold", "strip_pinyin", "to_simplified"]

# --- character classes ------------------------------------------------------------------------------

# Han ideographs: 〇 (二〇二六年), Ext A, the URO, compatibility ideographs, Ext B–H.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Chinese punctuation carries its own spacing, so a space beside it is debris: CJK symbols
# and punctuation (less U+302A–302F, combining tone marks) and what `clean_text` leaves of
# the full-width forms block (，：；（）！？［］～).
_CJK_PUNCTUATION = "\u3001-\u3029\u3030-\u303f\uff01-\uff60"
# Chinese sets no spaces between characters: a space between two of these is debris too.
_WIDE = _HAN + _CJK_PUNCTUATION + "\u3200-\u33ff"  # with enclosed and squared forms (㈠ ㊀ ㎡)

# C0/C1 controls (but tab and newline), soft hyphen, zero-width and bidi format characters,
# interlinear annotation marks, non-characters and unpaired surrogates: never stored.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"
)
_LINE_BREAK = re.compile("[\r\x85\u2028\u2029]")  # after "\r\n" has become "\n"


def _width_table() -> dict[int, str]:
    """Compatibility forms folded for display; Chinese full-width punctuation is left alone."""
    table: dict[int, str] = {}
    # Full-width digits and Latin letters (ＰＭ２．５), and the symbols that belong with them.
    for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%&*+-/<=>@\\^_`|":
        table[ord(char) + 0xFEE0] = char
    # Every Unicode space (　 ideographic, no-break, en/em, narrow) and tab is a plain space.
    for code in [0x09, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]:
        table[code] = " "
    # Kangxi radicals that PDF extraction emits for ideographs (⼀ for 一, ⽇ for 日), Latin
    # ligatures (ﬁ) and half-width CJK punctuation (｡｢｣､) take their ordinary form.
    for code in [*range(0x2F00, 0x2FD6), 0x2E9F, 0x2EF3, *range(0xFB00, 0xFB07), *range(0xFF61, 0xFF65)]:
        table[code] = unicodedata.normalize("NFKC", chr(code))
    return table


_WIDTH = _width_table()
_FOLDABLE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_WIDTH)) + "]+")
# A full-width full stop between Latin letters or digits was a decimal point or a dot in an address.
_DOT_IN_WORD = re.compile("．(?<=[0-9A-Za-z]．)(?=[0-9A-Za-z])")

# Runs of spaces are collapsed first, so that no pattern below ever rescans a long run; the
# patterns open with a literal, which the regex engine finds fast.
_SPACE_RUN = re.compile("  +")
_SPACE_NOT_WANTED = re.compile(
    f" (?:(?<=[{_WIDE}] )(?=[{_WIDE}])|(?<=[{_CJK_PUNCTUATION}] )|(?=[{_CJK_PUNCTUATION}])|(?<=^ )|(?=$))",
    re.MULTILINE,
)
_BLANK_LINES = re.compile("\n{3,}")

# --- pinyin annotations -----------------------------------------------------------------------------

# The standard syllable inventory (ü written ü; "lue"/"nue" are common spellings of lüe/nüe).
# Interjections without a vowel (m, n, ng, hm, hng) are left out: too easily a label.
_INVENTORY = """
    a ai an ang ao e ei en eng er o ou
    yi ya yao ye you yan yin yang ying yong yo yu yue yuan yun
    wu wa wo wai wei wan wen wang weng
    ba bo bai bei bao ban ben bang beng bi biao bie bian bin bing bu
    pa po pai pei pao pou pan pen pang peng pi piao pie pian pin ping pu
    ma mo me mai mei mao mou man men mang meng mi miao mie miu mian min ming mu
    fa fo fei fou fan fen fang feng fu
    da de dai dei dao dou dan den dang deng dong di dia diao die diu dian ding du duo dui duan dun
    ta te tai tei tao tou tan tang teng tong ti tiao tie tian ting tu tuo tui tuan tun
    na ne nai nei nao nou nan nen nang neng nong ni niao nie niu nian nin niang ning
    nu nuo nuan nun nü nüe nue
    la lo le lai lei lao lou lan lang leng long li lia liao lie liu lian lin liang ling
    lu luo luan lun lü lüe lue
    ga ge gai gei gao gou gan gen gang geng gong gu gua guo guai gui guan gun guang
    ka ke kai kei kao kou kan ken kang keng kong ku kua kuo kuai kui kuan kun kuang
    ha he hai hei hao hou han hen hang heng hong hu hua huo huai hui huan hun huang
    ji jia jiao jie jiu jian jin jiang jing jiong ju jue juan jun
    qi qia qiao qie qiu qian qin qiang qing qiong qu que quan qun
    xi xia xiao xie xiu xian xin xiang xing xiong xu xue xuan xun
    zha zhe zhi zhai zhei zhao zhou zhan zhen zhang zheng zhong zhu zhua zhuo zhuai zhui zhuan zhun zhuang
    cha che chi chai chao chou chan chen chang cheng chong chu chua chuo chuai chui chuan chun chuang
    sha she shi shai shei shao shou shan shen shang sheng shu shua shuo shuai shui shuan shun shuang
    re ri rao rou ran ren rang reng rong ru rua ruo rui ruan run
    za ze zi zai zei zao zou zan zen zang zeng zong zu zuo zui zuan zun
    ca ce ci cai cao cou can cen cang ceng cong cu cuo cui cuan cun
    sa se si sai sao sou san sen sang seng song su suo sui suan sun
"""
_SYLLABLES = frozenset(_INVENTORY.split())
_TONE_MARKS = {"a": "āáǎà", "e": "ēéěè", "i": "īíǐì", "o": "ōóǒò", "u": "ūúǔù", "ü": "ǖǘǚǜ"}
_MARKED_VOWELS = frozenset("".join(_TONE_MARKS.values()))
_TONE_DIGITS = "12345"


def _tone_mark_position(syllable: str) -> int:
    """Where the mark goes: on a or e, on the o of ou, else on the last vowel (guì, liù)."""
    for vowel in ("a", "e"):
        if vowel in syllable:
            return syllable.index(vowel)
    if "ou" in syllable:
        return syllable.index("o")
    return max(syllable.rfind(vowel) for vowel in "iouü")


def _syllable_spellings() -> dict[str, bool]:
    """Every written form of every syllable (fā, fa1, lv4, fa), mapped to whether it shows a tone."""
    spellings: dict[str, bool] = {}
    for syllable in _SYLLABLES:
        for plain in {syllable, syllable.replace("ü", "v")}:
            spellings[plain] = False
            spellings.update({plain + digit: True for digit in _TONE_DIGITS})
        at = _tone_mark_position(syllable)
        for mark in _TONE_MARKS[syllable[at]]:
            spellings[syllable[:at] + mark + syllable[at + 1 :]] = True
    return spellings


_SPELLINGS = _syllable_spellings()
_LONGEST_SPELLING = max(map(len, _SPELLINGS))
# Vowel-initial syllables with a tone number ("(a1)", "(e2)") are far more often item labels.
_LABEL_LIKE = frozenset(s + digit for s in _SYLLABLES if s[0] in "aeo" for digit in _TONE_DIGITS)

_OPEN, _CLOSE = "(（", ")）"
# A bracket that may hold pinyin: Latin letters with their tone marks (precomposed or
# combining), tone digits and syllable separators. Bounded, and brackets excluded, so a
# scan never backtracks beyond one bracket.
_CANDIDATE = re.compile(f"[{_OPEN}][0-9A-Za-z\u00c0-\u024f\u0300-\u036f '’\\-\u3000]{{1,64}}[{_CLOSE}]")
_SPACES = " \u3000"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_SEPARATORS = re.compile("[ \u3000'’-]+")


def strip_pinyin(text: str) -> str:
    """Remove pinyin annotations in brackets that directly follow a Chinese character.

    A bracket counts as an annotation only when every word in it is made of real pinyin
    syllables and at least one syllable shows its tone (a mark or a digit), so toneless
    Latin (``(GDP)``, ``(Beijing)``) and labels (``(a)``, ``(a1)``) stay.

    >>> strip_pinyin("市發(fā)改委認(rèn)真貫徹落實(shí)")
    '市發改委認真貫徹落實'
    >>> strip_pinyin("关于印发《办法(试行)》的通知，细颗粒物(PM2.5)、北京(Beijing)")
    '关于印发《办法(试行)》的通知，细颗粒物(PM2.5)、北京(Beijing)'
    """
    kept: list[str] = []
    done = 0  # text[:done] is settled
    for bracket in _CANDIDATE.finditer(text):
        lead = bracket.start()
        while lead > done and text[lead - 1] in _SPACES:
            lead -= 1
        # Attached to a Chinese character, perhaps across spaces or across annotations just
        # removed (發(fā)(fa1)); the spaces go with it.
        after_annotation = lead == done > 0
        after_han = lead > done and _HAN_CHAR.match(text, lead - 1) is not None
        if (after_han or after_annotation) and _is_annotation(bracket[0][1:-1]):
            kept.append(text[done:lead])
            done = bracket.end()
    kept.append(text[done:])
    return "".join(kept)


@functools.lru_cache(maxsize=4096)  # annotations repeat: a document has a few hundred distinct ones
def _is_annotation(content: str) -> bool:
    content = unicodedata.normalize("NFC", content)
    if not any(char in _MARKED_VOWELS or char in _TONE_DIGITS for char in content):
        return False
    words = [word for word in _SEPARATORS.split(content) if word]
    if not words or (len(words) == 1 and words[0] in _LABEL_LIKE):
        return False
    return all(_is_pinyin_word(word) for word in words)


def _is_pinyin_word(word: str) -> bool:
    # Tone marks may open a capitalised word (Běijīng); tone digits are lower-case only,
    # which keeps chemical symbols and model numbers (He3, Cu2, MA5) out.
    if not word.islower():
        capitalised = word[:1].isupper() and (len(word) == 1 or word[1:].islower())
        if not capitalised or any(char.isdigit() for char in word):
            return False
        word = word.lower()
    # Syllables may run together (guànchè): can the word be cut into written syllables?
    reachable = [True] + [False] * len(word)
    for start in range(len(word)):
        if reachable[start]:
            for end in range(start + 1, min(len(word), start + _LONGEST_SPELLING) + 1):
                if word[start:end] in _SPELLINGS:
                    reachable[end] = True
    return reachable[-1]


# --- display clean-up -------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """The text as stored and shown, in its own script (never converted to simplified).

    - control, zero-width and bidi characters and unpaired surrogates go; newlines are ``\\n``;
    - full-width Latin letters, digits and their symbols become half-width (``ＰＭ２．５`` →
      ``PM2.5``), while Chinese full-width punctuation (，。：；！？（）《》〔〕【】“”、) stays;
      every kind of space is a plain space; Kangxi radicals and ligatures take their
      ordinary form; circled and enclosed numbers (①, ㈠) stay;
    - then NFC, and pinyin annotations are removed (see `strip_pinyin`);
    - runs of spaces become one; spaces between two Chinese characters and beside Chinese
      punctuation go (scraped text is full of them; Chinese sets none), while one space
      between Chinese and Latin or digits stays (``2026 年`` is left to the author); lines
      are trimmed at both ends (paragraph indentation is the page's job) and at most one
      blank line separates paragraphs.

    It is idempotent: ``clean_text(clean_text(x)) == clean_text(x)``.

    >>> clean_text("  关于\\u0000印发\\r\\n通知  ")
    '关于印发\\n通知'
    >>> clean_text("第 一 条　根据《条例》（２０１９年修订），ＧＤＰ增长  5%")
    '第一条根据《条例》（2019年修订），GDP增长 5%'
    """
    text = _LINE_BREAK.sub("\n", text.replace("\r\n", "\n"))
    text = _INVISIBLE.sub("", text)
    text = _FOLDABLE.sub(lambda run: run[0].translate(_WIDTH), text)
    text = strip_pinyin(unicodedata.normalize("NFC", text))
    text = _SPACE_NOT_WANTED.sub("", _SPACE_RUN.sub(" ", text))
    text = _DOT_IN_WORD.sub(".", text)  # after the spaces: "1 ．5" is "1．5" only now
    return _BLANK_LINES.sub("\n\n", text).strip(" \n")


# --- matching form ----------------------------------------------------------------------------------


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


_converter: _Converter | None = None
_converter_lock = threading.Lock()
_SURROGATES = re.compile("([\ud800-\udfff]+)")
_FULL_WIDTH_FORMS = tuple(
    (chr(code), unicodedata.normalize("NFKC", chr(code))) for code in [*range(0xFF01, 0xFF5F), 0x3000]
)


def _t2s() -> _Converter:
    # Loaded on first use (intake never needs it) and shared: conversion does not mutate it.
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s")
    return _converter


def to_simplified(text: str) -> str:
    """Traditional → simplified (OpenCC ``t2s``, phrase-aware); other characters are kept.

    >>> to_simplified("國民經濟和社會發展")
    '国民经济和社会发展'
    """
    convert = _t2s().convert
    if not _SURROGATES.search(text):
        return convert(text)
    # OpenCC takes UTF-8, which cannot carry unpaired surrogates: convert around them.
    pieces = _SURROGATES.split(text)
    return "".join(piece if index % 2 else convert(piece) for index, piece in enumerate(pieces))


def fold(text: str) -> str:
    """The form search compares, for the index and for queries alike; never for display.

    NFKC (every compatibility and width form: ``（`` is ``(``, ``①`` is ``1``), then
    `clean_text`, simplified script (`to_simplified`) and case folding, so traditional and
    simplified, full- and half-width, upper- and lower-case spellings of the same words fold
    to the same string. Offsets into the result do not map back to the original.

    >>> fold("國民經濟和社會發展") == fold("国民经济和社会发展")
    True
    >>> fold("《辦法（試行）》ＧＤＰ")
    '《办法(试行)》gdp'
    """
    text = to_simplified(clean_text(_nfkc(text))).casefold()
    # Case folding can undo NFKC (ΐ), rarely: the check is much cheaper than normalising again.
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def _nfkc(text: str) -> str:
    # NFKC is slow on the full-width punctuation Chinese is full of; swapping those few
    # characters for their NFKC form first gives the same result and leaves NFKC its fast path.
    for full, half in _FULL_WIDTH_FORMS:
        if full in text:
            text = text.replace(full, half)
    return unicodedata.normalize("NFKC", text)
