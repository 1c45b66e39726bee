"""Every sentence the web inbox says, in one place to review. (Errors of need operations are worded by
texts/needs.py through handlers.needs.error_text, so chat and web refuse in the same words.)"""

from __future__ import annotations

APP_TITLE = "诉求工作台"

# ---------------------------------------------------------------- login

LOGIN_TITLE = "登录 · 诉求工作台"
LOGIN_FAILED = "用户名或密码不对,请重试。"
LOGIN_THROTTLED = "尝试次数过多,请 {minutes} 分钟后再试。"
LOGIN_BAD_ACCOUNT = "这个账号的配置有误(网格或科室不存在),请联系社区管理员。"
LOGIN_EXPIRED = "登录已过期,请重新登录。"
LOGGED_OUT = "已退出登录。"
CSRF_REFUSED = "页面已过期或请求来源不明(缺少安全令牌),操作未执行。请刷新页面后重试。"

# ---------------------------------------------------------------- refusals

FORBIDDEN_TITLE = "无权访问"
FORBIDDEN_NEED = "您无权查看诉求 {code}:它不属于您负责的网格或科室。"
FORBIDDEN_PAGE = "您的账号({role})不能使用这个页面。"
READ_ONLY = "只读账号不能办理诉求。"
NOT_FOUND_TITLE = "没有找到"
NOT_FOUND_NEED = "没有找到诉求 {code},请核对编号。"
NO_REOPEN = "当前版本的诉求模块还没有「重新打开」操作(models.needs.reopen),请让居民评价「不满意」或新登记一条。"
NEED_FIELD = {
    "reply": "请写上给居民的回复内容。",
    "transfer": "请选择要转派的科室。",
    "return": "退单需要写明原因。",
    "resolve": "办结请附上办理说明。",
    "reopen": "重新打开请写明原因。",
    "assign": "请选择要派给谁。",
}
UNKNOWN_ACTION = "未知的操作。"

# ---------------------------------------------------------------- confirmations (after a form)

DONE = {
    "accept": "已接单。",
    "sign": "已签收。",
    "reply": "已回复居民,消息已进入发送队列。",
    "answered": "已把答复转给居民,这条咨询已办结。",
    "reply_tree_hole": "树洞诉求的居民是匿名的:回复已保存,居民凭编号查询时会看到。",
    "transfer": "已转派{department},须在 {due} 前签收,超时将督办。",
    "return": "已退单,已退回{holder}。",
    "resolve": "已办结,已请居民评价。",
    "resolve_tree_hole": "已办结。树洞诉求无法回访,居民凭编号查询时会看到办理结果。",
    "reopen": "已重新打开,重新计时。",
    "assign": "已派单给{holder},须在 {due} 前接单,超时将督办。",
    "urge": "已督办,已提醒{holder}。",
    "confirm": "已登记为诉求 {code}。",
    "merged": "已登记为诉求 {code},并与 {parent} 合并办理。",
    "dismiss": "已忽略。",
}

DONE_AWAY = "{code} {what},它已不在您的列表中。"
DONE_AWAY_WHAT = {"return": "已退单", "transfer": "已转派", "resolve": "已办结", "accept": "已接单", "reply": "已回复"}

# ---------------------------------------------------------------- inbox list

EMPTY = "没有符合条件的诉求 👍"
MORE = "还有 {n} 件未显示,请用筛选缩小范围。"
SUMMARY = "共 {total} 件 · 紧急 {urgent} · 超时 {overdue}"
LIVE_HINT = "列表会自动更新,无需刷新。"
SOUND_ON = "开启提示音"
NEW_URGENT_TITLE = "🔴 新紧急诉求"
NEED_UPDATED = "这条诉求有新进展。"
REFRESH = "刷新查看"
NO_SUGGESTIONS = "暂无未诉先办线索。"
SUGGESTION_NOT_FOUND = "没有找到这条线索。"
SUGGESTION_HANDLED = "这条线索已经有人处理过了。"
SUGGESTION_HINT = "群聊中居民没有@小助手、但像是诉求的消息。确认后登记为诉求并派单;不是诉求的请忽略。"

