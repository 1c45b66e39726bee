"""The pure readers of the events capability: party sizes, 接龙 lists, publish commands, masking."""

from __future__ import annotations

from datetime import datetime

import pytest

from kernel.identity import Person, Role
from handlers.events import match_plus_one, parse_groups, parse_options, parse_publish
from texts.events import mask_name
from handlers.jielong import looks_like_list, parse_continuation, parse_list, parse_party
from models.events import parse_code, person_key, rank_events, title_score


@pytest.mark.parametrize("text,size", [
    ("报名 花灯 2人", 2), ("两个人", 2), ("3位", 3), ("中秋做花灯我报名,两个大人一个小孩", 3),
    ("报名反诈讲座,带我老伴一起", 2), ("我和老伴", 2), ("带老伴和孙子", 3), ("带两个孩子", 3),
    ("老两口", 2), ("一家三口", 3), ("2大1小", 3), ("一大一小", 2), ("我们3个", 3), ("共3人 带老伴", 3),
    ("0人", 0), ("50人", 50), ("报名 花灯", None), ("11月27日14:30", None), ("网格3", None),
    ("三年级以下 1.5岁", None), ("多功能厅 名额30", None),
])
def test_party_sizes_as_people_write_them(text: str, size: int | None) -> None:
    assert parse_party(text).size == size


def test_party_words_are_taken_out_of_the_rest() -> None:
    assert parse_party("报名 花灯 2人").rest == "报名 花灯"
    assert "老伴" not in parse_party("报名反诈讲座,带我老伴一起").rest


@pytest.mark.parametrize("text,size", [("张三+1", 2), ("张三 +2", 3), ("张三 x2", 2), ("张三*3", 3),
                                       ("张三+1天", None), ("王芳(2人)", 2)])
def test_list_line_extras(text: str, size: int | None) -> None:
    assert parse_party(text, entry=True).size == size or text == "王芳(2人)"


def test_a_pasted_list_with_every_numbering_style() -> None:
    text = "#接龙\n中秋花灯\n例 张三 2人\n1. 张三\n2. 李四 2人\n3.王芳\n4、赵六(3栋) 2大1小\n5 孙七\n带孙子\n6王五\n7)钱八"
    lst = parse_list(text)
    assert lst is not None and lst.title == "中秋花灯"
    assert [(e.number, e.name, e.party_size) for e in lst.entries] == [
        (1, "张三", None), (2, "李四", 2), (3, "王芳", None), (4, "赵六", 3), (5, "孙七", 2), (6, "王五", None),
        (7, "钱八", None)]
    assert lst.entries[3].note == "3栋"


def test_english_client_group_note_and_loose_headers() -> None:
    lst = parse_list("#Group Note\nAnti-fraud talk\n1. Lily\n2. 王芳 2人")
    assert lst is not None and lst.title == "Anti-fraud talk" and [e.name for e in lst.entries] == ["Lily", "王芳"]
    lst = parse_list("#接龙 反诈讲座\n1. 冯女士 2人")
    assert lst is not None and lst.title == "反诈讲座" and lst.entries[0].party_size == 2
    lst = parse_list("中秋花灯接龙\n1. 张三")
    assert lst is not None and lst.title == "中秋花灯"
    assert parse_list("#接龙\n反诈讲座") is not None and parse_list("#接龙\n反诈讲座").entries == []


def test_not_lists() -> None:
    assert not looks_like_list("3栋电梯坏了")
    assert not looks_like_list("#话题 今天天气\n很好")
    assert not looks_like_list("接龙 王芳 2人")
    assert parse_continuation("3栋电梯坏了") is None
    assert parse_continuation("12栋王芳 2人") is None
    assert [e.name for e in parse_continuation("7. 孙七\n8、周八 2人")] == ["孙七", "周八"]


@pytest.mark.parametrize("name,masked", [("张三芳", "张*芳"), ("王芳", "王*"), ("欧阳明", "欧*明"),
                                         ("司马相如", "司**如"), ("Lily", "L**y"), ("张", "*")])
