"""Export kind "surveys": one row per answer (CONTRACTS §4: survey, question, person, answer, at)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from bot.export import ExportKind, Rows, register
from models.surveys import RATING_MAX, Survey, SurveyAnswer, SurveyQuestion, SurveyResponse


def answer_text(question: SurveyQuestion | None, answer: SurveyAnswer) -> str:
    if answer.choices is not None:
        options = question.options if question is not None else []
        return "、".join(options[n - 1] if 0 < n <= len(options) else str(n) for n in answer.choices)
    if answer.rating is not None:
        return f"{answer.rating}/{RATING_MAX}"
    return answer.text or ""


async def read_answers(session: AsyncSession, config: Config) -> Rows:
    rows = (await session.execute(
        select(SurveyAnswer, SurveyResponse, Survey)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .order_by(Survey.id, SurveyAnswer.round, SurveyResponse.id, SurveyAnswer.question_number))).all()
    questions = {(q.survey_id, q.number): q for q in (await session.scalars(select(SurveyQuestion))).all()}
    out: list[dict[str, Any]] = []
    for a, r, s in rows:
        q = questions.get((s.id, a.question_number))
        out.append({
            "survey": s.code,
            "title": s.title,
            "round": a.round,
            "question": f"{a.question_number}. {q.text}" if q else str(a.question_number),
            "person": None if s.anonymous else (r.person_id or r.person_name),
            "name": None if s.anonymous else r.person_name,
            "household": None if s.anonymous or r.building is None else f"{r.building}栋{r.room or ''}",
            "group": r.group_topic,
            "channel": r.channel,
            "answer": answer_text(q, a),
            "choices": a.choices,
            "rating": a.rating,
            "demand_category": a.demand_category,
            "at": a.at,
        })
    return out


register(ExportKind(
    name="surveys",
    sheet_title="问卷答卷",
    columns=(("survey", "问卷"), ("title", "标题"), ("round", "期数"), ("question", "题目"), ("person", "答卷人"),
             ("name", "称呼"), ("household", "户"), ("group", "网格群"), ("channel", "渠道"), ("answer", "回答"),
             ("demand_category", "诉求类别"), ("at", "时间")),
    read=read_answers,
))
