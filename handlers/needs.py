"""Needs (诉求) in chat: intake (@小助手 / 报修 / 求助 … / 私聊 / 树洞), passive discovery (未诉先办),
the worker and department commands, 查, 待办, 统计 and ratings (回访).

The domain rules live in models/needs.py; this module parses and words the chat replies; what everyone
else is told about a change (the holder, the resident, the staff group) is notices/needs.py, shared with
the scheduler and the web inbox."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kernel.config import Config
from kernel.identity import DEPARTMENT_STAFF, STAFF, Person, Role
from kernel.text import speech_acts
from kernel.text.classify import Understanding, classify
from kernel.text.danger import danger_words
from kernel.text.mentions import complains_about_worker, grid_mention
from kernel.text.numbers import cn_to_int
from texts import needs as T
from texts import photos as TP
from texts import speech as TS
from handlers.base import PASS, Context, Router, Stage, View, command_matcher
from models import access
from models import inbox as views
from models import needs as N
from models import duty as D
from models import photos as P
from models.conversation import PRIVATE_SCOPE
from models.outbox import Priority
from notices.photos import send_resolution_photo
from notices.needs import (RATE_QUESTION, ack_text, announce_change, announce_intake, common, error_text, fmt_minutes,
                           fmt_time, short)

router = Router("needs")

STAFF_OR_DEPT = STAFF | DEPARTMENT_STAFF


REPLY_LIMIT = 560          # a chat reply stays readable on a phone screen


def fit(text: str, limit: int = REPLY_LIMIT) -> str:
    """Cut an over-long reply at a line break (a 待办 list of 50, a 1,000-character need text)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return (text[:cut] if cut > limit // 2 else text[:limit - 2]) + "\n…"


async def say(ctx: Context, text: str, priority: Priority = Priority.REPLY) -> None:
    """Reply in the chat the message came from; phone numbers masked in groups; never a wall of text."""
    await ctx.reply(fit(text if ctx.msg.is_private else N.mask_phones(text, ctx.out.public)), priority=priority)


# ---------------------------------------------------------------- intake routes

_STRONG_WORDS = ("#诉求", "#求助", "#报修", "求助", "报修", "投诉")
_WEAK_WORDS = ("反映", "建议")
_INTAKE_RE = re.compile(r"^(%s)[\s::,,。!!]*(.*)$" % "|".join(map(re.escape, _STRONG_WORDS + _WEAK_WORDS)), re.S)


@dataclass(frozen=True)
class IntakeArgs:
    text: str
    u: Understanding


def _obvious_word(view: View) -> IntakeArgs | None:
    """报修/求助/投诉/#诉求 … at the start: a need (in a group without @ too). 反映/建议 only when the
    rest reads as a demand ("建议大家早点休息" is chatter)."""
    m = _INTAKE_RE.match(view.text)
    if m is None or speech_acts.is_progress_question(view.text):
        return None          # "报修的有人管吗" asks about an earlier request (handlers/speech.py)
    word, rest = m.group(1), m.group(2).strip()
    if not rest:
        return IntakeArgs("", view.understanding) if (view.addressed and word in _STRONG_WORDS) else None
    u = classify(rest)
    if u.intent != "demand":
        if word in _WEAK_WORDS:
            return None
        category = "repair" if word.endswith("报修") else None
        u = Understanding("demand", u.category or category or view.understanding.category or "other", u.urgent,
                          u.building)
    return IntakeArgs(rest, u)


def _is_rating_words(text: str) -> bool:
    """"基本满意,就是来得有点慢" is feedback, never a new need (when nothing waits for a rating)."""
    m = _RATING_RE.match(text)
    return m is not None and m.group("word") is not None


def _addressed_demand(view: View) -> IntakeArgs | None:
    if len(view.text) < 3 or _is_rating_words(view.text):
        return None
    u = view.understanding
    return IntakeArgs(view.text, u) if u.intent == "demand" else None


def _passive(view: View) -> IntakeArgs | None:
    """未诉先办: group talk not addressed to the bot. Off ⇒ nothing is even classified."""
    g = view.grid
    if g is None or not g.passive_discovery or view.is_private or view.sender.role != Role.RESIDENT:
        return None
    if len(view.text) < 5 or _is_rating_words(view.text):
        return None
    u = view.understanding
    if u.intent != "demand" or speech_acts.is_progress_question(view.text) or \
            view.kb.answer(view.text) is not None:
        return None          # "报修的有人管吗", "医保怎么交": questions, not problems to pick up
    return IntakeArgs(view.text, u)


async def _intake(ctx: Context, args: IntakeArgs, source: N.Source) -> None:
    if not args.text:
        await say(ctx, T.INTAKE_TOO_SHORT)
        return
    u = args.u
    private = ctx.msg.is_private
    chat_grid = ctx.grid.number if ctx.grid else None
    named = grid_mention(args.text)
    if named is not None and ctx.config.grid_of_building(u.building) is None:
        # "三网格的路灯坏了": the grid the resident names, however it is written. One that is not
        # configured is asked about, not guessed (an emergency is never held up by a question).
        if ctx.config.grid_by_number(named) is not None:
            chat_grid = named
        elif not u.urgent:
            grids = "、".join(f"网格{g.number}" for g in ctx.config.grids)
            await say(ctx, T.WHICH_GRID.format(grid=named, grids=grids or "—"))
            return
    # Staff reporting a problem ("帮我登记一下 5栋李大爷家水管爆了") file it for someone else: the need
    # names who took it and has no requester, so no resident's rating is asked of the worker.
    taken = ctx.sender.role != Role.RESIDENT and source != N.Source.TREE_HOLE
    # the whole message: "投诉网格员 …" names the worker before the text that is filed
    about_worker = complains_about_worker(args.text) or complains_about_worker(ctx.text)
    intake = await N.create_need(
        ctx.session, ctx.now, ctx.config, text=args.text, category=u.category, urgent=u.urgent,
        building=u.building, source=source,
        requester=None if source == N.Source.TREE_HOLE or taken else ctx.sender.id,
        requester_name=None if source == N.Source.TREE_HOLE else
        T.TAKEN_BY_STAFF.format(name=ctx.sender.name) if taken else ctx.sender.name,
        chat=None if private else ctx.msg.group_topic, chat_grid=chat_grid,
        about_worker=about_worker, taken_by=ctx.sender if taken else None)
    # An urgent need's acknowledgement goes with its alert, ahead of every ordinary reply (and past the
    # reply budget): the resident must know at once that someone was told.
    need = intake.need
    # Filed privately with nowhere to place it: it went to the admin; one question finds the grid's worker.
    where = (private and intake.parent is None and not need.tree_hole and need.building is None
             and need.grid is None and not about_worker)
    ack = ack_text(ctx.config, intake, ctx.now)
    if taken and intake.parent is None:
        ack = T.ACK_TAKEN.format(code=need.code, category=need.category_name,
                                 worker=need.assignee_name or "社区工作人员")
    await say(ctx, ack + (T.ASK_BUILDING if where else ""), Priority.URGENT if need.urgent else Priority.REPLY)
    await announce_intake(ctx.out, ctx.config, intake)
    await _photos_for_new_need(ctx, need)
    if where:
        # a resident may answer hours later ("7栋2单元" after lunch): the question stays open a day
        await ctx.ask(NEED_BUILDING, {"code": need.code}, ttl=timedelta(hours=24))


NEED_BUILDING = "need.building"       # {code}: a private need filed without a building; "3栋" places it
_BUILDING_ANSWER = re.compile(r"^[^\n]{0,8}[0-9一二三四五六七八九十百]+\s*(?:栋|幢|号楼|座)[^\n]{0,12}$")


@router.answer(NEED_BUILDING, match=lambda v: _BUILDING_ANSWER.match(v.text), label=T.QUESTION_BUILDING)
async def need_building(ctx: Context, _m: object) -> object:
    building = ctx.view.understanding.building
    if building is None or ctx.question is None:
        return PASS
    await ctx.answered(NEED_BUILDING)
    try:
        located = await N.locate(ctx.session, ctx.now, ctx.config, str(ctx.question.data["code"]), building,
                                 ctx.sender)
    except N.NeedError:
        return PASS
    need = located.need
    if located.previous_assignee is None:
        await say(ctx, T.LOCATED.format(building=building, code=need.code))
        return None
    await say(ctx, T.LOCATED_MOVED.format(building=building, code=need.code, worker=need.assignee_name or "网格员"))
    await announce_intake(ctx.out, ctx.config, N.Intake(need))
    await ctx.out.private(located.previous_assignee, T.LOCATED_NOTE.format(
        code=need.code, building=building, worker=need.assignee_name or "网格员"))
    return None


# ---------------------------------------------------------------- the resident's own follow-ups

_BLD = r"([0-9一二两三四五六七八九十百]{1,4})\s*(?:栋|幢|号楼|座|号)"
# "不是3栋 是5栋", "是5栋不是3栋", "写错了 是5栋", "搞错了应该是5号楼"
_CORRECTION_RE = re.compile(
    rf"(?:不是|不在)\s*{_BLD}[\s,,。!!、;;]*(?:而?是|在|应该是)\s*{_BLD}"
    rf"|(?:是|在)\s*{_BLD}[\s,,。!!、;;]*(?:不是|不在)\s*{_BLD}"
    rf"|(?:写|打|说|搞|弄|发)错了?[\s,,。!!、;;]*(?:应该|其实)?(?:是|在)\s*{_BLD}")
# "算了 不用了 自己修好了", "不用来修了", "已经弄好了 不用管了", "撤回": the resident's need is gone.
_WITHDRAW_STRONG = re.compile(
    r"自己(?:已经)?(?:修|弄|搞|处理|解决|整)好了|自己(?:修|弄|搞|处理|解决)了|不用(?:来|上门)?(?:修|来|管|处理|上门|跑)了"
    r"|不需要(?:修|来|处理)?了|(?:问题|事情?)(?:已经)?解决了|不报了|不修了|不用麻烦(?:你们|了)")
_WITHDRAW_GROUP = re.compile(r"自己(?:已经)?(?:修|弄|搞|处理|解决|整)好了|不用(?:来|上门)?修了|不修了|不报了"
                            r"|(?:问题|事情?)(?:已经)?解决了|(?:已经|都)(?:挪走|修好|弄好|清走|搬走)了.{0,6}不用")
# "撤回" alone in a group is about a chat message ("我撤回了"): only said to the bot, or with a code.
_WITHDRAW_ADDRESSED = re.compile(r"撤回|撤销")
_WITHDRAW_WEAK = re.compile(r"已经(?:修|弄|搞)?好了|好了好了|没事了|算了")
_WITHDRAW_CMD = re.compile(r"^(?:撤回|撤销)[\s::,,]*(.*)$")


def _correction_matcher(view: View) -> tuple[int | None, int] | None:
    if view.sender.role != Role.RESIDENT or view.msg.media or len(view.text) > 40:
        return None
    m = _CORRECTION_RE.search(view.text)
    if m is None:
        return None
    g = m.groups()
    try:
        if g[0] is not None:
            return cn_to_int(g[0]), cn_to_int(g[1])
        if g[2] is not None:
            return cn_to_int(g[3]), cn_to_int(g[2])
        return None, cn_to_int(g[4])
    except ValueError:
        return None


async def _my_open(ctx: Context, *, merged: bool = False, days: int = 30) -> list[N.Need]:
    """The sender's own open needs raised in this chat (in a group: that group's only), newest first."""
    rows = await N.requester_needs(ctx.session, ctx.sender.id, ctx.now - timedelta(days=days))
    ok = (*N.OPEN_STATUSES, N.Status.MERGED) if merged else N.OPEN_STATUSES
    rows = [n for n in rows if n.status in ok and n.created_at >= ctx.now - timedelta(days=days)]
    return rows if ctx.msg.is_private else [n for n in rows if n.chat == ctx.msg.group_topic]


async def _tell_holder(ctx: Context, need: N.Need, text: str) -> None:
    who = need.assignee
    if need.department:
        dept = ctx.config.department(need.department)
        who = dept.contact_id if dept else who
    if who and who != ctx.sender.id:
        await ctx.out.private(who, text)


@router.route(Stage.RESIDENT_COMMAND, _correction_matcher)
async def correct_building(ctx: Context, args: tuple[int | None, int]) -> Any:
    old, new = args
    rows = await _my_open(ctx, days=3)
    if not ctx.view.addressed:      # said in the group without @: only right after one's own need
        rows = [n for n in rows if n.created_at >= ctx.now - timedelta(hours=2)]
    if not rows:
        return PASS
    need = next((n for n in rows if old is not None and n.building == old), rows[0])
    if need.building == new:
        await say(ctx, T.RELOCATED.format(building=new, code=need.code))
        return None
    await ctx.answered(NEED_BUILDING)
    located = await N.relocate(ctx.session, ctx.now, ctx.config, need.code, new, ctx.sender)
    need = located.need
    worker = need.assignee_name or "网格员"
    if located.previous_assignee is not None:
        await say(ctx, T.RELOCATED_MOVED.format(building=new, code=need.code, worker=worker))
        await announce_intake(ctx.out, ctx.config, N.Intake(need))
        await ctx.out.private(located.previous_assignee, T.RELOCATED_NOTE_MOVED.format(
            code=need.code, building=new, worker=worker))
    else:
        await say(ctx, T.RELOCATED.format(building=new, code=need.code))
        await _tell_holder(ctx, need, T.RELOCATED_NOTE.format(code=need.code, building=new))
    return None


def _withdraw_matcher(view: View) -> str | None:
    if view.sender.role != Role.RESIDENT or view.msg.media or len(view.text) > 40:
        return None
    if re.search(r"[??]|吗|没有?[??!!。~]*$|呢", view.text):
        return None          # "问题解决了吗", "修好了没": asking, not withdrawing
    if (m := _WITHDRAW_CMD.match(view.text)) is not None:
        return view.text if (view.addressed or N.normalize_code(m.group(1))) else None
    if not view.addressed:
        # to the neighbours ("我帮你叫物业吧" — "不用麻烦了"): only words about the problem being fixed
        return view.text if _WITHDRAW_GROUP.search(view.text) else None
    if _WITHDRAW_STRONG.search(view.text) or (view.addressed and _WITHDRAW_ADDRESSED.search(view.text)) or (
            view.addressed and _WITHDRAW_WEAK.search(view.text) and re.search(r"不用|不要|不需要|撤", view.text)):
        return view.text
    return None


@router.route(Stage.RESIDENT_COMMAND, _withdraw_matcher)
async def withdraw_need(ctx: Context, words: str) -> Any:
    if await ctx.pending(RATE_QUESTION) is not None:
        return PASS              # "已经好了" after 办结 is the answer to the rating question
    code = N.normalize_code(words)
    rows = await _my_open(ctx, merged=True)
    if code is not None:
        rows = [n for n in rows if n.code == code or n.merged_into == code]
    if not rows:
        if ctx.view.addressed and (code or _WITHDRAW_CMD.match(words)):
            await say(ctx, T.WITHDRAW_NONE)
            return None
        return PASS
    if len(rows) > 1:
        scored = sorted(((overlap(words, n.text) * 10 + _shared_chars(words, n.text), n) for n in rows),
                        key=lambda sn: -sn[0])
        if scored[0][0] > 0 and scored[0][0] > scored[1][0]:
            rows = [scored[0][1]]
        elif not ctx.view.addressed:
            return PASS
        else:
            items = "".join("\n" + T.BARE_ITEM.format(code=n.merged_into or n.code, text=short(n.text, 20)).rstrip()
                            for n in rows[:5])
            await say(ctx, T.WITHDRAW_WHICH.format(n=len(rows), items=items))
            return None
    need = rows[0]
    await ctx.answered(NEED_BUILDING)
    change = await N.withdraw(ctx.session, ctx.now, ctx.config, need.code, ctx.sender, words)
    shown = need.merged_into or need.code
    if change.extra.get("kept"):
        await say(ctx, T.WITHDRAWN_KEPT.format(worker=need.assignee_name or "网格员", n=len(change.followers),
                                               code=shown))
        await _tell_holder(ctx, need, T.WITHDRAWN_NOTE_KEPT.format(code=need.code, words=short(words, 40),
                                                                   n=len(change.followers)))
        return None
    await say(ctx, T.WITHDRAWN.format(code=shown, text=short(need.text.split("\n")[0], 16),
                                      worker=need.assignee_name or "网格员", bot=ctx.config.bot_name))
    if need.merged_into is None:
        await _tell_holder(ctx, need, T.WITHDRAWN_NOTE.format(code=need.code, words=short(words, 40)))
    return None


_HAN = re.compile(r"[\u4e00-\u9fff]{2,}")


def overlap(question: str, text: str) -> int:
    """Two-character pieces a message shares with a need's text: "下水道弄好没" finds the drain."""
    grams = {run[i:i + 2] for run in _HAN.findall(question) for i in range(len(run) - 1)}
    return sum(1 for g in grams if g in text)


_COMMAND_START = re.compile(r"^(?:查|进度|预约|报名|取消|签到|改到|我的|帮助|菜单|树洞|撤回|撤销|问卷|投票|接龙|#)")
_ASKS = re.compile(r"[??]|吗|呢|几点|多少|怎么|咋|什么|啥|哪|能不能|可不可以|有没有")
_ANOTHER = re.compile(r"^(?:还有|另外|另一个|对了|顺便)")
_COMMON_CHARS = set("的了不用修好那个这已经是我你们就还没有来管要自己算吗呢啊吧也都说过事情问题一下")


def _shared_chars(words: str, text: str) -> int:
    """Content characters a short message shares with a need ("灯的那个不用修了" → 楼道灯不亮)."""
    return len({c for c in words if "\u4e00" <= c <= "\u9fff" and c not in _COMMON_CHARS and c in text})


def _still_wrong(view: View) -> IntakeArgs | None:
    """"谢谢你们 辛苦了 但是水管还是在滴": thanks first, then what is still wrong — a need, never "不客气"
    (kernel/text/speech_acts.still_wrong)."""
    if not view.addressed or view.sender.role != Role.RESIDENT or view.msg.media:
        return None
    rest = speech_acts.still_wrong(view.text)
    if rest is None:
        return None
    u = classify(rest)
    return IntakeArgs(view.text, Understanding("demand", u.category or "other", u.urgent, u.building))


@router.route(Stage.INTENT, _still_wrong)
async def still_wrong(ctx: Context, args: IntakeArgs) -> None:
    """Filed as a need; the building and category of her latest need when the words do not say (the
    thing "还是在滴" is the pipe she reported)."""
    u = args.u
    rows = await N.requester_needs(ctx.session, ctx.sender.id, ctx.now - timedelta(days=14))
    last = next((n for n in rows if overlap(args.text, n.text) or _shared_chars(args.text, n.text) >= 1), None)
    if last is not None:
        u = Understanding("demand", u.category if u.category != "other" else last.category, u.urgent,
                          u.building or last.building)
        args = IntakeArgs(f"{args.text}(此前诉求 {last.code})", u)
    await _intake(ctx, args, N.Source.PRIVATE if ctx.msg.is_private else N.Source.GROUP)


_LOCATION_CUE = re.compile(r"单元|门口|楼下|楼上|楼道|栋|幢|号楼|层|旁边|对面|附近|那里|那儿|这里|位置|地下|车库|电梯|路口")


def _detail_matcher(view: View) -> str | None:
    """Words right after one's own need (the photo window, a few minutes): more about it."""
    text = view.text.strip()
    if view.sender.role != Role.RESIDENT or view.msg.media or not (2 <= len(text) <= 120) or text.startswith("["):
        return None
    if _COMMAND_START.match(text):
        return None          # "查 D20261210-4" mistyped is still a command, not words about the need
    if _is_rating_words(text) or speech_acts.is_progress_question(text) or speech_acts.small_talk(text) \
            or speech_acts.is_bare_ack(text) or (len(text) < 4 and not _BUILDING_ANSWER.match(text)):
        return None          # "好的", "嗯嗯", "谢谢": not more about the need
    rated = _rating_matcher(view)
    if rated is not None and rated.score:
        return None          # "水管的事 满意": the answer to a rating question still open, not a detail
    located = _BUILDING_ANSWER.match(text) or _LOCATION_CUE.search(text)
    if not view.addressed and not located:
        return None          # group chatter right after one's need is still chatter
    if not located and (_ASKS.search(text) or view.kb.answer(text) is not None):
        return None          # "你们几点下班": a question of its own, not more about the need
    return text


@router.answer(P.NEED_WINDOW, match=_detail_matcher, label="")
async def need_detail(ctx: Context, text: str) -> Any:
    assert ctx.question is not None
    u = ctx.view.understanding
    try:
        need = await N.get_need(ctx.session, str(ctx.question.data["code"]))
    except N.NeedError:
        return PASS
    if need.requester != ctx.sender.id or need.status not in (*N.OPEN_STATUSES, N.Status.MERGED):
        return PASS
    if (u.building is not None and need.building is not None and u.building != need.building
            and u.intent == "demand" and len(text) > 8) or (_ANOTHER.match(text) and u.intent == "demand"):
        return PASS          # another problem ("还有 楼下垃圾桶也满了", another building): a need of its own
    if u.building is not None and u.building == need.building and len(text) <= 10 \
            and not _LOCATION_CUE.search(re.sub(_BLD, "", text)):
        return PASS          # "我也是5栋的": the place it already has, nothing more about it
    if u.building is not None and need.building is None and need.status != N.Status.MERGED:
        located = await N.relocate(ctx.session, ctx.now, ctx.config, need.code, u.building, ctx.sender)
        if located.previous_assignee is not None:
            await announce_intake(ctx.out, ctx.config, N.Intake(located.need))
            await ctx.out.private(located.previous_assignee, T.RELOCATED_NOTE_MOVED.format(
                code=need.code, building=u.building, worker=located.need.assignee_name or "网格员"))
        else:
            await _tell_holder(ctx, need, T.LOCATED_ADDED_NOTE.format(code=need.code, building=u.building))
        if _BUILDING_ANSWER.match(text) and len(text) <= 10:
            if ctx.view.addressed:
                await say(ctx, T.LOCATED.format(building=u.building, code=need.code))
            return None
    await N.add_detail(ctx.session, ctx.now, need.code, text, ctx.sender)
    if need.merged_into is None:
        await _tell_holder(ctx, need, T.DETAIL_NOTE.format(code=need.code, text=short(text, 80)))
    if ctx.view.addressed:
        await say(ctx, T.DETAIL_ADDED.format(code=need.merged_into or need.code))
    return None


# ---------------------------------------------------------------- 随手拍: photos around a need's text

async def stored_media(ctx: Context) -> list[P.Stored]:
    """The pictures of a mixed message (text + photos), stored; one that cannot be read is left out."""
    out = []
    for m in ctx.msg.media:
        if m.kind != "image":
            continue
        try:
            out.append(await asyncio.to_thread(P.store, ctx.config, m.data))
        except P.PhotoRefused:
            continue
    return out


async def _waiting_photos(ctx: Context) -> tuple[list[P.Stored], int]:
    """Photos (and voice notes) this sender sent in this chat just before: taken, the pending item closed."""
    q = await ctx.pending(P.PHOTOS_WAITING)
    if q is None:
        return [], 0
    await ctx.answered(P.PHOTOS_WAITING)
    return [P.Stored.from_data(d) for d in q.data.get("photos", [])], int(q.data.get("voices", 0))


async def _photos_for_new_need(ctx: Context, need: N.Need) -> None:
    """Photos sent just before the text, or with it, join the need; photos sent in the next few minutes
    will too (a pending item keyed by chat and person) — except for a 树洞, where nothing may keep the
    sender next to the need: its photos must come first (they wait under the sender, then move to the
    need without a name)."""
    waiting, voices = await _waiting_photos(ctx)
    photos = waiting + await stored_media(ctx)
    if photos:
        try:
            await P.attach(ctx.session, ctx.now, ctx.config, need, photos, uploader=ctx.sender.id,
                           uploader_name=ctx.sender.name)
        except P.PhotoRefused:
            pass
    for _ in range(min(voices, 3)):
        await P.record_voice(ctx.session, ctx.now, need, actor=ctx.sender.id, actor_name=ctx.sender.name)
    if not ctx.anonymous and not need.tree_hole:
        await ctx.ask(P.NEED_WINDOW, {"code": need.code}, ttl=_window(ctx))


def _window(ctx: Context) -> timedelta:
    return timedelta(minutes=ctx.config.photos.window_minutes)


def _described(view: View) -> str | None:
    """The words that explain photos the bot asked about ("请简单说一下是什么问题、在几栋")."""
    if not view.is_private:
        return None          # asked only in private; group chatter must never cost a transaction
    text = view.text.strip()
    return text if len(text) >= 2 and not _is_rating_words(text) else None


@router.answer(P.PHOTOS_WAITING, match=_described, label=TP.QUESTION_WHAT)
async def describe_photos(ctx: Context, text: str) -> Any:
    """The answer to the question asked about a photo sent alone: the photo's need, in words."""
    assert ctx.question is not None
    if not ctx.question.data.get("asked") or not ctx.question.data.get("photos"):
        return PASS          # photos held silently in a group, or only a voice note: a need's own words take them
    u = classify(text)
    if u.intent != "demand" and len(text) < 4:
        await say(ctx, TP.ASK_WHAT)      # "好的", "谢谢": not the description asked for — ask once more
        return None
    await _intake(ctx, IntakeArgs(text, Understanding("demand", u.category or "other", u.urgent, u.building)),
                  N.Source.PRIVATE if ctx.msg.is_private else N.Source.GROUP)
    return None


_SPELT_FOLLOW_CODE = re.compile(r"(?<![A-Za-z0-9])[Hh][\s-][A-Za-z0-9]{5}[\s-][A-Za-z0-9]{5}(?![A-Za-z0-9])")
_ABOUT_A_CODE = re.compile(r"^(?:查|进度|评价|(?:非常|很|十分|比较|基本|还算|不太|很不|非常不)?满意|不满意|一般|[123](?![0-9]))")


def _follow_code_in_group(view: View) -> str | None:
    """A 树洞 follow-up code typed in a group ("不满意 H-… 还是吵"): whatever else it says."""
    if view.is_private or (code := N.normalize_follow_code(view.text)) is None:
        return None
    if view.addressed or _SPELT_FOLLOW_CODE.search(view.text) or _ABOUT_A_CODE.match(view.text):
        return code
    return None


@router.route(Stage.STAFF_COMMAND, _follow_code_in_group)
async def tree_hole_code_in_group(ctx: Context, _code: str) -> None:
    """Rating, reopening or asking about a 树洞 by its code in a group would tell the group — and the
    worker reading it — who wrote it: nothing is done, not even said whether the code exists."""
    await ctx.reply(T.TREE_HOLE_QUERY_IN_GROUP.format(bot=ctx.config.bot_name))


_TREE_HOLE_WORD = command_matcher("树洞")
# Anonymity asked for in other words, in private: "匿名 …", "匿名反映: …", "我想匿名举报 …", "【树洞】…",
# "我要树洞 …". A resident who says they want to stay anonymous is never filed under their name (nor told
# "没看懂").
_ANONYMOUS_RE = re.compile(
    r"^[【\[(（]?\s*(?:(?:我?(?:想|要)发?个?)?树洞|我?(?:想|要|希望|能不能|可以)?匿名地?(?:(?:反映|举报|投诉|报告|说|讲|提|求助)"
    r"(?:一下|个事|件事|个问题)?|(?=[\s:：,，。!！】\])）]|$)))\s*[】\])）]?[\s:：,，。!！]*(.*)$", re.S)
_ASKS_ABOUT_IT = re.compile(r"^.{0,8}(?:吗|么|嘛)[??]?$|^[??]*$")


def _tree_hole_matcher(view: View) -> str | None:
    rest = _TREE_HOLE_WORD(view)
    if rest is not None:
        return rest
    if not view.is_private or (m := _ANONYMOUS_RE.match(view.text)) is None:
        return None          # in a group everyone already saw who wrote it: an ordinary need, as before
    rest = m.group(1).strip()
    return "" if _ASKS_ABOUT_IT.match(rest) else rest   # "可以匿名反映吗?": how a 树洞 works


@router.route(Stage.RESIDENT_COMMAND, _tree_hole_matcher)
async def tree_hole(ctx: Context, rest: str) -> None:
    if not ctx.msg.is_private and not danger_words(rest):
        # Not stored: the point of a tree hole is that nobody can tell who said it.
        await ctx.reply(T.TREE_HOLE_IN_GROUP.format(bot=ctx.config.bot_name))
        return
    # Danger words (家暴, 想不开 …) typed as a 树洞 in a group: lives first. It is filed like any 树洞 — no
    # sender stored, the admins alerted privately — its code goes to the sender privately, the group hears
    # nothing more (saying "not recorded" there would leave a person in danger with no one told).
    if len(rest.strip()) < 2:
        await ctx.reply(T.TREE_HOLE_USAGE)
        return
    ctx.go_anonymous()      # from here on nothing written names the sender or this message's id
    u = classify(rest)
    await _intake(ctx, IntakeArgs(rest.strip(), Understanding("demand", u.category if u.intent == "demand" else
                                                              (u.category or "other"), u.urgent, u.building)),
                  N.Source.TREE_HOLE)
    if not ctx.msg.is_private:
        await ctx.reply(T.TREE_HOLE_SEEN_IN_GROUP.format(bot=ctx.config.bot_name))


@router.route(Stage.RESIDENT_COMMAND, _obvious_word)
async def intake_by_word(ctx: Context, args: IntakeArgs) -> None:
    await _intake(ctx, args, N.Source.PRIVATE if ctx.msg.is_private else N.Source.GROUP)


@router.route(Stage.INTENT, _addressed_demand)
async def intake_addressed(ctx: Context, args: IntakeArgs) -> None:
    await _intake(ctx, args, N.Source.PRIVATE if ctx.msg.is_private else N.Source.GROUP)


@router.route(Stage.PASSIVE, _passive)
async def passive_discovery(ctx: Context, args: IntakeArgs) -> None:
    """Silent in the group. An urgent one still reaches the grid worker privately: lives first."""
    u = args.u
    await N.record_suggestion(ctx.session, ctx.now, grid=ctx.grid.number if ctx.grid else None,
                              chat=ctx.msg.group_topic or "", sender_id=ctx.sender.id, sender_name=ctx.sender.name,
                              text=args.text, category=u.category, urgent=u.urgent, building=u.building)
    if u.urgent and ctx.grid is not None:
        grid = ctx.config.grid_of_building(u.building) or ctx.grid
        text = T.PASSIVE_URGENT_ALERT.format(chat=ctx.msg.group_topic, name=ctx.sender.name, text=args.text)
        await ctx.out.private(grid.worker, text, priority=Priority.URGENT)
        backup = (await D.roster(ctx.session, ctx.config)).covering(grid.number, ctx.now)
        if backup is not None:
            await ctx.out.private(backup, text, priority=Priority.URGENT)


# ---------------------------------------------------------------- staff commands

_SPOKEN = str.maketrans({"零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
                         "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8", "九": "9", "勾": "9"})
_SPOKEN_RUN = re.compile(r"[零〇洞一幺二两三四五六七拐八九勾]{4,}(?:(?:杠|横杠|-)[零〇洞一幺二两三四五六七拐八九勾]{4})?")


def spoken_digits(text: str) -> str:
    """A code read out to voice input ("接单零零零二", "D二零二六一一二四杠零零零二"): its digits as typed.
    Runs of four or more only, so that words like 一下 / 三栋 stay words."""
    if not any(ch in text for ch in "零〇洞幺"):
        return text     # a code read aloud has a 零 in it (the date and the serial)
    return _SPOKEN_RUN.sub(lambda m: re.sub(r"杠|横杠", "-", m.group(0)).translate(_SPOKEN), text)


def _staff_matcher(*words: str):  # type: ignore[no-untyped-def]
    """A command word; without a code it only counts from staff, or when the bot is addressed —
    a resident chatting "回复一下大家" in a group must not get a refusal. The code may come first
    ("D20261124-0001 办结 灯已换"), as it does when a worker copies it from the alert."""
    base = command_matcher(*words)
    code_first = re.compile(r"^(%s)[\s:：,，]*(?:%s)(?:[\s:：,，]+|$)(.*)$"
                            % (N.CODE_RE.pattern, "|".join(map(re.escape, words))), re.S)

    def match(view: View) -> str | None:
        if view.sender.role != Role.RESIDENT and (spoken := spoken_digits(view.text)) != view.text:
            view = dataclasses.replace(view, text=spoken)      # voice input spells the digits out
        rest = base(view)
        if rest is None and (m := code_first.match(view.text)) is not None:
            rest = f"{m.group(1)} {m.group(4)}".strip()
        if rest is None:
            return None
        if N.normalize_code(rest) is None and view.sender.role == Role.RESIDENT and not view.addressed:
            return None
        return rest
    return match


def _split_code(rest: str) -> tuple[str | None, str]:
    m = N.CODE_RE.search(rest)
    if m is None:
        return None, rest.strip()
    after = rest[m.end():].strip(" ::,,")
    return f"D{m.group(1)}-{m.group(2)}", after


# The tail of a code, as typed from memory on a phone: "接单 0002", "办结 1124-0002 已修好",
# "回复 20261124-0002 …". Four digits at least, so "回复 10点到" is never read as a code.
RESIDENT_SHORT_CODE_DAYS = 90     # a resident's 4 digits find their needs open, or closed in the last 90 days
# "D20261210-4": the day in full and the serial without its zeros — the full code, padded.
_UNPADDED_CODE_RE = re.compile(r"^[Dd]\s?-?(\d{8})\s?-\s?(\d{1,3})$")


def _padded_code(rest: str) -> str | None:
    m = _UNPADDED_CODE_RE.match(rest.strip())
    return f"D{m.group(1)}-{int(m.group(2)):04d}" if m and int(m.group(2)) > 0 else None


_SHORT_CODE_RE = re.compile(r"^[Dd]?(?:(?P<day>(?:\d{4})?\d{4})-?)?(?P<serial>\d{4})(?=$|[\s:,，。])[\s:,，。]*(?P<after>.*)$",
                            re.S)


async def short_code(ctx: Context, rest: str) -> tuple[list[N.Need], str] | None:
    """The sender's open needs whose code ends with the digits typed, and the words after them."""
    m = _SHORT_CODE_RE.match(rest.strip())
    if m is None:
        return None
    tail = f"{m.group('day') or ''}-{m.group('serial')}"
    if ctx.sender.role == Role.RESIDENT:
        # A resident's own needs only (never a 树洞: it is read by its follow-up code), so a code of
        # someone else's reads exactly like a code that does not exist.
        mine = await N.requester_needs(ctx.session, ctx.sender.id, ctx.now - timedelta(days=RESIDENT_SHORT_CODE_DAYS))
        return [n for n in mine if n.code.endswith(tail)], m.group("after").strip()
    scope = await D.scope_for(ctx.session, ctx.config, ctx.sender)
    found = [n for n in await N.todo_for(ctx.session, ctx.sender, scope.covers)
             if access.may_see(scope, n) and n.code.endswith(tail)]
    return found, m.group("after").strip()


# Without a code, 接单 / 回复 / 办结 mean the one need they can mean: a worker on a phone at 11 pm types
# "接单" under the alert, or "办结 已换灯泡" with one job in hand. Never 转派 / 退单: those name the need.
_BARE_STATUSES = {"accept": (N.Status.RECEIVED, N.Status.DISPATCHED),
                  "reply": (N.Status.ACCEPTED, N.Status.IN_PROGRESS),
                  "resolve": (N.Status.ACCEPTED, N.Status.IN_PROGRESS)}


async def _bare_candidates(ctx: Context, action: str) -> list[N.Need]:
    statuses = _BARE_STATUSES.get(action)
    if statuses is None:
        return []
    me = ctx.sender
    scope = await D.scope_for(ctx.session, ctx.config, me)
    roster = await D.roster(ctx.session, ctx.config)
    out = []
    for n in await N.todo_for(ctx.session, me, scope.covers):
        if n.status not in statuses or not N.may_handle(ctx.config, n, me, roster):
            continue
        held = n.assignee == me.id or (me.role == Role.DEPARTMENT and n.department == me.department)
        if action == "accept" or held:       # 回复/办结 without a code: only a need they hold
            out.append(n)
    return out


_MORE_CODES = re.compile(r"^[\s,，、和及]*(%s)" % N.CODE_RE.pattern)


async def _run(ctx: Context, word: str, rest: str, action: str, op: Any) -> None:
    code, after = _split_code(rest)
    if code is not None and action in ("accept", "resolve") and _MORE_CODES.match(after):
        # "办结 D…0001,D…0002 都修好了": each of them, with the same words
        codes = [code]
        while (m := _MORE_CODES.match(after)) is not None:
            codes.append(f"D{m.group(2)}-{m.group(3)}")
            after = after[m.end():].strip(" ::,,")
        for one in dict.fromkeys(codes):
            await _run(ctx, word, f"{one} {after}", action, op)
        return
    if code is None and (by_digits := await short_code(ctx, rest)) is not None:
        found, words = by_digits
        if len(found) == 1:
            code, after = found[0].code, words
        elif found:
            items = "".join(T.BARE_ITEM.format(code=n.code, text=short(n.text, 20)) for n in found[:5])
            await say(ctx, T.SHORT_CODE_MANY.format(n=len(found), items=items)
                      + T.USAGE[word].format(example=found[0].code))
            return
    if code is None:
        found = await _bare_candidates(ctx, action)
        if len(found) != 1:
            usage = T.USAGE[word].format(example=found[0].code if found else T.EXAMPLE_CODE)
            pick = word in _PICK_HANDLERS
            items = "".join((T.BARE_ITEM_NUMBERED if pick else T.BARE_ITEM).format(i=i, code=n.code,
                                                                                  text=short(n.text, 20))
                            for i, n in enumerate(found[:5], 1))
            await say(ctx, T.BARE_MANY.format(n=len(found), word=word, items=items) + (T.PICK_HINT if pick else usage)
                      if found else usage)
            if found and pick:     # "1" / "第二个" / "都接" answers the list, privately
                await ctx.ask(STAFF_PICK, {"word": word, "codes": [n.code for n in found[:5]], "after": after},
                              ttl=timedelta(minutes=15), scope=PRIVATE_SCOPE)
            return
        code = found[0].code
    try:
        # what is said about a 树洞 goes to no group at all, the staff group included
        ctx.private_in_staff_group = (await N.get_need(ctx.session, code)).tree_hole
        await op(code, after)
    except N.NeedError as exc:
        await say(ctx, error_text(exc, action))


STAFF_PICK = "needs.staff_pick"     # {word, codes, after}: the list of needs a bare 接单/回复/办结 could mean
_PICK_RE = re.compile(r"^(?:第)?(?P<n>[1-5一二三四五])(?:个|件|条|单)?(?:吧)?[\s。.!!]*$"
                      r"|^(?P<all>都接了?|全部接了?|全接|都要|全部)[\s。.!!]*$")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}


