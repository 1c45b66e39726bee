"""Function-room booking in chat (功能室预约): read the room, the time and the party size out of what
residents type, always echo the reading of the time, ask when something is missing or ambiguous, and
word the answers. The rules and every change live in models.booking (the web inbox calls the same
operations); every sentence lives in texts.booking.

Routes (CONTRACTS §5 command words work in a group without @; plain language needs @):
  residents  预约 <房间> <时间> · 取消 B101 · 我的预约 · 签到 [B101] · 改到 B101 <时间>
             @小助手 我想订周六上午的自习室两个座 · @小助手 钢琴房明天有空吗 · @小助手 今晚还有哪些房间空
             follow-ups: 1/2/3, 是/对/好, 不是/取消, 排队 (after the bot asked), 是/不要 (a waitlist offer)
  staff      通过 B101 · 拒绝 B101 原因 · 审批 · 封闭 钢琴房 明天 全天 维修 · 今日预约 / 明日预约 ·
             利用率 [本周|上周|本月] · 人气指数 [日|周|月|年] · 预约 每周二晚上7点 多功能厅 舞蹈队

Question kinds (open questions per chat, person and kind, models.conversation; the first four are
one dialogue, so asking one closes the others):
  booking_draft     {text}: room or time missing; the next message is read together with this text
  booking_room_pick {rooms, text, intent}: a name that fits several rooms; "1"/"2" or a name picks
  booking_choice    {room, options, party, purpose, waitlist}: numbered options (ambiguous time,
                    free slots after a refusal); "排队" joins the waitlist for the asked slot
  booking_context   {room, start, end, vague}: what an availability answer was about, so that
                    "那帮我订一个座" books exactly that
  booking_offer     {code}: a waitlist offer (set by scheduler.booking_jobs); "是" takes it
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from dataclasses import replace
from typing import Any

from kernel.calendar_cn import calendar_for
from kernel.config import Config, RoomConfig
from kernel.identity import STAFF
from kernel.text.numbers import SIGNED_NUMERAL, cn_to_int, read_count
from kernel.text.timeparse import DAY_MISMATCH, END_BEFORE_START, IN_PAST, INVALID_DATE, NONE_FOUND, OPEN_START, \
    TWO_DAYS, TWO_TIMES, WHICH_DAY, TimeReading, \
    describe, parse_span, strip_noise
from texts import booking as T
from texts import trail as TR
from notices import booking as notices
from handlers.base import PASS, Context, Router, Stage, View
from models import booking as ops
from models import booking_stats as stats
from models.booking import Booking, BookingError, RoomMatch, Status

router = Router("booking")

# ------------------------------------------------------------------ cheap patterns (matchers: no DB)

_CODE = r"([Bb]\d{3,6})(?![0-9])"
BOOK_CMD_RE = re.compile(r"^(?:预约|预订|预定)(?![了过的好完成])[\s:：]*(.*)$", re.S)
CANCEL_RE = re.compile(rf"^(?:取消|撤销|退订|退掉)(?:预约|预订)?[\s:：]*{_CODE}\s*(.*)$", re.S)
CANCEL_BARE_RE = re.compile(r"^(?:取消预约|取消预订|退订预约)[\s。!！]*$")
# "我的预约" and how residents ask it: 我约了哪些 / 我都订了啥 / 查一下我预约的房间 / 我预约了几个 (a question
# or 了/过/的 after the verb: "我预约" alone is someone starting a booking)
_MINE_VERB = r"(?:约|预约|订|预订|预定)"
_MINE_ASK = r"(?:哪些|哪几个|哪个|什么|啥|几个|多少|些啥)"
MINE_RE = re.compile(
    r"^(?:查看|查询|查|看看|看一下|查一下)?(?:一下)?(?:"
    r"我的(?:预约|预订)(?:记录|情况)?|(?:预约|预订)记录|(?<=[查看询下])(?:预约|预订)|"
    rf"我(?:都|还|现在|目前)?{_MINE_VERB}(?:了|过)(?:{_MINE_ASK})?(?:房间|功能室|场地|时间)?|"
    rf"我(?:都|还|现在|目前)?{_MINE_VERB}的(?:房间|功能室|场地|时间)?(?:{_MINE_ASK})?|"
    rf"我(?:都|还)?{_MINE_VERB}{_MINE_ASK}(?:房间|功能室|场地)?"
    r")(?:呢|吗|啊|呀|来着)?[\s?？!！。]*$")
# "我订的琴房是几点来着", "我约的乒乓球室是哪天": the sender's own bookings, asked about one room
MINE_WHEN_RE = re.compile(rf"^我(?:都|还|之前|刚才|刚刚)?{_MINE_VERB}(?:了|的)[^\s,，。]{{0,8}}?(?:是|在)?"
                          r"(?:几点|什么时候|啥时候|哪天|哪一天|几号|什么时间|啥时间)")
# "推迟一个小时", "提前半小时": the sender's only booking moved by that much
SHIFT_RE = re.compile(r"^(?:能不能|可以|麻烦|帮我|请)?(?:把)?(?:预约|时间)?\s*(?P<dir>推迟|延后|推后|往后推|往后挪|顺延|提前|往前挪|提早)"
                      r"\s*(?P<n>\d+|[一二两俩三四五六七八九十半])\s*个?\s*(?P<half>半)?\s*(?P<unit>小时|钟头|分钟)"
                      r"(?:吧|可以吗|行吗|吗)?[\s。.!！?？]*$")
CHECKIN_RE = re.compile(rf"^(?:签到|打卡签到)[\s:：]*(?:{_CODE})?[\s。!！]*$")
CHANGE_RE = re.compile(rf"^(?:改到|改期|改时间|修改预约|修改|调整|改)[\s:：]*{_CODE}[\s:：]*"
                       rf"(?:改到|改成|改为|换到|调到|到|为)?\s*(.+)$", re.S)
CHANGE_RE2 = re.compile(rf"^{_CODE}[\s:：]*(?:改到|改成|改为|改期到|换到|调到)\s*(.+)$", re.S)
# Changing or cancelling without the code ("改到4点", "能不能改成后天同一时间", "帮我把钢琴房取消了吧"): the
# sender's own booking when only one fits.
CHANGE_NOCODE_RE = re.compile(
    r"^(?:那|那个|麻烦|帮我|请|能不能|能否|可不可以|可以|我想|我要|想)*\s*(?:把|将)?\s*(?P<room>[^\s,，。]{0,8}?)"
    r"(?:的?预约|的?预订|的)?\s*(?:改到|改成|改为|改在|换到|换成|调到|调成|推迟到|推到|延到|提前到|挪到)\s*(?P<rest>.+?)"
    r"(?:可以吗|行吗|行不行|好吗|吗|么|嘛|呢|吧)?[?？。.!！\s~～]*$", re.S)
CANCEL_WORD = re.compile(r"取消|退掉|退订|不约了|不要了|不用了|不去了|去不了")
WEEKLY_RE = re.compile(r"^每(?:个)?(?:周|星期|礼拜)[一二三四五六日天1-7]")

APPROVE_RE = re.compile(rf"^(?:审批|通过|同意|批准)(?:预约)?[\s:：]*{_CODE}[\s。!！]*$")
APPROVALS_RE = re.compile(r"^(?:审批|待审批|待审批预约|预约审批)[\s?？]*$")
REJECT_RE = re.compile(rf"^(?:拒绝|驳回|不通过|不批准)(?:预约)?[\s:：]*{_CODE}[\s:：,，]*(.*)$", re.S)
BLOCK_RE = re.compile(r"^(?:封闭|封场|停用|暂停开放)[\s:：]*(.*)$", re.S)
DAY_RE = re.compile(r"^(今日|今天|明日|明天)(?:的)?预约(?:情况|一览)?[\s?？]*$")
UTIL_RE = re.compile(r"^(?:功能室)?(?:利用率|使用率|忙闲)[\s:：]*(.*)$")
POP_RE = re.compile(r"^人气(?:指数)?[\s:：]*(.*)$")
TRAIL_RE = re.compile(rf"^(?:操作)?(?:记录|历史|日志)[\s:：]*{_CODE}[\s。?？]*$")

BOOK_VERB = re.compile(r"预约|预订|预定|(?<![大相节])约(?![了好定会束])|订(?![了单阅])|借用?|租|包场|想用|要用|占个?座")
AVAIL_RE = re.compile(r"有人用|有人约|被人约|被约|没人用|有人占|有空|空闲|空着|空位|空座|空房|还有座|有座|有位|有没有位|余位|剩.{0,2}座|能约|能订|可以约"
                      r"|可以订|可约|可订|约满|满了吗|还空|哪些房间|哪个房间|什么房间|房间.{0,3}空|空.{0,2}房间")
SPACE_WORDS = re.compile(r"房间|功能室|场地|座位|座|位子")
# Needs (something broken, dirty, noisy) and events (a talk or class held in a room) that name a room.
NOT_BOOKING = re.compile(r"坏|修|漏|堵|脏|吵|投诉|反映|报修|不亮|没电|停水|停电|异味|臭|几点开门|几点关门|开放时间|收费"
                         r"|报名|讲座|课堂|培训班|接龙|活动(?!室|大厅)")
TIME_HINT = re.compile(r"\d|[点时:：]|今天|明天|后天|今晚|明早|明晚|周|星期|礼拜|上午|下午|晚上|早上|中午|号|月")
SHORT_ANSWER = re.compile(
    r"^(?:是|是的|对|对的|好|好的|可以|行|确认|确定|嗯|嗯嗯|要|要的|[1-9]|[一二三四五六七八九]|第[一二三四五六七八九1-9]个?"
    r"|不是|不要|不用|不用了|不了|取消|算了|不约了|排队|候补|排队候补|登记候补|我要排队)[\s。.!！~～]*$")
YES = re.compile(r"^(?:是|是的|对|对的|好|好的|可以|行|确认|确定|嗯|嗯嗯|要|要的)")
NO = re.compile(r"^(?:不是|不要|不用|不用了|不了|取消|算了|不约了)")
QUEUE = re.compile(r"排队|候补")
PARTY_RE = re.compile(rf"({SIGNED_NUMERAL})\s*个?\s*(座位|位子|座|位|个人|人|名)")
ROOMISH_RE = re.compile(r"([\u4e00-\u9fff]{1,4}?(?:室|房|厅|坊|馆|池|场|教室))(?!间|子)")
NOT_A_NAME = re.compile(r"哪|什么|啥|些|几|空|有")
FILLER_EDGE = re.compile(r"^(?:[\s,，。.!！?？~～、]|帮我|帮忙|麻烦|请|我想|我要|想要|想|要|预约|预订|预定|订|约|借用?|租"
                         r"|用来|用于|用|一下|的|个|那|就|给我|全天|一整天|整天)+"
                         r"|(?:[\s,，。.!！?？~～、]|一下|吧|呢|啊|哈|谢谢|的|用|全天|大概|大约|差不多|左右|估计|可能)+$")
# booking_hours {code}: a whole part of day was booked ("下午"); hours said next ("两点到四点") narrow it
HOURS = "booking_hours"
DIALOGUE = ("booking_draft", "booking_room_pick", "booking_choice", "booking_context", HOURS)
OFFER = "booking_offer"


def _mentions_room(view: View) -> bool:
    return ops.mentions_room(view.config, view.text)


# ------------------------------------------------------------------ small formatting helpers

_when = notices.when     # "明天(11月24日 周二)下午 15:00–16:00", the same words as the notices


def _hm(config: Config, t: datetime) -> str:
    return f"{t.astimezone(config.timezone):%H:%M}"


def _md(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _dur(minutes: float) -> str:
    m = int(round(minutes))
    h, rest = divmod(m, 60)
    if h and rest:
        return f"{h}小时{rest}分钟"
    return f"{h}小时" if h else f"{rest}分钟"


def _rooms(config: Config, is_staff: bool = False) -> str:
    return "、".join(r.name for r in config.rooms if is_staff or r.who != "staff")


def _party(room: RoomConfig, n: int) -> str:
    if room.per_seat:
        return T.PARTY_SEATS.format(n=n)
    return T.PARTY_PEOPLE.format(n=n) if n > 1 else ""


def _party_of(b: Booking, config: Config) -> str:
    return notices.party(config, b)


def _spans(config: Config, spans: Any) -> str:
    return "、".join(f"{_hm(config, s)}–{_end_hm(config, s, e)}" for s, e in spans)


def _end_hm(config: Config, s: datetime, e: datetime) -> str:
    ls, le = s.astimezone(config.timezone), e.astimezone(config.timezone)
    return "24:00" if le.time() == time(0) and le.date() > ls.date() else f"{le:%H:%M}"


def _iso(t: datetime) -> str:
    return t.isoformat()


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


# ------------------------------------------------------------------ reading a request

def _read_party(text: str) -> tuple[int | None, str]:
    m = PARTY_RE.search(text)
    if m is None:
        return None, text
    try:
        n = read_count(m.group(1))
    except ValueError:
        return None, text
    # As typed, sign included: "-3个座" is refused (_request), "600个座" meets the room's capacity rule.
    return n, text[:m.start()] + " " + text[m.end():]


def _default_minutes(config: Config, room: RoomConfig | None) -> int:
    base = config.booking.default_minutes
    if room is None:
        return base
    return max(room.min_minutes, min(base, room.max_minutes))


def _read_time(config: Config, now: datetime, text: str, room: RoomConfig | None, *, hours: bool = True
               ) -> TimeReading:
    noise = strip_noise(text, ops.room_words(config))
    if hours:
        h = room.hours if room else RoomConfig.hours
        reading = parse_span(noise, now, config.timezone, open_from=h.start, open_until=h.end,
                             default_minutes=_default_minutes(config, room), calendar=calendar_for(config),
                             late_duration=True)
        return _one_day(reading)
    return parse_span(noise, now, config.timezone, calendar=calendar_for(config))


def _one_day(reading: TimeReading) -> TimeReading:
    """A room is booked for hours of one day: "下周一到周三" or "周末下午" (Saturday or Sunday?) asks which day."""
    if reading.error is None and reading.before:
        return replace(reading, error=OPEN_START, start=None, end=None)   # "明天4点之前": from when?
    if reading.error is not None or reading.start is None or reading.end is None or reading.recurrence:
        return reading
    spans_days = (reading.end - timedelta(minutes=1)).date() > reading.start.date()
    if (spans_days and reading.vague) or (reading.ambiguous and reading.vague):
        return replace(reading, error=WHICH_DAY, ambiguous=False, alternatives=())
    return reading


def _purpose(config: Config, text: str, reading: TimeReading) -> str:
    rest = strip_noise(text, ops.room_words(config))
    if reading.matched:
        rest = rest.replace(reading.matched, " ")
    rest = re.sub(r"\s+", " ", rest)
    prev = None
    while prev != rest:
        prev = rest
        rest = FILLER_EDGE.sub("", rest).strip()
    return rest if len(rest) >= 2 else ""


def _unknown_word(config: Config, text: str) -> str | None:
    """A word that looks like a room name but is none of ours (游泳池), for "没有这个房间"."""
    for m in ROOMISH_RE.finditer(strip_noise(text, ops.room_words(config))):
        word = FILLER_EDGE.sub("", m.group(1))
        word = re.sub(r"^.*?(?:预约|预订|预定|订|约|借|去|的|个)", "", word)
        if len(word) >= 2 and not NOT_A_NAME.search(word):
            return word
    return None


# ------------------------------------------------------------------ replies shared by several routes

def _rule_text(config: Config, now: datetime, exc: BookingError, room: RoomConfig, start: datetime | None,
               end: datetime | None, party: int) -> str:
    d = exc.detail
    when = _when(config, now, start, end) if start else ""
    code = exc.code
    if code == "over_capacity":
        code = "over_capacity_seats" if room.per_seat else "over_capacity"
    if code == "conflict" and d.get("buffer") and not d.get("overlap", True):
        code = "conflict_buffer"
    if code == "seats_full" and d.get("free"):
        code = "seats_short"
    template = T.RULES.get(code)
    if template is None:
        return notices.code_error(config, now, exc)
    values = {
        "room": room.name, "when": when, "party": party, "capacity": d.get("capacity", room.capacity),
        "hours": str(room.hours), "min": _dur(d.get("min", room.min_minutes)),
        "max": _dur(d.get("max", room.max_minutes)), "days": d.get("days", room.advance_days),
        "last": _md(d["last"]) if d.get("last") else "", "buffer": d.get("buffer", room.buffer_minutes),
        "free": d.get("free", 0), "weekday": T.WEEKDAYS[d["weekday"]] if "weekday" in d else "",
        "day": _md(d["day"]) if d.get("day") else "",
        "reason": f"({d['reason']})" if d.get("reason") else "",
    }
    if exc.code == "over_quota":
        left = d.get("left_minutes", 0)
        values.update(used=_dur(d.get("used_minutes", 0)), quota=f"{d.get('quota_hours', 0):g}",
                      left=T.QUOTA_LEFT.format(left=_dur(left)) if left else T.QUOTA_NONE)
    text = template.format(**values)
    if "{when}" not in template and when:
        text = f"{room.name} {when}: {text}"
    return text


def _options_text(config: Config, now: datetime, options: list[tuple[datetime, datetime | None]]) -> str:
    return "\n".join(T.OPTION_LINE.format(n=i, when=_when(config, now, s, e)) for i, (s, e) in enumerate(options, 1))


async def _refuse(ctx: Context, exc: BookingError, room: RoomConfig, start: datetime, end: datetime, party: int,
                  purpose: str) -> None:
    """Say why not, and offer what would work: nearby free slots (pick by number) or the waitlist."""
    config, now = ctx.config, ctx.now
    text = _rule_text(config, now, exc, room, start, end, party)
    suggestions = exc.detail.get("suggestions")
    can_wait = exc.code in ("conflict", "seats_full", "seats_short") and end > now
    if suggestions is not None:
        waitlist = T.SUGGEST_WAITLIST if can_wait else ""
        if suggestions:
            text += T.SUGGEST.format(options=_options_text(config, now, suggestions), waitlist=waitlist)
        else:
            text += T.SUGGEST_NONE.format(waitlist=waitlist)
        await ctx.ask("booking_choice", replaces=DIALOGUE, data={
            "room": room.name, "options": [[_iso(s), _iso(e)] for s, e in suggestions], "party": party,
            "purpose": purpose, "waitlist": [_iso(start), _iso(end)] if can_wait else None,
        }, ttl=timedelta(minutes=30))
    await ctx.reply(text)


async def _book(ctx: Context, room: RoomConfig, start: datetime, end: datetime, party: int, purpose: str,
                note: str = "", tail: str = "") -> Booking | None:
    """`note`: said right after the time; `tail`: a last line of the answer."""
    config, now = ctx.config, ctx.now
    try:
        b = await ops.create_booking(ctx.session, now, config, room=room.name, person_id=ctx.sender.id,
                                     person_name=ctx.sender.name, start=start, end=end, party_size=party,
                                     is_staff=ctx.sender.is_staff, scope=ctx.view.scope, purpose=purpose)
    except BookingError as exc:
        if exc.code != "same_booking":
            await _refuse(ctx, exc, room, start, end, party, purpose)
            return None
        await ctx.answered(*DIALOGUE)
        b = await ops.get_booking(ctx.session, exc.detail["code"])
        await ctx.reply(T.SAME_BOOKING.format(code=b.code, room=b.room_name, party=_party_of(b, config),
                                              when=_when(config, now, b.start_at, b.end_at)))
        return b
    await ctx.answered(*DIALOGUE)
    await _announce(ctx, b, note, tail)
    return b


async def _announce(ctx: Context, b: Booking, note: str = "", tail: str = "") -> None:
    config, now = ctx.config, ctx.now
    when = _when(config, now, b.start_at, b.end_at) + note
    party = _party_of(b, config)
    purpose = T.PURPOSE.format(purpose=b.purpose) if b.purpose else ""
    if b.status == Status.PENDING:
        await ctx.reply(T.BOOKED_PENDING.format(room=b.room_name, when=when, party=party, purpose=purpose,
                                                code=b.code) + tail)
        await notices.approval_wanted(ctx.out, config, now, b)
    else:
        await ctx.reply(T.BOOKED.format(room=b.room_name, when=when, party=party, code=b.code,
                                        grace=config.booking.checkin_grace_minutes) + tail)


# ------------------------------------------------------------------ the booking conversation

async def _request(ctx: Context, text: str, *, room: RoomConfig | None = None, intent: str = "book") -> None:
    """Book (or, intent="avail", answer availability) from free text, asking for what is missing."""
    config, now = ctx.config, ctx.now
    match = RoomMatch((room,)) if room else ops.find_rooms(config, text)
    if len(match.rooms) > 1:
        await ctx.ask("booking_room_pick", replaces=DIALOGUE, data={"rooms": [r.name for r in match.rooms], "text": text,
                                                  "intent": intent})
        options = "、".join(f"{i}. {r.name}" for i, r in enumerate(match.rooms, 1))
        await ctx.reply(T.AMBIGUOUS_ROOM.format(word="、".join(match.words) or text, options=options))
        return
    room = match.room
    if room is None and (word := _unknown_word(config, text)):
        await ctx.reply(T.UNKNOWN_ROOM.format(word=word, rooms=_rooms(config, ctx.sender.is_staff)))
        return
    context: dict[str, Any] | None = None
    if (state := await ctx.pending("booking_context")) is not None:
        context = state.data
    if room is None and intent == "book" and context is not None:
        room = ops.room_config(config, context["room"])
    if room is None:
        if intent == "avail":
            await _rooms_free(ctx, text)
            return
        await ctx.ask("booking_draft", replaces=DIALOGUE, data={"text": text})
        reading = _read_time(config, now, _read_party(text)[1], None)
        heard = T.HEARD_TIME.format(when=describe(reading, now, config.timezone)) if reading.ok else ""
        await ctx.reply(heard + T.ASK_ROOM.format(rooms=_rooms(config, ctx.sender.is_staff),
                                                  example="明天下午3点到5点"))
        return
    if room.who == "staff" and not ctx.sender.is_staff:
        await ctx.reply(T.RULES["staff_only"].format(room=room.name))
        return

    party, rest = _read_party(text)
    if party is not None and party < 1:
        await ctx.reply(T.BAD_PARTY.format(room=room.name, capacity=room.capacity))
        return
    reading = _read_time(config, now, rest, room)
    purpose = _purpose(config, rest, reading)
    if intent == "avail":
        await _availability(ctx, room, reading)
        return
    if reading.error == NONE_FOUND:
        if context is not None and context["room"] == room.name:
            start, end = _dt(context["start"]), _dt(context["end"])
            if context.get("vague"):
                await _pick_in_span(ctx, room, start, end, party or 1, purpose)
            else:
                await _book(ctx, room, start, end, party or 1, purpose)
            return
        await ctx.ask("booking_draft", replaces=DIALOGUE, data={"text": text})
        await ctx.reply(T.ASK_TIME.format(room=room.name, hours=room.hours))
        return
    if not await _time_ok(ctx, reading):
        if reading.error in (WHICH_DAY, TWO_DAYS, DAY_MISMATCH, OPEN_START):
            # The answer ("明天吧 下午两点到三点") completes this request: keep the room and the rest.
            rest_words = text.replace(reading.matched, " ") if reading.matched else text
            if not ops.mentions_room(config, rest_words):
                rest_words = f"{room.name} {rest_words}"
            await ctx.ask("booking_draft", replaces=DIALOGUE, data={"text": rest_words})
        return
    assert reading.start is not None
    if reading.recurrence == "weekly":
        await _series(ctx, room, reading, party or 1, purpose)
        return
    if reading.recurrence == "daily":
        await ctx.reply(T.DAILY_NOT_SUPPORTED)
        return
    if reading.ambiguous:
        options = [(s, e) for s, e in reading.alternatives if e is not None]
        await ctx.ask("booking_choice", replaces=DIALOGUE, data={"room": room.name, "options": [[_iso(s), _iso(e)] for s, e in options],
                                               "party": party or 1, "purpose": purpose, "waitlist": None})
        await ctx.reply(T.AMBIGUOUS_TIME.format(options=_options_text(config, now, options)))
        return
    assert reading.end is not None
    if reading.vague:
        await _pick_in_span(ctx, room, reading.start, reading.end, party or 1, purpose)
        return
    note = "" if reading.has_end else T.DEFAULT_LENGTH.format(minutes=int((reading.end - reading.start).total_seconds() // 60))
    await _book(ctx, room, reading.start, reading.end, party or 1, purpose, note)


async def _time_ok(ctx: Context, reading: TimeReading) -> bool:
    config, now = ctx.config, ctx.now
    if reading.error is None:
        return True
    if reading.error == INVALID_DATE:
        await ctx.reply(T.INVALID_DATE.format(matched=reading.matched))
    elif reading.error == END_BEFORE_START and reading.start is not None:
        await ctx.reply(T.END_BEFORE_START.format(when=_when(config, now, reading.start, reading.end)))
    elif reading.error == IN_PAST and reading.start is not None:
        await ctx.reply(T.IN_PAST.format(when=_when(config, now, reading.start, reading.end)))
    elif reading.error in (WHICH_DAY, TWO_DAYS):
        await ctx.reply(T.WHICH_DAY.format(matched=reading.matched))
    elif reading.error == TWO_TIMES:
        await ctx.reply(T.TWO_TIMES.format(matched=reading.matched))
    elif reading.error == OPEN_START:
        await ctx.reply(T.OPEN_START.format(matched=reading.matched))
    elif reading.error == DAY_MISMATCH:
        await ctx.reply(T.DAY_MISMATCH.format(matched=reading.matched))
    else:
        await ctx.reply(T.NO_TIME_ANSWER)
    return False


async def _pick_in_span(ctx: Context, room: RoomConfig, start: datetime, end: datetime, party: int,
                        purpose: str) -> None:
    """A part of day or a whole day (周六上午, 明天): book it if it fits the room's limits, else offer
    free stretches of the longest allowed length inside it."""
    config, now = ctx.config, ctx.now
    length = (end - start).total_seconds() / 60
    if room.min_minutes <= length <= room.max_minutes:
        local = start.astimezone(config.timezone)
        example = f"{local.hour % 12 or 12}点到{(local.hour + 2) % 12 or 12}点"
        b = await _book(ctx, room, start, end, party, purpose, tail=T.WHOLE_SPAN.format(example=example))
        if b is not None and b.person_id == ctx.sender.id:
            await ctx.ask(HOURS, {"code": b.code}, ttl=timedelta(minutes=30))
        return
    slot = timedelta(minutes=room.max_minutes if length > room.max_minutes else room.min_minutes)
    options: list[tuple[datetime, datetime]] = []
    if length > room.max_minutes:
        avail = await ops.availability(ctx.session, now, config, room.name, start, end)
        for s, e in avail.free_spans:
            t = s
            while t + slot <= e and len(options) < 3:
                options.append((t, t + slot))
                t += slot
            if len(options) >= 3:
                break
    if not options:
        req = ops.Request(room, ctx.sender.id, start, start + slot, party, ctx.sender.is_staff)
        options = await ops.suggest_slots(ctx.session, now, config, req)
    if not options:
        await ctx.reply(T.AVAIL_FULL.format(room=room.name, day=_when(config, now, start, end)))
        return
    await ctx.ask("booking_choice", replaces=DIALOGUE, data={"room": room.name, "options": [[_iso(s), _iso(e)] for s, e in options],
                                           "party": party, "purpose": purpose, "waitlist": None})
    await ctx.reply(T.PICK_IN_SPAN.format(room=room.name, max=_dur(slot.total_seconds() / 60),
                                          when=_when(config, now, start, end),
                                          options=_options_text(config, now, list(options))))


async def _series(ctx: Context, room: RoomConfig, reading: TimeReading, party: int, purpose: str) -> None:
    config, now = ctx.config, ctx.now
    if not ctx.sender.is_staff:
        await ctx.reply(T.SERIES_STAFF_ONLY.format(room=room.name))
        return
    assert reading.start is not None and reading.end is not None
    result = await ops.create_series(ctx.session, now, config, room=room.name, person_id=ctx.sender.id,
                                     person_name=ctx.sender.name, start=reading.start, end=reading.end,
                                     party_size=party, scope=ctx.view.scope, purpose=purpose)
    lines = "\n".join(T.SERIES_SKIP_LINE.format(
        when=_when(config, now, s, e), why=_rule_text(config, now, exc, room, s, e, party))
        for s, e, exc in result.skipped)
    if not result.created:
        await ctx.reply(T.SERIES_NONE.format(lines=lines))
        return
    first, last = result.created[0], result.created[-1]
    text = T.SERIES_DONE.format(purpose=purpose or room.name, room=room.name,
                                when=describe(reading, now, config.timezone), n=len(result.created),
                                first=first.code, last=last.code)
    if result.skipped:
        text += T.SERIES_SKIPPED.format(n=len(result.skipped), lines=lines)
    await ctx.reply(text)


async def _availability(ctx: Context, room: RoomConfig, reading: TimeReading) -> None:
    config, now = ctx.config, ctx.now
    tz = config.timezone
    if reading.error == NONE_FOUND:
        today = now.astimezone(tz).date()
        start = datetime.combine(today, time(0), tzinfo=tz)
        reading = TimeReading(start=start, end=start + timedelta(days=1), vague=True)
    elif not await _time_ok(ctx, reading):
        return
    assert reading.start is not None
    start = reading.start
    end = reading.end or start + timedelta(minutes=_default_minutes(config, room))
    avail = await ops.availability(ctx.session, now, config, room.name, start, end)
    when = _when(config, now, start, end)
    long_span = reading.vague and (end - start) > timedelta(minutes=room.max_minutes)
    if avail.closed:
        closed = T.AVAIL_CLOSED_DAYS.format(days="、".join(T.WEEKDAYS[d] for d in room.closed_weekdays)) \
            if room.closed_weekdays else ""
        await ctx.reply(T.AVAIL_CLOSED.format(room=room.name, when=when, hours=room.hours, closed=closed))
        return
    when = _when(config, now, avail.start, avail.end)
    spans_text = _spans(config, avail.free_spans)
    if room.per_seat and not long_span:
        if avail.free_seats > 0:
            await ctx.reply(T.AVAIL_SEATS.format(room=room.name, when=when, free=avail.free_seats,
                                                 capacity=room.capacity))
        else:
            more = T.AVAIL_SPANS_SHORT.format(spans=spans_text) if avail.free_spans else ""
            await ctx.reply(T.AVAIL_SEATS_NONE.format(room=room.name, when=when, spans=more))
    elif long_span:
        if avail.free_spans:
            await ctx.reply(T.AVAIL_SPANS.format(room=room.name, day=when, spans=spans_text))
        else:
            await ctx.reply(T.AVAIL_FULL.format(room=room.name, day=when))
    elif avail.free:
        await ctx.reply(T.AVAIL_FREE.format(room=room.name, when=when))
    else:
        more = T.AVAIL_SPANS_SHORT.format(spans=spans_text) if avail.free_spans else ""
        await ctx.reply(T.AVAIL_BUSY.format(room=room.name, when=when, spans=more))
    await ctx.ask("booking_context", replaces=DIALOGUE, data={"room": room.name, "start": _iso(avail.start), "end": _iso(avail.end),
                                            "vague": bool(long_span or (avail.end - avail.start)
                                                          > timedelta(minutes=room.max_minutes))})


async def _rooms_free(ctx: Context, text: str) -> None:
    """今晚还有哪些房间空: every room a person may book, for one span."""
    config, now = ctx.config, ctx.now
    tz = config.timezone
    reading = _read_time(config, now, text, None, hours=False)
    if reading.error == NONE_FOUND:
        start = now
        end = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(0), tzinfo=tz)
    elif not await _time_ok(ctx, reading):
        return
    else:
        assert reading.start is not None
        start = reading.start
        end = reading.end or start + timedelta(minutes=_default_minutes(config, None))
    when = _when(config, now, start, end)
    lines = []
    for a in await ops.rooms_free(ctx.session, now, config, start, end, is_staff=ctx.sender.is_staff):
        if a.closed or not a.free_spans:
            continue
        full = a.free and a.start <= max(start, now) + timedelta(minutes=5) and a.end >= end
        if a.room.per_seat and a.free_seats:
            extra = T.ROOMS_FREE_SEATS.format(free=a.free_seats)
            if not full:
                extra += T.ROOMS_FREE_PART.format(spans=_spans(config, a.free_spans))
        elif full:
            extra = ""
        else:
            extra = T.ROOMS_FREE_PART.format(spans=_spans(config, a.free_spans))
        lines.append(T.ROOMS_FREE_LINE.format(room=a.room.name, extra=extra))
    if not lines:
        await ctx.reply(T.ROOMS_FREE_NONE.format(when=when))
        return
    await ctx.reply("\n".join([T.ROOMS_FREE_HEADER.format(when=when), *lines, T.ROOMS_FREE_FOOTER]))


# ------------------------------------------------------------------ resident routes

def match_book_command(view: View) -> tuple[str, str] | None:
    m = BOOK_CMD_RE.match(view.text)
    if m is None:
        return None
    rest = m.group(1).strip()
    if not rest:
        return ("usage", "")
    if not view.addressed and not (_mentions_room(view) or ROOMISH_RE.search(rest) and TIME_HINT.search(rest)):
        return None   # "预约挂号好难" in a group: not for us
    if AVAIL_RE.search(rest):
        return ("avail", rest)
    return ("book", rest)


@router.route(Stage.RESIDENT_COMMAND, match_book_command)
async def book_command(ctx: Context, args: tuple[str, str]) -> None:
    intent, rest = args
    if intent == "usage":
        await ctx.reply(T.USAGE.format(bot=ctx.config.bot_name, rooms=_rooms(ctx.config, ctx.sender.is_staff)))
        return
    await _request(ctx, rest, intent=intent)


def match_plain(view: View) -> tuple[str, str] | None:
    """Addressed plain language that is clearly about rooms (a room or seat named, a booking verb or
    an availability question). Runs at the command stage so that the needs classifier never sees it."""
    if not view.addressed:
        return None
    t = view.text
    if len(t) > 80 or NOT_BOOKING.search(t) or MINE_WHEN_RE.match(t):
        return None
    room = _mentions_room(view)
    if WEEKLY_RE.match(t) and room:
        return ("book", t)
    if AVAIL_RE.search(t) and (room or SPACE_WORDS.search(t)):
        return ("avail", t)
    if BOOK_VERB.search(t) and (room or SPACE_WORDS.search(t)):
        return ("book", t)
    if (room and len(t) <= 40 and not QUESTION.search(t) and not CANCEL_WORD.search(t) and not NOT_PLAIN.search(t)
            and _names_when(view)):
        return ("book", t)   # "琴房 后天上午十点到十一点 我孙女练琴": a room and a day or hours is a booking
    return None


PARTY_ONLY = re.compile(r"^\s*(?:\d+|[一二两俩三四五六七八九十]+)\s*个?\s*(?:人|位|大人|小孩)")
NOT_PLAIN = re.compile(r"改到|改成|改为|换到|推迟|提前|到了|到啦|签到|我订的|我约的|我预约的")
QUESTION = re.compile(r"[?？吗么嘛]|没有|有没|开门|关门|在哪|哪里|怎么|几点|多少|谁")


def _names_when(view: View) -> bool:
    reading = _read_time(view.config, view.msg.at, view.text, None)
    return reading.error != NONE_FOUND and (reading.dated or not reading.vague)


@router.route(Stage.RESIDENT_COMMAND, match_plain)
async def plain_request(ctx: Context, args: tuple[str, str]) -> None:
    intent, text = args
    if re.search(r"怎么(?:预约|约|订)|如何(?:预约|订)", text):
        await ctx.reply(T.USAGE.format(bot=ctx.config.bot_name, rooms=_rooms(ctx.config, ctx.sender.is_staff)))
        return
    await _request(ctx, text, intent=intent)


def match_weekly_staff(view: View) -> str | None:
    # 每周二晚上7点 多功能厅 舞蹈队 — staff may say it without 预约 and without @.
    if view.sender.is_staff and WEEKLY_RE.match(view.text) and _mentions_room(view):
        return view.text
    return None


@router.route(Stage.STAFF_COMMAND, match_weekly_staff)
async def weekly_staff(ctx: Context, text: str) -> None:
    await _request(ctx, text)


def match_intent(view: View) -> str | None:
    """@小助手 帮我订明天下午3点 (no room named): ask which room, or use what was just discussed."""
    t = view.text
    if len(t) <= 60 and BOOK_VERB.search(t) and TIME_HINT.search(t) and not NOT_BOOKING.search(t):
        return t
    return None


@router.route(Stage.INTENT, match_intent)
async def intent_request(ctx: Context, text: str) -> None:
    await _request(ctx, text)


@router.route(Stage.RESIDENT_COMMAND, lambda v: (m := CANCEL_RE.match(v.text)) and (m.group(1), m.group(2)))
async def cancel(ctx: Context, args: tuple[str, str]) -> None:
    code, reason = args
    config, now = ctx.config, ctx.now
    try:
        b = await ops.cancel_booking(ctx.session, now, code, by_id=ctx.sender.id, is_staff=ctx.sender.is_staff,
                                     reason=reason.strip(), by_name=ctx.sender.name)
    except BookingError as exc:
        await ctx.reply(notices.code_error(config, now, exc))
        return
    when = _when(config, now, b.start_at, b.end_at)
    await ctx.reply(T.CANCELLED.format(code=b.code, room=b.room_name, when=when))
    if b.person_id != ctx.sender.id:
        await notices.cancelled_by_staff(ctx.out, config, now, b)


@router.route(Stage.RESIDENT_COMMAND, lambda v: CANCEL_BARE_RE.match(v.text) and "")
async def cancel_how(ctx: Context, _args: str) -> None:
    mine = await _mine_text(ctx)
    await ctx.reply(T.CANCEL_HOW.format(mine=mine))


async def _mine_text(ctx: Context) -> str:
    config, now = ctx.config, ctx.now
    rows = await ops.my_bookings(ctx.session, now, ctx.sender.id)
    if not rows:
        return T.MINE_NONE
    lines = [T.MINE_HEADER.format(n=len(rows))]
    lines += [T.MINE_LINE.format(code=b.code, room=b.room_name, when=_when(config, now, b.start_at, b.end_at),
                                 party=_party_of(b, config), status=T.STATUS.get(b.status, b.status)) for b in rows]
    return "\n".join(lines + [T.MINE_FOOTER])


@router.route(Stage.RESIDENT_COMMAND, lambda v: (MINE_RE.match(v.text) or MINE_WHEN_RE.match(v.text)) and "")
async def mine(ctx: Context, _args: str) -> None:
    await ctx.reply(await _mine_text(ctx))


@router.route(Stage.RESIDENT_COMMAND, lambda v: (m := CHECKIN_RE.match(v.text)) and (m.group(1) or ""))
async def check_in(ctx: Context, code: str) -> Any:
    config, now = ctx.config, ctx.now
    if not code:
        b = await ops.checkin_candidate(ctx.session, now, config, ctx.sender.id)
        if b is None:
            # Maybe an event check-in (events handles a bare 签到 too); if nobody does, the help says how.
            return PASS
        code = b.code
    try:
        b = await ops.check_in(ctx.session, now, config, code, by_id=ctx.sender.id, is_staff=ctx.sender.is_staff,
                               by_name=ctx.sender.name)
    except BookingError as exc:
        await ctx.reply(notices.code_error(config, now, exc))
        return None
    when = _when(config, now, b.start_at, b.end_at)
    if b.person_id != ctx.sender.id:
        await ctx.reply(T.CHECKED_IN_BY_STAFF.format(name=b.person_name, code=b.code, room=b.room_name, when=when))
    else:
        await ctx.reply(T.CHECKED_IN.format(code=b.code, room=b.room_name, when=when))
    return None


# "我到自习室了", "我到了 钢琴房", "已经到了": arriving is checking in to the booking open now. Only a room
# (or nothing) may be named: "我到家了" is not for the bot.
ARRIVED_RE = re.compile(r"^(?:我|我们|人)?(?:已经|已)?(?:到|到达|来到|进)(?:了|啦)?\s*(?P<place>[^\s,，。!！~]{0,10}?)"
                        r"\s*(?:了|啦)?[\s,，。!！~～]*(?:签(?:个)?到)?[\s。!！~～]*$")


def match_arrived(view: View) -> str | None:
    m = ARRIVED_RE.match(view.text)
    return None if m is None or not re.search(r"到|进", view.text[:6]) else m.group("place")


@router.route(Stage.RESIDENT_COMMAND, match_arrived)
async def arrived(ctx: Context, place: str) -> Any:
    config, now = ctx.config, ctx.now
    b = await ops.checkin_candidate(ctx.session, now, config, ctx.sender.id)
    if b is None:
        return PASS
    if place:
        named = ops.find_rooms(config, place).rooms
        if not named or b.room_name not in {r.name for r in named}:
            return PASS      # somewhere else ("我到家了"), or a room they have no booking for now
    return await check_in(ctx, b.code)


def match_change(view: View) -> tuple[str, str] | None:
    m = CHANGE_RE.match(view.text) or CHANGE_RE2.match(view.text)
    return (m.group(1), m.group(2)) if m else None


@router.route(Stage.RESIDENT_COMMAND, match_change)
async def change(ctx: Context, args: tuple[str, str]) -> None:
    code, text = args
    config, now = ctx.config, ctx.now
    try:
        b = await ops.get_booking(ctx.session, code)
    except BookingError as exc:
        await ctx.reply(notices.code_error(config, now, exc))
        return
    room = ops.room_config(config, b.room_name)
    if room is None:
        await ctx.reply(notices.code_error(config, now, BookingError("unknown_room", name=b.room_name)))
        return
    reading = _read_time(config, now, text, room)
    if reading.ok and reading.vague and reading.dated and reading.part is None:
        # "改成后天同一时间", "改成后天吧": that day, the booking's own hours
        assert reading.start is not None
        day = reading.start.astimezone(config.timezone).date()
        local = b.start_at.astimezone(config.timezone)
        start = datetime.combine(day, local.timetz().replace(tzinfo=None), config.timezone)
        reading = replace(reading, start=start, end=start + (b.end_at - b.start_at), vague=False, has_end=True)
    elif reading.ok and not reading.dated:
        # "两点到四点" names no day: the booking's own day, not today (a silent move to the wrong day)
        day_start = datetime.combine(b.start_at.astimezone(config.timezone).date(), time(0), config.timezone)
        reading = _read_time(config, max(now, day_start), text, room)
    if reading.error == NONE_FOUND:
        await ctx.reply(T.CHANGE_HOW)
        return
    if not await _time_ok(ctx, reading):
        return
    assert reading.start is not None
    if reading.ambiguous:
        options = [(s0, s0 + (b.end_at - b.start_at)) for s0, _ in reading.alternatives]
        await ctx.reply(T.AMBIGUOUS_CHANGE.format(code=b.code, options=_options_text(config, now, options)))
        return
    start = reading.start
    end = reading.end if reading.has_end and reading.end else start + (b.end_at - b.start_at)
    try:
        b = await ops.change_booking(ctx.session, now, config, code, start, end, by_id=ctx.sender.id,
                                     is_staff=ctx.sender.is_staff, by_name=ctx.sender.name)
    except BookingError as exc:
        text = _rule_text(config, now, exc, room, start, end, b.party_size)
        if exc.detail.get("suggestions"):
            text += T.SUGGEST_CHANGE.format(options=_options_text(config, now, exc.detail["suggestions"]),
                                            code=b.code)
        await ctx.reply(text)
        return
    pending = T.CHANGED_PENDING if b.status == Status.PENDING else ""
    await ctx.reply(T.CHANGED.format(code=b.code, room=b.room_name, when=_when(config, now, b.start_at, b.end_at),
                                     pending=pending))
    if b.status == Status.PENDING:
        await notices.approval_wanted(ctx.out, config, now, b)


def _own_pick(config: Config, rows: list[Booking], hint: str) -> list[Booking]:
    """The sender's bookings a room word in `hint` points at (all of them when it names none)."""
    named = {r.name for r in ops.find_rooms(config, hint).rooms} if hint and ops.mentions_room(config, hint) else set()
    return [b for b in rows if b.room_name in named] if named else rows


