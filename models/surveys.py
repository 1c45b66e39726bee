"""Surveys (服务直通车问卷): definitions loaded from a staff TOML file, rounds, answers, reminders, results.

One answer per respondent and round, enforced by a unique key in survey_responses:
- `p:<contact id>` — a person (chat, group vote, or the H5 page opened from a personal link);
- `h:<building>-<room>` — a household (the resident gave a building and room: household surveys, and
  the H5 page opened from the group link);
- anonymous surveys store only a keyed hash of either, and no name.

A survey with a cron schedule runs in rounds (the monthly survey): each push opens the next round,
closing the previous one. The chat walk-through, the group vote and the H5 page all submit through
`submit_response`, so the rules live here once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.calendar_cn import DayRule
from kernel.config import Config
from models.base import Base
from models.pushes import (DEFAULT_GRACE_MINUTES, PushKind, PushSchedule, ScheduleStatus, When, WhenError, cancel,
                           create_schedule, parse_recurrence)
from models.sql import insert_ignore

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    RATING = "rating"
    TEXT = "text"


KIND_ALIASES = {"single": QuestionKind.SINGLE, "单选": QuestionKind.SINGLE, "choice": QuestionKind.SINGLE,
                "multi": QuestionKind.MULTI, "multiple": QuestionKind.MULTI, "多选": QuestionKind.MULTI,
                "rating": QuestionKind.RATING, "评分": QuestionKind.RATING, "打分": QuestionKind.RATING,
                "text": QuestionKind.TEXT, "填空": QuestionKind.TEXT, "简答": QuestionKind.TEXT}
RATING_MAX = 5
TEXT_MAX = 500


class SurveyStatus(StrEnum):
    DRAFT = "draft"          # loaded, waiting for its push
    OPEN = "open"
    CLOSED = "closed"        # this round closed (a cron survey reopens at its next push)
    CANCELLED = "cancelled"


class SurveyError(Exception):
    """A domain error with a code the handlers and the H5 page word (texts/surveys.py)."""

    def __init__(self, code: str, /, **details: Any) -> None:
        super().__init__(code if not details else f"{code} {details}")
        self.code = code
        self.details = details


class SurveyDefinitionError(ValueError):
    """A survey definition (TOML file or the web builder) that cannot be loaded; `problems` are Chinese lines
    naming the key, `fields` the same problems as (key, line) — the key is where the web form shows it
    ("title", "questions[2].options", "questions[3].skip", "schedule.at", …)."""

    def __init__(self, problems: list[str], fields: list[tuple[str, str]] | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.fields = fields if fields is not None else [("", p) for p in problems]


# --------------------------------------------------------------------------- tables

class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(default=False)
    one_per: Mapped[str] = mapped_column(String(16), default="person")     # person | household
    groups: Mapped[list[Any]]                                               # topics; [] = every grid group
    staff_group: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=SurveyStatus.DRAFT)
    round: Mapped[int] = mapped_column(default=0)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    close_at: Mapped[datetime | None]                   # a fixed closing date (once surveys)
    close_after_minutes: Mapped[int | None]             # or a window after each opening
    max_answers: Mapped[int | None]                     # or after N answers (per round)
    reminder: Mapped[dict[str, Any]]                    # {below, times, every_hours} or {}
    results_round: Mapped[int] = mapped_column(default=0)   # the last round whose results were posted
    secret: Mapped[str] = mapped_column(String(64))     # signs personal links, H5 form tokens, anonymous keys
    source: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]



class SurveyQuestion(Base):
    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any]]
    required: Mapped[bool] = mapped_column(default=True)
    rules: Mapped[list[Any]]        # [{"op": "==", "values": [2], "goto": 4}] — goto 0 = end


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "round", "respondent_key"),
                      Index("ix_survey_responses_group", "survey_id", "round", "group_topic"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    round: Mapped[int]
    respondent_key: Mapped[str] = mapped_column(String(160))
    person_id: Mapped[str | None] = mapped_column(String(64))        # None when anonymous or unknown (H5)
    person_name: Mapped[str | None] = mapped_column(String(64))
    building: Mapped[int | None]
    room: Mapped[str | None] = mapped_column(String(16))
    group_topic: Mapped[str | None] = mapped_column(String(128))      # the grid group it counts for
    channel: Mapped[str] = mapped_column(String(16))                  # chat | group | h5
    submitted_at: Mapped[datetime]


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (Index("ix_survey_answers_q", "survey_id", "round", "question_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    survey_id: Mapped[int]
    round: Mapped[int]
    question_number: Mapped[int]
    choices: Mapped[list[Any] | None]      # single / multi: option numbers (1-based)
    rating: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)
    demand_category: Mapped[str | None] = mapped_column(String(32))   # a text answer that reads as a need
    at: Mapped[datetime]


class SurveyReminder(Base):
    __tablename__ = "survey_reminders"
    __table_args__ = (UniqueConstraint("survey_id", "round", "group_topic", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    round: Mapped[int]
    group_topic: Mapped[str] = mapped_column(String(128))
    n: Mapped[int]                         # 1st, 2nd… reminder to this group in this round
    answers_then: Mapped[int]
    sent_at: Mapped[datetime]


# --------------------------------------------------------------------------- definitions (TOML)

@dataclass(frozen=True)
class Rule:
    op: str                 # == != in has <= >= < >
    values: tuple[int, ...]
    goto: int               # question number; 0 = end of survey

    def matches(self, value: Any) -> bool:
        """Whether an answer (single/multi: [n…], rating: n) triggers this rule; no answer never does."""
        if value is None:
            return False
        if isinstance(value, list):
            chosen = set(value)
            if self.op == "has":
                return bool(chosen & set(self.values))
            if self.op == "in":
                return bool(chosen) and chosen <= set(self.values)
            if self.op == "!=":
                return not (chosen & set(self.values))
            if len(value) != 1:
                return False
            value = value[0]
        if not isinstance(value, int):
            return False
        if self.op in ("==", "in", "has"):
            return value in self.values
        if self.op == "!=":
            return value not in self.values
        target = self.values[0]
        return {"<=": value <= target, ">=": value >= target, "<": value < target, ">": value > target}[self.op]

    def as_dict(self) -> dict[str, Any]:
        return {"op": self.op, "values": list(self.values), "goto": self.goto}


@dataclass(frozen=True)
class QuestionSpec:
    number: int
    kind: QuestionKind
    text: str
    options: tuple[str, ...] = ()
    required: bool = True
    rules: tuple[Rule, ...] = ()


@dataclass
class SurveySpec:
    code: str | None
    title: str
    intro: str
    anonymous: bool
    one_per: str
    groups: list[str]
    staff_group: str | None
    questions: list[QuestionSpec]
    when: When
    day_rule: DayRule
    urgent: bool
    grace_minutes: int
    close_at: datetime | None
    close_after_minutes: int | None
    max_answers: int | None
    reminder: dict[str, Any]
    source: str = ""


_RULE_RE = re.compile(r"^\s*(?:if|如果)\s*q?(\d+)\s*(==|=|!=|in|has|contains|包含|<=|>=|<|>)\s*([\d,，、\s]+?)\s*"
                      r"(?:goto|跳到|跳至|then goto)\s*(q?\d+|end|结束)\s*$", re.I)
_CODE_RE = re.compile(r"^S\d{1,4}$")
_DURATION_RE = re.compile(r"^\s*(\d+)\s*(m|min|分钟|h|小时|d|天)\s*$")


def parse_rule(text: str) -> tuple[int, Rule]:
    """"if q1 == 2 goto q4" → (1, Rule("==", (2,), 4)). Raises ValueError."""
    m = _RULE_RE.match(text)
    if not m:
        raise ValueError(text)
    source = int(m.group(1))
    op = {"=": "==", "contains": "has", "包含": "has"}.get(m.group(2).lower(), m.group(2).lower())
    values = tuple(int(v) for v in re.split(r"[,，、\s]+", m.group(3).strip()) if v)
    target = m.group(4).lower()
    goto = 0 if target in ("end", "结束") else int(target.lstrip("q"))
    if op in ("<=", ">=", "<", ">") and len(values) != 1:
        raise ValueError(text)
    return source, Rule(op, values, goto)


def _minutes(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (m := _DURATION_RE.match(value)):
        n, unit = int(m.group(1)), m.group(2)
        return n * (1 if unit in ("m", "min", "分钟") else 60 if unit in ("h", "小时") else 1440)
    return None


def resolve_groups(config: Config, value: Any) -> list[str]:
    """"全部"/"all"/[] → [] (every grid group at send time); "网格1", 1, "1", "网格1一家亲" → topics."""
    if value in (None, "全部", "所有", "all", "*", []):
        return []
    items = value if isinstance(value, list) else re.split(r"[,，、\s]+", str(value))
    topics: list[str] = []
    for item in items:
        if item in ("", None):
            continue
        topic = group_topic(config, item)
        if topic is None:
            raise ValueError(str(item))
        if topic == "*":
            return []
        if topic not in topics:
            topics.append(topic)
    return topics


def group_topic(config: Config, item: Any) -> str | None:
    s = str(item).strip()
    if s in ("全部", "所有", "all", "*", "全部网格"):
        return "*"
    if config.is_known_group(s):
        return s
    m = re.fullmatch(r"(?:网格)?\s*(\d{1,4})\s*(?:网格|号网格)?", s)
    if m and (g := config.grid_by_number(int(m.group(1)))):
        return g.group
    if s in ("工作群", "社区工作群"):
        return config.staff_group
    return None


def _local_dt(value: Any, tz: ZoneInfo) -> datetime | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(ZoneInfo("UTC"))
    if isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip().replace("/", "-"))
        except ValueError:
            return None
        return (dt if dt.tzinfo else dt.replace(tzinfo=tz)).astimezone(ZoneInfo("UTC"))
    return None


def parse_survey_toml(text: str, config: Config, now: datetime) -> SurveySpec:
    """Read and check a staff survey file; every problem is reported at once, in Chinese, with its key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SurveyDefinitionError([f"TOML 格式错误: {exc}"], [("toml", f"TOML 格式错误: {exc}")]) from None
    return check_survey_data(data, config, now, file_text=text)


