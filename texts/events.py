"""Every sentence the events capability says, in one place (reviewed and changed together).

Format functions take plain values (and Event/Signup rows for their fields) and return Chinese text;
the handlers and the scheduler jobs only choose which one to send to whom."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kernel.text.normalize import clip  # noqa: F401  (re-exported for the events handlers)

# Texts sit below the models (tests/test_layers.py): they read an event's and a signup's fields but do not
# import the tables. Event and Signup stand for models.events.Event and Signup; statuses are their values.
Event = Any
Signup = Any
CONFIRMED, OFFERED, WAITING = "confirmed", "offered", "waiting"

WEEKDAYS = "一二三四五六日"


# ------------------------------------------------------------------ formatting helpers

def when(dt: datetime, tz: ZoneInfo) -> str:
    """"11月27日(周五) 14:30"."""
    local = dt.astimezone(tz)
    return f"{local.month}月{local.day}日(周{WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def short_when(dt: datetime, tz: ZoneInfo) -> str:
    local = dt.astimezone(tz)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def mask_name(name: str) -> str:
    """Names in group rosters: 张*芳, 王* (two characters), 欧**明, L**y."""
    chars = list(name.strip())
    if len(chars) <= 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * min(len(chars) - 2, 3) + chars[-1]


def names_list(names: Sequence[str], limit: int = 10) -> str:
    shown = "、".join(clip(n, 16) for n in names[:limit])
    return shown + (f"等{len(names)}人" if len(names) > limit else "")


def party(n: int) -> str:
    return f"{n}人"


def fee_line(event: Event) -> str | None:
    if event.fee_cents > 0:
        return f"费用: {event.fee_text}(低偿,现场缴纳,无需线上支付)"
    if event.fee_text:
        return f"费用: {event.fee_text}"
    return None


def event_label(event: Event) -> str:
    return f"「{event.title}」({event.code})"


def event_line(event: Event, tz: ZoneInfo, left: int | None = None) -> str:
    tail = f",剩余{left}个名额" if left is not None else ""
    return f"· {event.title}({event.code}) {short_when(event.starts_at, tz)} {event.place}{tail}"


def how_to_sign_up(event: Event) -> str:
    return f"回复「报名 {event.title} 2人」或「+1」"


# ------------------------------------------------------------------ publishing (to staff) and notices (to groups)

def publish_summary(event: Event, groups: Sequence[str], tz: ZoneInfo, *, time_echo: str,
                    deadline_echo: str | None, room_note: str | None, imported: str | None) -> str:
    lines = [f"✅ 活动已发布: {event.title}(编号 {event.code})",
             f"时间: {time_echo}", f"地点: {event.place}", f"名额: {event.capacity}人"]
    if event.per_signup_limit:
        lines.append(f"每户限{event.per_signup_limit}人")
    if deadline_echo:
        lines.append(f"报名截止: {deadline_echo}")
    fee = fee_line(event)
    if fee:
        lines.append(fee)
    if event.note:
        lines.append(f"备注: {event.note}")
    if event.confirm_hours:
        lines.append(f"候补递补后需在{event.confirm_hours}小时内确认")
    lines.append("通知将发到: " + "、".join(groups))
    if room_note:
        lines.append(room_note)
    if imported:
        lines.append(imported)
    lines.append(f"修改: 改活动 {event.code} 名额40 / 时间 …;取消: 取消活动 {event.code} 原因")
    return "\n".join(lines)


_ROOM_REASONS = {
    "conflict": "该时段已有预约", "seats_full": "该时段座位已满", "blocked": "该时段功能室已封闭",
    "outside_hours": "不在开放时间内", "closed_weekday": "当天不开放", "closed_date": "当天不开放",
    "too_long": "超过最长预约时长", "too_short": "短于最短预约时长", "too_far": "超出可预约的天数",
    "in_past": "时间已过",
}


def room_note(outcome, tz: ZoneInfo) -> str:
    """What happened to the function room the event is held in (models.events.RoomOutcome)."""
    if outcome.error is None:
        tail = ",待审批" if outcome.pending else ""
        return f"功能室「{outcome.room}」已为活动预约(预约号 {outcome.code}{tail})。"
    if outcome.error == "unavailable":
        return f"提示: 地点是功能室「{outcome.room}」,请在功能室预约中为这个时段占用场地。"
    reason = _ROOM_REASONS.get(outcome.error, "不符合预约规则")
    lines = [f"⚠️ 功能室「{outcome.room}」没能自动预约: {reason}。活动已发布,请协调场地或用「改活动」换时间/地点。"]
    if outcome.suggestions:
        lines.append("附近空闲时段: " + "、".join(f"{short_when(a, tz)}-{b.astimezone(tz):%H:%M}"
                                            for a, b in outcome.suggestions[:3]))
    return "\n".join(lines)


def room_follow_notes(follow, tz: ZoneInfo) -> list[str]:
    """What an event change did to its function room (models.events.RoomFollow)."""
    notes = [ROOM_RELEASED] if follow.released else []
    if follow.reserved is not None:
        notes.append(room_note(follow.reserved, tz))
    if follow.moved is not None:
        notes.append(room_moved_note(follow.moved, tz))
    return notes


def room_moved_note(outcome, tz: ZoneInfo) -> str:
    if outcome.error is None:
        return f"功能室预约 {outcome.code} 已同步改到新时间。"
    return (f"⚠️ 功能室预约 {outcome.code} 没能改到新时间({_ROOM_REASONS.get(outcome.error, '不符合预约规则')}),"
            "原预约保留,请协调场地。")


def notice(event: Event, tz: ZoneInfo, left: int, *, changed: bool = False) -> str:
    head = "【活动变更】" if changed else "【活动报名】"
    lines = [f"{head}{event.title}(编号 {event.code})",
             f"时间: {when(event.starts_at, tz)}", f"地点: {event.place}",
             f"名额: {event.capacity}人,剩余{left}个" if left > 0 else f"名额: {event.capacity}人,已报满(可登记候补)"]
    if event.per_signup_limit:
        lines.append(f"每户限{event.per_signup_limit}人")
    fee = fee_line(event)
    lines.append(fee or "费用: 免费")
    if event.note:
        lines.append(f"备注: {event.note}")
    if event.deadline:
        lines.append(f"报名截止: {when(event.deadline, tz)}")
    lines.append(f"报名方式: {how_to_sign_up(event)}")
    return "\n".join(lines)


def roster(event: Event, holders: Sequence[Signup], waiting: Sequence[Signup], tz: ZoneInfo, left: int,
           limit: int = 80) -> str:
    """A 接龙-style list with masked names: what a group sees."""
    taken = sum(s.party_size for s in holders)
    lines = ["#接龙", f"{event.title}({event.code}) {short_when(event.starts_at, tz)} {event.place}",
             f"名额{event.capacity},已报{taken}人,剩余{left}" + (f",候补{len(waiting)}组" if waiting else "")]
    for i, s in enumerate(holders[:limit], 1):
        lines.append(f"{i}. {mask_name(s.name)}" + (f" {s.party_size}人" if s.party_size > 1 else ""))
    if len(holders) > limit:
        lines.append(f"……等共{len(holders)}组")
    if waiting:
        lines.append("候补:")
        for i, s in enumerate(waiting[:20], 1):
            lines.append(f"{i}. {mask_name(s.name)}" + (f" {s.party_size}人" if s.party_size > 1 else ""))
    lines.append(how_to_sign_up(event))
    return "\n".join(lines)


def staff_roster(event: Event, rows: Sequence[Signup], tz: ZoneInfo, left: int, limit: int = 30) -> str:
    """Full names, for staff only (private chat or the staff group); the whole list is the export."""
    status = {CONFIRMED: "", OFFERED: "(待确认)", WAITING: "(候补)"}
    lines = [f"{event.title}({event.code}) {when(event.starts_at, tz)} {event.place}",
             f"名额{event.capacity},剩余{left}"]
    if not rows:
        lines.append("还没有人报名。")
    for i, s in enumerate(rows[:limit], 1):
        tick = " ✔已签到" if s.checked_in_at else ""
        lines.append(f"{i}. {clip(s.name, 12)} {s.party_size}人{status.get(str(s.status), '')}{tick}")
    if len(rows) > limit:
        lines.append(f"……共{len(rows)}组。完整名单请在网页收件箱导出(报名名单)。")
    return "\n".join(lines)


# ------------------------------------------------------------------ replies to residents

def signed_up(event: Event, s: Signup, tz: ZoneInfo, left: int, *, for_other: bool = False) -> str:
    who = mask_name(s.name) if for_other else "您"   # echoed in the group
    lines = [f"✅ {who}已报名{event_label(event)},{party(s.party_size)}。",
             f"时间: {when(event.starts_at, tz)} 地点: {event.place}"]
    fee = fee_line(event)
    if fee:
        lines.append(fee)
    lines.append(f"剩余名额{left}个。取消请回复「取消报名 {event.title}」")
    return "\n".join(lines)


def waitlisted(event: Event, s: Signup, position: int, *, for_other: bool = False) -> str:
    who = mask_name(s.name) if for_other else "您"
    return (f"{event_label(event)}名额已满,已为{who}登记候补第{position}位({party(s.party_size)})。"
            "有人取消时会按顺序自动递补并通知。")


def already_in(event: Event, s: Signup, position: int | None, *, for_other: bool = False,
               change_to: int | None = None) -> str:
    """`change_to`: the party size they just said, when it differs — how to change to exactly that."""
    who = mask_name(s.name) if for_other else "您"
    if s.status == WAITING:
        return f"{who}已在{event_label(event)}的候补名单上(第{position}位,{party(s.party_size)}),不用重复报名。"
    if s.status == OFFERED:
        return f"{who}已有{event_label(event)}的递补名额({party(s.party_size)}),请回复「确认 {event.code}」。"
    tail = "" if for_other else change_party_hint(change_to) if change_to else "要改人数请回复「改成3人」这样的话。"
    return f"{who}已经报名{event_label(event)}了({party(s.party_size)}),不用重复报名。{tail}"


def party_changed(event: Event, s: Signup, left: int) -> str:
    if s.status == WAITING:
        return f"已改为{party(s.party_size)}(候补){event_label(event)}。"
    return f"已改为{party(s.party_size)}{event_label(event)},剩余名额{left}个。"


def party_unchanged(event: Event, s: Signup) -> str:
    return f"您报名{event_label(event)}本来就是{party(s.party_size)},没有改动。"


def cancelled_signup(event: Event, s: Signup, *, for_other: bool = False) -> str:
    who = mask_name(s.name) if for_other else "您"
    return f"已取消{who}的报名{event_label(event)}。欢迎下次参加!"


def removed_by_staff(event: Event, s: Signup) -> str:
    return f"已将{clip(s.name, 16)}移出{event_label(event)}的报名名单。"


def promoted(event: Event, s: Signup, tz: ZoneInfo) -> str:
    if s.status == OFFERED and s.offered_until:
        return (f"🎉 {event_label(event)}有名额空出来了!已为{mask_name(s.name)}保留{party(s.party_size)},"
                f"请在{short_when(s.offered_until, tz)}前回复「确认 {event.code}」,逾期将顺延给下一位。")
    return (f"🎉 好消息:{event_label(event)}有名额空出,{mask_name(s.name)}已从候补转为正式报名({party(s.party_size)})。"
            f"时间: {when(event.starts_at, tz)} 地点: {event.place}")


def offer_confirmed(event: Event, s: Signup, tz: ZoneInfo) -> str:
    return f"✅ 已确认{event_label(event)},{party(s.party_size)}。时间: {when(event.starts_at, tz)} 地点: {event.place}"


def offer_lapsed(event: Event, s: Signup) -> str:
    return f"{event_label(event)}为{mask_name(s.name)}保留的名额已过确认时间,已顺延给下一位。如仍想参加,可重新报名候补。"


def my_signups(items: Sequence[tuple[Event, Signup, int | None]], tz: ZoneInfo) -> str:
    if not items:
        return "您目前没有报名任何活动。回复「活动列表」看看最近的活动。"
    lines = ["您的报名:"]
    for e, s, pos in items:
        state = {WAITING: f"候补第{pos}位", OFFERED: f"待确认(回复「确认 {e.code}」)"}.get(
            str(s.status), "已报名")
        name = "" if s.contact_id and s.added_by == s.contact_id else f" {s.name}"
        lines.append(f"· {e.title}({e.code}){name} {party(s.party_size)} {state} — {when(e.starts_at, tz)} {e.place}")
    lines.append("取消请回复「取消报名 活动名」")
    return "\n".join(lines)


def open_events(events: Sequence[tuple[Event, int]], tz: ZoneInfo, *, lead: str = "最近可报名的活动:") -> str:
    if not events:
        return "目前没有可报名的活动,有新活动时会在群里通知大家。"
    lines = [lead] + [event_line(e, tz, left) for e, left in events]
    lines.append("报名请回复「报名 活动名 N人」,例如「报名 " + events[0][0].title + " 2人」")
    return "\n".join(lines)


def availability(event: Event, tz: ZoneInfo, left: int, party: int | None) -> str:
    n = party or 2
    if left <= 0:
        return (f"{event_label(event)}名额已满,可以登记候补: 回复「报名 {event.title} {n}人」,"
                "有人取消会按顺序递补。")
    return (f"{event_label(event)}还有{left}个名额({short_when(event.starts_at, tz)} {event.place})。"
            f"要报名请回复「报名 {event.title} {n}人」。")


def about(event: Event, tz: ZoneInfo, left: int) -> str:
    """A question about one event, answered in one message: when, where, the fee, the places left."""
    fee = fee_line(event) or "费用: 免费"
    places = f"还有{left}个名额" if left > 0 else "名额已满,可以登记候补"
    return (f"{event_label(event)}: {short_when(event.starts_at, tz)} {event.place}。{fee}。{places}。"
            f"要报名请回复「报名 {event.title} 2人」这样的话。")


def signed_count(event: Event, tz: ZoneInfo, taken: int, left: int) -> str:
    """How many signed up — a count, never the names (a group reads it)."""
    places = f"还有{left}个名额" if left > 0 else "名额已满,可以登记候补"
    count = f"目前已报名{taken}人" if taken else "目前还没有人报名"
    return (f"{event_label(event)}({short_when(event.starts_at, tz)} {event.place}){count},{places}。"
            "报名名单只有工作人员能看。")


def ends(event: Event, tz: ZoneInfo, left: int) -> str:
    if event.ends_at is not None:
        return (f"{event_label(event)}{short_when(event.starts_at, tz)}开始,"
                f"{event.ends_at.astimezone(tz):%H:%M}结束,地点: {event.place}。")
    return (f"{event_label(event)}{short_when(event.starts_at, tz)}开始,地点: {event.place}。"
            "通知里没有写结束时间,具体可以问一下网格员。")


def still_on(event: Event, tz: ZoneInfo, left: int) -> str:
    places = f"还有{left}个名额" if left > 0 else "名额已满,可以登记候补"
    return f"{event_label(event)}照常举办: {short_when(event.starts_at, tz)} {event.place}。{places}。"


def not_found(words: str) -> str:
    w = f"「{clip(words)}」" if words else ""
    return f"没找到{w}这个活动。"


def pick_one(events: Sequence[Event], tz: ZoneInfo, action: str = "报名") -> str:
    lines = [f"您要{action}哪一个?回复序号即可:"]
    lines += [f"{i}. {e.title}({e.code}) {short_when(e.starts_at, tz)}" for i, e in enumerate(events, 1)]
    return "\n".join(lines)


def pick_near(events: Sequence[Event], tz: ZoneInfo) -> str:
    """Titles close to what was said ("看电影" → 观影会): asked, never signed up for on a guess."""
    ask = "您说的是这个活动吗?是的话回复 1 报名:" if len(events) == 1 else "您说的是下面哪一个?回复序号报名:"
    lines = [ask] + [f"{i}. {e.title}({e.code}) {short_when(e.starts_at, tz)}" for i, e in enumerate(events, 1)]
    return "\n".join(lines)


NO_RECENT_EVENT = "最近群里没有正在报名的活动通知,不知道您要报哪个活动。"
NO_SIGNUPS = "您目前没有报名任何活动。"
NOT_SIGNED_UP = "您没有报名{label},不需要取消。"
WHICH_SIGNUP = "您报名了好几个活动,请说要取消哪一个,例如「取消报名 {title}」。"
PICK_EXPIRED = "这个选择已经过期了,请重新发送报名。"
NAME_NEEDED = "请写上要报名的人名,例如「接龙 王芳 2人」。"
CHANGE_WHICH = "您报名了好几个活动,请说清楚改哪一个,例如「{title} 改成3人」。"


def jielong_result(event: Event, added: Sequence[Signup], waiting: Sequence[tuple[Signup, int]],
                   refused: Sequence[str], left: int) -> str:
    lines = []
    if added:
        names = names_list([f"{mask_name(clip(s.name, 12))}({party(s.party_size)})" for s in added], 10)
        lines.append(f"✅ 接龙已登记{event_label(event)}: {names}。剩余名额{left}个。")
    if waiting:
        names = names_list([f"{mask_name(clip(s.name, 12))}(候补第{pos}位)" for s, pos in waiting], 8)
        lines.append(f"名额已满,已登记候补: {names}。")
    lines.extend(refused[:3])
    if len(refused) > 3:
        lines.append(f"……另有{len(refused) - 3}行没能登记。")
    return "\n".join(lines)


JIELONG_TOO_LONG = "这份接龙超过{lines}行,小助手一次读不完。请分成几条发送(每条不超过{lines}行),已登记的人不会重复。"


def jielong_nothing_new(event: Event) -> str:
    return f"这份接龙里的人都已登记{event_label(event)},没有新增。"


def jielong_unknown_staff(title: str | None) -> str:
    title = clip(title, 16) if title else None
    t = f"「{title}」" if title else "这份接龙"
    return (f"没找到{t}对应的活动。要创建吗?请发「发布活动 {title or '活动名'} 时间 地点 名额N」,"
            "发布后我会把这份接龙里的人导入报名。")


def jielong_unknown_resident(title: str | None) -> str:
    return not_found(title or "") + "请确认活动名称,或联系网格员。"


def jielong_pending_imported(n: int) -> str:
    return f"已导入之前接龙里的{n}组报名。"


# ------------------------------------------------------------------ refusals (EventError codes)

def refusal(code: str, info: dict, tz: ZoneInfo) -> str:
    event: Event | None = info.get("event")
    label = event_label(event) if event is not None else "这个活动"
    if code == "deadline":
        return f"{label}报名已于{when(info['deadline'], tz)}截止,感谢关注!如有特殊情况请联系网格员。"
    if code == "started":
        return f"{label}已经开始或结束了,不能再报名。"
    if code == "cancelled":
        return f"{label}已取消。"
    if code == "not_found":
        return "没找到这个活动编号,请核对后再试。"
    if code == "party_range":
        return f"人数请写1到{info['max']}之间,例如「报名 {event.title if event else '活动名'} 2人」。"
    if code == "over_limit":
        return f"{label}每户限{info['limit']}人,您写的是{info['party']}人,请调整后再报名。"
    if code == "blocked":
        return (f"抱歉,您近{info['days']}天内有{info['missed']}次报名后未到场,暂时不能报名低偿课程。"
                "如有疑问请联系网格员。")
    if code == "not_enough_places":
        return f"{label}只剩{info['free']}个名额,加不了这么多人,您的报名仍为{info['party']}人。"
    if code == "no_signup":
        return f"您没有报名{label}。"
    if code == "not_yours":
        return "这条报名不是您登记的,不能替别人取消。如需帮助请联系网格员。"
    if code == "no_offer":
        pos = info.get("position")
        return f"您在{label}的候补第{pos}位,还没有轮到,轮到时会通知您。" if pos else f"您在{label}没有待确认的名额。"
    if code == "offer_lapsed":
        return f"抱歉,{label}为您保留的名额已过确认时间,顺延给了下一位。如仍想参加,可以重新报名候补。"
    if code == "already_confirmed":
        return f"您已经是{label}的正式报名了,无需确认。"
    if code == "checkin_not_open":
        return f"{label}的签到从{short_when(info['opens'], tz)}开始,到时再签到吧。"
    if code == "checkin_closed":
        return f"{label}的签到已经结束了。"
    if code == "waiting_checkin":
        return f"您在{label}还是候补(第{info['position']}位),请到现场找工作人员签到。"
    # staff-side codes
    if code == "in_past":
        return "活动时间已经过去了,请写一个将来的时间。"
    if code == "too_far":
        return "活动时间在一年多以后,请检查年份。"
    if code == "deadline_after_start":
        return "报名截止时间晚于活动开始时间,请检查。"
    if code == "deadline_past":
        return "报名截止时间已经过去了,请写一个将来的时间。"
    if code == "bad_capacity":
        return "名额要在1到10000之间,例如「名额30」。"
    if code == "bad_fee":
        return f"费用要在0到{info['max']}元之间,例如「费用 20元」或「免费」。"
    if code == "bad_limit":
        return f"每户限报人数要在1到{info['max']}之间。"
    if code == "bad_confirm_hours":
        return "确认时限要在0到72小时之间。"
    if code == "capacity_below_taken":
        return f"已有{info['taken']}人报名,名额不能少于{info['taken']}。"
    if code == "no_change":
        return "没有需要修改的内容。"
    if code == "no_groups":
        return "请写上要通知的群,例如「群 网格1,网格2」。"
    if code == "no_title":
        return "请写上活动标题。"
    if code == "no_place":
        return "请写上活动地点。"
    if code == "end_before_start":
        return "结束时间要晚于开始时间。"
    if code == "duplicate":
        return f"已有相同的活动{label}: {when(event.starts_at, tz)} {event.place}。" if event else "已有相同的活动。"
    return "抱歉,这个操作没能完成。"


# ------------------------------------------------------------------ staff commands

PUBLISH_USAGE = ("发布活动的格式: 发布活动 标题 时间 地点 名额N [截止 时间] [费用 金额/免费] [每户限N人] [备注 …] [群 网格1,网格2]\n"
                 "例如: 发布活动 反诈讲座 11月27日14:30 多功能厅 名额30 截止 11月27日12:00 群 网格3")
EDIT_USAGE = ("修改活动的格式: 改活动 E101 名额40 / 改活动 E101 时间 11月28日14:30 / 改活动 E101 地点 会议室 / "
              "改活动 E101 截止 11月27日12:00")
CANCEL_EVENT_USAGE = "取消活动的格式: 取消活动 E101 原因"
REMOVE_USAGE = "移除报名的格式: 移除报名 E101 张三"
ROSTER_USAGE = "查看名单的格式: 名单 E101"
CHECKIN_USAGE = "签到的格式: 签到 E101(工作人员可写: 签到 E101 张三 李四)"
TIME_NEEDED = "没看懂活动时间,请写成「11月27日14:30」或「明天下午3点」这样。"
TIME_VAGUE = "请写上几点开始,例如「{day}14:30」。"
DEADLINE_UNREADABLE = "没看懂截止时间,请写成「截止 11月27日12:00」这样。"
UNKNOWN_GROUP = "没有找到群「{name}」。可以写: 群 网格1,网格2 或 群 全部。"
CAPACITY_NEEDED = "请写上名额,例如「名额30」。"
LEFTOVER = "这些内容没看懂: {text}\n"
EDIT_STARTED = "活动已经开始或结束,不能再修改了。"
QUESTION_DUPLICATE = "确认再发布一个相同的活动"


def duplicate_ask(event: Event, tz: ZoneInfo) -> str:
    """`发布活动` with the title, time and place of an open event: probably sent twice."""
    return (f"⚠️ 已经发布过相同的活动{event_label(event)}: {when(event.starts_at, tz)} {event.place},"
            f"这次没有重复发布。\n确实要再发布一个吗?30分钟内回复「确认发布」即可;不需要就不用回复。")


FIELD_NAMES = {"starts_at": "时间", "place": "地点", "capacity": "名额", "deadline": "截止时间", "fee": "费用",
               "per_signup_limit": "每户限报", "note": "备注", "confirm_hours": "确认时限", "title": "标题"}


def field_names(changed: Sequence[str]) -> str:
    return "、".join(FIELD_NAMES.get(c, c) for c in changed)


def edited(event: Event, changed: Sequence[str], tz: ZoneInfo, left: int, told: int, promoted_n: int) -> str:
    lines = [f"✅ 已修改{event_label(event)}: " + field_names(changed),
             f"时间: {when(event.starts_at, tz)} 地点: {event.place} 名额{event.capacity}(剩余{left})"]
    if promoted_n:
        lines.append(f"已从候补递补{promoted_n}组。")
    lines.append(f"已通知{told}位报名者。" if told else "目前没有报名者需要通知。")
    return "\n".join(lines)


def change_notice(event: Event, changed: Sequence[str], tz: ZoneInfo) -> str:
    parts = []
    if "starts_at" in changed:
        parts.append(f"时间改为 {when(event.starts_at, tz)}")
    if "place" in changed:
        parts.append(f"地点改为 {event.place}")
    if "deadline" in changed and event.deadline:
        parts.append(f"报名截止改为 {when(event.deadline, tz)}")
    if "fee" in changed:
        parts.append(fee_line(event) or "费用: 免费")
    if "capacity" in changed:
        parts.append(f"名额调整为{event.capacity}人")
    if "note" in changed and event.note:
        parts.append(f"备注: {event.note}")
    body = ";".join(parts) or "活动信息有更新"
    return f"【活动变更】{event_label(event)}: {body}。报名的朋友请留意,如不能参加请回复「取消报名 {event.title}」。"


def event_cancelled_notice(event: Event, tz: ZoneInfo) -> str:
    reason = f"原因: {event.cancel_reason}。" if event.cancel_reason else ""
    return f"【活动取消】很抱歉,{event_label(event)}({short_when(event.starts_at, tz)})取消了。{reason}给大家带来不便,敬请谅解。"


def event_cancelled_staff(event: Event, told: int, room_booking: str | None = None) -> str:
    room = f"\n功能室预约 {room_booking} 已一并取消。" if room_booking else ""
    return f"✅ 已取消{event_label(event)},已通知{told}位报名者。{room}"


ROOM_RELEASED = "原功能室预约已取消。"


def change_party_hint(party: int) -> str:
    return f"要改成{party}人,请回复「改成{party}人」。"


def attendance_summary(event: Event, holders: Sequence[Signup], came: Sequence[Signup],
                       missed: Sequence[Signup]) -> str:
    """To the publisher once the event is over (only when check-in was used)."""
    return (f"{event_label(event)}已结束: 报名{len(holders)}组,签到{len(came)}组({sum(s.party_size for s in came)}人),"
            f"未到{len(missed)}组" + (": " + names_list([s.name for s in missed], 30) if missed else "") + "。"
            + (f"\n查看爽约记录: 爽约 {clip(missed[0].name, 12)}" if missed else ""))


def no_shows(records: Sequence, tz: ZoneInfo, name: str | None) -> str:
    name = clip(name, 16) if name else None
    if not records:
        return f"{name}没有爽约记录。" if name else "目前没有爽约记录。"
    lines = [f"爽约记录{('(' + name + ')') if name else ''}:"]
    for r in records[:10]:
        events = "、".join(f"{clip(e.title, 10)}({short_when(e.starts_at, tz)})" for e in r.events[:3])
        lines.append(f"· {clip(r.name, 12)}: {len(r.events)}次 — {events}")
    return "\n".join(lines)


def checked_in(event: Event, names: Sequence[str], again: Sequence[str], unknown: Sequence[str], *,
               self_checkin: bool) -> str:
    if self_checkin:
        if again:
            return f"您已经签到过{event_label(event)}了。"
        return f"✅ 签到成功{event_label(event)},欢迎!"
    lines = []
    if names:
        lines.append(f"✅ 已签到{event_label(event)}: " + names_list(names, 15))
    if again:
        lines.append("之前已签到: " + names_list(again, 10))
    if unknown:
        lines.append("名单上没有: " + names_list(unknown, 5) + "(请核对姓名,或用「名单 " + event.code + "」查看)")
    return "\n".join(lines)


def reminder_day_before(event: Event, tz: ZoneInfo) -> str:
    fee = fee_line(event)
    return (f"⏰ 明天的活动提醒: {event_label(event)}\n时间: {when(event.starts_at, tz)}\n地点: {event.place}"
            + (f"\n{fee}" if fee else "") + f"\n到场后回复「签到 {event.code}」。不能参加请回复「取消报名 {event.title}」,把名额让给候补的邻居。")


def reminder_hour_before(event: Event, tz: ZoneInfo, minutes: int) -> str:
    ahead = f"{minutes // 60}小时" if minutes % 60 == 0 else f"{minutes}分钟"
    return f"⏰ {event_label(event)}还有{ahead}开始,地点: {event.place}。到场后回复「签到 {event.code}」。"

# What an open question is about, when an answer went to a newer one (texts/common.py STILL_OPEN).
QUESTION_PICK = "选择报名哪个活动"


# ------------------------------------------------------------------ audit trail (记录 E101 [名字])

TRAIL_USAGE = "查看报名的操作记录请发「记录 活动编号 [名字]」,例如: 记录 E101 或 记录 E101 张三。"
TRAIL_ACTIONS = {
    "publish": "发布活动", "edit": "修改活动", "cancel": "取消", "join": "报名成功", "wait": "报名(候补)", "promote": "候补转正",
    "offer": "候补获得名额(待确认)", "confirm": "确认名额", "lapse": "名额未确认,已失效", "remove": "被工作人员移除",
    "admit": "现场签到补入",
}


def trail_header(event: Event, name: str | None) -> str:
    who = f"{clip(name, 12)}的" if name else ""
    return f"{event_label(event)}{who}报名操作记录:"


def drop_ask(event: Any, tz: ZoneInfo) -> str:
    """"周六有事去不了了": a day that is one of the sender's events, but no event named — ask, never cancel."""
    return (f"您是说{when(event.starts_at, tz)}的「{event.title}」去不了了吗?"
            f"要取消报名请回复「取消报名 {event.title}」,名额会让给候补的邻居。")
