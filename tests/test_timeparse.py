"""Chinese time expressions: readings, errors, ambiguity and the echo."""

from __future__ import annotations

from datetime import datetime, time, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zoneinfo import ZoneInfo

from kernel.text.timeparse import (
    END_BEFORE_START,
    IN_PAST,
    INVALID_DATE,
    NONE_FOUND,
    TimeReading,
    describe,
    parse_point,
    parse_span,
    strip_noise,
)

TZ = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


TUE = at(11, 24, 8, 50)        # Tuesday morning
SUN_EVE = at(11, 29, 20, 0)    # Sunday evening
SAT = at(11, 28, 10, 0)        # Saturday, mid-morning
WED_EVE = at(11, 25, 20, 0)    # Wednesday evening
ROOM = {"open_from": time(8, 30), "open_until": time(21, 30)}
NO_HOURS: dict[str, time] = {}

# (text, now, opening hours, expected start, expected end)
CASES: list[tuple[str, datetime, dict[str, time], datetime, datetime | None]] = [
    ("明天下午3点到5点", TUE, NO_HOURS, at(11, 25, 15), at(11, 25, 17)),
    ("周六上午", TUE, NO_HOURS, at(11, 28, 9), at(11, 28, 12)),
    ("下周三晚上7点半", TUE, NO_HOURS, at(12, 2, 19, 30), None),
    ("后天14:00-16:00", TUE, NO_HOURS, at(11, 26, 14), at(11, 26, 16)),
    ("明早8点", TUE, NO_HOURS, at(11, 25, 8), None),
    ("今晚7点到9点", TUE, NO_HOURS, at(11, 24, 19), at(11, 24, 21)),
    ("周日上午10点 一个半小时", TUE, NO_HOURS, at(11, 29, 10), at(11, 29, 11, 30)),
    ("后天晚上七点 一个小时", TUE, NO_HOURS, at(11, 26, 19), at(11, 26, 20)),
    ("下周三下午两点到四点", TUE, NO_HOURS, at(12, 2, 14), at(12, 2, 16)),
    ("11月27日14:30", TUE, NO_HOURS, at(11, 27, 14, 30), None),
    ("12月1日上午9点到11点", TUE, NO_HOURS, at(12, 1, 9), at(12, 1, 11)),
    ("这周五下午", TUE, NO_HOURS, at(11, 27, 14), at(11, 27, 18)),
    ("大后天上午10点", TUE, NO_HOURS, at(11, 27, 10), None),
    ("今天下午两点到五点", TUE, NO_HOURS, at(11, 24, 14), at(11, 24, 17)),
    ("周末上午", TUE, NO_HOURS, at(11, 28, 9), at(11, 28, 12)),
    ("3点到5点", TUE, ROOM, at(11, 24, 15), at(11, 24, 17)),
    ("下午3:30-5:00", TUE, NO_HOURS, at(11, 24, 15, 30), at(11, 24, 17)),
    ("明天中午12点到1点", TUE, NO_HOURS, at(11, 25, 12), at(11, 25, 13)),
    ("1月5号晚上", TUE, NO_HOURS, at(1, 5, 19, year=2027), at(1, 5, 21, year=2027)),
    ("星期二晚上7点", TUE, NO_HOURS, at(11, 24, 19), None),
    ("礼拜六下午", TUE, NO_HOURS, at(11, 28, 14), at(11, 28, 18)),
    ("每周二晚上7点", TUE, NO_HOURS, at(11, 24, 19), None),
    ("今晚", TUE, NO_HOURS, at(11, 24, 19), at(11, 24, 21)),
    ("3点", TUE, ROOM, at(11, 24, 15), None),
    ("8点", TUE, ROOM, at(11, 24, 20), None),
    ("明天8点", TUE, ROOM, at(11, 25, 20), None),
    ("明儿下午", TUE, NO_HOURS, at(11, 25, 14), at(11, 25, 18)),
    ("周一上午", TUE, NO_HOURS, at(11, 30, 9), at(11, 30, 12)),       # never a past Monday
    ("上午10点到下午2点", TUE, NO_HOURS, at(11, 24, 10), at(11, 24, 14)),
    ("10点到2点", TUE, ROOM, at(11, 24, 10), at(11, 24, 14)),
    ("三到五点", TUE, ROOM, at(11, 24, 15), at(11, 24, 17)),
    ("我想预约明天下午3点到5点的钢琴房", TUE, NO_HOURS, at(11, 25, 15), at(11, 25, 17)),
    ("11月27日(周五)14:30", TUE, NO_HOURS, at(11, 27, 14, 30), None),
    ("今晚8点到明早8点", TUE, NO_HOURS, at(11, 24, 20), at(11, 25, 8)),
    ("三天后下午3点", TUE, NO_HOURS, at(11, 27, 15), None),
    ("下个月5号下午3点", TUE, NO_HOURS, at(12, 5, 15), None),
    ("28号下午", TUE, NO_HOURS, at(11, 28, 14), at(11, 28, 18)),
    ("2026-12-01 14:00", TUE, NO_HOURS, at(12, 1, 14), None),
    ("12/1下午", TUE, NO_HOURS, at(12, 1, 14), at(12, 1, 18)),
    ("明天", TUE, ROOM, at(11, 25, 8, 30), at(11, 25, 21, 30)),
    ("明天下午3点 2小时", TUE, NO_HOURS, at(11, 25, 15), at(11, 25, 17)),
    ("明天下午3点两个钟头", TUE, NO_HOURS, at(11, 25, 15), at(11, 25, 17)),
    ("明天下午3点 半小时", TUE, NO_HOURS, at(11, 25, 15), at(11, 25, 15, 30)),
    ("明天上午9点 90分钟", TUE, NO_HOURS, at(11, 25, 9), at(11, 25, 10, 30)),
    ("周六上午两小时", TUE, NO_HOURS, at(11, 28, 9), at(11, 28, 11)),
    ("八点零五", TUE, NO_HOURS, at(11, 24, 20, 5), None),           # 08:05 has passed
    # Calendar words: fixed festivals by table, lunar dates and solar terms by jionlp-time.
    ("元旦上午", TUE, NO_HOURS, at(1, 1, 9, year=2027), at(1, 1, 12, year=2027)),
    ("中秋节晚上7点", TUE, NO_HOURS, at(9, 15, 19, year=2027), None),
    ("腊八", TUE, NO_HOURS, at(1, 15, year=2027), at(1, 16, year=2027)),
    ("冬至", TUE, NO_HOURS, at(12, 22), at(12, 23)),
    ("除夕", TUE, NO_HOURS, at(2, 5, year=2027), at(2, 6, year=2027)),
    ("感恩节上午", TUE, NO_HOURS, at(11, 26, 9), at(11, 26, 12)),
    # Sunday evening.
    ("周六上午", SUN_EVE, NO_HOURS, at(12, 5, 9), at(12, 5, 12)),
    ("今晚", SUN_EVE, NO_HOURS, at(11, 29, 20), at(11, 29, 21)),
    ("下周三晚上7点", SUN_EVE, NO_HOURS, at(12, 2, 19), None),
    ("周末上午", SUN_EVE, NO_HOURS, at(12, 5, 9), at(12, 5, 12)),
    ("3点", SUN_EVE, ROOM, at(11, 30, 15), None),                 # no day, today's has passed
    ("下午3点", SUN_EVE, NO_HOURS, at(11, 30, 15), None),
    # Saturday mid-morning.
    ("周末上午", SAT, NO_HOURS, at(11, 29, 9), at(11, 29, 12)),    # Saturday's has passed
    ("周六下午", SAT, NO_HOURS, at(11, 28, 14), at(11, 28, 18)),
    ("周六上午", SAT, NO_HOURS, at(12, 5, 9), at(12, 5, 12)),
    ("这周六", SAT, ROOM, at(11, 28, 10), at(11, 28, 21, 30)),     # the rest of today
    # Wednesday evening: a weekday whose time has passed today means next week.
    ("周三下午", WED_EVE, NO_HOURS, at(12, 2, 14), at(12, 2, 18)),
    ("星期三晚上8点", WED_EVE, NO_HOURS, at(11, 25, 20), None),
]


