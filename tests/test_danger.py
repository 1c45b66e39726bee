"""The danger lexicon behind urgent 树洞 needs (kernel/text/danger.py): words that count, and the
negated or topical uses that must not raise a false alarm."""

from __future__ import annotations

import pytest

from kernel.text.danger import danger_words, is_dangerous


@pytest.mark.parametrize("text, word", [
    ("他又喝醉了打我,我不敢回家", "打我"),
    ("老公家暴我好几年了,5栋302", "家暴"),
    ("我真的不想活了", "不想活"),
    ("最近总想轻生,晚上睡不着", "轻生"),
    ("孩子说想跳楼,我很害怕", "跳楼"),
    ("感觉活不下去了", "活不下去"),
    ("他拿刀威胁我", "拿刀"),
    ("我没事,就是他昨天又打我了", "打我"),       # a negation in another clause does not cancel it
])
def test_danger_is_found(text: str, word: str) -> None:
    assert word in danger_words(text)


@pytest.mark.parametrize("text", [
    "没有家暴,就是吵架声音大",
    "我不会想不开的,放心",
    "他没打我,只是骂人",
    "社区反家暴讲座几点开始",
    "预防轻生的宣传海报贴在哪",
    "好久不见,想死你了",
    "有事打我电话",
    "晚上总被打扰睡不着",
    "小区什么时候杀虫",
    "楼上每天半夜蹦迪",
    "",
])
def test_everyday_words_are_not_danger(text: str) -> None:
    assert not is_dangerous(text), danger_words(text)
