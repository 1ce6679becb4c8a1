"""Format checks of resident IDs, unified social credit codes, phones and e-mail addresses.

Valid numbers are built with the standards' algorithms (and two published examples); every
single-character change of a valid number must be caught by its check character.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.identity import (
    credit_code_check_char,
    resident_id_check_char,
    valid_credit_code,
    valid_email,
    valid_phone,
    valid_resident_id,
)

TODAY = date(2026, 6, 1)
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def resident_id(address: str, born: date, sequence: str) -> str:
    first17 = f"{address}{born:%Y%m%d}{sequence}"
    return first17 + resident_id_check_char(first17)


def credit_code(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


# --- 居民身份证号码 ---------------------------------------------------------------------------------

VALID_IDS = [
    "11010519491231002X",  # the example of GB 11643-1999
    resident_id("330106", date(1985, 7, 14), "123"),  # 杭州市西湖区
    resident_id("440305", date(2000, 2, 29), "004"),  # 深圳市南山区, a leap day
    resident_id("510104", date(2026, 6, 1), "001"),  # born today
    resident_id("810000", date(1990, 1, 1), "021"),  # 港澳台居民居住证: same standard
]


@pytest.mark.parametrize("number", VALID_IDS)
def test_resident_ids_built_by_the_standard_are_valid(number: str) -> None:
    assert valid_resident_id(number, today=TODAY)


def test_the_check_characters_of_known_numbers() -> None:
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id("330106", date(1985, 7, 14), "123")[-1] == resident_id_check_char("33010619850714123")


def test_a_lower_case_x_is_accepted() -> None:
    assert valid_resident_id("11010519491231002x", today=TODAY)


@pytest.mark.parametrize("number", VALID_IDS)
def test_every_single_changed_character_fails(number: str) -> None:
    for position in range(18):
        for replacement in "0123456789X":
            if replacement.upper() == number[position].upper():
                continue
            altered = number[:position] + replacement + number[position + 1 :]
            assert not valid_resident_id(altered, today=TODAY), (position, replacement)


@pytest.mark.parametrize(
    ("case", "number"),
    [
        ("17 characters", "11010519491231002"),
        ("19 characters", "11010519491231002X0"),
        ("X inside", "1101051949123100X2"),
        ("letters", "ABCDEFGHIJKLMNOPQR"),
        ("spaces", "110105 1949123100 2X".replace(" ", "  ")),
        ("address code starting with 0", resident_id("010105", date(1949, 12, 31), "002")),
        ("30 February", resident_id("110105", date(1949, 12, 31), "002")[:10] + "0230" + "002X"),
        ("month 13", "11010519491331002X"),
        ("born tomorrow", resident_id("510104", date(2026, 6, 2), "001")),
        ("born in 1899", resident_id("110105", date(1899, 12, 31), "002")),
        ("full-width digits", "１１０１０５１９４９１２３１００２Ｘ"),
        ("Arabic-Indic digits", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"),
        ("the 15-digit first-generation number", "110105491231002"),
        ("empty", ""),
    ],
)
def test_malformed_resident_ids_fail(case: str, number: str) -> None:
    assert not valid_resident_id(number, today=TODAY)


def test_a_future_birth_date_is_judged_against_the_given_day() -> None:
    number = resident_id("510104", date(2026, 6, 2), "001")
    assert not valid_resident_id(number, today=TODAY)
    assert valid_resident_id(number, today=date(2026, 6, 2))


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    address=st.integers(min_value=110000, max_value=829999),
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=17),
    shift=st.integers(min_value=1, max_value=9),
)
def test_any_generated_number_is_valid_and_any_digit_change_is_caught(
    born: date, address: int, sequence: int, position: int, shift: int
) -> None:
    number = resident_id(str(address), born, f"{sequence:03d}")
    assert valid_resident_id(number, today=TODAY)
    altered_char = str(shift) if number[position] == "X" else str((int(number[position]) + shift) % 10)
    altered = number[:position] + altered_char + number[position + 1 :]
    assert not valid_resident_id(altered, today=TODAY)


# --- 统一社会信用代码 -------------------------------------------------------------------------------

VALID_CODES = [
    "91350100M000100Y43",  # the example widely cited with GB 32100-2015
    credit_code("91330106MA27XB1A2"),  # a company (工商, 企业) in Hangzhou
    credit_code("12330100470000000"),  # a public institution (机构编制, 事业单位)
    credit_code("51110000500000000"),  # a social organisation (民政)
    credit_code("31110000400000000"),  # a law firm (司法行政)
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_credit_codes_built_by_the_standard_are_valid(code: str) -> None:
    assert valid_credit_code(code)


def test_the_check_character_of_the_published_example() -> None:
    assert credit_code_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize("code", VALID_CODES)
def test_every_single_changed_character_of_a_credit_code_fails(code: str) -> None:
    for position in range(18):
        for replacement in CREDIT_ALPHABET:
            if replacement != code[position]:
                assert not valid_credit_code(code[:position] + replacement + code[position + 1 :]), position


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("lower case", "91350100m000100y43"),
        ("letter I (not in the alphabet)", "91350100I000100Y43"),
        ("letter O", "91350100M000100YO3"),
        ("letter in the region code", credit_code("913501A0M000100Y4")),
        ("17 characters", "91350100M000100Y4"),
        ("19 characters", "91350100M000100Y430"),
        ("a resident ID instead", "11010519491231002X"),
        ("empty", ""),
    ],
)
def test_malformed_credit_codes_fail(case: str, code: str) -> None:
    assert not valid_credit_code(code)


def test_random_codes_pass_and_a_random_change_fails() -> None:
    rng = random.Random(20260601)
    for _ in range(500):
        first17 = (
            rng.choice("159Y")
            + rng.choice("123")
            + "".join(rng.choice("0123456789") for _ in range(6))
            + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(9))
        )
        code = credit_code(first17)
        assert valid_credit_code(code)
        position = rng.randrange(18)
        other = rng.choice([c for c in CREDIT_ALPHABET if c != code[position]])
        assert not valid_credit_code(code[:position] + other + code[position + 1 :])


def test_check_characters_refuse_wrong_input() -> None:
    with pytest.raises(ValueError):
        resident_id_check_char("1101051949123100")
    with pytest.raises(ValueError):
        credit_code_check_char("91350100M000100I4")


# --- phones and e-mail ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "19912345678",
        "138 1234 5678",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "008613812345678",
        "0571-88888888",
        "057188888888",
        "(0571) 8888 8888",
        "010-65123456",
        "0755-2345678",
        "+86-571-88888888",
        "+86 10 65123456",
        " 13812345678\n",  # surrounding blanks are ignored
    ],
)
def test_valid_phones(phone: str) -> None:
    assert valid_phone(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12812345678",  # no 12x mobile prefix
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "88888888",  # no area code
        "0571-8888",  # too short
        "0571-08888888",  # local numbers do not start with 0
        "+1 415 555 0100",
        "+86 12812345678",
        "1381234567a",
        "１３８１２３４５６７８",  # full-width: the form cleans it first
        "13812345678 ext 1",
    ],
)
def test_invalid_phones(phone: str) -> None:
    assert not valid_phone(phone)


@pytest.mark.parametrize(
    "email",
    ["xinxigongkai@example.gov.cn", "zhang.san+apply@mail.example.com", "a@b.cn", "user@xn--fiqs8s.xn--fiqs8s"],
)
def test_valid_emails(email: str) -> None:
    assert valid_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "",
        "plain",
        "@example.cn",
        "name@",
        "name@example",
        "name@@example.cn",
        "a..b@example.cn",
        ".a@example.cn",
        "a b@example.cn",
        "name@-example.cn",
        "name@example.c",
        "张三@example.cn",
        "name@example.cn\n",
        "x" * 65 + "@example.cn",
        "name@" + "a" * 250 + ".cn",
    ],
)
def test_invalid_emails(email: str) -> None:
    assert not valid_email(email)