def _pick_matcher(view: View) -> Any:
    if view.sender.role == Role.RESIDENT or not view.is_private:
        return None
    return _PICK_RE.match(view.text)


@router.answer(STAFF_PICK, match=_pick_matcher, label=T.QUESTION_PICK)
async def pick_from_list(ctx: Context, m: Any) -> Any:
    """The number of a need in the list a bare 接单 / 回复 / 办结 was answered with."""
    q = ctx.question
    assert q is not None
    codes, word = list(q.data.get("codes") or []), str(q.data.get("word") or "")
    if m.group("all"):
        if word != "接单":
            return PASS           # 都 … only takes needs; 回复 / 办结 each say something of their own
        chosen = codes
    else:
        n = int(m.group("n")) if m.group("n").isdigit() else _CN_DIGITS[m.group("n")]
        if n > len(codes):
            await say(ctx, T.PICK_OUT_OF_RANGE.format(n=len(codes)))
            return None
        chosen = [codes[n - 1]]
    await ctx.answered()
    after = str(q.data.get("after") or "")
    for code in chosen:
        await _PICK_HANDLERS[word](ctx, f"{code} {after}".strip())
    return None


@router.route(Stage.STAFF_COMMAND, _staff_matcher("接单"), roles=STAFF, private=True)
async def accept_need(ctx: Context, rest: str) -> None:
    async def op(code: str, _after: str) -> None:
        need = await N.get_need(ctx.session, code)
        if need.assignee == ctx.sender.id and need.status in (N.Status.ACCEPTED, N.Status.IN_PROGRESS):
            await say(ctx, T.ALREADY_ACCEPTED.format(code=need.code))     # 接单 sent twice, from the group
            return
        change = await N.accept(ctx.session, ctx.now, ctx.config, code, ctx.sender)
        c = common(change.need, ctx.now, ctx.config, group=not ctx.msg.is_private, limit=120)
        text = T.ACCEPTED.format(**c)
        if change.need.urgent and change.need.resolve_due_at:
            late = change.need.resolve_due_at <= ctx.now
            text += (T.ACCEPTED_URGENT_LATE if late else T.ACCEPTED_URGENT).format(**c)
        await say(ctx, text)
        await announce_change(ctx.out, ctx.config, change)
    await _run(ctx, "接单", rest, "accept", op)


