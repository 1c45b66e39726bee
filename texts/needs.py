"""Every sentence the needs capability (and the staff binding commands) says, in one place to review.

Placeholders: {code} 诉求编号, {category} 类别, {place} 8栋 / 网格2 / 未注明位置, {worker} 承办人,
{due} 时限 (HH:MM, 明天HH:MM or M月D日HH:MM), {text} the resident's words (masked in groups)."""

from __future__ import annotations

EXAMPLE_CODE = "D20261124-0001"

# ---------------------------------------------------------------- intake (to the resident)

ACK = ("收到!您反映的问题已登记,编号 {code}({category})。\n"
       "{worker}会在 {due} 前联系处理,请留意消息。发送「查 {code}」可随时查看进度。")
ACK_NO_WORKER = ("收到!您反映的问题已登记,编号 {code}({category})。\n"
                 "社区工作人员会在 {due} 前联系处理。发送「查 {code}」可随时查看进度。")
ACK_URGENT = ("⚠️ 紧急情况已收到,编号 {code}({category})。\n"
              "正在通知{worker}和社区工作群,{due} 前响应。如有生命危险,请立即拨打 119 / 120 / 110!")
ACK_MERGED = ("这个问题已有邻居反映,正在处理中(编号 {parent}),已把您的反映一并记录。\n"
              "办结后也会通知您,并请您评价。发送「查 {parent}」可查看进度。")
ACK_TREE_HOLE = ("🌳 树洞已收到,已匿名记录,编号 {code}。\n"
                 "我们不会保存您的身份,工作人员也看不到是谁发的。请记下编号:之后发送「查 {code}」"
                 "可以看到办理进展和工作人员的回复。")
ACK_TREE_HOLE_URGENT = "\n情况紧急,正在通知社区值班人员。如有生命危险,请立即拨打 119 / 120 / 110!"
TREE_HOLE_USAGE = "请在「树洞」后面写上您想说的话,例如: 树洞 楼上邻居每天半夜很吵,不好意思当面说"
TREE_HOLE_SEEN_IN_GROUP = ("这条是在群里发的,群里的人都看得到;小助手已匿名转给社区。"
                           "以后想匿名反映,请私聊{bot}发送「树洞 + 内容」。")
TREE_HOLE_IN_GROUP = ("树洞是匿名的,请私聊{bot}发送「树洞 + 内容」。群里的消息大家都看得到哦,"
                      "这条小助手没有记录。")
TREE_HOLE_QUERY_IN_GROUP = "树洞编号只能私聊{bot}查询,请不要把编号发到群里。"
# To every admin, privately, when a 树洞 is urgent (danger words: violence at home, thoughts of suicide).
TREE_HOLE_DANGER_ALERT = ("⚠️ 紧急树洞(匿名)· {code} · {place}\n「{text}」\n危险信号: {words}。\n"
                          "居民匿名,无法直接联系本人,请立即研判,必要时报警(110)或联系120;"
                          "可用「回复 {code} 内容」留言,居民凭树洞编号可以看到。")
# A problem reported by staff (a worker passing on what a resident told them): no resident to visit.
TAKEN_BY_STAFF = "{name}代登记"
ACK_TAKEN = ("已登记 {code}({category}),已派给{worker}。\n"
             "这条是工作人员代登记的,小助手联系不到居民本人:办理进度和结果请告知居民。")
INTAKE_TOO_SHORT = "请具体说说遇到了什么问题、在几栋,例如: 报修 3栋2单元楼道灯不亮"

# ---------------------------------------------------------------- to staff: new needs and alerts

SOURCE_GROUP = "{name}(在{chat})"
SOURCE_PRIVATE = "{name}(私聊)"
SOURCE_TREE_HOLE = "树洞(匿名)"
SOURCE_SUGGESTION = "{name}(未诉先办,在{chat})"
SOURCE_TAKEN = {"phone": "{name}(来电登记{phone})", "counter": "{name}(来访登记{phone})"}
CALLER_UNNAMED = "未留姓名"

