"""What a short message does, beyond asking for something: rates a service, asks how one's own
request is going, thanks, greets, asks what the bot is, or is only a picture/voice placeholder.

Pure functions over the text (no database, no config), a few µs each: the router's matchers call
them on every addressed message and on short group lines. They read *cues* (word classes), not
whole sentences, so that "满意满意 辛苦小李了🙏", "还行吧 基本满意" and "修好了 谢谢啊" all read the same
way without listing each phrasing."""

from __future__ import annotations

import re
import unicodedata

from kernel.text.normalize import clean

PROGRESS, RATING, THANKS, GREETING, ABOUT_BOT, MEDIA = "progress", "rating", "thanks", "greeting", "about_bot", "media"
ACK = "ack"      # "好的", "收到", "👌", "👍": heard and agreed, nothing asked

# ---------------------------------------------------------------- shaping the text

_MENTION = re.compile(r"@\S+")
_PLACEHOLDER = re.compile(r"\[[^\[\]]{1,8}\]")


def _plain(text: str) -> str:
    """Lower case, no @mentions, no emoji, punctuation or spaces: "满意满意 辛苦小李了🙏" → "满意满意辛苦小李了"."""
    return "".join(ch for ch in _MENTION.sub(" ", clean(text).lower()) if unicodedata.category(ch)[0] in "LN")


def is_media_only(text: str) -> bool:
    """"[语音]", "[图片][图片]", "[表情]", a lone emoji or sticker: nothing to read."""
    s = _MENTION.sub(" ", clean(text))
    if not s.strip():
        return False
    rest = _PLACEHOLDER.sub(" ", s)
    had_placeholder = rest != s
    rest = "".join(ch for ch in rest if unicodedata.category(ch)[0] in "LN")
    return not rest and (had_placeholder or any(unicodedata.category(ch) == "So" for ch in s))


# ---------------------------------------------------------------- ratings in words

# Explicit satisfaction words decide on their own (longest first, so 不太满意 is not 满意).
_SAT_WORDS = {
    "非常满意": 1, "十分满意": 1, "特别满意": 1, "很满意": 1, "挺满意": 1, "满意": 1,
    "比较满意": 2, "基本满意": 2, "还算满意": 2, "基本上满意": 2, "还比较满意": 2,
    "不太满意": 3, "不是很满意": 3, "不怎么满意": 3, "不满意": 3, "很不满意": 3, "非常不满意": 3, "不大满意": 3,
}
_SAT_RE = re.compile("(?:%s)(?!度)" % "|".join(sorted(map(re.escape, _SAT_WORDS), key=len, reverse=True)))  # not 满意度
_QUESTION = re.compile(r"什么|怎么(?!回事)|哪|吗|啥|为何|是不是|有没有|多少|几")
# Without a satisfaction word: what the resident says about the result or the service.
_BAD = re.compile(
    r"没(有)?(修|弄|搞|处理|解决|整)?好|没(有)?解决|没(人)?(来|管|处理)|还(是|在|有)(点|些)?(漏|滴|渗|堵|坏|臭|吵|响|"
    r"不亮|不行|不通|没|老样子|一样)|又(坏|漏|堵|不亮|不行)|不行|没用|差评|(很|太|真|超)差|敷衍|糊弄|不咋地|"
    r"一点(都|也)不|不好(?!意思)|不太行|没效果|没变化|等了(好|半)?(几|半)?天")
_MID = re.compile(r"还行|还可以|还凑合|凑合|一般般?|马马虎虎|过得去|还好吧|将就|勉强|就那样|中规中矩|还算可以|说得过去")
_MID_LEAD = re.compile(r"^(%s)" % _MID.pattern)
_MID_ALONE = re.compile(r"^(%s)+(吧|啦|了|啊|呀|哈)*$" % _MID.pattern)
_GOOD = re.compile(
    r"挺好|很好|真好|太好了|非常好|好极了|不错|很棒|真棒|棒棒|给力|点赞|赞|好评|辛苦|谢谢|感谢|多谢|谢啦|3q|thank|"
    r"修好了|弄好了|解决了|好了|搞定了|处理好了|通了|亮了|速度(很|真|挺)?快|很快|效率(很|真|挺)?高|专业|负责|热心|到位|"
    r"满分|五星|5星|完美")