_sign_word = _staff_matcher("签收")
# What a department's duty person answers a 【转派·请签收】 notice with, privately.
_RECEIVED_WORDS = re.compile(r"^(?:好的|好|收到|已收到|收到了|明白)[\s,，。!!]*(?:收到了?|马上处理|尽快处理|我们处理|这就去)?[\s,，。!!]*$")


def _sign_matcher(view: View) -> str | None:
    rest = _sign_word(view)
    if rest is None and view.is_private and view.sender.role == Role.DEPARTMENT and _RECEIVED_WORDS.match(view.text):
        return "收到"
    return rest


@router.route(Stage.STAFF_COMMAND, _sign_matcher, roles=STAFF_OR_DEPT, private=True)
async def sign_need(ctx: Context, rest: str) -> None:
    if rest == "收到":      # a department's "收到": the one need waiting for its 签收, else what it can do
        waiting = [n for n in await _bare_candidates(ctx, "accept") if n.department == ctx.sender.department]
        if len(waiting) != 1:
            items = "".join(T.BARE_ITEM.format(code=n.code, text=short(n.text, 20)) for n in waiting[:5])
            await say(ctx, T.BARE_MANY.format(n=len(waiting), word="签收", items=items)
                      + T.USAGE["签收"].format(example=waiting[0].code) if waiting else T.NOTHING_TO_SIGN)
            return
        rest = waiting[0].code
    async def op(code: str, _after: str) -> None:
        change = await N.accept(ctx.session, ctx.now, ctx.config, code, ctx.sender)
        c = common(change.need, ctx.now, ctx.config, group=not ctx.msg.is_private, limit=120)
        await say(ctx, (T.SIGNED if ctx.sender.role == Role.DEPARTMENT else T.ACCEPTED).format(**c))
    await _run(ctx, "签收", rest, "accept", op)


