"""Utilisation (忙闲不均) for a simulated week, and the daily 人气指数 job."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from models import booking as ops
from models import booking_stats as stats
from models.booking import Popularity

MON = date(2026, 11, 23)


def at(h, day: int, hour: int, minute: int = 0) -> datetime:  # type: ignore[no-untyped-def]
    return datetime(2026, 11, day, hour, minute, tzinfo=h.config.timezone)


async def _week(h) -> None:  # type: ignore[no-untyped-def]
    """A week of use, written through the operations at Monday 08:00 (their own `now`)."""
    cfg = h.config
    now = at(h, 23, 8)
    async with h.core.sessions() as s, s.begin():
        async def book(room: str, who: str, day: int, h0: int, h1: int, party: int = 1, **kw):  # type: ignore[no-untyped-def]
            return await ops.create_booking(s, now, cfg, room=room, person_id=who, person_name=who,
                                            start=at(h, day, h0), end=at(h, day, h1), party_size=party, **kw)
        came = [
            await book("钢琴房", "wx_a", 23, 9, 11),             # Monday 2 h
            await book("钢琴房", "wx_b", 25, 19, 21),            # Wednesday 2 h
            await book("自习室", "wx_c", 24, 14, 16, party=10),  # Tuesday, half the seats for 2 h
            await book("乒乓球室", "wx_d", 26, 10, 11),          # Thursday 1 h
        ]
        no_show = await book("钢琴房", "wx_e", 27, 15, 16)       # released: not counted as used
        cancelled = await book("瑜伽室", "wx_f", 24, 10, 11)
        await ops.cancel_booking(s, now, cancelled.code, by_id="wx_f")
        await ops.block_room(s, now, cfg, room="乒乓球室", start=at(h, 27, 0), end=at(h, 28, 0), reason="比赛",
                             by_id="wx_li")
        for b in came:
            await ops.check_in(s, b.start_at, cfg, b.code, by_id=b.person_id)
        released = await ops.release_no_shows(s, at(h, 27, 15, 20), cfg)
        assert [b.code for b in released] == [no_show.code]


async def test_utilisation_for_a_simulated_week(harness) -> None:
    h = harness
    await _week(h)
    async with h.core.sessions() as s:
        u = await stats.utilisation(s, h.config, MON, date(2026, 11, 29))
    open_day = 13 * 60                                   # 08:30–21:30
    # 钢琴房: 4 h used of 7 × 13 h (the no-show is not use)
    assert u.open_minutes["钢琴房"] == 7 * open_day and u.booked_minutes["钢琴房"] == 240
    assert u.by_room["钢琴房"] == pytest.approx(240 / (7 * open_day), abs=1e-4)
    assert u.by_hour["钢琴房"][9] == pytest.approx(60 / (7 * 60), abs=1e-4)       # 1 of 7 days at 9–10
    assert u.by_hour["钢琴房"][8] == 0.0                                           # open 08:30, never used
    assert u.by_hour["钢琴房"][22] is None and u.by_hour["钢琴房"][3] is None      # never open
    assert u.by_weekday["钢琴房"][0] == pytest.approx(120 / open_day, abs=1e-4)
    assert u.by_weekday["钢琴房"][2] == pytest.approx(120 / open_day, abs=1e-4)
    assert u.by_weekday["钢琴房"][4] == 0.0                                        # Friday: the no-show
    # 自习室: 10 of 20 seats for 2 h = 1 room-hour
    assert u.booked_minutes["自习室"] == 60
    assert u.by_hour["自习室"][14] == pytest.approx(30 / (7 * 60), abs=1e-4)
    # 乒乓球室: Friday was blocked, so it leaves the denominator
    assert u.open_minutes["乒乓球室"] == 6 * open_day
    assert u.by_weekday["乒乓球室"][4] is None
    assert u.by_room["乒乓球室"] == pytest.approx(60 / (6 * open_day), abs=1e-4)
    # 书画室 is closed on Mondays; 瑜伽室's only booking was cancelled
    assert u.open_minutes["书画室"] == 6 * open_day and u.by_weekday["书画室"][0] is None
    assert u.by_room["瑜伽室"] == 0.0
    # the heat map: rooms × 24 hours
    assert len(u.matrix()) == len(h.config.rooms) and all(len(row) == 24 for row in u.matrix())
    # and the staff command words it
    await h.set_clock("2026-11-29 22:00")
    out = await h.say("私聊", "wx_li", "利用率 本周")
    assert "功能室利用率 11月23日–11月29日" in out[0].text and "· 钢琴房: 4%,最忙 9点(14%)" in out[0].text


async def test_daily_popularity_job_and_formula(harness) -> None:
    h = harness
    await _week(h)
    # Tuesday 00:10: the job computes Monday (the day that ended) once.
    await h.set_clock("2026-11-24 00:10")
    async with h.core.sessions() as s:
        day = {r.key: r for r in await stats.popularity(s, "day", MON)}
    # Monday: 钢琴房 1 booked + 1 came → raw 0.8; nothing else → it is the top room
    assert day["钢琴房"].value == 100.0 and day["钢琴房"].bookings == 1 and day["钢琴房"].checkins == 1
    assert day["centre"].value == pytest.approx(0.8) and day["自习室"].value == 0.0
    # Thursday 00:10: Wednesday is computed; its week so far is Mon–Wed (3 days):
    # 自习室 10 booked + 10 came → raw 8.0; 钢琴房 (Mon + Wed) 2 + 2 → raw 1.6
    await h.set_clock("2026-11-26 00:10")
    async with h.core.sessions() as s:
        week = {r.key: r for r in await stats.popularity(s, "week", date(2026, 11, 25))}
        rows = (await s.scalars(select(Popularity).where(Popularity.period == "day"))).all()
    assert week["自习室"].value == 100.0 and week["钢琴房"].value == 20.0
    assert week["centre"].value == pytest.approx((8.0 + 1.6) / 3, abs=1e-3)
    assert week["centre"].bookings == 12 and week["centre"].checkins == 12
    assert {r.period_start for r in rows} == {MON, date(2026, 11, 25)}
    # Running it again changes nothing (the claim), and the periods month/year exist too.
    async with h.core.sessions() as s:
        periods = {r.period for r in (await s.scalars(select(Popularity))).all()}
    assert periods == {"day", "week", "month", "year"}
    out = await h.say("私聊", "wx_li", "人气指数 周")
    assert "人气指数(周 11月23日起)" in out[0].text and "· 自习室: 100" in out[0].text


async def test_event_attendance_raises_the_rooms_popularity(harness) -> None:
    """A_r (weight 0.2) is the people checked in at events held in the room: 签到 at a talk in 会议室
    (booked for it when published) raises 会议室's 人气指数, against the busiest room of the day."""
    from models import events as ev

    h = harness
    cfg = h.config
    now = at(h, 23, 8)
    async with h.core.sessions() as s, s.begin():
        study = await ops.create_booking(s, now, cfg, room="自习室", person_id="wx_c", person_name="wx_c",
                                         start=at(h, 23, 9), end=at(h, 23, 11), party_size=20)
        await ops.check_in(s, study.start_at, cfg, study.code, by_id="wx_c")    # raw 0.4·20 + 0.4·20 = 16
        spec = ev.EventSpec(title="反诈讲座", starts_at=at(h, 23, 14), ends_at=at(h, 23, 16), place="会议室",
                            capacity=10)
        published = await ev.publish(s, now, cfg, spec, by_id="wx_li", by_name="李书记", groups=["网格1一家亲"],
                                     room="会议室")
        assert published.room is not None and published.room.code       # the room is booked for 10 people
        event_id = published.event.id
        for name, contact, party in (("张阿姨", "wx_zhang", 3), ("王大爷", "wx_wang", 2), ("钱奶奶", "wx_qian", 1)):
            await ev.sign_up(s, now, event_id, name=name, contact_id=contact, party_size=party, group=None,
                             added_by=contact, settings=cfg.events)

    async def day() -> dict[str, stats.PopularityRow]:
        async with h.core.sessions() as s, s.begin():
            rows = await stats.compute_popularity(s, cfg, MON, at(h, 24, 0, 10))
        return {r.key: r for r in rows if r.period == "day"}

    before = await day()
    assert before["会议室"].attendance == 0 and before["会议室"].value == 25.0       # 0.4·10 of 16
    async with h.core.sessions() as s, s.begin():                    # two of the three parties come
        await ev.check_in(s, at(h, 23, 14), event_id, names=["张阿姨", "王大爷"], staff=True,
                          settings=cfg.events, by_name="李书记")
    after = await day()
    assert after["会议室"].attendance == 5 and after["centre"].attendance == 5
    assert after["会议室"].value > before["会议室"].value
    assert after["会议室"].value == pytest.approx(100 * (4 + 0.2 * 5) / 16, abs=0.1)            # 31.2
    assert after["自习室"].value == 100.0 and after["centre"].value == pytest.approx(16 + 4 + 1.0)