CLOCK_LEFT = "{kind}剩{left}"
CLOCK_OVER = "{kind}超时{over}"
CLOCK_KINDS = {"respond": "响应", "dept_ack": "签收", "handle": "办结"}
CLOCK_NONE = "无时限"
OVERDUE_TAG = "超时"
URGENT_TAG = "紧急"
TREE_HOLE = "树洞(匿名)"

# ---------------------------------------------------------------- charts

CHART_RATES = "三率趋势(按周)"
CHART_RATES_NOTE = "响应率 = 按时接单/签收 ÷ 受理;解决率 = 已办结 ÷ 受理;满意率 = 满意+基本满意 ÷ 已评价。"
CHART_CATEGORY = "诉求类别"
CHART_GRID = "各网格诉求量"
CHART_HOT = "热词"
CHART_ROOMS = "功能室使用率(房间 × 时段,近4周)"
CHART_POPULARITY = "人气指数({period})"
CHART_SURVEY = "问卷结果: {title}"
CHART_EMPTY = "暂无数据"
CHART_UNAVAILABLE = "暂不可用"
PERIOD_NAMES = {"day": "今日", "week": "本周", "month": "本月", "year": "本年"}

# ---------------------------------------------------------------- exports

EXPORT_TITLE = "导出台账"
EXPORT_HINT = "民情台账等数据可导出为 Excel (xlsx)、CSV 或 JSON。除社区管理员外,联系电话一律打码;树洞诉求不含任何个人信息。"
EXPORT_NONE = "暂无可导出的数据类型。"
EXPORT_FORBIDDEN = "您的账号不能导出这类数据。"
EXPORT_WORKER_NOTE = "网格员只能导出本网格的诉求台账。"

# ---------------------------------------------------------------- users (CLI)

USER_ERRORS = {
    "bad_username": "用户名只能用字母、数字、点、下划线和减号,2–32位: {username!r}",
    "bad_role": "角色只能是 {roles}: {role!r}",
    "weak_password": "密码至少 {min} 位。",
    "ref_required": "{role} 账号需要指定网格号/网格员或科室 (ref)。",
    "user_exists": "用户名 {username} 已存在。",
    "no_user": "没有用户 {username}。",
    "bad_ref": "找不到 {ref!r} 对应的网格、网格员或科室。",
}
DEMO_LOGINS = "演示账号(密码都是 demo): {users}"

# ---- 来电来访 (need entry by staff)

INTAKE_TAB = "来电来访"
INTAKE_TITLE = "来电来访登记"
INTAKE_HINT = ("居民打电话或到服务台反映的诉求在这里登记,与群聊诉求一样受理、派单、计时和通知。"
               "类别不选时自动识别;联系电话在群里、只读账号和网格员导出的台账中打码。")
INTAKE_SOURCES = {"phone": "来电", "counter": "来访"}
INTAKE_DONE = "已登记诉求 {code},已派给 {holder}。"
INTAKE_DONE_PAGE = "已登记诉求 {code},已按群聊诉求同样派单通知。"
INTAKE_DONE_MERGED = "已登记诉求 {code},与未办结的 {parent} 内容相近,已合并办理。"
INTAKE_ERRORS = {
    "no_text": "请填写诉求内容。",
    "text_long": "诉求内容太长了(最多 {limit} 字),请精简后再登记。",
    "bad_source": "请选择「来电」或「来访」。",
    "bad_category": "没有这个诉求类别,请从列表中选择。",
    "bad_building": "楼栋号须为数字(如 7)。",
    "unknown_building": "本社区没有 {building} 栋,请核对楼栋号。",
    "bad_phone": "联系电话格式不对,请填写手机号(11位)或带区号的座机号。",
    "name_long": "姓名太长了(最多 32 字)。",
    "room_long": "房号太长了(最多 32 字)。",
    "not_staff": "只有网格员和社区管理员可以登记来电来访诉求。",
}

# ---- 月报

REPORT_TAB = "月报"
REPORT_TITLE = "{month}月报"
REPORT_HINT = ("响应率 = 按时接单/签收 ÷ 受理;解决率 = 已办结 ÷ 受理;满意率 = 满意+基本满意 ÷ 已评价。"
               "范围: {scope}。超时诉求中的电话号码已打码。")
REPORT_OVERDUE_MORE = "另有 {n} 件超时诉求未列出,请用导出台账查看。"
REPORT_NO_POPULARITY = "该月的人气指数尚未计算(每日任务运行后才有)。"