@router.route(Stage.STAFF_COMMAND, _staff_matcher("回复"), roles=STAFF_OR_DEPT, private=True)
async def reply_need(ctx: Context, rest: str) -> None:
    async def op(code: str, after: str) -> None:
        if not after:
            await say(ctx, T.ERRORS["no_text"].format(code=code))
            return
        change = await N.reply(ctx.session, ctx.now, ctx.config, code, ctx.sender, after)
        need = change.need
        await say(ctx, T.REPLIED_TREE_HOLE.format(code=need.code) if need.tree_hole
                  else T.ANSWERED.format(code=need.code) if change.extra.get("answered")
                  else T.REPLIED.format(code=need.code))
        await announce_change(ctx.out, ctx.config, change)
    await _run(ctx, "回复", rest, "reply", op)


@router.route(Stage.STAFF_COMMAND, _staff_matcher("转派", "转交", "转派给", "转交给"), roles=STAFF_OR_DEPT, private=True)
async def transfer_need(ctx: Context, rest: str) -> None:
    async def op(code: str, after: str) -> None:
        depts = [d.name for d in ctx.config.departments]
        if not after:
            await say(ctx, T.TRANSFER_NEEDS_DEPARTMENT.format(code=code, departments="、".join(depts)))
            return
        after = re.sub(r"^(?:给|到|至)\s*", "", after)       # "转派 D… 给城管科"
        name, _, note = after.partition(" ")
        if ctx.config.department(name) is None:     # "城管科占道经营" without a space
            for d in ctx.config.departments:
                if after.startswith(d.name):
                    name, note = d.name, after[len(d.name):]
                    break
        change = await N.transfer(ctx.session, ctx.now, ctx.config, code, ctx.sender, name,
                                  note.strip(" ::,,") or None)
        await say(ctx, T.TRANSFERRED.format(department=change.need.department, code=change.need.code,
                                            due=fmt_time(change.need.due_at, ctx.now, ctx.config)))
        await announce_change(ctx.out, ctx.config, change)
    await _run(ctx, "转派", rest, "transfer", op)


