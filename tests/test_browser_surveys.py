"""The survey builder in a real browser on a phone (Debian's Chromium via Playwright, the demo service): an
admin builds a two-question survey with a skip rule using plain form posts, previews it and publishes it.
The screenshot goes to docs/ only with GRIDBOT_SCREENSHOTS=1 (see tests/test_browser.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from models import surveys as S
from tests.test_browser import PHONE, base, browser, login, service, shots  # noqa: F401  (fixtures)


async def test_an_admin_builds_previews_and_publishes_a_survey_on_a_phone(service, browser, shots: Path) -> None:
    core = service.core
    page = await login(browser, service, "li", PHONE)
    await page.click("nav.tabs >> text=问卷")
    await page.wait_for_url(base(service) + "/inbox/surveys")
    await page.click("button:has-text('新建问卷')")
    await page.wait_for_url("**/inbox/surveys/drafts/*")
    await page.fill("input[name=title]", "加装电梯意见征集")
    await page.fill("textarea[name=intro]", "3栋拟加装电梯,请每户填写一份。")
    await page.check("input[name=one_per][value=household]")
    await page.check("input[name=groups][value='网格1一家亲']")
    await page.fill("input[name=q1_text]", "您是否同意本楼加装电梯?")
    await page.fill("textarea[name=q1_options]", "同意\n不同意\n无所谓")
    await page.fill("input[name=q1_r1_values]", "2")
    await page.select_option("select[name=q1_r1_goto]", "end")
    await page.select_option("select[name=new_type]", "text")
    await page.click("button:has-text('添加题目')")                  # a plain POST: the page comes back
    await page.locator("#q2").wait_for()
    assert await page.input_value("input[name=q1_text]") == "您是否同意本楼加装电梯?"
    await page.fill("input[name=q2_text]", "您希望电梯装在哪一侧?")
    await page.check("input[name=sched_mode][value=at]")
    when = (core.clock.now() + timedelta(days=2)).astimezone(core.config.timezone).replace(hour=10, minute=0, second=0, microsecond=0)
    await page.fill("input[name=sched_at]", f"{when:%Y-%m-%dT%H:%M}")
    await page.screenshot(path=str(shots / "inbox-surveys.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width                                   # nothing sticks out sideways

    await page.click("button[value=preview]")
    await page.wait_for_url("**/preview")
    text = await page.locator("main").inner_text()
    assert "【服务直通车】" in text and "不同意 → 结束问卷" in text and "每户" in text and "网格1" in text
    await page.click("button:has-text('发布')")
    await page.wait_for_url("**/inbox/surveys?published=S*")
    flash = await page.locator(".flash.ok").inner_text()
    assert "已发布问卷 S" in flash and "加装电梯意见征集" in flash
    async with core.sessions() as s:
        survey = next(x for x in await S.list_surveys(s) if x.title == "加装电梯意见征集")
        sched = await S.schedule_of(s, survey)
        view = await S.get_view(s, survey.code)
    assert survey.groups == ["网格1一家亲"] and survey.one_per == "household"
    assert sched is not None and sched.once_at == when and [q.kind for q in view.questions] == ["single", "text"]
    assert view.questions[0].rules == [{"op": "==", "values": [2], "goto": 0}]