def check_survey_data(data: dict[str, Any], config: Config, now: datetime, *, file_text: str) -> SurveySpec:
    """The one survey validator: a TOML file (parse_survey_toml) and the web builder (models.survey_drafts)
    both hand it the same table shape. Every problem at once, in Chinese, each with the key it is about."""
    problems: list[str] = []
    fields: list[tuple[str, str]] = []

    def bad(key: str, message: str) -> None:
        problems.append(message)
        fields.append((key, message))

    tz = config.timezone
    known = {"code", "title", "intro", "anonymous", "one_per", "groups", "staff_group", "schedule", "close",
             "reminders", "questions", "logic"}
    for key in data:
        if key not in known:
            bad("unknown", f"未知的项 {key}(可用: {', '.join(sorted(known))})")

    code = data.get("code")
    if code is not None and (not isinstance(code, str) or not _CODE_RE.match(code.upper())):
        bad("code", f"code 应为 S 加数字,例如 S1,收到 {code!r}")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        bad("title", "缺少 title(问卷标题)")
        title = ""
    intro = data.get("intro", "")
    if not isinstance(intro, str):
        bad("intro", "intro 应为文字")
        intro = ""
    anonymous = data.get("anonymous", False)
    if not isinstance(anonymous, bool):
        bad("anonymous", "anonymous 应为 true 或 false")
        anonymous = False
    one_per = data.get("one_per", "person")
    one_per = {"人": "person", "每人": "person", "户": "household", "每户": "household"}.get(one_per, one_per)
    if one_per not in ("person", "household"):
        bad("one_per", f"one_per 只能是 person(每人一份)或 household(每户一份),收到 {one_per!r}")
        one_per = "person"
    try:
        groups = resolve_groups(config, data.get("groups", []))
    except ValueError as exc:
        bad("groups", f"groups 中的 {exc} 不是已登记的群(可写 网格1、1、网格1一家亲 或 全部)")
        groups = []
    staff_group = data.get("staff_group")
    if staff_group is not None and not config.is_known_group(staff_group):
        bad("staff_group", f"staff_group {staff_group!r} 不是已登记的群")
        staff_group = None

    # -- questions
    questions: list[QuestionSpec] = []
    raw_qs = data.get("questions")
    if not isinstance(raw_qs, list) or not raw_qs:
        bad("questions", "至少需要一道题: [[questions]]")
        raw_qs = []
    rules_by_q: dict[int, list[Rule]] = {}
    rule_texts: list[tuple[str, str]] = [(f"logic[{i}]", r) for i, r in enumerate(data.get("logic", []))]
    for i, q in enumerate(raw_qs, 1):
        where = f"questions[{i}]"
        if not isinstance(q, dict):
            bad(where, f"{where} 应为表 [[questions]]")
            continue
        for key in q:
            if key not in ("id", "type", "kind", "text", "options", "required", "skip"):
                bad(where, f"{where}: 未知的项 {key}")
        kind = KIND_ALIASES.get(str(q.get("type", q.get("kind", "single"))).lower())
        if kind is None:
            bad(f"{where}.type", f"{where}.type 只能是 single/multi/rating/text(单选/多选/评分/填空)")
            kind = QuestionKind.SINGLE
        qtext = q.get("text")
        if not isinstance(qtext, str) or not qtext.strip():
            bad(f"{where}.text", f"{where} 缺少 text(题目)")
            qtext = ""
        if "id" in q and str(q["id"]).lower().lstrip("q") != str(i):
            bad(f"{where}.id", f"{where}.id 应为 q{i}(题号按顺序)")
        options = q.get("options", [])
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
            if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) and o.strip() for o in options):
                bad(f"{where}.options", f"{where}.options 需要至少两个选项")
                options = []
            elif len(options) > 20:
                bad(f"{where}.options", f"{where}.options 最多 20 个选项")
        elif options:
            bad(f"{where}.options", f"{where}: {kind} 题不需要 options")
            options = []
        required = q.get("required", kind != QuestionKind.TEXT)
        if not isinstance(required, bool):
            bad(f"{where}.required", f"{where}.required 应为 true 或 false")
            required = True
        skips = q.get("skip", [])
        for s in ([skips] if isinstance(skips, str) else skips):
            text_rule = str(s)
            if not re.match(r"^\s*(if|如果)", text_rule, re.I):
                text_rule = f"if q{i} {text_rule}"
            rule_texts.append((f"{where}.skip", text_rule))
        questions.append(QuestionSpec(i, kind, qtext.strip(), tuple(o.strip() for o in options), required))
    n = len(questions)
    for where, text_rule in rule_texts:
        try:
            source, rule = parse_rule(text_rule)
        except ValueError:
            bad(where, f"{where}: 看不懂跳题规则 {text_rule!r}(例如 \"if q1 == 2 goto q4\")")
            continue
        if not 1 <= source <= n:
            bad(where, f"{where}: 没有第{source}题")
            continue
        q = questions[source - 1]
        if rule.goto != 0 and not source < rule.goto <= n:
            bad(where, f"{where}: 只能向后跳到第{source + 1}至{n}题或 end,收到 q{rule.goto}")
            continue
        if q.kind == QuestionKind.TEXT:
            bad(where, f"{where}: 填空题不能设跳题")
            continue
        limit = len(q.options) if q.kind != QuestionKind.RATING else RATING_MAX
        if any(not 1 <= v <= limit for v in rule.values):
            bad(where, f"{where}: 第{source}题没有选项 {','.join(map(str, rule.values))}")
            continue
        rules_by_q.setdefault(source, []).append(rule)
    questions = [QuestionSpec(q.number, q.kind, q.text, q.options, q.required, tuple(rules_by_q.get(q.number, ())))
                 for q in questions]

    # -- schedule
    sched = data.get("schedule", {})
    when: When | None = None
    if not isinstance(sched, dict):
        bad("schedule", "[schedule] 应为表")
        sched = {}
    for key in sched:
        if key not in ("cron", "at", "skip_holidays", "workdays_only", "urgent", "grace", "grace_minutes"):
            bad("schedule", f"schedule: 未知的项 {key}")
    if "cron" in sched and "at" in sched:
        bad("schedule", "schedule 中 cron 与 at 只能写一个")
    elif "cron" in sched:
        try:
            when = parse_recurrence(str(sched["cron"]))
        except WhenError:
            when = None
        if when is None:
            bad("schedule.cron", f"schedule.cron 看不懂 {sched['cron']!r}(例如 \"每月1日 10:00\"、\"每周一 09:00\"、\"0 10 1 * *\")")
    elif "at" in sched:
        at = _local_dt(sched["at"], tz)
        if at is None:
            bad("schedule.at", f"schedule.at 应为 \"2026-12-01 10:00\" 这样的时间,收到 {sched['at']!r}")
        elif at < now:
            bad("schedule.at", f"schedule.at {sched['at']} 已经过去")
        else:
            when = When(f"{at.astimezone(tz):%Y-%m-%d %H:%M}", once_at=at)
    if when is None:
        when = When("立即", once_at=now)     # no schedule: pushed at the next tick
    day_rule = DayRule.SKIP_HOLIDAYS if sched.get("skip_holidays", True) else DayRule.ANY
    if sched.get("workdays_only", False):
        day_rule = DayRule.WORKDAYS
    urgent = bool(sched.get("urgent", False))
    grace = _minutes(sched.get("grace", sched.get("grace_minutes", DEFAULT_GRACE_MINUTES)))
    if grace is None or grace < 0:
        bad("schedule.grace", "schedule.grace 应为 \"2h\"、\"30m\" 或分钟数")
        grace = DEFAULT_GRACE_MINUTES

    # -- window
    close = data.get("close", {})
    if not isinstance(close, dict):
        bad("close", "[close] 应为表")
        close = {}
    for key in close:
        if key not in ("at", "after", "after_days", "after_hours", "after_answers"):
            bad("close", f"close: 未知的项 {key}")
    close_at = None
    if "at" in close:
        close_at = _local_dt(close["at"], tz)
        if close_at is None:
            bad("close.at", f"close.at 应为 \"2026-12-10 18:00\" 这样的时间,收到 {close['at']!r}")
        elif when.once_at and close_at <= when.once_at:
            bad("close.at", "close.at 早于发布时间")
        if when.cron and close_at is not None:
            bad("close.at", "按周期推送的问卷请用 close.after_days(每期开放几天),不要用固定的 close.at")
    after = None
    if "after_days" in close:
        after = close["after_days"] * 1440 if isinstance(close["after_days"], int) else None
    elif "after_hours" in close:
        after = close["after_hours"] * 60 if isinstance(close["after_hours"], int) else None
    elif "after" in close:
        after = _minutes(close["after"])
    if any(k in close for k in ("after_days", "after_hours", "after")) and (after is None or after <= 0):
        bad("close.after_days", "close.after_days / after_hours 应为正整数")
        after = None
    if close_at is None and after is None:
        after = 7 * 1440        # a survey never stays open forever: default one week
    max_answers = close.get("after_answers")
    if max_answers is not None and (not isinstance(max_answers, int) or max_answers <= 0):
        bad("close.after_answers", "close.after_answers 应为正整数")
        max_answers = None

    # -- reminders
    reminders = data.get("reminders", {})
    reminder: dict[str, Any] = {}
    if isinstance(reminders, dict) and reminders:
        for key in reminders:
            if key not in ("below", "times", "every_hours", "first_after_hours"):
                bad("reminders", f"reminders: 未知的项 {key}")
        below, times_, every = reminders.get("below", 5), reminders.get("times", 1), reminders.get("every_hours", 24)
        first = reminders.get("first_after_hours", every)
        if not all(isinstance(v, int) and v >= 0 for v in (below, times_, every, first)) or every < 1:
            bad("reminders", "reminders 的 below/times/every_hours/first_after_hours 应为正整数")
        else:
            reminder = {"below": below, "times": times_, "every_hours": every, "first_after_hours": first}

    if problems:
        raise SurveyDefinitionError(problems, fields)
    return SurveySpec(code.upper() if isinstance(code, str) else None, title.strip(), intro.strip(), anonymous,
                      one_per, groups, staff_group, questions, when, day_rule, urgent, grace, close_at, after,
                      max_answers, reminder, file_text)


