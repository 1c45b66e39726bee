"""Every sentence the surveys and pushes capability says, in one place (chat, group posts, H5 page).

Composers are plain functions of data, so they can be reviewed and tested without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = "一二三四五六日"

# --------------------------------------------------------------------------- time words


def when_text(at: datetime | None, tz: ZoneInfo, now: datetime | None = None) -> str:
    """"12月1日(周二) 10:00" — with 今天/明天 when it applies."""
    if at is None:
        return "未定"
    local = at.astimezone(tz)
    day = f"{local.month}月{local.day}日(周{WEEKDAYS[local.weekday()]})"
    if now is not None:
        today = now.astimezone(tz).date()
        if local.date() == today:
            day = "今天"
        elif local.date() == today + timedelta(days=1):
            day = "明天"
    return f"{day} {local:%H:%M}"


def _pct(n: int, total: int) -> str:
    return f"{(100.0 * n / total):.1f}%" if total else "0%"


def _short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def group_label(topic: str) -> str:
    return topic.replace("一家亲", "") if topic else "未注明网格"


def groups_label(topics: list[str]) -> str:
    return "全部网格群" if not topics else "、".join(group_label(t) for t in topics)


# --------------------------------------------------------------------------- survey: group posts

KIND_HINT = {
    "single": "单选,回复一个数字",
    "multi": "可多选,回复数字,如「1 3」",
    "rating": "请打 1–5 分,5 分最满意",
    "text": "请直接输入文字",
}
KIND_NAME = {"single": "单选", "multi": "多选", "rating": "评分", "text": "填空"}


def invitation(*, code: str, title: str, intro: str, questions: int, poll_question: str | None,
               poll_options: list[str] | None, link: str, bot: str, household: bool, closes: str | None,
               multi: bool = False) -> str:
    lines = [f"【服务直通车】{title}"]
    if intro:
        lines.append(intro)
    if poll_question is not None and poll_options is not None:
        lines.append(poll_question + (" (可多选)" if multi else ""))
        lines += [f"{i}. {o}" for i, o in enumerate(poll_options, 1)]
        example = "投票 1 3" if multi else "投票 1"
        lines.append(f"直接在群里回复「{example}」即可投票;也可以打开 {link}")
    else:
        lines.append(f"共{questions}题,约{max(1, questions // 2)}分钟。参与方式:")
        lines.append(f"① 私聊{bot}发送「问卷 {code}」,按提示回复数字即可;")
        lines.append(f"② 手机打开 {link}")
    if poll_question is not None:
        lines.append("每户限投一次。" if household else "每人限投一次。")
    else:
        lines.append("每户填写一份。" if household else "每人填写一份。")
    if closes:
        lines.append(f"截止时间: {closes}。")
    return "\n".join(lines)


def reminder(*, code: str, title: str, answers: int, link: str, bot: str, closes: str | None, poll: bool) -> str:
    how = f"回复「投票 数字」或打开 {link}" if poll else f"私聊{bot}发送「问卷 {code}」,或打开 {link}"
    tail = f"截止 {closes}。" if closes else ""
    joined = f"本群已有 {answers} 位邻居参与," if answers else ""
    return f"【问卷提醒】「{title}」还在收集大家的意见,{joined}还没填写的朋友请{how}。{tail}谢谢支持!"


@dataclass
class ResultLine:
    number: int
    kind: str
    text: str
    answered: int
    options: list[tuple[str, int]]
    ratings: list[int]
    average: float | None
    texts: list[str]


def results_text(*, code: str, title: str, round_: int, recurring: bool, total: int,
                 by_group: list[tuple[str, int]], questions: list[ResultLine], final: bool,
                 period: str | None = None) -> str:
    head = f"【问卷结果】{code} {title}" + (f"(第{round_}期)" if recurring else "")
    lines = [head + ("" if final else " · 进行中")]
    if period:
        lines.append(period)
    parts = " · ".join(f"{group_label(t)} {n}" for t, n in by_group)
    lines.append(f"回收 {total} 份" + (f": {parts}" if parts else ""))
    for q in questions:
        kind = KIND_NAME.get(q.kind, q.kind)
        if q.kind in ("single", "multi"):
            lines.append(f"{q.number}. {q.text}({kind},{q.answered}人作答)")
            for i, (opt, n) in enumerate(q.options, 1):
                lines.append(f"  {i}) {opt} {n} ({_pct(n, q.answered)})")
        elif q.kind == "rating":
            avg = f"平均 {q.average:.1f} 分" if q.average is not None else "暂无评分"
            lines.append(f"{q.number}. {q.text}({kind},{avg},{q.answered}人作答)")
            if q.answered:
                lines.append("  " + " · ".join(f"{i}分 {n} ({_pct(n, q.answered)})"
                                                for i, n in reversed(list(enumerate(q.ratings, 1)))))
        else:
            lines.append(f"{q.number}. {q.text}({kind},{len(q.texts)}条)")
            lines += [f"  · {_short(t)}" for t in q.texts[:5]]
            if len(q.texts) > 5:
                lines.append(f"  …另有 {len(q.texts) - 5} 条,可导出查看全部")
    return "\n".join(lines)


# --------------------------------------------------------------------------- survey: chat walk-through

def survey_start(*, title: str, intro: str, questions: int, household: bool, link: str | None) -> str:
    lines = [f"您好!这是「{title}」,共{questions}题。"]
    if intro:
        lines.append(intro)
    lines.append("每题回复数字即可,可回复「跳过」「返回」,随时回复「退出」结束。")
    if link:
        lines.append(f"也可以用手机打开 {link} 填写。")
    if household:
        lines.append("本问卷每户填写一份,请先回复您家的楼栋和房号,例如「7栋602」。")
    return "\n".join(lines)


def question_prompt(*, number: int, total: int, kind: str, text: str, options: list[str], required: bool) -> str:
    lines = [f"第{number}/{total}题 {text}"]
    lines += [f"{i}. {o}" for i, o in enumerate(options, 1)]
    hint = KIND_HINT.get(kind, "")
    if not required:
        hint += ",可回复「跳过」"
    lines.append(f"({hint})")
    return "\n".join(lines)


ASK_HOUSEHOLD = "请回复您家的楼栋和房号,例如「7栋602」或「7号楼1单元602」。"
HOUSEHOLD_OK = "好的,{building}栋{room}。"
SUBMITTED = "提交成功,感谢您参与「{title}」!"
SUBMITTED_DEMAND = "您提到的情况(「{text}」)我们已记录,网格员会看到并跟进。"
VOTED = "已记录您的投票: {choice}。谢谢参与!"
QUIT = "好的,已退出问卷,之前的回答没有提交。想再填时发送「问卷 {code}」即可。"
BACK_AT_START = "已经是第一题了。"
CANNOT_SKIP = "这题需要作答,不能跳过哦。"
SURVEY_EXPIRED = "问卷填写已超时,之前的回答没有提交。请重新发送「问卷 {code}」开始。"

ERRORS = {
    "not_found": "没有找到问卷「{code}」,请核对编号。",
    "not_open": "问卷「{code}」还没有开始,发布后就可以填写了{when}。",
    "closed": "问卷「{code}」已经结束了,感谢您的关注!",
    "cancelled": "问卷「{code}」已取消。",
    "already_answered": "您已经填写过这份问卷啦,{per}只需填写一次,感谢您的支持!",
    "need_household": "本问卷每户填写一份,请告诉我们楼栋和房号,例如「7栋602」。",
    "unknown_household": "本小区没有{building}号楼,请核对楼栋号;如有疑问请联系网格员。",
    "has_answers": "问卷 {code} 已有 {count} 份回答,不能再修改;请换一个编号(code)另建问卷。",
}
INVALID = {
    "choice": "请回复选项前的数字,例如「1」。",
    "range": "没有这个选项,请回复 1–{max} 之间的数字。",
    "one": "这题是单选,请只回复一个数字。",
    "rating": "请回复 1–5 的数字打分,5 分为最满意。",
    "long": "内容有点长,请控制在 {max} 字以内。",
    "required": "第{question}题还没有作答。",
    "empty": "请输入您的回答,或回复「跳过」。",
}

NO_OPEN_SURVEY = "目前没有正在进行的问卷,有新问卷时会在群里通知大家。"
WHICH_SURVEY = "现在有几份问卷,请发送「问卷 编号」选择:\n{items}"
GROUP_START = ("请私聊{bot}发送「问卷 {code}」填写(回复数字即可),或用手机打开 {link}")
POLL_WHICH = "请写明问卷编号,例如「投票 {code} 1」。"
POLL_NOT_POLL = "「{title}」有{n}道题,不能在群里直接投票。请私聊{bot}发送「问卷 {code}」,或打开 {link}"
POLL_USAGE = "请在「投票」后写选项数字,例如「投票 1」{multi}。"
NO_POLL_HERE = "本群目前没有进行中的投票。"


def per_word(household: bool) -> str:
    return "每户" if household else "每人"


# --------------------------------------------------------------------------- notices, digest, staff commands

def notice_text(text: str) -> str:
    return f"【社区通知】{text}"


@dataclass
class DigestItem:
    title: str
    starts_at: datetime
    place: str | None = None
    code: str | None = None
    left: int | None = None      # places left, if known
    fee: str | None = None


def compose_digest(items: list[DigestItem], *, start: date, end: date, tz: ZoneInfo, bot: str) -> str | None:
    """The weekly digest for one group: events from `start` to `end` (inclusive); None if there are none."""
    if not items:
        return None
    lines = [f"【本周活动】{start.month}月{start.day}日—{end.month}月{end.day}日"]
    for it in sorted(items, key=lambda i: (i.starts_at, i.title)):
        local = it.starts_at.astimezone(tz)
        line = f"· {local.month}月{local.day}日 周{WEEKDAYS[local.weekday()]} {local:%H:%M} {it.title}"
        if it.place:
            line += f" @{it.place}"
        extras = []
        if it.left is not None:
            extras.append("已满,可候补" if it.left <= 0 else f"余{it.left}个名额")
        if it.fee:
            extras.append(it.fee)
        if extras:
            line += f"({','.join(extras)})"
        lines.append(line)
    lines.append("在群里回复「报名 活动名」即可报名,例如「报名 " + sorted(items, key=lambda i: i.starts_at)[0].title + "」。")
    return "\n".join(lines)


KIND_LABEL = {"notice": "通知", "survey": "问卷", "digest": "周报"}
STATUS_LABEL = {"active": "", "paused": " [已暂停]", "cancelled": " [已取消]", "done": " [已完成]"}

NOTICE_USAGE = ("定时通知的写法: 定时通知 <时间> 群 <网格1,网格2|全部> <内容>\n"
                "例: 定时通知 每周一 09:00 群 网格1,网格2 本周三上午社区义诊,请相互转告\n"
                "时间可写: 每天 18:00 / 每周一 09:00 / 每月1日 10:00 / 工作日 9点 / 明天上午9点 / 12月1日 10:00\n"
                "加「紧急」可在免打扰时段和节假日照常发送。")
NOTICE_NO_TIME = "没看懂通知的时间「{text}」。\n" + NOTICE_USAGE
NOTICE_NO_TEXT = "请写上通知内容。\n" + NOTICE_USAGE
NOTICE_BAD_GROUP = "没有找到群「{name}」,可写 网格1、网格2…或「全部」。"
NOTICE_IN_PAST = "时间 {when} 已经过去了,请换一个时间。"
NOTICE_CREATED = ("已设定定时通知 {code}: {label},下次 {next},发往 {groups}。\n内容: {text}\n"
                  "{moved}查看: 推送列表;暂停: 暂停推送 {code};取消: 取消推送 {code}")
MOVED_NOTE = "注意: 这个时间{why},届时将顺延到 {when} 发送。\n"

PUSH_ID_USAGE = "请写上推送编号,例如「{cmd} P3」。发送「推送列表」可查看编号。"
PUSH_ERRORS = {
    "not_found": "没有找到推送 P{id}。发送「推送列表」可查看编号。",
    "already_paused": "推送 P{id} 已经是暂停状态。恢复请发「恢复推送 P{id}」。",
    "not_paused": "推送 P{id} 没有暂停,无需恢复。",
    "finished": "推送 P{id} 已{status},不能再操作。",
    "just_sent": "推送 P{id} 这一分钟内已经安排过了,请稍候。",
    "in_past": "时间已经过去了。",
    "never_fires": "这个时间规则以后不会再触发。",
    "no_time": "请写上时间。",
}
FINISHED_WORD = {"cancelled": "取消", "done": "完成"}
PAUSED = "已暂停推送 {code}({title})。恢复请发「恢复推送 {code}」。"
RESUMED = "已恢复推送 {code}({title}),下次 {next}。"
CANCELLED = "已取消推送 {code}({title}),以后不再发送。"
SEND_NOW = "好的,推送 {code}({title})将在1分钟内发往 {groups}。"
SEND_NOW_DEFERRED = ("现在是{why},推送 {code} 将在 {when} 发出。"
                     "如确需马上发送,请发「立即推送 {code} 紧急」。")
LIST_EMPTY = "目前没有定时推送。设定通知: 定时通知 每周一 09:00 群 全部 内容"
LIST_HEAD = "定时推送(共{n}项):"
LIST_PENDING = "待发: {code} {title} 原定 {slot} → 顺延至 {due}({why})"
LIST_RECENT_SKIP = "最近跳过: {code} {title} {slot}({why})"

SURVEY_RESULTS_NONE = "问卷 {code} 还没有开始,暂无结果。"
SURVEY_LIST_EMPTY = "目前没有问卷。问卷由工作人员用 gridbot survey load 文件 导入。"
SURVEY_CLOSED_BY_STAFF = "已结束问卷 {code},结果已发到工作群。"
SURVEY_NOT_OPEN_STAFF = "问卷 {code} 当前是「{status}」,不用再结束。看结果请发: 问卷结果 {code}"
STATUS_WORD = {"draft": "未发布", "open": "进行中", "closed": "已结束", "cancelled": "已取消"}

# --------------------------------------------------------------------------- H5 page

H5 = {
    "page_title": "{title}",
    "household_note": "本问卷每户填写一份",
    "person_note": "每人填写一份",
    "name": "您的称呼",
    "building": "楼栋",
    "room": "房号",
    "building_ph": "如 7",
    "room_ph": "如 602",
    "submit": "提交",
    "skip_hint": "(可不填)",
    "multi_hint": "(可多选)",
    "rating_hint": "(1 分最不满意,5 分最满意)",
    "thanks_title": "提交成功",
    "thanks": "感谢您参与「{title}」!您可以关闭本页面了。",
    "closed": "问卷「{title}」已经结束,感谢您的关注!",
    "not_open": "问卷「{title}」还没有开始,请稍后再来。",
    "not_found": "没有找到这份问卷,请核对链接。",
    "already": "您已经填写过这份问卷啦,{per}只需填写一次,感谢您的支持!",
    "need_household": "请填写楼栋和房号(每户填写一份),例如楼栋「3」、房号「2单元401」。",
    "unknown_household": "本小区没有{building}号楼,请核对楼栋号;如有疑问请联系网格员。",
    "need_name": "请填写您的称呼。",
    "too_long": "「{field}」太长了(最多{most}个字),请返回修改后再提交。",
    "too_many": "提交太频繁了,请过几分钟再试。",
    "bad_form": "页面已过期,请刷新后重新填写。",
    "fix": "请修改以下问题后再提交:",
    "question_error": "第{question}题: {why}",
    "personal": "您正在以本人身份填写(来自小助手的专属链接)。",
}

# What an open question is about, when an answer went to a newer one (texts/common.py STILL_OPEN).
QUESTION_SURVEY = "问卷答题"
