"""Text clean-up for display (`clean_text`, `strip_pinyin`) and the folded form search matches (`fold`)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gongkai.text import clean_text, fold, strip_pinyin, to_simplified

# A notice as a converter leaves it: traditional script, pinyin after hard characters,
# ideographic-space indentation, CRLF line ends, a zero-width space and a BOM.
TRADITIONAL_NOTICE = (
    "\ufeff關於印發《某市發(fā)展和改革委員會政府信息公開辦法（試行）》的通知\r\n"
    "\r\n"
    "各區人民政府，市政府各部門：\r\n"
    "　　市發(fā)改委認(rèn)真貫徹落實(shí)《國民經濟和社會發展第十四個五年規劃綱要》\u200b（二）有關要求，"
    "推進重大項目建設。細顆粒物(PM2.5)年均濃度下降５％。\r\n"
    "\r\n\r\n\r\n"
    "　　聯繫郵箱：fgw@example.gov.tw　網址：https://www.example.gov.tw/news?id=12\r\n"
)
TRADITIONAL_CLEAN = (
    "關於印發《某市發展和改革委員會政府信息公開辦法（試行）》的通知\n"
    "\n"
    "各區人民政府，市政府各部門：\n"
    "市發改委認真貫徹落實《國民經濟和社會發展第十四個五年規劃綱要》（二）有關要求，"
    "推進重大項目建設。細顆粒物(PM2.5)年均濃度下降5%。\n"
    "\n"
    "聯繫郵箱：fgw@example.gov.tw 網址：https://www.example.gov.tw/news?id=12"
)

# A notice as a scraper leaves it: simplified, spaces between characters, full-width
# letters and digits, a no-break space, tabs and trailing blanks.
SIMPLIFIED_NOTICE = (
    "  某发改〔2026〕12号  \n"
    "关 于 印 发 《 2026年 国民经济和社会发展计划 》 的 通 知\n"
    "各区人民政府，市政府各部门：\n"
    "\t现将《２０２６年国民经济和社会发展计划》印发给你们，请认真贯彻落实。\xa0\n"
    "一、重大建设项目(第(一)项)按《管理办法(试行)》推进，ＧＤＰ增长 5.5% 左右。\n"
    "联系人：张三，电话 010-12345678，邮箱 ｆｇｗ＠ｅｘａｍｐｌｅ．ｇｏｖ．ｃｎ 。   \n"
)
SIMPLIFIED_CLEAN = (
    "某发改〔2026〕12号\n"
    "关于印发《2026年国民经济和社会发展计划》的通知\n"
    "各区人民政府，市政府各部门：\n"
    "现将《2026年国民经济和社会发展计划》印发给你们，请认真贯彻落实。\n"
    "一、重大建设项目(第(一)项)按《管理办法(试行)》推进，GDP增长 5.5% 左右。\n"
    "联系人：张三，电话 010-12345678，邮箱 fgw@example.gov.cn。"
)


# --- clean_text: realistic documents --------------------------------------------------------------


def test_a_traditional_notice_loses_its_pinyin_and_debris_but_keeps_its_script() -> None:
    assert clean_text(TRADITIONAL_NOTICE) == TRADITIONAL_CLEAN


def test_a_scraped_simplified_notice_reads_as_it_was_published() -> None:
    assert clean_text(SIMPLIFIED_NOTICE) == SIMPLIFIED_CLEAN


def test_clean_text_never_converts_traditional_to_simplified() -> None:
    assert clean_text("國民經濟和社會發展計劃") == "國民經濟和社會發展計劃"
    assert clean_text("国民经济和社会发展计划") == "国民经济和社会发展计划"


def test_clean_text_of_clean_text_changes_nothing() -> None:
    for sample in (TRADITIONAL_CLEAN, SIMPLIFIED_CLEAN):
        assert clean_text(sample) == sample


# --- pinyin annotations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotated", "clean"),
    [
        ("市發(fā)改委認(rèn)真貫徹落實(shí)", "市發改委認真貫徹落實"),
        ("贯彻(guàn chè)落实", "贯彻落实"),
        ("贯彻（guàn chè）落实", "贯彻落实"),
        ("贯彻(guànchè)落实", "贯彻落实"),
        ("贯彻(guan4 che4)落实", "贯彻落实"),
        ("贯彻(guan4che4)落实", "贯彻落实"),
        ("绿(lǜ)色", "绿色"),
        ("绿(lv4)色", "绿色"),
        ("西安(xī'ān)市", "西安市"),
        ("北京(Běijīng)市", "北京市"),
        ("学生(xué sheng)", "学生"),  # a neutral-tone syllable carries no mark
        ("發(fa\u0304)展", "發展"),  # a combining macron, not precomposed ā
        ("發(fā)(fa1)展", "發展"),  # one annotation after another
        ("發 (fā)展", "發展"),
        ("二〇(líng)二六年", "二〇二六年"),
    ],
)
def test_pinyin_annotations_after_chinese_characters_are_removed(annotated: str, clean: str) -> None:
    assert clean_text(annotated) == clean


@pytest.mark.parametrize(
    "text",
    [
        "关于印发《办法(试行)》的通知",
        "关于印发《办法（试行）》的通知",
        "2017年(2017)",
        "某发改〔2026〕12号",
        "第(一)项",
        "第（二）项",
        "细颗粒物(PM2.5)",
        "国内生产总值(GDP)",
        "(a) 项",
        "本条(a)项",
        "图(a1)所示",  # a vowel syllable with a digit is a label far more often than pinyin
        "北京(Beijing)",  # toneless: could be a name, a word, anything
        "市(shi)",
        "氦(He3)",
        "钠(Na2)",
        "来源(OECD, 2024)",
        "联系(fgw@example.gov.cn)",
        "详见(https://www.example.gov.cn)",
        "比例(%)",
        "附件(xls)",
        "(fā)开头",  # nothing to annotate
        "Note (fā)",
        "中((fā))",
    ],
)
def test_legitimate_brackets_survive(text: str) -> None:
    assert strip_pinyin(text) == text
    assert clean_text(text) == text


def test_an_annotation_goes_and_the_bracket_after_it_stays() -> None:
    assert strip_pinyin("发展(fā zhǎn)(2017)") == "发展(2017)"


def test_only_real_pinyin_syllables_count() -> None:
    assert strip_pinyin("项目(xā)") == "项目(xā)"  # no syllable "xa"
    assert strip_pinyin("项目(gaǐ)") == "项目(gaǐ)"  # the mark belongs on the a: gǎi
    assert strip_pinyin("项目(fa6)") == "项目(fa6)"  # tones are 1–5
    assert strip_pinyin("项目(Fa1)") == "项目(Fa1)"  # tone digits only in lower case


def test_strip_pinyin_leaves_everything_else_as_it_was() -> None:
    text = "  發(fā)　展\r\n（試行）\t"
    assert strip_pinyin(text) == "  發　展\r\n（試行）\t"


# --- width, compatibility forms, spaces -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("ＡＢＣ１２３ａｂｃ", "ABC123abc"),
        ("ＰＭ２．５", "PM2.5"),
        ("增长３．５％", "增长3.5%"),
        ("ｆｇｗ＠ｅｘａｍｐｌｅ．ｇｏｖ．ｃｎ", "fgw@example.gov.cn"),
        ("２０２１－２０２５年", "2021-2025年"),
        ("元／吨", "元/吨"),
        ("⼀、⽇常⼯作", "一、日常工作"),  # Kangxi radicals from PDF extraction
        ("ﬁle", "file"),
        ("｢通知｣､", "「通知」、"),
        ("A\xa0B", "A B"),
        ("A\u2003\u2009B", "A B"),
        ("Cafe\u0301", "Café"),
    ],
)
def test_width_and_compatibility_forms_are_folded(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_chinese_full_width_punctuation_stays_full_width() -> None:
    punctuation = "甲，乙。丙：丁；戊！己？（庚）《辛》〔壬〕【癸】“子”、丑～寅．"
    assert clean_text(punctuation) == punctuation


def test_circled_and_enclosed_numbers_stay() -> None:
    assert clean_text("①加强领导\n㈠总则\n⑴范围\n⒈目标") == "①加强领导\n㈠总则\n⑴范围\n⒈目标"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("关 于 印 发", "关于印发"),
        ("关　于　印　发", "关于印发"),
        ("通知 ： 各单位 ，", "通知：各单位，"),
        ("《 办法 》", "《办法》"),
        ("2026 年", "2026 年"),  # Chinese beside Latin or digits keeps one space
        ("GDP   增长", "GDP 增长"),
        ("a \t b", "a b"),
        ("　　现将办法印发给你们。", "现将办法印发给你们。"),
        ("第一段\n\n\n\n\n第二段", "第一段\n\n第二段"),
        ("第一段\n  \n\t\n第二段", "第一段\n\n第二段"),
        ("第一段\n\n第二段", "第一段\n\n第二段"),
    ],
)
def test_spaces_and_blank_lines(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("关于\x00印发", "关于印发"),
        ("关于\u200b印发\u200d通知", "关于印发通知"),
        ("\ufeff关于", "关于"),
        ("关于\u202e印发", "关于印发"),
        ("信息\xad公开", "信息公开"),
        ("关于\x1b[0m印发", "关于[0m印发"),
        ("关于\ud800印发", "关于印发"),  # an unpaired surrogate from a JSON escape
        ("甲\r\n乙\r丙\u2028丁\x85戊", "甲\n乙\n丙\n丁\n戊"),
        ("\x00\x01 ", ""),
    ],
)
def test_control_and_invisible_characters_are_removed(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


# --- fold: the matching form ------------------------------------------------------------------------


def test_traditional_and_simplified_fold_to_the_same_text() -> None:
    assert fold("國民經濟和社會發展") == fold("国民经济和社会发展") == "国民经济和社会发展"
    assert fold("關於印發《辦法（試行）》的通知") == fold("关于印发《办法(试行)》的通知")


def test_fold_ignores_width_and_case() -> None:
    assert fold("ＰＭ２．５") == fold("pm2.5") == fold("PM2.5") == "pm2.5"
    assert fold("ＧＤＰ") == "gdp"


def test_a_simplified_query_finds_the_traditional_notice() -> None:
    for query in ("市发改委认真贯彻落实", "国民经济和社会发展", "发展和改革委员会", "pm2.5"):
        assert fold(query) in fold(TRADITIONAL_NOTICE)


def test_fold_of_the_original_is_fold_of_the_cleaned_text() -> None:
    for original in (TRADITIONAL_NOTICE, SIMPLIFIED_NOTICE):
        assert fold(original) == fold(clean_text(original))


def test_folding_twice_is_folding_once() -> None:
    for original in (TRADITIONAL_NOTICE, SIMPLIFIED_NOTICE):
        assert fold(fold(original)) == fold(original)


def test_fold_is_not_for_display() -> None:
    shown = clean_text("《辦法（試行）》①")
    assert shown == "《辦法（試行）》①"
    assert fold(shown) == "《办法(试行)》1"


def test_to_simplified_converts_only_the_script() -> None:
    assert to_simplified("關於(PM2.5)　ＧＤＰ") == "关于(PM2.5)　ＧＤＰ"
    assert to_simplified("發\ud800展") == "发\ud800展"


# --- properties ---------------------------------------------------------------------------------------

# Text as it comes: both scripts, pinyin, brackets, every kind of space, controls, full-width
# forms, combining marks, and anything else Unicode has.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from("發发展改委认認（）()〔〕《》，。：、第一项试行〇㈠①"),
        st.sampled_from("fāaàǚüeě1245 'GDPgdpPM.ＰＭ２．５Ａ"),
        st.sampled_from(" \t\n\r\u3000\xa0\u2028\x00\x85\u200b\ufeff\u0301\u0304⼀ﬁ｢"),
        st.characters(),
    ),
    max_size=80,
)


@given(texts)
@example("中 ︵fā︶")
@example("中(fā) （fǎ）(2017)(fā)")
@example("a．\u0301b")
@example("中\u302b \u302a")
def test_clean_text_is_idempotent(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@given(texts)
def test_strip_pinyin_is_idempotent(text: str) -> None:
    once = strip_pinyin(text)
    assert strip_pinyin(once) == once


@given(st.text())
@example("\ud800\udfff")
def test_no_text_makes_any_function_fail(text: str) -> None:
    assert isinstance(clean_text(text), str)
    assert isinstance(strip_pinyin(text), str)
    assert isinstance(fold(text), str)
    assert isinstance(to_simplified(text), str)


@given(texts)
def test_cleaned_text_has_no_control_characters_and_trimmed_lines(text: str) -> None:
    clean = clean_text(text)
    assert not any(char < " " and char != "\n" for char in clean)
    assert "\n\n\n" not in clean
    assert all(line == line.strip(" ") for line in clean.split("\n"))


# --- size and pathological input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100_000,
        "ā" * 100_000,
        "（" * 100_000,
        "中(" * 50_000,
        "中(" + "a" * 100_000,
        "中(fā" * 30_000,
        "中(fā)" * 30_000,
        "中" + " " * 100_000 + "文",
        " " * 100_000 + "x",
        "\n" * 100_000,
        "．" * 100_000,
        "a．" * 50_000,
    ],
    ids=lambda text: f"{text[:6]!r}…x{len(text)}",
)
def test_pathological_input_is_handled_in_linear_time(text: str) -> None:
    clean_text(text)
    fold(text)


def test_a_megabyte_of_chinese_is_cleaned_and_folded() -> None:
    page = TRADITIONAL_NOTICE + SIMPLIFIED_NOTICE
    text = page * (1_000_000 // len(page.encode()) + 1)
    cleaned = clean_text(text)
    assert "(fā)" not in cleaned
    assert clean_text(cleaned) == cleaned
    assert "发改委" in fold(text)