@pytest.mark.parametrize(("text", "now", "hours", "start", "end"), CASES,
                         ids=[f"{c[0]}@{c[1]:%a%H%M}" for c in CASES])
def test_readings(text: str, now: datetime, hours: dict[str, time], start: datetime,
                  end: datetime | None) -> None:
    r = parse_span(text, now, TZ, **hours)
    assert r.error is None, r
    assert (r.start, r.end) == (start, end)
    assert r.start is not None and r.start.tzinfo is not None


@pytest.mark.parametrize(("text", "error"), [
    ("2月30日下午3点", INVALID_DATE),
    ("31号", INVALID_DATE),                  # November has 30 days
    ("昨天下午3点", IN_PAST),
    ("这周一上午", IN_PAST),                   # this calendar week's Monday was yesterday
    ("下午5点到3点", END_BEFORE_START),
    ("5点到3点", END_BEFORE_START),
    ("好的谢谢", NONE_FOUND),
    ("能不能早一点", NONE_FOUND),              # 早一点 is "a bit earlier", not 1 a.m.
    ("2小时", NONE_FOUND),                    # a duration alone is no time
    ("", NONE_FOUND),
])
def test_errors(text: str, error: str) -> None:
    assert parse_span(text, TUE, TZ).error == error


def test_errors_keep_the_reading_to_show() -> None:
    past = parse_span("昨天下午3点", TUE, TZ)
    assert past.start == at(11, 23, 15)
    assert describe(past, TUE, TZ) == "11月23日(周一)下午 15:00"
    backwards = parse_span("下午5点到3点", TUE, TZ)
    assert (backwards.start, backwards.end) == (at(11, 24, 17), at(11, 24, 15))
    assert parse_span("今晚7点", SUN_EVE, TZ).error == IN_PAST
    assert parse_span("2月30日", TUE, TZ).start is None


