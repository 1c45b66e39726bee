"""Questions addressed to the bot (inquiry intent): opening hours of a room, what is on. What the bot
cannot answer is handed to the grid's worker — a person answers, and the resident is told who will.
(Greetings, thanks and the knowledge base are handlers/speech.py.)"""

from __future__ import annotations

import re

from handlers.base import Context, Router, Stage, View
from texts.events import event_line
from models.booking import find_rooms, mentions_room
from models.events import open_events, places_left
from kernel.identity import Role
from models.needs import Source, ask_person, default_holder
from notices.needs import announce_intake

router = Router("inquiry")

ROOM_HOURS = "{room}开放时间: {hours}{closed}。预约请说「预约 {room} 明天下午3点到5点」。"
ROOM_CLOSED_DAYS = ",每{days}闭馆"
EVENTS_HEADER = "近期活动:"
EVENTS_NONE = "最近还没有发布活动,有新活动会在群里通知大家。"
EVENTS_FOOTER = "回复「报名 活动名 人数」即可报名。"
HANDED_ON = "这个问题小助手答不上来,已转给{worker}(编号 {code}),答复后小助手会转告您。"
HANDED_ON_NOBODY = "这个问题小助手答不上来,请联系社区工作人员。"
ROOM_FREE = "{rooms}免费使用,预约就行,不收费。预约请说「预约 {room} 明天下午3点到5点」。"
ROOM_FEE = "{room}: {fee}"
ROOMS_ALL_FREE = "社区功能室({rooms})都免费使用,预约就行,不收费。"
ROOMS_SOME_FEE = "社区功能室大多免费使用;收费的有: {fees}。"

WEEKDAYS = "一二三四五六日"
_HOURS_RE = re.compile(r"几点|开门|关门|开放|营业|时间|闭馆|休息")
_EVENTS_RE = re.compile(r"活动|课程|讲座|课")
_FEE_RE = re.compile(r"收费|要钱|花钱|多少钱|免费|付费|交钱|给钱|费用|价格|怎么算钱")
# A place, not a programme: "老年活动室", "功能室", "活动中心", "活动大厅" — a question about it is not about events.
_PLACE_WORD = re.compile(r"[\u4e00-\u9fff]{0,4}?(?:室|房|厅|馆|活动中心|服务中心|中心)")


def _names_place(view: View) -> bool:
    return mentions_room(view.config, view.text) or _PLACE_WORD.search(view.text) is not None


def _match(view: View) -> str | None:
    if view.understanding.intent != "inquiry":
        return None
    place = _names_place(view)
    if place and _FEE_RE.search(view.text) and (view.config.rooms and re.search(r"室|房|厅|馆", view.text)):
        return "room_fee"
    if mentions_room(view.config, view.text) and _HOURS_RE.search(view.text) and not re.search(r"重新|恢复|维修|装修", view.text):
        return "room_hours"
    if _EVENTS_RE.search(_PLACE_WORD.sub(" ", view.text)):
        return "events"
    if view.sender.role != Role.RESIDENT:
        return None     # staff asking what the bot cannot answer get their help, not a ticket to a colleague
    return "hand_on"


@router.route(Stage.INTENT, _match)
async def answer(ctx: Context, kind: str) -> None:
    if kind == "room_fee":
        await _room_fee(ctx)
    elif kind == "room_hours":
        await _room_hours(ctx)
    elif kind == "events":
        await _events(ctx)
    else:
        await _hand_on(ctx)


async def _room_hours(ctx: Context) -> None:
    lines = []
    for room in find_rooms(ctx.config, ctx.text).rooms:
        closed = ROOM_CLOSED_DAYS.format(days="、".join("周" + WEEKDAYS[d] for d in room.closed_weekdays)) \
            if room.closed_weekdays else ""
        lines.append(ROOM_HOURS.format(room=room.name, hours=room.hours, closed=closed))
    await ctx.reply("\n".join(lines) if lines else HANDED_ON_NOBODY)


async def _room_fee(ctx: Context) -> None:
    """From the config: a room is free unless it names a fee ([[rooms]] fee)."""
    rooms = [r for r in find_rooms(ctx.config, ctx.text).rooms if r.who == "residents"] \
        if mentions_room(ctx.config, ctx.text) else []
    if rooms:
        free = [r for r in rooms if not r.fee]
        lines = [ROOM_FEE.format(room=r.name, fee=r.fee) for r in rooms if r.fee]
        if free:
            lines.append(ROOM_FREE.format(rooms="、".join(r.name for r in free), room=free[0].name))
        await ctx.reply("\n".join(lines))
        return
    open_rooms = [r for r in ctx.config.rooms if r.who == "residents"]
    paid = [r for r in open_rooms if r.fee]
    if paid:
        await ctx.reply(ROOMS_SOME_FEE.format(fees=";".join(f"{r.name} {r.fee}" for r in paid)))
    else:
        await ctx.reply(ROOMS_ALL_FREE.format(rooms="、".join(r.name for r in open_rooms)))


async def _events(ctx: Context) -> None:
    group = None if ctx.msg.is_private else ctx.msg.group_topic
    events = await open_events(ctx.session, ctx.now, group=group, limit=8)
    if not events:
        await ctx.reply(EVENTS_NONE)
        return
    tz = ctx.config.timezone
    lines = [EVENTS_HEADER] + [event_line(e, tz, await places_left(ctx.session, e)) for e in events]
    await ctx.reply("\n".join(lines + [EVENTS_FOOTER]))


async def _hand_on(ctx: Context) -> None:
    """To the grid's worker (the group's, or the building's when one is named); asked privately with no
    grid to go by, to the community admin — the same person a need from there would go to. The question
    is a 居民咨询 need (models/needs.ask_person): the person answers with 回复 (chat or inbox) and the
    answer comes back to the resident where they asked."""
    building = ctx.view.understanding.building
    grid = ctx.grid or ctx.config.grid_of_building(building)
    who, _name = default_holder(ctx.config, grid.number if grid else None)
    if who is None:
        await ctx.reply(HANDED_ON_NOBODY)
        return
    private = ctx.msg.is_private
    intake = await ask_person(ctx.session, ctx.now, ctx.config, text=ctx.text[:500], building=building,
                              source=Source.PRIVATE if private else Source.GROUP, requester=ctx.sender.id,
                              requester_name=ctx.sender.name, chat=None if private else ctx.msg.group_topic,
                              chat_grid=ctx.grid.number if ctx.grid else None)
    await announce_intake(ctx.out, ctx.config, intake)
    need = intake.need
    await ctx.reply(HANDED_ON.format(worker=need.assignee_name or "社区工作人员", code=need.code))