@router.route(Stage.STAFF_COMMAND, _staff_matcher("退单", "退回"), roles=STAFF_OR_DEPT, private=True)
async def return_need(ctx: Context, rest: str) -> None:
    async def op(code: str, after: str) -> None:
        change = await N.hand_back(ctx.session, ctx.now, ctx.config, code, ctx.sender, after)
        await say(ctx, T.RETURNED.format(code=change.need.code, holder=change.need.assignee_name or "社区"))
        await announce_change(ctx.out, ctx.config, change)
    await _run(ctx, "退单", rest, "return", op)


_RESOLVE_WORDS = r"已办结|已完成|已处理|已解决|已修好|办完了?|办好了|处理完了?|处理好了|完成了?"
_RESOLVE_ALIAS = re.compile(r"^(?:%s)[\s:,，。]*(%s.*)$" % (_RESOLVE_WORDS, N.CODE_RE.pattern), re.S)
_RESOLVE_ALIAS_CODE_FIRST = re.compile(r"^(%s)[\s:,，。]*(?:%s)(?:[\s:,，。]+|$)(.*)$"
                                       % (N.CODE_RE.pattern, _RESOLVE_WORDS), re.S)
# "D… 已经修好了" / "D… 灯换好了": after the code, a sentence saying the job is done is itself the 办结 note
_DONE_SENTENCE = re.compile(r"^(%s)[\s:,，。]*((?:已经|已|都)?[^\s,，。]{0,12}(?:修好|换好|弄好|搞定|处理好|解决|清理干净|清走|疏通)"
                            r"了?[^\n]{0,60})$" % N.CODE_RE.pattern, re.S)