def match_change_nocode(view: View) -> tuple[str, str] | None:
    if not view.addressed or re.search(_CODE, view.text) or NOT_BOOKING.search(view.text) or len(view.text) > 40:
        return None
    m = CHANGE_NOCODE_RE.match(view.text)
    if m is None or not TIME_HINT.search(m.group("rest")) or PARTY_ONLY.match(m.group("rest")):
        return None      # "改成3人": a party size, the events' words
    return (m.group("room") or "", m.group("rest"))


@router.route(Stage.RESIDENT_COMMAND, match_change_nocode)
async def change_nocode(ctx: Context, args: tuple[str, str]) -> Any:
    hint, rest = args
    rows = _own_pick(ctx.config, await ops.my_bookings(ctx.session, ctx.now, ctx.sender.id), hint)
    if not rows:
        if ctx.view.grid is None and not ctx.view.msg.group_id and not hint:
            await ctx.reply(T.NOTHING_TO_CHANGE)   # private "能不能改成周三" with no booking: not a need to file
            return None
        return PASS      # in a group, "能不能改成周三" is about something else
    if len(rows) > 1:
        await ctx.reply(T.WHICH_BOOKING.format(mine=await _mine_text(ctx)))
        return None
    await change(ctx, (rows[0].code, rest))
    return None


