"""随手拍 on the web: a need's photos and thumbnails, served by photo id only to staff who may see the need.

    GET /inbox/photos/{id}          the stored photo (JPEG, re-encoded without metadata: models/photos.py)
    GET /inbox/photos/{id}/thumb    its thumbnail

A photo of a need the user may not see answers exactly like a photo that does not exist (404), so ids
cannot be probed; every response is `Cache-Control: private, no-store` (a shared phone's browser keeps no
copy). Opening a full photo is written to the view log like opening the need.

For the pages: `photos_by_need` returns, per need id, the links the list card and the need page show
(`PhotoLink`); templates/_macros.html (`photo_strip`, `photo_gallery`) lays them out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web import auth as A
from bot.web.keys import CORE
from models import access
from models import inbox as M
from models import photos as P
from models.db import transaction

NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


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


async def _serve(request: web.Request, actor: A.WebActor, *, thumb: bool) -> web.StreamResponse:
    core = request.app[CORE]
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound(headers=NO_STORE)
    async with transaction(core.sessions) as session:
        found = await P.photo_with_need(session, int(raw))
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


@A.page()
async def full(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    return await _serve(request, actor, thumb=False)


@A.page()
async def thumbnail(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    return await _serve(request, actor, thumb=True)


def setup_routes(app: web.Application) -> None:
    # no regex on {id}: every path under /inbox/photos/ asks for a session first (tests/test_permissions.py)
    app.router.add_get("/inbox/photos/{id}", full)
    app.router.add_get("/inbox/photos/{id}/thumb", thumbnail)