DISPATCH_NOTICE = ("【新诉求】{code} {category}{urgent} · {place}\n{text}\n来自: {source}\n"
                   "请在 {due} 前接单: 接单 {code}")
# A resident's question the bot could not answer (居民咨询, models/needs.ask_person), to the person who answers.
QUESTION_NOTICE = ("【居民咨询】{code} · {place}\n{source}问: {text}\n"
                   "小助手答不上来,请在 {due} 前答复,答复会转给居民: 回复 {code} 答复内容")
URGENT_TAG = "·紧急"
URGENT_STAFF_ALERT = ("🔴【紧急诉求】{code} {category} · {place}\n{text}\n来自: {source}\n"
                      "已通知{worker},须在 {due} 前响应、{handle_due} 前办结。")
URGENT_BACKUP_ALERT = ("🔴【紧急诉求·AB岗】{worker}当前不在岗,请您协助处理:\n{code} {category} · {place}\n{text}\n"
                       "来自: {source}\n接单: 接单 {code}")
PASSIVE_URGENT_ALERT = ("🔴【群内发现紧急情况】{chat} {name}: {text}\n"
                        "(对方没有@小助手,小助手未在群里回复,已记入未诉先办。如属实请尽快处理。)")

# ---------------------------------------------------------------- staff commands: confirmations

ACCEPTED = "已接单 {code}({category} · {place}):{text}\n回复居民: 回复 {code} 内容\n办结: 办结 {code} 说明"
ACCEPTED_URGENT = "\n⚠️ 紧急诉求,请在 {handle_due} 前办结。"
ACCEPTED_URGENT_LATE = "\n⚠️ 紧急诉求,已超过办结时限({handle_due}),请尽快处置。"
SIGNED = ("已签收 {code}({category} · {place}):{text}\n办结后请发: 办结 {code} 说明\n"
          "不属本科室职责请发: 退单 {code} 原因")
REPLIED = "已回复居民({code})。"
REPLIED_TREE_HOLE = "{code} 是树洞诉求,居民是匿名的:回复已保存,居民凭编号查询时会看到。"
REPLIED_NO_CHAT = "回复已保存到 {code}。"
ANSWERED = "已把答复转给居民({code}),这条咨询已办结。"
TRANSFERRED = "已转派{department}({code}),须在 {due} 前签收,超时将督办。"
RETURNED = "已退单,{code} 已退回{holder}。"
RESOLVED = "已办结 {code},已请居民评价。"
RESOLVED_NO_VISIT = "已办结 {code}。{why}"
RESOLVED_TREE_HOLE_WHY = "树洞诉求无法回访,居民凭编号查询时会看到办理结果。"

# ---------------------------------------------------------------- to the resident: progress

REPLY_TO_RESIDENT = "【{code} 办理进度】{worker}: {text}"
ANSWER_TO_RESIDENT = "【{code} 您的咨询有答复】{worker}: {text}"
RESOLVED_TO_RESIDENT = ("【{code} 已办结】{note}\n请您评价本次服务,直接回复数字即可:\n"
                        "1 满意 / 2 基本满意 / 3 不满意\n问题如果还没解决,也请告诉我们。")
TRANSFER_TO_DEPARTMENT = ("【转派·请签收】{code} {category}{urgent} · {place}\n{text}\n转派: {actor}{note}\n"
                          "请在 {due} 前签收: 签收 {code}\n不属本科室职责: 退单 {code} 原因")
RETURN_TO_HOLDER = ("【退单】{code} 被{actor}退回,原因: {reason}\n{category} · {place}: {text}\n"
                    "请处理: 接单 {code},或 转派 {code} 科室")

# ---------------------------------------------------------------- rating (回访)

RATED = "谢谢您的评价({satisfaction})!{code} 已关闭。有新问题随时找{bot}。"
RATED_DISSATISFIED = "抱歉没让您满意。{code} 已重新打开,{worker}会尽快再跟进,处理后会再告诉您。"
REOPENED_TO_HOLDER = ("【不满意·重新办理】{code} 居民评价不满意: {words}\n{category} · {place}: {text}\n"
                      "请在 {due} 前接单: 接单 {code}")