_resolve_word = _staff_matcher("办结")


def _resolve_matcher(view: View) -> str | None:
    """办结, and from staff with a code the words they finish a job with ("已办结 D… 水箱阀门已换",
    "D… 处理完了 …")."""
    rest = _resolve_word(view)
    if rest is not None or view.sender.role == Role.RESIDENT:
        return rest
    if (m := _RESOLVE_ALIAS.match(view.text)) is not None:
        return m.group(1)
    if (m := _RESOLVE_ALIAS_CODE_FIRST.match(view.text)) is not None:
        return f"{m.group(1)} {m.group(4)}".strip()
    if (m := _DONE_SENTENCE.match(view.text)) is not None:
        return f"{m.group(1)} {m.group(4)}".strip()
    return None


@router.route(Stage.STAFF_COMMAND, _resolve_matcher, roles=STAFF_OR_DEPT, private=True)
async def resolve_need(ctx: Context, rest: str) -> None:
    async def op(code: str, after: str) -> None:
        change = await N.resolve(ctx.session, ctx.now, ctx.config, code, ctx.sender, after)
        need = change.need
        if need.tree_hole:
            await say(ctx, T.RESOLVED_NO_VISIT.format(code=need.code, why=T.RESOLVED_TREE_HOLE_WHY))
        else:
            await say(ctx, T.RESOLVED.format(code=need.code))
        await announce_change(ctx.out, ctx.config, change)
        await resolution_photos(ctx, need, (await _waiting_photos(ctx))[0] + await stored_media(ctx))
        await ctx.ask(P.RESOLVE_WINDOW, {"code": need.code}, ttl=_window(ctx))
    await _run(ctx, "办结", rest, "resolve", op)


_PICK_HANDLERS: dict[str, Any] = {"接单": accept_need, "回复": reply_need, "办结": resolve_need}


async def resolution_photos(ctx: Context, need: N.Need, photos: list[P.Stored]) -> None:
    """办结 with a picture: the photos join the need and go to its resident (privately)."""
    if not photos:
        return
    rows = await P.attach(ctx.session, ctx.now, ctx.config, need, photos, uploader=ctx.sender.id,
                          uploader_name=ctx.sender.name, role=P.Role.RESOLUTION)
    sent = await send_resolution_photo(ctx.out, ctx.config, need, rows)
    text = (TP.ATTACHED_RESOLUTION if sent else TP.ATTACHED_RESOLUTION_NO_RESIDENT).format(code=need.code)
    if ctx.msg.is_private:
        await ctx.reply(text)
    else:
        await ctx.out.private(ctx.msg.sender_id, text)


_TODO = command_matcher("待办", "我的待办", "待办事项", bare=True)   # matchers compiled once, not per message
_STATS = command_matcher("统计")
_QUERY = command_matcher("查", "查询", "查看", "进度")


# How staff ask for 待办 in their own words (only from staff: a resident's "还有啥没办的" is not ours);
# 代办 is the typo a phone keyboard offers first.
_TODO_WORDS = re.compile(
    r"^(?:(?:我的?|我们的?)?(?:待办|代办)(?:事项|工单|诉求|任务|列表|清单)?(?:有哪些|有啥|有什么|还有哪些|还有啥|呢)?"
    r"|(?:我|我们)?(?:手上|手里)?还有(?:啥|什么|哪些|几个|几件|多少)(?:诉求|工单|单子|事)?(?:没办|没处理|没办完|没弄|要办|待办)的?"
    r"|有(?:啥|什么)待办(?:的|事项)?"
    r"|(?:有)?(?:哪些|几个|几件|啥|什么)?超时(?:了|的)?(?:诉求|工单|单子)?(?:有哪些|有几个|有啥|是哪些)?)[\s??。!!吗呢啊]*$")


def _todo_matcher(view: View) -> str | None:
    if view.sender.role == Role.RESIDENT and not view.addressed:
        return None
    rest = _TODO(view)
    if rest is None and view.sender.role != Role.RESIDENT and _TODO_WORDS.match(view.text):
        return "超时" if "超时" in view.text else ""
    return rest


@router.route(Stage.STAFF_COMMAND, _todo_matcher, roles=STAFF_OR_DEPT, private=True)
async def todo(ctx: Context, rest: str) -> None:
    scope = await D.scope_for(ctx.session, ctx.config, ctx.sender)
    rows = [n for n in await N.todo_for(ctx.session, ctx.sender, scope.covers) if access.may_see(scope, n)]
    overdue_only = rest == "超时"          # "超时的有哪些": the needs past a clock
    if overdue_only:
        rows = [n for n in rows if n.overdue or any(d is not None and d <= ctx.now
                                                    for d in (n.due_at, n.resolve_due_at))]
    ctx.private_in_staff_group = any(n.tree_hole for n in rows)
    await log_chat_view(ctx, None, "待办: " + " ".join(n.code for n in rows[:50]))
    if not rows:
        await say(ctx, T.OVERDUE_EMPTY if overdue_only else T.TODO_EMPTY)
        return
    text = (T.OVERDUE_HEAD if overdue_only else T.TODO_HEAD).format(n=len(rows))
    shown = 0
    for i, need in enumerate(rows, 1):
        c = common(need, ctx.now, ctx.config, group=not ctx.msg.is_private, limit=30)
        item = T.TODO_ITEM.format(i=i, **c, clock=_clock(need, ctx.now, ctx.config))
        if len(text) + len(item) > REPLY_LIMIT - 40:
            break
        text += item
        shown += 1
    if shown < len(rows):
        text += T.TODO_MORE.format(n=len(rows) - shown)
    await say(ctx, text)


def _clock(need: N.Need, now: datetime, config: Config) -> str:
    if need.due_at is not None:
        if need.due_at <= now:
            return T.CLOCK_OVER.format(over=fmt_minutes((now - need.due_at).total_seconds() / 60))
        return T.CLOCK_LEFT.format(due=fmt_time(need.due_at, now, config),
                                   left=fmt_minutes((need.due_at - now).total_seconds() / 60))
    if need.resolve_due_at is not None:
        if need.resolve_due_at <= now:
            return T.CLOCK_OVER.format(over=fmt_minutes((now - need.resolve_due_at).total_seconds() / 60))
        return T.CLOCK_HANDLE.format(due=fmt_time(need.resolve_due_at, now, config))
    return ""


def _pct(x: float | None) -> str:
    return T.RATE_NONE if x is None else f"{x * 100:.0f}%"


