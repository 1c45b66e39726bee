"""Needs (诉求): intake, the lifecycle, clocks, 回访 and 三率 — the domain operations that chat
commands (handlers/needs.py), the scheduler (scheduler/needs_clocks.py) and the web inbox all call.

Lifecycle
=========

Every need moves through these states (``Need.status``); every move is one ``NeedEvent`` row
(who, when, from → to, note), which is the audit trail::

    受理 received ──派单 dispatch──▶ 待签收 dispatched ──接单/签收 accept──▶ 已签收 accepted
        │                              ▲    │                                 │
        │ 合并 merge                   │    │ 转派 transfer (to a department)  │ 回复 reply
        ▼                              │    │ 退单 return (reason required)    ▼
    已合并 merged ─(parent 办结)─┐     │    └──────────────◀──────────── 办理中 in_progress
                                 ▼     │                                       │ 办结 resolve
                           已办结 resolved ◀───────────────────────────────────┘
                                 │ 回访 visit (resident asked to rate)
                                 ▼
                           回访中 visiting ──满意/基本满意 rate──▶ 已关闭 closed
                                 │            (or no rating after close_after_days: expire)
                                 └──不满意 reopen──▶ 待签收 dispatched (back to whoever resolved it)

The exact table is ``TRANSITIONS`` below (action → {from: to}); anything not in it is refused with
``NeedError("illegal", …)`` naming the current state. Two conveniences: 回复 or 办结 on a need that is
still 待签收 by the person who holds it accepts it first (two events); a merged need follows its
parent: when the parent is resolved each merged need is resolved and visited too, and its resident
rates it separately; 不满意 from a merged need's resident reopens the parent. A 树洞 need has nobody
to visit: it stays 已办结 until someone holding its code rates it (满意 CODE) or it expires.

Who may act: admins on any need; a grid worker on needs of their grid (as worker or AB岗 backup) or
held by them, unless a department holds it; department staff on needs transferred to their department.

Clocks (all in the table, so the scheduler finds what is due after any restart)
------------------------------------------------------------------------------
* response: from dispatch until a person accepts: urgent 5 minutes, normal 2 working hours
  (office hours on Chinese working days, kernel/workhours.py); a department's 签收 limit after 转派
  (DepartmentConfig.ack_minutes). 退单 does not restart it: the clock keeps running.
* handling (urgent only): 15 minutes from intake until 办结.
* a missed clock is 督办: the need is marked overdue and the next level is told, one level per step,
  each level once: worker → AB岗 backup → admin → staff group (a department: the department again
  and the admin → staff group). [needs] in the config may override every number (``config.needs``).

三率 (per grid / worker / category / period; a need counts in the period it was received)
-----------------------------------------------------------------------------------------
* received  = needs received in the period, merged duplicates not counted;
* 响应率 = needs accepted (接单/签收, or handed on with 转派) by a person no later than their first
  response deadline ÷ received;
* 解决率 = needs resolved (办结, at any time since, and not reopened by 不满意 since) ÷ received;
* 满意率 = (满意 + 基本满意) ÷ rated, where rated counts every resident's rating, merged needs included
  (each resident who was told "already being handled" is asked too).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.config import Config, GridConfig
from kernel.identity import Person, Role
from kernel.logevent import log_event
from kernel.privacy import CODE_CHARS, find_phones, mask_phones, random_code  # noqa: F401  (callers use N.mask_phones, N.find_phones)
from kernel.settings import NeedsSettings
from kernel.text.danger import danger_words
from kernel.workhours import add_working_minutes
from models import access
from models.duty import Roster, config_roster, roster as duty_roster
from models.base import Base
from models.counters import next_value


# ---------------------------------------------------------------- vocabulary

class Status(StrEnum):
    RECEIVED = "received"        # 受理
    DISPATCHED = "dispatched"    # 派单 / 转派: waiting for 接单 or 签收
    ACCEPTED = "accepted"        # 签收
    IN_PROGRESS = "in_progress"  # 办理
    RESOLVED = "resolved"        # 办结
    VISITING = "visiting"        # 回访: the resident has been asked to rate
    CLOSED = "closed"            # 关闭
    MERGED = "merged"            # 合并: attached to an open need, follows it


OPEN_STATUSES = (Status.RECEIVED, Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS)
DONE_STATUSES = (Status.RESOLVED, Status.VISITING, Status.CLOSED)

STATUS_NAMES = {
    Status.RECEIVED: "已受理", Status.DISPATCHED: "待签收", Status.ACCEPTED: "已签收",
    Status.IN_PROGRESS: "办理中", Status.RESOLVED: "已办结", Status.VISITING: "回访中",
    Status.CLOSED: "已关闭", Status.MERGED: "已合并",
}

CATEGORY_NAMES = {
    "repair": "维修", "environment": "环境卫生", "safety": "安全隐患", "elderly": "养老助老",
    "childcare": "托幼托育", "employment": "就业培训", "culture": "文体教育", "neighbor": "邻里纠纷",
    "legal": "法律咨询", "affairs": "政务办事", "convenience": "便民服务", "property": "物业管理",
    "other": "其他", "consult": "居民咨询",
}
# A resident's question the bot could not answer, handed to a person (ask_person): the person's 回复
# answers it and so finishes it (no rating asked: a question answered is not a service to rate).
CONSULT = "consult"


class Source(StrEnum):
    GROUP = "group"            # raised in a grid group
    PRIVATE = "private"        # private chat with the bot
    TREE_HOLE = "tree_hole"    # 树洞: anonymous, no requester stored
    SUGGESTION = "suggestion"  # 未诉先办: confirmed from a passive suggestion
    PHONE = "phone"            # 来电: taken by a worker on the phone (staff web)
    COUNTER = "counter"        # 来访: taken at the service counter (staff web)


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"        # 1 满意
    BASIC = "basic"                # 2 基本满意
    DISSATISFIED = "dissatisfied"  # 3 不满意


SATISFACTION_NAMES = {Satisfaction.SATISFIED: "满意", Satisfaction.BASIC: "基本满意",
                      Satisfaction.DISSATISFIED: "不满意"}
SCORES = {1: Satisfaction.SATISFIED, 2: Satisfaction.BASIC, 3: Satisfaction.DISSATISFIED}


class Action(StrEnum):
    CREATE = "create"
    DISPATCH = "dispatch"      # 派单 (automatic, to the grid worker, or the admin without a grid)
    MERGE = "merge"            # 合并同类项
    ACCEPT = "accept"          # 接单 (worker) / 签收 (department)
    REPLY = "reply"            # 回复
    TRANSFER = "transfer"      # 转派 to a department
    RETURN = "return"          # 退单 (reason required)
    RESOLVE = "resolve"        # 办结
    VISIT = "visit"            # 回访: rating asked
    RATE = "rate"              # 满意 / 基本满意 (closes) — 不满意 is RATE + REOPEN
    REOPEN = "reopen"          # 不满意: back to whoever resolved it
    REJOIN = "rejoin"          # a merged need whose resident was not satisfied follows its parent again
    EXPIRE = "expire"          # no rating after close_after_days
    ESCALATE = "escalate"      # 督办 (status unchanged): by the clocks, or by an admin's hand (urge)
    WITHDRAW = "withdraw"      # 居民撤回: "算了 不用了 自己修好了" (closes, no rating asked)


# The lifecycle in one place: action → {from status: to status}.
TRANSITIONS: dict[Action, dict[Status | None, Status]] = {
    Action.CREATE: {None: Status.RECEIVED},
    Action.DISPATCH: {Status.RECEIVED: Status.DISPATCHED,      # …and 派单 by hand to another person (assign)
                      Status.DISPATCHED: Status.DISPATCHED, Status.ACCEPTED: Status.DISPATCHED,
                      Status.IN_PROGRESS: Status.DISPATCHED},
    Action.MERGE: {Status.RECEIVED: Status.MERGED},
    Action.ACCEPT: {Status.DISPATCHED: Status.ACCEPTED},
    Action.REPLY: {Status.ACCEPTED: Status.IN_PROGRESS, Status.IN_PROGRESS: Status.IN_PROGRESS,
                   Status.RESOLVED: Status.RESOLVED},      # resolved: only a 居民咨询 answered once (reply)
    Action.TRANSFER: {s: Status.DISPATCHED for s in OPEN_STATUSES},
    Action.RETURN: {Status.DISPATCHED: Status.DISPATCHED, Status.ACCEPTED: Status.DISPATCHED,
                    Status.IN_PROGRESS: Status.DISPATCHED},
    Action.RESOLVE: {Status.ACCEPTED: Status.RESOLVED, Status.IN_PROGRESS: Status.RESOLVED,
                     Status.MERGED: Status.RESOLVED},
    Action.VISIT: {Status.RESOLVED: Status.VISITING},
    Action.RATE: {Status.VISITING: Status.CLOSED, Status.RESOLVED: Status.CLOSED},
    Action.REOPEN: {Status.RESOLVED: Status.DISPATCHED, Status.VISITING: Status.DISPATCHED,
                    Status.CLOSED: Status.DISPATCHED},
    Action.REJOIN: {Status.VISITING: Status.MERGED, Status.RESOLVED: Status.MERGED, Status.CLOSED: Status.MERGED},
    Action.EXPIRE: {Status.VISITING: Status.CLOSED, Status.RESOLVED: Status.CLOSED},
    Action.ESCALATE: {s: s for s in OPEN_STATUSES},
    Action.WITHDRAW: {**{s: Status.CLOSED for s in OPEN_STATUSES}, Status.MERGED: Status.CLOSED},
}


class NeedError(Exception):
    """A refused operation. `code` picks the sentence in texts/needs.py; `data` fills it.

    Codes: not_found, illegal (status, action), not_yours (holder), no_reason, no_note, no_text,
    unknown_department (departments), not_requester, already_rated, not_allowed."""

    def __init__(self, error: str, /, **data: Any) -> None:
        super().__init__(error, data)
        self.code = error
        self.data = data


# ---------------------------------------------------------------- tables

class Need(Base):
    __tablename__ = "needs"
    __table_args__ = (
        # The inbox list and its counts (models/inbox.py) read only this index, never the wide rows: the
        # open needs are found by status and sorted and counted on these columns (the scopes' too; the id
        # last so that PostgreSQL, whose indexes do not carry the key as SQLite's do, scans it alone).
        Index("ix_needs_list", "status", "grid", "urgent", "overdue", "due_at", "resolve_due_at", "created_at",
              "category", "assignee", "department", "id"),
        Index("ix_needs_next_escalation", "next_escalation_at"),
        Index("ix_needs_resolve_next", "resolve_next_at"),
        Index("ix_needs_merge", "category", "building", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    building: Mapped[int | None]
    grid: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text)
    tokens: Mapped[list[Any]]                                   # classify.tokens, for merging
    requester: Mapped[str | None] = mapped_column(String(64), index=True)   # None: 树洞
    # 树洞 only: the random follow-up code (H-XXXXX-XXXXX) its resident was given, the only key that reads
    # its progress; the sequential code stays for staff, who see it within their scope.
    follow_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    requester_name: Mapped[str | None] = mapped_column(String(64))
    caller_phone: Mapped[str | None] = mapped_column(String(32))   # 来电来访: the number the caller left
    chat: Mapped[str | None] = mapped_column(String(128))       # group topic it was raised in; None: private
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)    # who holds it now
    assignee_name: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(32))
    dispatcher: Mapped[str | None] = mapped_column(String(64))  # where a department's 退单 goes back
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    merged_into: Mapped[str | None] = mapped_column(String(20), index=True)  # parent's code
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    visited_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # clocks
    response_due_at: Mapped[datetime | None]    # the first response deadline (响应率)
    clock_kind: Mapped[str | None] = mapped_column(String(16))   # respond | dept_ack (None: nobody owes one)
    clock_no: Mapped[int] = mapped_column(Integer, default=0)    # bumps with every new response clock
    due_at: Mapped[datetime | None]             # current response deadline
    next_escalation_at: Mapped[datetime | None]
    level: Mapped[int] = mapped_column(Integer, default=0)       # 督办 levels already notified
    resolve_due_at: Mapped[datetime | None]     # urgent: 办结 deadline
    resolve_next_at: Mapped[datetime | None]
    resolve_level: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    # outcome
    last_reply: Mapped[str | None] = mapped_column(Text)
    last_reply_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    solved: Mapped[bool | None] = mapped_column(Boolean)
    rating_note: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def tree_hole(self) -> bool:
        return self.source == Source.TREE_HOLE

    @property
    def public_code(self) -> str:
        """The code its resident holds: a 树洞's follow-up code, else the need code."""
        return self.follow_code or self.code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def category_name(self) -> str:
        return CATEGORY_NAMES.get(self.category, "其他")

    @property
    def status_name(self) -> str:
        if self.status == Status.DISPATCHED and self.department:
            return f"已转派{self.department},待签收"
        return STATUS_NAMES.get(Status(self.status), self.status)


