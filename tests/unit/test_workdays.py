"""Working-day arithmetic (工作日, spec §E): chinesecalendar years, overrides, provisional years."""

from __future__ import annotations

import doctest
import json
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lunardate import LunarDate

import gongkai.workdays as workdays_module
from gongkai.workdays import (
    CalendarYearMissing,
    DayKind,
    InvalidCalendarData,
    Override,
    OverrideTable,
    WorkCalendar,
    WorkdayResult,
    YearNotice,
    qingming_day,
    statutory_holidays,
)

FIRST_KNOWN = min(chinese_calendar.holidays).year
LAST_KNOWN = max(chinese_calendar.holidays).year
ONE_DAY = timedelta(days=1)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=k) for k in range((end - start).days + 1)]


def oracle_add_workdays(start: date, n: int) -> date:
    day = start
    while n:
        day += ONE_DAY
        n -= chinese_calendar.is_workday(day)
    return day


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


# -- Known facts, checked against chinesecalendar -------------------------------------------------


def test_chinesecalendar_range_is_found_not_assumed(calendar):
    assert (FIRST_KNOWN, LAST_KNOWN) == (2004, 2026)
    assert calendar.known_years() == frozenset(range(2004, 2027))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(LAST_KNOWN + 1, 1, 4))


def test_saturday_2026_02_14_is_a_tiaoxiu_working_day(calendar):
    assert date(2026, 2, 14).weekday() == 5
    assert calendar.is_workday(date(2026, 2, 14))
    assert chinese_calendar.is_workday(date(2026, 2, 14))


def test_2026_has_248_working_days(calendar):
    assert calendar.workdays_between(date(2025, 12, 31), date(2026, 12, 31)) == 248
    assert len(chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31))) == 248


def test_national_day_2025_is_eight_rest_days(calendar):
    assert not any(calendar.is_workday(d) for d in days(date(2025, 10, 1), date(2025, 10, 8)))
    assert calendar.is_workday(date(2025, 10, 9))
    assert calendar.is_workday(date(2025, 10, 11))  # Saturday 调休


def test_every_day_of_every_known_year_agrees_with_chinesecalendar(calendar):
    for day in days(date(FIRST_KNOWN, 1, 1), date(LAST_KNOWN, 12, 31)):
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        assert not calendar.is_provisional(day)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # the working Saturday before the break
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # 春节 2026: 02-15 to 02-23 off
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 10), 20, oracle_add_workdays(date(2026, 2, 10), 20)),
        (date(2026, 1, 20), 20, oracle_add_workdays(date(2026, 1, 20), 20)),
        (date(2026, 2, 16), 15, oracle_add_workdays(date(2026, 2, 16), 15)),
    ],
)
def test_add_workdays_across_spring_festival_2026(calendar, start, n, expected):
    assert calendar.add_workdays(start, n) == WorkdayResult(expected, provisional=False)


def test_twenty_workdays_from_spring_festival_eve_2026_lands_in_march(calendar):
    # 02-14 (1), 02-24..27 (5), Saturday 02-28 调休 (6), 03-02..06 (11), 03-09..13 (16), 03-16..19 (20)
    assert calendar.add_workdays(date(2026, 2, 13), 20).day == date(2026, 3, 19)


# -- Counting rule ---------------------------------------------------------------------------------


def test_trigger_day_is_not_counted(calendar):
    monday = date(2026, 3, 2)
    assert calendar.add_workdays(monday, 1).day == date(2026, 3, 3)
    assert calendar.add_workdays(date(2026, 3, 6), 1).day == date(2026, 3, 9)  # Friday → Monday


def test_zero_workdays_returns_the_start_even_on_a_rest_day(calendar):
    sunday = date(2026, 3, 1)
    assert calendar.add_workdays(sunday, 0) == WorkdayResult(sunday, provisional=False)


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_n_must_be_a_non_negative_integer(calendar, n):
    with pytest.raises(ValueError, match="non-negative"):
        calendar.add_workdays(date(2026, 3, 2), n)


def test_workdays_between_counts_the_half_open_interval(calendar):
    assert calendar.workdays_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert calendar.workdays_between(date(2026, 3, 2), date(2026, 3, 3)) == 1
    assert calendar.workdays_between(date(2026, 3, 6), date(2026, 3, 8)) == 0
    assert calendar.workdays_between(date(2026, 3, 9), date(2026, 3, 2)) == -5


def test_datetimes_are_refused_so_the_time_zone_is_explicit(calendar):
    with pytest.raises(TypeError, match=r"datetime\.date"):
        calendar.is_workday(datetime(2026, 3, 2, 9))


# -- Provisional years ----------------------------------------------------------------------------


