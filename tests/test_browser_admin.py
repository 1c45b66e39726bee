"""The admin pages in a real browser on a phone (Debian's Chromium via Playwright, the demo service): the
community admin moves grid 1's AB岗 to 孙网格员 and the next urgent need reaches 孙 through the chat
gateway; adds an account and reads its password once; disables it; adds an FAQ answer that the bot then
gives a resident. Screenshots go to docs/ only with GRIDBOT_SCREENSHOTS=1 (see tests/test_browser.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Error as PlaywrightError

from tests.test_browser import G1, PHONE, base, browser, login, sent_to, service, shots  # noqa: F401  (fixtures)


async def test_an_admin_changes_the_backup_on_a_phone_and_the_next_urgent_alert_goes_there(service, browser,
                                                                                            shots: Path) -> None:
    sim, core = service.simulator, service.core
    page = await login(browser, service, "li", PHONE)
    page.on("dialog", lambda dialog: dialog.accept())          # the 停用 / 删除 confirmations
    # an admin's twelve tabs all fit the phone's width: they wrap, none hides off-screen to the right
    boxes = [await a.bounding_box() for a in await page.locator("nav.tabs a").all()]
    assert len(boxes) == 12 and all(b and b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] for b in boxes)
    await page.click("nav.tabs >> text=账号与值班")
    await page.wait_for_url(base(service) + "/inbox/admin/staff")
    grid1 = page.locator("li.duty[data-grid='1']")
    assert "赵网格员" in await grid1.locator("select[name=backup] option[selected]").inner_text()

    # 王网格员's duty hours: a window that starts in an hour, so he is off duty now, whatever the wall clock
    local = core.clock.now().astimezone(core.config.timezone)
    start, end = local + timedelta(hours=1), local + timedelta(hours=2)
    await grid1.locator("input[name=duty]").fill(f"{start:%H:%M}-{end:%H:%M}")
    await grid1.locator("select[name=backup]").select_option("wx_sun")
    await grid1.locator("button[type=submit]").click()
    await page.locator(".flash.ok >> text=网格1的值班安排已保存").wait_for()
    assert "孙网格员替岗" in await page.locator("li.duty[data-grid='1']").inner_text()
    await page.screenshot(path=str(shots / "admin-staff.png"), full_page=True)

    await sim.inject("wx_zhang", "求助 2栋楼道冒烟了,好像着火了", topic=G1, mention_bot=True)
    alert = await sent_to(sim, "wx_sun", "AB岗")
    assert "冒烟" in alert.text
    assert not any(r.chat_id == "wx_zhao" and "冒烟" in r.text for r in sim.sent)   # the old backup is not woken

    # a new account: its password is on the page once, and it logs in with it
    await page.click("details.add summary")
    await page.fill("input[name=username]", "zhou")
    await page.fill("input[name=name]", "周网格员")
    await page.select_option("select[name=role]", "worker")
    await page.select_option("select[name=ref]", "2")
    await page.click("text=新建并生成初始密码")
    secret = page.locator("[data-secret]")
    await secret.wait_for()
    password = (await secret.inner_text()).strip()
    assert len(password) == 12
    other = await browser.new_context(viewport=PHONE, locale="zh-CN")
    zhou = await other.new_page()
    await zhou.goto(base(service) + "/inbox/login")
    await zhou.fill("input[name=username]", "zhou")
    await zhou.fill("input[name=password]", password)
    await zhou.click("button[type=submit]")
    await zhou.wait_for_url(base(service) + "/inbox")
    assert "admin" not in await zhou.locator("nav.tabs").inner_html()     # a worker has no admin tabs

    # disabled: their open page goes to the login form — by itself when its live feed ends, else at the next
    # click (the two navigations can race: either way it must end on the login form)
    await page.goto(base(service) + "/inbox/admin/staff")
    await page.locator("li.account[data-user='zhou'] >> text=停用").click()
    await page.locator(".flash.ok >> text=已停用账号 zhou").wait_for()
    try:
        await zhou.goto(base(service) + "/inbox")
    except PlaywrightError:          # "interrupted by another navigation": the live feed's, to the login form
        pass
    await zhou.wait_for_url(re.compile(r".*/inbox/login.*"))

    # 知识库: a new answer, given by the bot to the next resident who asks
    await page.click("nav.tabs >> text=知识库")
    await page.wait_for_url(base(service) + "/inbox/admin/faq")
    await page.click("details.add summary")
    form = page.locator("details.add form")
    await form.locator("textarea[name=questions]").fill("垃圾分类\n厨余垃圾怎么扔")
    await form.locator("textarea[name=answer]").fill("厨余垃圾请投放到绿色桶,每天7-9点、18-20点定时投放。")
    await form.locator("button[type=submit]").click()
    await page.locator(".flash.ok >> text=已新增问答").wait_for()
    await page.fill("input[name=q]", "厨余垃圾怎么扔啊")
    await page.click("text=看看怎么回答")
    assert "绿色桶" in await page.locator("[data-answer]").inner_text()
    await page.screenshot(path=str(shots / "admin-faq.png"), full_page=True)
    await sim.inject("wx_zhang", "请问垃圾分类怎么弄")
    await sent_to(sim, "wx_zhang", "绿色桶")
    for name in ("admin-staff.png", "admin-faq.png"):
        assert (shots / name).stat().st_size < 400_000, name