class NeedEvent(Base):
    __tablename__ = "need_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(index=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(64))       # contact id; None: the bot or a 树洞 resident
    actor_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


_EVENT_COLUMNS = tuple(c.key for c in NeedEvent.__table__.columns if c.key != "id")


class NeedCounter(Base):
    """One row per local day: the last sequence number handed out (D20261121-0007)."""

    __tablename__ = "need_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class SuggestionStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class Suggestion(Base):
    """未诉先办: a complaint seen in a group but not addressed to the bot. Only the inbox sees it."""

    __tablename__ = "need_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    grid: Mapped[int | None]
    chat: Mapped[str] = mapped_column(String(128))
    sender_id: Mapped[str] = mapped_column(String(64))
    sender_name: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    building: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default=SuggestionStatus.OPEN, index=True)
    need_code: Mapped[str | None] = mapped_column(String(20))
    handled_by: Mapped[str | None] = mapped_column(String(64))
    handled_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- small helpers

CODE_RE = re.compile(r"(?<![A-Za-z0-9])[Dd]\s?-?(\d{8})\s?-?(\d{4,5})(?!\d)")

# A 树洞 follow-up code: H + 10 random characters (≈ 47 bits), written H-K7M3Q-9XRTA; case, spaces and
# dashes do not matter.
FOLLOW_RE = re.compile(r"(?<![A-Za-z0-9])[Hh][\s-]?([%s]{5})[\s-]?([%s]{5})(?![A-Za-z0-9])" % (CODE_CHARS, CODE_CHARS))


def new_follow_code() -> str:
    pick = random_code(10)
    return f"H-{pick[:5]}-{pick[5:]}"


def normalize_follow_code(text: str) -> str | None:
    m = FOLLOW_RE.search(text)
    return f"H-{m.group(1).upper()}-{m.group(2).upper()}" if m else None


def normalize_code(text: str) -> str | None:
    """'d20261121-0007', 'D20261121 0007', 'D202611210007' → 'D20261121-0007'; a 树洞 follow-up code
    'hk7m3q9xrta' → 'H-K7M3Q-9XRTA'."""
    m = CODE_RE.search(text)
    return f"D{m.group(1)}-{m.group(2)}" if m else normalize_follow_code(text)


def name_of(config: Config, contact_id: str | None) -> str | None:
    if contact_id is None:
        return None
    for p in (*config.workers, *config.admins, *config.residents):
        if p.id == contact_id:
            return p.name
    for d in config.departments:
        if d.contact_id == contact_id:
            return d.name
    return None


def first_admin(config: Config) -> str | None:
    return config.admins[0].id if config.admins else None


def _person_cfg(config: Config, contact_id: str | None):  # type: ignore[no-untyped-def]
    return next((p for p in (*config.workers, *config.admins) if p.id == contact_id), None)


def similarity(a: list[str], b: list[str]) -> float:
    """Weighted Jaccard of two merge-token lists: Σmin(w)/Σmax(w) over tokens, plus each CJK character
    of a longer token at half weight (灯不亮 ~ 声控灯 ~ 路灯); w is the token's inverse frequency in
    jieba's dictionary, so the object of a complaint (下水道, 门禁) counts more than 坏 or 没人."""
    fa, fb = _features(a), _features(b)
    if not fa or not fb:
        return 0.0
    keys = fa.keys() | fb.keys()
    den = sum(max(fa.get(k, 0.0), fb.get(k, 0.0)) for k in keys)
    return sum(min(fa.get(k, 0.0), fb.get(k, 0.0)) for k in keys) / den if den else 0.0


_WEAK_CHARS = frozenset("不了的着没很太好有在是又")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _idf(token: str) -> float:
    from kernel.text.jieba_setup import tokenizer

    tk = tokenizer()
    return math.log((tk.total or 1) / ((tk.FREQ.get(token) or 0) + 1))


