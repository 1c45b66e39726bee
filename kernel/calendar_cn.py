"""Working days, Chinese public holidays, 调休 and quiet hours: when the bot may push, when staff work.

Holiday data comes from `chinese_calendar` (1.11 knows 2004–2026, including the 2026 holidays and the
weekend days that are working days, 调休). Beyond it, the config lists the year's days (the State Council
publishes them each November or December):

    [pushes]
    holidays = ["2027-02-05", "2027-02-06"]   # extra rest days (always win)
    workdays = ["2027-02-14"]                  # extra working days, e.g. a 调休 Sunday

A year neither knows falls back to a plain rule — Saturday and Sunday are rest days, plus the fixed-date
statutory holidays (元旦 1/1, 劳动节 5/1–5/2, 国庆节 10/1–10/3) — with a warning once per year; lunar
holidays (春节, 端午, 中秋) and 调休 are then unknown. `missing_years` tells the service which year to warn
loudly about at start-up.

All functions take aware datetimes and the community's time zone; nothing reads the wall clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import chinese_calendar

from kernel.config import Config, Hours

log = logging.getLogger("gridbot.calendar")

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
# The fallback beyond chinese_calendar's range: fixed-date statutory holidays only.
_FIXED_HOLIDAYS = {(1, 1): "元旦", (5, 1): "劳动节", (5, 2): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节",
                   (10, 3): "国庆节"}
_warned_years: set[int] = set()
LAST_PACKAGED_YEAR = max(d.year for d in chinese_calendar.holidays)


class DayRule(StrEnum):
    """Which days a push may go out on (per schedule)."""

    ANY = "any"                      # every day
    SKIP_HOLIDAYS = "skip_holidays"  # not on a statutory public holiday (ordinary weekends are fine)
    WORKDAYS = "workdays"            # working days only (weekends off, 调休 working weekends on)


@dataclass(frozen=True, slots=True)
class DayInfo:
    day: date
    workday: bool
    holiday: str | None       # Chinese name of the statutory holiday the day belongs to (rest day), else None
    in_lieu_workday: bool     # a weekend day that is a working day (调休上班)
    known: bool               # False: outside chinese_calendar's data, the fallback rule was used


@dataclass(frozen=True)
class WorkCalendar:
    """The calendar with the community's own overrides."""

    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def day(self, d: date) -> DayInfo:
        if d in self.extra_holidays:
            return DayInfo(d, False, "节假日", False, True)
        if d in self.extra_workdays:
            return DayInfo(d, True, None, d.weekday() >= 5, True)
        try:
            rest, name = chinese_calendar.get_holiday_detail(d)
        except NotImplementedError:
            if d.year not in _warned_years and not self.listed(d.year):
                _warned_years.add(d.year)
                log.warning("chinese_calendar has no data for %s: using weekends + fixed-date holidays only "
                            "(upgrade chinese_calendar, or list [pushes] holidays/workdays in the config)", d.year)
            fixed = _FIXED_HOLIDAYS.get((d.month, d.day))
            return DayInfo(d, fixed is None and d.weekday() < 5, fixed, False, False)
        zh = HOLIDAY_NAMES_ZH.get(name, name) if name else None
        return DayInfo(d, not rest, zh if rest else None, (not rest) and d.weekday() >= 5, True)

    def listed(self, year: int) -> bool:
        """The config lists rest days of this year (the operator has entered its holidays)."""
        return any(d.year == year for d in self.extra_holidays)

    def covers(self, year: int) -> bool:
        """Holidays and 调休 of this year are known: packaged, or listed in the config."""
        return year <= LAST_PACKAGED_YEAR or self.listed(year)

    def is_workday(self, d: date) -> bool:
        return self.day(d).workday

    def holiday_name(self, d: date) -> str | None:
        """The statutory holiday a rest day belongs to (春节, 国庆节…); None on working days and plain weekends."""
        return self.day(d).holiday

    def day_allowed(self, d: date, rule: DayRule | str) -> tuple[bool, str | None]:
        """(allowed, reason) — the reason names the holiday or says 非工作日."""
        rule = DayRule(rule)
        if rule == DayRule.ANY:
            return True, None
        info = self.day(d)
        if info.holiday:
            return False, info.holiday
        if rule == DayRule.WORKDAYS and not info.workday:
            return False, "非工作日"
        return True, None

    # ---------------------------------------------------------------- working hours (for others)

    def is_working_time(self, when: datetime, tz: ZoneInfo, hours: Hours) -> bool:
        local = when.astimezone(tz)
        return self.is_workday(local.date()) and in_window(local.time(), hours)

    def next_working_time(self, when: datetime, tz: ZoneInfo, hours: Hours) -> datetime:
        """`when` itself if it is working time, else the start of the next working period (aware, UTC)."""
        local = when.astimezone(tz)
        for _ in range(400):
            if self.is_workday(local.date()):
                if in_window(local.time(), hours):
                    return local.astimezone(ZoneInfo("UTC"))
                if local.time() < hours.start:
                    return _at(local.date(), hours.start, tz)
            local = datetime.combine(local.date() + timedelta(days=1), time(0), tz)
        raise ValueError("no working time within 400 days")

    # ---------------------------------------------------------------- pushes

    def next_allowed(self, when: datetime, tz: ZoneInfo, quiet: Hours | None,
                     rule: DayRule | str = DayRule.ANY) -> tuple[datetime, str | None]:
        """The first moment ≥ `when` outside quiet hours on an allowed day, and why it moved (None if not).

        A push moved off a rest day keeps its time of day on the next allowed day (a 10:00 survey
        stays a 10:00 survey); one moved out of quiet hours goes at the end of the quiet window."""
        local = when.astimezone(tz)
        reason: str | None = None
        for _ in range(400):
            ok, why = self.day_allowed(local.date(), rule)
            if not ok:
                reason = reason or why
                local = _at(local.date() + timedelta(days=1), local.time(), tz).astimezone(tz)
                continue
            if quiet is not None and in_window(local.time(), quiet):
                reason = reason or "免打扰时段"
                local = quiet_end(local, quiet, tz).astimezone(tz)
                continue
            return local.astimezone(ZoneInfo("UTC")), reason
        raise ValueError("no allowed push time within 400 days")


