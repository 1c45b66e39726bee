"""Speech acts: the things residents naturally say that are not needs.

`speech_act(s)` takes a normalised message (`classify._normalize`) and returns one of

- ``progress``: asks about their own earlier request ("我前天说的下水道弄好没", "我的报修", "我反映的问题怎么样了");
- ``rating``: judges the service just done ("满意满意 辛苦小李了", "还行吧 基本满意", "不太满意 还是漏"),
  with its score on the project's scale (1 满意, 2 基本满意, 3 不满意; `rating(s)`);
- ``thanks``: "谢谢小助手", "辛苦了🙏";
- ``greeting``: "早上好", "你好", "在吗";
- ``about_bot``: "你能干啥", "你是机器人吗", "怎么用";
- ``media``: only a placeholder ("[语音]", "[图片]") with nothing typed;

or None. Handlers answer these instead of filing them or saying "没看懂". Pure; patterns compile once.
"""

from __future__ import annotations

import re

SPEECH_ACTS = ("progress", "rating", "thanks", "greeting", "about_bot", "media")

# Rating words, longest first; "满意度" (a survey), "不满意的地方" (a topic) are not ratings.
_RATING_WORDS = {
    "非常不满意": 3, "很不满意": 3, "特别不满意": 3, "太不满意": 3, "不太满意": 3, "不怎么满意": 3, "不满意": 3,
    "基本满意": 2, "比较满意": 2, "还算满意": 2, "还行吧": 2, "还可以吧": 2, "马马虎虎": 2, "凑合": 2, "一般般": 2,
    "非常满意": 1, "很满意": 1, "十分满意": 1, "特别满意": 1, "超满意": 1, "挺满意": 1, "满意": 1,
}
_RATING_RE = re.compile(
    "(?:" + "|".join(sorted(_RATING_WORDS, key=len, reverse=True)) + r")(?!度|率|调查|的地方|不满意|吗|么|\?)")
_RATING_TOPIC = re.compile(r"满意度|满意率|调查|问卷|评价一下|怎么评价|打分")

# Their own earlier request: "我(前天/上周)(说|反映|报|提|投诉)的…(怎么样|好了没|弄好没|有进展吗)".
_OWN = r"(?:我|我们|俺)(?:家)?" r"[^,.!?;。,!?]{0,8}?(?:说|反映|报|提|投诉|报修|登记|找你们|问)(?:过)?的"
_STATUS = (r"(?:怎么样了?|咋样了?|如何了|弄好没|修好没|好了没|处理了没|处理没|修了没|解决了没|解决没|弄了没|"
           r"好了吗|修好了吗|处理了吗|解决了吗|弄好了吗|有进展吗|有进展没|进展|进度|有人管吗|有人处理吗|有回音吗|有下文吗|"
           r"有人来(?:处理|修|看)(?:了)?(?:吗|没)|还没[^,.!?;。,!?]{0,4}(?:吗|呢|啊|\?)|到哪一?步)")
_PROGRESS_RE = re.compile(
    _OWN + r"[^。!]{0,20}?" + _STATUS
    + r"|^(?:查(?:一?下|询)?)?我的(?:诉求|报修|工单|投诉|反映|求助|事|单子)(?:呢|怎么样了?|进展|进度|到哪了)?[?]?$"
    + r"|(?:查|看)(?:一?下|看)?(?:我的)?(?:诉求|报修|工单)(?:的)?(?:进度|进展|状态)"
    + r"|(?:之前|上次|前几天|前天|昨天|上周|早上|刚才)(?:报修|反映|报|说|投诉|提)(?:过)?的[^,.!?;。]{0,12}?" + _STATUS)

_THANKS_RE = re.compile(r"谢谢|多谢|感谢|谢啦|谢了|辛苦了|辛苦啦|辛苦你|辛苦小|太感谢|麻烦你了|thank|3q|thx|🙏|点赞")
_GREETING_RE = re.compile(
    r"^(?:(?:大家|小助手|助手|各位)?(?:早上好|早安|早啊|早|上午好|中午好|下午好|晚上好|晚安|你好|您好|大家好|hi|hello|哈喽|嗨|在吗|在不在|在不)"
    r"|新年好|新年快乐|过年好|节日快乐|中秋快乐|春节快乐)")
_ABOUT_BOT_RE = re.compile(
    r"你(?:能|会|可以)(?:干|做|帮)(?:点)?(?:啥|什么|嘛|些什么)|你是(?:谁|机器人|真人|人工|ai|人吗|什么)|"
    r"(?:是|有)(?:机器人|真人|人工)(?:吗|嘛|么)|怎么用(?:你|小助手|这个助手)|小助手(?:是什么|能干|会什么|怎么用)|"
    r"有什么功能|能帮我(?:做|干)什么|(?:你)?都能干(?:啥|什么)|使用说明|帮助$|^help$|^菜单$|^功能$")
_MEDIA_RE = re.compile(r"^(?:\[(?:语音|图片|视频|表情|动画表情|位置|文件)\]\s*)+$")
# A bit of chatter beside an act ("嗯", "哈哈", emoji, punctuation) still leaves the act.
_SHORT_ACT = 14


def rating(s: str) -> int | None:
    """The score (1 满意, 2 基本满意, 3 不满意) when `s` rates a service, else None."""
    if _RATING_TOPIC.search(s):
        return None
    m = _RATING_RE.search(s)
    if m is None:
        return None
    # A rating leads the message, or closes a short one ("修得很快,满意"); "不满意就投诉" leads too.
    if m.start() > 12:
        return None
    word = m.group(0)
    return _RATING_WORDS[word]


def speech_act(s: str, *, actionable: bool = False) -> str | None:
    """The speech act of normalised text `s`, or None. `actionable`: the classifier found a need,
    booking or signup in it; then only a rating or a progress question still counts (a greeting
    before a need, "你好 3栋电梯坏了", is the need)."""
    if _MEDIA_RE.match(s):
        return "media"
    if rating(s) is not None:
        return "rating"
    if _PROGRESS_RE.search(s):
        return "progress"
    if actionable:
        return None
    if _ABOUT_BOT_RE.search(s):
        return "about_bot"
    if len(s) <= _SHORT_ACT or not any(ch in s for ch in ",.!?;,。!?;"):
        if _THANKS_RE.search(s):
            return "thanks"
        if _GREETING_RE.search(s):
            return "greeting"
    return None