def _features(tokens: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in tokens:
        if t in _GENERIC_FOR_MERGE:
            continue
        out[t] = max(out.get(t, 0.0), _idf(t))
        if len(t) > 1:
            for ch in t:
                if _CJK.match(ch) and ch not in _WEAK_CHARS:
                    out["#" + ch] = max(out.get("#" + ch, 0.0), 0.5 * _idf(ch))
    return out


# Common words that say little about *which* problem it is (kept in hot words, ignored when merging).
_GENERIC_FOR_MERGE = frozenset("坏 楼道 楼下 楼上 没人 好多 很多 几天 大 太 死 出来 上去 门口 家里 一直 全是 晚上 "
                               "反应 停 那边 这边 怎么 什么 时候".split())


# Words that say how a need was raised or where, not what it is about: left out of the merge tokens.
_NOISE_TOKENS = frozenset("栋 号 楼 幢 座 单元 号楼 门口 求助 报修 反映 投诉 建议 诉求 树洞 小区 又 还 烦死 烦死了 "
                          "有人 看到 好像 真的 有点 实在".split())
_TOKEN_TRIM = re.compile(r"(了|啦|住|掉|着|的)+$")


def merge_tokens(text: str) -> list[str]:
    """classify.tokens without place and intake words, with verb endings trimmed (堵住了 → 堵)."""
    from kernel.text.classify import tokens

    out: list[str] = []
    for t in tokens(text):
        t = _TOKEN_TRIM.sub("", t) or t
        if t in _NOISE_TOKENS or t.isdigit():
            continue
        if t.startswith("又") and len(t) > 1:        # 又坏了 → 坏
            t = t[1:]
        if t not in out:
            out.append(t)
    return out


# ---------------------------------------------------------------- results

@dataclass
class Intake:
    need: Need
    parent: Need | None = None      # set when merged into an open need


@dataclass
class Change:
    """What an operation did, for the caller to word notifications."""

    need: Need
    action: Action
    from_status: str | None
    actor: Person | None = None
    previous_assignee: str | None = None
    followers: list[Need] = field(default_factory=list)   # merged needs that moved along
    parent: Need | None = None                             # the reopened parent (rating of a merged need)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Target:
    kind: str             # "private" | "group"
    id: str               # contact id or group topic
    name: str
    role: str             # worker | backup | admin | department | staff_group | holder


@dataclass
class Escalation:
    need: Need
    clock: str            # respond | dept_ack | handle
    level: int            # 1-based
    clock_no: int
    targets: list[Target]
    minutes_over: int


# ---------------------------------------------------------------- core: events and transitions

def _actor_fields(actor: Person | None) -> tuple[str | None, str | None]:
    return (actor.id[:64], (actor.name or "")[:64]) if actor else (None, None)


def _move(session: AsyncSession, now: datetime, need: Need, action: Action, actor: Person | None,
          note: str | None = None, *, add: bool = True) -> NeedEvent:
    """Apply one transition of TRANSITIONS and write its event row (`add`; else the caller writes the
    returned event); refuse anything else."""
    table = TRANSITIONS[action]
    current = Status(need.status) if need.status else None
    to = table.get(current)
    if to is None:
        raise NeedError("illegal", code=need.code, status=need.status, action=action)
    actor_id, actor_name = _actor_fields(actor)
    if need.tree_hole and actor is not None and actor.role == Role.RESIDENT:
        actor_id = actor_name = None        # never link a 树洞 need to a person
    event = NeedEvent(need_id=need.id, at=now, actor=actor_id, actor_name=actor_name, action=str(action),
                      from_status=need.status, to_status=str(to), note=note)
    if add:
        session.add(event)          # else the caller writes it (a need not yet written has no id)
    log_event("gridbot.needs", f"need.{action}", **{"code": need.code, "from": need.status, "to": str(to),
                                                    "actor": str(actor.role) if actor else "system"})
    need.status = str(to)
    need.updated_at = now
    return event


async def _next_code(session: AsyncSession, now: datetime, config: Config) -> str:
    """D + local date + per-day sequence (models/counters.py: never the same number twice)."""
    day = now.astimezone(config.timezone).strftime("%Y%m%d")
    n = await next_value(session, NeedCounter.__table__, "day", "last", day, start=0)
    return f"D{day}-{n:04d}"


def _start_response_clock(need: Need, now: datetime, config: Config, s: NeedsSettings,
                          department_minutes: int | None = None) -> None:
    if department_minutes is not None:
        need.clock_kind = "dept_ack"
        due = now + timedelta(minutes=department_minutes)
    else:
        need.clock_kind = "respond"
        due = (now + timedelta(minutes=s.respond_minutes_urgent) if need.urgent
               else add_working_minutes(now, s.respond_minutes_normal, config.timezone, s.work_hours))
    need.clock_no = (need.clock_no or 0) + 1
    need.level = 0
    need.due_at = due
    need.next_escalation_at = due
    if need.response_due_at is None:
        need.response_due_at = due


def _stop_response_clock(need: Need) -> None:
    need.clock_kind = None
    need.due_at = None
    need.next_escalation_at = None


def _mark_acknowledged(need: Need, now: datetime, actor: Person) -> None:
    if need.acknowledged_at is None:
        need.acknowledged_at = now
        need.acknowledged_by = actor.id
    _stop_response_clock(need)


def default_holder(config: Config, grid: int | None) -> tuple[str | None, str | None]:
    """The grid's worker; without a grid (no building, private chat) the first admin."""
    g = config.grid_by_number(grid)
    if g is not None:
        return g.worker, name_of(config, g.worker)
    admin = first_admin(config)
    return admin, name_of(config, admin)


# ---------------------------------------------------------------- intake

async def create_need(session: AsyncSession, now: datetime, config: Config, *, text: str, category: str | None,
                      urgent: bool, building: int | None, source: Source, requester: str | None = None,
                      requester_name: str | None = None, chat: str | None = None,
                      chat_grid: int | None = None, merge: bool = True, caller_phone: str | None = None,
                      taken_by: Person | None = None, about_worker: bool = False) -> Intake:
    """受理 + 派单 (or 合并 into a similar open need). Grid: from the building, else the group's grid.

    A 树洞 need gets no requester, no name and no chat whatever the caller passes. A need taken by staff
    (来电来访, `taken_by`) has no chat requester; its creation event names the worker who took it.
    A complaint about a grid worker (`about_worker`, "网格员不管事") goes to the admin, never to the worker
    it is about, and is never merged into another need."""
    s = config.needs
    follow_code = None
    if source == Source.TREE_HOLE:
        requester = requester_name = chat = None
        chat_grid = None
        follow_code = new_follow_code()
        if danger_words(text):          # 家暴, 想不开 …: a person may be in danger now
            urgent = True
            category = category if category not in (None, "other") else "safety"
    requester_name = requester_name[:64] if requester_name else requester_name
    g = config.grid_of_building(building)
    grid = g.number if g else chat_grid
    if about_worker:
        grid = None     # nor in that worker's grid list (待办, may_handle): the admin's alone
    category = category if category in CATEGORY_NAMES else "other"
    code = await _next_code(session, now, config)
    need = Need(code=code, status=str(Status.RECEIVED), source=str(source), category=category, urgent=urgent,
                building=building, grid=grid, text=text, tokens=merge_tokens(text), requester=requester,
                requester_name=requester_name, chat=chat, follow_code=follow_code, created_at=now, updated_at=now,
                caller_phone=(caller_phone or None) and caller_phone[:32],
                clock_no=0, level=0, resolve_level=0, overdue=False, reopen_count=0)
    actor_id, actor_name = _actor_fields(taken_by) if taken_by else (requester, requester_name)
    events = [NeedEvent(at=now, actor=actor_id, actor_name=actor_name,
                        action=str(Action.CREATE), from_status=None, to_status=str(Status.RECEIVED),
                        note={Source.TREE_HOLE: "树洞(匿名)", Source.PRIVATE: "私聊", Source.GROUP: chat,
                              Source.SUGGESTION: "未诉先办", Source.PHONE: "来电登记",
                              Source.COUNTER: "来访登记"}.get(source))]

    # The need is decided (merged, or dispatched with its clocks) before it is written: one INSERT for
    # it and one for its events, no UPDATE right after.
    merge = merge and not about_worker
    parent = await _find_similar(session, now, need, s) if merge and source != Source.TREE_HOLE else None
    if parent is not None:
        need.merged_into = parent.code
        need.assignee, need.assignee_name = parent.assignee, parent.assignee_name
        events.append(_move(session, now, need, Action.MERGE, None, f"与 {parent.code} 合并办理", add=False))
        parent.updated_at = now
    else:
        holder, holder_name = default_holder(config, grid)
        need.assignee, need.assignee_name, need.dispatcher = holder, holder_name, holder
        events.append(_move(session, now, need, Action.DISPATCH, None, f"派单给 {holder_name or '社区'}",
                            add=False))
        _start_response_clock(need, now, config, s)
        if urgent:
            need.resolve_due_at = now + timedelta(minutes=s.handle_minutes_urgent)
            need.resolve_next_at = need.resolve_due_at
    session.add(need)
    await session.flush()
    for event in events:
        event.need_id = need.id
    if parent is not None:
        events.append(NeedEvent(need_id=parent.id, at=now, actor=None, actor_name=None, action=str(Action.MERGE),
                                from_status=parent.status, to_status=parent.status, note=f"合并同类诉求 {need.code}"))
    # One executemany (the ORM would insert them one by one to fetch ids nobody reads here).
    await session.execute(insert(NeedEvent.__table__), [{c: getattr(e, c) for c in _EVENT_COLUMNS} for e in events])
    return Intake(need, parent)


@dataclass
class Located:
    need: Need
    previous_assignee: str | None = None     # set when the need moved from the admin to the grid's worker


async def locate(session: AsyncSession, now: datetime, config: Config, code: str, building: int,
                 actor: Person) -> Located:
    """The building of a need its resident filed privately without one ("我家楼上漏水" → "3栋"): where it
    is, and — while nobody has taken it yet — the grid's worker instead of the admin it went to by
    default. Only the requester says this (the handler asks them); a need already placed is left."""
    need = await get_need(session, code, lock=True)
    if need.requester != actor.id or need.tree_hole or need.building is not None:
        raise NeedError("not_found", code=code)
    g = config.grid_of_building(building)
    need.building = building
    need.updated_at = now
    note = f"居民补充位置: {building}栋"
    located = Located(need)
    if g is not None and need.grid is None:
        need.grid = g.number
        if need.status == Status.DISPATCHED and need.acknowledged_at is None and need.department is None \
                and need.assignee != g.worker:
            located.previous_assignee = need.assignee
            need.assignee, need.assignee_name = default_holder(config, g.number)
            need.dispatcher = need.assignee
            note += f",改派给 {need.assignee_name or g.worker}"
    actor_id, actor_name = _actor_fields(actor)
    session.add(NeedEvent(need_id=need.id, at=now, actor=actor_id, actor_name=actor_name, action="locate",
                          from_status=need.status, to_status=need.status, note=note))
    return located


async def relocate(session: AsyncSession, now: datetime, config: Config, code: str, building: int,
                   actor: Person) -> Located:
    """The resident corrects the building of their own open need ("不是3栋 是5栋"). While nobody has taken
    it, a building in another grid moves it to that grid's worker; once taken, the holder is told (the
    caller) and keeps it."""
    need = await get_need(session, code, lock=True)
    if need.requester != actor.id or need.tree_hole or need.status not in OPEN_STATUSES:
        raise NeedError("not_found", code=code)
    old = need.building
    need.building = building
    need.updated_at = now
    note = f"居民更正位置: {old}栋 → {building}栋" if old is not None else f"居民补充位置: {building}栋"
    located = Located(need)
    g = config.grid_of_building(building)
    if g is not None and need.grid != g.number and need.department is None and need.acknowledged_at is None \
            and need.status == Status.DISPATCHED and need.assignee != g.worker:
        need.grid = g.number
        located.previous_assignee = need.assignee
        need.assignee, need.assignee_name = default_holder(config, g.number)
        need.dispatcher = need.assignee
        note += f",改派给 {need.assignee_name or g.worker}"
    elif g is not None and need.grid is None:
        need.grid = g.number
    actor_id, actor_name = _actor_fields(actor)
    session.add(NeedEvent(need_id=need.id, at=now, actor=actor_id, actor_name=actor_name, action="locate",
                          from_status=need.status, to_status=need.status, note=note))
    return located


async def add_detail(session: AsyncSession, now: datetime, code: str, text: str, actor: Person) -> Need:
    """More words from the resident about their own open need ("就在2单元门口 晚上看不见"): added to its
    text (the worker sees it with the need) and to its trail."""
    text = (text or "").strip()
    need = await get_need(session, code, lock=True)
    if not text or need.requester != actor.id or need.tree_hole or \
            need.status not in (*OPEN_STATUSES, Status.MERGED):
        raise NeedError("not_found", code=code)
    need.text = f"{need.text}\n(补充: {text[:300]})"
    need.tokens = merge_tokens(need.text)
    need.updated_at = now
    actor_id, actor_name = _actor_fields(actor)
    session.add(NeedEvent(need_id=need.id, at=now, actor=actor_id, actor_name=actor_name, action="detail",
                          from_status=need.status, to_status=need.status, note=text[:300]))
    return need


async def withdraw(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person,
                   words: str) -> Change:
    """The resident no longer needs it ("算了 不用了 自己修好了"): closed without a rating, with their words
    as the result. A need neighbours were merged into stays open for them (extra["kept"]: the holder is
    told, nothing moves); a merged need simply leaves its parent."""
    need = await get_need(session, code, lock=True)
    if need.requester != actor.id or need.tree_hole:
        raise NeedError("not_found", code=code)
    if need.status not in (*OPEN_STATUSES, Status.MERGED):
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.WITHDRAW)
    words = (words or "").strip()[:200] or "居民撤回"
    before = need.status
    followers = [f for f in await followers_of(session, need) if f.status == Status.MERGED]
    if followers:
        actor_id, actor_name = _actor_fields(actor)
        session.add(NeedEvent(need_id=need.id, at=now, actor=actor_id, actor_name=actor_name, action="detail",
                              from_status=need.status, to_status=need.status,
                              note=f"提出的居民说不用了({words}),还有 {len(followers)} 位邻居反映同一问题,继续办理"))
        need.updated_at = now
        return Change(need, Action.WITHDRAW, before, actor, followers=followers, extra={"kept": True})
    _move(session, now, need, Action.WITHDRAW, actor, words)
    need.resolution = f"居民撤回: {words}"
    need.resolved_at = need.closed_at = now
    _stop_response_clock(need)
    need.resolve_due_at = need.resolve_next_at = None
    return Change(need, Action.WITHDRAW, before, actor)


