"""Urgency as a resident would notice it: a danger happening now is urgent whatever words it comes in;
the same danger words told as news, a notice, a question of what to do, a habit, a wish or a figure of
speech are not. Cases are classes of real wording (tests/data/real_urgent_tune.jsonl and its pages),
never lines of a blind set."""

from __future__ import annotations

import pytest

from kernel.text.classify import classify


def _urgent(text: str) -> tuple[bool, str | None]:
    u = classify(text)
    return u.urgent, u.category


@pytest.mark.parametrize("text, category", [
    # things falling from a facade by themselves, and near misses
    ("24楼一扇大玻璃窗掉下来了 差点砸到人", "safety"),
    ("差点被楼上掉下来的花盆砸到 吓死我了", "safety"),
    ("一大块玻璃砸在我脚边 车后窗也碎了", "safety"),
    ("6号楼顶层的装饰窗被风刮下来了 砸坏两台外机", "safety"),
    ("空调外机从楼上掉下来了 砸中一辆电动车", "safety"),
    ("车顶被砸瘪了 旁边一地花盆碎片 肯定是楼上掉的", "safety"),
    # electric shock
    ("单元门的铁把手带电 刚才电了我一下", "safety"),
    ("小区路灯杆漏电 有个小孩碰了一下倒地了", "safety"),
    ("洗衣机一碰就电人 插头都不敢拔", "safety"),
    # drowning and children over a drop
    ("景观池里有个小孩掉进水里了 快来人", "safety"),
    ("池塘里有个人在扑腾 快拿竹竿", "safety"),
    ("对面5楼有个小孩挂在窗户外面 快报警", "safety"),
    ("孩子爬到阳台护栏上了 家里没大人", "safety"),
    ("小孩脖子被电动门卡住了", "safety"),
    # violence at home, named by the victim
    ("我被我老公打了 脸上都是血 不敢回家", "safety"),
    ("隔壁男的喝醉了又在打老婆 一直在哭", "safety"),
    ("我老公喝多了在家摔东西 还说要揍我", "safety"),
    # falls and people unseen, in other words
    ("景观池边有个大爷倒下了 脸朝下 叫不应", "elderly"),
    ("轮椅连人带车翻在台阶上了 老人起不来", "elderly"),
    ("我外公有老年痴呆 一下午没见人了 到处都找遍了", "elderly"),
    ("超市门口有个老奶奶 不知道自己家在哪", "elderly"),
    # water rising indoors
    ("地下室一直往外冒水 越来越多", "repair"),
    ("一楼家里进水了 已经漫到床边", "repair"),
    ("雨水往车库里灌 车都快泡了", "repair"),
    ("下水道堵了 我家客厅的污水有五六厘米深", "repair"),
    # a call for help is enough by itself
    ("快打119 这边出事了", "safety"),
    ("【求助】3栋楼道好大一股煤气味", "safety"),
    ("电梯困住了 该怎么办 按铃没人理", "repair"),
    ("困了半个小时了 还没人来 电梯一直不动", "repair"),
])
def test_danger_now_in_many_words(text: str, category: str) -> None:
    assert _urgent(text) == (True, category)


@pytest.mark.parametrize("text", [
    # retold news and hearsay
    "朋友圈都在转那个高空坠物砸伤人的视频 吓死人",
    "看新闻说有个小孩在小区泳池溺水了 太心疼了",
    "听说隔壁小区昨天有人触电了",
    "这电影太吓人了 有人被困在电梯里",
    # notices to everyone
    "【温馨提示】冬季用火用电用气多 离家请关好燃气阀门",
    "冬季是一氧化碳中毒高发期 用燃气热水器请开窗通风",
    # a question of what one should do, not a report
    "煤气泄漏了应该先关阀门还是先开窗",
    "燃气泄漏的话正确做法是什么",
    # feared or imagined consequences, risks asked about
    "窗台上摆那么多花盆 掉下去砸到人就麻烦了",
    "景观池底下的灯会不会漏电 孩子们天天在那玩",
    "如果燃气漏了会有什么味道",
    "老人一个人在家 要是摔倒了都没人知道",
    # figures of speech and wishes
    "跑了一天外卖 热得快爆炸了",
    "现在烦躁得想打人",
    "我老公说晚点打我电话",
    # over, or the damage left behind
    "火已经控制住了 大家可以回家了",
    "电线都烧焦了 什么时候能来电啊",
    "小孩自己爬回屋了 吓出一身冷汗",
    "厨房返水 地上全是水 倒了五桶才弄干净",
    # a nuisance from above, not a danger
    "楼上又往下扔烟头 把我晒的被子烫了个洞",
    # habits and a claim about the past
    "一下雨就进水 年年这样 物业也不管",
    "前年小区路灯杆漏电电到我家孩子 现在还能索赔吗",
    "保险公司说高空抛物砸车要有监控才赔",
    "电梯坏在半路 我们困了两个小时 物业一个电话都没有",
    "物业说这电梯不可能困人 大家放心坐",
    "路上积水有十几公分 明天记得穿雨靴",
    "火警电话是119 燃气抢修电话贴在单元门口",
    "楼顶的广告牌被风吹得摇摇晃晃 看着要掉",
])
def test_the_same_words_not_about_danger_now(text: str) -> None:
    assert _urgent(text)[0] is False
