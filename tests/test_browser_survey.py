"""The H5 survey page in a real browser (Debian's Chromium via Playwright), served by the running
service: a resident opens the group link on a phone, answers, submits; the answer is stored through
the same operation as the chat path, and a second answer from the same home is refused."""

from __future__ import annotations

from sqlalchemy import select

from models import pushes as P
from models import surveys as S
from models.db import transaction
from tests.test_browser import PHONE, browser, service  # noqa: F401  (fixtures)
from tests.test_surveys import MONTHLY


async def test_a_resident_answers_the_survey_on_a_phone(service, browser) -> None:  # noqa: F811
    core = service.core
    now = core.clock.now()
    spec = S.parse_survey_toml(MONTHLY, core.config, now)
    async with transaction(core.sessions) as session:
        survey, schedule = await S.load_survey(session, now, core.config, spec, created_by="test")
        await P.send_now(session, now, schedule.id, urgent=True)   # staff: 立即推送 (opens the survey)
    await core.ticker.tick()
    base = f"http://127.0.0.1:{service.port}"
    # the notice reaches the three grid groups through the gateway, with the link to this very page
    sent = await service.simulator.wait_sent(3, timeout=30)
    assert {r.chat_id for r in sent if f"{base}/s/{survey.code}" in r.text} == {"网格1一家亲", "网格2一家亲", "网格3一家亲"}

    page = await browser.new_page(viewport=PHONE)
    dialogs: list[str] = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(f"{base}/s/{survey.code}?g=2")
    assert "月度需求问卷" in await page.title() or "月度需求问卷" in await page.content()
    await page.fill('input[name="name"]', "马阿姨")
    await page.fill('input[name="building"]', "7")
    await page.fill('input[name="room"]', "602")
    await page.check('input[name="q1"][value="2"]')
    await page.check('input[name="q2"][value="1"]')
    await page.check('input[name="q2"][value="4"]')
    await page.check('input[name="q3"][value="2"]')          # "没有": skips the text question
    await page.check('input[name="q5"][value="4"]')
    await page.click('button[type="submit"]')
    await page.wait_for_load_state()
    assert "提交成功" in await page.content()

    async with core.sessions() as s:
        rows = (await s.scalars(select(S.SurveyResponse))).all()
        answers = (await s.scalars(select(S.SurveyAnswer).order_by(S.SurveyAnswer.question_number))).all()
    assert [(r.channel, r.group_topic, r.building, r.room) for r in rows] == [("h5", "网格2一家亲", 7, "602")]
    assert [(a.question_number, a.choices, a.rating) for a in answers] == [
        (1, [2], None), (2, [1, 4], None), (3, [2], None), (5, None, 4)]

    # another member of the same household tries again: told politely, nothing stored twice
    await page.goto(f"{base}/s/{survey.code}?g=2")
    await page.fill('input[name="name"]', "马先生")
    await page.fill('input[name="building"]', "7")
    await page.fill('input[name="room"]', "602")
    for sel in ('input[name="q1"][value="1"]', 'input[name="q2"][value="2"]', 'input[name="q3"][value="2"]',
                'input[name="q5"][value="5"]'):
        await page.check(sel)
    await page.click('button[type="submit"]')
    await page.wait_for_load_state()
    assert "已经填写过" in await page.content()
    async with core.sessions() as s:
        assert len((await s.scalars(select(S.SurveyResponse))).all()) == 1
    assert dialogs == []