def test_duration_and_default_length() -> None:
    r = parse_span("后天晚上七点 一个小时", TUE, TZ)
    assert r.has_end and r.matched == "后天晚上七点 一个小时"
    bare = parse_span("明天下午3点", TUE, TZ)
    assert (bare.end, bare.has_end) == (None, False)
    default = parse_span("明天下午3点", TUE, TZ, default_minutes=60)
    assert (default.end, default.has_end) == (at(11, 25, 16), False)
    ranged = parse_span("明天下午3点到5点", TUE, TZ, default_minutes=60)
    assert ranged.end == at(11, 25, 17) and ranged.has_end


def test_part_of_day_is_vague_and_clipped_to_opening_hours() -> None:
    r = parse_span("明天早上", TUE, TZ, open_from=time(8, 30), open_until=time(21, 30))
    assert (r.start, r.end, r.vague, r.has_end) == (at(11, 25, 8, 30), at(11, 25, 9), True, False)
    assert not parse_span("明天早上8点", TUE, TZ).vague


def test_bare_hour_ambiguity() -> None:
    # No hint at all: both readings stay, the habitual one first.
    r = parse_span("明天3点", TUE, TZ)
    assert r.ambiguous and r.start == at(11, 25, 15)
    assert r.alternatives == ((at(11, 25, 15), None), (at(11, 25, 3), None))
    morning = parse_span("明天9点到11点", TUE, TZ)
    assert morning.ambiguous and morning.start == at(11, 25, 9)
    assert morning.alternatives[1] == (at(11, 25, 21), at(11, 25, 23))
    # Opening hours settle it; today's past reading is dropped.
    assert not parse_span("明天3点", TUE, TZ, **ROOM).ambiguous
    assert not parse_span("3点", TUE, TZ).ambiguous
    # Both inside the opening hours: still ambiguous, morning first for 7–11.
    wide = parse_span("明天8点", TUE, TZ, open_from=time(8), open_until=time(22))
    assert wide.ambiguous and wide.start == at(11, 25, 8)
    # A part of day or 24-hour time is never ambiguous.
    assert not parse_span("明天下午3点", TUE, TZ).ambiguous
    assert not parse_span("明天08:00", TUE, TZ).ambiguous


def test_recurrence() -> None:
    weekly = parse_span("每周二晚上7点", TUE, TZ)
    assert (weekly.recurrence, weekly.weekly_weekday) == ("weekly", 1)
    later = parse_span("每周二晚上7点", at(11, 24, 20), TZ)
    assert later.start == at(12, 1, 19) and later.error is None
    daily = parse_span("每晚7点", TUE, TZ)
    assert (daily.recurrence, daily.start) == ("daily", at(11, 24, 19))
    assert parse_span("周二晚上7点", TUE, TZ).recurrence is None