async def load_survey(session: AsyncSession, now: datetime, config: Config, spec: SurveySpec, *,
                      created_by: str = "cli") -> tuple[Survey, PushSchedule]:
    """Create the survey and its push schedule. Loading a file again with the same code replaces the
    definition as long as nobody has answered yet."""
    survey: Survey | None = None
    if spec.code:
        survey = await session.scalar(select(Survey).where(Survey.code == spec.code).with_for_update())
    if survey is not None:
        answered = await session.scalar(select(func.count()).select_from(SurveyResponse)
                                        .where(SurveyResponse.survey_id == survey.id))
        if answered:
            raise SurveyError("has_answers", code=survey.code, count=answered)
        for q in (await session.scalars(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id))).all():
            await session.delete(q)
        old = await session.scalar(select(PushSchedule).where(PushSchedule.key == f"survey:{survey.code}"))
        if old is not None:
            old.status, old.next_slot, old.key = ScheduleStatus.CANCELLED, None, f"survey:{survey.code}:replaced:{old.id}"
        await session.flush()
    else:
        survey = Survey(code=spec.code or "", secret=secrets.token_hex(16), created_by=created_by, created_at=now,
                        status=SurveyStatus.DRAFT, round=0)
        session.add(survey)
    survey.title, survey.intro, survey.anonymous, survey.one_per = spec.title, spec.intro, spec.anonymous, spec.one_per
    survey.groups, survey.staff_group = spec.groups, spec.staff_group
    survey.close_at, survey.close_after_minutes, survey.max_answers = spec.close_at, spec.close_after_minutes, spec.max_answers
    survey.reminder, survey.source, survey.updated_at = spec.reminder, spec.source, now
    survey.status = SurveyStatus.DRAFT
    await session.flush()
    if not survey.code:
        survey.code = await _free_code(session, survey.id)
    for q in spec.questions:
        session.add(SurveyQuestion(survey_id=survey.id, number=q.number, kind=str(q.kind), text=q.text,
                                   options=list(q.options), required=q.required,
                                   rules=[r.as_dict() for r in q.rules]))
    schedule = await create_schedule(
        session, now, config.timezone, kind=PushKind.SURVEY, title=spec.title, when=spec.when, created_by=created_by,
        groups=spec.groups, day_rule=spec.day_rule, urgent=spec.urgent, grace_minutes=spec.grace_minutes,
        key=f"survey:{survey.code}", survey_code=survey.code)
    await session.flush()
    return survey, schedule


