"""随手拍 on the web inbox: thumbnails on the list card and the need page, the photo URLs only for staff
who may see the need (another grid's worker gets the same 404 as for a photo that does not exist),
`Cache-Control: private, no-store`, and opening a photo is in the view log."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from kernel.config import Config
from models import inbox as M
from tests.harness import Harness
from tests.inbox_helpers import web  # noqa: F401  (a fixture)

G2 = "网格2一家亲"
THUMB_RE = re.compile(r'<img src="(/inbox/photos/(\d+)/thumb)"')


@pytest.fixture
async def harness(config: Config, db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    h = await Harness.create(dataclasses.replace(config, data_dir=tmp_path / "data"), db_url)
    try:
        yield h
    finally:
        await h.close()


async def _reported_with_photo(h: Harness) -> str:
    await h.set_clock("2026-11-24 19:40")
    await h.say(G2, "wx_ma", "@小助手 8栋门口的下水道堵了,污水漫到路上了", name="马阿姨")
    await h.say(G2, "wx_ma", "[图片:drain]")
    assert h.last_code
    return h.last_code


async def test_the_grid_worker_sees_thumbnails_and_the_photo(web) -> None:  # type: ignore[no-untyped-def]
    code = await _reported_with_photo(web.h)
    zhao = await web.user("zhao")
    status, html = await zhao.get("/inbox")
    card = html[html.index(f'data-code="{code}"'):]
    card = card[:card.index("</a>")]
    (thumb, photo_id), = THUMB_RE.findall(card)
    status, html = await zhao.get(f"/inbox/needs/{code}")
    assert status == 200 and f'href="/inbox/photos/{photo_id}"' in html and thumb in html
    for path, at_most in ((f"/inbox/photos/{photo_id}", 2048), (thumb, 320)):
        async with zhao.http.get(web.base + path) as r:
            body = await r.read()
            assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg"
            assert r.headers["Cache-Control"] == "private, no-store"
        assert body[:2] == b"\xff\xd8" and b"Exif" not in body[:200]
    async with web.h.core.sessions() as s:
        views = (await s.scalars(select(M.ViewLog).where(M.ViewLog.action == "photo"))).all()
    assert [(v.username, v.need_code) for v in views] == [("zhao", code)]


async def test_another_grids_worker_gets_404_like_a_missing_photo(web) -> None:  # type: ignore[no-untyped-def]
    code = await _reported_with_photo(web.h)
    zhao = await web.user("zhao")
    _, html = await zhao.get(f"/inbox/needs/{code}")
    photo_id = THUMB_RE.findall(html)[0][1]
    wang = await web.user("wang")
    for path in (f"/inbox/photos/{photo_id}", f"/inbox/photos/{photo_id}/thumb", "/inbox/photos/99999"):
        async with wang.http.get(web.base + path) as r:
            assert r.status == 404 and r.headers["Cache-Control"] == "private, no-store"
            assert (await r.read())[:2] != b"\xff\xd8"
    _, html = await wang.get("/inbox")
    assert "/inbox/photos/" not in html
    stranger = await web.user()
    async with stranger.http.get(web.base + f"/inbox/photos/{photo_id}", allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"].startswith("/inbox/login")