async def _find_similar(session: AsyncSession, now: datetime, need: Need, s: NeedsSettings) -> Need | None:
    """合并同类项: same category, same building (else same grid), similar words, within the window."""
    if need.building is None and need.grid is None:
        return None
    q = select(Need).where(
        Need.category == need.category, Need.merged_into.is_(None),
        Need.status.in_([str(x) for x in OPEN_STATUSES]), Need.source != str(Source.TREE_HOLE),
        Need.created_at >= now - timedelta(hours=s.merge_window_hours))
    q = q.where(Need.building == need.building) if need.building is not None else q.where(Need.grid == need.grid)
    if need.id is not None:
        q = q.where(Need.id != need.id)
    best, best_score = None, 0.0
    families = problem_families(need.text)
    grams = _problem_grams(need.text)
    for other in (await session.scalars(q.order_by(Need.created_at))).all():
        if need.urgent and not other.urgent:
            continue    # 管子爆了 after 水管漏了: danger now must not vanish into a routine need's queue
        grams_score = _gram_overlap(grams, _problem_grams(other.text))
        score = max(similarity(need.tokens, other.tokens), grams_score if grams_score >= _GRAMS_BAR else 0.0)
        if families & problem_families(other.text):
            score = max(score, 1.0)     # 水管漏了 / 管子爆了 / 一直在滴水: one problem, however it is said
        if score >= s.merge_threshold and score > best_score:
            best, best_score = other, score
    return best


# Families of words residents use for one kind of problem; two needs of the same category in the same
# building that both fall in a family are the same problem.
PROBLEM_FAMILIES: dict[str, re.Pattern[str]] = {k: re.compile(v) for k, v in {
    "water_leak": r"漏水|渗水|滴水|跑水|冒水|水管|管子|管道|水龙头|爆管|管.{0,2}爆|漏了|在漏|往下滴|滴滴答答|淹",
    "drain": r"下水道|下水|堵了|堵住|堵塞|反水|返水|马桶.{0,2}(?:堵|冒)|地漏|化粪池|污水|粪水",
    "lift": r"电梯",
    "light": r"路灯|声控灯|楼道灯|灯.{0,2}(?:不亮|坏|黑)|黑漆漆|没有灯|太暗",
    "power": r"停电|没电|跳闸|电闸|断电",
    "no_water": r"停水|没水|水压|水很小|水太小",
    "gas": r"燃气|煤气|天然气",
    "door": r"门禁|单元门|防盗门|门锁|刷卡|门坏",
    "garbage": r"垃圾|臭味|异味|清运",
    "noise": r"噪音|太吵|吵死|扰民|装修声|施工声|广场舞",
    "parking": r"乱停|占道|堵车|挡住|车位|停车",
}.items()}
_PLACE_WORDS = re.compile(r"[0-9零一二三四五六七八九十百两]+\s*(?:号楼|号|栋|幢|座|楼|单元|层|室)|[\s,，。.!！?？~～]|"
                          r"小助手|快来|看看|一下|麻烦|请|了|的|啊|呀|吧|呢")


def problem_families(text: str) -> set[str]:
    return {name for name, rx in PROBLEM_FAMILIES.items() if rx.search(text or "")}


def _problem_grams(text: str) -> set[str]:
    """Character bigrams of what is wrong, without the building and filler words."""
    core = _PLACE_WORDS.sub("", text or "")
    return {core[i:i + 2] for i in range(len(core) - 1)}


_GRAMS_BAR = 0.34     # bigram overlap alone is weaker evidence than shared words: a higher bar


def _gram_overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def urgent_alert_targets(config: Config, need: Need, now: datetime, roster: Roster | None = None) -> list[Target]:
    """Who hears of an urgent need at once: the holder (the grid worker), the AB岗 backup when the
    worker is off duty, and the staff group. `roster`: the duty roster in force (models.staff.roster)."""
    r = roster or config_roster(config)
    out: list[Target] = []
    if need.assignee:
        out.append(Target("private", need.assignee, need.assignee_name or need.assignee, "worker"))
        worker = _person_cfg(config, need.assignee)
        backup = r.backup_of(need.grid)
        if (worker is not None and not r.on_duty(need.assignee, now) and backup and backup != need.assignee):
            out.append(Target("private", backup, name_of(config, backup) or backup, "backup"))
    if need.tree_hole:          # a 树洞 goes to no group, not even the staff group: every admin, privately
        out += [Target("private", a.id, a.name, "admin") for a in config.admins if a.id != need.assignee]
    else:
        out.append(Target("group", config.staff_group, config.staff_group, "staff_group"))
    return out


# ---------------------------------------------------------------- look-ups

async def get_need(session: AsyncSession, code: str, *, lock: bool = False) -> Need:
    """By need code, or by a 树洞's follow-up code."""
    norm = normalize_code(code) or code.strip().upper()
    q = select(Need).where(Need.follow_code == norm if norm.startswith("H-") else Need.code == norm)
    if lock:
        q = q.with_for_update()
    need = (await session.scalars(q)).first()
    if need is None:
        raise NeedError("not_found", code=norm)
    return need


async def events_of(session: AsyncSession, need: Need) -> list[NeedEvent]:
    return list((await session.scalars(
        select(NeedEvent).where(NeedEvent.need_id == need.id).order_by(NeedEvent.at, NeedEvent.id))).all())


async def event_count(session: AsyncSession, need: Need) -> int:
    """How many event rows the need has: it grows with every change, so it names one change uniquely
    (a notice's delivery key) even when two changes share a timestamp."""
    return int(await session.scalar(select(func.count()).select_from(NeedEvent).where(NeedEvent.need_id == need.id))
               or 0)


async def followers_of(session: AsyncSession, need: Need) -> list[Need]:
    return list((await session.scalars(
        select(Need).where(Need.merged_into == need.code).order_by(Need.id))).all())


def clock_sort_key(need: Need) -> tuple[datetime, datetime]:
    far = datetime.max.replace(tzinfo=need.created_at.tzinfo)
    due = min([d for d in (need.due_at, need.resolve_due_at) if d is not None], default=far)
    return due, need.created_at


