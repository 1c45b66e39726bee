"""What people are told about needs: a domain change (models/needs.py: Intake, Change, Escalation)
turned into outbox messages, for chat handlers, scheduled clocks and web actions alike — so every caller
tells the same people the same thing, exactly once per change. Also the wording helpers the chat and
web views share (times, places, the fields every template uses)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kernel.config import Config
from kernel.identity import Role
from kernel.text.danger import danger_words
from models import conversation
from models import needs as N
from models import duty as D
from models.conversation import PRIVATE_SCOPE
from models.outbox import Outbox, Priority
from texts import needs as T

RATE_QUESTION = "rate_need"      # the pending question "请为本次服务打分" (answered in handlers/needs.py)


def short(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def fmt_time(when: datetime | None, now: datetime, config: Config) -> str:
    if when is None:
        return ""
    local, today = when.astimezone(config.timezone), now.astimezone(config.timezone).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"明天{local:%H:%M}"
    return f"{local.month}月{local.day}日{local:%H:%M}"


def fmt_minutes(minutes: float) -> str:
    m = max(0, int(round(minutes)))
    if m < 60:
        return f"{m}分钟"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}小时{m}分" if m else f"{h}小时"
    d, h = divmod(h, 24)
    return f"{d}天{h}小时" if h else f"{d}天"


def place(need: N.Need) -> str:
    if need.building is not None:
        return f"{need.building}栋"
    if need.grid is not None:
        return f"网格{need.grid}"
    return "未注明位置"


def source_of(need: N.Need, *, group: bool = False) -> str:
    if need.tree_hole:
        return T.SOURCE_TREE_HOLE
    name = need.requester_name or need.requester or ""
    if need.source in (N.Source.PHONE, N.Source.COUNTER):
        phone = (N.mask_phones(need.caller_phone) if group else need.caller_phone) if need.caller_phone else ""
        return T.SOURCE_TAKEN[need.source].format(name=name or T.CALLER_UNNAMED, phone=f" {phone}" if phone else "")
    if need.source == N.Source.SUGGESTION:
        return T.SOURCE_SUGGESTION.format(name=name, chat=need.chat or "")
    if need.chat:
        return T.SOURCE_GROUP.format(name=name, chat=need.chat)
    return T.SOURCE_PRIVATE.format(name=name)


def common(need: N.Need, now: datetime, config: Config, *, group: bool = False, limit: int = 300) -> dict[str, Any]:
    text = short(N.mask_phones(need.text) if group else need.text, limit)
    return {"code": need.code, "category": need.category_name, "place": place(need), "text": text,
            "urgent": T.URGENT_TAG if need.urgent else "", "worker": need.assignee_name or "社区工作人员",
            "due": fmt_time(need.due_at, now, config), "source": source_of(need, group=group),
            "handle_due": fmt_time(need.resolve_due_at, now, config), "status": need.status_name,
            "bot": config.bot_name}


def error_text(exc: N.NeedError, action: str | None = None) -> str:
    action = {"assign": "dispatch", "urge": "escalate"}.get(action or "", action)     # the inbox's names
    data = {k: short(v, 40) if isinstance(v, str) else v for k, v in exc.data.items()}
    data.setdefault("example", T.EXAMPLE_CODE)
    data.setdefault("code", "")
    verb = T.ACTION_VERBS.get(str(data.get("action") or action or ""), "这样操作")
    data["verb"] = verb
    if "status" in data and data["status"] in N.STATUS_NAMES:
        data["status"] = N.STATUS_NAMES[N.Status(data["status"])]
    if "departments" in data and isinstance(data["departments"], list):
        data["departments"] = "、".join(data["departments"])
    key = exc.code
    if key == "not_allowed" and action in ("return", "transfer", "dispatch", "escalate"):
        key = f"not_allowed_{action}"
    text = T.ERRORS.get(key, T.ERRORS["not_allowed"]).format(**data)
    if exc.code == "illegal":
        hint = T.ILLEGAL_HINTS.get(str(exc.data.get("status")))
        if hint:
            text += hint
    return text


def _key(need: N.Need, what: str, serial: int | str, who: str = "") -> str:
    """A notice's delivery key: the need, what is reported, which change (its event count) and to whom —
    the same change reported twice (a retried tick, a second instance) is delivered once."""
    return f"need:{need.code}:{what}:{serial}:{who}"


async def announce_intake(out: Outbox, config: Config, intake: N.Intake) -> None:
    """Tell the holder about a new need; for an urgent one also the staff group (and the AB岗 backup
    when the worker is off duty). The resident's acknowledgement is the caller's (it answers in chat)."""
    need, now = intake.need, out.now
    if intake.parent is not None:
        return
    c = common(need, now, config)
    roster = await D.roster(out.session, config) if need.urgent else None
    targets = N.urgent_alert_targets(config, need, now, roster) if need.urgent else (
        [N.Target("private", need.assignee, need.assignee_name or "", "worker")] if need.assignee else [])
    prio = Priority.URGENT if need.urgent else Priority.REPLY
    # fresh: keyed by the need written in this very transaction, so they go in with the chat replies
    for t in targets:
        if t.role == "worker":
            notice = T.QUESTION_NOTICE if need.category == N.CONSULT else T.DISPATCH_NOTICE
            await out.private(t.id, notice.format(**c), key=_key(need, "dispatch", "new", t.id),
                              priority=prio, fresh=True)
        elif t.role == "backup":
            await out.private(t.id, T.URGENT_BACKUP_ALERT.format(**c), key=_key(need, "backup", "new", t.id),
                              priority=prio, fresh=True)
        elif t.role == "admin":      # an urgent 树洞: the admin, privately (no group hears of it)
            words = "、".join(danger_words(need.text)) or T.URGENT_TAG.strip("·")
            await out.private(t.id, T.TREE_HOLE_DANGER_ALERT.format(**{**c, "text": short(need.text, 200)}, words=words),
                              key=_key(need, "admin", "new", t.id), priority=prio, fresh=True)
        else:
            await out.group(t.id, T.URGENT_STAFF_ALERT.format(**common(need, now, config, group=True)),
                            key=_key(need, "alert", "new", t.id), priority=prio, fresh=True)


def ack_text(config: Config, intake: N.Intake, now: datetime) -> str:
    need = intake.need
    if intake.parent is not None:
        return T.ACK_MERGED.format(parent=intake.parent.code)
    c = common(need, now, config)
    if need.tree_hole:     # the resident holds the random follow-up code, never the sequential one
        return T.ACK_TREE_HOLE.format(**{**c, "code": need.public_code}) + (T.ACK_TREE_HOLE_URGENT if need.urgent else "")
    if need.urgent:
        return T.ACK_URGENT.format(**c)
    return (T.ACK if need.assignee_name else T.ACK_NO_WORKER).format(**c)


async def _to_resident(out: Outbox, needs: list[N.Need], text_for: Any, what: str, serial: int,
                       priority: Priority = Priority.REPLY) -> None:
    """One message per group (all its residents @-mentioned) and one per private requester. The words
    were written about the first need: only its own group reads them there — a neighbour merged from
    another group, or into a need raised privately, gets them privately (they may name the first
    requester's door or phone)."""
    by_chat: dict[str, list[N.Need]] = {}
    home = needs[0].chat if needs else None
    for n in needs:
        if n.requester is None:
            continue
        if n.chat and n.chat == home:
            by_chat.setdefault(n.chat, []).append(n)
        else:
            await out.private(n.requester, text_for(n), key=_key(n, what, serial, n.requester), priority=priority)
    for chat, group in by_chat.items():
        mentions = tuple(dict.fromkeys(n.requester for n in group if n.requester))
        await out.group(chat, text_for(group[0]), key=_key(group[0], what, serial, chat), mentions=mentions,
                        priority=priority)


async def _ask_rating(out: Outbox, config: Config, need: N.Need) -> None:
    if need.requester is None:
        return
    await conversation.ask(out.session, scope=need.chat or PRIVATE_SCOPE, person_id=need.requester, kind=RATE_QUESTION,
                           data={"code": need.code}, now=out.now,
                           ttl=timedelta(hours=config.needs.rating_hours))


async def announce_change(out: Outbox, config: Config, change: N.Change) -> None:
    """Messages that follow an operation, to everyone but the actor (the caller confirms to them)."""
    need, now = change.need, out.now
    c = common(need, now, config)
    serial = await N.event_count(out.session, need)
    if change.action == N.Action.REPLY:
        reply = need.last_reply or ""
        who = change.actor.name if change.actor else c["worker"]
        template = T.ANSWER_TO_RESIDENT if need.category == N.CONSULT else T.REPLY_TO_RESIDENT
        await _to_resident(out, [need, *change.followers],
                           lambda n: template.format(code=need.code, worker=who, text=reply), "reply", serial)
    elif change.action == N.Action.TRANSFER:
        dept = change.extra["department"]
        note = change.extra.get("note")
        await out.private(dept.contact_id, T.TRANSFER_TO_DEPARTMENT.format(
            **c, actor=change.actor.name if change.actor else "", note=f",说明: {note}" if note else ""),
            key=_key(need, "transfer", serial, dept.contact_id), priority=Priority.URGENT if need.urgent else Priority.REPLY)
    elif change.action == N.Action.RETURN:
        if need.assignee:
            await out.private(need.assignee, T.RETURN_TO_HOLDER.format(
                **c, actor=change.actor.name if change.actor else "", reason=change.extra.get("reason", "")),
                key=_key(need, "return", serial, need.assignee))
    elif change.action == N.Action.RESOLVE:
        note = need.resolution or ""
        # Merged residents get the same words (the code they were told is the parent's).
        await _to_resident(out, [need, *change.followers],
                           lambda n: T.RESOLVED_TO_RESIDENT.format(code=need.code, note=note), "resolve", serial)
        for n in (need, *change.followers):
            await _ask_rating(out, config, n)
    elif change.action == N.Action.DISPATCH:        # 派单 by hand (models/needs.assign)
        actor = change.actor.name if change.actor else ""
        note = change.extra.get("note")
        if need.assignee and need.assignee != (change.actor.id if change.actor else None):
            await out.private(need.assignee, T.ASSIGN_NOTICE.format(**c, actor=actor, note=f",说明: {note}" if note else ""),
                              key=_key(need, "assign", serial, need.assignee),
                              priority=Priority.URGENT if need.urgent else Priority.REPLY)
        away = change.previous_assignee      # a department's duty person, when it held the need
        if away and away not in (need.assignee, change.actor.id if change.actor else None):
            await out.private(away, T.ASSIGNED_AWAY.format(code=need.code, actor=actor, worker=c["worker"]),
                              key=_key(need, "assign_away", serial, away))
    elif change.action == N.Action.ESCALATE:        # 督办 by hand (models/needs.urge)
        dept = config.department(need.department) if need.department else None
        holder = dept.contact_id if dept is not None else need.assignee
        if holder and holder != (change.actor.id if change.actor else None):
            note = change.extra.get("note")
            await out.private(holder, T.URGE_NOTICE.format(**c, actor=change.actor.name if change.actor else "",
                                                           note=f"\n说明: {note}" if note else ""),
                              key=_key(need, "urge", serial, holder), priority=Priority.URGENT)
    elif change.action == N.Action.REOPEN:
        target = change.extra.get("reopened") or need
        if target.assignee:
            tc = common(target, now, config)
            resident = change.actor is None or change.actor.role == Role.RESIDENT
            words = change.extra.get("words") or need.rating_note or T.NO_WORDS
            template = T.REOPENED_TO_HOLDER if resident else T.REOPENED_BY_STAFF
            await out.private(target.assignee, template.format(
                **tc, words=words, actor=change.actor.name if change.actor else ""),
                key=_key(target, "reopen", serial, target.assignee),
                priority=Priority.URGENT if target.urgent else Priority.REPLY)


async def announce_escalation(out: Outbox, config: Config, esc: N.Escalation) -> None:
    """督办 messages, one per target, under keys that make each level exactly-once."""
    need = esc.need
    holder = need.department or need.assignee_name or "无"
    for t in esc.targets:
        ask = {"backup": T.ASK_BACKUP, "holder": T.ASK_HOLDER, "department": T.ASK_DEPARTMENT,
               "admin": T.ASK_ADMIN_HANDLE if esc.clock == "handle" else T.ASK_ADMIN,
               }.get(t.role, T.ASK_STAFF_GROUP).format(code=need.code)
        consult = need.category == N.CONSULT and esc.clock == "respond"
        if consult and t.role in ("holder", "backup"):
            ask = T.ASK_ANSWER.format(code=need.code)
        group = t.kind == "group"
        cc = common(need, out.now, config, group=group)
        if esc.clock == "handle":
            text = T.ESCALATE_HANDLE.format(**cc, level=esc.level, holder=holder, ask=ask,
                                            minutes=int(config.needs.handle_minutes_urgent))
        else:
            late = (T.LATE_BY.format(over=fmt_minutes(esc.minutes_over)) if esc.minutes_over >= 1
                    else T.LATE_AT_LIMIT)
            text = T.ESCALATE_RESPOND.format(**cc, level=esc.level, holder=holder, ask=ask, late=late,
                                             what=T.WHAT_DEPT if esc.clock == "dept_ack" else
                                             T.WHAT_ANSWER if consult else T.WHAT_RESPOND)
        key = f"need-clock:{need.code}:{esc.clock}:{esc.clock_no}:{esc.level}:{t.id}"
        prio = Priority.URGENT if need.urgent else Priority.REPLY
        if group:
            await out.group(t.id, text, key=key, priority=prio)
        else:
            await out.private(t.id, text, key=key, priority=prio)
