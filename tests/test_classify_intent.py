"""Asking to know vs asking to act (issue 13 §1): a question whose answer is a fact — who handles it,
whether one may, how long, whether to bring something, where a thing is — is an inquiry even when a
problem is named beside it; a question asking someone to do something is a need. Good news and an
office's reported progress are talk. Phrasings here are not in the training sets."""

from __future__ import annotations

import pytest

from kernel.text.classify import _normalize, classify
from kernel.text.speech import asks_information, tells_good_news


@pytest.mark.parametrize("text", [
    "电动车棚顶上的铁皮掉了 这个归谁管",
    "小区门口的路灯是找物业还是找路灯所",
    "楼顶的太阳能热水器漏水了 公共部分物业管不管",
    "街道说已经报给区里了 那还要等多久",
    "开居住证明需要带房产证吗",
    "咱们这栋楼能不能列入加装电梯的名单",
    "暑托班还有名额吗",
    "新的快递柜在哪里",
    "还要等多久啊",
])
def test_a_question_for_a_fact_asks_information(text: str) -> None:
    assert asks_information(_normalize(text))


@pytest.mark.parametrize("text", [
    "楼道灯坏了三天了 能不能派人来修一下",
    "电梯坏了三天了 还要等多久",
    "楼道灯坏了一个月了 物业到底管不管",
    "我爸腿脚不便 社区能上门帮忙办一下吗",
    "楼下垃圾堆成山了 谁来管管",
    "水管一直滴水 找谁修啊 麻烦看一下",
    "老人去不了大厅 能代办吗",
    "两部电梯天天坏 能不能申请更换",
    "图书室的书太旧了 能不能进点新书",
])
def test_a_request_to_act_is_no_information_question(text: str) -> None:
    assert not asks_information(_normalize(text))


def test_what_an_office_said_it_would_do_is_not_the_residents_request() -> None:
    """"物业说…上门劝" is the office's plan retold; the resident only asks how long."""
    assert asks_information(_normalize("物业说下个月再一起上门处理 那得等到什么时候"))


@pytest.mark.parametrize("text", [
    "电动车棚顶上的铁皮掉了 这个归谁管",
    "小区门口的路灯坏了 是找物业还是找路灯所",
    "街道说已经报给区里了 路面塌的坑还要等多久",
])
def test_who_handles_it_and_how_long_are_inquiries_not_needs(text: str) -> None:
    u = classify(text)
    assert u.intent == "inquiry" and u.question and u.category is None


@pytest.mark.parametrize("text", [
    "3栋楼道灯坏了三天了 能不能派人来修一下",
    "5号楼下水道堵了 物业能不能来通一下",
])
def test_a_request_to_act_stays_a_need(text: str) -> None:
    assert classify(text).intent == "demand"


@pytest.mark.parametrize("text", [
    "门口的违停车都挪走了 现在好走多了",
    "路灯换成新的了 晚上走路放心了",
    "办社保的窗口搬到社区来了 不用跑区里了",
    "物业说已经联系好师傅了 明天来换",
    "新装的充电桩挺好的 点赞",
])
def test_good_news_and_reported_progress_are_talk(text: str) -> None:
    assert tells_good_news(_normalize(text))
    assert classify(text).intent == "chatter"


@pytest.mark.parametrize("text", [
    "路灯换了新的 但是还是不亮",
    "物业说已经修了 可是还在漏",
    "居委会说会来处理 到底什么时候来",
    "楼道太黑了 老人走路很不方便",
    "修好了没几天又坏了 点赞是不可能的",
])
def test_a_problem_left_is_no_good_news(text: str) -> None:
    assert not tells_good_news(_normalize(text))
