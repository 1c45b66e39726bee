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

from kernel.text.prefilter import fast
from kernel.text.speech_acts import still_wrong

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
    if (len(s) <= _SHORT_ACT or not any(ch in s for ch in ",.!?;,。!?;")) and still_wrong(s) is None:
        # "谢谢你们 辛苦了 但是水管还是在滴" is no thanks: something is still wrong
        if _THANKS_RE.search(s):
            return "thanks"
        if _GREETING_RE.search(s):
            return "greeting"
    return None


# ---------------------------------------------------------------- asking to know vs asking to act

# A question whose answer is a fact — who handles it, whether one may, how long, what to bring, where —
# asks for information ("养犬扰民是找派出所还是找居委会", "开常住证明要带户口本吗", "还要等多久",
# "这归谁管", "快递柜在哪"). A question that asks someone to *do* something ("能不能派人来修一下",
# "社区能上门帮忙弄一下吗", "谁来管管") asks for action: a need. The line is drawn on the predicate
# asked about, not on the topic, so it carries over to subjects nobody listed.
_JURISDICTION = (r"(?:归|是)谁(?:管|负责|处理|解决)|(?<!有)(?<!没)谁(?:来管|负责|解决)(?![管一])|(?<!到底)(?<!究竟)(?<!还)管不管|归不归|"
                 r"归哪(?:个|里|儿)?|哪个(?:部门|单位|科室|窗口)|找[^,.!?;。,!?]{1,6}还是找|(?:管|负责)还是|该找谁|"
                 r"(?:找|向|跟)谁(?:问|咨询|反映|说|投诉)|(?:打|拨)哪个电话|该打什么电话")
# Whether a rule allows a thing ("小区里能不能养鸡 有规定吗", "出生登记是不是要一个月内办"); "是不是要等出事了"
# is a complaint.
_RULE = (r"是不是(?:要|得|需要|必须|不允许|不让|可以|允许)(?!等)|有(?:什么)?规定吗|有没有(?:什么)?规定|允不允许|让不让|"
         r"准不准|要本人(?:去|来|到场|签字)")
# Whether or when a service comes again ("移动窗口还来不来", "磨刀的什么时候再来"). What a need costs
# ("补办要多少钱") is a need in the project's labels.
_SERVICE = (r"还(?:来不来|装不装|办不办|开不开|收不收|发不发|搞不搞)|"
            r"什么时候再(?:来|办|开|有|搞)|下次[^,.!?;。,!?]{0,8}什么时候|有(?:优惠|特价|折扣|打折)[^,.!?;。,!?]{0,3}(?:吗|么|[?])")
_WAIT = r"(?:还|得|要|需要)(?:要)?等(?:到)?(?:多久|多长时间|什么时候|啥时候|哪天|到哪天)|还要多久|还得多久"
# Whether to bring a named thing ("要带户口本吗"); "需要带什么" asks for guidance through a procedure
# (an affairs need, CONTRACTS §2 examples) and is left to the model.
_NEED_TO_BRING = r"(?:要不要|用不用|需不需要|需要|要|得)(?:带|准备|提供|拿)(?!什么|啥|哪些)[^,.!?;。,!?]{1,8}(?:吗|么|[?])"
# Whether a place or a household falls under a programme ("我们小区能不能进今年的旧改名单"). Whether one
# may apply for or claim something ("能申请劳动仲裁吗", "能领补贴吗") is a consultation the project's labels
# (CONTRACTS §2 sets) file as a need (legal / affairs), so it stays with the model.
_MAY = (r"(?:能不能|可不可以|能否|能|可以)(?:进(?![点些一几来去])|算|纳入|列入)[^,.!?;。,!?]{0,10}(?:名单|范围|范畴|对象|里面|之内)")
# Whether a place is left ("四点半课堂还有名额吗").
_LEFT = r"还有(?:名额|位置|空位|号源?|票)|还能报(?:名)?(?:吗|么|[?])"
# Where a thing is ("快递柜在哪", "打疫苗去哪里"); where to get a procedure done ("补办去哪里") or find
# a tradesman ("配钥匙的地方在哪") is a need in the project's labels and stays with the model.
_WHERE = r"^[^办地店]{1,8}(?<!地方)(?:在|去|到)哪(?:里|儿)?(?:打|交|领|取|买|看)?(?:啊|呀|呢|嘞)?[?]?$"
_INFO_Q_RE = fast("|".join((_JURISDICTION, _NEED_TO_BRING, _MAY, _LEFT, _RULE, _SERVICE, _WHERE)))
# Asking someone to act: sending a person, coming round, fixing, helping, a plea or a wish.
_ACT_RE = fast(
    r"派(?:人|个)|来(?:人|修|看|处理|弄|清|查)|管一?下|上门|帮(?:忙|我|我们|一下|着|弄|办)|修一?下|处理一?下|弄一?下|"
    r"管管|管一管|清(?:理|走|掉)一?下|怎么办|咋办|咋整|怎么弄|希望|建议|求助|麻烦|(?<!申)请(?!问)|代办|给(?:个|我们|我)")


