"""The category convention (docs/labelling.md): the training files agree with it, and the classifier
files a need under the office that acts on it when its wording fits two."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kernel.text import train
from kernel.text.classify import classify

DATA = Path(__file__).parent / "data"

# (category, pattern, exception): a demand line matching the pattern (and not the exception) is
# labelled with the category in every file the model learns from (and in real_extra).
RULES = [
    # rule 4: manhole covers are a danger to people, not a repair (sewage out of a manhole is repair)
    ("safety", re.compile(r"(?<!天)井盖"), re.compile(r"冒|污水|脏")),
    # rule 1: fumes from a restaurant are environment (its noise is a neighbour matter)
    ("environment", re.compile(r"(饭店|餐馆|饭馆|面馆|川菜馆|烧烤店|馆子).*(油烟|排烟|烟道|烟囱)"
                               r"|(油烟|排烟|烟道|烟囱).*(饭店|餐馆|饭馆|面馆|川菜馆|烧烤店|馆子)"), re.compile(r"吵|响|声")),
    # rule 8: a room for old people is an elderly service
    ("elderly", re.compile(r"老年活动室|老人没地方"), None),
    # rule 9: papers and insurance are affairs, even for an old person who cannot go out
    ("affairs", re.compile(r"医保|身份证|病历本|常住证明|优待证|高龄补贴"), re.compile(r"助餐")),
    # rule 12: things thrown from height are safety, whoever throws them
    ("safety", re.compile(r"往下扔|扔下来|高空抛物|往下抛|从楼上扔"), None),
]


def _demands(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row["intent"] == "demand"]


def test_training_labels_follow_the_labelling_rules() -> None:
    files = [p for p in train.DEFAULT_FILES if p.exists()] + [DATA / "real_extra.jsonl"]
    off = [(path.name, category, row["category"], row["text"])
           for path in files for row in _demands(path)
           for category, pattern, exception in RULES
           if pattern.search(row["text"]) and not (exception and exception.search(row["text"]))
           and row["category"] != category]
    assert not off, off


def test_category_training_lines_name_their_sources() -> None:
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    sources = set(re.findall(r"^\| (C-\d+) \|", text, re.M))
    rows = [json.loads(line) for line in (DATA / "category_train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 70
    assert all(row["src"] in sources for row in rows)
    assert all(row["category"] is None for row in rows if row["intent"] != "demand")
    assert (DATA / "category_train.jsonl") in train.REAL_FILES


@pytest.mark.parametrize(("text", "category"), [
    ("12栋后面的井盖裂了一条大缝 小孩天天在那跑", "safety"),                  # rule 4, not repair
    ("路边井盖翘起来了 电动车压上去差点翻", "safety"),                        # rule 4
    ("楼上空调水一直滴在我家窗台上 跟他说了好几次也不管", "neighbor"),        # rule 3, not repair
    ("社区能不能给老人弄个活动室 冬天没地方下棋", "elderly"),                  # rule 8, not culture
    ("我妈卧床出不了门 医保卡过期了能不能上门办", "affairs"),                  # rule 9, not elderly
    ("交了物业费楼道没人扫 保洁好几天不来", "property"),                      # rules 6-7, not environment
    ("3栋电梯又坏了 快来修", "repair"),
    ("楼上又往下扔烟头 把我晾的衣服烫了个洞", "safety"),                      # rule 12, not neighbor
    ("化粪池堵了 污水从井口往外冒", "repair"),                                # rule 13, not environment
])
def test_a_need_goes_to_the_office_that_acts_on_it(text: str, category: str) -> None:
    u = classify(text)
    assert (u.intent, u.category) == ("demand", category)
