"""The FAQ the bot answers residents from (知识库), editable by an admin on the staff web.

Where the entries live: `[[knowledge.faq]]` in the config file is the starting set. Until an admin
first changes the FAQ on the page, the bot answers from the config (nothing is copied). The first
change copies the config's entries into `faq_entries` (an `admin_changes` row "faq_seed" marks it) and
from then on the database is the FAQ: later edits of `[[knowledge.faq]]` in the file are not read,
except on demand with `import_config` (the page's 从配置文件导入 button), which adds the config entries
whose questions are not there yet. Centre hours, address and phone numbers stay in the config.

The matching itself is kernel/text/knowledge.py; the bot holds one KnowledgeBase built from
`faq_settings` and rebuilds it when this table changes (bot/app.Core.reload_knowledge)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.config import Config
from kernel.settings import FaqEntry, KnowledgeSettings
from models.base import Base
from models.admin_log import AdminChange, StaffError, log_change

MAX_QUESTIONS = 20
MAX_QUESTION = 40
MAX_ANSWER = 1000


class FaqRow(Base):
    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    questions: Mapped[str] = mapped_column(Text)          # one question / keyword per line
    answer: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)        # order on the page (the config's order at seeding)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class FaqItem:
    """One entry as the page shows it. `ref`: "5" for a stored row, "c2" for the config's third entry
    (before the FAQ was first changed on the page)."""

    ref: str
    questions: tuple[str, ...]
    answer: str
    updated_at: datetime | None = None
    updated_by: str | None = None


async def seeded(session: AsyncSession) -> bool:
    """True once the FAQ was changed on the page: the database, not the config, is the FAQ."""
    q = select(func.count()).select_from(AdminChange).where(AdminChange.action.startswith("faq"))
    return bool(await session.scalar(q))


async def faq_items(session: AsyncSession, config: Config) -> list[FaqItem]:
    if not await seeded(session):
        return [FaqItem(f"c{i}", tuple(e.q), e.a) for i, e in enumerate(config.knowledge.faq)]
    rows = (await session.scalars(select(FaqRow).order_by(FaqRow.position, FaqRow.id))).all()
    return [FaqItem(str(r.id), tuple(r.questions.splitlines()), r.answer, r.updated_at, r.updated_by) for r in rows]


async def faq_settings(session: AsyncSession, config: Config) -> KnowledgeSettings:
    """The config's [knowledge] with the FAQ in force: what the bot's KnowledgeBase is built from."""
    if not await seeded(session):
        return config.knowledge
    entries = tuple(FaqEntry(i.questions, i.answer) for i in await faq_items(session, config))
    return dataclasses.replace(config.knowledge, faq=entries)


async def version(session: AsyncSession) -> int:
    """Grows with every FAQ change: a holder of a cached KnowledgeBase compares it to know it is stale."""
    q = select(func.max(AdminChange.id)).where(AdminChange.action.startswith("faq"))
    return int(await session.scalar(q) or 0)


def _clean(questions: str | list[str] | tuple[str, ...], answer: str) -> tuple[tuple[str, ...], str]:
    if isinstance(questions, str):
        questions = questions.replace(",", "\n").replace(",", "\n").replace("、", "\n").splitlines()
    qs = tuple(dict.fromkeys(q.strip() for q in questions if q.strip()))
    answer = (answer or "").strip()
    if not qs:
        raise StaffError("faq_no_question")
    if len(qs) > MAX_QUESTIONS or any(len(q) > MAX_QUESTION for q in qs):
        raise StaffError("faq_question_long", n=MAX_QUESTIONS, max=MAX_QUESTION)
    if not answer:
        raise StaffError("faq_no_answer")
    if len(answer) > MAX_ANSWER:
        raise StaffError("faq_answer_long", max=MAX_ANSWER)
    return qs, answer


async def _seed(session: AsyncSession, now: datetime, config: Config, actor: str) -> dict[str, int]:
    """Copy the config's entries into the table (once); their page refs ("c0" …) → row ids."""
    if await seeded(session):
        return {}
    refs = {}
    for i, e in enumerate(config.knowledge.faq):
        row = FaqRow(questions="\n".join(e.q), answer=e.a, position=i, updated_at=now, updated_by="config")
        session.add(row)
        await session.flush()
        refs[f"c{i}"] = row.id
    log_change(session, now, actor, "faq_seed", "config", None, f"{len(refs)}")
    await session.flush()
    return refs


async def _row(session: AsyncSession, ref: str, refs: dict[str, int]) -> FaqRow:
    ref = (ref or "").strip()
    number = ref.isascii() and ref.isdigit() and len(ref) <= 9
    row_id = refs.get(ref) if ref.startswith("c") else (int(ref) if number else None)
    row = await session.get(FaqRow, row_id) if row_id is not None else None
    if row is None:
        raise StaffError("faq_gone")
    return row


async def _check_unique(session: AsyncSession, qs: tuple[str, ...], skip: int | None) -> None:
    """A question may lead to one answer only (as the config check says)."""
    for row in (await session.scalars(select(FaqRow))).all():
        if row.id == skip:
            continue
        clash = set(qs) & set(row.questions.splitlines())
        if clash:
            raise StaffError("faq_duplicate", q=sorted(clash)[0])


async def add_faq(session: AsyncSession, now: datetime, config: Config, questions: str | list[str], answer: str, *,
                  actor: str) -> FaqRow:
    qs, answer = _clean(questions, answer)
    await _seed(session, now, config, actor)
    await _check_unique(session, qs, None)
    last = await session.scalar(select(func.max(FaqRow.position)))
    row = FaqRow(questions="\n".join(qs), answer=answer, position=(last if last is not None else -1) + 1,
                 updated_at=now, updated_by=actor)
    session.add(row)
    await session.flush()
    log_change(session, now, actor, "faq_add", str(row.id), None, f"{' / '.join(qs)} → {answer}")
    return row


async def edit_faq(session: AsyncSession, now: datetime, config: Config, ref: str, questions: str | list[str],
                   answer: str, *, actor: str) -> FaqRow:
    qs, answer = _clean(questions, answer)
    row = await _row(session, ref, await _seed(session, now, config, actor))
    await _check_unique(session, qs, row.id)
    old = f"{' / '.join(row.questions.splitlines())} → {row.answer}"
    row.questions, row.answer, row.updated_at, row.updated_by = "\n".join(qs), answer, now, actor
    log_change(session, now, actor, "faq_edit", str(row.id), old, f"{' / '.join(qs)} → {answer}")
    return row


async def delete_faq(session: AsyncSession, now: datetime, config: Config, ref: str, *, actor: str) -> None:
    row = await _row(session, ref, await _seed(session, now, config, actor))
    log_change(session, now, actor, "faq_delete", str(row.id), f"{' / '.join(row.questions.splitlines())} → {row.answer}",
               None)
    await session.delete(row)


async def import_config(session: AsyncSession, now: datetime, config: Config, *, actor: str) -> int:
    """Add the config's entries none of whose questions is in the table yet; how many were added."""
    if not await seeded(session):
        await _seed(session, now, config, actor)
        return len(config.knowledge.faq)
    have = {q for row in (await session.scalars(select(FaqRow))).all() for q in row.questions.splitlines()}
    added = 0
    for e in config.knowledge.faq:
        if not set(e.q) & have:
            await add_faq(session, now, config, list(e.q), e.a, actor=actor)
            have |= set(e.q)
            added += 1
    return added
