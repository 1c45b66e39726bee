"""Every sentence the booking capability says, in one place (so they can be reviewed together).

Placeholders: {room} a room name, {when} the bot's reading of a time span (kernel.text.timeparse.describe),
{code} a booking code (B101), {party} a party/seat phrase such as "，2个座位" (may be empty)."""

from __future__ import annotations

STATUS = {
    "pending": "待审批", "confirmed": "已预约", "offered": "候补待确认", "checked_in": "已签到",
    "cancelled": "已取消", "rejected": "未通过", "no_show": "未签到已释放", "expired": "已失效",
}
WEEKDAYS = "一二三四五六日"

# ------------------------------------------------------------------ asking for what is missing

USAGE = ("预约功能室请这样说: 预约 钢琴房 明天下午3点到5点\n"
         "也可以: @{bot} 我想订周六上午的自习室两个座\n可预约的房间: {rooms}")
ASK_ROOM = "请问要预约哪个房间?可选: {rooms}。\n例如: 预约 钢琴房 {example}"
HEARD_TIME = "时间我记下了: {when}。"
UNKNOWN_ROOM = "没有「{word}」这个房间。可预约的房间: {rooms}。"
UNKNOWN_ROOM_NOWORD = "没听出是哪个房间。可预约的房间: {rooms}。"
AMBIGUOUS_ROOM = "「{word}」可能是: {options}。请回复数字选择是哪一个。"
ASK_TIME = "请问{room}要约什么时间?例如: 明天下午3点到5点(开放时间 {hours})。"
NO_TIME_ANSWER = "没听出时间。请说具体的日子和钟点,例如: 明天下午3点到5点。"
INVALID_DATE = "没有这个日期(「{matched}」),请换一个日子,例如: 12月1日下午3点到5点。"
END_BEFORE_START = "结束时间早于开始时间(我读到的是 {when})。请再说一遍,例如: 下午3点到5点。"
IN_PAST = "{when} 已经过去了,请约以后的时间。"
WHICH_DAY = "「{matched}」是哪一天?请说具体的日子,例如: 下周三下午3点。"
TWO_TIMES = "「{matched}」是两个时间,一次约一个: 请先发一个,例如「预约 钢琴房 周六下午2点到4点」,约好再发另一个。"
OPEN_START = "「{matched}」是几点开始用?请说几点到几点,例如: 明天下午2点到4点。"
DAY_MISMATCH = "「{matched}」里的日期和星期对不上,是哪一天?请再说一遍,例如: 12月8日下午3点。"
AMBIGUOUS_TIME = "您说的时间可以有几种理解,请回复数字选择:\n{options}\n回复「取消」作罢。"
PICK_IN_SPAN = ("{room}每次最长{max},{when} 里可以约:\n{options}\n"
                "回复数字选择,或者告诉我具体几点到几点。")
DAILY_NOT_SUPPORTED = "暂不支持「每天」的固定预约,请逐次预约,或说「每周X …」(工作人员)。"
SERIES_STAFF_ONLY = ("每周固定预约需由网格员或社区工作人员办理。您可以先约一次,"
                     "例如: 预约 {room} 下周二晚上7点到9点")
OPTION_LINE = "{n}. {when}"
DROPPED = "好的,这次就不约了。需要时再找我。"
DEFAULT_LENGTH = "(没说结束时间,按{minutes}分钟预约)"
WHOLE_SPAN = "\n没说几点,先约了整段;只用其中一段的话,30分钟内直接回复时间就行,比如「{example}」。"

# ------------------------------------------------------------------ booked

BOOKED = ("✅ 已预约: {room} {when}{party}\n预约号 {code}。到场后请发「签到 {code}」,"
          "开始后{grace}分钟内未签到将自动释放;取消请发「取消 {code}」。")
BOOKED_PENDING = ("📝 已提交申请: {room} {when}{party}{purpose}\n预约号 {code}。{room}需要工作人员审批,"
                  "审批结果会通知您。")
STAFF_APPROVAL = ("【预约待审批】{code} {room} {when}{party}\n申请人: {name}{purpose}\n"
                  "请回复「通过 {code}」或「拒绝 {code} 原因」。")