_PERIODS = ("", "今天", "本周", "本月", "这周", "这个月", "昨天", "上周", "上月", "上个月")
_PERIOD_WORDS = {"今日": "今天", "这礼拜": "这周", "这星期": "这周", "上礼拜": "上周", "上星期": "上周"}
# How staff ask for 统计 in their own words: "今天有几个诉求", "这个月收了多少件", "本周三率多少", "统计一下"
_STATS_WORDS = re.compile(
    r"^(?P<period>今天|今日|本周|这周|这礼拜|这星期|本月|这个月|昨天|上周|上礼拜|上星期|上个?月)?(?:的|我们|网格)?"
    r"(?:(?:一共|总共|共)?(?:有|收到|来了|接了|受理了?|收了|办了|办结了)?(?:几|多少)(?:个|件|条|单)?(?:紧急的?|急的)?(?:诉求|问题|工单|单子|需求)?"
    r"|(?:三率|响应率|解决率|满意率|数据)(?:是|有|怎么样|咋样)?(?:多少)?"
    r"|统计(?:一下|下)?)[\s??呢啊呀了。]*$")
_STATS_NOUN = re.compile(r"诉求|问题|工单|单子|需求|三率|响应率|解决率|满意率|数据|统计|紧急")


# 月报 in chat: last month's figures (or the month named) and where the printable report is.
_REPORT_RE = re.compile(r"^(?P<period>本月|这个月|上个?月)?的?月报(?P<after>本月|这个月|上个?月)?[\s??。]*$")
_STUCK_PERIOD_RE = re.compile(r"^统计(?:一下|下)?(?P<period>%s)[\s??。]*$" % "|".join(
    p for p in sorted({*_PERIODS, *_PERIOD_WORDS}, key=len, reverse=True) if p))


def _stats_matcher(view: View) -> str | None:
    if view.sender.role == Role.RESIDENT and not view.addressed:
        return None
    if view.sender.role != Role.RESIDENT and (m := _REPORT_RE.match(view.text)) is not None:
        period = m.group("period") or m.group("after") or "上月"
        return "月报:" + ("本月" if period in ("本月", "这个月") else "上月")
    if view.sender.role != Role.RESIDENT and (m := _STUCK_PERIOD_RE.match(view.text)) is not None:
        return _PERIOD_WORDS.get(m.group("period"), m.group("period"))     # "统计本月"
    rest = _STATS(view)
    if rest is None:
        if not view.sender.is_staff or (m := _STATS_WORDS.match(view.text)) is None \
                or not _STATS_NOUN.search(view.text):
            return None
        # 三率 (or one of them) without a period: the month's figures, as they are reported
        rest = m.group("period") or ("本月" if re.search(r"三率|响应率|解决率|满意率", view.text) else "")
        return _PERIOD_WORDS.get(rest, rest)
    rest = _PERIOD_WORDS.get(rest, rest)
    return rest if rest in _PERIODS else None


# private: the figures (a grid's urgent count, every grid's rates) are staff business, not a group's
@router.route(Stage.STAFF_COMMAND, _stats_matcher, roles=STAFF, private=True)
async def stats(ctx: Context, rest: str) -> None:
    report = rest.startswith("月报:")
    rest = rest.removeprefix("月报:")
    start, end, label = N.period_bounds(rest or "今天", ctx.now, ctx.config)
    grid = ctx.sender.grid if ctx.sender.role == Role.WORKER else None
    rates = await N.three_rates(ctx.session, start, end, grid=grid)
    scope = T.STATS_SCOPE_GRID.format(grid=grid) if grid is not None else T.STATS_SCOPE_ALL
    text = T.STATS.format(label=label, scope=scope, received=rates.received, urgent=rates.urgent,
                          resolved=rates.resolved, open=rates.open, overdue=rates.overdue,
                          response=_pct(rates.response_rate), resolution=_pct(rates.resolution_rate),
                          satisfaction=_pct(rates.satisfaction_rate), rated=rates.rated)
    if grid is None and rates.received:
        text += T.STATS_BY_GRID_HEAD
        for g, r in sorted((await N.rates_by(ctx.session, start, end, "grid")).items(),
                           key=lambda kv: (kv[0] is None, kv[0] or 0)):
            text += T.STATS_BY_GRID.format(grid=f"网格{g}" if g is not None else "未分网格", received=r.received,
                                           response=_pct(r.response_rate), resolution=_pct(r.resolution_rate),
                                           satisfaction=_pct(r.satisfaction_rate))
    if report:
        month = start.astimezone(ctx.config.timezone).strftime("%Y-%m")
        base = ctx.config.web.base_url
        text += (T.REPORT_LINK if base else T.REPORT_NO_LINK).format(url=f"{base}/inbox/report?month={month}",
                                                                     month=month)
    await say(ctx, text)


# ---------------------------------------------------------------- 查 (anyone with a code)

def _query_matcher(view: View) -> str | None:
    rest = _QUERY(view)
    if rest is None:
        return None
    if N.normalize_code(rest) is not None or _padded_code(rest) is not None:
        return rest
    if _SHORT_CODE_RE.match(rest.strip()) and not _SHORT_CODE_RE.match(rest.strip()).group("after"):
        return rest      # "查 0004", "查 1210-0004": the tail of a code
    # "查一下明天天气" is not ours; a bare 查 only from staff or when the bot is addressed
    return rest if rest == "" and (view.addressed or view.sender.role != Role.RESIDENT) else None


@router.route(Stage.RESIDENT_COMMAND, _query_matcher)
async def query(ctx: Context, rest: str) -> None:
    code = N.normalize_code(rest) or _padded_code(rest)
    staff = ctx.sender.role in (Role.WORKER, Role.ADMIN, Role.DEPARTMENT)
    ctx.privately = staff          # a staff view in a group goes to the sender privately
    if code is None and (by_digits := await short_code(ctx, rest)) is not None:
        found, _after = by_digits
        if len(found) > 1:
            items = "".join(T.BARE_ITEM.format(code=n.code, text=short(n.text, 20)) for n in found[:5])
            await say(ctx, T.SHORT_CODE_MANY.format(n=len(found), items=items)
                      + T.USAGE["查"].format(example=found[0].code))
            return
        if not found:      # nobody's, or someone else's: the same words
            await say(ctx, error_text(N.NeedError("not_found", code=rest.strip()), "query"))
            return
        code = found[0].code
    if code is None:
        await say(ctx, T.USAGE["查"].format(example=T.EXAMPLE_CODE))
        return
    if code.startswith("H-") and not ctx.msg.is_private:
        await say(ctx, T.TREE_HOLE_QUERY_IN_GROUP.format(bot=ctx.config.bot_name))   # not even whether it exists
        return
    try:
        scope = await D.scope_for(ctx.session, ctx.config, ctx.sender) if staff else None
        view = await N.status_for(ctx.session, code, ctx.sender, scope)
    except N.NeedError as exc:
        await say(ctx, error_text(exc, "query"))
        return
    ctx.private_in_staff_group = view.need.tree_hole
    if staff and not (view.need.tree_hole and code == view.need.follow_code):
        await log_chat_view(ctx, view.need.code)
        await say(ctx, await _staff_status(ctx, view.need))
    else:
        await say(ctx, _resident_status(ctx, view))


async def log_chat_view(ctx: Context, need_code: str | None, detail: str | None = None) -> None:
    """A staff view in chat goes to the web's view log (user id 0: a chat contact, not a web user)."""
    await views.log_view(ctx.session, ctx.now, user_id=0, username=ctx.sender.id[:64], role=str(ctx.sender.role),
                         action="chat", need_code=need_code, detail=detail[:2000] if detail else None)


def _resident_status(ctx: Context, view: N.StatusView) -> str:
    need, shown = view.need, view.shown
    text = T.STATUS_RESIDENT.format(code=need.public_code, category=need.category_name, status=shown.status_name)
    if shown is not need:
        text += T.STATUS_MERGED.format(parent=shown.code)
    if shown.status in N.OPEN_STATUSES and (shown.department or shown.assignee_name):
        text += T.STATUS_HOLDER.format(holder=shown.department or shown.assignee_name)
    if shown.last_reply:
        text += T.STATUS_LAST_REPLY.format(at=fmt_time(shown.last_reply_at, ctx.now, ctx.config),
                                           reply=short(shown.last_reply, 200))
    if shown.resolution and shown.status in N.DONE_STATUSES:
        text += T.STATUS_RESOLUTION.format(resolution=short(shown.resolution, 200))
    if need.satisfaction:
        text += T.STATUS_SATISFACTION.format(satisfaction=N.SATISFACTION_NAMES[N.Satisfaction(need.satisfaction)])
    elif need.tree_hole and need.status == N.Status.RESOLVED:
        text += T.STATUS_TREE_HOLE_RATE.format(code=need.public_code)
    return text


