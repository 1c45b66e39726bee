"""The admin's 派单 and a 居民咨询 answered from the need page, on a phone, in a real browser (Debian's
Chromium via Playwright, the demo service); the chat commands call the same operations."""

from __future__ import annotations

from models import needs as N
from models.db import transaction
from tests.test_browser import PHONE, base, browser, login, service  # noqa: F401  (fixtures)


async def test_on_a_phone_the_admin_assigns_a_need_and_answers_a_question(service, browser) -> None:
    core = service.core
    async with transaction(core.sessions) as s:
        need = (await N.create_need(s, core.clock.now(), core.config, text="8栋门口烧烤摊油烟很大", category="environment",
                                    urgent=False, building=8, source=N.Source.GROUP, requester="wx_ma",
                                    requester_name="马阿姨", chat="网格2一家亲")).need
        question = (await N.ask_person(s, core.clock.now(), core.config, text="法律顾问哪天在社区坐班",
                                       building=None, source=N.Source.PRIVATE, requester="wx_zhang",
                                       requester_name="张阿姨", chat=None, chat_grid=None)).need
        code, asked = need.code, question.code
    page = await login(browser, service, "li", PHONE)
    await page.goto(base(service) + f"/inbox/needs/{code}")
    form = page.locator("form[data-action=assign]")
    await form.locator("select[name=to]").select_option(label="孙网格员")
    await form.locator("textarea[name=note]").fill("他熟悉这家")
    assert (await form.bounding_box())["width"] <= PHONE["width"]       # fits the screen
    await form.locator("button[type=submit]").click()
    flash = page.locator(".flash.ok")
    await flash.wait_for()
    assert "已派单给孙网格员" in await flash.inner_text()
    assert "派单给 孙网格员: 他熟悉这家" in await page.locator(".timeline").inner_text()

    await page.goto(base(service) + f"/inbox/needs/{asked}")
    assert "居民咨询" in await page.locator("section.head").inner_text()
    reply = page.locator("form[data-action=reply]")
    await reply.locator("textarea[name=text]").fill("每周三下午2点到5点")
    await reply.locator("button[type=submit]").click()
    await flash.wait_for()
    assert "这条咨询已办结" in await flash.inner_text()
    async with core.sessions() as s:
        answered = await N.get_need(s, asked)
    assert (answered.status, answered.resolution) == (N.Status.RESOLVED, "每周三下午2点到5点")
