"""The rows of the surveys export: one row per answer (survey, question, person, answer, at). An
anonymous survey names nobody. The date filter reads when the answer was given, the grid filter the
group the answer counts for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from models.export_filter import ExportFilter, in_grid, within
from models.needs import CATEGORY_NAMES
from models.surveys import RATING_MAX, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from texts import exports as X


@dataclass(frozen=True)
class AnswerRow:
    survey: str                    # the survey code, S1
    title: str
    round: int
    question: str                  # "1. 您对…满意吗"
    person: str | None             # contact id (or the name an H5 form gave); None when anonymous
    name: str | None
    household: str | None          # 4栋101
    group: str | None
    channel: str
    channel_name: str
    answer: str                    # the options chosen, the rating "4/5", or the words written
    choices: list[int] | None
    rating: int | None
    demand_category: str | None    # a written answer that reads as a need
    demand_category_name: str | None
    at: datetime


def answer_text(question: SurveyQuestion | None, answer: SurveyAnswer) -> str:
    if answer.choices is not None:
        options = question.options if question is not None else []
        return "、".join(options[n - 1] if 0 < n <= len(options) else str(n) for n in answer.choices)
    if answer.rating is not None:
        return f"{answer.rating}/{RATING_MAX}"
    return answer.text or ""


async def answer_rows(session: AsyncSession, config: Config, *, filters: ExportFilter = ExportFilter()) -> list[AnswerRow]:
    tz = config.timezone
    q = (select(SurveyAnswer, SurveyResponse, Survey)
         .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
         .join(Survey, Survey.id == SurveyAnswer.survey_id)
         .where(*within(SurveyAnswer.at, filters, tz), *in_grid(SurveyResponse.group_topic, filters, config))
         .order_by(Survey.id, SurveyAnswer.round, SurveyResponse.id, SurveyAnswer.question_number))
    found = (await session.execute(q)).all()
    survey_ids = {s.id for _, _, s in found}
    questions = {(q.survey_id, q.number): q for q in (await session.scalars(
        select(SurveyQuestion).where(SurveyQuestion.survey_id.in_(survey_ids)))).all()} if survey_ids else {}
    out: list[AnswerRow] = []
    for a, r, s in found:
        question = questions.get((s.id, a.question_number))
        named = not s.anonymous
        out.append(AnswerRow(
            survey=s.code, title=s.title, round=a.round,
            question=f"{a.question_number}. {question.text}" if question else str(a.question_number),
            person=(r.person_id or r.person_name) if named else None, name=r.person_name if named else None,
            household=f"{r.building}栋{r.room or ''}" if named and r.building is not None else None,
            group=r.group_topic, channel=r.channel, channel_name=X.SURVEY_CHANNELS.get(r.channel, r.channel),
            answer=answer_text(question, a), choices=a.choices, rating=a.rating,
            demand_category=a.demand_category,
            demand_category_name=CATEGORY_NAMES.get(a.demand_category) if a.demand_category else None,
            at=a.at.astimezone(tz),
        ))
    return out
