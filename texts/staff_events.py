"""Sentences of the staff web pages for events (活动) and function-room approvals (预约审批).

What residents are told comes from texts/events.py and texts/booking.py, the same words as when a worker
uses the chat command; refusals of the model operations also reuse those modules' wording."""

from __future__ import annotations

EVENTS_TAB = "活动"
EVENTS_TITLE = "活动管理"
EVENTS_HINT = "发布、修改、取消活动,居民收到的通知与在群里发「发布活动 / 改活动 / 取消活动」完全一样。"
EVENTS_EMPTY = "目前没有即将开始的活动。"
PUBLISH_TITLE = "发布新活动"
EDIT_TITLE = "修改活动"
CANCEL_TITLE = "取消活动"
ROSTER_TITLE = "报名名单"
ROSTER_EMPTY = "还没有人报名。"
TRAIL_TITLE = "操作记录"
TRAIL_EMPTY = "还没有记录。"
MASKED_HINT = "只读账号看到的姓名已打码。"
READ_ONLY = "只读账号不能发布或修改活动。"
NOT_FOUND_EVENT = "没有找到活动 {code}。"
CANCELLED_TAG = "已取消"
STARTED_TAG = "已开始"
BACK_EVENTS = "返回活动列表"
PRIVATE_CHAT = "私聊"
NONE = "无"
WAITING_AT = "候补第{n}位"
WAITING_GROUPS = "{n}组"
CAPACITY_LINE = "{capacity}人,已报{taken}人,剩余{left}"
PROMOTED = "已从候补递补{n}组。"
INFO = {"when": "时间", "place": "地点", "capacity": "名额", "waiting": "候补", "deadline": "报名截止", "fee": "费用",
        "limit": "每户限报", "note": "备注", "groups": "通知群", "cancel_reason": "取消原因"}
SIGNUP_STATUS = {"confirmed": "正式", "offered": "候补待确认", "waiting": "候补", "cancelled": "已取消",
                 "removed": "已移除", "expired": "已失效"}

# the form
TITLE_NEEDED = "请填写活动标题。"
TITLE_TOO_LONG = "活动标题最多60个字。"
PLACE_NEEDED = "请填写活动地点。"
PLACE_TOO_LONG = "活动地点最多80个字。"
START_NEEDED = "请填写开始时间,例如 2026-11-28 14:00。"
START_BAD = "开始时间看不懂,请用日期时间选择框,或写成 2026-11-28 14:00。"
END_BAD = "结束时间看不懂,请写成 16:30 这样。"
END_BEFORE_START = "结束时间要晚于开始时间。"
DEADLINE_BAD = "报名截止时间看不懂,请写成 2026-11-27 20:00 这样。"
CAPACITY_BAD = "名额请填1到10000之间的整数。"
LIMIT_BAD = "每户限报人数请填整数,不限就留空。"
FEE_BAD = "费用请写「免费」或金额,例如 20 或 29.9元。"
NOTE_TOO_LONG = "备注最多200个字。"
GROUPS_NEEDED = "请至少选择一个要通知的群。"
GROUP_UNKNOWN = "没有这个群: {name}。"
REASON_TOO_LONG = "原因最多200个字。"

# outcomes (after the redirect)
PUBLISHED = "活动已发布: {title}(编号 {code})。通知会按时发到所选的群。"
DUPLICATE_WARNING = ("已经有一个相同的活动 {label}: {when} {place}。是不是重复提交了?"
                     "确实要再发布一个,请勾选下面的「仍然发布」后再提交。")
DUPLICATE_CONFIRM = "仍然发布(我知道已有相同的活动)"
EDITED = "已修改{label}: {fields}。已通知{told}位报名者。"
EDITED_NOBODY = "已修改{label}: {fields}。目前没有报名者需要通知。"
CANCELLED = "已取消{label},已通知{told}位报名者。"
ROOM_RELEASED = "功能室预约 {code} 已一并取消。"

# bookings
BOOKINGS_TAB = "预约审批"
BOOKINGS_TITLE = "功能室预约"
BOOKINGS_HINT = "审批结果会像在群里发「通过 / 拒绝 预约号」一样通知预约人。"
PENDING_TITLE = "待审批 {n} 件"
PENDING_EMPTY = "没有待审批的预约。"
DAY_TITLE = "{day} 各功能室预约"
DAY_EMPTY = "当天没有预约。"
DAY_BAD = "日期看不懂,请写成 2026-11-28。"
BACK_BOOKINGS = "返回预约审批"
DAY_LABEL = "{month}月{day}日(周{weekday})"
BOOKING_INFO = {"room": "功能室", "when": "时间", "name": "预约人", "party": "人数", "status": "状态", "purpose": "用途",
                "reason": "原因"}
BOOKING_READ_ONLY = "只读账号不能审批预约。"
REJECT_REASON_NEEDED = "请填写拒绝原因,预约人会收到这个原因。"
NOT_FOUND_BOOKING = "没有找到预约 {code}。"
APPROVED = "已通过 {code}({room} {when}),已通知 {name}。"
REJECTED = "已拒绝 {code}({room} {when}),已通知 {name}。"
