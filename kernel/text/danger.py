"""Danger to a person (violence at home, thoughts of ending one's life): the words that make a 树洞 need
urgent and reach the community admin privately at once.

A small lexicon, matched clause by clause. A word does not count when its own clause negates it
just before ("没有家暴", "我不会想不开的", "他没打我") or talks about the topic rather than a person
("反家暴讲座", "预防轻生的宣传"). The lexicon errs towards recall: a false alarm costs the admin a
minute; a missed one may cost a life. Pure; no I/O.
"""

from __future__ import annotations

import re

# Grouped by kind only for the reader; every word counts the same.
_VIOLENCE = ("家暴", "家庭暴力", "打我", "揍我", "掐我", "踢我", "打老婆", "打媳妇", "打妻子", "打孩子", "打小孩",
             "被打", "被他打", "被她打", "挨打", "虐待", "威胁我", "要杀", "杀了我", "砍我", "拿刀",
             "不让我出门", "关着我", "性侵", "强奸", "猥亵")
_SELF_HARM = ("想不开", "轻生", "不想活", "活不下去", "活着没意思", "自杀", "寻死", "想死", "去死", "跳楼", "跳河",
              "割腕", "安眠药", "喝农药", "结束生命", "了结自己", "一了百了", "撑不下去")
LEXICON: tuple[str, ...] = _VIOLENCE + _SELF_HARM

# Just before the word, in the same clause: it is not happening.
_NEGATION = re.compile(r"(?:没有|没|不是|不会|不要|别|并非|从不|从没|从来没|不再|不曾|未曾|防止|预防|反)\s*$")
# Anywhere in the clause: the topic, not a person in danger.
_TOPIC = re.compile(r"讲座|宣传|普法|培训|知识|课堂|活动|电视剧|电影|新闻|小说|热线电话是")
# Everyday words that contain a danger word: "想死你了" (I miss you), "打我电话" (call me), "被打扰", "杀虫".
_NOT_DANGER = re.compile(r"想死(?:你|您|我了|他|她|大家)|打我(?:电话|手机|的电话)|被打扰|打扰|杀虫|杀菌|杀毒")
_CLAUSES = re.compile(r"[,,。.!!??;;、\n~～]+")


def danger_words(text: str) -> list[str]:
    """The danger words that count in this message, in order of appearance (empty: none)."""
    found: list[str] = []
    for clause in _CLAUSES.split(text or ""):
        if not clause or _TOPIC.search(clause):
            continue
        masked = _NOT_DANGER.sub(lambda m: "□" * len(m.group(0)), clause)
        for word in LEXICON:
            start = masked.find(word)
            while start != -1:
                if not _NEGATION.search(masked[max(0, start - 4):start]):
                    if word not in found:
                        found.append(word)
                    break
                start = masked.find(word, start + 1)
    return found


def is_dangerous(text: str) -> bool:
    return bool(danger_words(text))