async def _free_code(session: AsyncSession, survey_id: int) -> str:
    n = survey_id
    while await session.scalar(select(Survey.id).where(Survey.code == f"S{n}")) is not None:
        n += 1
    return f"S{n}"


# --------------------------------------------------------------------------- the web builder: drafts, TOML out

class SurveyDraft(Base):
    """A survey being built in the staff web (/inbox/surveys), not yet published. `data` has the shape of
    the TOML file (tomllib.loads of survey_toml(data) gives it back), so publishing runs the same validator
    and the same load_survey as `gridbot survey load`. A draft is deleted once it is published."""

    __tablename__ = "survey_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict[str, Any]]
    survey_code: Mapped[str | None] = mapped_column(String(16))    # editing this published survey
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


TOML_ORDER = ("code", "title", "intro", "anonymous", "one_per", "groups", "staff_group")
TOML_TABLES = ("schedule", "close", "reminders")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a valid TOML basic string once DEL (which JSON leaves raw) is escaped too.
    import json

    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007F")


def survey_toml(data: dict[str, Any]) -> str:
    """The TOML file of a survey definition (the builder's export; `gridbot survey load` reads it back)."""
    lines = ["# 服务直通车问卷 — gridbot survey load 此文件"]
    for key in TOML_ORDER:
        if data.get(key) is not None:
            lines.append(f"{key} = {_toml_value(data[key])}")
    for key in TOML_TABLES:
        table = data.get(key)
        if isinstance(table, dict) and table:
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    for q in data.get("questions") or []:
        lines += ["", "[[questions]]"] + [f"{k} = {_toml_value(v)}" for k, v in q.items() if v is not None]
    return "\n".join(lines) + "\n"


def survey_data(survey: Survey) -> dict[str, Any]:
    """A published survey as builder data (from the file it was loaded from, so nothing is lost)."""
    try:
        data = tomllib.loads(survey.source) if survey.source else {}
    except tomllib.TOMLDecodeError:
        data = {}
    data["code"] = survey.code
    return _plain(data)


def _plain(value: Any) -> Any:
    """TOML dates and times as the text the loader also reads, so draft data stores as JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if hasattr(value, "isoformat"):         # a TOML local date or time
        return value.isoformat()
    return value


def new_draft_data() -> dict[str, Any]:
    return {"title": "", "intro": "", "anonymous": False, "one_per": "person", "groups": [],
            "schedule": {"skip_holidays": True}, "close": {"after_days": 7},
            "questions": [{"type": "single", "text": "", "options": [], "required": True}]}


async def save_draft(session: AsyncSession, now: datetime, data: dict[str, Any], *, by: str,
                     draft_id: int | None = None, survey_code: str | None = None) -> SurveyDraft:
    if draft_id is None:
        draft = SurveyDraft(data=data, survey_code=survey_code, created_by=by, created_at=now, updated_at=now)
        session.add(draft)
    else:
        draft = await get_draft(session, draft_id)
        draft.data, draft.updated_at = data, now
    await session.flush()
    return draft


async def get_draft(session: AsyncSession, draft_id: int) -> SurveyDraft:
    draft = await session.get(SurveyDraft, draft_id)
    if draft is None:
        raise SurveyError("draft_not_found", id=draft_id)
    return draft


async def list_drafts(session: AsyncSession) -> list[SurveyDraft]:
    return list((await session.scalars(select(SurveyDraft).order_by(SurveyDraft.id))).all())


async def delete_draft(session: AsyncSession, draft_id: int) -> None:
    await session.delete(await get_draft(session, draft_id))


def draft_spec(draft_data: dict[str, Any], config: Config, now: datetime) -> SurveySpec:
    """Check builder data with the TOML loader's validator (raises SurveyDefinitionError)."""
    return check_survey_data(draft_data, config, now, file_text=survey_toml(draft_data))