def test_2027_is_provisional_and_rule_based(calendar):
    assert calendar.provisional_years(range(2025, 2029)) == {2027, 2028}
    assert calendar.is_provisional(date(2027, 6, 1))
    assert not calendar.is_provisional(date(2026, 12, 31))
    rest = [date(2027, 1, 1), date(2027, 4, 5), date(2027, 5, 1), date(2027, 5, 2)]
    rest += [date(2027, 6, 9), date(2027, 9, 15), *days(date(2027, 10, 1), date(2027, 10, 3))]
    rest += days(date(2027, 2, 5), date(2027, 2, 8))
    assert not any(calendar.is_workday(d) for d in rest)


def test_2027_spring_festival_eve_is_lunar_twelfth_month_29th():
    eve = LunarDate.from_solar_date(2027, 2, 5)
    assert (eve.year, eve.month, eve.day) == (2026, 12, 29)
    assert LunarDate.from_solar_date(2027, 2, 6) == LunarDate(2027, 1, 1)
    assert statutory_holidays(2027)[date(2027, 2, 5)] == "春节"


def test_provisional_mode_has_no_tiaoxiu_and_no_compensation(calendar):
    assert calendar.is_workday(date(2027, 5, 3))  # 劳动节 on a weekend: not moved to Monday
    assert calendar.is_workday(date(2027, 10, 4))
    assert not calendar.is_workday(date(2027, 10, 9))  # a Saturday stays a rest day


def test_answers_touching_a_provisional_year_say_so(calendar):
    assert calendar.add_workdays(date(2026, 12, 30), 1) == WorkdayResult(date(2026, 12, 31), False)
    assert calendar.add_workdays(date(2026, 12, 30), 2) == WorkdayResult(date(2027, 1, 4), True)
    assert calendar.add_workdays(date(2027, 3, 1), 0) == WorkdayResult(date(2027, 3, 1), False)
    assert calendar.is_provisional_span(date(2026, 12, 1), date(2027, 1, 1))
    assert not calendar.is_provisional_span(date(2026, 12, 1), date(2026, 12, 31))
    assert not calendar.is_provisional_span(date(2027, 1, 1), date(2027, 1, 1))


def test_strict_mode_fails_closed_for_an_unknown_year():
    strict = WorkCalendar(strict=True)
    assert strict.add_workdays(date(2026, 12, 30), 1).day == date(2026, 12, 31)
    with pytest.raises(CalendarYearMissing) as caught:
        strict.add_workdays(date(2026, 12, 30), 2)
    assert caught.value.year == 2027
    with pytest.raises(CalendarYearMissing):
        strict.is_workday(date(2027, 1, 1))
    with pytest.raises(CalendarYearMissing):
        strict.workdays_between(date(2026, 12, 1), date(2027, 1, 5))


@pytest.mark.parametrize("year", [FIRST_KNOWN - 1, 1990, 2100])
def test_years_without_a_rule_raise_even_when_lenient(calendar, year):
    with pytest.raises(CalendarYearMissing) as caught:
        calendar.is_workday(date(year, 6, 1))
    assert caught.value.year == year


def test_loading_a_notice_makes_a_year_exact():
    calendar = WorkCalendar(strict=True)
    calendar.load_year(
        2027,
        holidays=[date(2027, 1, 1), *days(date(2027, 2, 5), date(2027, 2, 11))],
        workdays=[date(2027, 2, 20)],
        note="国务院办公厅关于2027年部分节假日安排的通知",
    )
    assert 2027 in calendar.known_years()
    assert calendar.provisional_years([2027]) == frozenset()
    assert not calendar.is_workday(date(2027, 2, 10))
    assert calendar.is_workday(date(2027, 2, 20))  # 调休 Saturday
    assert calendar.is_workday(date(2027, 4, 5))  # the notice, not the rule, decides
    assert calendar.add_workdays(date(2027, 2, 4), 1) == WorkdayResult(date(2027, 2, 12), False)


def test_a_notice_replaces_chinesecalendar_for_its_year(calendar):
    calendar.load_year(2026, holidays=[date(2026, 3, 2)])
    assert not calendar.is_workday(date(2026, 3, 2))
    assert calendar.is_workday(date(2026, 2, 16))
    assert not calendar.is_workday(date(2025, 10, 2))  # other years untouched


def test_a_notice_may_include_the_adjoining_december():
    calendar = WorkCalendar()
    calendar.load_year(2028, holidays=[date(2028, 1, 1)], workdays=[date(2027, 12, 25)])
    assert calendar.is_workday(date(2027, 12, 25))
    assert calendar.is_provisional(date(2027, 12, 25))


# -- Overrides ------------------------------------------------------------------------------------


