"""What the bot says to the things people naturally say: greetings, thanks, "你是机器人吗", a voice
message it cannot hear, "我反映的问题怎么样了", a question the knowledge base answers, and the 热词
list for staff."""

from __future__ import annotations

# ---------------------------------------------------------------- small talk

GREETING = ("您好,我是{bot}😊 有事直接说就行,比如「3栋电梯坏了」「预约 钢琴房 明天下午3点」「报名 花灯」,"
            "或发「帮助」看看我能做什么。")
THANKS = "不客气😊 有需要随时找{bot}。"
ABOUT_BOT = ("我是{community}的{bot},一个自动回复的机器人🤖。可以帮您反映问题(会派给{worker}处理)、"
             "预约功能室、报名活动、查办事指南和诉求进度。发「帮助」看完整用法;要找真人,直接说问题,网格员会联系您。")
ABOUT_BOT_NO_WORKER = ("我是{community}的{bot},一个自动回复的机器人🤖。可以帮您反映问题(会派给社区工作人员处理)、"
                       "预约功能室、报名活动、查办事指南和诉求进度。发「帮助」看完整用法。")
ANONYMOUS_HOW = ("想匿名反映的话,私聊我发「树洞」加上您想说的话就行,比如「树洞 楼上每天半夜很吵」。"
                 "不会保存您的身份,工作人员也看不到是谁发的;我会给您一个编号,凭编号查进展。")
ANONYMOUS_IN_GROUP = "想匿名反映的话,请私聊{bot},发「树洞 + 您想说的话」,群里说大家都看得到哦。"
PHONES_PRIVATELY = "电话号码在群里会被隐藏,已私信发给您,请查看与{bot}的私聊。"
PRAISE = "谢谢您的鼓励😊 有需要随时找{bot}。"
ACK = "好的😊 有需要随时找{bot}。"
TOLD = "知道了,平安就好🙏 如果还有需要处理的,直接告诉{bot}。"
MEDIA = "{bot}暂时听不了语音、看不了图片和表情😅 麻烦用文字说一下,比如「3栋2单元楼道灯不亮」。"

# ---------------------------------------------------------------- progress of one's own needs

PROGRESS_HEAD = "您反映的诉求:"
PROGRESS_ITEM = "\n· {code}{category}「{text}」: {status}"
PROGRESS_CODE = "{code} "
PROGRESS_HOLDER = ",{holder}在办"
PROGRESS_REPLY = "\n  最新回复({at}): {reply}"
PROGRESS_RESOLUTION = "\n  办理结果: {resolution}"
PROGRESS_FOOTER = "\n发送「查 编号」可以看详细进度。"
PROGRESS_NONE = "您最近没有反映过诉求,或者都已经办完了。有问题直接告诉{bot}就行,比如「3栋楼道灯坏了」。"
PROGRESS_ELSEWHERE = "\n(您在私聊或其他群里反映的 {n} 条诉求,请私聊{bot}发「我的诉求」查看。)"
PROGRESS_ONLY_ELSEWHERE = "您在私聊或其他群里反映过 {n} 条诉求,涉及个人信息,请私聊{bot}发「我的诉求」查看。"

# ---------------------------------------------------------------- ratings

RATE_AGAIN = "请为 {code} 的处理打个分: 回复「满意」「基本满意」或「不满意」(也可以回 1 / 2 / 3),不满意请说说原因。"

# ---------------------------------------------------------------- 热词 (staff)

HOT_HEAD = "热词({label}{scope}):"
HOT_SCOPE_GRID = ",网格{grid}"
HOT_GRID = "\n网格{grid}: {words}"
HOT_WORD = "{word}({count})"
HOT_NONE = "暂无"
HOT_FOOTER = "\n(按诉求和群聊线索统计,不含树洞;常用词已去掉。)"
