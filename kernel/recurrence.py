"""Recurring times as staff and operators write them: 每天 18:00 · 工作日 09:00 · 每周一 09:00 · 每月1日 10:00 ·
standard 5-field cron. The one parser for push schedules, survey schedules and the config's [pushes] digest
(which is why it lives in the kernel: the config is validated with it at load)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger


@dataclass(frozen=True, slots=True)
class When:
    """A schedule's timing: `cron` (standard 5-field, local time) for recurring, else `once_at` (UTC)."""

    label: str
    cron: str | None = None
    once_at: datetime | None = None
    workdays: bool = False      # 工作日 09:00: also skip weekends / holidays


_WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 0, "天": 0, "七": 0,
             "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 0}
_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "十一": 11, "十二": 12, "零": 0}
_TIME = (r"(?P<part>早上|上午|中午|下午|晚上|傍晚)?\s*(?P<h>\d{1,2}|[一二两三四五六七八九十]{1,3})"
         r"(?:[:：点时]\s*(?P<m>\d{1,2}|半|整)?分?)")
_DAILY_RE = re.compile(rf"^(?:每天|每日|天天)\s*{_TIME}$")
_WORKDAY_RE = re.compile(rf"^(?:每个?工作日|工作日)\s*{_TIME}$")
_WEEKLY_RE = re.compile(rf"^(?:每|每个)(?:周|星期|礼拜)(?P<days>[一二三四五六日天七1-7、,，和及]+)\s*{_TIME}$")
_MONTHLY_RE = re.compile(rf"^每(?:个)?月\s*(?P<day>\d{{1,2}}|[一二三四五六七八九十]{{1,3}}|最后一天|月底)\s*[日号]?\s*{_TIME}$")
_CRON_RE = re.compile(r"^(?:cron\s*[:：]?\s*)?((?:\S+\s+){4}\S+)$", re.I)
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?]+$")


class WhenError(ValueError):
    pass


def _cn_int(s: str) -> int:
    if s.isdigit():
        return int(s)
    if s in _CN_NUM:
        return _CN_NUM[s]
    if len(s) == 2 and s[0] == "十":
        return 10 + _CN_NUM[s[1]]
    if len(s) in (2, 3) and s[1:2] == "十":
        return _CN_NUM[s[0]] * 10 + (_CN_NUM[s[2]] if len(s) == 3 else 0)
    raise WhenError(f"not a number: {s}")


def _clock(m: re.Match[str]) -> tuple[int, int]:
    h = _cn_int(m["h"])
    minute = 30 if m["m"] == "半" else (0 if m["m"] in (None, "", "整") else int(m["m"]))
    part = m["part"]
    if part in ("下午", "晚上", "傍晚") and h < 12:
        h += 12
    elif part == "中午" and h < 6:
        h += 12
    if not (0 <= h <= 23 and 0 <= minute <= 59):
        raise WhenError("no such time")
    return h, minute


def parse_recurrence(text: str) -> When | None:
    """Chinese recurring forms and standard cron; None if the text is not a recurrence.

    每天 18:00 · 工作日 09:00 · 每周一 09:00 · 每周一、三 9点半 · 每月1日 10:00 · 每月最后一天 下午4点 ·
    "0 10 1 * *" (minute hour day month weekday, weekday 0/7 = Sunday). Raises WhenError when the
    text looks like one of these forms but a value is impossible."""
    t = re.sub(r"\s+", " ", text.strip())
    if m := _DAILY_RE.match(t):
        h, mi = _clock(m)
        return When(f"每天 {h:02d}:{mi:02d}", cron=f"{mi} {h} * * *")
    if m := _WORKDAY_RE.match(t):
        h, mi = _clock(m)
        return When(f"工作日 {h:02d}:{mi:02d}", cron=f"{mi} {h} * * 1-5", workdays=True)
    if m := _WEEKLY_RE.match(t):
        h, mi = _clock(m)
        days = sorted({_WEEKDAYS[c] for c in m["days"] if c in _WEEKDAYS}, key=lambda d: (d == 0, d))
        if not days:
            raise WhenError("no weekday")
        names = "、".join("日一二三四五六"[d] for d in days)
        return When(f"每周{names} {h:02d}:{mi:02d}", cron=f"{mi} {h} * * {','.join(map(str, days))}")
    if m := _MONTHLY_RE.match(t):
        h, mi = _clock(m)
        if m["day"] in ("最后一天", "月底"):
            return When(f"每月最后一天 {h:02d}:{mi:02d}", cron=f"{mi} {h} last * *")
        day = _cn_int(m["day"])
        if not 1 <= day <= 31:
            raise WhenError("no such day of month")
        return When(f"每月{day}日 {h:02d}:{mi:02d}", cron=f"{mi} {h} {day} * *")
    if (m := _CRON_RE.match(t)) and all(_CRON_FIELD.match(f) for f in m.group(1).split()):
        cron = m.group(1)
        make_trigger(cron, ZoneInfo("UTC"))   # validates (raises WhenError)
        return When(f"cron {cron}", cron=cron)
    return None


_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _dow_field(field: str) -> str:
    """Standard cron weekdays (0/7 = Sunday) → APScheduler 3 names (its numbers start at Monday)."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step = part.partition("/")
        if rng.isalpha():
            names = rng.lower()[:3]
            if names not in _DOW_NAMES:
                raise WhenError(f"bad weekday {part}")
            days.add(_DOW_NAMES.index(names))
            continue
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = int(a), int(b)
        else:
            lo = hi = int(rng)
        if not (0 <= lo <= 7 and 0 <= hi <= 7 and lo <= hi):
            raise WhenError(f"bad weekday {part}")
        days.update(d % 7 for d in range(lo, hi + 1, int(step) if step else 1))
    return ",".join(_DOW_NAMES[d] for d in sorted(days))


def make_trigger(cron: str, tz: ZoneInfo) -> CronTrigger:
    fields = cron.split()
    if len(fields) != 5:
        raise WhenError("cron needs 5 fields: minute hour day month weekday")
    minute, hour, day, month, dow = fields
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_dow_field(dow), timezone=tz)
    except (ValueError, TypeError) as exc:
        raise WhenError(str(exc)) from None


def next_fire(cron: str, tz: ZoneInfo, after: datetime, *, inclusive: bool = False) -> datetime | None:
    """The first firing strictly after `after` (or at it, when inclusive), in UTC."""
    trigger = make_trigger(cron, tz)
    start = after if inclusive else after + timedelta(microseconds=1)
    fire = trigger.get_next_fire_time(None, start.astimezone(tz))
    return fire.astimezone(ZoneInfo("UTC")) if fire else None
