"""Pages rendered from templates (issue 12 point 6): what staff and residents see is assembled by
Jinja2 with every value escaped — here the parts no other test opens."""

from __future__ import annotations

from tests.inbox_helpers import web  # noqa: F401  (fixture)
from tests.test_surveys import MONTHLY, load
from tests.test_surveys_h5 import _client


async def test_the_charts_page_shows_survey_results_per_question(web) -> None:  # noqa: F811
    h = web.h
    await load(h, MONTHLY.replace('title = "月度需求问卷"', 'title = "月度<需求>问卷"'))
    li = await web.user("li")
    status, html = await li.get("/inbox/charts")
    assert status == 200
    assert "月度&lt;需求&gt;问卷" in html and "<需求>" not in html      # the title is text, not markup
    assert "共 0 份回答" in html and "<h3>1. " in html and html.count("<svg") >= 6


async def test_the_h5_message_page_has_its_own_layout(harness) -> None:
    client = await _client(harness)
    try:
        resp = await client.get("/s/NOPE")
        page = await resp.text()
        assert resp.status == 404 and "<style>" in page and 'name="viewport"' in page
        assert 'class="tabs"' not in page and "/static/inbox.js" not in page     # not a staff page
    finally:
        await client.close()