REOPENED_BY_STAFF = ("【重新办理】{code} 由{actor}重新打开: {words}\n{category} · {place}: {text}\n"
                     "请在 {due} 前接单: 接单 {code}")
NO_WORDS = "(未说明)"

# ---------------------------------------------------------------- 督办

ESCALATE_RESPOND = ("【督办·第{level}级】{code} {category}{urgent} · {place}: 应在 {due} 前{what},{late},仍未{what}。\n"
                    "当前承办: {holder}\n{text}\n{ask}")
LATE_AT_LIMIT = "现已到时限"
LATE_BY = "现已超时{over}"
ESCALATE_HANDLE = ("【督办·第{level}级】紧急诉求 {code} {category} · {place} 超过 {minutes} 分钟仍未办结。\n"
                   "当前承办: {holder}(状态: {status})\n{text}\n{ask}")
WHAT_RESPOND = "接单"
WHAT_DEPT = "签收"
ASK_BACKUP = "请您(AB岗)协助处理: 接单 {code}"
ASK_HOLDER = "请尽快处理: 接单 {code}"
WHAT_ANSWER = "答复"                                   # a 居民咨询: the question waits for an answer
ASK_ANSWER = "请尽快答复,答复会转给居民: 回复 {code} 答复内容"
ASK_DEPARTMENT = "请尽快签收: 签收 {code}"
ASK_ADMIN = "请督促或改派: 督办 {code} 说明 / 派单 {code} 网格员 / 转派 {code} 科室"
ASK_ADMIN_HANDLE = "请督促尽快处置;处置完毕请发: 办结 {code} 说明"
ASK_STAFF_GROUP = "请协调处理。"

# ---------------------------------------------------------------- status (查)

STATUS_RESIDENT = "{code}({category})当前状态: {status}。"
STATUS_MERGED = "您的反映已与 {parent} 合并办理。"
STATUS_HOLDER = "\n承办: {holder}"
STATUS_LAST_REPLY = "\n最新回复({at}): {reply}"
STATUS_RESOLUTION = "\n办理结果: {resolution}"
STATUS_SATISFACTION = "\n您的评价: {satisfaction}"
STATUS_TREE_HOLE_RATE = "\n如愿意评价,请发送: 满意 {code} / 基本满意 {code} / 不满意 {code} 原因"
STATUS_STAFF = ("{code} {category}{urgent} · {place}\n状态: {status}{overdue}  承办: {holder}\n"
                "内容: {text}\n诉求人: {source}\n受理: {created}{due}")
STATUS_STAFF_DUE = "\n时限: {due}"
STATUS_STAFF_HISTORY = "\n记录:"
STATUS_STAFF_EVENT = "\n· {at} {action}{who}{note}"
OVERDUE_TAG = "(已超时)"

ACTION_NAMES = {
    "create": "受理", "dispatch": "派单", "merge": "合并", "accept": "接单/签收", "reply": "回复",
    "transfer": "转派", "return": "退单", "resolve": "办结", "visit": "回访", "rate": "评价",
    "reopen": "重新办理", "rejoin": "随主诉求重新办理", "expire": "自动关闭", "escalate": "督办",
    "withdraw": "居民撤回", "locate": "补充位置", "detail": "居民补充",
    "photo": "照片", "voice": "语音",
}
ACTION_VERBS = {  # "不能{verb}"
    "accept": "接单", "reply": "回复", "transfer": "转派", "return": "退单", "resolve": "办结",
    "rate": "评价", "visit": "回访", "reopen": "重新打开", "dispatch": "派单", "escalate": "督办",
}

# ---------------------------------------------------------------- 待办 and 统计

TODO_EMPTY = "您目前没有待办诉求 👍"
TODO_HEAD = "待办 {n} 件(按时限排序):"
TODO_ITEM = "\n{i}. {code} {category}{urgent} · {place} 【{status}】{clock}\n   {text}"
OVERDUE_HEAD = "超时 {n} 件(按时限排序):"
OVERDUE_EMPTY = "目前没有超时的诉求 👍"
TODO_MORE = "\n……还有 {n} 件,请到网页收件箱查看。"
CLOCK_LEFT = " ⏰{due}前(剩{left})"
CLOCK_OVER = " 🔴已超时{over}"
CLOCK_HANDLE = " ⏰{due}前办结"