async def edit_survey(session: AsyncSession, now: datetime, code: str, *, by: str) -> SurveyDraft:
    """A draft to edit a published survey: republishing replaces it (load_survey), allowed until answered."""
    view = await get_view(session, code)
    existing = await session.scalar(select(SurveyDraft).where(SurveyDraft.survey_code == view.code))
    if existing is not None:
        return existing
    answered = await session.scalar(select(func.count()).select_from(SurveyResponse)
                                    .where(SurveyResponse.survey_id == view.survey.id))
    if answered:
        raise SurveyError("has_answers", code=view.code, count=answered)
    return await save_draft(session, now, survey_data(view.survey), by=by, survey_code=view.code)


async def publish_draft(session: AsyncSession, now: datetime, config: Config, draft_id: int, *,
                        by: str) -> tuple[Survey, PushSchedule]:
    """Publish exactly as `gridbot survey load` does: the same validator, the same load_survey (which
    schedules the push). The stored file text is the exported TOML, code included."""
    draft = await get_draft(session, draft_id)
    data = dict(draft.data)
    if draft.survey_code:
        data["code"] = draft.survey_code
    spec = draft_spec(data, config, now)
    survey, schedule = await load_survey(session, now, config, spec, created_by=by)
    if not data.get("code"):
        survey.source = survey_toml({"code": survey.code, **data})
    await session.delete(draft)
    await session.flush()
    return survey, schedule


async def close_by_staff(session: AsyncSession, now: datetime, code: str) -> str:
    """Stop a survey from the web: an open one closes now (results follow as on any close) and a recurring
    one gets no further rounds; one not yet pushed is cancelled. Returns "closed" or "cancelled"."""
    view = await get_view(session, code, lock=True)
    survey = view.survey
    if survey.status == SurveyStatus.OPEN:
        await close_survey(session, now, survey)
        outcome = "closed"
    elif survey.status == SurveyStatus.DRAFT:
        survey.status, survey.updated_at = SurveyStatus.CANCELLED, now
        outcome = "cancelled"
    else:
        raise SurveyError("closed", code=survey.code)
    sched = await schedule_of(session, survey)
    if sched is not None and sched.status not in (ScheduleStatus.CANCELLED, ScheduleStatus.DONE):
        await cancel(session, now, sched.id)
    return outcome


# --------------------------------------------------------------------------- reading

@dataclass
class SurveyView:
    """A survey with its questions, as every path needs them."""

    survey: Survey
    questions: list[SurveyQuestion]

    @property
    def code(self) -> str:
        return self.survey.code

    @property
    def is_poll(self) -> bool:
        return len(self.questions) == 1 and self.questions[0].kind in (QuestionKind.SINGLE, QuestionKind.MULTI)

    def question(self, number: int) -> SurveyQuestion | None:
        return self.questions[number - 1] if 1 <= number <= len(self.questions) else None

    def next_number(self, number: int, value: Any) -> int | None:
        """The question after `number` given its answer (skip logic); None = the end."""
        q = self.question(number)
        if q is not None and value is not None:
            for r in q.rules:
                rule = Rule(r["op"], tuple(r["values"]), r["goto"])
                if rule.matches(value):
                    return None if rule.goto == 0 else rule.goto
        return number + 1 if number < len(self.questions) else None

    def path(self, answers: dict[int, Any]) -> list[int]:
        """The questions a respondent with these answers is asked, in order."""
        out: list[int] = []
        n: int | None = 1 if self.questions else None
        while n is not None:
            out.append(n)
            n = self.next_number(n, answers.get(n))
        return out


def normalize_code(text: str) -> str | None:
    m = re.fullmatch(r"\s*[Ss]\s*(\d{1,4})\s*", text)
    return f"S{int(m.group(1))}" if m else None


async def get_view(session: AsyncSession, code: str, *, lock: bool = False) -> SurveyView:
    norm = normalize_code(code) or code.upper()
    q = select(Survey).where(Survey.code == norm)
    if lock:
        q = q.with_for_update()
    survey = await session.scalar(q)
    if survey is None:
        raise SurveyError("not_found", code=norm)
    questions = list((await session.scalars(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id)
                                            .order_by(SurveyQuestion.number))).all())
    return SurveyView(survey, questions)


async def list_surveys(session: AsyncSession, *, statuses: tuple[str, ...] | None = None) -> list[Survey]:
    q = select(Survey).order_by(Survey.id)
    if statuses:
        q = q.where(Survey.status.in_(statuses))
    return list((await session.scalars(q)).all())


async def response_totals(session: AsyncSession) -> dict[int, int]:
    """Answers per survey id, every round together."""
    rows = (await session.execute(select(SurveyResponse.survey_id, func.count()).group_by(SurveyResponse.survey_id))).all()
    return {survey_id: n for survey_id, n in rows}


def targets(config: Config, survey_groups: list[str]) -> list[str]:
    return list(survey_groups) if survey_groups else [g.group for g in config.grids]


async def open_surveys_for(session: AsyncSession, config: Config, group: str | None = None) -> list[Survey]:
    open_ = await list_surveys(session, statuses=(SurveyStatus.OPEN,))
    if group is None:
        return open_
    return [s for s in open_ if group in targets(config, s.groups)]


async def schedule_of(session: AsyncSession, survey: Survey) -> PushSchedule | None:
    return await session.scalar(select(PushSchedule).where(PushSchedule.key == f"survey:{survey.code}"))


# --------------------------------------------------------------------------- rounds

async def open_round(session: AsyncSession, now: datetime, survey: Survey, next_slot: datetime | None = None) -> int:
    """Open the next round (the push fired). A still-open previous round closes first."""
    if survey.status == SurveyStatus.CANCELLED:
        raise SurveyError("cancelled", code=survey.code)
    survey.round += 1
    survey.status = SurveyStatus.OPEN
    survey.opens_at = now
    closes = survey.close_at
    if survey.close_after_minutes:
        closes = now + timedelta(minutes=survey.close_after_minutes)
    if next_slot is not None and (closes is None or closes > next_slot):
        closes = next_slot - timedelta(minutes=1)   # a round ends before the next one opens
    survey.closes_at = closes
    survey.updated_at = now
    return survey.round


