"""The booking dialogue on the time phrases of issue 13 §2: what it books, and that it asks when unsure."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models.booking import Booking


async def _bookings(h) -> list[tuple[datetime, datetime]]:  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        rows = (await s.scalars(select(Booking).order_by(Booking.id))).all()
    tz = h.config.timezone
    return [(b.start_at.astimezone(tz).replace(tzinfo=None), b.end_at.astimezone(tz).replace(tzinfo=None)) for b in rows]


async def test_residents_phrasings_are_booked_on_the_day_they_meant(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness   # Monday 2026-11-23 09:00
    said = {"下礼拜的星期四 下午3点到5点": ("12月3日(周四)下午 15:00–17:00", "2026-12-03 15:00", "2026-12-03 17:00"),
            "11.25 下午3点到4点": ("后天(11月25日 周三)下午 15:00–16:00", "2026-11-25 15:00", "2026-11-25 16:00"),
            "3点到5点 明天": ("明天(11月24日 周二)下午 15:00–17:00", "2026-11-24 15:00", "2026-11-24 17:00"),
            "明儿个晚上七八点": ("明天(11月24日 周二)晚上 19:00–20:00", "2026-11-24 19:00", "2026-11-24 20:00")}
    for i, (phrase, (echo, _, _)) in enumerate(said.items()):
        out = await h.say("私聊", f"wx_t{i}", f"预约 自习室 {phrase}")
        assert len(out) == 1 and "已预约" in out[0].text and echo in out[0].text, (phrase, [d.text for d in out])
    assert await _bookings(h) == [(datetime.fromisoformat(s), datetime.fromisoformat(e)) for _, s, e in said.values()]


async def test_unsure_times_are_asked_about_and_nothing_is_booked(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    out = await h.say("私聊", "wx_a", "预约 自习室 下周下午3点")
    assert len(out) == 1 and "「下周下午3点」是哪一天" in out[0].text
    out = await h.say("私聊", "wx_b", "预约 自习室 11月20号下午3点")      # three days ago, not next year
    assert len(out) == 1 and "11月20日" in out[0].text and "已经过去了" in out[0].text
    out = await h.say("私聊", "wx_c", "预约 自习室 2月30号下午3点")
    assert len(out) == 1 and "没有这个日期" in out[0].text
    assert await _bookings(h) == []