def match_shift(view: View) -> re.Match[str] | None:
    return SHIFT_RE.match(view.text) if view.addressed else None


@router.route(Stage.RESIDENT_COMMAND, match_shift)
async def shift(ctx: Context, m: re.Match[str]) -> Any:
    config = ctx.config
    rows = await ops.my_bookings(ctx.session, ctx.now, ctx.sender.id)
    if not rows:
        return PASS
    if len(rows) > 1:
        await ctx.reply(T.WHICH_BOOKING.format(mine=await _mine_text(ctx)))
        return None
    n = m.group("n")
    amount = 0.5 if n == "半" else float(cn_to_int(n)) + (0.5 if m.group("half") else 0)
    minutes = amount if m.group("unit") == "分钟" else amount * 60
    step = timedelta(minutes=minutes) * (-1 if m.group("dir") in ("提前", "往前挪", "提早") else 1)
    b = rows[0]
    start = (b.start_at + step).astimezone(config.timezone)
    await change(ctx, (b.code, f"{start.year}年{start.month}月{start.day}日{start.hour:02d}:{start.minute:02d}"))
    return None


def match_cancel_nocode(view: View) -> str | None:
    t = view.text
    if not view.addressed or re.search(_CODE, t) or len(t) > 40 or not CANCEL_WORD.search(t):
        return None
    if NOT_BOOKING.search(t) or not (_mentions_room(view) or re.search(r"预约|预订|约的", t)):
        return None
    return t