async def open_needs(session: AsyncSession, *, assignee: str | None = None, department: str | None = None,
                     grid: int | None = None) -> list[Need]:
    """Open needs (not merged), most pressing clock first. Filters combine with AND."""
    q = select(Need).where(Need.status.in_([str(x) for x in OPEN_STATUSES]))
    if assignee is not None:
        q = q.where(Need.assignee == assignee)
    if department is not None:
        q = q.where(Need.department == department)
    if grid is not None:
        q = q.where(Need.grid == grid)
    rows = list((await session.scalars(q)).all())
    rows.sort(key=clock_sort_key)
    return rows


async def todo_for(session: AsyncSession, person: Person, covers: frozenset[int] = frozenset()) -> list[Need]:
    """待办: a department's needs; a worker's own plus their grid's and the grids they back up (AB岗,
    `covers`); an admin's: everything open."""
    if person.role == Role.DEPARTMENT:
        return await open_needs(session, department=person.department)
    if person.role == Role.ADMIN:
        return await open_needs(session)
    # One read: their own, and their grid's and the covered grids' not with a department (own first
    # among equal clocks).
    q = select(Need).where(Need.status.in_([str(x) for x in OPEN_STATUSES]))
    own = Need.assignee == person.id
    grids = sorted({person.grid, *covers} - {None})
    q = q.where(or_(own, Need.grid.in_(grids) & Need.department.is_(None)) if grids else own)
    rows = list((await session.scalars(q)).all())
    rows.sort(key=lambda n: (clock_sort_key(n), n.assignee != person.id, n.id))
    return rows


async def latest_awaiting_rating(session: AsyncSession, requester: str, chat: str | None = None) -> Need | None:
    """The requester's most recent need waiting for their rating (in that chat if given)."""
    q = select(Need).where(Need.requester == requester, Need.status == str(Status.VISITING))
    if chat is not None:
        q = q.where(Need.chat == chat)
    return (await session.scalars(q.order_by(Need.visited_at.desc(), Need.id.desc()).limit(1))).first()


async def requester_needs(session: AsyncSession, requester: str, since: datetime, limit: int = 20) -> list[Need]:
    """A resident's own needs that are open, or were closed after `since`, newest first ("我的诉求").
    树洞 needs have no requester, so they are never among them."""
    q = select(Need).where(Need.requester == requester, Need.source != str(Source.TREE_HOLE),
                           or_(Need.status.in_([str(s) for s in OPEN_STATUSES] + [str(Status.MERGED)]),
                               Need.updated_at >= since))
    return list((await session.scalars(q.order_by(Need.created_at.desc(), Need.id.desc()).limit(limit))).all())


# ---------------------------------------------------------------- permissions

def _grid_cfg(config: Config, need: Need) -> GridConfig | None:
    return config.grid_by_number(need.grid)


def may_handle(config: Config, need: Need, actor: Person, roster: Roster | None = None) -> bool:
    """`roster`: the duty roster in force (the grid's AB岗 may act); without it, the config's."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.DEPARTMENT:
        return need.department is not None and actor.department == need.department
    if actor.role == Role.WORKER:
        if need.department is not None:
            return False
        if need.assignee == actor.id:
            return True
        g = _grid_cfg(config, need)
        if g is not None and actor.id in (g.worker, (roster or config_roster(config)).backup_of(g.number)):
            return True
        return actor.grid is not None and actor.grid == need.grid
    return False


async def _require_handler(session: AsyncSession, config: Config, need: Need, actor: Person) -> None:
    if not may_handle(config, need, actor, await duty_roster(session, config)):
        raise NeedError("not_yours", code=need.code, holder=need.department or need.assignee_name or "社区",
                        status=need.status_name)


def _working_need(need: Need) -> None:
    if need.status == Status.MERGED:
        raise NeedError("merged", code=need.code, parent=need.merged_into)


# ---------------------------------------------------------------- staff operations

async def accept(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person) -> Change:
    """接单 (worker/admin) or 签收 (department). Taking a need one does not hold reassigns it."""
    need = await get_need(session, code, lock=True)
    _working_need(need)
    await _require_handler(session, config, need, actor)
    if need.status != Status.DISPATCHED:
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.ACCEPT)
    previous = need.assignee
    _move(session, now, need, Action.ACCEPT, actor, "签收" if actor.role == Role.DEPARTMENT else "接单")
    if actor.role != Role.DEPARTMENT:
        need.assignee, need.assignee_name = actor.id, actor.name
    _mark_acknowledged(need, now, actor)
    return Change(need, Action.ACCEPT, str(Status.DISPATCHED), actor, previous_assignee=previous)


async def _accept_implicitly(session: AsyncSession, now: datetime, need: Need, actor: Person, why: str) -> None:
    if need.status == Status.DISPATCHED:
        _move(session, now, need, Action.ACCEPT, actor, why)
        if actor.role != Role.DEPARTMENT:
            need.assignee, need.assignee_name = actor.id, actor.name
        _mark_acknowledged(need, now, actor)


async def reply(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person, text: str) -> Change:
    """回复: words for the resident (and anyone merged into this need). Kept on the need (查)."""
    text = text.strip()
    if not text:
        raise NeedError("no_text", code=code)
    need = await get_need(session, code, lock=True)
    _working_need(need)
    await _require_handler(session, config, need, actor)
    before = need.status
    if need.category == CONSULT and need.status == Status.RESOLVED:     # a word more to an answered question
        _move(session, now, need, Action.REPLY, actor, text)
        need.last_reply, need.last_reply_at = text, now
        return Change(need, Action.REPLY, before, actor, extra={"answered": True})
    if need.status not in (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS):
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.REPLY)
    await _accept_implicitly(session, now, need, actor, "回复即接单")
    _move(session, now, need, Action.REPLY, actor, text)
    need.last_reply, need.last_reply_at = text, now
    if need.category == CONSULT:        # the answer to a resident's question finishes it
        _move(session, now, need, Action.RESOLVE, actor, "已答复居民咨询")
        need.resolution, need.resolved_at, need.resolved_by = text, now, actor.id
        _stop_response_clock(need)
        need.resolve_next_at = None
        return Change(need, Action.REPLY, before, actor, extra={"answered": True})
    return Change(need, Action.REPLY, before, actor, followers=await followers_of(session, need))


async def ask_person(session: AsyncSession, now: datetime, config: Config, *, text: str, building: int | None,
                     source: Source, requester: str, requester_name: str | None, chat: str | None,
                     chat_grid: int | None) -> Intake:
    """A resident's question the bot cannot answer, handed to a person as a need of its own kind
    (居民咨询): the grid's worker (else the admin) answers with 回复 — in chat or on the inbox — and the
    answer reaches the resident where they asked. Never merged with anything."""
    return await create_need(session, now, config, text=text, category=CONSULT, urgent=False, building=building,
                             source=source, requester=requester, requester_name=requester_name, chat=chat,
                             chat_grid=chat_grid, merge=False)


async def transfer(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person,
                   department: str, note: str | None = None) -> Change:
    """转派 to a department: it must 签收 within its limit; the department gets the need privately."""
    dept = config.department(department.strip())
    if dept is None:
        raise NeedError("unknown_department", name=department, departments=[d.name for d in config.departments])
    need = await get_need(session, code, lock=True)
    _working_need(need)
    if actor.role == Role.DEPARTMENT:
        raise NeedError("not_allowed", code=need.code)
    await _require_handler(session, config, need, actor)
    before = need.status
    if need.department == dept.name and need.status == Status.DISPATCHED:
        raise NeedError("already_there", code=need.code, department=dept.name)
    _move(session, now, need, Action.TRANSFER, actor, f"转派{dept.name}" + (f": {note}" if note else ""))
    previous = need.assignee
    _mark_acknowledged(need, now, actor)     # handing it on in time is a response by a person
    need.dispatcher = actor.id
    need.department = dept.name
    need.assignee, need.assignee_name = dept.contact_id, dept.name
    _start_response_clock(need, now, config, config.needs, department_minutes=dept.ack_minutes)
    return Change(need, Action.TRANSFER, before, actor, previous_assignee=previous,
                  extra={"department": dept, "note": note})


async def hand_back(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person,
                    reason: str) -> Change:
    """退单: back to the dispatcher (a department → whoever transferred it, else the grid worker;
    a worker → the admin). A reason is required; the response clock keeps running."""
    reason = (reason or "").strip()
    if not reason:
        raise NeedError("no_reason", code=code)
    need = await get_need(session, code, lock=True)
    _working_need(need)
    await _require_handler(session, config, need, actor)
    before = need.status
    if need.status not in (Status.DISPATCHED, Status.ACCEPTED, Status.IN_PROGRESS):
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.RETURN)
    if need.department is not None:
        back_to = need.dispatcher
        if back_to is None or back_to == need.assignee or any(d.contact_id == back_to for d in config.departments):
            back_to = default_holder(config, need.grid)[0]
    else:
        admin = first_admin(config)
        if actor.role == Role.ADMIN or admin is None:
            raise NeedError("not_allowed", code=need.code)
        back_to = admin
    _move(session, now, need, Action.RETURN, actor, reason)
    previous_department = need.department
    need.department = None
    need.assignee, need.assignee_name = back_to, name_of(config, back_to)
    # The clock keeps running: the deadline is the original response deadline (perhaps already past,
    # then the need shows overdue at once); the new holder's 督办 ladder starts one step from now at
    # the earliest, so they get a chance before their superiors hear of it.
    s = config.needs
    need.clock_kind = "respond"
    need.clock_no += 1
    need.level = 0
    need.due_at = need.response_due_at or now
    need.next_escalation_at = max(need.due_at, _next_step(need, "respond", now, config, s))
    return Change(need, Action.RETURN, before, actor, extra={"reason": reason, "department": previous_department})


async def resolve(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person,
                  note: str) -> Change:
    """办结 then 回访: the resident (and every merged resident) is asked to rate."""
    note = (note or "").strip()
    if not note:
        raise NeedError("no_note", code=code)
    need = await get_need(session, code, lock=True)
    _working_need(need)
    if need.status in DONE_STATUSES:
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.RESOLVE)
    await _require_handler(session, config, need, actor)
    before = need.status
    if need.status == Status.RECEIVED:
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.RESOLVE)
    await _accept_implicitly(session, now, need, actor, "办结即签收")
    _move(session, now, need, Action.RESOLVE, actor, note)
    need.resolution, need.resolved_at, need.resolved_by = note, now, actor.id
    _stop_response_clock(need)
    need.resolve_next_at = None
    followers = [f for f in await followers_of(session, need) if f.status == Status.MERGED]
    for f in followers:
        _move(session, now, f, Action.RESOLVE, actor, f"随 {need.code} 办结: {note}")
        f.resolution, f.resolved_at, f.resolved_by = note, now, actor.id
    for n in (need, *followers):
        if n.requester is not None:          # a 树洞 need cannot be visited: its resident asks with 查
            _move(session, now, n, Action.VISIT, None, "请居民评价")
            n.visited_at = now
    return Change(need, Action.RESOLVE, before, actor, followers=followers)


async def assign(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person,
                 to: str, to_name: str, note: str | None = None) -> Change:
    """派单 by hand: an admin gives an open need to a grid worker or admin (`to`, a contact id), taking it
    from whoever held it (a department included). The new holder gets a fresh response clock."""
    if actor.role != Role.ADMIN:
        raise NeedError("not_allowed", code=code)
    need = await get_need(session, code, lock=True)
    _working_need(need)
    if need.status not in OPEN_STATUSES:
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.DISPATCH)
    if need.assignee == to and need.department is None and need.status == Status.DISPATCHED:
        raise NeedError("already_assigned", code=need.code, holder=to_name)
    before, previous = need.status, need.assignee
    previous_department = need.department
    _move(session, now, need, Action.DISPATCH, actor, f"派单给 {to_name}" + (f": {note}" if note else ""))
    need.department = None
    need.assignee, need.assignee_name, need.dispatcher = to, to_name[:64], actor.id
    _start_response_clock(need, now, config, config.needs)
    return Change(need, Action.DISPATCH, before, actor, previous_assignee=previous,
                  extra={"note": note, "department": previous_department})


async def urge(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person,
               note: str | None = None) -> Change:
    """督办 by hand: an admin (or the worker who handed it on) presses whoever holds an open need; the
    status stays, the event is kept."""
    need = await get_need(session, code, lock=True)
    if not (actor.role == Role.ADMIN or (actor.role == Role.WORKER and need.department is not None
                                         and need.dispatcher == actor.id)):
        raise NeedError("not_allowed", code=need.code)
    _working_need(need)
    if need.status not in OPEN_STATUSES:
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.ESCALATE)
    _move(session, now, need, Action.ESCALATE, actor, "督办" + (f": {note}" if note else ""))
    return Change(need, Action.ESCALATE, need.status, actor, extra={"note": note})


# ---------------------------------------------------------------- residents: rating and status

async def rate(session: AsyncSession, now: datetime, config: Config, code: str, score: int,
               rater: Person | None, comment: str | None = None) -> Change:
    """满意 / 基本满意 close the need; 不满意 records it and reopens the need (its parent if merged)
    with the resident's words, back to whoever resolved it, with a fresh response clock."""
    if score not in SCORES:
        raise NeedError("bad_score", code=code)
    need = await get_need(session, code, lock=True)
    if need.tree_hole and normalize_code(code) != need.follow_code:
        raise NeedError("not_found", code=need.code)     # a 树洞 is rated only with its follow-up code
    if need.requester is not None and (rater is None or rater.id != need.requester):
        # a resident merged into this need rates their own (merged) need
        mine = None
        if rater is not None:
            mine = (await session.scalars(select(Need).where(
                Need.merged_into == need.code, Need.requester == rater.id).order_by(Need.id.desc())
                .limit(1).with_for_update())).first()
        if mine is None:
            raise NeedError("not_requester", code=need.code)
        need = mine
    if need.status not in (Status.VISITING, Status.RESOLVED):
        if need.status == Status.CLOSED and need.satisfaction:
            raise NeedError("already_rated", code=need.code, satisfaction=SATISFACTION_NAMES[Satisfaction(need.satisfaction)])
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.RATE)
    sat = SCORES[score]
    comment = FOLLOW_RE.sub(" ", comment or "").strip(" ,,。.!!、::") or None   # "满意 H-…": the code is no comment
    need.satisfaction, need.rating_note, need.rated_at = str(sat), comment, now
    need.solved = _solved_from(comment, sat)
    before = need.status
    label = SATISFACTION_NAMES[sat] + (f": {comment}" if comment else "")
    if sat != Satisfaction.DISSATISFIED:
        _move(session, now, need, Action.RATE, rater, label)
        need.closed_at = now
        return Change(need, Action.RATE, before, rater, extra={"satisfaction": sat})
    # 不满意
    session.add(NeedEvent(need_id=need.id, at=now, actor=None if need.tree_hole else (rater.id if rater else None),
                          actor_name=None if need.tree_hole else (rater.name if rater else None),
                          action=str(Action.RATE), from_status=need.status, to_status=need.status, note=label))
    target = need
    if need.merged_into:
        _move(session, now, need, Action.REJOIN, None, f"不满意,随 {need.merged_into} 重新办理")
        target = await get_need(session, need.merged_into, lock=True)
    await _reopen(session, now, config, target, rater if not need.tree_hole else None, comment or "居民不满意")
    return Change(need, Action.REOPEN, before, rater, parent=target if target is not need else None,
                  extra={"satisfaction": sat, "reopened": target, "words": comment})


