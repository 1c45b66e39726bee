"""Reply budgets: one resident, or one busy group, cannot make the bot send more than a few replies a
minute (WeChat bans accounts that send like that, and every flood reply delays someone else's answer).

Within a window (default 60 s from the first reply) a person gets `replies_per_person` answered messages,
then one polite notice, then silence until the window passes; a group likewise with `replies_per_group`.
Only the answers are held back: every message is still read, recorded and acted on (a need is still
filed and its worker still told). Urgent rows (an urgent alert, an urgent acknowledgement) are never held.
Staff (workers, admins, departments) are not budgeted: they are bound, known people doing their work.

The windows live in the router's memory, not the database: a budget check costs no statement on the hot
path, one process serves one account (DESIGN.md), and a restart forgets at most one window. Memory is
bounded: expired windows are dropped first, then the least recently used. Changes made while a batch
runs are kept in a `Ledger` and applied only when the batch commits, so a batch that is rolled back
and replayed (database down) is budgeted once, not twice.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from kernel.identity import Role
from kernel.message import ChatKind
from kernel.settings import SenderConfig
from models.outbox import Outbox, Priority
from texts.common import FLOOD_GROUP, FLOOD_PERSON

MAX_WINDOWS = 20_000    # people and groups remembered at once (≈ 100 bytes each)
URGENT_PER_PERSON = 3   # messages a window whose rows go out as urgent; beyond, a resident's urgent rows go
                        # as replies — still sent, but no longer ahead of someone else's urgent alert


class Verdict(Enum):
    ALLOW = "allow"      # within the budget: answer
    NOTICE = "notice"    # just over: hold the answer, say once that we are holding answers
    SILENT = "silent"    # over, and told: hold the answer, say nothing


@dataclass
class _Window:
    start: datetime
    used: int = 0
    noticed: bool = False


class ReplyBudget:
    """Per-person and per-group windows, keyed "p:<id>" / "g:<topic>"."""

    def __init__(self, cfg: SenderConfig, *, max_windows: int = MAX_WINDOWS) -> None:
        self.per_person = cfg.replies_per_person
        self.per_group = cfg.replies_per_group
        self.window = timedelta(seconds=cfg.budget_window_s)
        self.max_windows = max_windows
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def ledger(self, now: datetime) -> Ledger:
        return Ledger(self, now)

    def __len__(self) -> int:
        return len(self._windows)

    def _current(self, key: str, now: datetime) -> _Window:
        w = self._windows.get(key)
        if w is None or now - w.start >= self.window or now < w.start:
            return _Window(now)
        return replace(w)

    def _store(self, key: str, window: _Window, now: datetime) -> None:
        self._windows[key] = window
        self._windows.move_to_end(key)
        if len(self._windows) > self.max_windows:
            for k in [k for k, w in self._windows.items() if now - w.start >= self.window]:
                del self._windows[k]
            while len(self._windows) > self.max_windows:
                self._windows.popitem(last=False)


class Ledger:
    """One batch's view of the budget: reads through to it, keeps its own changes until `commit`."""

    def __init__(self, budget: ReplyBudget, now: datetime) -> None:
        self.budget = budget
        self.now = now
        self._touched: dict[str, _Window] = {}

    def _get(self, key: str) -> _Window:
        if key not in self._touched:
            self._touched[key] = self.budget._current(key, self.now)
        return self._touched[key]

    def verdict(self, key: str, limit: int) -> Verdict:
        if limit <= 0:
            return Verdict.ALLOW
        w = self._get(key)
        if w.used < limit:
            return Verdict.ALLOW
        return Verdict.SILENT if w.noticed else Verdict.NOTICE

    def spend(self, key: str) -> None:
        self._get(key).used += 1

    def noticed(self, key: str) -> None:
        self._get(key).noticed = True

    def commit(self) -> None:
        for key, window in self._touched.items():
            self.budget._store(key, window, self.now)
        self._touched.clear()


class ReplyGate:
    """Holds back one message's replies when its sender or group is over budget. Installed on the
    message's Outbox (`withhold`) before the handler runs; `settle` after it spends the budget or
    writes the one notice."""

    def __init__(self, ledger: Ledger, *, sender_id: str, sender_role: Role, group: str | None) -> None:
        self.ledger = ledger
        self.sender_id = sender_id
        self.group = group
        budget = ledger.budget
        self.person_key = f"p:{sender_id}" if sender_role == Role.RESIDENT else None
        self.group_key = f"g:{group}" if group else None
        self.person = ledger.verdict(self.person_key, budget.per_person) if self.person_key else Verdict.ALLOW
        self.urgent_key = f"u:{sender_id}" if sender_role == Role.RESIDENT else None
        self.urgent_floor = Priority.REPLY if self.urgent_key and \
            ledger.verdict(self.urgent_key, URGENT_PER_PERSON) != Verdict.ALLOW else None
        self.group_verdict = ledger.verdict(self.group_key, budget.per_group) if self.group_key else Verdict.ALLOW
        self.answered_person = self.answered_group = False
        self.held_person = self.held_group = False

    def withhold(self, kind: ChatKind, chat_id: str, priority: int) -> bool:
        """True: this row is not written. Called by the Outbox for every row of this message."""
        to_person = kind == ChatKind.PRIVATE and chat_id == self.sender_id
        to_group = kind == ChatKind.GROUP and self.group is not None and chat_id == self.group
        if not (to_person or to_group) or priority <= Priority.URGENT:
            return False
        person_over = self.person != Verdict.ALLOW
        group_over = to_group and self.group_verdict != Verdict.ALLOW
        if person_over or group_over:
            self.held_person |= person_over
            self.held_group |= group_over
            return True
        self.answered_person = True
        self.answered_group |= to_group
        return False

    async def settle(self, out: Outbox) -> None:
        """After the handler: count what was answered, or say once that answers are being held."""
        if self.urgent_key and out.urgent_written:
            self.ledger.spend(self.urgent_key)
        if self.answered_person and self.person_key:
            self.ledger.spend(self.person_key)
        if self.answered_group and self.group_key:
            self.ledger.spend(self.group_key)
        text = None
        if self.held_person and self.person == Verdict.NOTICE and self.person_key:
            text = FLOOD_PERSON
            self.ledger.noticed(self.person_key)
        if self.held_group and self.group_verdict == Verdict.NOTICE and self.group_key:
            text = text or FLOOD_GROUP
            self.ledger.noticed(self.group_key)
        if text is None:
            return
        withhold, out.withhold = out.withhold, None
        try:
            if self.group is None:
                await out.private(self.sender_id, text)
            else:
                await out.group(self.group, text, mentions=(self.sender_id,) if text == FLOOD_PERSON else ())
        finally:
            out.withhold = withhold