def in_window(t: time, hours: Hours) -> bool:
    """Whether a local time falls in a daily window; windows may wrap midnight (21:30–08:00)."""
    if hours.start <= hours.end:
        return hours.start <= t < hours.end
    return t >= hours.start or t < hours.end


def quiet_end(local: datetime, quiet: Hours, tz: ZoneInfo) -> datetime:
    """The end of the quiet window `local` is in (aware, in tz)."""
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)
    return _at(day, quiet.end, tz).astimezone(tz)


def in_quiet_hours(when: datetime, tz: ZoneInfo, quiet: Hours) -> bool:
    return in_window(when.astimezone(tz).time(), quiet)


def _at(d: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, t.replace(tzinfo=None), tz).astimezone(ZoneInfo("UTC"))


def calendar_for(config: Config | None) -> WorkCalendar:
    """The calendar with this config's [pushes] holidays/workdays overrides (two frozensets: cheap to build)."""
    if config is None:
        return DEFAULT
    return WorkCalendar(config.pushes.holidays, config.pushes.workdays)


def missing_years(config: Config, now: datetime) -> list[int]:
    """The year whose holidays nobody knows and that matters now: this year; or, from November (when the
    next year's holidays are published), next year."""
    cal, today = calendar_for(config), now.astimezone(config.timezone).date()
    if not cal.covers(today.year):
        return [today.year]
    if today.month >= 11 and not cal.covers(today.year + 1):
        return [today.year + 1]
    return []


DEFAULT = WorkCalendar()


def is_workday(d: date, config: Config | None = None) -> bool:
    return calendar_for(config).is_workday(d)


def holiday_name(d: date, config: Config | None = None) -> str | None:
    return calendar_for(config).holiday_name(d)


def is_working_time(when: datetime, config: Config, hours: Hours) -> bool:
    return calendar_for(config).is_working_time(when, config.timezone, hours)