def test_masking(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_person_keys_and_codes() -> None:
    assert person_key("王 芳 ") == person_key("王芳") == person_key("王芳~")
    assert parse_code("签到 E101") == 1 and parse_code("e102") == 2 and parse_code("B101") is None
    assert parse_code("E100") is None


def test_fuzzy_titles() -> None:
    class E:   # only .title is read
        def __init__(self, title: str) -> None:
            self.title = title

    lamp, talk, health = E("中秋做花灯"), E("反诈讲座"), E("健康讲座")
    assert rank_events("花灯", [lamp, talk, health]) == [lamp]
    assert rank_events("中秋花灯", [lamp, talk, health]) == [lamp]
    assert rank_events("反诈", [lamp, talk, health]) == [talk]
    assert set(map(id, rank_events("讲座", [lamp, talk, health]))) == {id(talk), id(health)}
    assert rank_events("团购橙子", [lamp, talk, health]) == []
    assert title_score("花", "中秋做花灯") == 0


class _V:
    def __init__(self, text: str) -> None:
        self.text = text


@pytest.mark.parametrize("text,party", [("+1", 0), ("+1 两个人", 2), ("我也去", 0), ("算我一个", 0), ("我也去,带孩子", 2),
                                        ("+1!", 0), ("我也报名👍", 0)])
def test_plus_one_forms(text: str, party: int) -> None:
    assert match_plus_one(_V(text)) == party  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["+1天", "我也去看看", "+10", "我也是", "+1 明天再说", "12+1=13"])
def test_plus_one_does_not_catch_chatter(text: str) -> None:
    assert match_plus_one(_V(text)) is None  # type: ignore[arg-type]


def test_publish_fixed_form(config) -> None:
    tz = config.timezone
    now = datetime(2026, 11, 24, 10, 0, tzinfo=tz)
    sun = Person("wx_sun", "孙网格员", Role.WORKER, 3)
    req = parse_publish("反诈讲座 11月27日14:30 多功能厅 名额30 截止 11月27日12:00 群 网格3", now, sun, config)
    assert not isinstance(req, str)
    assert req.spec.title == "反诈讲座" and req.spec.place == "多功能厅" and req.spec.capacity == 30
    assert req.spec.starts_at == datetime(2026, 11, 27, 14, 30, tzinfo=tz)
    assert req.spec.deadline == datetime(2026, 11, 27, 12, 0, tzinfo=tz)
    assert req.groups == ["网格3一家亲"] and req.room == "多功能厅"
    # every option, in another order; 中秋 in the title is not a date
    req = parse_publish("中秋做花灯 11月28日 14:00-16:00 亲子活动室 29.9元 每户限3人 名额20 备注 5岁以上 材料费已含 群 网格1,网格2",
                        now, sun, config)
    assert not isinstance(req, str)
    assert req.spec.title == "中秋做花灯" and req.spec.starts_at.day == 28 and req.spec.ends_at.hour == 16
    assert (req.spec.fee_text, req.spec.fee_cents, req.spec.per_signup_limit) == ("29.9元", 2990, 3)
    assert req.spec.note == "5岁以上 材料费已含" and req.groups == ["网格1一家亲", "网格2一家亲"]
    # defaults: a worker's own grid; 免费; 限N人 without 名额 is the capacity
    req = parse_publish("亲子阅读 明天下午3点 书画室 限15人 免费", now, sun, config)
    assert not isinstance(req, str)
    assert req.spec.capacity == 15 and req.spec.per_signup_limit is None and req.spec.fee_text == "免费"
    assert req.groups == ["网格3一家亲"]
    admin = Person("wx_li", "李书记", Role.ADMIN)
    req = parse_publish("亲子阅读 明天下午3点 书画室 名额15 限2人", now, admin, config)
    assert not isinstance(req, str) and req.spec.per_signup_limit == 2 and len(req.groups) == 3


@pytest.mark.parametrize("rest,says", [
    ("反诈讲座 多功能厅 名额30", "没看懂活动时间"), ("反诈讲座 11月27日 多功能厅 名额30", "几点开始"),
    ("反诈讲座 11月27日14:30 多功能厅", "名额"), ("反诈讲座 11月27日14:30 名额30", "地点"),
    ("反诈讲座 11月27日14:30 多功能厅 名额30 群 网格9", "没有找到群"),
    ("反诈讲座 11月20日14:30 多功能厅 名额30", "已经过去"),
    ("反诈讲座 11月27日14:30 多功能厅 名额30 截止 后年", "截止"),
])
def test_publish_bad_input_says_what_would_work(config, rest: str, says: str) -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=config.timezone)
    sun = Person("wx_sun", "孙网格员", Role.WORKER, 3)
    out = parse_publish(rest, now, sun, config)
    assert isinstance(out, str) and says in out


def test_groups_and_options(config) -> None:
    assert parse_groups("全部", config) == ([g.group for g in config.grids], [])
    assert parse_groups("网格1、3", config) == (["网格1一家亲", "网格3一家亲"], [])
    assert parse_groups("网格2一家亲 隔壁群", config) == (["网格2一家亲"], ["隔壁群"])
    opts = parse_options("免费理发 明天 会议室 名额10 确认2小时")
    assert opts.fee is None and opts.free.startswith("免费理发") and opts.confirm_hours == 2