@router.route(Stage.RESIDENT_COMMAND, match_cancel_nocode)
async def cancel_nocode(ctx: Context, text: str) -> Any:
    rows = _own_pick(ctx.config, await ops.my_bookings(ctx.session, ctx.now, ctx.sender.id), text)
    if not rows:
        return PASS
    if len(rows) > 1:
        await ctx.reply(T.CANCEL_HOW.format(mine=await _mine_text(ctx)))
        return None
    await cancel(ctx, (rows[0].code, ""))
    return None


# ------------------------------------------------------------------ follow-ups

_CLOCK = r"[0-9一二三四五六七八九十两]{1,3}(?:[点:：](?:[0-9]{1,2}|半|[一二三四五六七八九十]{1,3})?分?)?"
_HOURS_ONLY = re.compile(rf"^(?:改成|改到|改为|换成|就|只要|只用|只约|其实)?\s*(?:早上|上午|中午|下午|晚上)?\s*(?:从)?{_CLOCK}\s*"
                         rf"(?:到|至|-|—|－|~|～)\s*(?:早上|上午|中午|下午|晚上)?{_CLOCK}\s*"
                         r"(?:吧|就行了?|就够了|就可以了?|够了)?[\s。.!！]*$")


@router.answer(HOURS, match=lambda v: _HOURS_ONLY.match(v.text), label=T.QUESTION_BOOKING)
async def narrow_hours(ctx: Context, _m: object) -> None:
    """"两点到四点" right after a whole afternoon was booked: that booking, those hours, the same day."""
    assert ctx.question is not None
    code = str(ctx.question.data["code"])
    await ctx.answered(HOURS)
    await change(ctx, (code, ctx.text))


