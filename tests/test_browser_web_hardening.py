"""Web attacks that are about a page, in Debian's Chromium (Playwright, /usr/bin/chromium) against the demo
service: a login link that would send the worker off-site, and a tab that keeps showing live needs after
the worker logged out in another tab."""

from __future__ import annotations

from typing import Any

from tests.test_browser import DESK, base, browser, login, service  # noqa: F401  (fixtures)


async def test_a_login_link_never_leads_off_site(browser, service) -> None:  # noqa: F811
    context = await browser.new_context(viewport=DESK, locale="zh-CN")
    page = await context.new_page()
    for evil in ("/%09/evil.example/x", "//evil.example/x", "/%5C%5Cevil.example/x", "https://evil.example/x"):
        await page.goto(base(service) + "/inbox/login?next=" + evil)
        if "/inbox/login" in page.url:                  # (after the first round we are logged in already)
            await page.fill("input[name=username]", "wang")
            await page.fill("input[name=password]", "demo")
            await page.click("button[type=submit]")
        await page.wait_for_load_state()
        assert page.url == base(service) + "/inbox", (evil, page.url)
    await context.close()


async def test_logging_out_in_one_tab_ends_the_live_list_in_the_other(browser, service) -> None:  # noqa: F811
    first: Any = await login(browser, service, "wang")
    await first.wait_for_function("document.getElementById('live') !== null")
    second = await first.context.new_page()
    await second.goto(base(service) + "/inbox")
    await second.click("form[action='/inbox/logout'] button")
    await second.wait_for_url("**/inbox/login**")
    # the first tab's live stream is ended by the server at once: the page goes to the login form
    await first.wait_for_url("**/inbox/login**", timeout=10_000)
    await first.context.close()