async def _staff_status(ctx: Context, need: N.Need) -> str:
    c = common(need, ctx.now, ctx.config, group=not ctx.msg.is_private, limit=150)
    due = ""
    if need.due_at is not None or need.resolve_due_at is not None:
        due = T.STATUS_STAFF_DUE.format(due=_clock(need, ctx.now, ctx.config).strip())
    text = T.STATUS_STAFF.format(**{**c, "due": due}, holder=need.department or need.assignee_name or "无",
                                 overdue=T.OVERDUE_TAG if need.overdue else "",
                                 created=fmt_time(need.created_at, ctx.now, ctx.config))
    if need.merged_into:
        text += "\n" + T.STATUS_MERGED.format(parent=need.merged_into)
    if need.last_reply:
        text += T.STATUS_LAST_REPLY.format(at=fmt_time(need.last_reply_at, ctx.now, ctx.config),
                                           reply=short(need.last_reply, 80))
    if need.resolution:
        text += T.STATUS_RESOLUTION.format(resolution=short(need.resolution, 80))
    photos = await P.count_for(ctx.session, need.id)
    if photos:
        text += TP.STATUS_PHOTOS.format(n=photos)
    events = await N.events_of(ctx.session, need)
    if events:
        text += T.STATUS_STAFF_HISTORY
        for e in events[-6:]:
            who = f" {e.actor_name}" if e.actor_name else ""
            note = f": {short(e.note, 30)}" if e.note else ""
            text += T.STATUS_STAFF_EVENT.format(at=fmt_time(e.at, ctx.now, ctx.config),
                                                action=T.ACTION_NAMES.get(e.action, e.action), who=who, note=note)
    return text


# ---------------------------------------------------------------- ratings (回访)

_RATING_WORDS = {
    "非常满意": 1, "很满意": 1, "十分满意": 1, "满意": 1, "比较满意": 2, "基本满意": 2, "还算满意": 2, "一般": 2,
    "不太满意": 3, "不满意": 3, "很不满意": 3, "非常不满意": 3,
}
_RATING_RE = re.compile(
    r"^(?:(?P<digit>[123])(?![0-9])|(?P<word>%s))(?P<rest>.*)$"
    % "|".join(map(re.escape, sorted(_RATING_WORDS, key=len, reverse=True))), re.S)


@dataclass(frozen=True)
class RatingArgs:
    score: int              # 1–3; 0: words that answer without rating ("好的"), the bot asks again
    comment: str
    code: str | None
    by_digit: bool
    loose: bool = False     # read from free words ("挺好的谢谢"): only an answer to an open question


_LOOSE_MAX = 40             # longer than this, free words are a new message, not a reply to "请您评价"


def _rating_matcher(view: View) -> RatingArgs | None:
    return view.memo("needs.rating", _read_rating)    # two routes ask, on every group line


def _read_rating(view: View) -> RatingArgs | None:
    strict = _strict_rating(view)
    if strict is not None:
        return strict
    # "满意满意 辛苦小李了🙏", "还行吧 基本满意", "不太满意 还是漏", "挺好的谢谢": a rating only when the bot
    # has just asked this resident (the `rating` route; `rating_unasked` passes on them).
    if len(view.text) > _LOOSE_MAX or N.normalize_code(view.text) is not None:
        return None
    score = _score_in_numbers(view.text)
    if score is None:
        score = getattr(view.understanding, "rating", None) if view.addressed else None
    score = score if score in (1, 2, 3) else speech_acts.rating_in_words(view.text, addressed=view.addressed)
    if score is None:
        return RatingArgs(0, "", None, False, loose=True) if view.addressed and speech_acts.is_bare_ack(view.text) \
            else None
    return RatingArgs(score, view.text.strip(), None, False, loose=True)


# "10分", "打100分", "五星", "给5颗星", "满分": a score out of 5, 10 or 100, read as the three ratings.
_SCORE_RE = re.compile(r"^(?:打|给|我给|给你们?打?)?\s*(?:(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,2}|一百)\s*(?P<unit>分|颗?星)|(?P<full>满分))"
                       r"(?P<rest>.{0,30})$", re.S)


def _score_in_numbers(text: str) -> int | None:
    m = _SCORE_RE.match(text.strip())
    if m is None:
        return None
    if m.group("full"):
        return 1
    try:
        n = int(m.group("n")) if m.group("n").isdigit() else cn_to_int(m.group("n"))
    except ValueError:
        return None
    top = 5 if "星" in m.group("unit") or n <= 5 else (10 if n <= 10 else 100)
    if n > top or n < 0:
        return None
    share = n / top
    return 1 if share >= 0.8 else (2 if share >= 0.6 else 3)


def _strict_rating(view: View) -> RatingArgs | None:
    m = _RATING_RE.match(view.text)
    if m is None:
        return None
    rest = m.group("rest")
    code = N.normalize_code(rest)
    if code is not None:
        rest = N.CODE_RE.sub(" ", rest)
    comment = rest.strip(" ,,。.!!、::;;~")
    if m.group("digit"):
        # "1" / "3 还是没修好" — a bare digit is only a rating when the bot has just asked (checked later)
        if rest and not re.match(r"^[\s,,。.!!、::]", rest):
            return None
        return RatingArgs(int(m.group("digit")), comment, code, True)
    if rest and code is None and not re.match(r"^[\s,,。.!!、::;;~]", rest):
        return None          # "满意度调查…", "不满意的地方…" are not a rating
    if m.group("word") == "一般" and not (view.addressed or code):
        return None
    return RatingArgs(_RATING_WORDS[m.group("word")], comment, code, False)


@router.answer(RATE_QUESTION, match=_rating_matcher, label=T.QUESTION_RATING)
async def rating(ctx: Context, args: RatingArgs) -> Any:
    """The answer to "请为本次服务打分": a digit or words, about the need the bot asked about."""
    assert ctx.question is not None
    code = args.code or ctx.question.data.get("code")
    if args.loose:
        if args.score == 0:
            await say(ctx, TS.RATE_AGAIN.format(code=code))
            return None
        if await _another_problem(ctx, args, code):
            return PASS
    return await _rate(ctx, args, code)


async def _another_problem(ctx: Context, args: RatingArgs, code: str | None) -> bool:
    """"5栋电梯又坏了" while 3栋's light waits for a rating is a new need, not a verdict on the light."""
    u = ctx.view.understanding
    if args.score != 3 or u.intent != "demand" or u.building is None or code is None:
        return False
    try:
        need = await N.get_need(ctx.session, code)
    except N.NeedError:
        return False
    return need.building is not None and u.building != need.building


def _unasked_rating_matcher(view: View) -> RatingArgs | None:
    """What rating_unasked acts on: free words and bare digits answer only an open question (the
    `rating` route), so they are not planned here — chatter like "👍" needs no transaction then."""
    args = _rating_matcher(view)
    if args is None or args.loose or (args.by_digit and args.code is None):
        return None
    return args


@router.route(Stage.FOLLOW_UP, _unasked_rating_matcher)
async def rating_unasked(ctx: Context, args: RatingArgs) -> Any:
    """Rating words with no open question: "满意 D20261123-0001", or "满意" for the need this resident
    was last asked about. A bare digit, or free words, are only a rating when the bot has just asked."""
    if args.loose or (args.by_digit and args.code is None):
        return PASS
    code = args.code
    if code is None:
        need = await N.latest_awaiting_rating(ctx.session, ctx.sender.id, ctx.msg.group_topic) or \
            await N.latest_awaiting_rating(ctx.session, ctx.sender.id)
        code = need.code if need else None
    if code is None:
        return PASS           # "满意了吧" in a group: not ours
    return await _rate(ctx, args, code)


async def _rate(ctx: Context, args: RatingArgs, code: str) -> Any:
    try:
        change = await N.rate(ctx.session, ctx.now, ctx.config, code, args.score, ctx.sender, args.comment)
    except N.NeedError as exc:
        await ctx.answered(RATE_QUESTION)
        if args.by_digit and args.code is None and exc.code in ("illegal", "not_requester"):
            return PASS
        await say(ctx, error_text(exc, "rate"))
        return None
    await ctx.answered(RATE_QUESTION)
    need = change.need
    if change.action == N.Action.REOPEN:
        target = change.extra.get("reopened") or need
        await say(ctx, T.RATED_DISSATISFIED.format(code=need.merged_into or need.code,
                                                   worker=target.assignee_name or "工作人员"))
        await announce_change(ctx.out, ctx.config, change)
    else:
        # a merged neighbour knows the code she was told (the parent's), never her own hidden one
        await say(ctx, T.RATED.format(code=need.merged_into or need.code, bot=ctx.config.bot_name,
                                      satisfaction=N.SATISFACTION_NAMES[N.Satisfaction(need.satisfaction)]))
    return None


def staff_person(config: Config, contact_id: str, name: str, role: Role) -> Person:
    """For callers outside chat (web inbox): the Person an operation is done by."""
    grid = next((w.grid for w in config.workers if w.id == contact_id), None)
    dept = next((d.name for d in config.departments if d.contact_id == contact_id), None)
    return Person(contact_id, name, role, grid, dept)
