"""随手拍 end to end in a real browser on a phone viewport (Debian's Chromium via Playwright, the demo
service): a resident reports in the group through the gateway simulator and sends a photo right after;
the grid worker sees the thumbnail on the inbox card and opens the photo from the need page; the worker
closes it with a photo of the repair, which reaches the resident privately as a picture."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.sample_media import sample_jpeg
from bot.service import start_service
from bot.web.auth import ensure_demo_users
from kernel.config import Config
from kernel.message import ChatKind, MessageKind
from models import photos as P
from tests.test_browser import PHONE, base, browser, login, need_with_text, shots  # noqa: F401  (fixtures)

G2 = "网格2一家亲"


@pytest.fixture
async def service(config: Config, db_url: str, tmp_path: Path) -> AsyncIterator[Any]:
    cfg = dataclasses.replace(config, data_dir=tmp_path / "data")
    running = await start_service(cfg, db_url=db_url, port=0, demo=True, tick_seconds=3600)
    try:
        await ensure_demo_users(running.core)
        yield running
    finally:
        await running.stop()


async def _photos(service: Any, need_id: int, n: int, timeout: float = 15) -> list[P.NeedPhoto]:
    for _ in range(int(timeout * 10)):
        async with service.core.sessions() as s:
            rows = (await P.photos_of(s, [need_id])).get(need_id, [])
        if len(rows) >= n:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"need {need_id} has {len(rows)} photos, expected {n}")


async def test_text_then_photo_shows_on_the_phone_inbox_and_the_repair_photo_reaches_the_resident(
        service, browser, shots: Path) -> None:
    sim = service.simulator
    await sim.inject("wx_ma", "报修 8栋门口下水道堵了,污水漫到路上", topic=G2, mention_bot=True)
    need = await need_with_text(service, "8栋门口下水道堵了,污水漫到路上")
    await sim.inject("wx_ma", "", topic=G2, kind=MessageKind.IMAGE, data=sample_jpeg("drain", gps=True))
    (photo,) = await _photos(service, need.id, 1)

    page = await login(browser, service, "zhao", PHONE)
    card = page.locator(f'a.need[data-code="{need.code}"]')
    await card.wait_for()
    thumb = card.locator(".thumbs img")
    await thumb.wait_for()
    # it loaded (the element can be in the page before its bytes are: wait for the load or the error)
    assert await thumb.evaluate("""img => img.complete ? img.naturalWidth > 0 : new Promise(done => {
        img.addEventListener('load', () => done(img.naturalWidth > 0));
        img.addEventListener('error', () => done(false));
    })""")
    box = await thumb.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    await page.screenshot(path=str(shots / "inbox-photos-phone.png"), full_page=True)
    await card.click()
    gallery = page.locator("section.photos .gallery img")
    await gallery.first.wait_for()
    assert await gallery.count() == 1
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]   # no sideways scroll
    href = await page.locator("section.photos .gallery a").first.get_attribute("href")
    assert href == f"/inbox/photos/{photo.id}"
    response = await page.request.get(base(service) + href)
    assert response.status == 200 and response.headers["cache-control"] == "private, no-store"

    # 办结 with a picture, from the worker's private chat: the resident gets the picture, privately
    before = len(sim.sent)
    await sim.inject("wx_zhao", f"接单 {need.code}")
    await sim.inject("wx_zhao", f"办结 {need.code} 已疏通,路面已冲洗")
    await _wait_sent(sim, lambda r: r.chat_id == "wx_zhao" and "已办结" in r.text, before)
    await sim.inject("wx_zhao", "", kind=MessageKind.IMAGE, data=sample_jpeg("fixed"))
    picture = await _wait_sent(sim, lambda r: r.chat_id == "wx_ma" and r.image, before)
    assert picture.chat_kind is ChatKind.PRIVATE and picture.image[:2] == b"\xff\xd8"
    assert not any(r.chat_kind is ChatKind.GROUP and (r.image or "照片" in r.text) for r in sim.sent[before:])


async def _wait_sent(sim: Any, pred: Any, start: int, timeout: float = 20) -> Any:
    for _ in range(int(timeout * 10)):
        for record in sim.sent[start:]:
            if pred(record):
                return record
        await asyncio.sleep(0.1)
    raise AssertionError(f"not sent; got {[(r.chat_id, r.text[:30], bool(r.image)) for r in sim.sent[start:]]}")


async def test_the_sandbox_sends_a_sample_photo_and_a_voice_note_through_the_gateway(service) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(base(service) + "/sandbox") as r:
            page = await r.text()
        assert "[图片:现场照片]" in page and "[语音:]" in page
        token = page.split('data-csrf="')[1].split('"')[0]

        async def say(text: str) -> None:
            body = {"chat": "私聊", "sender": "wx_yang", "text": text, "mention": False}
            async with http.post(base(service) + "/sandbox/api/send", json=body,
                                 headers={"X-CSRF-Token": token}) as r:
                assert r.status == 200
        await say("[图片:现场照片]")
        await _wait_sent(service.simulator, lambda r: r.chat_id == "wx_yang" and "请简单说一下" in r.text, 0)
        await say("[语音:]")
        await _wait_sent(service.simulator, lambda r: r.chat_id == "wx_yang" and "听不了语音" in r.text, 0)