STATS = ("{label}诉求统计({scope}):\n受理 {received} 件(紧急 {urgent}),已办结 {resolved},在办 {open},超时 {overdue}\n"
         "响应率 {response} · 解决率 {resolution} · 满意率 {satisfaction}(评价 {rated} 件)")
STATS_BY_GRID_HEAD = "\n按网格:"
STATS_BY_GRID = "\n· {grid}: 受理 {received},响应率 {response},解决率 {resolution},满意率 {satisfaction}"
STATS_SCOPE_ALL = "全社区"
STATS_SCOPE_GRID = "网格{grid}"
RATE_NONE = "—"
REPORT_LINK = "\n完整月报(可打印、下载 Excel): {url}"
REPORT_NO_LINK = "\n完整月报(可打印、下载 Excel)请到网页工作台「月报」查看 {month}。"

# ---------------------------------------------------------------- errors and usage

ERRORS = {
    "not_found": "没有找到诉求 {code},请核对编号(例如 {example})。",
    "illegal": "{code} 当前状态是「{status}」,不能{verb}。",
    "not_yours": "{code} 目前由{holder}负责(状态: {status}),您不能{verb}。如需调整,请联系社区管理员。",
    "no_reason": "退单需要写明原因,例如: 退单 {code} 不属于本科室职责",
    "no_note": "办结请附上办理说明,例如: 办结 {code} 已疏通,路面已冲洗",
    "no_text": "请写上回复内容,例如: 回复 {code} 已联系物业,20分钟内到场",
    "unknown_department": "没有找到科室「{name}」。可以转派给: {departments}",
    # Word for word "not_found": a resident trying codes must not learn which exist — the gaps between
    # the codes that answer otherwise are the 树洞s, with the time each was filed.
    "not_requester": "没有找到诉求 {code},请核对编号(例如 {example})。",
    "merged": "{code} 已合并到 {parent},请对 {parent} 操作。",
    "already_rated": "{code} 您已评价过({satisfaction}),谢谢!",
    "not_allowed_return": "管理员不需要退单:可以直接 接单 {code},或 转派 {code} 科室。",
    "not_allowed_transfer": "科室不能再转派;如不属本科室职责,请发: 退单 {code} 原因",
    "not_allowed": "这个操作您不能对 {code} 执行。",
    "not_allowed_dispatch": "派单由社区管理员操作;不归您处理的诉求请发: 退单 {code} 原因",
    "not_allowed_escalate": "督办由社区管理员(或转派该诉求的网格员)操作。",
    "already_assigned": "{code} 已派给{holder},正在等待接单。",
    "already_there": "{code} 已转派{department},正在等待签收。",
    "bad_score": "请回复 1 满意 / 2 基本满意 / 3 不满意。",
}
ILLEGAL_HINTS = {
    "closed": "该诉求已关闭;如问题仍在,请让居民重新反映,或新登记一条。",
    "visiting": "该诉求已办结,正在等待居民评价。",
    "resolved": "该诉求已办结。",
}

