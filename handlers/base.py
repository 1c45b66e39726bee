"""What every capability's handlers are built from: a Router per module (aiogram style), ordered
stages (nonebot style priorities), and the Context a handler works with.

A handler parses and words replies; the domain change itself is a model operation in models/*, which
the web views call too. Replies are never sent directly: ctx.reply() adds an outbox row in the same
transaction as the change."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import Clock
from kernel.config import Config, GridConfig
from kernel.identity import Directory, Person, Role
from kernel.message import IncomingMessage
from kernel.text.classify import Understanding, classify
from kernel.text.knowledge import KnowledgeBase, knowledge_base
from models import conversation
from models.conversation import PRIVATE_SCOPE
from models.needs import normalize_follow_code
from models.outbox import Outbox, Priority, anonymous_key
from texts.common import ANSWERED_PRIVATELY, STAFF_ONLY
from texts.photos import HEARD

_T = TypeVar("_T")

PASS = object()   # a handler returns PASS when, on a closer look (e.g. no pending question), it is not its message


class Stage(IntEnum):
    """Dispatch order: the first stage with a matching handler wins."""

    STAFF_COMMAND = 10      # 接单 / 办结 / 发布活动 … (workers, admins, departments)
    RESIDENT_COMMAND = 20   # 预约 / 报名 / 取消 / 我的预约 / 树洞 / 签到 …
    FOLLOW_UP = 30          # a reply to something the bot just asked ("1", "是")
    INTENT = 40             # plain language, only when the bot is addressed or in private chat
    PASSIVE = 50            # group talk not meant for the bot (未诉先办 suggestions); says nothing
    FALLBACK = 90           # addressed but understood nothing: a short help


@dataclass(frozen=True)
class View:
    """The cheap, database-free view of a message that matchers look at."""

    msg: IncomingMessage
    text: str               # cleaned, @bot removed
    addressed: bool         # @bot in a group, or any private message
    sender: Person
    grid: GridConfig | None  # the group's grid (None: private chat or a non-grid group)
    config: Config
    # The sender's open questions in this chat, newest first; loaded by the router inside the
    # message's transaction (None until then: planning never touches the database).
    awaiting: tuple[conversation.Question, ...] | None = None
    # The FAQ in force (the database's, kernel/text/knowledge.KnowledgeCache); None: the config's.
    knowledge: KnowledgeBase | None = None

    @property
    def kb(self) -> KnowledgeBase:
        """What the bot answers residents' questions from."""
        return self.knowledge if self.knowledge is not None else knowledge_base(self.config.knowledge)

    def remember_awaiting(self, questions: tuple[conversation.Question, ...] | None) -> None:
        """Set by the message's Context only (None after it asked or closed a question: reload)."""
        object.__setattr__(self, "awaiting", questions)

    def memo(self, key: str, read: Callable[[View], _T]) -> _T:
        """A matcher's reading of this message, computed once however many routes ask for it."""
        memo = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            memo[key] = read(self)
        return memo[key]  # type: ignore[no-any-return]

    @property
    def is_private(self) -> bool:
        return self.msg.is_private

    @cached_property
    def understanding(self) -> Understanding:
        """What the message says (intent, category, urgency, building), read once however many
        matchers ask."""
        return classify(self.text)

    @property
    def scope(self) -> str:
        return PRIVATE_SCOPE if self.msg.is_private else (self.msg.group_topic or self.msg.group_id or "")


