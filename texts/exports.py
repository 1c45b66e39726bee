"""Every word the exports print (values, titles, messages to the operator), in one place.

The column titles of each table are beside their layout in bot/export/kinds.py."""

from __future__ import annotations

YES, NO = "是", "否"
ANONYMOUS = "匿名"                 # the requester of a 树洞 need

NEED_SOURCES = {"group": "群聊", "private": "私聊", "tree_hole": "树洞", "suggestion": "未诉先办",
                "phone": "来电", "counter": "来访"}
SIGNUP_STATUS = {
    "confirmed": "已报名", "offered": "递补待确认", "waiting": "候补",
    "cancelled": "已取消", "removed": "已移除", "expired": "递补过期",
}
SIGNUP_SOURCES = {"command": "报名口令", "plus_one": "+1", "jielong": "接龙", "name": "代报名", "staff": "工作人员"}
EVENT_STATUS = {"open": "进行中", "cancelled": "已取消"}
SURVEY_CHANNELS = {"chat": "私聊", "group": "群聊", "h5": "H5页面"}
PRIVATE_CHAT = "私聊"

# The status words the filters accept besides the single statuses (needs only).
NEED_STATUS_GROUPS = {"open": "未办结", "done": "已办结(含回访、关闭)", "all": "全部"}

# ---------------------------------------------------------------- the sheet

TITLE = "{community} {sheet}"
FILTER_PARTS = {"from": "自 {value}", "to": "至 {value}", "grid": "网格{value}", "status": "状态: {value}",
                "category": "类别: {value}"}
EXPORTED_AT = "导出时间 {at}"
PHONES_MASKED = "电话已打码"
FOOTER = "第 &P 页,共 &N 页"

# ---------------------------------------------------------------- the command line (stderr)

DONE = "已导出 {rows} 行 → {path} / exported {rows} rows to {path}"
STDOUT = "标准输出 (stdout)"

# ---------------------------------------------------------------- errors (one line each)

UNKNOWN_KIND = "暂不支持导出 {kind} / export of {kind} is not available (needs, bookings, signups, surveys)"
UNKNOWN_FORMAT = "未知格式 {fmt} / unknown format {fmt} (json, csv, xlsx, open311)"
OPEN311_NEEDS_ONLY = "open311 格式只用于诉求 (needs) / open311 is only for needs"
MONTHLY_FORMATS = "月报只能导出为 xlsx 或 json / the monthly report is xlsx or json"
XLSX_NEEDS_FILE = "xlsx 需要 --out 文件名(或重定向到文件) / xlsx needs --out FILE (or redirect stdout to a file)"
DATABASE_UNREACHABLE = "无法打开数据库 {url}: {error} / cannot open the database"
CANNOT_WRITE = "无法写入 {path}: {error} / cannot write the output file"
BAD_DATE = "日期格式不对: {value!r},应为 YYYY-MM-DD / bad date {value!r}, expected YYYY-MM-DD"
DATES_REVERSED = "开始日期 {start} 晚于结束日期 {end} / --from is after --to"
BAD_GRID = "没有网格 {value!r}(可选: {choices}) / no such grid"
BAD_STATUS = "{kind} 没有状态 {value!r}(可选: {choices}) / unknown status"
BAD_CATEGORY = "没有类别 {value!r}(可选: {choices}) / unknown category"
FILTER_NOT_FOR_KIND = "{kind} 不能按{what}筛选 / {kind} cannot be filtered by {what}"
VIEWER_CANNOT_EXPORT = "只读账号不能导出台账 / read-only accounts cannot export"
SCOPE_NEEDS_ONLY = "该账号只能导出诉求台账 / this account may export the needs ledger only"