# How long is a question once an office was told ("社区说报上去了 还要等多久") or alone ("还要等多久");
# "电梯坏了三天了 还要等多久" is the first word of a need.
_OFFICE_TOLD = fast(r"说|报|登记|反映|物业|社区|居委会|街道|网格|批")
# Read as talk by the model, a question is still an inquiry when it asks who handles a thing, whether
# a rule allows it, whether to bring something or whether a place is left; how long only after an office
# was told; where only for a thing, not a person ("你在哪").
_STRICT_INFO_Q_RE = fast("|".join((_JURISDICTION, _NEED_TO_BRING, _MAY, _LEFT, _RULE, _SERVICE)))
_PERSON_WHERE = re.compile(r"你|我|他|她|人家|咱")


def asks_information(s: str, *, strict: bool = False) -> bool:
    """True when normalised text `s` asks for a fact (who handles it, whether one may, how long, what to
    bring, where) and asks nobody to act: an inquiry, even when a problem is named beside it.
    `strict`: for a line the model took as talk — only the forms that chat seldom has."""
    waits = _WAIT_RE.search(s) is not None and (_OFFICE_TOLD.search(s) is not None or (not strict and len(s) <= 8))
    if strict:
        if not (waits or _STRICT_INFO_Q_RE.search(s) or (_WHERE_RE.search(s) and not _PERSON_WHERE.search(s))):
            return False
    elif not (waits or _INFO_Q_RE.search(s)):
        return False
    # What an office said it would do ("物业说等业委会成立了再上门劝") is no request by the resident.
    return not any(_ACT_RE.search(c) for c in _CLAUSES.split(s) if "说" not in c)


_CLAUSES = re.compile(r"[\s,.!?;:。,!?;:…~]+")
_WAIT_RE = re.compile(_WAIT)
_WHERE_RE = re.compile(_WHERE)


# What residents tell each other once a thing went well or is on its way: a problem gone and praise
# ("地锁都拆了 现在好停多了", "加了栏杆 … 点赞"), a service come to them ("不用跑大厅了"), what an
# office said it has done ("居委会说已经登记了 往上报"). Nobody asks for anything: talk.
_GOOD_NOW = fast(
    r"(?<!不)(?:好|方便|干净|安静|清净|好停|好走|宽敞|亮堂|舒服|顺畅|整齐|省事|清爽)多了|(?<!不)(?:放心|省心|安心|踏实)(?:了|多了|的|啦)?$|"
    r"不用(?:再)?(?:跑|排队|爬|担心|操心|摸黑|绕)|点赞|真方便|太方便了|(?<!不)方便(?:了|多了)$|好评|挺好的|真好$|不怕了|"
    r"都说好|(?:都|全)(?:换|修|刷|拆|清|装|补|磨|铺|翻新|粉刷)(?:好|完|新|上)?了")
# A service moved or come, told to everyone ("菜站搬到东门了 买菜的往那边走", "要修的带过去").
_NOTICE = fast(r"(?:搬|挪|移|迁)到(?![^,.!?;。,!?]{0,6}(?:我家|我们家|窗|门口))[^,.!?;。,!?]{1,12}了|"
                     r"要[^,.!?;。,!?]{1,4}的(?:带|去|下楼|往|到|排队|自己)|通知(?:贴|发)(?:在|到|了)|"
                     r"排(?:了|起了?)?(?:好长|老长|很长|长)的?队")
_OFFICE_SAID = re.compile(r"^(?:居委会|社区|物业|街道|城管|网格员|师傅|工作人员|他们|人家|派出所)(?:的人)?(?:已经)?(?:说|回复说?|答复说?)"
                          r"(?:已经|已|会|马上|明天|后天|下周|过两天|正在|在|这周)")
_STILL_WANTS = fast(r"但是?|可是|不过|就是|只是|又|还是|还没|没人|不管|没用|[?]|吗|呢$|怎么|咋|为什么|为啥|希望|建议|"
                          r"能不能|可不可以|麻烦|(?<![申邀])请(?![来到])|到底|凭什么|推|拖|哪")


def tells_good_news(s: str) -> bool:
    """True when normalised text `s` tells that something went well or is being handled (an outcome
    praised, a service come, what an office said it has done) and wants nothing more."""
    if _STILL_WANTS.search(s):
        return False
    return bool(_GOOD_NOW.search(s) or _OFFICE_SAID.search(s) or _NOTICE.search(s))