BAD_PARTY = "人数(座位数)要写1到{capacity}之间的整数,例如「预约 {room} 明天下午3点 2人」。"
PARTY_SEATS = ",{n}个座位"
PARTY_PEOPLE = ",{n}人"
PURPOSE = "\n用途: {purpose}"
SERIES_DONE = "已创建每周固定预约「{purpose}」: {room} {when} 起,共 {n} 次({first}–{last})。"
SERIES_SKIPPED = "\n以下 {n} 次未能预约:\n{lines}"
SERIES_SKIP_LINE = "· {when}: {why}"
SERIES_NONE = "每周固定预约一次也没能创建:\n{lines}"

# ------------------------------------------------------------------ refusals (one per rule)

RULES = {
    "in_past": "{when} 已经过去了,请约以后的时间。",
    "end_before_start": "结束时间要晚于开始时间(我读到的是 {when})。",
    "staff_only": "{room}只供社区工作人员预约,如需使用请联系网格员。",
    "over_capacity_seats": "{room}共{capacity}个座位,一次最多约{capacity}个。",
    "bad_party": "人数要写1到{capacity}之间的整数。",
    "over_capacity": "{room}最多容纳{capacity}人,您说的是{party}人。请减少人数,或换多功能厅等大房间。",
    "closed_weekday": "{room}每周{weekday}不开放,请换一天。",
    "closed_date": "{room}在{day}不开放,请换一天。",
    "outside_hours": "{room}的开放时间是 {hours},{when} 不在开放时间内。",
    "too_short": "{room}每次至少约{min}。您说的是 {when}。",
    "too_long": "{room}每次最多约{max}。您说的是 {when},可以分两次约,或缩短一些。",
    "too_far_ahead": "{room}最多提前{days}天预约(最晚可约到{last})。",
    "over_quota": "您本周在{room}已约了{used},每人每周最多{quota}小时,{left}。",
    "conflict": "{room} {when} 已经有人约了。",
    "conflict_buffer": "{room} {when} 和前后的预约离得太近(两次之间需间隔{buffer}分钟)。",
    "seats_full": "{room} {when} 座位已满。",
    "seats_short": "{room} {when} 只剩{free}个座位了,您要的是{party}个。",
    "blocked": "{room} {when} 暂停开放{reason}。",
}
QUOTA_LEFT = "还可以约{left}"
QUOTA_NONE = "本周额度已用完,下周一起可以再约"
SUGGEST = "\n可以约的时间:\n{options}\n回复数字直接预约{waitlist}。"
SUGGEST_NONE = "\n最近几天这个时长都约满了,可以换个房间或时长{waitlist}。"
SUGGEST_WAITLIST = ",回复「排队」登记候补(有人取消时通知您)"
SUGGEST_CHANGE = "\n可以改到:\n{options}\n请发「改到 {code} 时间」。"

# ------------------------------------------------------------------ codes

UNKNOWN_CODE = "没有找到预约 {code},请检查预约号(例如 B101)。发「我的预约」可以查看您的预约。"
NOT_YOURS = "{code} 不是您的预约,不能替别人操作。发「我的预约」可以查看您自己的预约。"
NOT_ACTIVE = "{code} 当前是「{status}」状态,不能再这样操作了。"
ALREADY_OVER = "{code} 已经结束了。"
CANCELLED = "已取消 {code}: {room} {when}。期待您下次光临。"
CANCELLED_BY_STAFF = "您的预约 {code}({room} {when})已被工作人员取消{reason}。如有疑问请联系网格员。"
CHANGED = "已改期 ✅ {code}: {room} {when}{pending}"
CHANGED_PENDING = "\n新的时间需要重新审批,结果会通知您。"
CANCEL_HOW = "取消预约请发「取消 预约号」,例如: 取消 B101。\n{mine}"
CHANGE_HOW = "改时间请发: 改到 B101 明天下午4点"
NOTHING_TO_CHANGE = "您目前没有待使用的预约,没有可以改的。预约请发: 预约 钢琴房 明天下午3点到5点;报名的活动请发「我的报名」查看。"
WHICH_BOOKING = "您有不止一个预约,改哪一个?请发「改到 预约号 新时间」,例如: 改到 B101 明天下午4点。\n{mine}"
AMBIGUOUS_CHANGE = "要改到哪个时间?\n{options}\n请说得具体些,例如「改到 {code} 明天晚上7点」。"

