"""Events and 接龙 signups (活动报名): staff publish, residents sign up the ways they already do.

Staff (workers, admins):
    发布活动 <标题> <时间> <地点> 名额<N> [截止 <时间>] [费用 <金额>|免费|29.9元] [每户限N人] [备注 …] [群 网格1,网格2]
    改活动 E101 名额40 / 时间 … / 地点 … / 截止 …      取消活动 E101 <原因>
    名单 E101        移除报名 E101 张三        签到 E101 张三 李四        爽约 [张三]
Residents (no @ needed in a group):
    报名 花灯 2人 · +1 / 我也去 / 算我一个 (right after a notice) · 接龙 王芳 2人 · a pasted 接龙 list
    取消报名 花灯 · 我的报名 · 改成3人 · 确认 E101 · 签到 E101 · 活动列表
Addressed plain language: "@小助手 中秋做花灯我报名,两个大人一个小孩".

Matchers are regexes over the cleaned text, no database. The domain work is in models.events."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from kernel.config import Config
from kernel.identity import STAFF, Person
from kernel.text.numbers import SIGN, read_count, read_yuan
from kernel.text.timeparse import parse_point
from texts import events as T
from texts import trail as TR
from notices import events as notices
from handlers.base import PASS, Context, Router, Stage, View
from handlers.jielong import (JielongList, is_group_buy, looks_like_list, parse_continuation, parse_inline, parse_list,
                              parse_party)
from models import conversation
from models import events as ev
from models.events import Event, EventError, EventSpec, ListEntry, Signup, SignupStatus

router = Router("events")

_N = rf"(?:{SIGN}\s*)?(?:\d+|[零一二两三四五六七八九十百]{{1,4}})"   # signed: "名额-30" is refused, not read as 30
_CODE = r"[Ee]\d{3,7}"
PICK_KIND = "events_pick"
MAX_LIST_LINES = 500      # a 接龙 list is read to the end up to 500 numbered lines …
_LIST_SLACK = 20          # … plus its header, title and notes
TAIL_KIND = "events_jielong_tail"
PENDING_KIND = "events_jielong_pending"
UNKNOWN_KIND = "events_jielong_unknown"
DUPLICATE_KIND = "events_publish_duplicate"
DUPLICATE_TTL = timedelta(minutes=30)


def _int(text: str) -> int | None:
    try:
        return read_count(text)
    except ValueError:
        return None


async def _tell_promoted(ctx: Context, promoted: Sequence[Signup], event: Event) -> None:
    await notices.promoted(ctx.out, event, promoted, ctx.config.timezone)


# ====================================================================== publishing: the fixed form

@dataclass
class Options:
    """What `发布活动` / `改活动` say besides title, time and place."""

    capacity: int | None = None
    limit: int | None = None
    deadline_text: str | None = None
    fee: tuple[str, int] | None = None
    groups_text: str | None = None
    note: str | None = None
    confirm_hours: int | None = None
    time_text: str | None = None
    place: str | None = None
    title: str | None = None
    free: str = ""                      # what no keyword claimed: title, time, place
    bare_limit: int | None = None       # 限N人 without 每户: capacity when no 名额 is given


# A fee the way notices write it: "低偿 20元一位", "每人10块", "收费15元/人", "材料费 8元", "AA 30元每人".
# 块 needs digits ("一块" is "together"); an amount without a money word stays text.
_PER = r"(?:\s*(?:/|每|一)\s*(?:人|位|个人|次|户|家)|\s*(?:每人|每位|一位|一人))?"
_MONEY = (rf"(?P<money>(?:(?:低偿|收费|费用|材料费|工本费|报名费|每人|每位|每个人|人均|一人|一位|AA)\s*[::]?\s*)?"
          rf"(?P<money_v>(?:{SIGN}\s*)?\d+(?:\.\d{{1,2}})?)\s*(?:元|块钱?|RMB|rmb){_PER})")
# A grid named without 群 ("… 网格2", "网格1、网格3", "2网格"): where the notice goes.
_GRID_WORD = r"(?:网格\d{1,2}|\d{1,2}\s*号?网格)(?:一家亲)?群?"

_OPT = re.compile(
    rf"(?P<cap>名额|人数上限|限额)\s*[::]?\s*(?P<cap_n>{_N})\s*(?:人|个|位|名)?"
    rf"|(?P<limit>每户限|每人限|每家限|每户最多|每人最多|每户|每次限)(?:报|带)?\s*(?P<limit_n>{_N})\s*(?:人|位|名)"
    rf"|(?P<barelimit>限(?:报)?)\s*(?P<barelimit_n>{_N})\s*(?:人|位|名)"
    r"|(?P<deadline>(?:报名)?截[止至](?:时间|日期)?)\s*[::]?"
    rf"|{_MONEY}"
    rf"|(?P<fee>费用|收费)\s*[::]?\s*(?P<fee_v>免费|(?:{SIGN}\s*)?\d+(?:\.\d{{1,2}})?\s*元?)"
    r"|(?:(?<=\s)|^)(?P<free_>免费)(?=\s|$)"
    r"|(?:(?<=\s)|^)(?P<selfpay>费用自理|自费|费用AA|AA制?|各自付费|费用现场AA)(?=\s|$)"
    r"|(?:(?<=\s)|^)(?P<groups>群|发到|通知群)\s*[::]?"
    rf"|(?:(?<=\s)|^)(?P<grids>{_GRID_WORD}(?:\s*[,，、和及]\s*{_GRID_WORD})*)(?=\s|$)"
    r"|(?P<note>备注)\s*[::]?"
    rf"|(?P<confirm>确认(?:时限|时间)?)\s*(?P<confirm_n>{_N})\s*个?小时"
    r"|(?:(?<=\s)|^)(?P<time>时间)\s*[::]?"
    r"|(?:(?<=\s)|^)(?P<place>地点)\s*[::]?"
    r"|(?:(?<=\s)|^)(?P<title>标题)\s*[::]?"
)
_OPEN_ENDED = {"deadline", "groups", "note", "time", "place", "title"}
_WEAK = {"money", "free_", "selfpay", "limit", "barelimit", "grids"}   # inside a 备注 these are just words


def _fee(value: str) -> tuple[str, int]:
    value = value.replace(" ", "")
    if value == "免费":
        return "免费", 0
    amount = value.rstrip("元")
    return (f"{amount}元", read_yuan(amount))   # a negative or absurd fee is refused by the model


_KINDS = ("cap", "limit", "barelimit", "deadline", "fee", "free_", "selfpay", "money", "groups", "grids", "note", "confirm", "time",
          "place", "title")


def parse_options(text: str) -> Options:
    opts = Options()
    kept: list[re.Match[str]] = []
    in_note = False
    for m in _OPT.finditer(text):
        kind = next(k for k in _KINDS if m.group(k))
        if in_note and kind in _WEAK:
            continue      # "备注 材料费10元": words of the note
        in_note = kind == "note"
        kept.append(m)
    free: list[str] = [text[: kept[0].start()] if kept else text]
    for i, m in enumerate(kept):
        end = kept[i + 1].start() if i + 1 < len(kept) else len(text)
        value = text[m.end():end].strip()
        g = m.groupdict()
        if g["cap"]:
            opts.capacity = _int(g["cap_n"])
            free.append(value)
        elif g["limit"]:
            opts.limit = _int(g["limit_n"])
            free.append(value)
        elif g["barelimit"]:
            opts.bare_limit = _int(g["barelimit_n"])
            free.append(value)
        elif g["fee"]:
            opts.fee = _fee(g["fee_v"])
            free.append(value)
        elif g["free_"]:
            opts.fee = ("免费", 0)
            free.append(value)
        elif g["money"]:
            opts.fee = _fee(g["money_v"])
            free.append(value)
        elif g["selfpay"]:
            opts.fee = ("自理", 0)     # "费用自理": people pay their own way, never announced as 免费
            free.append(value)
        elif g["grids"]:
            opts.groups_text = " ".join(filter(None, [opts.groups_text, g["grids"]]))   # "群 网格1 网格2" too
            free.append(value)
        elif g["confirm"]:
            opts.confirm_hours = _int(g["confirm_n"])
            free.append(value)
        elif g["deadline"]:
            opts.deadline_text = value
        elif g["groups"]:
            opts.groups_text = value
        elif g["note"]:
            opts.note = value[:200] or None
        elif g["time"]:
            opts.time_text = value
        elif g["place"]:
            opts.place = value[:80] or None
        elif g["title"]:
            opts.title = value[:60] or None
    if opts.limit is None and opts.bare_limit is not None:
        # "限N人": a per-household limit when 名额 is given; otherwise the notice's way of saying capacity.
        if opts.capacity is None:
            opts.capacity = opts.bare_limit
        else:
            opts.limit = opts.bare_limit
    opts.free = re.sub(r"\s+", " ", " ".join(p.strip() for p in free if p.strip())).strip()
    return opts


_ALL_GROUPS = {"全部", "所有", "全体", "所有网格", "全部网格", "全社区", "所有群", "全部群"}
_GRID_TOKEN = re.compile(rf"^(?:网格)?\s*({_N})\s*(?:号)?(?:网格)?(?:一家亲)?(?:群)?$")


def parse_groups(value: str, config: Config) -> tuple[list[str], list[str]]:
    """"网格1,网格2" / "3" / "全部" / a group topic → topics; plus the names not understood."""
    topics: list[str] = []
    bad: list[str] = []
    for tok in re.split(r"[,，、;；\s和及]+", value):
        tok = tok.strip()
        if not tok:
            continue
        if tok in _ALL_GROUPS:
            topics += [g.group for g in config.grids]
            continue
        if config.is_known_group(tok):
            topics.append(tok)
            continue
        m = _GRID_TOKEN.match(tok)
        grid = config.grid_by_number(_int(m.group(1))) if m else None
        if grid is not None:
            topics.append(grid.group)
        else:
            bad.append(tok)
    return list(dict.fromkeys(topics)), bad


def room_names(config: Config) -> list[str]:
    return [n for r in config.rooms for n in (r.name, *r.aliases)]


@dataclass
class TimeResult:
    at: datetime | None = None
    echo: str = ""
    error: str | None = None     # a sentence for the user
    matched: str = ""
    end: datetime | None = None  # "14:30-16:30": the end the staff gave


def _rolled_over(start: datetime, matched: str, now: datetime) -> bool:
    """"11月20日" said on 11月24日 reads as next year; for an event that is a past date typed by
    mistake far more often than a plan a year ahead (write the year to mean it)."""
    return "年" not in matched and start - now > timedelta(days=240)


def read_start(text: str, now: datetime, tz: ZoneInfo, config: Config) -> TimeResult:
    from kernel.text.timeparse import IN_PAST, describe, strip_noise

    try:
        reading = parse_point(strip_noise(text, room_names(config)), now, tz)
    except (OverflowError, ValueError):   # "9999年12月31日": no such moment to plan for
        return TimeResult(error=T.TIME_NEEDED)
    if reading.start is None:
        return TimeResult(error=T.TIME_NEEDED)
    if reading.vague:
        local = reading.start.astimezone(tz)
        return TimeResult(error=T.TIME_VAGUE.format(day=f"{local.month}月{local.day}日"), matched=reading.matched)
    if reading.error == IN_PAST or _rolled_over(reading.start, reading.matched, now):
        return TimeResult(error=T.refusal("in_past", {}, tz), matched=reading.matched)
    if reading.error:
        return TimeResult(error=T.TIME_NEEDED, matched=reading.matched)
    return TimeResult(reading.start, describe(reading, now, tz), None, reading.matched,
                      reading.end if reading.has_end else None)


def read_deadline(text: str, now: datetime, tz: ZoneInfo) -> TimeResult:
    from kernel.text.timeparse import IN_PAST

    try:
        reading = parse_point(text, now, tz)
    except (OverflowError, ValueError):
        return TimeResult(error=T.DEADLINE_UNREADABLE)
    if reading.start is None:
        return TimeResult(error=T.DEADLINE_UNREADABLE)
    if reading.error == IN_PAST or _rolled_over(reading.start, reading.matched, now):
        return TimeResult(error=T.refusal("deadline_past", {}, tz), matched=reading.matched)
    if reading.error:
        return TimeResult(error=T.DEADLINE_UNREADABLE, matched=reading.matched)
    at = reading.start
    if reading.vague and reading.end is not None:
        at = reading.end - timedelta(minutes=1)    # "截止11月27日": to the end of that day
    return TimeResult(at, T.when(at, tz), None, reading.matched)


def _without(text: str, part: str) -> str:
    if part and part in text:
        text = text.replace(part, " ", 1)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class PublishRequest:
    spec: EventSpec
    groups: list[str]
    time_echo: str
    deadline_echo: str | None
    room: str | None


def parse_publish(rest: str, now: datetime, sender: Person, config: Config) -> PublishRequest | str:
    """The fixed form of CONTRACTS §5 (and a few natural variants); a sentence when it cannot be read."""
    tz = config.timezone
    opts = parse_options(rest)
    if not opts.free and not opts.title:
        return T.PUBLISH_USAGE
    tokens = opts.free.split(" ")
    title = opts.title or tokens.pop(0)
    remainder = " ".join(tokens) if not opts.title else opts.free
    time_text = opts.time_text if opts.time_text is not None else remainder
    start = read_start(time_text, now, tz, config)
    if start.error:
        return start.error + "\n" + T.PUBLISH_USAGE if start.error == T.TIME_NEEDED else start.error
    if opts.time_text is None:
        remainder = _without(remainder, start.matched)
    place = opts.place or remainder
    if not place:
        return T.refusal("no_place", {}, tz) + "\n" + T.PUBLISH_USAGE
    if opts.capacity is None:
        return T.CAPACITY_NEEDED
    deadline_echo = None
    deadline = None
    if opts.deadline_text is not None:
        dl = read_deadline(opts.deadline_text, now, tz)
        if dl.error:
            return dl.error
        deadline, deadline_echo = dl.at, dl.echo
        leftover = _without(opts.deadline_text, dl.matched)
        if leftover and not opts.place:
            place = (place + " " + leftover).strip()
    if opts.groups_text is not None:
        groups, bad = parse_groups(opts.groups_text, config)
        if bad:
            return T.UNKNOWN_GROUP.format(name=T.clip("、".join(bad)))
    else:
        groups = ev.default_groups(sender, config)
    fee_text, fee_cents = opts.fee if opts.fee else (None, 0)
    spec = EventSpec(title=title, starts_at=start.at, ends_at=start.end, place=place,  # type: ignore[arg-type]
                     capacity=opts.capacity, deadline=deadline,
                     fee_text=fee_text, fee_cents=fee_cents, per_signup_limit=opts.limit, note=opts.note,
                     confirm_hours=opts.confirm_hours)
    return PublishRequest(spec, groups, start.echo, deadline_echo, ev.room_of_place(place, config))


def parse_edit(rest: str, now: datetime, config: Config) -> dict[str, Any] | str:
    """`改活动 E101 名额40 时间 11月28日14:30` → the fields to change, or a sentence."""
    tz = config.timezone
    opts = parse_options(rest)
    changes: dict[str, Any] = {}
    if opts.capacity is not None:
        changes["capacity"] = opts.capacity
    if opts.limit is not None:
        changes["per_signup_limit"] = opts.limit
    if opts.fee is not None:
        changes["fee_text"], changes["fee_cents"] = opts.fee
    if opts.note is not None:
        changes["note"] = opts.note
    if opts.confirm_hours is not None:
        changes["confirm_hours"] = opts.confirm_hours or None
    if opts.place:
        changes["place"] = opts.place
    if opts.title:
        changes["title"] = opts.title
    if opts.time_text is not None:
        start = read_start(opts.time_text, now, tz, config)
        if start.error:
            return start.error
        changes["starts_at"] = start.at
        if start.end is not None:
            changes["ends_at"] = start.end
        leftover = _without(opts.time_text, start.matched)
        if leftover:
            return T.LEFTOVER.format(text=T.clip(leftover)) + T.EDIT_USAGE
    if opts.deadline_text is not None:
        if opts.deadline_text in ("无", "取消", "不限"):
            changes["deadline"] = None
        else:
            dl = read_deadline(opts.deadline_text, now, tz)
            if dl.error:
                return dl.error
            changes["deadline"] = dl.at
    if opts.free:
        # A bare time ("改活动 E101 11月28日14:30") is the common shorthand for 时间.
        start = read_start(opts.free, now, tz, config) if "starts_at" not in changes else TimeResult()
        if start.at is not None and not _without(opts.free, start.matched):
            changes["starts_at"] = start.at
            if start.end is not None:
                changes["ends_at"] = start.end
        else:
            return T.LEFTOVER.format(text=T.clip(opts.free)) + T.EDIT_USAGE
    if not changes:
        return T.EDIT_USAGE
    return changes


# ====================================================================== staff commands

@router.command("发布活动", "新建活动", "发活动", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def publish(ctx: Context, rest: str) -> None:
    await _publish(ctx, rest)


async def _publish(ctx: Context, rest: str, *, allow_duplicate: bool = False) -> None:
    tz = ctx.config.timezone
    if not rest:
        await ctx.reply(T.PUBLISH_USAGE)
        return
    req = parse_publish(rest, ctx.now, ctx.sender, ctx.config)
    if isinstance(req, str):
        await ctx.reply(req)
        return
    try:
        published = await ev.publish(ctx.session, ctx.now, ctx.config, req.spec, by_id=ctx.sender.id,
                                     by_name=ctx.sender.name, groups=req.groups, room=req.room,
                                     allow_duplicate=allow_duplicate, said_in=_scope_group(ctx))
    except EventError as exc:
        if exc.code == "duplicate":     # the same title, time and place: sent twice? ask before a second one
            await ctx.ask(DUPLICATE_KIND, {"rest": rest}, ttl=DUPLICATE_TTL)
            await ctx.reply(T.duplicate_ask(exc.info["event"], tz))
            return
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return
    event = published.event
    room_note = T.room_note(published.room, tz) if published.room else None
    imported = await _import_pending_list(ctx, event)
    await ctx.reply(T.publish_summary(event, req.groups, tz, time_echo=req.time_echo, deadline_echo=req.deadline_echo,
                                      room_note=room_note, imported=imported))


# Only an explicit answer: a "好的" or "是的" said in the group half an hour later must not publish twice.
_DUPLICATE_YES = re.compile(r"^(?:确认发布|确定发布|仍然发布|继续发布|还是发布|再发一个|再发布一个)\s*[。.!！]?$")


@router.answer(DUPLICATE_KIND, match=lambda v: _DUPLICATE_YES.match(v.text), label=T.QUESTION_DUPLICATE)
async def publish_again(ctx: Context, _m: object) -> None:
    """"确认发布" after the duplicate warning: publish the same command once more, on purpose."""
    state = ctx.question
    assert state is not None
    await ctx.answered()
    await _publish(ctx, str(state.data.get("rest") or ""), allow_duplicate=True)


async def _import_pending_list(ctx: Context, event: Event) -> str | None:
    """A 接龙 list this staff member posted before the event existed: import it now."""
    for state in await conversation.of_kind(ctx.session, PENDING_KIND, ctx.now):
        if state.person_id != ctx.sender.id or ev.title_score(state.data.get("title") or "", event.title) < ev.MATCH_THRESHOLD:
            continue
        entries = [ListEntry(n, p) for n, p in state.data.get("entries", [])]
        res = await ev.import_jielong(ctx.session, ctx.now, event.id, entries, poster_id=ctx.sender.id,
                                      poster_name=ctx.sender.name, group=state.scope if state.scope != conversation.PRIVATE_SCOPE else None,
                                      staff=True, settings=ctx.config.events)
        await conversation.forget(ctx.session, state.scope, state.person_id, [PENDING_KIND])
        return T.jielong_pending_imported(len(res.added))
    return None


async def _event_from_code(ctx: Context, rest: str, usage: str) -> tuple[Event, str] | None:
    m = re.match(rf"^({_CODE})\s*(.*)$", rest, re.S)
    if not m:
        await ctx.reply(usage)
        return None
    event = await ev.event_by_code(ctx.session, m.group(1))
    if event is None:
        await ctx.reply(T.refusal("not_found", {}, ctx.config.timezone))
        return None
    return event, m.group(2).strip()


@router.command("改活动", "修改活动", "活动修改", "更改活动", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def edit_event(ctx: Context, rest: str) -> None:
    tz = ctx.config.timezone
    found = await _event_from_code(ctx, rest, T.EDIT_USAGE)
    if found is None:
        return
    event, rest = found
    changes = parse_edit(rest, ctx.now, ctx.config)
    if isinstance(changes, str):
        await ctx.reply(changes)
        return
    try:
        res = await ev.update_event(ctx.session, ctx.now, event.id, by=ctx.sender.id, by_name=ctx.sender.name,
                                    config=ctx.config, settings=ctx.config.events, **changes)
    except EventError as exc:
        await ctx.reply(T.EDIT_STARTED if exc.code == "started" else T.refusal(exc.code, exc.info, tz))
        return
    room_notes = T.room_follow_notes(res.room, tz)
    told = await notices.changed(ctx.out, res, tz)
    left = await ev.places_left(ctx.session, res.event)
    await ctx.reply("\n".join([T.edited(res.event, res.changed, tz, left, told, len(res.promoted)), *room_notes]))


@router.command("取消活动", "撤销活动", "活动取消", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def cancel_event(ctx: Context, rest: str) -> None:
    tz = ctx.config.timezone
    found = await _event_from_code(ctx, rest, T.CANCEL_EVENT_USAGE)
    if found is None:
        return
    event, reason = found
    try:
        done = await ev.cancel_event(ctx.session, ctx.now, event.id, by=ctx.sender.id, by_name=ctx.sender.name,
                                     reason=reason)
    except EventError as exc:
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return
    told = await notices.cancelled(ctx.out, done.event, tz)
    await ctx.reply(T.event_cancelled_staff(done.event, told, done.released))


@router.command("移除报名", "删除报名", "移出报名", "剔除报名", stage=Stage.STAFF_COMMAND, roles=STAFF, private=True)
async def remove_signup(ctx: Context, rest: str) -> None:
    tz = ctx.config.timezone
    found = await _event_from_code(ctx, rest, T.REMOVE_USAGE)
    if found is None:
        return
    event, names = found
    if not names:
        await ctx.reply(T.REMOVE_USAGE)
        return
    row = await ev.find_signup(ctx.session, event.id, name=names)
    if row is None:
        await ctx.reply(T.checked_in(event, [], [], [names], self_checkin=False))
        return
    try:
        res = await ev.cancel_signup(ctx.session, ctx.now, event.id, row.id, by=ctx.sender.id, staff=True,
                                     by_name=ctx.sender.name)
    except EventError as exc:
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return
    await _tell_promoted(ctx, res.promoted, res.event)
    await ctx.reply(T.removed_by_staff(res.event, res.signup))


_TRAIL_RE = re.compile(rf"^(?:报名)?(?:操作)?(?:记录|历史|日志)\s*[::]?\s*({_CODE})\s*(.{{0,20}})$")


@router.route(Stage.STAFF_COMMAND, lambda v: _TRAIL_RE.match(v.text), roles=STAFF, private=True)
async def trail(ctx: Context, m: re.Match[str]) -> None:
    """记录 E101 [名字]: who signed up, moved up, cancelled or was removed, and when."""
    event = await ev.event_by_code(ctx.session, m.group(1))
    if event is None:
        await ctx.reply(T.refusal("not_found", {}, ctx.config.timezone))
        return
    name = m.group(2).strip() or None
    tz = ctx.config.timezone
    lines = [TR.line(t.event.at, tz, t.event.actor, t.event.actor_name, t.event.action, T.TRAIL_ACTIONS,
                     T.field_names(t.event.note.split(",")) if t.event.action == "edit" and t.event.note else t.event.note,
                     who=t.name) for t in await ev.event_trail(ctx.session, event.id, name=name)]
    await ctx.reply(TR.trail(T.trail_header(event, name), lines))


_ROSTER_RE = re.compile(rf"^(?:报名)?(?:名单|花名册|报名情况|报名名单)\s*[::]?\s*({_CODE})\s*$")


@router.route(Stage.STAFF_COMMAND, lambda v: _ROSTER_RE.match(v.text), roles=STAFF, private=True)
async def staff_roster(ctx: Context, m: re.Match[str]) -> None:
    event = await ev.event_by_code(ctx.session, m.group(1))
    if event is None:
        await ctx.reply(T.refusal("not_found", {}, ctx.config.timezone))
        return
    rows = await ev.signups(ctx.session, event.id)
    left = await ev.places_left(ctx.session, event)
    await ctx.reply(T.staff_roster(event, rows, ctx.config.timezone, left))   # full names: privately


@router.command("爽约", "爽约记录", "爽约次数", stage=Stage.STAFF_COMMAND, roles=STAFF, private=True)
async def no_shows(ctx: Context, rest: str) -> None:
    name = rest.strip() or None
    records = await ev.no_show_records(ctx.session, name=name)
    await ctx.reply(T.no_shows(records, ctx.config.timezone, name))


# ====================================================================== resident commands

def _scope_group(ctx: Context) -> str | None:
    return None if ctx.msg.is_private else (ctx.msg.group_topic or ctx.msg.group_id)


async def _events_with_left(ctx: Context, events: Sequence[Event]) -> list[tuple[Event, int]]:
    return [(e, await ev.places_left(ctx.session, e)) for e in events]


def _open_events(ctx: Context) -> Callable[[str | None], Awaitable[list[Event]]]:
    """The open events (the group's 30, or all 200), read once per message: 报名 looks an event up,
    and when it is not found lists them."""
    async def load(group: str | None) -> list[Event]:
        key = ("events.open", group)
        if key not in ctx.memo:
            ctx.memo[key] = await ev.open_events(ctx.session, ctx.now, group=group,
                                                 limit=30 if group is not None else 200)
        return ctx.memo[key]  # type: ignore[no-any-return]
    return load


async def _offer_events(ctx: Context, lead: str | None = None) -> None:
    group = _scope_group(ctx)
    load = _open_events(ctx)
    events = await load(group) if group else []
    if not events:
        events = (await load(None))[:30]
    text = T.open_events(await _events_with_left(ctx, events[:8]), ctx.config.timezone)
    await ctx.reply((lead + "\n" + text) if lead else text)


async def _resolve_event(ctx: Context, words: str, pick: dict[str, Any]) -> Event | None:
    """The event `words` names; asks (and remembers what was asked) when it is not clear."""
    group = _scope_group(ctx)
    load = _open_events(ctx)
    if words:
        found = await ev.find_events(ctx.session, ctx.now, words, group=group, load=load)
    else:
        found = await load(group) if group else []
        if not found:
            found = (await load(None))[:30]
    if len(found) == 1:
        return found[0]
    lead = None
    if not found and words and pick.get("action") != "cancel":
        # "报名看电影" for 观影会: a near word is offered to pick, never signed up for on a guess.
        found = ev.near_events(words, await load(group) if group else []) or ev.near_events(words, await load(None))
        lead = T.not_found(words) if found else None
    if not found:
        await _offer_events(ctx, T.not_found(words) if words else None)
        return None
    found = found[:6]
    await ctx.ask(PICK_KIND, {**pick, "ids": [e.id for e in found]}, ttl=timedelta(minutes=10))
    if lead:
        await ctx.reply(lead + "\n" + T.pick_near(found, ctx.config.timezone))
    else:
        await ctx.reply(T.pick_one(found, ctx.config.timezone, "取消" if pick.get("action") == "cancel" else "报名"))
    return None


async def _sign_up(ctx: Context, event: Event, *, name: str, contact_id: str | None, party: int, source: str,
                   for_other: bool = False, party_said: bool = False) -> None:
    tz = ctx.config.timezone
    try:
        res = await ev.sign_up(ctx.session, ctx.now, event.id, name=name, contact_id=contact_id, party_size=party,
                               group=_scope_group(ctx), added_by=ctx.sender.id, source=source,
                               staff=ctx.sender.is_staff, settings=ctx.config.events, by_name=ctx.sender.name)
    except EventError as exc:
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return
    if res.already:
        change_to = party if party_said and party != res.signup.party_size else None
        await ctx.reply(T.already_in(res.event, res.signup, res.position, for_other=for_other, change_to=change_to))
    elif res.signup.status == SignupStatus.WAITING:
        await ctx.reply(T.waitlisted(res.event, res.signup, res.position or 0, for_other=for_other))
    else:
        await ctx.reply(T.signed_up(res.event, res.signup, tz, res.places_left, for_other=for_other))
    await _tell_promoted(ctx, res.promoted, res.event)
    if _scope_group(ctx) is not None and not res.already:
        # A "+1" straight after this signup means this event, not whichever notice was posted last.
        await ctx.ask(SIGNED_KIND, {"by": ctx.sender.id, "event": res.event.id, "signup": res.signup.id},
                      ttl=SIGNED_FOLLOW, person_id=_ASKED_KEY)


_FILLER = re.compile(r"我要报名|我想报名|我们报名|我报名|帮我报名|给我报名|帮我报个名|给我报个名|报个名|报名|报一个|给我报|帮我报|我要报|我报|"
                     r"算我们家一个|算我家一个|算我一个|算上我|算我们|算我|加我一个|带上我|我来一个|我们家参加|我们参加|"
                     r"我要参加|我想参加|我也参加|我参加|参加|我也去|我要去|我想去|我去|都去|一起去|"
                     r"我也要|我要|我想|一起|一下|谢谢|麻烦|请|帮我|这个|那个|的活动|活动|"
                     r"还有名额吗|还有位置吗|还能报吗|还有名额的话|吧|啦|了|哈|呀|哦|噢|呢|嗯|好的|"
                     r"[,，。.!！~～、?？:：\s]+")


def event_words(text: str) -> str:
    return _FILLER.sub(" ", text).strip()


_SIGNUP_RE = re.compile(r"^(?:报名|报个名|我要报名|帮我报名|给我报名)\s*[::,，]?\s*(.*)$", re.S)
_SIGNUP_NOT = re.compile(r"^(?:了|的|吗|啥|什么|时间|截止|费|要|怎么|在哪|哪里|方式|情况|人数|名单|结束|满|成功|还|呀|啊|没)")


# A question about an event — who signed up, how many, is it still on, when it ends, where — is never a signup.
_STATUS_Q_RE = re.compile(r"(?:都有|有|还有|都)谁|谁(?:去|参加|报)|哪些人|多少人|多少个人|几个人了|几个人报|几位了|人数(?:多少|是多少|有多少)|"
                          r"报了几|报名的人|还办|还搞|还举办|还开[吗不没]|照常|取消了[吗没么]|延期|改期|"
                          r"(?:几点|什么时候|啥时候|多久|多会儿?)(?:能)?(?:结束|散场|完)|(?P<place>在哪|哪里|地址|怎么去)")
_ROSTER_Q_RE = re.compile(r"谁|哪些人|多少|几个人|几位|人数|报了几|报名的人")


def asks_about_event(text: str) -> bool:
    return _STATUS_Q_RE.search(text) is not None


def match_signup(view: View) -> str | None:
    m = _SIGNUP_RE.match(view.text)
    if m is None or "\n" in view.text or asks_about_event(view.text):
        return None
    rest = m.group(1).strip()
    if not view.addressed and _SIGNUP_NOT.match(rest):
        return None    # "报名了吗" / "报名时间是啥": talk about signing up, not a signup
    return rest


# -------- cancelling (before 报名: "取消报名 …")

_CANCEL_RE = re.compile(r"^(?:取消报名|退出报名|报名取消|不报名了|撤销报名|取消接龙)\s*[::]?\s*(.*)$")
_CANCEL_CODE_RE = re.compile(rf"^(?:取消|退出)\s*[::]?\s*({_CODE})\s*(.*)$")


@dataclass
class Mine:
    event: Event
    signup: Signup


async def _my_active(ctx: Context) -> list[Mine]:
    """The sender's active signups, and those of people they named, for events not over: one read."""
    me, key = ctx.sender.id, ev.person_key(ctx.sender.name)
    rows = (await ctx.session.execute(
        select(Signup, Event).join(Event, Event.id == Signup.event_id)
        .where(Signup.status.in_(list(ev.ACTIVE)), Event.status == ev.EventStatus.OPEN,
               Event.starts_at > ctx.now - ev.MINE_SHOWN_AFTER_START,
               or_(Signup.contact_id == me,
                   and_(Signup.contact_id.is_(None), or_(Signup.added_by == me, Signup.person_key == key))))
    )).all()
    own = sorted(((s, e) for s, e in rows if s.contact_id == me), key=lambda r: (r[1].starts_at, r[1].id, r[0].id))
    later = sorted(((s, e) for s, e in rows if s.contact_id is None and e.starts_at > ctx.now),
                   key=lambda r: (r[1].starts_at, r[0].seq))
    mine = [Mine(e, s) for s, e in own]
    mine += [Mine(e, s) for s, e in later if s.added_by == me]
    # Someone else wrote their name on the list ("接龙 王芳"): it is theirs too.
    mine += [Mine(e, s) for s, e in later if s.person_key == key and s.added_by is not None and s.added_by != me]
    return mine


def _select_mine(mine: list[Mine], words: str, sender_name: str) -> list[Mine]:
    if not words:
        return mine
    tokens = [t for t in re.split(r"\s+", words) if t]
    code = ev.parse_code(words)
    if code is not None:
        by_code = [m for m in mine if m.event.id == code]
        names = [t for t in tokens if ev.parse_code(t) is None]
        if names:
            named = [m for m in by_code if any(ev.person_key(t) == ev.person_key(m.signup.name) for t in names)]
            return named or by_code
        return by_code
    named = [m for m in mine if m.signup.contact_id is None
             and any(ev.person_key(t) == ev.person_key(m.signup.name) for t in tokens)]
    titled = [m for m in mine if any(ev.title_score(t, m.event.title) >= ev.MATCH_THRESHOLD for t in tokens)]
    if named and titled:
        both = [m for m in named if m in titled]
        return both or named
    if named:
        return named
    # Prefer the sender's own signup over people they named for the same event.
    own = [m for m in titled if m.signup.contact_id is not None]
    return own or titled


async def _cancel(ctx: Context, words: str) -> None:
    tz = ctx.config.timezone
    mine = await _my_active(ctx)
    if not mine:
        found = await ev.find_events(ctx.session, ctx.now, words, group=_scope_group(ctx)) if words else []
        await ctx.reply(T.NOT_SIGNED_UP.format(label=T.event_label(found[0])) if len(found) == 1 else T.NO_SIGNUPS)
        return
    chosen = _select_mine(mine, words, ctx.sender.name)
    if not chosen:
        found = await ev.find_events(ctx.session, ctx.now, words, group=_scope_group(ctx))
        if len(found) == 1:
            await ctx.reply(T.NOT_SIGNED_UP.format(label=T.event_label(found[0])))
        else:
            await ctx.reply(T.not_found(words) + "\n" + T.WHICH_SIGNUP.format(title=mine[0].event.title))
        return
    if len(chosen) > 1:
        events = list({m.event.id: m.event for m in chosen}.values())
        if len(events) > 1:
            await ctx.ask(PICK_KIND, {"action": "cancel", "ids": [e.id for e in events[:6]]},
                                ttl=timedelta(minutes=10))
            await ctx.reply(T.pick_one(events[:6], tz, "取消"))
            return
        chosen = [m for m in chosen if m.signup.contact_id == ctx.sender.id] or chosen[:1]
    await _cancel_one(ctx, chosen[0])


async def _cancel_one(ctx: Context, m: Mine) -> None:
    tz = ctx.config.timezone
    try:
        res = await ev.cancel_signup(ctx.session, ctx.now, m.event.id, m.signup.id, by=ctx.sender.id,
                                     by_name=ctx.sender.name)
    except EventError as exc:
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return
    await ctx.reply(T.cancelled_signup(res.event, res.signup, for_other=res.signup.contact_id != ctx.sender.id))
    await _tell_promoted(ctx, res.promoted, res.event)


@router.route(Stage.RESIDENT_COMMAND, lambda v: _CANCEL_RE.match(v.text))
async def cancel_signup(ctx: Context, m: re.Match[str]) -> None:
    words = parse_party(m.group(1)).rest
    await _cancel(ctx, event_words(words) if not ev.parse_code(words) else words)


# Dropping out in plain words. Only when the rest names an event the sender is signed up for:
# "明天我去不了了" alone is chatter.
_DROP_RE = re.compile(r"(?:去不了|去不成|来不了|来不成|参加不了|参加不成|不能去|不能参加|没法去|没办法去|去不到|"
                      r"不去了|不参加了|不来了|报不了|要退出|退出|不报了|取消一下|取消掉|取消吧)")
_DROP_FILLER = re.compile(r"不好意思|抱歉|对不起|sorry|实在|临时有事|有事|家里|突然|那天|到时候|了|啦|呀|哈|哦|吧|的|那个|这个|"
                          r"我们家|我们|我家|我|活动|报名|帮我|麻烦|把|[,，。.!！~～、?？\s]+", re.I)


_SOLO_RE = re.compile(r"(?:就|只有?|只剩)(?:我|俺)(?:一个|自己)(?:人)?(?:去|参加|来)?")


def match_drop_out(view: View) -> str | None:
    if "\n" in view.text or len(view.text) > 40 or _SOLO_RE.search(view.text):
        return None
    m = _DROP_RE.search(view.text)
    if m is None:
        return None
    words = _DROP_FILLER.sub(" ", view.text[: m.start()] + " " + view.text[m.end():]).strip()
    return words or None


@router.route(Stage.RESIDENT_COMMAND, match_drop_out)
async def drop_out(ctx: Context, words: str) -> object:
    mine = await _my_active(ctx)
    tokens = [t for t in words.split() if t]
    named = [m for m in mine if m.signup.contact_id == ctx.sender.id
             and any(ev.title_score(t, m.event.title) >= ev.MATCH_THRESHOLD for t in tokens)]
    if not named:
        return await _drop_out_by_day(ctx, words, mine)
    events = list({m.event.id: m for m in named}.values())
    if len(events) > 1:
        await ctx.ask(PICK_KIND, {"action": "cancel", "ids": [m.event.id for m in events[:6]]},
                      ttl=timedelta(minutes=10))
        await ctx.reply(T.pick_one([m.event for m in events[:6]], ctx.config.timezone, "取消"))
        return None
    await _cancel_one(ctx, events[0])
    return None


async def _signed_up(ctx: Context, event: Event) -> bool:
    """Already on this event's list: "算3个人" changes their party, whatever the group talked about since."""
    return any(m.event.id == event.id and m.signup.contact_id == ctx.sender.id for m in await _my_active(ctx))


async def _drop_out_by_day(ctx: Context, words: str, mine: list[Any]) -> object:
    """"周六有事去不了了": no event named, but the day is the day of one event the sender signed up for.
    Ask, never cancel on a guess (their place would go to someone else); anything else is their talk."""
    tz = ctx.config.timezone
    reading = parse_point(words, ctx.now, tz)
    if not reading.ok or reading.start is None:
        return PASS
    day = reading.start.astimezone(tz).date()
    hits = {m.event.id: m.event for m in mine if m.signup.contact_id == ctx.sender.id
            and m.event.starts_at.astimezone(tz).date() == day}
    if len(hits) != 1:
        return PASS
    await ctx.reply(T.drop_ask(next(iter(hits.values())), tz))
    return None


@router.route(Stage.RESIDENT_COMMAND, lambda v: _CANCEL_CODE_RE.match(v.text))
async def cancel_by_code(ctx: Context, m: re.Match[str]) -> None:
    # "取消 E101" (CONTRACTS §5 取消 <代码>); booking codes are another capability's.
    await _cancel(ctx, (m.group(1) + " " + m.group(2)).strip())


# "我的报名" and how residents ask it: 我报了哪些 / 我报名了什么活动 / 我都报了啥
_MINE_RE = re.compile(
    r"^(?:查看|查询|查|看看|查一下)?(?:一下)?(?:我的报名|我报的活动|我报名的活动|(?<=[查看询下])报名|我的活动|报名记录|"
    r"我(?:都|还)?报(?:名)?(?:了|过)(?:哪些|哪几个|哪个|什么|啥|几个)?(?:活动)?|"
    r"我(?:都|还)?报(?:名)?的(?:活动)?(?:有)?(?:哪些|哪几个|哪个|什么|啥|几个)?)(?:呢|吗|啊|呀|来着)?\s*[??]?$")


@router.route(Stage.RESIDENT_COMMAND, lambda v: _MINE_RE.match(v.text))
async def my_signups(ctx: Context, _m: object) -> None:
    tz = ctx.config.timezone
    mine = await _my_active(ctx)
    items = [(m.event, m.signup, await ev.waiting_position(ctx.session, m.signup)) for m in mine]
    await ctx.reply(T.my_signups(items, tz))


_LIST_RE = re.compile(r"^(?:活动列表|最近活动|近期活动|活动清单|本周活动)\s*[??]?$")
_LIST_ADDRESSED_RE = re.compile(r"^(?:最近)?(?:有什么|有啥|有哪些)(?:活动|可以报名的)[??]?$|^活动[??]?$")


def match_events_list(view: View) -> re.Match[str] | None:
    m = _LIST_RE.match(view.text)
    if m is None and view.addressed:
        m = _LIST_ADDRESSED_RE.match(view.text)
    return m


@router.route(Stage.RESIDENT_COMMAND, match_events_list)
async def list_events(ctx: Context, _m: object) -> None:
    await _offer_events(ctx)


# -------- confirm an offer, check in

_CONFIRM_RE = re.compile(rf"^确认\s*[::]?\s*({_CODE})\s*$")


@router.route(Stage.RESIDENT_COMMAND, lambda v: _CONFIRM_RE.match(v.text))
async def confirm(ctx: Context, m: re.Match[str]) -> None:
    tz = ctx.config.timezone
    event = await ev.event_by_code(ctx.session, m.group(1))
    if event is None:
        await ctx.reply(T.refusal("not_found", {}, tz))
        return
    try:
        row = await ev.confirm_offer(ctx.session, ctx.now, event.id, ctx.sender.id)
    except EventError as exc:
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return
    await ctx.reply(T.offer_confirmed(event, row, tz))


_CHECKIN_RE = re.compile(rf"^签到\s*[::]?\s*({_CODE})\s*(.*)$")


@router.route(Stage.RESIDENT_COMMAND, lambda v: _CHECKIN_RE.match(v.text))
async def check_in(ctx: Context, m: re.Match[str]) -> None:
    tz = ctx.config.timezone
    event = await ev.event_by_code(ctx.session, m.group(1))
    if event is None:
        await ctx.reply(T.refusal("not_found", {}, tz))
        return
    names = [n for n in re.split(r"[\s,，、]+", m.group(2)) if n]
    staff = ctx.sender.is_staff and bool(names)
    try:
        res = await ev.check_in(ctx.session, ctx.now, event.id, contact_id=ctx.sender.id,
                                names=names if staff else (), staff=staff, settings=ctx.config.events,
                                by_name=ctx.sender.name)
    except EventError as exc:
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return
    await ctx.reply(T.checked_in(res.event, [s.name for s in res.checked], [s.name for s in res.again],
                                 res.unknown, self_checkin=not staff))


_BARE_CHECKIN_RE = re.compile(r"^(?:签到|打卡签到|我到了|已到场|我们到了|到了)[\s。!！~～]*$"
                              r"|^(?:我|我们)?(?:已经|已)?(?:到|到达|来到|进)(?:了|啦)?\s*[^\s,，。!！]{2,8}?(?:了|啦)[\s。!！~～]*$")


_ARRIVED_AT = re.compile(r"^(?:我|我们)?(?:已经|已)?(?:到|到达|来到|进)(?:了|啦)?\s*([^\s,，。!！]{2,8}?)(?:了|啦)[\s。!！~～]*$")


def _same_place(said: str, event: Event) -> bool:
    """"到多功能厅了" for an event in 多功能厅 (or named by its title: "到太极拳这了")."""
    said = re.sub(r"^(?:社区|这边|那边)|(?:这里|这儿|这边|那儿|门口|这)$", "", said)
    return len(said) >= 2 and (said in (event.place or "") or (event.place or "") in said
                               or ev.title_score(said, event.title) >= ev.MATCH_THRESHOLD)


@router.route(Stage.RESIDENT_COMMAND, lambda v: _BARE_CHECKIN_RE.match(v.text))
async def check_in_bare(ctx: Context, _m: object) -> object:
    """A bare 签到 (booking passes it on when no room booking is due): the event starting about now."""
    settings = ctx.config.events
    mine = await ev.my_signups(ctx.session, ctx.now, ctx.sender.id)
    due = [m for m in mine if m.signup.holds_places
           and ev.checkin_window(m.event, settings)[0] <= ctx.now <= ev.checkin_window(m.event, settings)[1]]
    if len(due) != 1:
        return PASS
    place = _ARRIVED_AT.match(ctx.text)
    if place is not None and not _same_place(place.group(1), due[0].event):
        return PASS     # "到家了": somewhere else
    res = await ev.check_in(ctx.session, ctx.now, due[0].event.id, contact_id=ctx.sender.id, settings=settings)
    await ctx.reply(T.checked_in(res.event, [s.name for s in res.checked], [s.name for s in res.again], [],
                                 self_checkin=True))
    return None


# -------- change party size

_CHANGE_RE = re.compile(rf"^(?P<pre>[^\n]{{0,20}}?)\s*(?:报名)?(?:人数)?(?:改成|改为|改到|变成|换成)\s*(?P<n>{_N})\s*个?\s*(?:人|位)\s*$")


def match_change_party(view: View) -> tuple[int | None, str] | None:
    m = _CHANGE_RE.match(view.text)
    if m is not None:
        return (_int(m.group("n")), m.group("pre"))
    solo = _SOLO_RE.search(view.text)
    if solo is not None and len(view.text) <= 30 and "\n" not in view.text:
        # "老伴不去了 就我一个": one person now; what else is said may name the event
        rest = _DROP_RE.sub(" ", view.text[:solo.start()] + " " + view.text[solo.end():])
        return (1, _NO_EVENT_NAMED.sub(" ", rest))
    return None


@router.route(Stage.RESIDENT_COMMAND, match_change_party)
async def change_party(ctx: Context, m: tuple[int | None, str]) -> object:
    tz = ctx.config.timezone
    n = m[0]
    words = event_words(m[1])
    everything = await _my_active(ctx)
    mine = [x for x in everything if x.signup.contact_id == ctx.sender.id] or everything
    if not mine:
        if words:
            return PASS     # "预约改成3人" and the like: another capability's
        await ctx.reply(T.NO_SIGNUPS)
        return None
    chosen = _select_mine(mine, words, ctx.sender.name) if words else mine
    if len(chosen) != 1:
        await ctx.reply(T.CHANGE_WHICH.format(title=(chosen or mine)[0].event.title))
        return None
    target = chosen[0]
    try:
        res = await ev.change_party(ctx.session, ctx.now, target.event.id, target.signup.id, n or 0,
                                    staff=ctx.sender.is_staff, settings=ctx.config.events)
    except EventError as exc:
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return None
    if res.already:
        await ctx.reply(T.party_unchanged(res.event, res.signup))
    else:
        await ctx.reply(T.party_changed(res.event, res.signup, res.places_left))
    await _tell_promoted(ctx, res.promoted, res.event)
    return None


# -------- 接龙 lists

def match_list(view: View) -> JielongList | str | None:
    if not looks_like_list(view.text):
        return None
    if view.text.count("\n") > MAX_LIST_LINES + _LIST_SLACK:
        return "too_long"     # said so, never silently dropped (and never one huge transaction)
    lst = parse_list(view.text)
    # Without "#接龙" and without numbered lines it is a sentence that happens to say 接龙.
    return lst if lst is not None and (lst.entries or view.text.startswith("#")) else None


@router.route(Stage.RESIDENT_COMMAND, match_list, long_text=True)
async def jielong_list(ctx: Context, lst: JielongList | str) -> None:
    if isinstance(lst, str):
        await ctx.reply(T.JIELONG_TOO_LONG.format(lines=MAX_LIST_LINES))
        return
    group = _scope_group(ctx)
    if is_group_buy(lst) and not (lst.title and await ev.find_events(ctx.session, ctx.now, lst.title, group=group)):
        return      # 大米团购 / 拼单: the neighbours' own list, not an event and not ours to answer
    event = await _list_event(ctx, lst.title)
    if event is None:
        await _unknown_list(ctx, lst)
        return
    entries = [ListEntry(e.name, e.party_size) for e in lst.entries]
    await ctx.ask(TAIL_KIND, {"event": event.id}, ttl=timedelta(minutes=5))
    if not entries:
        return     # the header alone; the lines follow in the next message
    await _import(ctx, event, entries, group)


async def _list_event(ctx: Context, title: str | None) -> Event | None:
    group = _scope_group(ctx)
    settings = ctx.config.events
    recent = await ev.recent_event_in_group(ctx.session, ctx.now, group, timedelta(hours=settings.plus_one_hours)) \
        if group else None
    if title:
        found = await ev.find_events(ctx.session, ctx.now, title, group=group)
        if not found:
            return None
        if recent is not None and any(e.id == recent.id for e in found):
            return recent
        return found[0]
    if recent is not None:
        return recent
    events = await ev.open_events(ctx.session, ctx.now, group=group) if group else []
    return events[0] if len(events) == 1 else None


async def _unknown_list(ctx: Context, lst: JielongList) -> None:
    if not lst.entries:
        return     # a header alone for no known event: nothing to ask yet
    if ctx.sender.is_staff:
        await ctx.ask(PENDING_KIND, {"title": lst.title or "",
                                           "entries": [[e.name, e.party_size] for e in lst.entries]},
                            ttl=timedelta(hours=24))
        await ctx.reply(T.jielong_unknown_staff(lst.title))
        return
    # Residents re-post the same list many times: say "not found" once per list and group for a while.
    key = "#jl:" + ev.person_key(lst.title or "")[:40]
    said = await conversation.awaiting(ctx.session, ctx.view.scope, key, ctx.now)
    if not ctx.view.addressed and any(q.kind == UNKNOWN_KIND for q in said):
        return
    await ctx.ask(UNKNOWN_KIND, {}, ttl=timedelta(hours=6), person_id=key)
    await ctx.reply(T.jielong_unknown_resident(lst.title))


async def _import(ctx: Context, event: Event, entries: list[ListEntry], group: str | None, *,
                  always_answer: bool = False) -> None:
    tz = ctx.config.timezone
    try:
        res = await ev.import_jielong(ctx.session, ctx.now, event.id, entries, poster_id=ctx.sender.id,
                                      poster_name=ctx.sender.name, group=group, staff=ctx.sender.is_staff,
                                      settings=ctx.config.events)
    except EventError as exc:
        await ctx.reply(T.refusal(exc.code, exc.info, tz))
        return
    added = [r.signup for r in res.added if r.signup.status != SignupStatus.WAITING]
    waiting = [(r.signup, r.position or 0) for r in res.added if r.signup.status == SignupStatus.WAITING]
    refused = [f"{T.clip(entry.name, 12)}: {T.refusal(exc.code, exc.info, tz)}" for entry, exc in res.refused]
    for r in res.changed:
        await ctx.reply(T.party_changed(r.event, r.signup, r.places_left))
    if added or waiting or refused:
        left = await ev.places_left(ctx.session, res.event)
        await ctx.reply(T.jielong_result(res.event, added, waiting, refused, left))
    elif (ctx.view.addressed or always_answer) and not res.changed:
        if res.poster_already is not None:
            pos = await ev.waiting_position(ctx.session, res.poster_already)
            await ctx.reply(T.already_in(res.event, res.poster_already, pos))
        else:
            await ctx.reply(T.jielong_nothing_new(res.event))
    for r in res.added + res.changed:
        await _tell_promoted(ctx, r.promoted, res.event)


def _match_continuation(view: View) -> list | None:
    if view.is_private or not view.text[:1].isdigit() or view.text.count("\n") > MAX_LIST_LINES + _LIST_SLACK:
        return None
    return parse_continuation(view.text)


@router.route(Stage.RESIDENT_COMMAND, _match_continuation, long_text=True)
async def jielong_tail(ctx: Context, entries: list) -> object:
    state = await ctx.pending(TAIL_KIND)
    if state is None:
        return PASS
    event = await ev.get_event(ctx.session, int(state.data["event"]))
    if event is None:
        return PASS
    await ctx.ask(TAIL_KIND, {"event": event.id}, ttl=timedelta(minutes=5))
    await _import(ctx, event, [ListEntry(e.name, e.party_size) for e in entries], _scope_group(ctx))
    return None


# -------- "接龙 王芳 2人": signing up someone by name (or "接龙 3 李华 1人", "接龙 1.张三 2.李四")

_BY_NAME_RE = re.compile(r"^接龙\s*[::]?\s*(?!了|吗|的|啊|呀|呢)([^\n]+)$")


async def _recent(ctx: Context) -> Event | None:
    group = _scope_group(ctx)
    if group is None:
        return None
    hours = ctx.config.events.plus_one_hours
    return await ev.recent_event_in_group(ctx.session, ctx.now, group, timedelta(hours=hours))


@router.route(Stage.RESIDENT_COMMAND, lambda v: _BY_NAME_RE.match(v.text))
async def sign_up_by_name(ctx: Context, m: re.Match[str]) -> None:
    group = _scope_group(ctx)
    rest = m.group(1).strip()
    event: Event | None = None
    code = ev.parse_code(rest)
    if code is not None:
        event = await ev.get_event(ctx.session, code)
        if event is None:
            await ctx.reply(T.refusal("not_found", {}, ctx.config.timezone))
            return
        rest = ev.CODE_RE.sub(" ", rest, count=1).strip()
    inline = parse_inline(rest)
    if inline is not None:
        # Numbered lines typed on one line: the same as a pasted list without its header.
        event = event or await _recent(ctx) or await _resolve_event(ctx, "", {"action": "signup", "source": "jielong"})
        if event is not None:
            await _import(ctx, event, [ListEntry(e.name, e.party_size) for e in inline], group, always_answer=True)
        return
    p = parse_party(rest, entry=True)
    tokens = [t for t in p.rest.split(" ") if t]
    if event is None and len(tokens) >= 2:
        found = await ev.find_events(ctx.session, ctx.now, tokens[0], group=group)
        if len(found) == 1 and ev.title_score(tokens[0], found[0].title) >= 80:
            event = found[0]
            tokens = tokens[1:]
    name = " ".join(tokens).strip()
    if not name:
        await ctx.reply(T.NAME_NEEDED)
        return
    event = event or await _recent(ctx)
    if event is None:
        event = await _resolve_event(ctx, "", {"action": "signup", "name": name, "party": 1 if p.size is None else p.size,
                                               "source": "name", "for_other": True})
        if event is None:
            return
    own = ev.person_key(name) == ev.person_key(ctx.sender.name)
    await _sign_up(ctx, event, name=name, contact_id=ctx.sender.id if own else None, party=1 if p.size is None else p.size,
                   source="name", for_other=not own, party_said=p.size is not None)


# -------- "+1" right after a notice

# Weak forms ("+1", "我也去", "参加") say nothing about which event and are common chatter, so what follows
# them must be only a party size or punctuation. Strong forms ("算我一个", "加我一个") are unmistakable.
_PLUS_ONE_RE = re.compile(r"^(?:(?P<weak>(?:[+＋]\s*1\s*)+|[+＋]\s*[2-9](?![\d.])\s*|加一|加1|我也(?:要)?(?:去|参加|来)|我参加|参加|我们参加)"
                          r"|(?P<strong>算我(?:们家|家|们)?(?:一个|一份|一家)?|算上我|加我一个|带我一个|带上我|"
                          r"我也(?:要)?报名|我要(?:参加|报名)|我报名|报名\s*[+＋]\s*1|我来一个|给我报一个))"
                          r"(?P<tail>.{0,16})$")
_TAIL_OK = re.compile(r"^(?:[\s,，。.!！~～、啦了哈呀吧哦噢嗯👍🙋✋🙏😊😄❤️\u200d\u2640\u2642\ufe0f]|谢谢|多谢|我们?|俺|咱)*$")


def match_plus_one(view: View) -> int | None:
    m = _PLUS_ONE_RE.match(view.text)
    if m is None:
        return None
    tail = m.group("tail")
    weak = m.group("weak")
    extra = 0
    if weak and weak.count("1") > 1 and weak.replace(" ", "").replace("＋", "+").strip("+1") == "":
        extra = weak.count("1")          # "+1+1": me and one more
    if weak and (many := re.fullmatch(r"[+＋]\s*([2-9])\s*", weak)):
        extra = int(many.group(1))       # "+2": two people
    if not tail:
        return extra
    p = parse_party(tail)
    if weak and not _TAIL_OK.match(p.rest):
        return None      # "+1天", "我也去看看", "参加工作了": not a signup
    if not weak and event_words(p.rest) and not _TAIL_OK.match(p.rest):
        return None      # "我报名包汤圆": the event is named; the plain-words route finds it
    return p.size or extra


# A question asked in a group after the latest notice: a "+1" that follows agrees with it ("明天停水吗?" "+1").
ASKED_KIND = "events_group_question"
SIGNED_KIND = "events_group_signup"   # the group's talk is someone signing up for one event
SIGNED_FOLLOW = timedelta(minutes=15)  # how long a "+1" may follow someone's signup rather than the notice
_ASKED_KEY = "#asked"
_QUESTION_RE = re.compile(r"(?:[?？]|吗|么|呢|没有|请问|有没有|是不是|能不能|可不可以|怎么|什么|几点|哪里|哪儿|谁)\s*[~～。!！]*$|^请问")


def match_question(view: View) -> bool | None:
    if view.addressed or view.grid is None or "\n" in view.text or len(view.text) < 3:
        return None
    return True if _QUESTION_RE.search(view.text) and not _PLUS_ONE_RE.match(view.text) else None


@router.route(Stage.PASSIVE, match_question)
async def remember_question(ctx: Context, _m: object) -> object:
    """Says nothing: notes that the group's talk moved on from the latest notice to a question."""
    if await _recent(ctx) is None:
        return PASS
    await ctx.ask(ASKED_KIND, {"by": ctx.sender.id}, ttl=timedelta(hours=ctx.config.events.plus_one_hours),
                  person_id=_ASKED_KEY)
    return None


async def _after_question(ctx: Context, event: Event) -> bool:
    """True when someone else asked something in the group after this event was last posted there."""
    asked = [q for q in await conversation.awaiting(ctx.session, ctx.view.scope, _ASKED_KEY, ctx.now)
             if q.kind == ASKED_KIND and q.data.get("by") != ctx.sender.id]
    if not asked:
        return False
    posted = await ctx.session.scalar(select(ev.EventGroup.last_post_at).where(
        ev.EventGroup.event_id == event.id, ev.EventGroup.topic == _scope_group(ctx)))
    return posted is None or asked[0].asked_at >= posted


async def _just_signed_up_for(ctx: Context, latest: Event | None) -> Event | None:
    """The event someone else signed up for in this group since `latest` was posted ("+1" follows them)."""
    group = _scope_group(ctx)
    if group is None:
        return None
    talk = await conversation.awaiting(ctx.session, ctx.view.scope, _ASKED_KEY, ctx.now)
    # The newest of the group's talk markers: a signup by someone else, not a question asked since.
    talk = tuple(q for q in talk if q.kind in (SIGNED_KIND, ASKED_KIND))
    if not talk or talk[0].kind != SIGNED_KIND or talk[0].data.get("by") == ctx.sender.id:
        return None
    event = await ev.get_event(ctx.session, int(talk[0].data["event"]))
    if event is None or event.status != ev.EventStatus.OPEN or event.starts_at <= ctx.now:
        return None
    signup = await ctx.session.get(Signup, int(talk[0].data.get("signup") or 0))
    if signup is None or not signup.holds_places:
        return None     # they dropped out since: nothing to follow
    if latest is not None and latest.id != event.id:
        posted = await ctx.session.scalar(select(ev.EventGroup.last_post_at).where(
            ev.EventGroup.event_id == latest.id, ev.EventGroup.topic == group))
        if posted is not None and posted > talk[0].asked_at:
            return None     # a newer notice came after that signup
    return event


@router.route(Stage.RESIDENT_COMMAND, match_plus_one)
async def plus_one(ctx: Context, party: int) -> object:
    event = await _recent(ctx)
    event = await _just_signed_up_for(ctx, event) or event
    if event is not None and not ctx.view.addressed and await _after_question(ctx, event):
        return PASS             # "+1" to a neighbour's question, not a signup
    if event is None:
        if not ctx.view.addressed:
            return PASS         # "+1" to someone's complaint: not ours, and nothing to say
        await _offer_events(ctx, T.NO_RECENT_EVENT)
        return None
    await _sign_up(ctx, event, name=ctx.sender.name, contact_id=ctx.sender.id, party=party or 1, source="plus_one",
                   party_said=party > 0)
    return None


# -------- "报名 花灯 2人"

async def _sign_up_words(ctx: Context, text: str, source: str) -> None:
    p = parse_party(text)
    words = event_words(p.rest)
    party = p.size if p.size is not None else 1
    pick = {"action": "signup", "party": party, "source": source, "party_said": p.size is not None}
    event = await _resolve_event(ctx, words, pick)
    if event is not None:
        await _sign_up(ctx, event, name=ctx.sender.name, contact_id=ctx.sender.id, party=party, source=source,
                       party_said=p.size is not None)


@router.route(Stage.RESIDENT_COMMAND, match_signup)
async def sign_up(ctx: Context, rest: str) -> None:
    plus = re.match(r"^[+＋]\s*1\s*[,，]?\s*(.*)$", rest)
    if plus:
        # "报名+1 李阿姨": +1 for the event just announced, under the name they give.
        words = plus.group(1).strip()
        found = await ev.find_events(ctx.session, ctx.now, event_words(words), group=_scope_group(ctx),
                                     load=_open_events(ctx)) if event_words(words) else []
        if len(found) != 1:
            event = await _recent(ctx)
            if event is not None:
                p = parse_party(words)
                name = event_words(p.rest) or ctx.sender.name
                await _sign_up(ctx, event, name=name, contact_id=ctx.sender.id, party=1 if p.size is None else p.size,
                               source="plus_one", party_said=p.size is not None)
                return
        rest = words
    await _sign_up_words(ctx, rest, "command")


# -------- plain words: "中秋做花灯我报名,两个大人一个小孩", "读书会我参加", "健康讲座还能报吗?想带我爸去"

_PLAIN_RE = re.compile(r"报名|报个名|参加|算我|我要去|我也去|想去|我去|带上我|报一个|我来一个|都去|一起去|加入|想带|我带"
                       r"|我和|我跟|我们?[两俩三四五]个|[两俩三四五六]个人|[2-6]个?人|老两口|一家[三四五]口")
# Without an @, only these (and an open event named in the words) make it a signup.
_HINT_RE = re.compile(r"报名|报个名|报[^,，。!！?？\s]{0,4}一个|算我|算上我|带上我|我参加|们参加|家参加|我要参加|我也参加|"
                      r"我去报|我也去|我也想去|我来一个|给我报|帮我报|我要报|我报|都去|一起参加|我们家参加|人参加|想带[^,，。]{1,4}去|"
                      r"也想去|也要去|都参加|算[0-9一二三四五六七八九两]个人|一家[0-9一二三四五六七八九两]口|"
                      r"(?:我和|我跟)[^,，。\s]{1,4}\s*(?:两|俩|三|四|[2-4])个?人|(?:帮|给|替|代)(?!我|物业|社区|网格|居委)[^\s,，。报]{1,6}"
                      r"报(?:个名|名|一个|上)(?!了|过)")
_NOT_SIGNUP_RE = re.compile(r"参加了|报了名|报过|去过|去了|参加过|不去|不参加|没报|不报|取消|截止|怎么报|如何报|哪里报|哪报|"
                            r"在哪|报名了吗|多少钱|收费吗")
_QUESTION_RE = re.compile(r"吗|[?？]|能不能|可以吗")
_REQUEST_RE = re.compile(r"给我报|帮我报|报[^,，。!！?？\s]{0,4}一个|算我|算上我|带上我|我报名|我要报|我们报名|我也报名|报个名")


def match_plain(view: View) -> str | None:
    t = view.text
    if "\n" in t or len(t) > 60 or asks_about_event(t):
        return None
    if view.addressed:
        return t if _PLAIN_RE.search(t) else None
    return t if _HINT_RE.search(t) and not _NOT_SIGNUP_RE.search(t) else None


# What is left of "我和老伴两个人报名", "我家孙子也想去,算3个人" once the people and the verbs are gone: nothing
# names an event, so it is the one just posted in the group (as "+1" is).
_NO_EVENT_NAMED = re.compile(r"我们?|俺|咱们?|一家|全家|家里?|孩子|小孩|孙子|孙女|外孙女?|老伴|爱人|老公|老婆|媳妇|儿子|女儿|"
                             r"闺女|宝宝|爸爸?|妈妈?|朋友|邻居|都|也|还|想|要|去|来|参加|报名|报|算上?|带上?|和|跟|一起|"
                             r"个|人|口|[\s,，。.!！~～、]")


# "帮邻居报一个 3栋的刘大爷 包汤圆", "替我妈报个名 剪纸": someone else's signup, under the name given.
_FOR_OTHER_RE = re.compile(r"(?:帮|给|替|代)(?!我[们报\s]|我$|物业|社区|网格|居委|派出所|12345)(?P<who>[^\s,，。报]{1,6})"
                           r"报(?:个名|名|一个|上)(?!了|过)")
_WHO_FILLER = re.compile(r"^(?:[\d一二三四五六七八九十]+(?:栋|幢|号楼|单元)|的|[\s,，、])+")


async def _sign_up_other(ctx: Context, text: str, m: re.Match[str]) -> bool:
    rest = (text[:m.start()] + " " + text[m.end():]).strip()
    p = parse_party(rest)
    tokens = [t for t in re.split(r"[\s,，。、]+", p.rest) if t]
    load = _open_events(ctx)
    events = await load(_scope_group(ctx)) or await load(None)
    best: tuple[float, int, Event] | None = None
    for i, tok in enumerate(tokens):
        for e in events:
            score = ev.title_score(event_words(tok) or tok, e.title)
            if score >= ev.MATCH_THRESHOLD and (best is None or score > best[0]):
                best = (score, i, e)
    event = best[2] if best else await _recent(ctx)
    if event is None:
        return False
    names = [t for i, t in enumerate(tokens) if best is None or i != best[1]]
    name = _WHO_FILLER.sub("", " ".join(names)).strip() or m.group("who")
    await _sign_up(ctx, event, name=name, contact_id=None, party=p.size or 1, source="name", for_other=True,
                   party_said=p.size is not None)
    return True


@router.route(Stage.RESIDENT_COMMAND, match_plain)
async def sign_up_plain(ctx: Context, text: str) -> object:
    other = _FOR_OTHER_RE.search(text)
    if other is not None and await _sign_up_other(ctx, text, other):
        return None
    p = parse_party(text)
    words = event_words(p.rest)
    found = await ev.find_events(ctx.session, ctx.now, words, group=_scope_group(ctx),
                                 load=_open_events(ctx)) if words else []
    if not found and not _QUESTION_RE.search(text) and not _NO_EVENT_NAMED.sub("", words):
        event = await _recent(ctx)
        if event is not None and (ctx.view.addressed or not await _after_question(ctx, event)
                                  or await _signed_up(ctx, event)):
            await _sign_up(ctx, event, name=ctx.sender.name, contact_id=ctx.sender.id, party=p.size or 1,
                           source="command", party_said=p.size is not None)
            return None
    if not found:
        if ctx.view.addressed and "报名" in text:
            await _sign_up_words(ctx, text, "command")   # finds a near title to offer, or lists the events
            return None
        return PASS    # "我参加不了明天的会", "周末我们都去公园": something else
    if len(found) == 1 and _QUESTION_RE.search(text) and not _REQUEST_RE.search(text):
        # "健康讲座还能报吗?想带我爸去": answer the question; signing up is one short message away.
        event = found[0]
        left = await ev.places_left(ctx.session, event)
        await ctx.reply(T.availability(event, ctx.config.timezone, left, p.size))
        return None
    await _sign_up_words(ctx, text, "command")
    return None


# -------- a reply to "您要报名哪一个?"

_PICK_RE = re.compile(r"^\s*([1-9])\s*[.、。]?\s*$")


@router.answer(PICK_KIND, match=lambda v: _PICK_RE.match(v.text), label=T.QUESTION_PICK)
async def pick(ctx: Context, m: re.Match[str]) -> object:
    state = ctx.question
    assert state is not None
    ids = state.data.get("ids", [])
    i = int(m.group(1)) - 1
    if i >= len(ids):
        return PASS
    await ctx.answered()
    event = await ev.get_event(ctx.session, ids[i])
    if event is None:
        await ctx.reply(T.PICK_EXPIRED)
        return None
    if state.data.get("action") == "cancel":
        mine = [x for x in await _my_active(ctx) if x.event.id == event.id]
        if not mine:
            await ctx.reply(T.NOT_SIGNED_UP.format(label=T.event_label(event)))
            return None
        own = [x for x in mine if x.signup.contact_id == ctx.sender.id]
        await _cancel_one(ctx, (own or mine)[0])
        return None
    name = state.data.get("name") or ctx.sender.name
    for_other = bool(state.data.get("for_other"))
    await _sign_up(ctx, event, name=name, contact_id=None if for_other else ctx.sender.id,
                   party=int(state.data.get("party") or 1), source=state.data.get("source") or "command",
                   for_other=for_other, party_said=bool(state.data.get("party_said")))
    return None


# -------- a question about an open event, named ("汤圆活动要交钱吗", "太极拳还有名额没", "健康讲座在哪里开")

# Only what the notice says: the fee, the place, the time, the places left ("要自己带面粉吗" is for the neighbours).
_ABOUT_RE = re.compile(r"在哪|哪里|哪儿|几点|什么时候|啥时候|多少钱|收费|要钱|交钱|费用|还有名额|名额还有|有名额|名额满|满了吗|"
                       r"满没满|还能报")
_ABOUT_FILLER = re.compile(r"请问|问一下|有人知道|知道|要交钱|交钱|要钱|多少钱|收费|费用|还有名额|名额|满了|还能报|怎么报|在哪里?|"
                           r"哪里|哪儿|几点|什么时候|啥时候|开始|举办|开|是|能带|小孩|孩子|吗|么|呢|没有?|啊|呀|[?？,，。!！\s]+")


def match_event_question(view: View) -> str | None:
    t = view.text
    if "\n" in t or len(t) > 30 or view.grid is None and not view.addressed or not _ABOUT_RE.search(t):
        return None
    if re.search(r"结束|散场|谁|还办|照常|(?:几点|什么时候|啥时候)能?完", t):
        return None     # event_status answers these
    words = event_words(_ABOUT_FILLER.sub(" ", t))
    return words if len(words.replace(" ", "")) >= 2 else None


@router.route(Stage.RESIDENT_COMMAND, match_event_question)
async def event_question(ctx: Context, words: str) -> object:
    """Answer with the event's time, place, fee and places left; silence unless one open event is named."""
    load = _open_events(ctx)
    events = await load(_scope_group(ctx)) or await load(None)
    scored = sorted(((max(ev.title_score(w, e.title) for w in words.split()), e) for e in events),
                    key=lambda x: -x[0])
    if not scored or scored[0][0] < 80 or len(scored) > 1 and scored[1][0] >= 80:
        return PASS
    event = scored[0][1]
    left = await ev.places_left(ctx.session, event)
    await ctx.reply(T.about(event, ctx.config.timezone, left))
    if _scope_group(ctx) is not None and not ctx.view.addressed:
        await ctx.ask(ASKED_KIND, {"by": ctx.sender.id}, ttl=timedelta(hours=ctx.config.events.plus_one_hours),
                      person_id=_ASKED_KEY)
    return None


# -------- who signed up, how many, is it still on, when it ends ("周六义诊都有谁报名了", "义诊几点结束")

_STATUS_FILLER = re.compile(r"请问|问一下|都有谁|有谁|还有谁|都谁|谁去|谁参加|谁报|哪些人|多少个?人|几个人|几位|人数|报名的人|报了几个?|报名|报|"
                            r"还办|还搞|还举办|还开|照常|取消|延期|改期|几点|什么时候|啥时候|结束|散场|在哪里?|哪里|地址|"
                            r"怎么去|举办|了|吗|么|呢|没有?|啊|呀|不|的|是|都|[?？,，。!！\s]+")


def match_event_status(view: View) -> str | None:
    t = view.text
    if "\n" in t or len(t) > 30 or view.grid is None and not view.addressed:
        return None
    m = _STATUS_Q_RE.search(t)
    if m is None or m.group("place"):
        return None     # "在哪": event_question answers from the notice (and leaves "面粉在哪里买" alone)
    return event_words(_STATUS_FILLER.sub(" ", t))


@router.route(Stage.RESIDENT_COMMAND, match_event_status)
async def event_status(ctx: Context, words: str) -> object:
    """Answers from the notice and a count — never a roster: other residents' names stay out of the group."""
    load = _open_events(ctx)
    events = await load(_scope_group(ctx)) or await load(None)
    event: Event | None = None
    if words.replace(" ", ""):
        scored = sorted(((max(ev.title_score(w, e.title) for w in words.split()), e) for e in events),
                        key=lambda x: -x[0])
        if scored and scored[0][0] >= 80 and not (len(scored) > 1 and scored[1][0] >= 80):
            event = scored[0][1]
    elif ctx.view.addressed:
        event = await _recent(ctx)
    if event is None:
        return PASS
    tz = ctx.config.timezone
    left = await ev.places_left(ctx.session, event)
    text = ctx.text
    if _ROSTER_Q_RE.search(text):
        await ctx.reply(T.signed_count(event, tz, await ev.taken_places(ctx.session, event.id), left))
    elif re.search(r"结束|散场|完", text):
        await ctx.reply(T.ends(event, tz, left))
    elif re.search(r"还办|还搞|还举办|还开|照常|取消|延期|改期", text):
        await ctx.reply(T.still_on(event, tz, left))
    else:
        await ctx.reply(T.about(event, tz, left))
    return None
