"""Booking rules one by one (pure functions), and finding rooms by name, alias, part or typo."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kernel.config import Config, RoomConfig
from models import booking_rules as R
from models.booking import find_rooms

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)     # a Monday


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def room(config: Config, name: str) -> RoomConfig:
    return next(r for r in config.rooms if r.name == name)


def req(rc: RoomConfig, start: datetime, end: datetime, party: int = 1, staff: bool = False,
        exclude: int | None = None) -> R.Request:
    return R.Request(rc, "wx_zhang", start, end, party, staff, exclude)


def first(rc: RoomConfig, start: datetime, end: datetime, **kw) -> str | None:  # type: ignore[no-untyped-def]
    found = R.check_static(req(rc, start, end, **kw), NOW, TZ)
    return found[0].code if found else None


def test_each_static_rule_refuses_and_allows(config: Config) -> None:
    piano = room(config, "钢琴房")          # 08:30–21:30, 30–120 min, 14 days ahead
    calligraphy = room(config, "书画室")    # closed on Mondays
    study = room(config, "自习室")          # 20 seats
    assert first(piano, at(24, 15), at(24, 17)) is None
    assert first(piano, at(23, 8), at(23, 8, 30)) == "in_past"
    assert first(piano, at(24, 17), at(24, 15)) == "end_before_start"
    assert first(piano, at(24, 7), at(24, 8)) == "outside_hours"
    assert first(piano, at(24, 21), at(24, 22)) == "outside_hours"
    assert first(piano, at(24, 15), at(24, 15, 20)) == "too_short"
    assert first(piano, at(24, 13), at(24, 16)) == "too_long"
    assert first(piano, at(10, 15, month=12), at(10, 16, month=12)) == "too_far_ahead"
    assert first(piano, at(10, 15, month=12), at(10, 16, month=12), staff=True) is None   # staff plan ahead
    assert first(calligraphy, at(30, 15), at(30, 16)) == "closed_weekday"
    assert first(calligraphy, at(24, 15), at(24, 16)) is None
    assert first(study, at(24, 15), at(24, 16), party=21) == "over_capacity"
    assert first(study, at(24, 15), at(24, 16), party=20) is None


def test_closed_dates_and_staff_only_rooms(config: Config) -> None:
    base = room(config, "瑜伽室")
    closed = RoomConfig(**{**base.__dict__, "closed_dates": ("2026-11-25",)})
    assert first(closed, at(25, 10), at(25, 11)) == "closed_date"
    staff_room = RoomConfig(**{**base.__dict__, "who": "staff"})
    assert first(staff_room, at(25, 10), at(25, 11)) == "staff_only"
    assert first(staff_room, at(25, 10), at(25, 11), staff=True) is None


def test_weekly_quota(config: Config) -> None:
    piano = room(config, "钢琴房")          # 4 hours a week
    r = req(piano, at(25, 15), at(25, 17))
    assert R.weekly_quota(r, used_minutes=120) is None
    v = R.weekly_quota(r, used_minutes=180)
    assert v is not None and v.code == "over_quota" and v.detail["left_minutes"] == 60
    assert R.weekly_quota(req(piano, at(25, 15), at(25, 17), staff=True), used_minutes=600) is None
    assert R.weekly_quota(req(room(config, "会议室"), at(25, 15), at(25, 17)), used_minutes=10_000) is None


def test_conflicts_whole_room_with_buffer(config: Config) -> None:
    piano = room(config, "钢琴房")          # buffer 10 minutes
    held = [R.Held(1, "B101", at(25, 15), at(25, 17), 1)]
    assert R.conflicts(req(piano, at(25, 16), at(25, 18)), held, []).code == "conflict"        # overlap
    near = R.conflicts(req(piano, at(25, 17, 5), at(25, 18)), held, [])                         # inside buffer
    assert near.code == "conflict" and near.detail["overlap"] is False
    assert R.conflicts(req(piano, at(25, 17, 10), at(25, 18)), held, []) is None                # buffer kept
    assert R.conflicts(req(piano, at(25, 16), at(25, 18), exclude=1), held, []) is None         # moving itself
    yoga = room(config, "瑜伽室")           # no buffer: back to back is fine
    assert R.conflicts(req(yoga, at(25, 17), at(25, 18)), held, []) is None
    block = [R.Interval(at(25, 0), at(26, 0), "维修")]
    v = R.conflicts(req(yoga, at(25, 10), at(25, 11)), [], block)
    assert v.code == "blocked" and v.detail["reason"] == "维修"


def test_conflicts_per_seat_counts_the_peak_not_the_sum(config: Config) -> None:
    study = room(config, "自习室")          # 20 seats
    held = [R.Held(1, "B101", at(25, 9), at(25, 11), 12), R.Held(2, "B102", at(25, 11), at(25, 13), 12),
            R.Held(3, "B103", at(25, 10), at(25, 12), 6)]
    # 9–13: peak is 18 (12 + 6 at 10–11, and 12 + 6 at 11–12), never 30
    assert R.max_concurrent(held, at(25, 9), at(25, 13)) == 18
    assert R.conflicts(req(study, at(25, 9), at(25, 13), party=2), held, []) is None
    v = R.conflicts(req(study, at(25, 9), at(25, 13), party=3), held, [])
    assert v.code == "seats_full" and v.detail["free"] == 2
    assert R.conflicts(req(study, at(25, 13), at(25, 14), party=20), held, []) is None       # after they end


def test_needs_approval(config: Config) -> None:
    assert R.needs_approval(room(config, "会议室"), is_staff=False)
    assert not R.needs_approval(room(config, "会议室"), is_staff=True)
    assert not R.needs_approval(room(config, "钢琴房"), is_staff=False)


@pytest.mark.parametrize("text, expected", [
    ("预约 钢琴房 明天下午3点", "钢琴房"),
    ("琴房明天有空吗", "钢琴房"),              # alias
    ("帮我约乒乓明天下午", "乒乓球室"),         # part of the name
    ("订两个自习的座位", "自习室"),
    ("我想订周六上午的自习室两个座", "自习室"),
    ("借会议室开业委会", "会议室"),
    ("预约钢琴室", "钢琴房"),                  # a typo: 室 for 房
    ("约瑜珈室", "瑜伽室"),                    # 珈 for 伽
    ("创客空间还有位置吗", "青年创客坊"),
    ("亲子室周日上午", "亲子活动室"),
])
def test_find_rooms(config: Config, text: str, expected: str) -> None:
    m = find_rooms(config, text)
    assert m.room is not None and m.room.name == expected, m


def test_find_rooms_ambiguous_and_unknown(config: Config) -> None:
    both = find_rooms(config, "钢琴房还是瑜伽室好")
    assert {r.name for r in both.rooms} == {"钢琴房", "瑜伽室"} and both.room is None
    assert find_rooms(config, "预约游泳池明天下午").rooms == ()
    assert find_rooms(config, "明天下午3点到5点").rooms == ()


def test_week_bounds_and_open_window(config: Config) -> None:
    start, end = R.week_bounds(at(26, 15), TZ)
    assert start == at(23, 0) and end - start == timedelta(days=7)
    opens, closes = R.open_window(room(config, "健身房"), at(26, 0).date(), TZ)
    assert (opens.hour, opens.minute, closes.hour, closes.minute) == (6, 30, 21, 30)


def test_booking_settings_come_from_the_booking_section(config: Config) -> None:
    from kernel.config import parse_config
    from kernel.settings import BookingSettings

    assert config.booking == BookingSettings()     # the demo community uses the defaults
    raw = (config.path.read_text(encoding="utf-8")
           .replace("reminder_minutes = 60", "reminder_minutes = 30")
           .replace("checkin_grace_minutes = 15", "checkin_grace_minutes = 20"))
    custom = parse_config(raw, config.path).booking
    assert (custom.reminder_minutes, custom.checkin_grace_minutes, custom.offer_minutes) == (30, 20, 10)
