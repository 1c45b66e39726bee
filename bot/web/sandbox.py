"""The demo sandbox: pick a group and a demo resident, type, and watch the bot answer.

The page talks to the gateway simulator — the message goes in over gRPC through the real wechaty client,
the router and the outbox, and the reply comes back over gRPC — not to a shortcut. The page is templates/sandbox.html."""

from __future__ import annotations

import asyncio
import hmac
import json
import aiohttp_jinja2
from aiohttp import web

from bot.sample_media import media_of_script_text
from kernel.message import ChatKind, MessageKind
from bot.web.keys import CORE, CSRF_SECRET, SIMULATOR

PRIVATE = "私聊"


def _people(config) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    people = [(p.id, p.name, "居民") for p in config.residents]
    people += [(p.id, p.name, "网格员") for p in config.workers]
    people += [(p.id, p.name, "书记") for p in config.admins]
    people += [(d.contact_id, d.name, "科室") for d in config.departments]
    return people


async def page(request: web.Request) -> web.Response:
    config = request.app[CORE].config
    chats = [g.group for g in config.grids] + [config.staff_group, PRIVATE]
    return aiohttp_jinja2.render_template("sandbox.html", request, {
        "community": config.community, "bot": config.bot_name, "chats": chats, "people": _people(config),
        "csrf": request.app[CSRF_SECRET]})


async def send(request: web.Request) -> web.Response:
    if not hmac.compare_digest(request.headers.get("X-CSRF-Token", ""), request.app[CSRF_SECRET]):
        return web.json_response({"error": "CSRF token missing or wrong"}, status=403)
    try:
        body = await request.json()
        chat, sender, text = str(body["chat"]), str(body["sender"]), str(body["text"])[:20000]
        mention = bool(body.get("mention"))
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": "需要 chat, sender, text"}, status=400)
    sim = request.app[SIMULATOR]
    config = request.app[CORE].config
    if sender not in {p[0] for p in _people(config)}:
        return web.json_response({"error": "未知的演示人物"}, status=400)
    topic = None if chat == PRIVATE else chat
    sample = media_of_script_text(text, config.photos.max_mb)
    if sample is not None:     # "[图片:现场]", "[语音:]", "[文件:a.pdf]": a sample attachment (bot/sample_media.py)
        kind, media, _, _ = sample
        if kind is MessageKind.TEXT:
            kind = MessageKind.VOICE            # a wechaty gateway gives no transcription
        data = media[0].data if media and media[0].data else None
        message_id = await sim.inject(sender, "", topic=topic, kind=kind, data=data,
                                      name=media[0].name if media else "photo.jpg")
        return web.json_response({"id": message_id})
    if mention and topic and not text.startswith("@" + config.bot_name):
        text = f"@{config.bot_name} {text}"
    message_id = await sim.inject(sender, text, topic=topic, mention_bot=mention and topic is not None)
    return web.json_response({"id": message_id})


def _record_json(record) -> str:  # type: ignore[no-untyped-def]
    to = record.chat_id if record.chat_kind == ChatKind.GROUP else f"{PRIVATE}:{record.chat_id}"
    text = record.text or ("[图片]" if getattr(record, "image", b"") else "")
    return json.dumps({"to": to, "text": text, "mentions": list(record.mention_ids),
                       "at": record.at.isoformat()}, ensure_ascii=False)


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: every message the bot sends through the gateway."""
    sim = request.app[SIMULATOR]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    queue = sim.subscribe()
    try:
        for record in list(sim.sent)[-50:]:
            await response.write(f"data: {_record_json(record)}\n\n".encode())
        while True:
            try:
                record = await asyncio.wait_for(queue.get(), timeout=15)
                await response.write(f"data: {_record_json(record)}\n\n".encode())
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        sim.unsubscribe(queue)
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/sandbox", page)
    app.router.add_post("/sandbox/api/send", send)
    app.router.add_get("/sandbox/api/stream", stream)