def test_overrides_win_over_chinesecalendar(calendar):
    calendar.set_override(date(2026, 3, 2), "holiday", note="地方防汛停工")
    calendar.set_override(date(2026, 2, 16), DayKind.WORKDAY, note="值班")
    assert not calendar.is_workday(date(2026, 3, 2))
    assert calendar.is_workday(date(2026, 2, 16))
    calendar.remove_override(date(2026, 3, 2))
    assert calendar.is_workday(date(2026, 3, 2))


def test_overrides_win_over_a_loaded_notice_and_do_not_make_a_year_known(calendar):
    calendar.set_override(date(2027, 3, 1), "holiday")
    assert calendar.is_provisional(date(2027, 3, 1))
    calendar.load_year(2027, holidays=[], workdays=[date(2027, 3, 1)])
    assert not calendar.is_workday(date(2027, 3, 1))


@pytest.mark.parametrize(
    ("day", "kind"),
    [("2026-03-02", "holiday"), (date(2026, 3, 2), "rest"), (datetime(2026, 3, 2), "holiday")],
)
def test_invalid_overrides_are_refused(calendar, day, kind):
    with pytest.raises(InvalidCalendarData):
        calendar.set_override(day, kind)


def test_a_notice_cannot_call_a_day_both_holiday_and_workday(calendar):
    with pytest.raises(InvalidCalendarData, match="both"):
        calendar.load_year(2027, holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 1)])


def test_a_notice_cannot_list_days_of_another_year(calendar):
    with pytest.raises(InvalidCalendarData, match="outside"):
        calendar.load_year(2027, holidays=[date(2026, 10, 1)])


def test_notices_must_agree_on_shared_days():
    table = OverrideTable(years=[YearNotice(2028, frozenset(), frozenset({date(2027, 12, 25)}))])
    with pytest.raises(InvalidCalendarData, match="disagree"):
        table.with_year(YearNotice(2027, frozenset({date(2027, 12, 25)}), frozenset()))


# -- Persistence ----------------------------------------------------------------------------------


def populated_calendar() -> WorkCalendar:
    calendar = WorkCalendar()
    calendar.set_override(date(2026, 3, 2), "holiday", note="台风停工")
    calendar.load_year(2027, holidays=[date(2027, 1, 1)], workdays=[date(2027, 2, 20)], note="国办发明电")
    return calendar


def test_override_table_round_trips_through_json():
    table = populated_calendar().overrides
    assert OverrideTable.from_json(table.to_json()) == table
    data = json.loads(table.to_json())
    assert data["overrides"] == [{"date": "2026-03-02", "kind": "holiday", "note": "台风停工"}]
    assert data["years"]["2027"]["workdays"] == ["2027-02-20"]


def test_save_and_load_are_atomic_and_faithful(tmp_path):
    path = tmp_path / "calendar.json"
    populated_calendar().save(path)
    populated_calendar().save(path)  # overwrite in place
    assert [p.name for p in tmp_path.iterdir()] == ["calendar.json"]
    loaded = WorkCalendar.load(path, strict=True)
    assert loaded.overrides == populated_calendar().overrides
    assert loaded.strict
    assert not loaded.is_workday(date(2026, 3, 2))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"version": 2}',
        '{"version": 1, "overrides": [{"date": "2026-3-2", "kind": "holiday"}]}',
        '{"version": 1, "overrides": [{"date": "2026-02-30", "kind": "holiday"}]}',
        '{"version": 1, "overrides": [{"date": "2026-03-02", "kind": "rest"}]}',
        '{"version": 1, "overrides": [{"date": "2026-03-02"}]}',
        '{"version": 1, "overrides": [{"date": "2026-03-02", "kind": "holiday", "note": 3}]}',
        '{"version": 1, "years": {"twenty": {"holidays": []}}}',
        '{"version": 1, "years": {"2027": {"holidays": "2027-01-01"}}}',
        '{"version": 1, "years": {"2027": {"holidays": ["2026-01-01"]}}}',
    ],
)
def test_malformed_override_files_are_refused(text):
    with pytest.raises(InvalidCalendarData):
        OverrideTable.from_json(text)


def test_override_dates_are_validated_on_construction():
    with pytest.raises(InvalidCalendarData):
        Override("2026-03-02", DayKind.HOLIDAY)  # type: ignore[arg-type]


# -- The provisional rule against the real calendars ----------------------------------------------


def test_qingming_matches_chinesecalendar_solar_terms_2004_to_2099():
    for year in range(2004, 2100):
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        assert (qingming_day(year), "清明") in terms, year


