"""Quiet hours, Chinese public holidays and 调休, and reading schedules (cron and Chinese forms)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from kernel.calendar_cn import DayRule, WorkCalendar, calendar_for, in_window
from kernel.config import Hours
from models.pushes import WhenError, next_fire, parse_recurrence

TZ = ZoneInfo("Asia/Shanghai")
QUIET = Hours(time(21, 30), time(8, 0))
CAL = WorkCalendar()


def local(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=TZ)


def test_quiet_window_wraps_midnight() -> None:
    assert in_window(time(22, 0), QUIET) and in_window(time(3, 0), QUIET) and in_window(time(21, 30), QUIET)
    assert not in_window(time(8, 0), QUIET) and not in_window(time(12, 0), QUIET) and not in_window(time(21, 29), QUIET)
    assert in_window(time(12, 30), Hours(time(12, 0), time(14, 0)))


def test_chinese_calendar_knows_2026_holidays_and_in_lieu_workdays() -> None:
    # 国庆 2026: 10/1–10/7 off; Saturday 10/10 is a working day (调休); plain Saturdays are rest days.
    assert CAL.holiday_name(date(2026, 10, 1)) == "国庆节"
    assert CAL.holiday_name(date(2026, 2, 17)) == "春节"
    assert CAL.is_workday(date(2026, 10, 10)) and CAL.day(date(2026, 10, 10)).in_lieu_workday
    assert not CAL.is_workday(date(2026, 11, 28)) and CAL.holiday_name(date(2026, 11, 28)) is None
    assert CAL.is_workday(date(2026, 10, 8))


def test_outside_the_data_range_weekends_and_fixed_holidays_still_count() -> None:
    info = CAL.day(date(2031, 10, 2))
    assert not info.known and info.holiday == "国庆节" and not info.workday
    assert not CAL.is_workday(date(2031, 1, 4))          # a Saturday
    assert CAL.is_workday(date(2031, 1, 6))


def test_config_overrides_win(config) -> None:  # type: ignore[no-untyped-def]
    from kernel.config import parse_config

    raw = (config.path.read_text(encoding="utf-8")
           .replace("holidays = []", 'holidays = ["2026-11-25"]').replace("workdays = []", "workdays = [2026-11-28]"))
    cal = calendar_for(parse_config(raw, config.path))
    assert not cal.is_workday(date(2026, 11, 25)) and cal.is_workday(date(2026, 11, 28))


def test_next_allowed_moves_out_of_quiet_hours_and_off_holidays() -> None:
    at, why = CAL.next_allowed(local("2026-11-24 03:00"), TZ, QUIET, DayRule.SKIP_HOLIDAYS)
    assert at.astimezone(TZ) == local("2026-11-24 08:00") and why == "免打扰时段"
    at, why = CAL.next_allowed(local("2026-11-24 22:15"), TZ, QUIET)
    assert at.astimezone(TZ) == local("2026-11-25 08:00")
    # a 10:00 push on 国庆 keeps its time of day on the first day after the holiday
    at, why = CAL.next_allowed(local("2026-10-01 10:00"), TZ, QUIET, DayRule.SKIP_HOLIDAYS)
    assert at.astimezone(TZ) == local("2026-10-08 10:00") and why == "国庆节"
    # skip_holidays=false: it goes on the day
    at, why = CAL.next_allowed(local("2026-10-01 10:00"), TZ, QUIET, DayRule.ANY)
    assert at.astimezone(TZ) == local("2026-10-01 10:00") and why is None
    # workdays only: Saturday → Monday; the 调休 Saturday 10/10 is a working day
    at, _ = CAL.next_allowed(local("2026-11-28 10:00"), TZ, QUIET, DayRule.WORKDAYS)
    assert at.astimezone(TZ) == local("2026-11-30 10:00")
    at, _ = CAL.next_allowed(local("2026-10-10 10:00"), TZ, QUIET, DayRule.WORKDAYS)
    assert at.astimezone(TZ) == local("2026-10-10 10:00")


def test_working_time_for_other_modules() -> None:
    hours = Hours(time(8, 30), time(17, 30))
    assert CAL.is_working_time(local("2026-11-24 10:00"), TZ, hours)
    assert not CAL.is_working_time(local("2026-10-02 10:00"), TZ, hours)
    assert CAL.next_working_time(local("2026-09-30 18:00"), TZ, hours).astimezone(TZ) == local("2026-10-08 08:30")


@pytest.mark.parametrize("text,cron,label", [
    ("每月1日 10:00", "0 10 1 * *", "每月1日 10:00"),
    ("每月1号 10点", "0 10 1 * *", "每月1日 10:00"),
    ("每周一 09:00", "0 9 * * 1", "每周一 09:00"),
    ("每周一、三 9点半", "30 9 * * 1,3", "每周一、三 09:30"),
    ("每周日 下午3点", "0 15 * * 0", "每周日 15:00"),
    ("每天 18:00", "0 18 * * *", "每天 18:00"),
    ("每天晚上7点", "0 19 * * *", "每天 19:00"),
    ("工作日 9点", "0 9 * * 1-5", "工作日 09:00"),
    ("每月最后一天 16:00", "0 16 last * *", "每月最后一天 16:00"),
    ("0 10 1 * *", "0 10 1 * *", "cron 0 10 1 * *"),
    ("30 8 * * 1-5", "30 8 * * 1-5", "cron 30 8 * * 1-5"),
])
def test_recurrence_forms(text: str, cron: str, label: str) -> None:
    when = parse_recurrence(text)
    assert when is not None and when.cron == cron and when.label == label


def test_not_a_recurrence_and_impossible_values() -> None:
    assert parse_recurrence("明天上午9点") is None
    assert parse_recurrence("今天天气不错") is None
    with pytest.raises(WhenError):
        parse_recurrence("每天 25:00")
    with pytest.raises(WhenError):
        parse_recurrence("0 10 1 13 *")


def test_fire_times_are_local_and_weekdays_follow_standard_cron() -> None:
    after = local("2026-11-23 09:00")        # a Monday
    # standard cron: 1 = Monday, 0 and 7 = Sunday (APScheduler 3 alone would read 0 as Monday)
    assert next_fire("0 9 * * 1", TZ, after).astimezone(TZ) == local("2026-11-30 09:00")
    assert next_fire("0 9 * * 1", TZ, after, inclusive=True).astimezone(TZ) == local("2026-11-23 09:00")
    assert next_fire("0 9 * * 0", TZ, after).astimezone(TZ) == local("2026-11-29 09:00")
    assert next_fire("0 9 * * 7", TZ, after).astimezone(TZ) == local("2026-11-29 09:00")
    assert next_fire("0 10 1 * *", TZ, after).astimezone(TZ) == local("2026-12-01 10:00")
    assert next_fire("0 16 last * *", TZ, after).astimezone(TZ) == local("2026-11-30 16:00")