# "好的" / "嗯" / "收到" after "请您评价": heard, but no rating in it.
_ACK = re.compile(r"^(?:(?:好的?|好滴|好嘞|好哒|嗯+|哦+|噢|ok|okay|收到|知道了|明白了?|了解|行|可以|没问题|好吧)(?:的|啊|呀|哈|了|啦|嘞)*)+$")
# WeChat sends its own stickers as codes: [强] is a thumbs up, [弱] a thumbs down.
_GOOD_EMOJI = re.compile("[\U0001F44D\U0001F64F\U0001F44F\U0001F490\u2764\U0001F60A\U0001F604\U0001F970]|"
                         r"\[(?:强|OK|ok|玫瑰|爱心|鼓掌|抱拳|合十|握手|胜利|赞)\]")
_BAD_EMOJI = re.compile("[\U0001F44E\U0001F621\U0001F620\U0001F624]|" r"\[(?:弱|发怒|怄火)\]")


# "灯是亮了 但是一闪一闪的", "修好了,可是还有点渗": praise, then a "but" and what is still wrong. A problem
# left is 不满意; only slowness or a wait is 基本满意 ("修好了 就是来得有点慢").
_BUT = re.compile(r"(?:但是|但|可是|不过|就是|只是)(.{2,})")
_STILL_WRONG = re.compile(r"不(亮|行|好|通|灵|对|够|干净|热|出水|管用)|没(修|好|弄|解决|人|来|效果|变化)|还(是|有|在)|又|"
                          r"闪|漏|渗|滴|响|臭|堵|坏|松|晃|裂|脏")
_ONLY_SLOW = re.compile(r"慢|晚|久|等了")


# What a "but" leaves wrong, read for a need: the thing still broken, back or nobody on it ("但是水管还是在滴",
# "不过灯又不亮了", "可是一直没人来"). Slowness alone ("就是来得有点慢") is no need.
_LEFT_WRONG = re.compile(r"还(是|在|没)|又|没(修)?好|没(人|解决|效果|变化)|不(亮|行|通|灵|出水|管用)|坏|漏|滴|渗|堵|闪|臭|响|裂|松")
_BUT_RAW = re.compile(r"(?:但是|可是|不过|就是|只是|但)[\s,,、。.!!~]*(?P<rest>\S.*)$")


def still_wrong(text: str) -> str | None:
    """"谢谢你们 辛苦了 但是水管还是在滴", "修好了 不过灯又不亮了": thanks or praise, then a "but" and
    something still wrong — the words after the "but" (a need, never "不客气"), else None."""
    s = _MENTION.sub(" ", clean(text)).strip()
    if len(s) > 80 or (m := _BUT_RAW.search(s)) is None:
        return None
    rest = m.group("rest").strip()
    tail = _plain(rest)
    if len(tail) < 2 or _QUESTION.search(tail) or not _LEFT_WRONG.search(_ONLY_SLOW.sub("", tail)):
        return None
    return rest


# A complaint only about time ("不咋地 太慢了", "等了好几天才来"): the words of a verdict or a wait, and no
# problem left once the slowness is taken out.
_GENERIC_BAD = re.compile(r"不咋地|不太行|不行|(很|太|真|超)差|不好(?!意思)|一般般?|差劲|等了(好|半)?(几|半)?天")
_SLOW_WORDS = re.compile(r"(太|好|很|真|有点|有些|忒|也太|实在)?(慢|晚|久)(了|啊|呀|吧|死了|得很)*|速度|效率|来得|才来|下次|快点|"
                         r"等了?(好|半)?(几|半|一|两|三)?(个)?(天|小时|钟头|周|礼拜)")