Matcher = Callable[[View], Any]                       # returns parsed arguments, or None for "not mine"
HandlerFn = Callable[["Context", Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    stage: Stage
    match: Matcher
    handle: HandlerFn
    roles: frozenset[Role] | None = None   # None: anyone. Others get a polite refusal.
    refusal: str = STAFF_ONLY
    answers: frozenset[str] = frozenset()  # FOLLOW_UP routes: the question kinds they answer
    label: str = ""                        # … and what that question is, in a resident's words
    private: bool = False                  # answers reveal need texts, names, phones or rosters: in a
                                           # group they go to the sender privately (Context.reply)
    long_text: bool = False                # reads texts beyond the router's MAX_TEXT (a pasted 接龙 list)
    media: bool = False                    # reads photo / voice / file messages (and only those)


class Router:
    """One per capability module; the dispatcher collects them in a fixed order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: list[Route] = []

    def route(self, stage: Stage, match: Matcher, *, roles: frozenset[Role] | None = None,
              refusal: str | None = None, private: bool = False,
              long_text: bool = False, media: bool = False) -> Callable[[HandlerFn], HandlerFn]:
        """`private`: what this route answers must not be read by a group (a 待办 list, a need's
        details, a roster): typed in a group, the answer goes to the sender privately.
        `long_text`: the matcher also sees texts longer than the router's MAX_TEXT (a 接龙 list of
        hundreds of lines), so it must stay cheap on them."""
        def register(fn: HandlerFn) -> HandlerFn:
            kwargs = {"refusal": refusal} if refusal else {}
            self.routes.append(Route(f"{self.name}.{fn.__name__}", stage, match, fn, roles, private=private,
                                     long_text=long_text, media=media, **kwargs))
            return fn
        return register

    def answer(self, *kinds: str, match: Matcher, label: str) -> Callable[[HandlerFn], HandlerFn]:
        """A follow-up: runs only when the sender has an open question of one of `kinds` in this chat
        (the handler finds it in ctx.question); among several open questions the answer fits, the
        newest asked wins, and `label` ("给诉求打分") tells the resident an older one still waits."""
        def register(fn: HandlerFn) -> HandlerFn:
            self.routes.append(Route(f"{self.name}.{fn.__name__}", Stage.FOLLOW_UP, match, fn,
                                     answers=frozenset(kinds), label=label))
            return fn
        return register

    def command(self, *words: str, stage: Stage = Stage.RESIDENT_COMMAND, roles: frozenset[Role] | None = None,
                refusal: str | None = None, bare: bool = True, private: bool = False) -> Callable[[HandlerFn], HandlerFn]:
        """A command word at the start of the message; the handler gets the rest as a string.

        `bare`: the word alone (no argument) also matches."""
        return self.route(stage, command_matcher(*words, bare=bare), roles=roles, refusal=refusal, private=private)


def command_matcher(*words: str, bare: bool = True) -> Matcher:
    # Longest first so that 取消报名 is not read as 取消 + 报名.
    ordered = sorted(words, key=len, reverse=True)
    # A comma or full stop after the word is a pause, as voice input writes it ("办结,井盖已经固定好了。")
    pattern = re.compile(r"^(?:%s)(?:[\s:,，。、;；]+|$|(?=[A-Za-z0-9]))(.*)$" % "|".join(map(re.escape, ordered)),
                         re.S)

    def match(view: View) -> str | None:
        m = pattern.match(view.text)
        if m is None:
            return None
        rest = m.group(1).strip()
        return rest if (rest or bare) else None
    return match


@dataclass
class Context:
    """What a handler works with: the message, its transaction, the clock, who is who, where to write
    replies (`out`, an Outbox keyed by this message) and the open questions of the sender."""

    view: View
    session: AsyncSession
    clock: Clock
    directory: Directory
    now: datetime
    after_commit: list[Callable[[], None]] = field(default_factory=list)  # run once the transaction commits
    question: conversation.Question | None = None   # the question a FOLLOW_UP route is answering
    privately: bool = False    # the route's answers are private: in a resident group, reply() writes to the sender
    # … in the staff group too (a 树洞 is shown in no group at all); set by a handler that shows one
    private_in_staff_group: bool = False
    anonymous: bool = False    # a 树洞 message: nothing written may link it to its sender (go_anonymous)
    memo: dict[Any, Any] = field(default_factory=dict)   # reads a handler makes once per message
    out: Outbox = field(init=False)
    _told_group: bool = field(default=False, init=False)
    _said_heard: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.out = Outbox(self.session, account=self.msg.account, now=self.now,
                          origin=f"msg:{self.msg.account}:{self.msg.id}", config=self.config,
                          sender=self.msg.sender_id)
        if self.msg.is_private and normalize_follow_code(self.view.text):
            self.go_anonymous()    # 查 / 满意 with a 树洞's follow-up code: the answer must not link it to them

    @property
    def msg(self) -> IncomingMessage:
        return self.view.msg

    @property
    def text(self) -> str:
        return self.view.text

    @property
    def sender(self) -> Person:
        return self.view.sender

    @property
    def config(self) -> Config:
        return self.view.config

    @property
    def grid(self) -> GridConfig | None:
        return self.view.grid

    @property
    def sent(self) -> list[str]:
        return self.out.sent

    def local_now(self) -> datetime:
        return self.now.astimezone(self.config.timezone)

    def go_anonymous(self) -> None:
        """From here on, this message is a 树洞: the rows it writes are keyed by a random origin instead
        of the incoming message id, and the reply to the sender is deleted from the outbox once delivered."""
        self.anonymous = True
        self.out.origin = f"th:{secrets.token_hex(8)}"
        # The 树洞's follow-up code, in this reply, is the sender's only way back to it: a reply budget
        # spent on earlier messages must not swallow it (installed by the router before the handler runs).
        self.out.withhold = None

    async def reply(self, text: str, *, mention: bool = True, priority: Priority = Priority.REPLY) -> None:
        """Answer in the chat the message came from; in a group, @ the sender. A private route's answer
        typed in a group goes to the sender privately, and the group hears only that it did."""
        if self.msg.heard and not self._said_heard:      # a transcribed voice note: say what was understood
            self._said_heard = True
            heard = self.text if len(self.text) <= 60 else self.text[:58] + "…"
            text = HEARD.format(text=heard) + "\n" + text
        if self.anonymous:
            await self.out.private(self.msg.sender_id, text, key=anonymous_key(), priority=priority)
        elif self.msg.is_private:
            await self.out.private(self.msg.sender_id, text, priority=priority, reply_to=self.msg.id)
        elif self.privately and (self.private_in_staff_group or self.view.scope != self.config.staff_group):
            await self.out.private(self.msg.sender_id, text, priority=priority)
            if not self._told_group:
                self._told_group = True
                await self.out.group(self.msg.group_topic or self.msg.group_id or "", ANSWERED_PRIVATELY,
                                     mentions=(self.msg.sender_id,), priority=priority, reply_to=self.msg.id)
        else:
            chat = self.msg.group_topic or self.msg.group_id or ""
            await self.out.group(chat, text, mentions=(self.msg.sender_id,) if mention else (), priority=priority,
                                 reply_to=self.msg.id)

    # -- pending questions, per (chat, person, kind) --
    async def awaiting(self) -> tuple[conversation.Question, ...]:
        """The sender's open questions in this chat, newest first (loaded once per message)."""
        if self.view.awaiting is None:
            self.view.remember_awaiting(
                await conversation.awaiting(self.session, self.view.scope, self.sender.id, self.now))
        assert self.view.awaiting is not None
        return self.view.awaiting

    async def pending(self, *kinds: str) -> conversation.Question | None:
        """The newest open question of one of these kinds, or None."""
        return next((q for q in await self.awaiting() if q.kind in kinds), None)

    async def ask(self, kind: str, data: dict[str, Any], *, ttl: timedelta = conversation.DEFAULT_TTL,
                  replaces: Iterable[str] = (), person_id: str | None = None, scope: str | None = None) -> None:
        """Remember that the bot asked something (the reply that asks is the caller's)."""
        await conversation.ask(self.session, scope=scope or self.view.scope, person_id=person_id or self.sender.id,
                               kind=kind, data=data, now=self.now, ttl=ttl, replaces=replaces)
        self.view.remember_awaiting(None)

    async def answered(self, *kinds: str) -> None:
        """Close questions of these kinds (default: the one being answered) for the sender in this chat."""
        kinds = kinds or ((self.question.kind,) if self.question else ())
        if kinds:
            await conversation.forget(self.session, self.view.scope, self.sender.id, kinds)
            self.view.remember_awaiting(None)