def match_follow_up(view: View) -> tuple[str, str] | None:
    t = view.text
    if SHORT_ANSWER.match(t):
        return ("short", t)
    if MINE_RE.match(t) or MINE_WHEN_RE.match(t) or match_arrived(view) is not None or CANCEL_WORD.search(t):
        return None      # "我订的琴房是几点来着", "我到琴房了", "取消明天的": not an answer to the booking question
    if view.addressed and len(t) <= 40 and not NOT_BOOKING.search(t) and (_mentions_room(view) or TIME_HINT.search(t)):
        return ("more", t)
    return None


def _continues_booking(config: Config, now: datetime, text: str) -> bool:
    """Does an addressed message carry a room or a time, and is it not a need (a demand or an emergency)?"""
    from kernel.text.classify import classify

    if not (ops.mentions_room(config, text) or _read_time(config, now, text, None).error != NONE_FOUND):
        return False
    u = classify(text)
    return not (u.urgent or u.intent == "demand")


def _number(text: str) -> int | None:
    m = re.match(r"^第?([1-9一二三四五六七八九])", text)
    if m is None:
        return None
    return cn_to_int(m.group(1))


@router.answer("booking_draft", "booking_room_pick", "booking_choice", OFFER, match=match_follow_up, label=T.QUESTION_BOOKING)
async def follow_up(ctx: Context, args: tuple[str, str]) -> Any:
    kind, text = args
    state = ctx.question
    assert state is not None
    data = state.data
    config, now = ctx.config, ctx.now
    if kind == "more" and not _continues_booking(config, now, text):
        return PASS      # "6栋电梯坏了" while a booking question is open: a need, not an answer
    if state.kind == OFFER:
        if kind != "short":
            return PASS
        if NO.match(text):
            await ctx.answered()
            try:
                b = await ops.decline_offer(ctx.session, now, data["code"], person_id=ctx.sender.id)
            except BookingError as exc:
                await ctx.reply(notices.code_error(config, now, exc))
                return None
            await ctx.reply(T.OFFER_DECLINED.format(code=b.code))
            return None
        if not YES.match(text):
            return PASS
        await ctx.answered()
        try:
            b = await ops.accept_offer(ctx.session, now, config, data["code"], person_id=ctx.sender.id)
        except BookingError as exc:
            await ctx.reply(notices.code_error(config, now, exc))
            return None
        await _announce(ctx, b)
        return None

    if kind == "short" and NO.match(text):
        await ctx.answered()
        await ctx.reply(T.DROPPED)
        return None

    if state.kind == "booking_draft":
        if kind == "short":
            return PASS
        await ctx.answered()
        await _request(ctx, f"{data['text']} {text}")
        return None

    if state.kind == "booking_room_pick":
        rooms = [ops.room_config(config, n) for n in data["rooms"]]
        rooms = [r for r in rooms if r is not None]
        chosen: RoomConfig | None = None
        n = _number(text) if kind == "short" else None
        if n is not None and 1 <= n <= len(rooms):
            chosen = rooms[n - 1]
        elif kind == "more":
            found = ops.find_rooms(config, text)
            chosen = found.room
        if chosen is None:
            return PASS
        await ctx.answered()
        await _request(ctx, data["text"], room=chosen, intent=data.get("intent", "book"))
        return None

    # booking_choice
    room = ops.room_config(config, data["room"])
    if room is None:
        await ctx.answered()
        return PASS
    if kind == "more":
        await ctx.answered()
        days = {_dt(s0).astimezone(config.timezone).date() for s0, _ in data.get("options", [])}
        if len(days) == 1 and not _read_time(config, now, text, None).dated:
            # "三点到五点吧" after the choices of one day: that day, not today
            (day,) = days
            text = f"{day.year}年{day.month}月{day.day}日 {text}"
        await _request(ctx, text, room=None if ops.mentions_room(config, text) else room)
        return None
    if QUEUE.search(text):
        if not data.get("waitlist"):
            return PASS
        s, e = (_dt(x) for x in data["waitlist"])
        await ctx.answered()
        try:
            entry, place = await ops.join_waitlist(ctx.session, now, config, room=room.name, person_id=ctx.sender.id,
                                                   person_name=ctx.sender.name, start=s, end=e,
                                                   party_size=int(data.get("party") or 1), scope=ctx.view.scope)
        except BookingError as exc:
            if exc.code == "already_waiting":
                await ctx.reply(T.ALREADY_WAITING.format(room=room.name, when=_when(config, now, s, e)))
            else:
                await ctx.reply(_rule_text(config, now, exc, room, s, e, int(data.get("party") or 1)))
            return None
        await ctx.reply(T.WAITLIST_JOINED.format(room=room.name, when=_when(config, now, s, e), place=place))
        return None
    options = [(_dt(s), _dt(e)) for s, e in data.get("options", [])]
    n = _number(text)
    if n is None and YES.match(text):
        n = 1
    if n is None or not 1 <= n <= len(options):
        return PASS
    s, e = options[n - 1]
    await _book(ctx, room, s, e, int(data.get("party") or 1), data.get("purpose", ""))
    return None