_SLOW_REST = re.compile(r"就是|但是|可是|不过|只是|的|了|啊|呀|吧|哈|也|都|有点|太|真|还|是|这|次|你们|师傅|"
                        r"总算|终于|(修|弄|搞|处理)?好了|解决了|谢谢|辛苦了?")


def _slow_only(s: str) -> bool:
    if not _ONLY_SLOW.search(s) or _BAD_EMOJI.search(s):
        return False
    rest = _SLOW_REST.sub("", _SLOW_WORDS.sub("", _GENERIC_BAD.sub("", s)))
    return not rest


def is_bare_ack(text: str) -> bool:
    return bool(_ACK.match(_plain(text)))


# Praise that is about a service, not the weather or a meal: enough on its own in a group without @.
_SERVICE_GOOD = re.compile(r"谢谢|感谢|多谢|谢啦|辛苦|点赞|好评|给力|修好了|弄好了|解决了|处理好了|搞定了|效率|负责|专业|到位")


def rating_in_words(text: str, *, addressed: bool = True) -> int | None:
    """1 满意 / 2 基本满意 / 3 不满意 read from a resident's reply to "请您评价", or None when the
    words say nothing about the service. An explicit 满意-word wins (the lowest one when several:
    "满意…但是不太满意" is not 满意); else complaints > "so-so" > praise and thanks.

    `addressed=False` (a group line without @): general praise ("今天天气真好", "味道还行") is not
    read as a rating — only 满意-words, complaints, thanks and praise of a service are, so everyday
    group talk does not make the bot look up open questions."""
    s = _plain(text)
    found = [_SAT_WORDS[m.group(0)] for m in _SAT_RE.finditer(s)]
    if found:
        return max(found)
    if _slow_only(s):
        return 2             # "不咋地 太慢了": done, only late — 基本满意, nothing to reopen
    if _BAD.search(s) or _BAD_EMOJI.search(text):
        return 3
    if (but := _BUT.search(s)) is not None and not _QUESTION.search(tail := but.group(1)):
        if _STILL_WRONG.search(tail) and not _MID.search(tail):
            return 3
        if _ONLY_SLOW.search(tail):
            return 2
    if _QUESTION.search(s) or "?" in text or "?" in text:
        return None          # "满意度调查是什么", "修好了吗": a question, not a verdict
    if not addressed:
        if _MID_ALONE.match(s) or (_MID_LEAD.match(s) and len(s) <= 16):
            return 2         # "还行吧" / "一般般" / "还行 下次快点" right after the question
        return 1 if _SERVICE_GOOD.search(s) or _GOOD_EMOJI.search(text) else None
    if _MID.search(s):
        return 2
    if _GOOD.search(s) or _GOOD_EMOJI.search(text):
        return 1
    return None


# ---------------------------------------------------------------- progress of one's own requests

_SELF = re.compile(r"我(们|家)?(的|之前|前|昨|上|刚|那|早|反映|报|说|提|投诉|问|找|发|求助|咨询)|俺|本人")
_ABOUT_NEED = re.compile(r"诉求|反映|报修|报的|投诉|求助|工单|申请|问题|说的|提的|的事|那事|那个事|那件事|找你们|找过|"
                         r"你们(处理|修|弄|管|解决|办)")
_STATUS = re.compile(
    r"(弄|修|搞|办|处理|解决|整)(好|完|了)?(没|了没|了吗|没有|吗|了么|没呢)|怎么样了?|咋样了?|如何了|进展|进度|"
    r"有(没有|没)?人(管|处理|理|来|跟进)|管不管|理不理|还管|到哪(一步|了)|什么时候(来|修|弄|处理|解决|办)|啥时候|"
    r"有(消息|回复|下文|结果)吗|有回音|结果呢|回复呢|还没(人)?(来|修|弄|处理|回复|解决)|怎么没(人|动静|消息|下文)|"
    r"多久|查(一下|下)?(进度|状态)|跟进")
