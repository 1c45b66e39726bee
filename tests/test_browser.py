"""The inbox in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium, never a
downloaded browser) against the demo service — gateway simulator → wechaty → router → outbox, and the
web server — on the db_url fixture.

Screenshots for the README are written to docs/ only when GRIDBOT_SCREENSHOTS=1 (else to a temporary
directory, so a test run leaves the repository unchanged)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kernel.config import Config
from bot.service import start_service
from bot.web.auth import ensure_demo_users
from models import needs as N
from models.db import transaction

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1000, "height": 900}
G1, G2 = "网格1一家亲", "网格2一家亲"


@pytest.fixture
async def service(config: Config, db_url: str) -> AsyncIterator[Any]:
    running = await start_service(config, db_url=db_url, port=0, demo=True, tick_seconds=3600)
    try:
        await ensure_demo_users(running.core)   # idempotent: start_service(demo=True) creates them too
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing. The browser tests use Debian's Chromium and never download one: "
                    f"install it with `apt-get install chromium` (.ci/run does).")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("GRIDBOT_SCREENSHOTS") == "1" else tmp_path


def base(service: Any) -> str:
    return f"http://127.0.0.1:{service.port}"


async def login(browser: Any, service: Any, username: str, viewport: dict[str, int] = DESK) -> Any:
    context = await browser.new_context(viewport=viewport, locale="zh-CN")
    page = await context.new_page()
    await page.goto(base(service) + "/inbox")
    assert "/inbox/login" in page.url                     # sent to the login form first
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", "demo")
    await page.click("button[type=submit]")
    await page.wait_for_url(base(service) + "/inbox")
    return page


async def sent_to(sim: Any, chat: str, words: str, timeout: float = 30) -> Any:
    """Wait until the bot sent `chat` a message containing `words` through the gateway."""
    for _ in range(int(timeout * 10)):
        for record in sim.sent:
            if record.chat_id == chat and words in record.text:
                return record
        await asyncio.sleep(0.1)
    raise AssertionError(f"nothing containing {words!r} was sent to {chat}: {[r.text for r in sim.sent]}")


async def need_with_text(service: Any, text: str, timeout: float = 15) -> N.Need:
    for _ in range(int(timeout * 10)):
        async with service.core.sessions() as s:
            found = (await s.scalars(select(N.Need).where(N.Need.text == text))).first()
        if found is not None:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no need with text {text!r}")


async def seed(service: Any) -> None:
    """A few needs of earlier today, so the list and the charts have something to show."""
    core = service.core
    now = core.clock.now()
    items = [("5栋门口垃圾桶满出来了,好几天没人收", "environment", 5, False, 150),
             ("2栋电梯又停了,老人上不去", "repair", 2, False, 100),
             ("4栋楼道里一股煤气味", "safety", 4, True, 4),        # urgent, under a minute left: amber
             ("3栋有老人在楼道摔倒了", "elderly", 3, True, 9),      # urgent, past its 5 minutes: red
             ("12栋楼下有人占道摆摊", "environment", 12, False, 40),
             ("7栋独居老人想预约上门理发", "elderly", 7, False, 20)]
    async with transaction(core.sessions) as s:
        for text, category, building, urgent, minutes_ago in items:
            await N.create_need(s, now - timedelta(minutes=minutes_ago), core.config, text=text, category=category,
                                urgent=urgent, building=building, source=N.Source.GROUP, requester="wx_qian",
                                requester_name="钱奶奶", chat=core.config.grid_of_building(building).group, merge=False)


async def test_a_residents_need_appears_live_and_is_handled_from_the_browser(service, browser, shots) -> None:
    sim = service.simulator
    await seed(service)
    page = await login(browser, service, "wang", PHONE)
    await page.wait_for_selector("#live:not(.off)")               # the live feed is connected
    await page.evaluate("window.__sameDocument = true")
    title = await page.title()

    await sim.inject("wx_zhang", "报修 3栋2单元楼道灯不亮了,晚上看不见", topic=G1, mention_bot=True)
    row = page.locator("a.need", has_text="3栋2单元楼道灯不亮了")
    await row.wait_for(timeout=20_000)                             # no reload: the page fetched it by itself
    assert await page.evaluate("window.__sameDocument") is True
    assert await page.title() == title                             # not urgent: no title cue
    await page.screenshot(path=str(shots / "inbox-phone.png"))

    await row.click()
    await page.wait_for_selector("section.head")
    code = await page.get_attribute("section.head", "data-code")
    await page.click("form[data-action=accept] button")
    await page.wait_for_selector(".flash.ok >> text=已接单")
    await page.fill("form[data-action=reply] textarea", "已联系电工,今晚八点前修好")
    await page.click("form[data-action=reply] button")
    await page.wait_for_selector(".flash.ok >> text=已回复居民")
    await page.fill("form[data-action=resolve] textarea", "灯已换好,感谢反映")
    await page.click("form[data-action=resolve] button")
    await page.wait_for_selector(".flash.ok >> text=已办结")
    assert "回访中" in await page.inner_text("section.head")

    reply = await sent_to(sim, G1, f"【{code} 办理进度】王网格员: 已联系电工,今晚八点前修好")
    done = await sent_to(sim, G1, f"【{code} 已办结】灯已换好,感谢反映")
    assert reply.mention_ids == ("wx_zhang",) and done.mention_ids == ("wx_zhang",)
    await page.set_viewport_size(DESK)
    await page.screenshot(path=str(shots / "inbox-need.png"))

    # an urgent need arriving while the list is open cues the title
    await page.goto(base(service) + "/inbox")
    await page.wait_for_selector("#live:not(.off)")
    await sim.inject("wx_zhang", "求助 1栋电梯困人了,快来人", topic=G1, mention_bot=True)
    await page.locator("a.need.is-urgent", has_text="1栋电梯困人了").wait_for(timeout=20_000)
    for _ in range(50):      # (polled from here: the page's CSP rightly refuses wait_for_function's eval)
        if "紧急" in await page.title():
            break
        await asyncio.sleep(0.1)
    assert "新紧急诉求" in await page.title()

    charts = await login(browser, service, "li", DESK)
    await charts.goto(base(service) + "/inbox/charts")
    await charts.wait_for_selector("svg.chart")
    await charts.screenshot(path=str(shots / "inbox-charts.png"))
    for name in ("inbox-phone.png", "inbox-need.png", "inbox-charts.png"):
        assert (shots / name).stat().st_size < 200_000, name


async def test_a_worker_gets_a_not_found_page_for_another_grids_need(service, browser) -> None:
    await service.simulator.inject("wx_ma", "报修 8栋水管漏水了", topic=G2, mention_bot=True)
    need = await need_with_text(service, "8栋水管漏水了")
    page = await login(browser, service, "wang")
    response = await page.goto(base(service) + f"/inbox/needs/{need.code}")
    assert response.status == 404          # out of scope answers exactly like a code that does not exist
    assert "没有找到诉求" in await page.inner_text("main") and "8栋水管漏水了" not in await page.content()
    # and it is not in wang's list either, while zhao (grid 2) has it
    await page.goto(base(service) + "/inbox")
    assert await page.locator("a.need", has_text="8栋水管漏水了").count() == 0
    zhao = await login(browser, service, "zhao")
    assert await zhao.locator("a.need", has_text="8栋水管漏水了").count() == 1


async def test_a_need_whose_text_is_a_script_shows_as_text(service, browser) -> None:
    page = await login(browser, service, "wang")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
    await page.wait_for_selector("#live:not(.off)")
    await service.simulator.inject("wx_zhang", "报修 <script>alert(1)</script>", topic=G1, mention_bot=True)
    row = page.locator("a.need", has_text="<script>alert(1)</script>")
    await row.wait_for(timeout=20_000)                  # arrived live, through innerHTML of the fragment
    await row.click()
    await page.wait_for_selector("section.head")
    assert await page.inner_text(".need-text") == "<script>alert(1)</script>"
    await page.wait_for_timeout(500)
    assert dialogs == []


async def test_a_form_post_without_the_csrf_token_is_refused(service, browser) -> None:
    await service.simulator.inject("wx_zhang", "报修 3栋门禁坏了", topic=G1, mention_bot=True)
    need = await need_with_text(service, "3栋门禁坏了")
    page = await login(browser, service, "wang")
    await page.goto(base(service) + f"/inbox/needs/{need.code}")
    # a form like ours, but without the hidden _csrf field (what a forged cross-site form would send)
    async with page.expect_navigation() as nav:
        await page.evaluate("""code => {
            const f = document.createElement('form');
            f.method = 'post'; f.action = '/inbox/needs/' + code + '/accept';
            document.body.appendChild(f); f.submit();
        }""", need.code)
    response = await nav.value
    assert response.status == 403 and "缺少安全令牌" in await page.inner_text("main")
    api = await page.request.post(base(service) + f"/api/needs/{need.code}/actions", data={"action": "accept"})
    assert api.status == 403
    async with service.core.sessions() as s:
        assert (await N.get_need(s, need.code)).status == N.Status.DISPATCHED
    # the real form (with its token) works
    await page.goto(base(service) + f"/inbox/needs/{need.code}")
    await page.click("form[data-action=accept] button")
    await page.wait_for_selector(".flash.ok >> text=已接单")