# ------------------------------------------------------------------ my bookings

MINE_NONE = "您目前没有待使用的预约。预约请发: 预约 钢琴房 明天下午3点到5点"
MINE_HEADER = "您的预约({n}个):"
MINE_LINE = "· {code} {room} {when}{party} [{status}]"
MINE_FOOTER = "取消请发「取消 预约号」,改时间请发「改到 预约号 新时间」。"

# ------------------------------------------------------------------ check-in, reminders, no-show, waitlist

SAME_BOOKING = "已经帮你约好了 {code}: {room} {when}{party},不用再约。取消请发「取消 {code}」。"
CHECKED_IN = "签到成功 ✅ {code} {room} {when}。祝您使用愉快,离开时请随手关灯关窗。"
CHECKED_IN_BY_STAFF = "已为 {name} 签到: {code} {room} {when}。"
CHECKIN_TOO_EARLY = "{code} 还没到签到时间,{opens} 起可以签到。"
ALREADY_CHECKED_IN = "{code} 已经签到过了。"
STILL_PENDING = "{code} 还在等待审批,通过后才能签到。"
CHECKIN_NONE = "您现在没有可以签到的预约。签到请发「签到 预约号」,例如: 签到 B101"
REMINDER = ("⏰ 预约提醒: {room} {when} 就要开始了(预约号 {code})。到场后请发「签到 {code}」,"
            "开始后{grace}分钟内未签到将自动释放;来不了请发「取消 {code}」。")
NO_SHOW = ("您预约的 {room} {when}(预约号 {code})开始后{grace}分钟内没有签到,已自动释放给其他居民。"
           "如仍需使用,请重新预约。")
PENDING_EXPIRED = "抱歉,您申请的 {room} {when}(预约号 {code})开始前未完成审批,已失效。如仍需使用请联系网格员。"
WAITLIST_JOINED = "已登记候补: {room} {when},您排第{place}位。有人取消或未按时签到时,我会第一时间通知您。"
ALREADY_WAITING = "您已经在排 {room} {when} 的候补了,有空位会通知您。"
OFFER = ("🔔 您候补的 {room} 有空位了: {when}{party}。名额为您保留{minutes}分钟,"
         "回复「是」确认预约,回复「不要」放弃。(预约号 {code})")
OFFER_EXPIRED = "{code} 的候补名额{minutes}分钟内未确认,已顺延给下一位。"
OFFER_DECLINED = "好的,已放弃 {code},名额顺延给下一位。"
OFFER_GONE = "这个候补名额已经失效了。"

# ------------------------------------------------------------------ staff

APPROVED = "已通过 {code}: {room} {when},已通知 {name}。"
APPROVED_NOTICE = ("🎉 您申请的 {room} {when}(预约号 {code})已通过审批。到场后请发「签到 {code}」,"
                   "开始后{grace}分钟内未签到将自动释放。")
REJECTED = "已拒绝 {code}({room} {when}),已通知 {name}。"
REJECTED_NOTICE = "抱歉,您申请的 {room} {when}(预约号 {code})未通过审批{reason}。可以换个时间再约,或联系网格员。"
REASON = ",原因: {reason}"
REJECT_NEEDS_REASON = "请写上拒绝原因,例如: 拒绝 {code} 当天已安排活动"
NOT_PENDING = "{code} 不在待审批状态(当前: {status})。"
PENDING_NONE = "目前没有待审批的预约。"
PENDING_HEADER = "待审批的预约({n}个):"
PENDING_LINE = "· {code} {room} {when}{party} 申请人 {name}{purpose}"
PENDING_FOOTER = "回复「通过 预约号」或「拒绝 预约号 原因」。"
BLOCK_HOW = "封闭房间请发: 封闭 钢琴房 明天 全天 维修(或 封闭 钢琴房 明天下午2点到5点 调音)"
BLOCKED = "已封闭 {room} {when}{reason}。{affected}"
BLOCK_AFFECTED = "受影响的 {n} 个预约已取消并通知: {codes}。"
BLOCK_NONE_AFFECTED = "该时段没有预约受影响。"
BLOCK_NOTICE = ("抱歉,{room} {when} 因{reason}暂停开放,您的预约 {code}({booked})已取消。"
                "给您带来不便,敬请谅解,可以换个时间重新预约。")
