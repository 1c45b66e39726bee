"""Working time: daily office hours on Chinese working days. The one place that answers "what is two
working hours after 19:40 on Tuesday?". Which days are working days (holidays, 调休 make-up days, the
fallback for years chinese_calendar does not know) is bot/calendar_cn's business."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from kernel.calendar_cn import is_workday
from kernel.settings import OFFICE_HOURS, Hours


def add_working_minutes(start: datetime, minutes: float, tz: ZoneInfo, hours: Hours = OFFICE_HOURS) -> datetime:
    """`start` plus `minutes` of working time, counted only inside office hours on working days.

    Aware in, aware UTC-comparable out (in `tz`). A start outside office hours begins counting at the
    next opening; a deadline that lands exactly on closing time stays there (not the next morning)."""
    local = start.astimezone(tz)
    left = timedelta(minutes=minutes)
    day = local.date()
    cursor = local
    for _ in range(3700):   # at most ~10 years of days; protects against a zero-length office day
        open_at = datetime.combine(day, hours.start, tz)
        close_at = datetime.combine(day, hours.end, tz)
        if is_workday(day) and close_at > open_at:
            begin = max(cursor, open_at)
            if begin <= close_at:
                available = close_at - begin
                if left <= available:
                    return begin + left
                left -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0, 0), tz)
    raise ValueError("no working time found")


def working_minutes_between(a: datetime, b: datetime, tz: ZoneInfo, hours: Hours = OFFICE_HOURS) -> float:
    """Working minutes from a to b (0 if b <= a). Used to show 'time left' on working-hour clocks."""
    if b <= a:
        return 0.0
    total = timedelta()
    day = a.astimezone(tz).date()
    end_day = b.astimezone(tz).date()
    while day <= end_day:
        if is_workday(day):
            lo = max(a, datetime.combine(day, hours.start, tz))
            hi = min(b, datetime.combine(day, hours.end, tz))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 60


def on_duty(duty: Hours | None, when: datetime, tz: ZoneInfo) -> bool:
    """Whether a person with these duty hours is on duty at `when` (None: always). Overnight windows
    (e.g. 20:00-08:00) wrap past midnight."""
    if duty is None:
        return True
    t = when.astimezone(tz).time()
    if duty.start <= duty.end:
        return duty.start <= t < duty.end
    return t >= duty.start or t < duty.end