async def close_survey(session: AsyncSession, now: datetime, survey: Survey) -> None:
    if survey.status == SurveyStatus.OPEN:
        survey.status, survey.closes_at, survey.updated_at = SurveyStatus.CLOSED, min(now, survey.closes_at or now), now


async def upkeep_needed(session: AsyncSession) -> bool:
    """One cheap query per tick: is any survey open, or closed with its results not yet posted?"""
    q = select(Survey.id).where((Survey.status == SurveyStatus.OPEN) |
                                ((Survey.status == SurveyStatus.CLOSED) & (Survey.round > Survey.results_round)))
    return await session.scalar(q.limit(1)) is not None


async def due_to_close(session: AsyncSession, now: datetime) -> list[Survey]:
    return list((await session.scalars(select(Survey).where(
        Survey.status == SurveyStatus.OPEN, Survey.closes_at.is_not(None), Survey.closes_at <= now))).all())


async def results_due(session: AsyncSession) -> list[Survey]:
    return list((await session.scalars(select(Survey).where(
        Survey.status == SurveyStatus.CLOSED, Survey.round > Survey.results_round))).all())


# --------------------------------------------------------------------------- respondents and answers

@dataclass
class Respondent:
    person_id: str | None = None      # contact id (chat, group, personal H5 link)
    name: str | None = None
    building: int | None = None
    room: str | None = None
    group: str | None = None          # the group topic the answer counts for, if known


def _keyed(survey: Survey, raw: str) -> str:
    return "a:" + hmac.new(survey.secret.encode(), raw.encode(), hashlib.sha256).hexdigest()[:32]


def respondent_key(survey: Survey, r: Respondent) -> str:
    """The dedup key: household when the survey is per household (or no person is known), else person."""
    if survey.one_per == "household" or r.person_id is None:
        if r.building is None or not r.room:
            raise SurveyError("need_household")
        raw = f"h:{r.building}-{r.room}"
    else:
        raw = f"p:{r.person_id}"
    return _keyed(survey, raw) if survey.anonymous else raw


_ROOM_RE = re.compile(r"(\d{1,3}|[一二三四五六七八九十]{1,3})\s*(?:栋|幢|号楼|座|#|号)\s*(?:(\d{1,2})\s*单元\s*)?[-_ ]?(\d{3,4})\s*(?:室|号)?")
_DASHED_RE = re.compile(r"\s*(\d{1,3})\s*[-—_]\s*(?:(\d{1,2})\s*[-—_]\s*)?(\d{3,4})\s*(?:室|号)?\s*")
_UNIT_ROOM_RE = re.compile(r"\s*(?:(\d{1,2})\s*(?:单元|-)\s*)?(\d{3,4})\s*(?:室|号)?\s*")


def household_room(unit: str | int | None, number: str) -> str | None:
    """The one spelling of a flat: no leading zeros ("0101" → "101"), unit 1 left out ("1单元101" is the
    "101" of a single-unit building), other units as "2-101". None if it cannot be a flat number."""
    n = int(number)
    u = int(unit) if unit not in (None, "") else 1
    if not (1 <= n // 100 <= 99 and n % 100 >= 1 and 1 <= u <= 20):
        return None
    return str(n) if u == 1 else f"{u}-{n}"


def parse_household(text: str) -> tuple[int, str] | None:
    """"7栋602" / "7号楼 1单元 602室" / "7-602" / "3-2-401" / full-width "７栋６０２" → (building, room) with the
    room spelt one way (household_room), so that one household is one key whatever was typed."""
    from kernel.text.numbers import cn_to_int

    text = unicodedata.normalize("NFKC", text)
    m = _ROOM_RE.search(text) or _DASHED_RE.fullmatch(text)
    if m is None:
        return None
    try:
        building = cn_to_int(m.group(1))
    except ValueError:
        return None
    room = household_room(m.group(2), m.group(3))
    return (building, room) if room is not None and building >= 1 else None


def parse_household_fields(building: str, room: str) -> tuple[int, str] | None:
    """The H5 form's two fields: building "3" / "3号楼" / "３栋" and room "401" / "2-401" / "2单元401室" /
    "0101"; or the whole address typed into either field."""
    building, room = unicodedata.normalize("NFKC", building).strip(), unicodedata.normalize("NFKC", room).strip()
    if not building:
        return parse_household(room) if room else None
    whole = parse_household(building)
    if whole is not None and not room:
        return whole
    b = re.fullmatch(r"(\d{1,3}|[一二三四五六七八九十]{1,3})\s*(?:栋|幢|号楼|座|#|号|楼)?", building)
    r = _UNIT_ROOM_RE.fullmatch(room)
    if b is None or r is None:
        return None
    from kernel.text.numbers import cn_to_int

    try:
        number = cn_to_int(b.group(1))
    except ValueError:
        return None
    flat = household_room(r.group(1), r.group(2))
    return (number, flat) if flat is not None and number >= 1 else None


def known_building(config: Config, building: int) -> bool:
    """A building of one of the configured grids (any building, when the config lists none)."""
    listed = [b for g in config.grids for b in g.buildings]
    return not listed or building in listed


async def has_answered(session: AsyncSession, survey: Survey, r: Respondent) -> bool:
    key = respondent_key(survey, r)
    return await session.scalar(select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.round == survey.round,
        SurveyResponse.respondent_key == key)) is not None


def check_value(q: SurveyQuestion, value: Any) -> Any:
    """A typed answer for a question, or raise SurveyError("invalid_answer"). None = not answered.

    single → [n], multi → sorted [n, …], rating → n, text → str."""
    if value is None or value == "" or value == []:
        return None
    kind = q.kind
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
        values = value if isinstance(value, list | tuple) else [value]
        try:
            nums = sorted({int(v) for v in values})
        except (TypeError, ValueError):
            raise SurveyError("invalid_answer", question=q.number, why="choice") from None
        if any(not 1 <= n <= len(q.options) for n in nums):
            raise SurveyError("invalid_answer", question=q.number, why="range", max=len(q.options))
        if kind == QuestionKind.SINGLE and len(nums) != 1:
            raise SurveyError("invalid_answer", question=q.number, why="one")
        return nums
    if kind == QuestionKind.RATING:
        try:
            n = int(value[0] if isinstance(value, list | tuple) else value)
        except (TypeError, ValueError):
            raise SurveyError("invalid_answer", question=q.number, why="rating") from None
        if not 1 <= n <= RATING_MAX:
            raise SurveyError("invalid_answer", question=q.number, why="rating")
        return n
    text = str(value).strip()
    if len(text) > TEXT_MAX:
        raise SurveyError("invalid_answer", question=q.number, why="long", max=TEXT_MAX)
    return text or None


