"""What people are told about surveys: the results summary posted to staff (by the scheduler when a round
closes, and on request in chat)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from models import surveys as S
from texts import surveys as T


def results_message(res: S.SurveyResults, *, recurring: bool, final: bool, tz: ZoneInfo) -> str:
    period = None
    if res.opens_at:
        period = f"{T.when_text(res.opens_at, tz)} 至 {T.when_text(res.closes_at, tz) if res.closes_at else '现在'}"
    lines = [T.ResultLine(q.number, q.kind, q.text, q.answered, q.options, q.ratings, q.average, q.texts)
             for q in res.questions]
    return T.results_text(code=res.code, title=res.title, round_=res.round, recurring=recurring, total=res.responses,
                          by_group=res.by_group, questions=lines, final=final, period=period)
