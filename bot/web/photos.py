"""随手拍 on the web: a need's photos and thumbnails, served by photo id only to staff who may see the need.

    GET /inbox/photos/{id}          the stored photo (JPEG, re-encoded without metadata: models/photos.py)
    GET /inbox/photos/{id}/thumb    its thumbnail

A photo of a need the user may not see answers exactly like a photo that does not exist (404), so ids
cannot be probed; every response is `Cache-Control: private, no-store` (a shared phone's browser keeps no
copy). Opening a full photo is written to the view log like opening the need.

For the pages: `photos_by_need` returns, per need id, the links the list card and the need page show
(`PhotoLink`), and `card_html` / `gallery_html` render them until the pages move to templates (the
template then loops over the same PhotoLink list)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web import auth as A
from models import access
from models import inbox as M
from models import photos as P
from models.db import transaction

NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
CARD_MAX = 3          # thumbnails on a list card; the rest is "+N"


@dataclass(frozen=True)
class PhotoLink:
    id: int
    full: str            # /inbox/photos/{id}
    thumb: str           # /inbox/photos/{id}/thumb
    width: int
    height: int
    resolution: bool     # the worker's 办结 photo (else the resident's)


def link_of(row: P.NeedPhoto) -> PhotoLink:
    return PhotoLink(row.id, f"/inbox/photos/{row.id}", f"/inbox/photos/{row.id}/thumb", row.width, row.height,
                     row.role == P.Role.RESOLUTION)


async def photos_by_need(session: AsyncSession, need_ids: Iterable[int]) -> dict[int, list[PhotoLink]]:
    """The photo links of these needs (the caller lists only needs the user may see)."""
    rows = await P.photos_of(session, list(need_ids))
    return {need_id: [link_of(r) for r in photos] for need_id, photos in rows.items()}


def card_html(links: list[PhotoLink] | None) -> str:
    """A strip of thumbnails for a list card (inside its <a>: images only, no links)."""
    if not links:
        return ""
    imgs = "".join(f'<img src="{escape(p.thumb)}" alt="照片" loading="lazy" decoding="async">'
                   for p in links[:CARD_MAX])
    more = f'<span class="more-photos">+{len(links) - CARD_MAX}</span>' if len(links) > CARD_MAX else ""
    return f'<span class="thumbs" aria-label="{len(links)} 张照片">{imgs}{more}</span>'


def gallery_html(links: list[PhotoLink] | None) -> str:
    """The need page's photos: thumbnails that open the full photo (phone-friendly, see inbox.css)."""
    if not links:
        return ""
    items = "".join(
        f'<a href="{escape(p.full)}" target="_blank" rel="noopener" class="photo{" resolution" if p.resolution else ""}">'
        f'<img src="{escape(p.thumb)}" alt="{"办结照片" if p.resolution else "居民照片"}" loading="lazy" '
        f'width="{p.width}" height="{p.height}"></a>' for p in links)
    return f'<section class="card photos"><h2>照片({len(links)})</h2><div class="gallery">{items}</div></section>'


def setup_routes(app: web.Application, get_core: Callable[[], Any]) -> None:
    async def serve(request: web.Request, actor: A.WebActor, *, thumb: bool) -> web.StreamResponse:
        core = get_core()
        raw = request.match_info["id"]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            raise web.HTTPNotFound(headers=NO_STORE)
        photo_id = int(raw)
        async with transaction(core.sessions) as session:
            found = await P.photo_with_need(session, photo_id)
            if found is None or not access.may_see(actor.scope, found[1]):
                raise web.HTTPNotFound(headers=NO_STORE)
            photo, need = found
            if not thumb:
                await M.log_view(session, core.clock.now(), user_id=actor.user_id, username=actor.username,
                                 role=actor.role, action="photo", need_code=need.code, detail=f"photo {photo.id}",
                                 ip=request.remote)
        path = P.path_of(core.config, photo.sha256, thumb=thumb)
        if not path.is_file():
            raise web.HTTPNotFound(headers=NO_STORE)
        return web.Response(body=path.read_bytes(), content_type="image/jpeg", headers=NO_STORE)

    @A.page(get_core)
    async def full(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        return await serve(request, actor, thumb=False)

    @A.page(get_core)
    async def thumbnail(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        return await serve(request, actor, thumb=True)

    # no regex on {id}: every path under /inbox/photos/ asks for a session first (tests/test_permissions.py)
    app.router.add_get("/inbox/photos/{id}", full)
    app.router.add_get("/inbox/photos/{id}/thumb", thumbnail)