def check_answers(view: SurveyView, answers: dict[int, Any]) -> dict[int, Any]:
    """Typed answers along the skip-logic path; required questions on the path must be answered."""
    typed: dict[int, Any] = {}
    for number, value in answers.items():
        q = view.question(number)
        if q is not None:
            typed[number] = check_value(q, value)
    out: dict[int, Any] = {}
    for number in view.path(typed):
        q = view.question(number)
        assert q is not None
        v = typed.get(number)
        if v is None:
            if q.required:
                raise SurveyError("invalid_answer", question=number, why="required")
            continue
        out[number] = v
    return out


@dataclass
class Submitted:
    response_id: int
    count: int                  # answers in this round, including this one
    closed_now: bool            # this answer reached the survey's answer limit
    demands: list[tuple[int, str, str]] = field(default_factory=list)   # (question, category, text)


def _classify(text: str) -> tuple[str, str | None] | None:
    try:
        from kernel.text.classify import classify
    except ImportError:
        return None
    u = classify(text)
    return (u.intent, u.category) if u.intent == "demand" else None


async def submit_response(session: AsyncSession, now: datetime, config: Config, code: str, respondent: Respondent,
                          answers: dict[int, Any], *, channel: str) -> Submitted:
    """Save one complete answer. Raises SurveyError: not_found, not_open, closed, already_answered,
    need_household, unknown_household (a building not in the config), invalid_answer (with the question number)."""
    view = await get_view(session, code)
    survey = view.survey
    if survey.max_answers is not None:      # serialise answers only where a limit must hold exactly
        await session.refresh(survey, with_for_update=True)
    if survey.status == SurveyStatus.DRAFT:
        raise SurveyError("not_open", code=survey.code)
    if survey.status != SurveyStatus.OPEN or (survey.closes_at is not None and survey.closes_at <= now):
        raise SurveyError("closed", code=survey.code)
    typed = check_answers(view, answers)
    if not typed:
        raise SurveyError("invalid_answer", question=view.path({})[0] if view.questions else 1, why="required")
    if respondent.building is not None and not known_building(config, respondent.building):
        raise SurveyError("unknown_household", building=respondent.building)
    key = respondent_key(survey, respondent)
    group = respondent.group
    if group is None and respondent.building is not None:
        grid = config.grid_of_building(respondent.building)
        group = grid.group if grid else None
    inserted = await insert_ignore(session, SurveyResponse.__table__, {
        "survey_id": survey.id, "round": survey.round, "respondent_key": key,
        "person_id": None if survey.anonymous else respondent.person_id,
        "person_name": None if survey.anonymous else respondent.name,
        "building": respondent.building, "room": None if survey.anonymous else respondent.room,
        "group_topic": group, "channel": channel, "submitted_at": now})
    if not inserted:
        raise SurveyError("already_answered", code=survey.code)
    response_id = await session.scalar(select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.round == survey.round,
        SurveyResponse.respondent_key == key))
    assert response_id is not None
    demands: list[tuple[int, str, str]] = []
    for number, value in typed.items():
        q = view.question(number)
        assert q is not None
        category = None
        if q.kind == QuestionKind.TEXT:
            hit = _classify(value)
            if hit is not None:
                category = hit[1] or "other"
                demands.append((number, category, value))
        session.add(SurveyAnswer(
            response_id=response_id, survey_id=survey.id, round=survey.round, question_number=number,
            choices=value if isinstance(value, list) else None, rating=value if isinstance(value, int) else None,
            text=value if isinstance(value, str) else None, demand_category=category, at=now))
    count = await session.scalar(select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.round == survey.round)) or 0
    closed_now = False
    if survey.max_answers is not None and count >= survey.max_answers:
        await close_survey(session, now, survey)
        closed_now = True
    await session.flush()
    return Submitted(response_id, count, closed_now, demands)


# --------------------------------------------------------------------------- results

@dataclass
class QuestionResult:
    number: int
    kind: str
    text: str
    answered: int
    options: list[tuple[str, int]] = field(default_factory=list)    # (option, count) for choices
    ratings: list[int] = field(default_factory=list)                # counts of 1…5
    average: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class SurveyResults:
    code: str
    title: str
    round: int
    status: str
    responses: int
    by_group: list[tuple[str, int]]
    questions: list[QuestionResult]
    opens_at: datetime | None
    closes_at: datetime | None


async def group_counts(session: AsyncSession, survey: Survey, round_: int | None = None) -> dict[str, int]:
    rnd = survey.round if round_ is None else round_
    rows = (await session.execute(select(SurveyResponse.group_topic, func.count()).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.round == rnd).group_by(SurveyResponse.group_topic))).all()
    return {(topic or ""): n for topic, n in rows}


async def results(session: AsyncSession, config: Config, code: str, round_: int | None = None) -> SurveyResults:
    view = await get_view(session, code)
    survey = view.survey
    rnd = survey.round if round_ is None else round_
    counts = await group_counts(session, survey, rnd)
    total = sum(counts.values())
    by_group = [(t, counts.get(t, 0)) for t in targets(config, survey.groups)]
    if counts.get(""):
        by_group.append(("", counts[""]))
    by_group += [(t, n) for t, n in counts.items() if t and t not in dict(by_group)]
    answers = (await session.scalars(select(SurveyAnswer).where(
        SurveyAnswer.survey_id == survey.id, SurveyAnswer.round == rnd).order_by(SurveyAnswer.id))).all()
    per_q: dict[int, list[SurveyAnswer]] = {}
    for a in answers:
        per_q.setdefault(a.question_number, []).append(a)
    out: list[QuestionResult] = []
    for q in view.questions:
        rows = per_q.get(q.number, [])
        qr = QuestionResult(q.number, q.kind, q.text, len(rows))
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
            c: Counter[int] = Counter(n for a in rows for n in (a.choices or []))
            qr.options = [(opt, c.get(i, 0)) for i, opt in enumerate(q.options, 1)]
        elif q.kind == QuestionKind.RATING:
            c = Counter(a.rating for a in rows if a.rating)
            qr.ratings = [c.get(i, 0) for i in range(1, RATING_MAX + 1)]
            qr.average = round(sum(i * n for i, n in enumerate(qr.ratings, 1)) / len(rows), 2) if rows else None
        else:
            qr.texts = [a.text for a in rows if a.text]
        out.append(qr)
    return SurveyResults(survey.code, survey.title, rnd, survey.status, total, by_group, out, survey.opens_at,
                         survey.closes_at)