async def reopen(session: AsyncSession, now: datetime, config: Config, code: str, actor: Person,
                 reason: str) -> Change:
    """Staff reopen a resolved or closed need (the resident called back, the fix did not hold): back to
    whoever resolved it, with a fresh response clock. A reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise NeedError("no_reason", code=code)
    need = await get_need(session, code, lock=True)
    _working_need(need)
    if need.status not in DONE_STATUSES:
        raise NeedError("illegal", code=need.code, status=need.status, action=Action.REOPEN)
    if actor.role not in (Role.ADMIN, Role.WORKER, Role.DEPARTMENT) or (
            actor.role != Role.ADMIN and not may_handle(config, need, actor, await duty_roster(session, config))
            and actor.id != need.resolved_by):
        raise NeedError("not_yours", code=need.code, holder=need.department or need.assignee_name or "社区",
                        status=need.status_name)
    before = need.status
    await _reopen(session, now, config, need, actor, reason)
    return Change(need, Action.REOPEN, before, actor, extra={"reopened": need, "words": reason})


async def _reopen(session: AsyncSession, now: datetime, config: Config, need: Need, rater: Person | None,
                  words: str) -> None:
    if need.status in OPEN_STATUSES:
        session.add(NeedEvent(need_id=need.id, at=now, actor=None, actor_name=None, action=str(Action.REOPEN),
                              from_status=need.status, to_status=need.status, note=f"居民不满意: {words}"))
        return
    resident = rater is None or rater.role == Role.RESIDENT
    _move(session, now, need, Action.REOPEN, rater, f"居民不满意: {words}" if resident else f"重新办理: {words}")
    holder = need.resolved_by or default_holder(config, need.grid)[0]
    if holder and any(d.contact_id == holder for d in config.departments):
        dept = next(d for d in config.departments if d.contact_id == holder)
        need.department, need.assignee, need.assignee_name = dept.name, dept.contact_id, dept.name
        _start_response_clock(need, now, config, config.needs, department_minutes=dept.ack_minutes)
    else:
        need.department = None
        need.assignee, need.assignee_name = holder, name_of(config, holder)
        _start_response_clock(need, now, config, config.needs)
    need.reopen_count += 1
    need.closed_at = None
    need.resolved_at = None
    if need.urgent:
        need.resolve_due_at = now + timedelta(minutes=config.needs.handle_minutes_urgent)
        need.resolve_next_at, need.resolve_level = need.resolve_due_at, 0


_UNSOLVED = re.compile(r"没解决|未解决|没有解决|还没(修|好|弄|处理|通|解决)|没修好|没弄好|没处理|又坏|又堵|又漏")
_STILL = re.compile(r"还是|仍然|依然|还在|照样")
_SOLVED = re.compile(r"解决了|修好了|好了|弄好了|处理好了|通了")


def _solved_from(comment: str | None, sat: Satisfaction) -> bool | None:
    """解决了吗: read from the resident's words when they say; a plain 满意 means yes, a plain
    不满意 leaves it open (unhappy with the manner, or with the result? we do not guess)."""
    if comment:
        if _UNSOLVED.search(comment) or (sat == Satisfaction.DISSATISFIED and _STILL.search(comment)):
            return False
        if _SOLVED.search(comment):
            return True
    if sat == Satisfaction.DISSATISFIED:
        return None
    return True if sat == Satisfaction.SATISFIED else None


@dataclass
class StatusView:
    need: Need
    shown: Need             # the need whose progress is shown (the parent for a merged need)


async def status_for(session: AsyncSession, code: str, asker: Person,
                     scope: access.Scope | None = None) -> StatusView:
    """查 CODE. Staff see the needs their scope allows (models/access, the web's rule); the requester
    sees theirs (and the parent it was merged into); a 树洞 is read by its random follow-up code, which
    is all its resident has — its sequential code reads as unknown to anyone outside staff scope.
    `scope`: the asker's scope with the grids they back up (models/duty.scope_for); else their own."""
    need = await get_need(session, code)
    shown = need
    if need.merged_into:
        shown = await get_need(session, need.merged_into)
    if need.follow_code is not None and normalize_code(code) == need.follow_code:
        return StatusView(need, shown)
    if asker.role != Role.RESIDENT:
        if access.may_see(scope or asker, need):
            return StatusView(need, shown)
        raise NeedError("not_found", code=normalize_code(code) or code)
    if need.tree_hole:
        raise NeedError("not_found", code=need.code)
    if need.requester == asker.id:
        return StatusView(need, shown)
    # a resident who was merged into this need
    merged = (await session.scalars(select(Need.id).where(Need.merged_into == need.code,
                                                          Need.requester == asker.id).limit(1))).first()
    if merged is not None:
        return StatusView(need, shown)
    raise NeedError("not_requester", code=need.code)


# ---------------------------------------------------------------- passive discovery (未诉先办)

async def record_suggestion(session: AsyncSession, now: datetime, *, grid: int | None, chat: str, sender_id: str,
                            sender_name: str, text: str, category: str | None, urgent: bool,
                            building: int | None) -> Suggestion:
    sug = Suggestion(created_at=now, grid=grid, chat=chat[:128], sender_id=sender_id[:64],
                     sender_name=(sender_name or "")[:64], text=text,
                     category=category if category in CATEGORY_NAMES else "other", urgent=urgent,
                     building=building, status=str(SuggestionStatus.OPEN))
    session.add(sug)
    await session.flush()
    return sug


async def list_suggestions(session: AsyncSession, *, status: str | None = SuggestionStatus.OPEN,
                           grid: int | None = None, limit: int = 200) -> list[Suggestion]:
    q = select(Suggestion)
    if status is not None:
        q = q.where(Suggestion.status == str(status))
    if grid is not None:
        q = q.where(Suggestion.grid == grid)
    return list((await session.scalars(q.order_by(Suggestion.created_at.desc()).limit(limit))).all())


async def _open_suggestion(session: AsyncSession, suggestion_id: int) -> Suggestion:
    sug = await session.get(Suggestion, suggestion_id, with_for_update=True)
    if sug is None:
        raise NeedError("suggestion_not_found", id=suggestion_id)
    if sug.status != SuggestionStatus.OPEN:
        raise NeedError("suggestion_handled", id=suggestion_id, status=sug.status, code=sug.need_code)
    return sug


async def confirm_suggestion(session: AsyncSession, now: datetime, config: Config, suggestion_id: int,
                             actor: Person, *, category: str | None = None) -> Intake:
    """未诉先办 → a need, as if the resident had asked (they are its requester; may merge)."""
    sug = await _open_suggestion(session, suggestion_id)
    intake = await create_need(session, now, config, text=sug.text, category=category or sug.category,
                               urgent=sug.urgent, building=sug.building, source=Source.SUGGESTION,
                               requester=sug.sender_id, requester_name=sug.sender_name, chat=sug.chat,
                               chat_grid=sug.grid)
    session.add(NeedEvent(need_id=intake.need.id, at=now, actor=actor.id, actor_name=actor.name,
                          action=str(Action.CREATE), from_status=intake.need.status, to_status=intake.need.status,
                          note="未诉先办: 由工作人员从群聊中发现并登记"))
    sug.status, sug.need_code, sug.handled_by, sug.handled_at = str(SuggestionStatus.CONFIRMED), intake.need.code, actor.id, now
    return intake


async def dismiss_suggestion(session: AsyncSession, now: datetime, suggestion_id: int, actor: Person,
                             note: str | None = None) -> Suggestion:
    sug = await _open_suggestion(session, suggestion_id)
    sug.status, sug.handled_by, sug.handled_at, sug.note = str(SuggestionStatus.DISMISSED), actor.id, now, note
    return sug


# ---------------------------------------------------------------- clocks (督办) and expiry

def _ladder(config: Config, need: Need, clock: str, roster: Roster) -> list[list[Target]]:
    """Who hears at each 督办 level of a missed clock."""
    admin = first_admin(config)
    admin_t = [Target("private", admin, name_of(config, admin) or admin, "admin")] if admin else []
    staff = [Target("group", config.staff_group, config.staff_group, "staff_group")]
    if need.tree_hole:          # never in a group: its last level is the admin, privately
        staff = admin_t if admin_t and need.assignee != admin else []
    if clock == "handle":
        return [t for t in (admin_t, staff) if t]
    if clock == "dept_ack":
        dept = next((d for d in config.departments if d.name == need.department), None)
        first = ([Target("private", dept.contact_id, dept.name, "department")] if dept else []) + admin_t
        return [t for t in (first, staff) if t]
    holder = need.assignee
    holder_t = [Target("private", holder, need.assignee_name or holder, "holder")] if holder else []
    g = _grid_cfg(config, need)
    levels: list[list[Target]] = []
    backup = roster.backup_of(g.number) if g is not None else None
    if g is not None and holder == g.worker and backup and backup != holder:
        levels.append(holder_t + [Target("private", backup, name_of(config, backup) or backup, "backup")])
    if holder != admin and admin_t:
        levels.append(admin_t if levels else holder_t + admin_t)
    levels.append(staff if levels else holder_t + staff)
    return [level for level in levels if level]


def _next_step(need: Need, clock: str, now: datetime, config: Config, s: NeedsSettings) -> datetime:
    if clock == "dept_ack":
        dept = next((d for d in config.departments if d.name == need.department), None)
        return now + timedelta(minutes=dept.ack_minutes if dept else 30)
    if clock == "handle":
        return now + timedelta(minutes=s.handle_minutes_urgent)
    if need.urgent:
        return now + timedelta(minutes=s.escalate_step_minutes_urgent)
    return add_working_minutes(now, s.escalate_step_minutes_normal, config.timezone, s.work_hours)


async def run_escalations(session: AsyncSession, now: datetime, config: Config, limit: int = 200) -> list[Escalation]:
    """督办: for every need whose clock has run out, notify the next level (once), mark it overdue and
    schedule the level after. The caller sends the notices under keys built from (code, clock, clock_no,
    level), in the same transaction, so a second scheduler or a restart cannot repeat a level."""
    s = config.needs
    due = (Need.next_escalation_at <= now) | (Need.resolve_next_at <= now)
    q = (select(Need).where(due, Need.status.in_([str(x) for x in OPEN_STATUSES]))
         .order_by(Need.id).limit(limit).with_for_update(skip_locked=True))
    out: list[Escalation] = []
    r = await duty_roster(session, config)
    for need in (await session.scalars(q)).all():
        if need.next_escalation_at is not None and need.next_escalation_at <= now and need.clock_kind:
            clock = need.clock_kind
            ladder = _ladder(config, need, clock, r)
            level = need.level
            if level < len(ladder):
                need.level = level + 1
                need.overdue = True
                need.next_escalation_at = _next_step(need, clock, now, config, s) if level + 1 < len(ladder) else None
                over = int((now - need.due_at).total_seconds() // 60) if need.due_at else 0
                names = "、".join(t.name for t in ladder[level])
                session.add(NeedEvent(need_id=need.id, at=now, actor=None, actor_name=None, action=str(Action.ESCALATE),
                                      from_status=need.status, to_status=need.status,
                                      note=f"督办第{level + 1}级({'签收' if clock == 'dept_ack' else '响应'}超时): 通知 {names}"))
                out.append(Escalation(need, clock, level + 1, need.clock_no, ladder[level], over))
            else:
                need.next_escalation_at = None
        if need.resolve_next_at is not None and need.resolve_next_at <= now:
            ladder = _ladder(config, need, "handle", r)
            level = need.resolve_level
            if level < len(ladder):
                need.resolve_level = level + 1
                need.overdue = True
                need.resolve_next_at = _next_step(need, "handle", now, config, s) if level + 1 < len(ladder) else None
                over = int((now - need.resolve_due_at).total_seconds() // 60) if need.resolve_due_at else 0
                names = "、".join(t.name for t in ladder[level])
                session.add(NeedEvent(need_id=need.id, at=now, actor=None, actor_name=None, action=str(Action.ESCALATE),
                                      from_status=need.status, to_status=need.status,
                                      note=f"督办第{level + 1}级(紧急诉求未在时限内办结): 通知 {names}"))
                out.append(Escalation(need, "handle", level + 1, need.reopen_count, ladder[level], over))
            else:
                need.resolve_next_at = None
        if out and out[-1].need is need:
            need.updated_at = now
    return out


async def expire_unrated(session: AsyncSession, now: datetime, config: Config, limit: int = 500) -> list[Need]:
    """关闭 needs nobody rated within close_after_days of 办结 (a 树洞 need: of its 办结)."""
    s = config.needs
    cutoff = now - timedelta(days=s.close_after_days)
    q = (select(Need).where(
        ((Need.status == str(Status.VISITING)) & (Need.visited_at <= cutoff))
        | ((Need.status == str(Status.RESOLVED)) & (Need.resolved_at <= cutoff)))
        .order_by(Need.id).limit(limit).with_for_update(skip_locked=True))
    rows = list((await session.scalars(q)).all())
    for need in rows:
        _move(session, now, need, Action.EXPIRE, None, f"{s.close_after_days:g}天未评价,自动关闭")
        need.closed_at = now
    return rows


# ---------------------------------------------------------------- 三率 and analysis

@dataclass
class Rates:
    received: int = 0
    responded: int = 0      # accepted by a person within the first response deadline
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0      # 满意 + 基本满意
    urgent: int = 0
    overdue: int = 0
    open: int = 0

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    @property
    def response_rate(self) -> float | None:
        return self._ratio(self.responded, self.received)

    @property
    def resolution_rate(self) -> float | None:
        return self._ratio(self.resolved, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._ratio(self.satisfied, self.rated)

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "responded": self.responded, "resolved": self.resolved,
                "rated": self.rated, "satisfied": self.satisfied, "urgent": self.urgent, "overdue": self.overdue,
                "open": self.open, "response_rate": self.response_rate, "resolution_rate": self.resolution_rate,
                "satisfaction_rate": self.satisfaction_rate}


def period_bounds(word: str | None, now: datetime, config: Config) -> tuple[datetime, datetime, str]:
    """今天 / 本周 (from Monday) / 本月, local; also 昨天, 上周, 上月. Unknown → 今天."""
    local = now.astimezone(config.timezone)
    day0 = local.replace(hour=0, minute=0, second=0, microsecond=0)
    w = (word or "今天").strip()
    if w in ("本周", "这周", "本星期", "这个星期", "周"):
        start, label = day0 - timedelta(days=local.weekday()), "本周"
        end = start + timedelta(days=7)
    elif w in ("上周", "上星期"):
        end = day0 - timedelta(days=local.weekday())
        start, label = end - timedelta(days=7), "上周"
    elif w in ("本月", "这个月", "月"):
        start, label = day0.replace(day=1), "本月"
        end = (start + timedelta(days=32)).replace(day=1)
    elif w in ("上月", "上个月"):
        end = day0.replace(day=1)
        start, label = (end - timedelta(days=1)).replace(day=1), "上月"
    elif w in ("昨天",):
        start, end, label = day0 - timedelta(days=1), day0, "昨天"
    else:
        start, end, label = day0, day0 + timedelta(days=1), "今天"
    return start, end, label


async def _needs_in(session: AsyncSession, start: datetime, end: datetime, *, grid: int | None = None,
                    category: str | None = None, where: Any = None) -> list[Need]:
    """`where`: an extra SQL condition, e.g. a web user's scope (models.inbox.Scope.clause)."""
    q = select(Need).where(Need.created_at >= start, Need.created_at < end)
    if where is not None:
        q = q.where(where)
    if grid is not None:
        q = q.where(Need.grid == grid)
    if category is not None:
        q = q.where(Need.category == category)
    return list((await session.scalars(q)).all())


def _tally(rows: list[Need], rates: Rates) -> Rates:
    for n in rows:
        if n.satisfaction is not None:
            rates.rated += 1
            rates.satisfied += n.satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC)
        if n.merged_into:
            continue
        rates.received += 1
        rates.urgent += bool(n.urgent)
        rates.overdue += bool(n.overdue)
        rates.open += n.status in OPEN_STATUSES
        if n.acknowledged_at is not None and n.response_due_at is not None and n.acknowledged_at <= n.response_due_at:
            rates.responded += 1
        if n.resolved_at is not None or n.status in DONE_STATUSES:
            rates.resolved += 1
    return rates


async def three_rates(session: AsyncSession, start: datetime, end: datetime, *, grid: int | None = None,
                      worker: str | None = None, category: str | None = None, where: Any = None) -> Rates:
    """三率 over needs received in [start, end) (formulas in the module docstring)."""
    rows = await _needs_in(session, start, end, grid=grid, category=category, where=where)
    if worker is not None:
        rows = [n for n in rows if (n.acknowledged_by or n.assignee) == worker]
    return _tally(rows, Rates())


async def rates_by(session: AsyncSession, start: datetime, end: datetime, by: str, *,
                   where: Any = None) -> dict[Any, Rates]:
    """三率 per grid, worker (who accepted it, else who holds it) or category; `where` as in three_rates."""
    rows = await _needs_in(session, start, end, where=where)
    groups: dict[Any, list[Need]] = {}
    for n in rows:
        key = {"grid": n.grid, "category": n.category,
               "worker": n.acknowledged_by or n.assignee}.get(by, None)
        groups.setdefault(key, []).append(n)
    return {k: _tally(v, Rates()) for k, v in groups.items()}


async def hot_words(session: AsyncSession, start: datetime, end: datetime, *, grid: int | None = None,
                    top: int = 20, where: Any = None, suggestions: bool = True) -> list[tuple[str, int]]:
    """热词: the topic words (kernel/text/hotwords.py: no filler such as 坏了, 几天, 有没有) of the needs
    (and, with `suggestions`, the unconfirmed suggestions) of a grid and period. Never the words of a
    树洞 message: a rare word there could point at its sender."""
    from kernel.text.hotwords import hot_words as _hot

    texts = [n.text for n in await _needs_in(session, start, end, grid=grid, where=where)
             if n.source != Source.TREE_HOLE]
    if not suggestions:
        return [(w, c) for w, c in _hot(texts, top * 2) if w not in _NOISE_TOKENS][:top]
    q = select(Suggestion.text).where(Suggestion.created_at >= start, Suggestion.created_at < end,
                                      Suggestion.status == str(SuggestionStatus.OPEN))
    if grid is not None:
        q = q.where(Suggestion.grid == grid)
    texts += list((await session.scalars(q)).all())
    return [(w, c) for w, c in _hot(texts, top * 2) if w not in _NOISE_TOKENS][:top]


async def frequent_list(session: AsyncSession, start: datetime, end: datetime, *, top: int = 5) -> dict[Any, dict[str, Any]]:
    """高频清单: per grid (None = no grid), the top categories and words over the period (树洞 needs
    count in the categories, never in the words)."""
    from kernel.text.hotwords import hot_words as _hot

    rows = await _needs_in(session, start, end)
    out: dict[Any, dict[str, Any]] = {}
    by_grid: dict[Any, list[Need]] = {}
    for n in rows:
        by_grid.setdefault(n.grid, []).append(n)
    for grid, needs in sorted(by_grid.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        cats = Counter(n.category for n in needs)
        out[grid] = {
            "needs": len(needs),
            "categories": [{"category": c, "name": CATEGORY_NAMES.get(c, c), "count": k}
                           for c, k in cats.most_common(top)],
            "words": [{"word": w, "count": k} for w, k in _hot([n.text for n in needs if not n.tree_hole], top * 2)
                      if w not in _NOISE_TOKENS][:top],
        }
    return out


# Words too general to make a wish "specific" even when rare among needs.
_GENERAL = frozenset("希望 建议 能不能 不能 可以 能否 有没有 需要 想要 想学 想 学 一下 帮忙 居民 小区 社区 大家 我们 "
                     "时间 地方 问题 解决 处理 反映 麻烦 谢谢 开个 办个 搞个 组织 多办 几期 课程 活动 服务 开设 "
                     "增加 举办 安排 提供 周末 晚上 平时".split())
# Complaints about things that broke are the 高频 side; 个性 wishes are about services people want.
_SERVICE_CATEGORIES = frozenset({"elderly", "childcare", "employment", "culture", "convenience", "affairs",
                                 "legal", "other"})


async def personal_list(session: AsyncSession, start: datetime, end: datetime, *, grid: int | None = None,
                        max_needs: int = 2, limit: int = 30) -> list[dict[str, Any]]:
    """个性清单: rare but specific wishes — words of service wishes (not breakdowns) that occur in at
    most `max_needs` needs of the period (all needs and unconfirmed suggestions counted, so a word
    that is common anywhere is out), rarest in everyday Chinese first (jieba's dictionary frequency).
    Returns [{word, count, needs: [{code, text, category, grid}]}]."""
    from kernel.text.hotwords import is_person_name
    from kernel.text.jieba_setup import tokenizer

    all_rows = await _needs_in(session, start, end, grid=grid)
    sug_q = select(Suggestion.text).where(Suggestion.created_at >= start, Suggestion.created_at < end,
                                          Suggestion.status == str(SuggestionStatus.OPEN))
    if grid is not None:
        sug_q = sug_q.where(Suggestion.grid == grid)
    df: Counter[str] = Counter()
    for n in all_rows:
        df.update(set(n.tokens or merge_tokens(n.text)))
    for text in (await session.scalars(sug_q)).all():
        df.update(set(merge_tokens(text)))
    freq = tokenizer().FREQ
    found: dict[str, list[Need]] = {}
    for n in all_rows:
        if n.merged_into or n.tree_hole or n.category not in _SERVICE_CATEGORIES:
            continue
        for t in n.tokens or merge_tokens(n.text):
            if len(t) >= 2 and t not in _GENERAL and t not in _NOISE_TOKENS and df[t] <= max_needs \
                    and not is_person_name(t):     # a rare name is a person, not a wish
                found.setdefault(t, [])
                if n not in found[t]:
                    found[t].append(n)
    ranked = sorted(found.items(), key=lambda kv: (df[kv[0]], freq.get(kv[0]) or 0, kv[0]))
    return [{"word": w, "count": df[w],
             "needs": [{"code": n.code, "text": mask_phones(n.text), "category": n.category, "grid": n.grid}
                       for n in needs]} for w, needs in ranked[:limit]]


async def all_needs(session: AsyncSession) -> list[Need]:
    return list((await session.scalars(select(Need).order_by(Need.created_at, Need.id))).all())


async def count_needs(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Need)) or 0)
