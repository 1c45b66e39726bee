"""The survey builder page (/inbox/surveys): labels, hints and refusals. The validation messages themselves
come from models.surveys.check_survey_data, the same lines `gridbot survey load` prints."""

from __future__ import annotations

import re

TAB = "问卷"
TITLE = "服务直通车问卷"
EDIT_TITLE = "编辑问卷"
NEW_TITLE = "新建问卷"
PREVIEW_TITLE = "预览问卷"
HINT = ("在这里编辑问卷,发布后按设定的时间推送到网格群,与用 TOML 文件导入(gridbot survey load)完全相同。"
        "可随时下载 TOML 文件存档。")
WORKER_HINT = "网格员可以起草和预览问卷;发布和结束问卷需要管理员。"
NO_SURVEYS = "还没有问卷。"
NO_DRAFTS = "没有草稿。"

KIND_NAMES = {"single": "单选", "multi": "多选", "rating": "评分(1–5分)", "text": "填空"}
OP_NAMES = {"==": "选了", "has": "包含(多选)", "!=": "没选", "<=": "不高于(评分)", ">=": "不低于(评分)"}
ONE_PER_NAMES = {"person": "每人一份", "household": "每户一份"}
MODE_NAMES = {"now": "发布后立即推送", "at": "定时推送一次", "cron": "按周期推送"}
STATUS_NAMES = {"draft": "待推送", "open": "进行中", "closed": "已结束", "cancelled": "已取消"}

SAVED = "已保存草稿。"
INVALID = "问卷还有 {n} 处需要修改,见下方标红的地方。"
PUBLISHED = "已发布问卷 {code}「{title}」,推送 {push}: {label},首次 {first}。"
CLOSED = "问卷 {code} 已结束,结果会发到工作群。"
CANCELLED = "问卷 {code} 已取消,不会再推送。"
DELETED = "草稿已删除。"
ADMIN_ONLY = "只有管理员可以发布或结束问卷。"
CSRF_REFUSED = "页面已过期,请刷新后重试。"
NOT_FOUND = "没有这份问卷或草稿。"
HAS_ANSWERS = "问卷 {code} 已有 {count} 份回答,不能再修改;可以结束它,再新建一份。"
ALREADY_CLOSED = "问卷 {code} 已经结束。"
NEED_QUESTION = "至少保留一道题。"
TOO_MANY_QUESTIONS = "最多 {n} 道题。"
TOO_MANY_RULES = "每道题最多 {n} 条跳题规则。"

FIELD_NAMES = {"title": "标题", "intro": "说明", "anonymous": "匿名", "one_per": "每人/每户", "groups": "发送到",
               "staff_group": "工作群", "questions": "题目", "schedule": "推送时间", "schedule.at": "推送时间",
               "schedule.cron": "推送周期", "schedule.grace": "推送宽限", "close": "截止", "close.at": "截止时间",
               "close.after_days": "开放天数", "close.after_answers": "回收份数上限", "reminders": "提醒",
               "code": "编号", "unknown": "其他", "toml": "文件"}
_Q_RE = re.compile(r"^questions\[(\d+)\](?:\.(\w+))?$")
_Q_PART = {"type": "题型", "text": "题目", "options": "选项", "required": "必答", "skip": "跳题", "id": "题号"}


def field_name(key: str) -> str:
    """"questions[2].options" → "第2题 选项"; "schedule.at" → "推送时间"."""
    m = _Q_RE.match(key)
    if m:
        return f"第{m.group(1)}题" + (f" {_Q_PART.get(m.group(2), m.group(2))}" if m.group(2) else "")
    if key.startswith("logic["):
        return "跳题"
    return FIELD_NAMES.get(key, key)


def short_problem(key: str, message: str) -> str:
    """The validator's line without the key it starts with (the form shows it beside that field)."""
    for prefix in (key, key.split(".")[0]):
        if prefix and message.startswith(prefix):
            rest = message[len(prefix):].lstrip(":: ")
            return rest or message
    return message

NEVER_FIRES = "这个推送周期不会到来,请换一个时间。"
