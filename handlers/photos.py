"""随手拍 in chat: a photo, a voice note or a file message (the router hands only these to these routes).

- A photo from a resident within `photos.window_minutes` after their need text (same chat, same person)
  joins that need; one sent before the text waits as a pending item (scope, person, "photo.waiting") and
  the need text takes it (handlers/needs.py). A photo alone in private starts a need: the bot asks one
  short question and the answer is the need's text.
- A photo from a worker right after 办结 (or just before it) is the finished repair: it joins the need
  and is sent to the resident privately.
- Nothing about a photo is said in a group: answers go to the sender privately.
- Voice notes: a channel that transcribes them (WeCom's AI bot does) hands them over as text
  (`IncomingMessage.heard`); an untranscribed one gets a kind answer, and the need it follows records it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from kernel.identity import Role
from kernel.message import Media, MessageKind
from handlers.base import Context, Router, Stage, View
from handlers.needs import resolution_photos
from models import conversation
from models import needs as N
from models import photos as P
from texts import photos as T

router = Router("photos")


def _media(kind: MessageKind) -> Any:
    def match(view: View) -> Media | None:
        if view.msg.kind != kind:
            return None
        if view.msg.media:
            return view.msg.media[0]
        # a photo whose bytes the channel could not fetch is the router's "text only, please"
        return None if kind == MessageKind.IMAGE else Media(str(kind))
    return match


async def _tell(ctx: Context, text: str) -> None:
    """In private, a reply; from a group, a private word to the sender (the group hears nothing)."""
    if ctx.msg.is_private:
        await ctx.reply(text)
    else:
        await ctx.out.private(ctx.msg.sender_id, text)


async def _need(ctx: Context, q: conversation.Question | None) -> N.Need | None:
    if q is None:
        return None
    try:
        return await N.get_need(ctx.session, str(q.data.get("code")))
    except N.NeedError:
        return None


def _refusal(ctx: Context, reason: str, code: str | None) -> str:
    if reason == "too_large":
        return T.TOO_LARGE.format(mb=f"{ctx.config.photos.max_mb:g}")
    if reason == "too_many":
        return T.TOO_MANY.format(code=code or "", n=ctx.config.photos.max_per_need)
    return T.NOT_IMAGE


@router.route(Stage.RESIDENT_COMMAND, _media(MessageKind.IMAGE), media=True)
async def photo(ctx: Context, media: Media) -> None:
    staff = ctx.sender.role != Role.RESIDENT
    resolving = await _need(ctx, await ctx.pending(P.RESOLVE_WINDOW)) if staff else None
    window = None if resolving else await ctx.pending(P.NEED_WINDOW)
    need = await _need(ctx, window)
    ours = ctx.msg.is_private or resolving is not None or need is not None
    try:
        stored = await asyncio.to_thread(P.store, ctx.config, media.data)
    except P.PhotoRefused as exc:
        if ours:          # a stranger's oversized file in a group is not the bot's business
            await _tell(ctx, _refusal(ctx, exc.reason, (resolving or need).code if (resolving or need) else None))
        return
    if resolving is not None:
        try:
            await resolution_photos(ctx, resolving, [stored])
        except P.PhotoRefused as exc:
            await _tell(ctx, _refusal(ctx, exc.reason, resolving.code))
        return
    if need is not None:
        try:
            await P.attach(ctx.session, ctx.now, ctx.config, need, [stored], uploader=ctx.sender.id,
                           uploader_name=ctx.sender.name)
        except P.PhotoRefused as exc:
            await _tell(ctx, _refusal(ctx, exc.reason, need.code))
            return
        told = bool(window is not None and window.data.get("told"))
        # the window stays open while photos keep coming (nine sent at once all join)
        await ctx.ask(P.NEED_WINDOW, {"code": need.code, "told": told or ctx.msg.is_private},
                      ttl=timedelta(minutes=ctx.config.photos.window_minutes))
        if ctx.msg.is_private and not told:   # once; in a group: silence, the acknowledgement was said already
            await ctx.reply(T.ATTACHED.format(code=need.code, n=await P.count_for(ctx.session, need.id)))
        return
    await _wait(ctx, stored=stored)


async def _wait(ctx: Context, *, stored: P.Stored | None = None, voice: bool = False) -> None:
    """No need to join yet: the photo (or the fact of a voice note) waits for its text. In private the bot
    asks once what the problem is; in a group it waits silently for the sender's need text."""
    q = await ctx.pending(P.PHOTOS_WAITING)
    data = dict(q.data) if q is not None else {"photos": [], "voices": 0, "asked": False}
    photos = list(data.get("photos", []))
    if stored is not None and all(p.get("sha256") != stored.sha256 for p in photos) \
            and len(photos) < ctx.config.photos.max_per_need:
        photos.append(stored.as_data())
    told_before = bool(data.get("told"))
    private = ctx.msg.is_private
    staff = ctx.sender.role != Role.RESIDENT
    data = {"photos": photos, "voices": int(data.get("voices", 0)) + (1 if voice else 0),
            "asked": bool(data.get("asked")) or (private and not staff), "told": told_before or private}
    ttl = conversation.DEFAULT_TTL if data["asked"] else timedelta(minutes=ctx.config.photos.window_minutes)
    await ctx.ask(P.PHOTOS_WAITING, data, ttl=ttl)
    if voice:
        await _tell(ctx, T.VOICE.format(bot=ctx.config.bot_name))
    elif private and not told_before:      # nine photos in a row: one question
        await ctx.reply(T.STAFF_WAITING if staff else T.ASK_WHAT)


@router.route(Stage.RESIDENT_COMMAND, _media(MessageKind.VOICE), media=True)
async def voice(ctx: Context, _media_: Media) -> None:
    need = await _need(ctx, await ctx.pending(P.NEED_WINDOW))
    if need is not None:
        await P.record_voice(ctx.session, ctx.now, need, actor=ctx.sender.id, actor_name=ctx.sender.name)
        await _tell(ctx, T.VOICE_ON_NEED.format(bot=ctx.config.bot_name, code=need.code))
        return
    if not ctx.msg.is_private:
        return            # a voice note in a group, about no need: not the bot's business
    await _wait(ctx, voice=True)


@router.route(Stage.RESIDENT_COMMAND, _media(MessageKind.FILE), media=True)
async def other_file(ctx: Context, _media_: Media) -> None:
    if ctx.msg.is_private or await ctx.pending(P.NEED_WINDOW, P.RESOLVE_WINDOW) is not None:
        await _tell(ctx, T.NOT_IMAGE)