DAY_HEADER = "{day} 预约一览:"
DAY_ROOM = "【{room}】{items}"
DAY_ITEM = "{start}–{end} {name}{party}{status}"
DAY_NONE = "{day} 还没有预约。"
UTIL_HEADER = "功能室利用率 {first}–{last}(已约时长÷开放时长):"
UTIL_LINE = "· {room}: {pct}{peak}"
UTIL_PEAK = ",最忙 {hour}点({hpct}),最闲 {idle}点"
UTIL_NA = "不开放"
POP_HEADER = "人气指数({period} {start}起):社区 {centre}(日均人气)"
POP_LINE = "· {room}: {value}(预约{b}人次,签到{c}人次{a})"
POP_ATTEND = ",活动{a}人次"
POP_NONE = "{period}人气指数还没有算出来(每天凌晨计算)。"
PERIOD_NAMES = {"day": "日", "week": "周", "month": "月", "year": "年"}

# ------------------------------------------------------------------ availability

AVAIL_SEATS = "{room} {when} 还有 {free} 个空座(共{capacity}座)。需要的话说「帮我订一个座」即可。"
AVAIL_SEATS_NONE = "{room} {when} 座位已满。{spans}"
AVAIL_FREE = "{room} {when} 空闲,可以预约。需要的话说「帮我订」即可。"
AVAIL_SPANS = "{room} {day} 可以约的时段: {spans}。说「帮我订 时间」即可预约。"
AVAIL_BUSY = "{room} {when} 已经有人约了。{spans}"
AVAIL_SPANS_SHORT = "当天还可以约: {spans}。"
AVAIL_FULL = "{room} {day} 已经约满了。"
AVAIL_CLOSED = "{room} {when} 不开放(开放时间 {hours}{closed})。"
AVAIL_CLOSED_DAYS = ",每周{days}闭馆"
ROOMS_FREE_HEADER = "{when} 还能约的房间:"
ROOMS_FREE_LINE = "· {room}{extra}"
ROOMS_FREE_SEATS = "(空座{free}个)"
ROOMS_FREE_PART = "(仅 {spans})"
ROOMS_FREE_NONE = "{when} 所有房间都约满了,可以换个时间问问。"
ROOMS_FREE_FOOTER = "预约请发: 预约 房间 时间"

# What an open question is about, when an answer went to a newer one (texts/common.py STILL_OPEN).
QUESTION_BOOKING = "预约的选择"


# ------------------------------------------------------------------ audit trail (记录 B101)

TRAIL_HEADER = "预约 {code}({room} {when},{name})的操作记录:"
TRAIL_USAGE = "查看预约的操作记录请发「记录 预约号」,例如: 记录 B101。"
TRAIL_ACTIONS = {
    "book": "预约成功", "request": "提交预约申请", "offer": "候补获得名额(待确认)", "approve": "审批通过",
    "reject": "审批未通过", "reschedule": "改期", "resubmit": "改期(需重新审批)", "check_in": "签到",
    "cancel": "取消预约", "close": "封闭房间,预约取消", "accept": "确认候补名额", "accept_pending": "确认候补名额(待审批)",
    "decline": "放弃候补名额", "expire": "失效", "no_show": "未签到,自动释放",
}
TRAIL_WAITLIST = "候补"
TRAIL_WAITLIST_ACTIONS = {
    "join": "登记候补", "offer": "轮到候补,发出通知", "book": "候补转为预约", "pass": "未确认,名额转给下一位",
    "lapse": "候补时间已过", "cancel": "房间封闭,候补取消",
}