# ------------------------------------------------------------------ staff routes

@router.route(Stage.STAFF_COMMAND, lambda v: (m := APPROVE_RE.match(v.text)) and m.group(1), roles=STAFF,
              private=True)
async def approve(ctx: Context, code: str) -> None:
    config, now = ctx.config, ctx.now
    try:
        b = await ops.approve(ctx.session, now, config, code, by_id=ctx.sender.id, by_name=ctx.sender.name)
    except BookingError as exc:
        await ctx.reply(notices.code_error(config, now, exc))
        return
    when = _when(config, now, b.start_at, b.end_at)
    await ctx.reply(T.APPROVED.format(code=b.code, room=b.room_name, when=when, name=b.person_name))
    await notices.approved(ctx.out, config, now, b)


@router.route(Stage.STAFF_COMMAND, lambda v: (m := REJECT_RE.match(v.text)) and (m.group(1), m.group(2)),
              roles=STAFF, private=True)
async def reject(ctx: Context, args: tuple[str, str]) -> None:
    code, reason = args[0], args[1].strip()
    config, now = ctx.config, ctx.now
    if not reason:
        await ctx.reply(T.REJECT_NEEDS_REASON.format(code=ops.normalise_code(code)))
        return
    try:
        b = await ops.reject(ctx.session, now, code, by_id=ctx.sender.id, reason=reason, by_name=ctx.sender.name)
    except BookingError as exc:
        await ctx.reply(notices.code_error(config, now, exc))
        return
    when = _when(config, now, b.start_at, b.end_at)
    await ctx.reply(T.REJECTED.format(code=b.code, room=b.room_name, when=when, name=b.person_name))
    await notices.rejected(ctx.out, config, now, b)


