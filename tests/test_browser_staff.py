"""来电来访 and 月报 in a real browser (Debian's Chromium via Playwright, the demo service): a worker
types in a phone call and finds it in the inbox; the 月报 page renders and has its print button.
Screenshots go to docs/ only with GRIDBOT_SCREENSHOTS=1 (see tests/test_browser.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models import needs as N
from models.db import transaction
from tests.test_browser import DESK, base, browser, login, service, shots  # noqa: F401  (fixtures)


async def test_a_worker_registers_a_phone_call_and_sees_it_in_the_inbox(service, browser, shots: Path) -> None:
    page = await login(browser, service, "wang", DESK)
    await page.click("nav.tabs >> text=来电来访")
    await page.wait_for_url(base(service) + "/inbox/intake")
    await page.check("input[name=source][value=phone]")
    await page.fill("textarea[name=text]", "3栋楼道灯坏了好几天,晚上看不见路")
    await page.fill("input[name=building]", "3")
    await page.fill("input[name=room]", "1单元402")
    await page.fill("input[name=caller_name]", "刘大爷")
    await page.fill("input[name=caller_phone]", "13912345678")
    await page.screenshot(path=str(shots / "inbox-intake.png"), full_page=True)
    await page.click("button[type=submit]")
    flash = page.locator(".flash.ok")
    await flash.wait_for()
    assert "已登记诉求 D" in await flash.inner_text()

    await page.click("nav.tabs >> text=诉求")
    row = page.locator("a.need", has_text="楼道灯坏了")
    await row.wait_for()
    assert "来电" in await row.locator(".tag.taken").inner_text()
    await row.click()
    await page.locator("section.head").wait_for()
    body = await page.locator("main").inner_text()
    assert "刘大爷(来电)" in body and "13912345678" in body
    async with service.core.sessions() as s:
        codes = [n.code for n in await N.all_needs(s) if n.source == N.Source.PHONE]
    assert len(codes) == 1 and codes[0] in page.url


async def test_the_monthly_report_page_renders_for_printing(service, browser, shots: Path) -> None:
    core = service.core
    async with transaction(core.sessions) as s:               # a few needs, as chat intake makes them
        for text, building, category, urgent in (("3栋楼道灯不亮了", 3, "repair", False),
                                                 ("8栋垃圾桶满了没人收", 8, "environment", False),
                                                 ("12栋电梯困人了", 12, "repair", True)):
            await N.create_need(s, core.clock.now(), core.config, text=text, category=category, urgent=urgent,
                                building=building, source=N.Source.GROUP, requester="wx_zhang",
                                requester_name="张阿姨", chat="网格1一家亲")
    page = await login(browser, service, "li", DESK)
    await page.click("nav.tabs >> text=月报")
    await page.locator(".report h1").wait_for()
    assert "月报" in await page.locator(".report h1").inner_text()
    assert await page.locator("[data-print]").is_visible()
    this_month = service.core.clock.now().astimezone(service.core.config.timezone).strftime("%Y-%m")
    await page.fill("input[name=month]", this_month)           # the demo's needs are this month's
    await page.click("button:has-text('查看')")
    await page.wait_for_url(f"**/inbox/report?month={this_month}")
    text = await page.locator("main").inner_text()
    assert "超时诉求" in text and "网格3" in text and "电梯" in text
    await page.screenshot(path=str(shots / "inbox-report.png"), full_page=True)
    await page.emulate_media(media="print")
    assert not await page.locator("nav.tabs").is_visible()       # the printout is the report only
