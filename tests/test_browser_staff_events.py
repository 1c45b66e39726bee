"""活动 and 预约审批 in a real browser on a phone (Debian's Chromium via Playwright, the demo service): a grid
worker publishes an event, residents sign up in chat and appear on its roster, and a pending room booking
is approved from the phone — the resident is told through the gateway as after 通过 B101 in chat.
Screenshots go to docs/ only with GRIDBOT_SCREENSHOTS=1 (see tests/test_browser.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import booking as bk
from models import events as ev
from tests.test_browser import G1, PHONE, base, browser, login, sent_to, service, shots  # noqa: F401  (fixtures)


async def _wait(check: Any, what: str, timeout: float = 20) -> Any:
    for _ in range(int(timeout * 10)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_worker_publishes_an_event_and_approves_a_booking_on_a_phone(service, browser, shots: Path) -> None:
    sim, core = service.simulator, service.core
    tz = core.config.timezone
    day = (core.clock.now().astimezone(tz) + timedelta(days=3)).date()

    # a resident asks for the meeting room (it needs approval), in chat
    await sim.inject("wx_qian", f"预约 会议室 {day.month}月{day.day}日下午2点到4点 开业委会")

    async def pending() -> list[bk.Booking]:
        async with core.sessions() as s:
            return await bk.pending_approvals(s, core.clock.now())
    [booking] = await _wait(pending, "the pending booking")

    page = await login(browser, service, "wang", PHONE)
    await page.click("nav.tabs >> text=活动")
    await page.wait_for_url(base(service) + "/inbox/activities")
    await page.fill("input[name=title]", "亲子剪纸课")
    await page.fill("input[name=starts_at]", f"{day.isoformat()}T10:00")
    await page.fill("input[name=ends_at]", "11:30")
    await page.fill("input[name=place]", "亲子活动室")
    await page.fill("input[name=capacity]", "3")
    await page.fill("input[name=note]", "剪刀彩纸社区准备")
    assert await page.is_checked(f"input[name=groups][value='{G1}']")
    await page.click("button:has-text('发布活动')")
    flash = page.locator(".flash.ok").first
    await flash.wait_for()
    assert "活动已发布: 亲子剪纸课" in await flash.inner_text()
    assert "功能室「亲子活动室」已为活动预约" in await page.locator("section.head").inner_text()
    assert "/inbox/activities/E101" in page.url

    for n, (who, words) in enumerate((("wx_qian", "报名 亲子剪纸课 2人"), ("wx_zhang", "报名 亲子剪纸课"),
                                      ("wx_ma", "报名 亲子剪纸课")), 1):
        await sim.inject(who, words, topic=G1, mention_bot=True)

        async def signed(n: int = n) -> bool:
            async with core.sessions() as s:
                return len(await ev.signups(s, 1)) == n
        await _wait(signed, f"{n} signups")
    await page.reload()
    roster = await page.locator("section.roster").inner_text()
    assert "钱奶奶\t2\t正式" in roster and "张阿姨\t1\t正式" in roster and "马阿姨\t1\t候补第1位" in roster
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]   # no sideways scroll
    await page.screenshot(path=str(shots / "inbox-events.png"), full_page=True)

    await page.click("nav.tabs >> text=预约审批")
    await page.wait_for_url(base(service) + "/inbox/bookings")
    card = page.locator(f"#b-{booking.code}")
    assert "会议室" in await card.inner_text()
    await page.fill("input[name=day]", day.isoformat())          # the day it is for: the room's timetable
    await page.click("button:has-text('查看')")
    await page.wait_for_url(f"**/inbox/bookings?day={day.isoformat()}")
    assert booking.code in await page.locator("section.day").inner_text()
    await page.screenshot(path=str(shots / "inbox-bookings.png"), full_page=True)
    await card.locator("button:has-text('通过')").click()
    await page.locator(".flash.ok >> text=已通过").wait_for()
    assert "没有待审批的预约" in await page.locator("section.pending").inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await sent_to(sim, "wx_qian", f"(预约号 {booking.code})已通过审批")
    async with core.sessions() as s:
        b = (await s.scalars(select(bk.Booking).where(bk.Booking.code == booking.code))).one()
    assert b.status == bk.Status.CONFIRMED and b.decided_by == "wx_wang"
    for name in ("inbox-events.png", "inbox-bookings.png"):
        assert (shots / name).stat().st_size < 400_000, name