@router.route(Stage.STAFF_COMMAND, lambda v: APPROVALS_RE.match(v.text) and "", roles=STAFF, private=True)
async def approvals(ctx: Context, _args: str) -> None:
    config, now = ctx.config, ctx.now
    rows = await ops.pending_approvals(ctx.session, now)
    if not rows:
        await ctx.reply(T.PENDING_NONE)
        return
    lines = [T.PENDING_HEADER.format(n=len(rows))]
    lines += [T.PENDING_LINE.format(code=b.code, room=b.room_name, when=_when(config, now, b.start_at, b.end_at),
                                    party=_party_of(b, config), name=b.person_name,
                                    purpose=f"({b.purpose})" if b.purpose else "") for b in rows]
    await ctx.reply("\n".join(lines + [T.PENDING_FOOTER]))


def match_block(view: View) -> str | None:
    m = BLOCK_RE.match(view.text)
    if m is None:
        return None
    return m.group(1).strip() if _mentions_room(view) or not m.group(1).strip() else None


@router.route(Stage.STAFF_COMMAND, match_block, roles=STAFF)
async def block(ctx: Context, text: str) -> None:
    config, now = ctx.config, ctx.now
    tz = config.timezone
    match = ops.find_rooms(config, text)
    room = match.room
    if room is None:
        await ctx.reply(T.BLOCK_HOW)
        return
    reading = _read_time(config, now, text, room, hours=False)
    if reading.error == NONE_FOUND:
        await ctx.reply(T.BLOCK_HOW)
        return
    if reading.error == IN_PAST and reading.start is not None and reading.end is not None and reading.end > now:
        reading = TimeReading(start=now, end=reading.end, matched=reading.matched, vague=reading.vague)
    elif not await _time_ok(ctx, reading):
        return
    assert reading.start is not None
    start, end = reading.start, reading.end
    whole_day = "全天" in text or "一整天" in text or (reading.vague and end is not None
                                                       and end - start >= timedelta(hours=20))
    if whole_day or end is None:
        d0 = start.astimezone(tz).date()
        d1 = (end.astimezone(tz) - timedelta(seconds=1)).date() if end else d0
        start = datetime.combine(d0, time(0), tzinfo=tz)
        end = datetime.combine(max(d0, d1) + timedelta(days=1), time(0), tzinfo=tz)
    reason = _purpose(config, text.replace("全天", " ").replace("一整天", " "), reading) or "临时安排"
    try:
        result = await ops.block_room(ctx.session, now, config, room=room.name, start=start, end=end,
                                      reason=reason, by_id=ctx.sender.id, by_name=ctx.sender.name)
    except BookingError as exc:
        await ctx.reply(_rule_text(config, now, exc, room, start, end, 1))
        return
    when = _when(config, now, start, end)
    await notices.closed(ctx.out, config, now, result)
    affected = (T.BLOCK_AFFECTED.format(n=len(result.cancelled), codes="、".join(b.code for b in result.cancelled))
                if result.cancelled else T.BLOCK_NONE_AFFECTED)
    await ctx.reply(T.BLOCKED.format(room=room.name, when=when, reason=f"({reason})", affected=affected))


