"""The push jobs: due schedules → runs → messages (notices, survey posts, the weekly digest), and survey
upkeep (closing, results to the staff group, reminders to groups with low response).

Every message goes through the outbox (tc.out) with a key derived from what it is:
    push:<schedule>:<slot>:<group>            one push to one group
    survey-results:<code>:r<round>            results of one round
    survey-remind:<code>:r<round>:<group>:<n> the n-th reminder to a group
so two ticks, a restart or a second instance never send one twice. Quiet hours and holidays move a push
(calendar_cn.next_allowed); urgent pushes ignore both."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from kernel.calendar_cn import DayRule, calendar_for, in_quiet_hours
from texts import surveys as T
from models import pushes as P
from models import surveys as S
from models.outbox import Priority
from notices.surveys import results_message
from scheduler.ticker import Job, TickContext

log = logging.getLogger("gridbot.pushes")

DIGEST_KEY = "digest:weekly"
_digest_checked: set[str] = set()


# --------------------------------------------------------------------------- pushes

BULK_FROM = 20          # pushes to this many groups or more are queued with multi-row inserts


async def send_groups(tc: TickContext, items: list[tuple[str, str, str]]) -> int:
    """Queue (topic, text, key) notices; returns how many keys were newly claimed. Many groups (a
    district has ~2,000) go in multi-row inserts."""
    if len(items) < BULK_FROM:
        queued = 0
        for topic, text, key in items:
            queued += await tc.out.group(topic, text, key=key, priority=Priority.NOTICE)
        return queued
    return await tc.out.groups(items)


async def run_pushes(tc: TickContext) -> None:
    tz = tc.config.timezone
    await _ensure_digest(tc)
    if not await P.anything_due(tc.session, tc.now):
        return
    await P.plan_due(tc.session, tc.now, tz)
    cal = calendar_for(tc.config)
    quiet = tc.config.quiet_hours
    for run in await P.claim_due_runs(tc.session, tc.now):
        sched = run.schedule
        if sched.status == P.ScheduleStatus.CANCELLED:
            P.finish(run, tc.now, P.RunStatus.CANCELLED, "取消推送")
            continue
        if sched.status == P.ScheduleStatus.PAUSED and not run.manual:
            continue            # held; on resume the grace rule decides
        if not run.urgent:
            allowed, why = cal.next_allowed(run.due_at, tz, quiet, sched.day_rule)
            if allowed > run.due_at:
                run.due_at, run.reason = allowed, why
        if run.due_at > tc.now:
            continue
        late = tc.now - run.due_at
        if not run.manual and late > timedelta(minutes=sched.grace_minutes):
            P.finish(run, tc.now, P.RunStatus.SKIPPED,
                     f"停机错过: 应于 {T.when_text(run.due_at, tz)} 发送,已超过宽限 {sched.grace_minutes} 分钟")
            log.warning("push P%s slot %s skipped: %s late (grace %s min)", sched.id, run.slot, late,
                        sched.grace_minutes)
            continue
        if not run.urgent:
            allowed, why = cal.next_allowed(tc.now, tz, quiet, sched.day_rule)
            if allowed > tc.now:          # late, and now it is quiet hours: wait for the morning
                run.due_at, run.reason = allowed, why
                continue
        await execute(tc, sched, run)


async def execute(tc: TickContext, sched: P.PushSchedule, run: P.PushRun) -> None:
    groups = S.targets(tc.config, sched.groups)
    if sched.kind == P.PushKind.NOTICE:
        text = T.notice_text(sched.text or sched.title)
        queued = await send_groups(tc, [(topic, text, P.push_key(run, topic)) for topic in groups])
        P.finish(run, tc.now, P.RunStatus.SENT, groups=len(groups), queued=queued)
    elif sched.kind == P.PushKind.SURVEY:
        await _push_survey(tc, sched, run, groups)
    elif sched.kind == P.PushKind.DIGEST:
        await _push_digest(tc, run, groups)
    else:
        P.finish(run, tc.now, P.RunStatus.SKIPPED, f"未知的推送类型 {sched.kind}")


async def _push_survey(tc: TickContext, sched: P.PushSchedule, run: P.PushRun, groups: list[str]) -> None:
    try:
        view = await S.get_view(tc.session, sched.survey_code or "", lock=True)
    except S.SurveyError:
        P.finish(run, tc.now, P.RunStatus.SKIPPED, f"问卷 {sched.survey_code} 不存在")
        return
    survey = view.survey
    if survey.status == S.SurveyStatus.CANCELLED:
        P.finish(run, tc.now, P.RunStatus.SKIPPED, "问卷已取消")
        return
    # A new round opens on the first push, and on each planned slot of a recurring survey. 立即推送 of
    # an open survey (or a one-off's slot after it was opened by hand) only posts the invitation again.
    new_round = survey.status == S.SurveyStatus.DRAFT or (bool(sched.cron) and not run.manual)
    if not new_round and survey.status != S.SurveyStatus.OPEN:
        P.finish(run, tc.now, P.RunStatus.SKIPPED, "问卷已结束")
        return
    if new_round:
        if survey.status == S.SurveyStatus.OPEN:       # the previous round is still open: close it and report
            await S.close_survey(tc.session, tc.now, survey)
        if survey.round > survey.results_round:
            await post_results(tc, survey, survey.round)
        await S.open_round(tc.session, tc.now, survey, sched.next_slot if sched.cron else None)
    base = S.base_url(tc.config)
    tz = tc.config.timezone
    closes = T.when_text(survey.closes_at, tz) if survey.closes_at else None
    items = []
    for topic in groups:
        grid = tc.config.grid_by_topic(topic)
        text = _invitation(view, S.survey_link(base, survey.code, grid=grid.number if grid else None),
                           tc.config.bot_name, closes)
        items.append((topic, text, P.push_key(run, topic)))
    queued = await send_groups(tc, items)
    P.finish(run, tc.now, P.RunStatus.SENT, groups=len(groups), queued=queued)


def _invitation(view: S.SurveyView, link: str, bot: str, closes: str | None) -> str:
    s = view.survey
    poll = view.questions[0] if view.is_poll else None
    return T.invitation(code=s.code, title=s.title, intro=s.intro, questions=len(view.questions),
                        poll_question=poll.text if poll else None, poll_options=list(poll.options) if poll else None,
                        link=link, bot=bot, household=s.one_per == "household", closes=closes,
                        multi=bool(poll and poll.kind == S.QuestionKind.MULTI))


# --------------------------------------------------------------------------- weekly digest

async def _ensure_digest(tc: TickContext) -> None:
    """The weekly digest schedule exists once per database ([pushes] digest = "每周一 09:00" or false)."""
    bind = tc.session.bind
    marker = str(bind.url) if bind is not None else ""
    if marker in _digest_checked:
        return
    when = tc.config.pushes.digest
    if when is None:
        _digest_checked.add(marker)
        return
    await P.ensure_schedule(tc.session, tc.now, tc.config.timezone, key=DIGEST_KEY, kind=P.PushKind.DIGEST,
                            title="本周活动", when=when, groups=[], day_rule=DayRule.SKIP_HOLIDAYS)
    tc.after_commit.append(lambda: _digest_checked.add(marker))   # only once it is really in the table


async def digest_items(tc: TickContext, start: datetime, end: datetime) -> dict[str, list[T.DigestItem]]:
    """Events starting in [start, end), per group they are announced in; {} without the events module."""
    try:
        from models import events as E
        found = await E.events_starting_between(tc.session, start, end)
    except (ImportError, AttributeError):
        return {}
    per_group: dict[str, list[T.DigestItem]] = {}
    for ev in found:
        try:
            topics = [g.topic for g in await E.event_groups(tc.session, ev.id)]
            left = await E.places_left(tc.session, ev)
        except AttributeError:
            topics, left = [], None
        fee = ev.fee_text if getattr(ev, "fee_cents", 0) else None
        item = T.DigestItem(ev.title, ev.starts_at, getattr(ev, "place", None), getattr(ev, "code", None), left, fee)
        for topic in topics or [g.group for g in tc.config.grids]:
            per_group.setdefault(topic, []).append(item)
    return per_group


async def _push_digest(tc: TickContext, run: P.PushRun, groups: list[str]) -> None:
    tz = tc.config.timezone
    start = tc.now
    end = start + timedelta(days=7)
    items = await digest_items(tc, start, end)
    batch = []
    for topic in groups:
        text = T.compose_digest(items.get(topic, []), start=start.astimezone(tz).date(),
                                end=(end - timedelta(seconds=1)).astimezone(tz).date(), tz=tz,
                                bot=tc.config.bot_name)
        if text is not None:
            batch.append((topic, text, P.push_key(run, topic)))
    sent_groups = len(batch)
    queued = await send_groups(tc, batch)
    if sent_groups == 0:
        P.finish(run, tc.now, P.RunStatus.SKIPPED, "未来一周没有活动")
    else:
        P.finish(run, tc.now, P.RunStatus.SENT, groups=sent_groups, queued=queued)


# --------------------------------------------------------------------------- surveys: close, results, reminders

async def post_results(tc: TickContext, survey: S.Survey, round_: int) -> bool:
    res = await S.results(tc.session, tc.config, survey.code, round_)
    sched = await S.schedule_of(tc.session, survey)
    text = results_message(res, recurring=bool(sched and sched.cron), final=True, tz=tc.config.timezone)
    target = survey.staff_group or tc.config.staff_group
    ok = await tc.out.group(target, text, key=f"survey-results:{survey.code}:r{round_}", priority=Priority.NOTICE)
    await S.mark_results_posted(tc.session, survey, round_)
    return ok


async def survey_upkeep(tc: TickContext) -> None:
    if not await S.upkeep_needed(tc.session):
        return
    for survey in await S.due_to_close(tc.session, tc.now):
        await S.close_survey(tc.session, tc.now, survey)
    for survey in await S.results_due(tc.session):
        await post_results(tc, survey, survey.round)
    await send_reminders(tc)


async def send_reminders(tc: TickContext) -> None:
    tz = tc.config.timezone
    if in_quiet_hours(tc.now, tz, tc.config.quiet_hours):
        return
    cal = calendar_for(tc.config)
    surveys = [s for s in await S.list_surveys(tc.session, statuses=(S.SurveyStatus.OPEN,)) if s.reminder]
    if not surveys:
        return
    base = S.base_url(tc.config)
    for survey in surveys:
        sched = await S.schedule_of(tc.session, survey)
        if sched is not None and not sched.urgent and not cal.day_allowed(tc.now.astimezone(tz).date(),
                                                                           sched.day_rule)[0]:
            continue
        due = await S.reminders_due(tc.session, tc.now, tc.config, survey)
        if not due:
            continue
        view = await S.get_view(tc.session, survey.code)
        closes = T.when_text(survey.closes_at, tz, tc.now) if survey.closes_at else None
        for d in due:
            if not await S.record_reminder(tc.session, tc.now, survey, d):
                continue
            grid = tc.config.grid_by_topic(d.group)
            link = S.survey_link(base, survey.code, grid=grid.number if grid else None)
            text = T.reminder(code=survey.code, title=survey.title, answers=d.answers, link=link,
                              bot=tc.config.bot_name, closes=closes, poll=view.is_poll)
            await tc.out.group(d.group, text, key=f"survey-remind:{survey.code}:r{survey.round}:{d.group}:{d.n}",
                               priority=Priority.NOTICE)


def jobs() -> list[tuple[str, Job]]:
    return [("pushes", run_pushes), ("survey_upkeep", survey_upkeep)]