BARE_MANY = "您有 {n} 件可以{word}的诉求,请带上编号:\n{items}"
BARE_ITEM = "· {code} {text}\n"
BARE_ITEM_NUMBERED = "{i}. {code} {text}\n"
PICK_HINT = "回复序号即可,例如「1」;也可以发: 编号 + 指令。"
PICK_OUT_OF_RANGE = "列表里只有 {n} 件,请回复 1 到 {n} 之间的序号,或发完整编号。"
QUESTION_PICK = "选择要处理的诉求"
NOTHING_TO_SIGN = "本科室目前没有待签收的诉求。发「待办」可查看在办的诉求。"
BUILDING_HEAD = "{building}栋在办诉求 {n} 件:"
BUILDING_ITEM = "\n· {code} 【{status}】{text}"
BUILDING_NONE = "{building}栋目前没有您能看到的在办诉求。"
SHORT_CODE_NONE = "您的待办里没有编号以 {digits} 结尾的诉求,请发完整编号,例如 查 D20261124-0001。"
SHORT_CODE_MANY = "有 {n} 件诉求的编号以此结尾,请带上完整编号:\n{items}"
ALREADY_ACCEPTED = "{code} 您已经接过了,不用再接。回复居民: 回复 {code} 内容;办完: 办结 {code} 说明"
USAGE = {
    "接单": "请发送: 接单 诉求编号,例如 接单 {example}",
    "签收": "请发送: 签收 诉求编号,例如 签收 {example}",
    "回复": "请发送: 回复 诉求编号 回复内容,例如 回复 {example} 已联系物业,20分钟内到场",
    "转派": "请发送: 转派 诉求编号 科室 [说明],例如 转派 {example} 城管科 占道经营需执法",
    "退单": "请发送: 退单 诉求编号 原因,例如 退单 {example} 不属于本科室职责",
    "办结": "请发送: 办结 诉求编号 办理说明,例如 办结 {example} 已疏通,路面已冲洗",
    "查": "请发送: 查 诉求编号,例如 查 {example}",
}
# A staff message with a need code no command took (handlers/staff.code_hint): never filed as a need.
CODE_HINT = ("小助手没看出要对 {code} 做什么。可以发:\n接单 {code}\n回复 {code} 给居民的话\n"
             "办结 {code} 办理说明\n查 {code}")
CODE_HINT_FORWARDED = ("这是小助手发出的通知,没有另外登记。处理 {code} 可以发:\n接单 {code}\n"
                       "回复 {code} 给居民的话\n办结 {code} 办理说明\n查 {code}")
# 派单 / 督办 by an admin (handlers/staff.py, the inbox)
ASSIGN_USAGE = "请发送: 派单 诉求编号 网格员姓名(或 网格N),例如 派单 {example} 赵网格员"
ASSIGN_WHO = "没有找到「{name}」。可以派给: {people}"
ASSIGN_WHICH = "「{name}」对应多人: {people},请写全名。"
ASSIGNED = "已派单给{worker}({code}),须在 {due} 前接单,超时将督办。"
URGE_USAGE = "请发送: 督办 诉求编号 [说明],例如 督办 {example} 今天下班前给居民回复"
URGED = "已督办 {code},已提醒{holder}。"
URGED_SELF = "{code} 由您本人承办,不用督办。"
ASSIGN_NOTICE = ("【派单】{code} {category}{urgent} · {place}\n{text}\n来自: {source}\n派单: {actor}{note}\n"
                 "请在 {due} 前接单: 接单 {code}")
ASSIGNED_AWAY = "{code} 已由{actor}改派给{worker},您不用再处理。"
URGE_NOTICE = ("【督办】{actor}督办 {code}(状态: {status}){note}\n{category} · {place}: {text}\n"
               "请尽快处理: 回复 {code} 内容,办完发 办结 {code} 说明")
TRANSFER_NEEDS_DEPARTMENT = "请写上要转派的科室,例如: 转派 {code} 城管科。可以转派给: {departments}"

# ---------------------------------------------------------------- staff binding (handlers/staff.py)

INVITE_CREATED = ("已生成{role}邀请码: {invite}(48小时内有效,仅可使用一次)。\n"
                  "请{name}私聊{bot}发送: 绑定 {invite}")
INVITE_USAGE = ("请发送: 邀请 网格员 网格号 姓名(例如 邀请 网格员 2 刘网格员),"
                "邀请 科室 科室名(例如 邀请 科室 城管科),或 邀请 管理员 姓名")