@router.route(Stage.STAFF_COMMAND, lambda v: (m := DAY_RE.match(v.text)) and m.group(1), roles=STAFF, private=True)
async def day_list(ctx: Context, which: str) -> None:
    config, now = ctx.config, ctx.now
    day = now.astimezone(config.timezone).date() + timedelta(days=0 if which in ("今日", "今天") else 1)
    by_room = await ops.day_bookings(ctx.session, config, day)
    label = _when(config, now, datetime.combine(day, time(0), tzinfo=config.timezone),
                  datetime.combine(day + timedelta(days=1), time(0), tzinfo=config.timezone)).replace(" 全天", "")
    lines = []
    for room, rows in by_room.items():
        if not rows:
            continue
        items = ";".join(T.DAY_ITEM.format(start=_hm(config, b.start_at), end=_end_hm(config, b.start_at, b.end_at),
                                           name=b.person_name, party=_party_of(b, config),
                                           status="" if b.status == Status.CONFIRMED
                                           else f"[{T.STATUS.get(b.status, b.status)}]") for b in rows)
        lines.append(T.DAY_ROOM.format(room=room, items=items))
    if not lines:
        await ctx.reply(T.DAY_NONE.format(day=label))
        return
    await ctx.reply("\n".join([T.DAY_HEADER.format(day=label), *lines]))


def _range_of(text: str, today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday())
    if "上周" in text:
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if "本月" in text or "这个月" in text:
        return today.replace(day=1), today
    if "上月" in text or "上个月" in text:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if "今天" in text or "今日" in text:
        return today, today
    return monday, today


@router.route(Stage.STAFF_COMMAND, lambda v: (m := UTIL_RE.match(v.text)) and (m.group(1) or "本周"), roles=STAFF)
async def utilisation(ctx: Context, which: str) -> None:
    config, now = ctx.config, ctx.now
    first, last = _range_of(which, now.astimezone(config.timezone).date())
    u = await stats.utilisation(ctx.session, config, first, last)
    lines = [T.UTIL_HEADER.format(first=_md(first), last=_md(last))]
    for room in u.rooms:
        overall = u.by_room[room]
        if overall is None:
            lines.append(T.UTIL_LINE.format(room=room, pct=T.UTIL_NA, peak=""))
            continue
        hours = [(h, v) for h, v in enumerate(u.by_hour[room]) if v is not None]
        peak = ""
        if overall > 0 and hours:
            busy = max(hours, key=lambda x: x[1])
            idle = min(hours, key=lambda x: x[1])
            peak = T.UTIL_PEAK.format(hour=busy[0], hpct=f"{busy[1]:.0%}", idle=idle[0])
        lines.append(T.UTIL_LINE.format(room=room, pct=f"{overall:.0%}", peak=peak))
    await ctx.reply("\n".join(lines))


@router.route(Stage.STAFF_COMMAND, lambda v: (m := POP_RE.match(v.text)) and (m.group(1) or "周"), roles=STAFF)
async def popularity(ctx: Context, which: str) -> None:
    config, now = ctx.config, ctx.now
    period = next((p for p, name in T.PERIOD_NAMES.items() if name in which), "week")
    today = now.astimezone(config.timezone).date()
    # Up to the minute: recompute the periods containing today (the nightly job stores the same way).
    rows = [r for r in await stats.compute_popularity(ctx.session, config, today, now) if r.period == period]
    rows.sort(key=lambda r: (r.key != "centre", -r.value, r.key))
    if not rows:
        await ctx.reply(T.POP_NONE.format(period=T.PERIOD_NAMES[period]))
        return
    centre = rows[0]
    lines = [T.POP_HEADER.format(period=T.PERIOD_NAMES[period], start=_md(centre.period_start), centre=centre.value)]
    lines += [T.POP_LINE.format(room=r.key, value=f"{r.value:g}", b=r.bookings, c=r.checkins,
                                a=T.POP_ATTEND.format(a=r.attendance) if r.attendance else "")
              for r in rows[1:] if r.bookings or r.checkins or r.attendance]
    await ctx.reply("\n".join(lines))


# ------------------------------------------------------------------ audit trail (staff)

@router.route(Stage.STAFF_COMMAND, lambda v: (m := TRAIL_RE.match(v.text)) and m.group(1), roles=STAFF, private=True)
async def trail(ctx: Context, code: str) -> None:
    """记录 B101: who booked, approved, moved, cancelled it, and when (names: privately in a group)."""
    config, tz = ctx.config, ctx.config.timezone
    try:
        b, events = await ops.booking_trail(ctx.session, code)
    except BookingError as exc:
        await ctx.reply(notices.code_error(config, ctx.now, exc))
        return
    header = T.TRAIL_HEADER.format(code=b.code, room=b.room_name, when=_when(config, ctx.now, b.start_at, b.end_at),
                                   name=b.person_name)
    lines = [TR.line(e.at, tz, e.actor, e.actor_name, e.action, T.TRAIL_WAITLIST_ACTIONS, e.note, who=T.TRAIL_WAITLIST)
             if e.subject == ops.WAITLIST.subject else
             TR.line(e.at, tz, e.actor, e.actor_name, e.action, T.TRAIL_ACTIONS, e.note) for e in events]
    await ctx.reply(TR.trail(header, lines))