# Chasing an earlier request ("怎么还没人理我", "都三天了还没人来修", "到底管不管", "催一下"): a progress
# question when nothing else is said. A problem named with it ("楼道灯坏了好几天都没人管") is a need.
_CHASE = re.compile(
    r"(怎么|咋|为什么|为啥)还(没|不)|到底(什么时候|啥时候|有没有|管不管|修不修|来不来|行不行)|还(要|得)等|"
    r"等了(好|半)?(几|一|两|三|四|五|十|半)?个?(天|周|星期|礼拜|月)|(都|已经)好?(几|一|两|三|四|五|六|七|十|半)个?(天|周|星期|礼拜|月)了|"
    r"没有?人(理|管|回|来|处理|联系|问|搭理|跟进)|催(一下|一催|促|下)|一直没(人|回|消息|动静|下文)")
_CHASE_REST = re.compile(
    r"我们?|俺|你们|咱|小助手|网格员|社区|工作人员|的|了|啊|呀|吗|呢|吧|啦|嘛|哎|唉|这|那|事|个|都|还|就|也|又|"
    r"到底|究竟|怎么|咋|为什么|为啥|谁|有|没|人|来|一下|下|啥|什么|时候|修|弄|处理|管|理|回复?|联系|等|天|说|问题|"
    r"是|不|能|快|点|再|麻烦|帮我|帮忙|请|给|谢谢|多谢|辛苦")
# Asking after something already reported, with the thing left unsaid ("修了没", "弄好没有", "有人管没",
# "我上礼拜说的那个事呢", "有进展没"): a done-word or "anyone on it" asked about, and nothing else named but
# who, when and "that thing". How long or where ("还得等多久", "你在哪") is not among them: said alone in a
# group, that is chatter.
_ASK_AFTER = re.compile(
    r"(?:(?:修|弄|搞|处理|解决|整|办|管)(?:好|完)?了?|办(?:好|完)?了|好了)(?:没有?|吗|么|嘛|没呢|了没|了吗|不)|"
    r"有(?:没有|没)?人(?:管|处理|理|跟进)(?:没有?|吗|么|不|了吗|了没)?|管不管|"
    r"(?:有|啥|什么)(?:进展|进度|消息|回音|下文|结果)(?:没有?|吗|么|了吗|了没)?|(?:怎么样|咋样|如何)了|"
    r"(?:事|事情|问题|情况)呢$|(?:说|报|反映|提|讲|投诉)(?:过)?的(?:那个|那件)?呢$")
_ASK_AFTER_REST = re.compile(
    r"我们?|我家|俺|你们|咱|小助手|网格员|社区|物业|师傅|那个|那件|这个|这件|事情?|问题|情况|的|了|啊|呀|吗|呢|吧|啦|嘛|"
    r"到底|究竟|现在|目前|还|都|也|就|之前|前几天|前天|昨天|上次|上回|上周|上礼拜|上星期|早上|刚才|说|报|反映|提|讲|"
    r"投诉|过|请问|麻烦|问一下|问下|想问|谢谢|多谢|辛苦了?|这|那")


def _asks_after_only(s: str) -> bool:
    return bool(_ASK_AFTER.search(s)) and not _ASK_AFTER_REST.sub("", _ASK_AFTER.sub("", s))


_MY_NEEDS = re.compile(r"^(查(询|看)?)?(一下)?我的(诉求|报修|工单|反映|投诉|问题|求助)(进度|情况|状态)?(呢|吗)?$")


def _chases_only(s: str) -> bool:
    return bool(_CHASE.search(s)) and len(_CHASE_REST.sub("", _CHASE.sub("", s))) <= 1


def chases_only(text: str) -> bool:
    """"怎么还没人理我", "都三天了还没人来修": chasing an earlier request without naming any problem."""
    s = _plain(text)
    return bool(s) and len(s) <= 40 and _chases_only(s)


