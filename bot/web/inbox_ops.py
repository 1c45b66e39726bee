"""What the inbox pages and the JSON API share: clocks for display, masking, and the actions — each
one a call of the models.needs operation plus notices.needs.announce_* (the same messages, in the
same words, as when the worker types the command in chat), in one transaction with the outbox rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kernel.config import Config
from kernel.privacy import mask_for_viewer, mask_name
from texts import inbox as X
from texts.exports import NEED_SOURCES
from bot.web.auth import WebActor
from notices import needs as tell
from texts import needs as T
from kernel.text.classify import classify
from models import duty as D
from models import inbox as M
from models import needs as N
from models.db import transaction
from scheduler.ticker import TickContext

OPEN = frozenset(str(s) for s in N.OPEN_STATUSES)
ACTIONS = ("accept", "reply", "transfer", "return", "resolve", "reopen", "assign", "urge")


# ---------------------------------------------------------------- display helpers

def duration(seconds: float) -> str:
    """Same words as inbox.js: 45秒, 12分, 2小时5分, 3天4小时."""
    s = int(abs(seconds))
    if s < 60:
        return f"{s}秒"
    m = s // 60
    if m < 60:
        return f"{m}分"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}小时{m}分" if m else f"{h}小时"
    d, h = divmod(h, 24)
    return f"{d}天{h}小时" if h else f"{d}天"


@dataclass(frozen=True)
class ClockView:
    kind: str | None          # respond | dept_ack | handle; None: no clock running
    due: datetime | None
    amber_s: int              # amber when less than this is left (a third of the clock's length)
    colour: str               # green | amber | red | none
    label: str
    seconds_left: float | None


def clock_view(need: Any, now: datetime, config: Config) -> ClockView:
    """The clock a row shows: the response clock (接单/签收) while one runs, else an urgent need's
    handling clock (办结). Works on a Need or a list Row."""
    if need.status not in OPEN:
        return ClockView(None, None, 0, "none", "", None)
    s = config.needs
    if need.due_at is not None:
        kind = need.clock_kind or "respond"
        if kind == "dept_ack":
            dept = config.department(need.department or "")
            span = float(dept.ack_minutes if dept else 30)
        else:
            span = s.respond_minutes_urgent if need.urgent else s.respond_minutes_normal
        due = need.due_at
    elif need.resolve_due_at is not None:
        kind, due, span = "handle", need.resolve_due_at, s.handle_minutes_urgent
    else:
        if need.overdue:
            return ClockView(None, None, 0, "red", X.OVERDUE_TAG, None)
        return ClockView(None, None, 0, "none", X.CLOCK_NONE, None)
    amber = int(span * 60 / 3)
    left = (due - now).total_seconds()
    name = X.CLOCK_KINDS.get(kind, "")
    if left <= 0:
        return ClockView(kind, due, amber, "red", X.CLOCK_OVER.format(kind=name, over=duration(left)), left)
    colour = "amber" if left <= amber else "green"
    return ClockView(kind, due, amber, colour, X.CLOCK_LEFT.format(kind=name, left=duration(left)), left)


def shown_text(text: str, actor: WebActor) -> str:
    return mask_for_viewer(text) if actor.masked else text      # no phone, ID, name by a phone or room


def status_name(status: str, department: str | None) -> str:
    if status == N.Status.DISPATCHED and department:
        return f"已转派{department},待签收"
    return N.STATUS_NAMES.get(status, status)     # a StrEnum key is found by its plain string


def place(building: int | None, grid: int | None) -> str:
    if building is not None:
        return f"{building}栋"
    if grid is not None:
        return f"网格{grid}"
    return "未注明位置"


def requester_label(need: Any, actor: WebActor) -> str:
    if need.source == N.Source.TREE_HOLE:
        return X.TREE_HOLE
    name = need.requester_name or ""
    return (mask_name(name) or "") if actor.masked else name


def sees(actor: WebActor, need: Any) -> bool:
    return actor.scope.sees(grid=need.grid, department=need.department, assignee=need.assignee)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def need_dict(need: Any, now: datetime, config: Config, actor: WebActor, *, full: bool = False) -> dict[str, Any]:
    """The API's need: the export contract's keys (CONTRACTS §4) plus names and the clock."""
    cv = clock_view(need, now, config)
    tree_hole = need.source == N.Source.TREE_HOLE
    d: dict[str, Any] = {
        "code": need.code, "status": need.status, "status_name": status_name(need.status, need.department),
        "category": need.category, "category_name": N.CATEGORY_NAMES.get(need.category, "其他"),
        "urgent": bool(need.urgent), "building": need.building, "grid": need.grid,
        "text": shown_text(need.text, actor), "source": need.source,
        "source_name": NEED_SOURCES.get(need.source, need.source),
        "requester_name": None if tree_hole else requester_label(need, actor),
        "assignee": need.assignee, "assignee_name": need.assignee_name, "department": need.department,
        "created_at": iso(need.created_at), "updated_at": iso(need.updated_at),
        "due_at": iso(need.due_at), "resolve_due_at": iso(need.resolve_due_at), "overdue": bool(need.overdue),
        "clock": {"kind": cv.kind, "due": iso(cv.due), "seconds_left": cv.seconds_left, "colour": cv.colour,
                  "label": cv.label},
        "satisfaction": need.satisfaction, "merged_into": need.merged_into,
    }
    if full:
        d.update({
            "requester": None if (tree_hole or actor.masked) else need.requester,
            "caller_phone": shown_text(need.caller_phone or "", actor) or None,
            "chat": need.chat, "acknowledged_at": iso(need.acknowledged_at), "resolved_at": iso(need.resolved_at),
            "closed_at": iso(need.closed_at), "last_reply": shown_text(need.last_reply or "", actor) or None,
            "resolution": shown_text(need.resolution or "", actor) or None,
            "rating_note": shown_text(need.rating_note or "", actor) or None, "solved": need.solved,
            "rated_at": iso(need.rated_at), "reopen_count": need.reopen_count,
        })
    return d


def event_dict(e: N.NeedEvent, actor: WebActor, need: N.Need) -> dict[str, Any]:
    resident = e.action == N.Action.CREATE and e.actor is not None and e.actor == need.requester
    who = e.actor_name
    if resident and actor.masked:
        who = mask_name(who)
    return {"at": iso(e.at), "action": e.action, "action_name": T.ACTION_NAMES.get(e.action, e.action),
            "actor_name": who, "from_status": e.from_status, "to_status": e.to_status,
            "note": shown_text(e.note or "", actor) or None}


# ---------------------------------------------------------------- actions

class Refused(Exception):
    """Not a need-model refusal: the web's own (read-only, not visible, missing field)."""

    def __init__(self, status: int, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def unseen(code: str) -> Refused:
    """A need out of the actor's scope and one that does not exist get the same 404 and the same words,
    so that nobody learns which codes exist by probing."""
    return Refused(404, X.NOT_FOUND_NEED.format(code=code[:40]), "not_found")


def http_status(exc: N.NeedError) -> int:
    return {"not_found": 404, "suggestion_not_found": 404, "not_yours": 403, "not_allowed": 403,
            "illegal": 409, "merged": 409, "already_there": 409, "suggestion_handled": 409}.get(exc.code, 400)


def error_message(exc: N.NeedError, action: str | None) -> str:
    if exc.code == "suggestion_not_found":
        return X.SUGGESTION_NOT_FOUND
    if exc.code == "suggestion_handled":
        return X.SUGGESTION_HANDLED
    return tell.error_text(exc, action)


@dataclass
class Done:
    need: N.Need
    key: str            # a key of texts.inbox.DONE


def _field(fields: dict[str, Any], name: str) -> str:
    return str(fields.get(name) or "").strip()[:2000]


async def perform(core: Any, actor: WebActor, code: str, action: str, fields: dict[str, Any]) -> Done:
    """Run one action as the actor; NeedError or Refused when it cannot be done."""
    if action not in ACTIONS:
        raise Refused(404, X.UNKNOWN_ACTION, "unknown_action")
    if not actor.can_act or actor.person is None:
        raise Refused(403, X.READ_ONLY, "read_only")
    config, person, now = core.config, actor.person, core.clock.now()
    reopen = getattr(N, "reopen", None)
    if action == "reopen" and reopen is None:
        raise Refused(501, X.NO_REOPEN, "not_implemented")
    if action == "transfer" and not _field(fields, "department"):
        raise Refused(400, X.NEED_FIELD["transfer"], "no_department")
    if action == "assign" and not _field(fields, "to"):
        raise Refused(400, X.NEED_FIELD["assign"], "no_person")
    async with transaction(core.sessions) as session:
        try:
            need = await N.get_need(session, code)
        except N.NeedError as exc:
            raise unseen(code) if exc.code == "not_found" else exc
        if not sees(actor, need):
            raise unseen(code)
        tc = TickContext(session, now, config, core.directory, config.bot_id)
        if action == "accept":
            change = await N.accept(session, now, config, code, person)
            key = "sign" if person.department else "accept"
        elif action == "reply":
            change = await N.reply(session, now, config, code, person, _field(fields, "text"))
            key = ("reply_tree_hole" if change.need.tree_hole else
                   "answered" if change.extra.get("answered") else "reply")
        elif action == "transfer":
            change = await N.transfer(session, now, config, code, person, _field(fields, "department"),
                                      _field(fields, "note") or None)
            key = "transfer"
        elif action == "return":
            change = await N.hand_back(session, now, config, code, person, _field(fields, "reason"))
            key = "return"
        elif action == "resolve":
            change = await N.resolve(session, now, config, code, person, _field(fields, "note"))
            key = "resolve_tree_hole" if change.need.tree_hole else "resolve"
        elif action == "assign":        # 派单 by hand, as the chat's 派单 D… 名字
            people = await D.staff_choices(session, config)
            to = _field(fields, "to")
            if to not in people:
                raise Refused(400, X.NEED_FIELD["assign"], "no_person")
            change = await N.assign(session, now, config, code, person, to, people[to], _field(fields, "note") or None)
            key = "assign"
        elif action == "urge":          # 督办 by hand, as the chat's 督办 D… 说明
            change = await N.urge(session, now, config, code, person, _field(fields, "note") or None)
            key = "urge"
        else:
            reason = _field(fields, "reason")
            if not reason:
                raise Refused(400, X.NEED_FIELD["reopen"], "no_reason")
            change = await reopen(session, now, config, code, person, reason)  # type: ignore[misc]
            key = "reopen"
        await tell.announce_change(tc.out, config, change)
    core.wake_sender()
    return Done(change.need, key)


def done_message(key: str, need: N.Need, now: datetime, config: Config) -> str:
    template = X.DONE.get(key)
    if template is None:
        return ""
    return template.format(department=need.department or "", due=tell.fmt_time(need.due_at, now, config),
                           holder=need.assignee_name or "社区", code=need.code, parent=need.merged_into or "")


async def confirm_suggestion(core: Any, actor: WebActor, suggestion_id: int, category: str | None) -> N.Intake:
    if not actor.can_act or actor.person is None or not actor.sees_suggestions:
        raise Refused(403, X.READ_ONLY, "read_only")
    now, config = core.clock.now(), core.config
    async with transaction(core.sessions) as session:
        sug = await session.get(N.Suggestion, suggestion_id)
        if sug is None:
            raise N.NeedError("suggestion_not_found", id=suggestion_id)
        if not actor.scope.sees_suggestion(sug.grid):
            raise Refused(403, X.FORBIDDEN_PAGE.format(role=actor.role_name), "forbidden")
        intake = await N.confirm_suggestion(session, now, config, suggestion_id, actor.person,
                                            category=category if category in N.CATEGORY_NAMES else None)
        tc = TickContext(session, now, config, core.directory, config.bot_id)
        await tell.announce_intake(tc.out, config, intake)
    core.wake_sender()
    return intake


async def dismiss_suggestion(core: Any, actor: WebActor, suggestion_id: int, note: str | None) -> None:
    if not actor.can_act or actor.person is None or not actor.sees_suggestions:
        raise Refused(403, X.READ_ONLY, "read_only")
    async with transaction(core.sessions) as session:
        sug = await session.get(N.Suggestion, suggestion_id)
        if sug is None:
            raise N.NeedError("suggestion_not_found", id=suggestion_id)
        if not actor.scope.sees_suggestion(sug.grid):
            raise Refused(403, X.FORBIDDEN_PAGE.format(role=actor.role_name), "forbidden")
        await N.dismiss_suggestion(session, core.clock.now(), suggestion_id, actor.person, (note or "").strip() or None)


# ---------------------------------------------------------------- 来电来访: a need taken by staff

TAKEN_SOURCES = (N.Source.PHONE, N.Source.COUNTER)
INTAKE_TEXT_LIMIT = 1000


@dataclass(frozen=True)
class TakenNeed:
    """A 来电来访 form, checked: what create_need is called with."""

    text: str
    source: N.Source
    category: str | None       # None: classify the text, as chat intake does
    urgent: bool
    building: int | None
    caller_name: str | None
    caller_phone: str | None


def flag(value: Any) -> bool:
    return value is True or str(value or "").strip().lower() in ("1", "on", "true", "yes", "是")


def parse_taken(config: Config, fields: dict[str, Any]) -> TakenNeed:
    """Check the form; Refused(400) with the Chinese reason on the first bad field."""
    def bad(key: str, **kw: Any) -> Refused:
        return Refused(400, X.INTAKE_ERRORS[key].format(**kw), key)

    text = str(fields.get("text") or "").strip()
    if not text:
        raise bad("no_text")
    if len(text) > INTAKE_TEXT_LIMIT:
        raise bad("text_long", limit=INTAKE_TEXT_LIMIT)
    try:
        source = N.Source(str(fields.get("source") or "phone").strip())
    except ValueError:
        raise bad("bad_source") from None
    if source not in TAKEN_SOURCES:
        raise bad("bad_source")
    category = str(fields.get("category") or "").strip() or None
    if category is not None and category not in N.CATEGORY_NAMES:
        raise bad("bad_category")
    raw_building = str(fields.get("building") or "").strip().removesuffix("栋").removesuffix("号楼")
    building = None
    if raw_building:
        if not raw_building.isdigit() or not 1 <= int(raw_building) <= 9999:
            raise bad("bad_building")
        building = int(raw_building)
        if config.grids and config.grid_of_building(building) is None:
            raise bad("unknown_building", building=building)
    room = str(fields.get("room") or "").strip()
    if len(room) > 32:
        raise bad("room_long")
    name = str(fields.get("caller_name") or "").strip() or None
    if name is not None and len(name) > 32:
        raise bad("name_long")
    phone = str(fields.get("caller_phone") or "").strip().replace(" ", "") or None
    if phone is not None and N.find_phones(phone) != [phone]:
        raise bad("bad_phone")
    if room:   # the ledger reads 房号/地址 from the text, as it does for chat needs
        text = f"{text}({building}栋{room})" if building is not None else f"{text}({room})"
    return TakenNeed(text, source, category, flag(fields.get("urgent")), building, name, phone)


async def take_need(core: Any, actor: WebActor, fields: dict[str, Any]) -> N.Intake:
    """来电来访: the same create_need as chat intake (classified like a chat message when no category is
    chosen), then the same intake notices through the outbox, in one transaction."""
    if not actor.can_act or actor.person is None:
        raise Refused(403, X.READ_ONLY, "read_only")
    if actor.role not in (M.WebRole.ADMIN, M.WebRole.WORKER):
        raise Refused(403, X.INTAKE_ERRORS["not_staff"], "forbidden")
    config, now = core.config, core.clock.now()
    form = parse_taken(config, fields)
    u = classify(form.text)
    building = form.building if form.building is not None else u.building
    async with transaction(core.sessions) as session:
        intake = await N.create_need(
            session, now, config, text=form.text, category=form.category or u.category,
            urgent=form.urgent or u.urgent, building=building, source=form.source, requester=None,
            requester_name=form.caller_name, chat=None, chat_grid=actor.scope.grid,
            caller_phone=form.caller_phone, taken_by=actor.person)
        tc = TickContext(session, now, config, core.directory, config.bot_id)
        await tell.announce_intake(tc.out, config, intake)
    core.wake_sender()
    return intake


def intake_message(intake: N.Intake) -> str:
    if intake.parent is not None:
        return X.INTAKE_DONE_MERGED.format(code=intake.need.code, parent=intake.parent.code)
    return X.INTAKE_DONE.format(code=intake.need.code, holder=intake.need.assignee_name or "社区")
