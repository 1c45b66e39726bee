"""热词 for staff: what residents' needs are *about* (电梯, 下水道, 噪音, 路灯), not how they say it.

jieba's part-of-speech tags drop whole classes of filler at once — quantities and durations (几天,
三天, 好久), pronouns and question words (什么, 我家, 啥时候), adverbs (一直, 已经) — and a short list
plus two patterns catch the filler verbs people wrap every complaint in (坏了, 不能, 有没有, 来修,
没人管). A word counts once per text, so one resident repeating "臭臭臭" makes no hot word."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from kernel.text.normalize import clean

# Tags whose words never name a topic: numerals/quantities, pronouns, adverbs, prepositions,
# conjunctions, particles, modal particles, interjections, onomatopoeia, time words.
_FILLER_TAGS = ("m", "mq", "q", "r", "rr", "rz", "d", "p", "c", "u", "ud", "ug", "uj", "ul", "uv", "uz", "y", "e",
                "o", "t", "tg", "f")
# Person names (张桂芳, 刘 + 红梅, 孙师傅): never a topic, and a name counted once points straight at a resident.
_NAME_TAGS = ("nr", "nrfg", "nrt")
FILLER = frozenset("""
    坏了 坏掉 坏 不能 不行 不会 不要 不了 有没有 能不能 是不是 会不会 要不要 行不行 可不可以 没人 没人管 没人修 没人来
    没人理 有人 人管 人来 来人 来修 来看 修一下 看看 看一下 一下 一点 什么 怎么 怎么办 怎么回事 为啥 为什么 啥时候
    什么时候 时候 几天 好几天 好久 很久 半天 希望 建议 麻烦 帮忙 帮助 安排 组织 处理 解决 清理 修理 维修 修好 反映
    问题 情况 事情 严重 厉害 太大 已经 一直 总是 老是 经常 特别 非常 真的 实在 有点 好像 可能 应该 需要 影响 导致
    天天 每天 现在 今天 昨天 明天 谢谢 感谢 你好 您好 小区 社区 网格 小助手 我家 我们 大家 居民 业主 邻居 师傅 赶紧
    尽快 马上 门口 一直在 还是 又 了 出现 发现 知道 觉得 感觉 说 看 弄 搞 想 要 能 会 用 做 去 来 有 没 在 是
""".split())
_A_NOT_A = re.compile(r"^(.)[不没]\1")                       # 有没有, 能不能, 是不是 …
_DOUBLED = re.compile(r"^(.)\1$")                               # 管管, 看看 (a verb; 奶奶 and 宝宝 stay)
_DURATION = re.compile(r"^[好几一两二三四五六七八九十半多\d]+(天|周|个月|月|年|次|回|遍|小时|分钟|个)$")
_HAS_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_PLACEHOLDER = re.compile(r"\[[^\[\]]{1,8}\]|@\S+")


def is_filler(word: str, tag: str = "") -> bool:
    return (len(word) < 2 or word in FILLER or tag in _FILLER_TAGS or tag in _NAME_TAGS or not _HAS_WORD.search(word)
            or bool(_A_NOT_A.match(word)) or bool(_DURATION.match(word))
            or (tag.startswith("v") and bool(_DOUBLED.match(word)))
            or word.startswith(("没人", "有人")) or word[0].isdigit())


def _tagger():  # type: ignore[no-untyped-def]
    """jieba's part-of-speech cutter over the service's initialised tokenizer (built once: it is slow)."""
    import jieba.posseg as pseg     # lazy: only the 热词 paths pay for jieba

    from kernel.text.jieba_setup import tokenizer
    tokenizer()                     # jieba.dt with the community dictionary; pseg.dt wraps it
    return pseg.dt


def is_person_name(word: str) -> bool:
    """jieba reads the word, alone, as a person's name (张桂芳, 红梅): keep it out of word lists staff share."""
    return any(w.flag in _NAME_TAGS for w in _tagger().lcut(word))


def topic_words(text: str) -> list[str]:
    """The words of one text that name what it is about, in order, each once."""
    s = _PLACEHOLDER.sub(" ", clean(text).lower())
    words = _tagger().lcut(s)
    return list(dict.fromkeys(w.word for w in words if not is_filler(w.word, w.flag)))


def hot_words(texts: Iterable[str], top: int = 20) -> list[tuple[str, int]]:
    """The `top` topic words over many texts, most frequent first (ties: first seen)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(topic_words(text))
    return counts.most_common(top)