def test_qingming_is_a_holiday_in_every_known_year_since_2008():
    for year in range(2008, LAST_KNOWN + 1):
        assert chinese_calendar.is_holiday(qingming_day(year)), year
    assert qingming_day(2026) == date(2026, 4, 5)
    assert qingming_day(2027) == date(2027, 4, 5)
    assert qingming_day(2028) == date(2028, 4, 4)


def rule_days_in_force(year: int) -> set[date]:
    """The rule's days that were statutory in ``year``: 除夕 and 05-02 were added by the 2024 放假办法."""
    rule = set(statutory_holidays(year))
    if year <= 2024:
        rule -= {LunarDate(year, 1, 1).to_solar_date() - ONE_DAY, date(year, 5, 2)}
    return rule


@pytest.mark.parametrize("year", range(2015, LAST_KNOWN + 1))
def test_every_statutory_holiday_by_rule_is_a_rest_day_in_chinesecalendar(year):
    missed = sorted(d for d in rule_days_in_force(year) if chinese_calendar.is_workday(d))
    assert missed == []


def test_rule_has_thirteen_days_unless_festivals_coincide():
    assert len(statutory_holidays(2027)) == 13
    assert len(statutory_holidays(2020)) == 12  # 中秋 fell on 10-01
    assert statutory_holidays(2020)[date(2020, 10, 1)] in {"国庆节", "中秋节"}


def test_spring_festival_eve_handles_29_and_30_day_twelfth_months():
    lengths = set()
    for year in range(2015, 2035):
        eve = min(d for d, name in statutory_holidays(year).items() if name == "春节")
        lunar = LunarDate.from_solar_date(eve.year, eve.month, eve.day)
        assert lunar.month == 12 and lunar.day in {29, 30}
        assert LunarDate.from_solar_date(*(eve + ONE_DAY).timetuple()[:3]) == LunarDate(year, 1, 1)
        lengths.add(lunar.day)
    assert lengths == {29, 30}


def test_known_spring_festival_eves_are_rest_days_in_chinesecalendar():
    for year in (2025, 2026):
        eve = LunarDate(year, 1, 1).to_solar_date() - ONE_DAY
        assert chinese_calendar.is_holiday(eve), year


# -- Properties -----------------------------------------------------------------------------------

any_day = st.dates(min_value=date(2004, 1, 1), max_value=date(2029, 6, 30))
count = st.integers(min_value=0, max_value=60)
FAST = settings(max_examples=80, deadline=None)
LENIENT = WorkCalendar()


@FAST
@given(any_day, st.integers(min_value=1, max_value=60))
def test_a_positive_count_lands_on_a_working_day(start, n):
    result = LENIENT.add_workdays(start, n)
    assert result.day > start
    assert LENIENT.is_workday(result.day)


@FAST
@given(any_day, count, count)
def test_adding_workdays_composes(start, a, b):
    step = LENIENT.add_workdays(LENIENT.add_workdays(start, a).day, b).day
    assert LENIENT.add_workdays(start, a + b).day == step


@FAST
@given(any_day, count)
def test_workdays_between_inverts_add_workdays(start, n):
    result = LENIENT.add_workdays(start, n)
    assert LENIENT.workdays_between(start, result.day) == n
    assert LENIENT.workdays_between(result.day, start) == -n
    assert result.provisional == LENIENT.is_provisional_span(start, result.day)


@FAST
@given(any_day, any_day, count)
def test_add_workdays_is_monotonic(a, b, n):
    early, late = sorted((a, b))
    assert LENIENT.add_workdays(early, n).day <= LENIENT.add_workdays(late, n).day
    assert LENIENT.add_workdays(early, n).day <= LENIENT.add_workdays(early, n + 1).day


@FAST
@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 1)), count)
def test_known_years_match_the_chinesecalendar_oracle(start, n):
    result = LENIENT.add_workdays(start, n)
    if result.day.year <= LAST_KNOWN:
        assert result == WorkdayResult(oracle_add_workdays(start, n), provisional=False)


@FAST
@given(any_day, st.sampled_from(list(DayKind)))
def test_an_override_always_wins(day, kind):
    calendar = WorkCalendar()
    calendar.set_override(day, kind)
    assert calendar.is_workday(day) == (kind is DayKind.WORKDAY)


@FAST
@given(st.dates(min_value=date(2027, 1, 1), max_value=date(2028, 12, 31)), count)
def test_loading_the_year_removes_the_provisional_flag(start, n):
    calendar = WorkCalendar()
    for year in (2027, 2028, 2029):
        calendar.load_year(year, holidays=[date(year, 1, 1)])
    assert calendar.add_workdays(start, n).provisional is False


def test_module_docstring_example_runs():
    assert doctest.testmod(workdays_module).failed == 0
