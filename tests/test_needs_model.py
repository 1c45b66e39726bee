"""The needs operations as the web inbox will call them: codes under concurrency, 三率, suggestions,
merge window, the transition table, hot words and the 高频/个性 lists."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.identity import Person, Role
from models import needs as N
from models.db import transaction

WANG = Person("wx_wang", "王网格员", Role.WORKER, 1)
ZHAO = Person("wx_zhao", "赵网格员", Role.WORKER, 2)
SUN = Person("wx_sun", "孙网格员", Role.WORKER, 3)
LI = Person("wx_li", "李书记", Role.ADMIN)
ZHANG = Person("wx_zhang", "张阿姨", Role.RESIDENT)


async def _new(h, text: str, *, building: int | None = 3, category: str = "repair", urgent: bool = False,  # type: ignore[no-untyped-def]
               requester: str = "wx_zhang", at=None, source=N.Source.GROUP) -> str:
    async with transaction(h.core.sessions) as s:
        intake = await N.create_need(s, at or h.clock.now(), h.config, text=text, category=category, urgent=urgent,
                                     building=building, source=source, requester=requester,
                                     requester_name=requester, chat="网格1一家亲", chat_grid=1)
        return intake.need.code


async def test_codes_are_unique_under_concurrency(harness) -> None:
    h = harness
    texts = [f"{b}栋问题{i}号: {w}" for i, (b, w) in enumerate(
        [(1 + i % 15, ["电梯坏了", "楼道灯不亮", "下水道堵了", "停水了", "门禁坏了"][i % 5]) for i in range(24)])]
    codes = await asyncio.gather(*(_new(h, t, building=None, category=f"c{i}") for i, t in enumerate(texts)))
    assert sorted(codes) == [f"D20261123-{i:04d}" for i in range(1, 25)]
    # the sequence restarts each local day (midnight Beijing time, not UTC)
    h.clock.set(h.clock.now().replace(hour=16, minute=0))        # 00:00 on the 24th in Asia/Shanghai
    assert await _new(h, "新的一天", building=None) == "D20261124-0001"


async def test_merge_only_within_the_window_and_place(harness) -> None:
    h = harness
    now = h.clock.now()
    old = await _new(h, "3栋电梯坏了", at=now - timedelta(hours=25))
    a = await _new(h, "3栋电梯坏了,停在5楼")
    b = await _new(h, "3栋电梯又坏了")
    c = await _new(h, "4栋电梯坏了", building=4)
    d = await _new(h, "3栋电梯坏了", category="safety")
    async with h.core.sessions() as s:
        rows = {n.code: n for n in (await s.scalars(select(N.Need))).all()}
    assert rows[old].merged_into is None and rows[a].merged_into is None   # the old one is outside 24 h
    assert rows[b].merged_into == a
    assert rows[c].merged_into is None and rows[d].merged_into is None


async def test_transition_table_refuses_and_names_the_state(harness) -> None:
    h = harness
    code = await _new(h, "3栋楼道灯不亮")
    async with transaction(h.core.sessions) as s:
        await N.resolve(s, h.clock.now(), h.config, code, WANG, "已换灯泡")
        await N.rate(s, h.clock.now(), h.config, code, 1, ZHANG)
    async with h.core.sessions() as s:
        for op in (lambda: N.accept(s, h.clock.now(), h.config, code, WANG),
                   lambda: N.resolve(s, h.clock.now(), h.config, code, WANG, "x"),
                   lambda: N.reply(s, h.clock.now(), h.config, code, WANG, "x")):
            with pytest.raises(N.NeedError) as err:
                await op()
            assert err.value.code == "illegal" and err.value.data["status"] == "closed"
        with pytest.raises(N.NeedError) as err:
            await N.rate(s, h.clock.now(), h.config, code, 2, ZHANG)
        assert err.value.code == "already_rated"
        with pytest.raises(N.NeedError) as err:
            await N.hand_back(s, h.clock.now(), h.config, code, WANG, "")
        assert err.value.code == "no_reason"
    # every action in the table goes to a real state; escalation never changes the state
    for action, moves in N.TRANSITIONS.items():
        assert all(isinstance(to, N.Status) for to in moves.values())
    assert all(f == t for f, t in N.TRANSITIONS[N.Action.ESCALATE].items())


async def test_three_rates(harness) -> None:
    h = harness
    now = h.clock.now()
    a = await _new(h, "3栋楼道灯不亮")
    b = await _new(h, "2栋电梯坏了", building=2)
    c = await _new(h, "8栋停水了", building=8)                 # grid 2
    dup = await _new(h, "2栋电梯又坏了", building=2)             # merged into b: not "received"
    async with transaction(h.core.sessions) as s:
        await N.accept(s, now + timedelta(minutes=30), h.config, a, WANG)          # in time (2 working h)
        await N.resolve(s, now + timedelta(hours=1), h.config, a, WANG, "换灯泡")
        await N.rate(s, now + timedelta(hours=2), h.config, a, 2, ZHANG)
        await N.accept(s, now + timedelta(hours=3), h.config, b, WANG)             # late
        await N.resolve(s, now + timedelta(hours=4), h.config, b, WANG, "已修")
        await N.rate(s, now + timedelta(hours=4), h.config, b, 3, ZHANG, "又坏了")  # 不满意 reopens b
        await N.rate(s, now + timedelta(hours=4), h.config, dup, 1, ZHANG)
    start, end, label = N.period_bounds("今天", now, h.config)
    r = await _rates(h, start, end)
    assert label == "今天"
    assert (r.received, r.responded, r.resolved, r.rated, r.satisfied) == (3, 1, 1, 3, 2)
    assert (r.response_rate, r.resolution_rate, r.satisfaction_rate) == (round(1 / 3, 4), round(1 / 3, 4),
                                                                         round(2 / 3, 4))
    async with h.core.sessions() as s:
        by_grid = await N.rates_by(s, start, end, "grid")
        assert by_grid[1].received == 2 and by_grid[2].received == 1 and by_grid[2].response_rate == 0
        assert (await N.three_rates(s, start, end, grid=2)).received == 1
        assert (await N.three_rates(s, start, end, worker="wx_wang")).received == 2
        assert (await N.three_rates(s, start, end, category="repair")).received == 3
        week = N.period_bounds("本周", now, h.config)
        assert week[0].weekday() == 0 and (week[1] - week[0]).days == 7
    assert c


async def _rates(h, start, end):  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        return await N.three_rates(s, start, end)


async def test_suggestions_confirm_and_dismiss(harness) -> None:
    h = harness
    await h.say("网格1一家亲", "wx_zhang", "3栋电梯又坏了,烦死了", name="张阿姨")
    await h.say("网格1一家亲", "wx_ma", "2栋门口垃圾桶满出来了,臭死了", name="马阿姨")
    async with transaction(h.core.sessions) as s:
        rows = await N.list_suggestions(s)
        assert len(rows) == 2
        by_text = {r.text: r for r in rows}
        intake = await N.confirm_suggestion(s, h.clock.now(), h.config, by_text["3栋电梯又坏了,烦死了"].id, WANG)
        await N.dismiss_suggestion(s, h.clock.now(), by_text["2栋门口垃圾桶满出来了,臭死了"].id, WANG, "已有保洁处理")
        assert (intake.need.requester, intake.need.source, intake.need.grid) == ("wx_zhang", "suggestion", 1)
        with pytest.raises(N.NeedError):
            await N.dismiss_suggestion(s, h.clock.now(), by_text["2栋门口垃圾桶满出来了,臭死了"].id, WANG)
    async with h.core.sessions() as s:
        assert await N.list_suggestions(s) == []
        assert len(await N.list_suggestions(s, status=None)) == 2


async def test_hot_words_frequent_and_personal_lists(harness) -> None:
    h = harness
    for text, b in [("3栋电梯坏了", 3), ("3栋电梯又停了", 3), ("2栋电梯困人", 2), ("1栋楼道灯不亮", 1),
                    ("希望社区开个午间瑜伽课", None), ("想学掐丝珐琅,社区能不能办个班", None)]:
        await _new(h, text, building=b, category="culture" if b is None else "repair")
    start, end, _ = N.period_bounds("本周", h.clock.now(), h.config)
    async with h.core.sessions() as s:
        hot = await N.hot_words(s, start, end)
        assert hot[0][0] == "电梯"
        freq = await N.frequent_list(s, start, end)
        assert freq[1]["categories"][0] == {"category": "repair", "name": "维修", "count": 4}
        personal = await N.personal_list(s, start, end)
        words = [p["word"] for p in personal]
        assert "电梯" not in words
        assert any(w in words for w in ("掐丝珐琅", "珐琅", "掐丝")) and any("瑜伽" in w for w in words)


def test_phone_and_id_masking() -> None:
    assert N.mask_phones("电话13812345678") == "电话138****5678"
    assert N.mask_phones("打 +86 138 1234 5678 或 028-87654321") == "打 +86 138****5678 或 028-****4321"
    assert N.mask_phones("身份证510104199001011234") == "身份证510104********1234"
    assert N.mask_phones("3栋602,2026年11月") == "3栋602,2026年11月"
    assert N.normalize_code("接单 d20261121 0007") == "D20261121-0007"
    assert N.normalize_code("D202611210007") == "D20261121-0007"


async def test_staff_reopen_needs_a_reason_and_goes_back_to_the_resolver(harness) -> None:
    from notices.needs import announce_change
    from scheduler.ticker import TickContext

    h = harness
    code = await _new(h, "3栋电梯坏了")
    now = h.clock.now()
    async with transaction(h.core.sessions) as s:
        await N.resolve(s, now, h.config, code, WANG, "已修好")
        with pytest.raises(N.NeedError) as err:
            await N.reopen(s, now, h.config, code, LI, " ")
        assert err.value.code == "no_reason"
        with pytest.raises(N.NeedError) as err:
            await N.reopen(s, now, h.config, code, SUN, "居民来电说又坏了")      # another grid's worker
        assert err.value.code == "not_yours"
        change = await N.reopen(s, now, h.config, code, LI, "居民来电说又坏了")
        tc = TickContext(s, now, h.config, h.core.directory, h.config.bot_id)
        await announce_change(tc.out, h.config, change)
    n = change.need
    assert (n.status, n.assignee, n.reopen_count, n.resolved_at) == ("dispatched", "wx_wang", 1, None)
    out = await h.advance("1m")
    notice = [d for d in out if d.to == "私聊:wx_wang"]
    assert notice and "李书记" in notice[0].text and "又坏了" in notice[0].text
    async with h.core.sessions() as s:
        with pytest.raises(N.NeedError) as err:
            await N.reopen(s, now, h.config, code, LI, "再来")
        assert err.value.code == "illegal"