def test_strip_noise() -> None:
    # "四点半课堂" is a class; left in, it reads as 16:30.
    assert parse_span("四点半课堂周六上午", TUE, TZ).start == at(11, 24, 16, 30)
    cleaned = strip_noise("四点半课堂周六上午", [])
    assert parse_span(cleaned, TUE, TZ).start == at(11, 28, 9)
    assert parse_span(strip_noise("4:30课堂明天下午3点", []), TUE, TZ).start == at(11, 25, 15)
    text = strip_noise("约2号琴房明天下午3点", ["2号琴房", "琴房"])
    assert "琴房" not in text
    r = parse_span(text, TUE, TZ)
    assert (r.start, r.matched) == (at(11, 25, 15), "明天下午3点")
    # Even without stripping, "N号" before a room word is not read as a date.
    assert parse_span("3号楼明天上午", TUE, TZ).start == at(11, 25, 9)


def test_point() -> None:
    assert parse_point("11月27日14:30", TUE, TZ).start == at(11, 27, 14, 30)
    deadline = parse_point("截止 11月27日12:00", TUE, TZ)
    assert (deadline.start, deadline.matched) == (at(11, 27, 12), "11月27日12:00")
    assert parse_point("明天下午3点", TUE, TZ).start == at(11, 25, 15)
    whole_day = parse_point("截止11月27日", TUE, TZ)
    assert whole_day.vague and whole_day.end == at(11, 28)


def test_now_in_utc() -> None:
    utc_now = TUE.astimezone(timezone.utc)
    r = parse_span("明天下午3点到5点", utc_now, TZ)
    assert r.start == at(11, 25, 15) and r.start.tzinfo == TZ
    assert describe(r, utc_now, TZ) == "明天(11月25日 周三)下午 15:00–17:00"


@pytest.mark.parametrize(("text", "now", "hours", "echo"), [
    ("明天下午3点到5点", TUE, NO_HOURS, "明天(11月25日 周三)下午 15:00–17:00"),
    ("11月24日下午3点到5点", at(11, 20, 9), NO_HOURS, "11月24日(周二)下午 15:00–17:00"),
    ("明天晚上7点半到9点", TUE, NO_HOURS, "明天(11月25日 周三)晚上 19:30–21:00"),
    ("周六上午", TUE, NO_HOURS, "11月28日(周六)上午 09:00–12:00"),
    ("后天14:00-16:00", TUE, NO_HOURS, "后天(11月26日 周四)下午 14:00–16:00"),
    ("明早8点", TUE, NO_HOURS, "明天(11月25日 周三)早上 08:00"),
    ("1月5号晚上", TUE, NO_HOURS, "2027年1月5日(周二)晚上 19:00–21:00"),
    ("每周二晚上7点", TUE, NO_HOURS, "每周二，首次 今天(11月24日 周二)晚上 19:00"),
    ("明天", TUE, ROOM, "明天(11月25日 周三) 08:30–21:30"),
    ("冬至", TUE, NO_HOURS, "12月22日(周二) 全天"),
    ("周一到周五", TUE, NO_HOURS, "11月30日(周一) 至 12月4日(周五) 全天"),
    ("今晚8点到明早8点", TUE, NO_HOURS, "今天(11月24日 周二)晚上 20:00 至 明天(11月25日 周三)早上 08:00"),
    ("明天3点", TUE, NO_HOURS, "明天(11月25日 周三)下午 15:00（也可能是 03:00）"),
    ("今晚", SUN_EVE, NO_HOURS, "今天(11月29日 周日)晚上 20:00–21:00"),
])
def test_describe(text: str, now: datetime, hours: dict[str, time], echo: str) -> None:
    assert describe(parse_span(text, now, TZ, **hours), now, TZ) == echo


def test_describe_needs_a_reading() -> None:
    with pytest.raises(ValueError):
        describe(TimeReading(error=NONE_FOUND), TUE, TZ)


_ALPHABET = "今明后天周星期礼拜一二三四五六日末下上这每午晚早中点半到至-:：0123456789月号日小时个钟头分钟的 琴房"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=20))
def test_never_raises(text: str) -> None:
    r = parse_span(text, TUE, TZ, open_from=time(8, 30), open_until=time(21, 30), default_minutes=60)
    if r.ok:
        assert r.start is not None and r.start.tzinfo is not None
        assert r.end is None or r.end > r.start
        assert r.start >= TUE.replace(second=0)
        describe(r, TUE, TZ)