INVITE_NO_GRID = "没有网格{grid}。现有网格: {grids}"
INVITE_NO_DEPARTMENT = "没有找到科室「{name}」。现有科室: {departments}"
BIND_USAGE = "请私聊{bot}发送: 绑定 邀请码(邀请码由社区管理员提供)"
BIND_IN_GROUP = "绑定请私聊{bot}发送「绑定 邀请码」,不要在群里发哦。"
BIND_LOCKED = "尝试次数过多,为保护账号安全,绑定已暂停{minutes}分钟。请稍后再试,或联系社区管理员确认邀请码。"
BIND_PAUSED = "绑定功能暂时繁忙,请{minutes}分钟后再试。如有疑问请联系社区管理员。"
# To every admin, privately.
INVITE_LEAKED_ADMIN = ("⚠️ 邀请码 {invite}({role} {name})出现在群「{chat}」里,已自动作废,"
                       "以免被他人冒用。如仍需要,请私聊{bot}重新生成: 邀请 …")
INVITE_LEAKED_GROUP = "这条消息里的邀请码已作废(邀请码只能私下交给本人)。如需绑定,请联系社区管理员重新生成。"
BIND_FLOOD_ADMIN = "⚠️ 最近{minutes}分钟内绑定失败{n}次,可能有人在猜邀请码。绑定已暂停{pause}分钟。"
BIND_FAILED = "邀请码无效、已使用或已过期,请联系社区管理员重新生成。"
BOUND = "绑定成功!您现在是{what}。发送「帮助」查看可用指令,发送「待办」查看待办诉求。"
ROLE_NAMES = {"worker": "网格员", "admin": "社区管理员", "department": "科室工作人员"}
BOUND_WHAT_WORKER = "网格{grid}的网格员({name})"
BOUND_WHAT_DEPARTMENT = "{department}的工作人员"
BOUND_WHAT_ADMIN = "社区管理员({name})"

# What an open question is about, when an answer went to a newer one (texts/common.py STILL_OPEN).
QUESTION_RATING = "给诉求打分"
QUESTION_BUILDING = "诉求的位置"
ASK_BUILDING = "\n是在几栋吗?直接回复楼号(比如「3栋」),我转给那栋楼的网格员;不在楼里就不用回。"
LOCATED = "好的,已记下 {building}栋({code})。"
LOCATED_MOVED = "好的,已记下 {building}栋,{code} 已转给{worker},会尽快联系您。"
LOCATED_NOTE = "{code} 居民补充了位置({building}栋),已改派给{worker},您不用再处理。"

# A need naming a grid that is not configured ("八网格…"): ask, never guess.
WHICH_GRID = "没找到网格{grid},请问是哪个网格?本社区有: {grids}。请带上网格或楼栋号再发一次,例如: 报修 网格1 3栋楼道灯不亮"

# The resident's own follow-ups to a need: a correction, more words, "算了 不用了".
RELOCATED = "好的,已改成 {building}栋({code})。"
RELOCATED_MOVED = "好的,已改成 {building}栋,{code} 已转给{worker},会尽快联系您。"
RELOCATED_NOTE = "{code} 居民更正了位置: {building}栋。"
LOCATED_ADDED_NOTE = "{code} 居民补充了位置: {building}栋。"
RELOCATED_NOTE_MOVED = "{code} 居民更正了位置({building}栋),已改派给{worker},您不用再处理。"
DETAIL_ADDED = "好的,已补充到 {code},网格员能看到。"
DETAIL_NOTE = "{code} 居民补充: {text}"
WITHDRAWN = "好的,{code}「{text}」已撤回,已告诉{worker}不用再跑了。以后有问题随时找{bot}。"
WITHDRAWN_KEPT = ("好的,已告诉{worker}您这边不用了。还有 {n} 位邻居反映了同一问题,{code} 会继续办理。")
WITHDRAWN_NOTE = "{code} 居民说不用了: {words}(已撤回,无需再处理)"
WITHDRAWN_NOTE_KEPT = "{code} 提出的居民说不用了: {words}。还有 {n} 位邻居反映同一问题,请继续办理。"
WITHDRAW_WHICH = "您有 {n} 条诉求还在办理:{items}\n要撤回哪一条?请回复「撤回 编号」。"
WITHDRAW_NONE = "您目前没有正在办理的诉求,不用撤回😊"