def is_progress_question(text: str) -> bool:
    """"我前天说的下水道弄好没", "我反映的问题怎么样了", "我的诉求", "报修的有人管吗": the resident
    asks how their own request is going (not a new problem, not somebody else's)."""
    s = _plain(text)
    if not s or len(s) > 40:
        return False
    if _MY_NEEDS.match(s):
        return True
    if _chases_only(s) or _asks_after_only(s):
        return True
    if not _STATUS.search(s):
        return False
    return bool(_SELF.search(s) or _ABOUT_NEED.search(s))


# ---------------------------------------------------------------- small talk

_THANKS = re.compile(r"^(好的|嗯|哦|ok|收到|知道了|明白了?)?(谢谢|感谢|多谢|谢啦|谢了|3q|thanks?|thankyou|辛苦(了|啦|你了|您了)?|"
                     r"麻烦(你|您)了)+(你|您|小助手|啦|了|哈|呀|啊|喔|哦|噢|大家)*(辛苦(了|啦)?)?$")
_GREETING = re.compile(r"^(你好|您好|在吗|在不在|在么|哈喽|嗨|hello|hi|hey|早|早上好|早安|上午好|中午好|下午好|晚上好|"
                       r"晚安|大家好|有人吗|有人在吗|小助手)+(啊|呀|呢|哈|小助手|机器人)*$")
_ABOUT = re.compile(r"你(是|叫)(谁|什么|啥|哪个|机器人|真人|人工|ai|人吗)|你能(干|做|帮)(啥|什么|我什么|我啥)|"
                    r"你(会|可以)(干|做)?(啥|什么)|你有(什么|啥)(用|功能)|(是|转)人工|"
                    r"怎么用你|你(是)?(真人|机器人)|你的功能|小助手(是|能|会)(干|做)?(啥|什么)|机器人吗|^(有|是)(真)?人(回复)?吗$")


# Gestures a reader understands without words: thumbs up, OK hand, folded hands, applause, a handshake.
_KIND_GESTURE = re.compile("[\U0001F44D\U0001F44C\U0001F64F\U0001F44F\U0001F91D\U0001F4AA\u270C\u2764\U0001F339\U0001F490]")
_GESTURE_CODE = re.compile(r"\[(强|OK|ok|玫瑰|爱心|鼓掌|抱拳|合十|握手|胜利|赞)\]")      # WeChat's codes for them
_THANKS_CODES = ("玫瑰", "抱拳", "合十")
_THANKS_GESTURE = re.compile("[\U0001F64F\U0001F490\U0001F339]")


def kind_gesture(text: str) -> str | None:
    """"👍", "👌👌", "🙏": nothing typed but a gesture of agreement or thanks — THANKS (🙏, flowers) or ACK;
    None for any other emoji or placeholder ("[表情]", "😂"), which the bot cannot read."""
    s = _MENTION.sub(" ", clean(text))
    codes = _GESTURE_CODE.findall(s)
    s = _GESTURE_CODE.sub(" ", s)
    if _plain(s) or _PLACEHOLDER.search(s) or not (codes or _KIND_GESTURE.search(s)):
        return None
    if any(unicodedata.category(ch) == "So" and not _KIND_GESTURE.match(ch) for ch in s):
        return None          # "👍😡": mixed feelings, not for a kind word
    return THANKS if _THANKS_GESTURE.search(s) or any(c in _THANKS_CODES for c in codes) else ACK


def small_talk(text: str) -> str | None:
    """THANKS / GREETING / ABOUT_BOT / ACK / MEDIA for a message that is only that, else None.
    ("谢谢,3栋的灯还是不亮" is not only thanks.)"""
    if (gesture := kind_gesture(text)) is not None:
        return gesture
    if is_media_only(text):
        return MEDIA
    s = _plain(text)
    if not s or len(s) > 24:
        return None
    if _THANKS.match(s):
        return THANKS
    if _GREETING.match(s):
        return GREETING
    if _ABOUT.search(s):
        return ABOUT_BOT
    if _ACK.match(s):
        return ACK
    return None
