"""Sentences the router itself says, whatever the capability."""

NON_TEXT_REPLY = "小助手暂时只能看懂文字消息,请用文字描述您的需求,例如: @小助手 3栋电梯坏了。"
TOO_LONG_REPLY = "内容有点长(超过{limit}字),小助手怕看漏了。请简要描述问题,或分几条发送。"
UNKNOWN_GROUP_REPLY = "您好,本群还没有登记到{community}的网格,小助手暂时不能在这里服务。请联系社区工作人员。"
ERROR_REPLY = "抱歉,小助手刚才出了点问题,没能处理这条消息。已记录,工作人员会跟进;您也可以稍后再试。"
STAFF_ONLY = "抱歉,这个指令只有网格员和社区工作人员可以使用。"
# An answer that fitted two open questions went to the newest; the older one is still waiting.
STILL_OPEN = "(您还有「{what}」没有回复,如需回复请再发一次。)"
# A staff command typed in a resident group whose answer holds private data: the answer went privately.
ANSWERED_PRIVATELY = "涉及居民个人信息,已私信发给您,请查看与小助手的私聊。"
# Reply budget (bot/flood.py): said once when a person or a group goes over it; the messages are still read.
FLOOD_PERSON = "您发得比较快,小助手先不一一回复了。您说的都已记下,需要办的事会转给网格员;请一分钟后再问我。"
FLOOD_GROUP = ("群里消息较多,小助手先不一一回复了。大家的报名、预约和反映的事都已记下,可私聊小助手发「我的预约」「我的报名」查看;"
               "紧急情况照常第一时间处理。")