async def mark_results_posted(session: AsyncSession, survey: Survey, round_: int) -> None:
    survey.results_round = max(survey.results_round, round_)


# --------------------------------------------------------------------------- reminders

@dataclass
class ReminderDue:
    group: str
    n: int
    answers: int


async def reminders_due(session: AsyncSession, now: datetime, config: Config, survey: Survey) -> list[ReminderDue]:
    """Groups whose answers are below the threshold, reminded fewer than `times` times, the last one at
    least `every_hours` ago, and the round open at least `first_after_hours` (quiet hours: the caller)."""
    cfg = survey.reminder or {}
    if not cfg or cfg.get("times", 0) <= 0 or survey.status != SurveyStatus.OPEN or survey.opens_at is None:
        return []
    if now < survey.opens_at + timedelta(hours=cfg.get("first_after_hours", cfg["every_hours"])):
        return []
    counts = await group_counts(session, survey)
    sent = (await session.execute(select(SurveyReminder.group_topic, func.count(), func.max(SurveyReminder.sent_at))
                                  .where(SurveyReminder.survey_id == survey.id, SurveyReminder.round == survey.round)
                                  .group_by(SurveyReminder.group_topic))).all()
    history = {topic: (n, last) for topic, n, last in sent}
    due: list[ReminderDue] = []
    for topic in targets(config, survey.groups):
        answers = counts.get(topic, 0)
        if answers >= cfg["below"]:
            continue
        n, last = history.get(topic, (0, None))
        if n >= cfg["times"] or (last is not None and now - last < timedelta(hours=cfg["every_hours"])):
            continue
        due.append(ReminderDue(topic, n + 1, answers))
    return due


async def record_reminder(session: AsyncSession, now: datetime, survey: Survey, due: ReminderDue) -> bool:
    """Claim one reminder (unique per survey, round, group and n); False if another tick took it."""
    return await insert_ignore(session, SurveyReminder.__table__, {
        "survey_id": survey.id, "round": survey.round, "group_topic": due.group, "n": due.n,
        "answers_then": due.answers, "sent_at": now}) == 1


# --------------------------------------------------------------------------- inbox: demands in text answers

@dataclass
class DemandSuggestion:
    survey: str
    round: int
    question: int
    category: str
    text: str
    person_id: str | None
    building: int | None
    group: str | None
    at: datetime


async def demand_suggestions(session: AsyncSession, since: datetime | None = None) -> list[DemandSuggestion]:
    """Text answers that read as a demand (kernel.text.classify): suggestions for the needs inbox."""
    q = (select(SurveyAnswer, SurveyResponse, Survey)
         .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
         .join(Survey, Survey.id == SurveyAnswer.survey_id)
         .where(SurveyAnswer.demand_category.is_not(None)).order_by(SurveyAnswer.at))
    if since is not None:
        q = q.where(SurveyAnswer.at >= since)
    return [DemandSuggestion(s.code, a.round, a.question_number, a.demand_category or "other", a.text or "",
                             r.person_id, r.building, r.group_topic, a.at)
            for a, r, s in (await session.execute(q)).all()]


async def suggest_needs(session: AsyncSession, now: datetime, config: Config, survey: Survey, respondent: Respondent,
                        demands: list[tuple[int, str, str]]) -> int:
    """Text answers that read as a demand become 未诉先办 suggestions in the needs inbox
    (models.needs.record_suggestion); without the needs module they stay flagged here only."""
    try:
        from models.needs import record_suggestion
    except ImportError:
        return 0
    grid = config.grid_by_topic(respondent.group) if respondent.group else config.grid_of_building(respondent.building)
    for _number, category, text in demands:
        await record_suggestion(
            session, now, grid=grid.number if grid else None, chat=respondent.group or f"问卷{survey.code}",
            sender_id="anonymous" if survey.anonymous else (respondent.person_id or ""),
            sender_name="匿名" if survey.anonymous else (respondent.name or ""),
            text=f"[问卷{survey.code}] {text}", category=category, urgent=False,
            building=respondent.building)
    return len(demands)


# --------------------------------------------------------------------------- links and tokens

def base_url(config: Config) -> str:
    """Where links in messages point: [web] base_url, or the address the service bound (set by
    bot/service.py), else the default port on this machine."""
    return config.web.base_url or DEFAULT_BASE_URL


def survey_link(base: str, code: str, *, grid: int | None = None, token: str | None = None) -> str:
    link = f"{base.rstrip('/')}/s/{code}"
    if token:
        return f"{link}?t={token}"
    if grid is not None:
        return f"{link}?g={grid}"
    return link


def _sign(survey: Survey, payload: str, n: int = 16) -> str:
    return hmac.new(survey.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:n]


def person_token(survey: Survey, person_id: str) -> str:
    """A personal link token: who (base64url) and a signature — the H5 answer then counts for that person."""
    who = base64.urlsafe_b64encode(person_id.encode()).decode().rstrip("=")
    return f"{who}.{_sign(survey, 'p|' + person_id)}"


def person_from_token(survey: Survey, token: str | None) -> str | None:
    if not token or "." not in token:
        return None
    who, sig = token.rsplit(".", 1)
    try:
        person = base64.urlsafe_b64decode(who + "=" * (-len(who) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return person if hmac.compare_digest(sig, _sign(survey, "p|" + person)) else None


def form_token(survey: Survey, nonce: str, issued: int) -> str:
    """CSRF: the hidden field binds the form to the cookie nonce it was rendered with."""
    return f"{issued}.{_sign(survey, f'c|{nonce}|{issued}', 24)}"


def check_form_token(survey: Survey, nonce: str | None, token: str | None, now: datetime,
                     max_age: timedelta = timedelta(hours=6)) -> bool:
    if not nonce or not token or "." not in token:
        return False
    issued_s, sig = token.split(".", 1)
    if not issued_s.isdigit():
        return False
    issued = int(issued_s)
    if not 0 <= now.timestamp() - issued <= max_age.total_seconds():
        return False
    return hmac.compare_digest(sig, _sign(survey, f"c|{nonce}|{issued}", 24))
