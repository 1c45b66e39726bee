"""The bench's generated traffic, shared by the router and wechaty modes of `gridbot bench`: the demo
community scaled to N grids, 90 % chatter and 10 % actionable messages."""

from __future__ import annotations

import random
import resource
from datetime import datetime
from pathlib import Path

from kernel.config import Config, parse_config
from kernel.message import IncomingMessage

ROOT = Path(__file__).resolve().parents[1]

CHATTER = [
    "大家早上好", "👍👍👍", "今天的菜好便宜啊", "明天要降温了,大家多穿点", "收到", "[图片]", "谢谢网格员",
    "哈哈哈哈", "有人知道快递柜怎么开吗", "楼下超市今天打折", "晚上一起跳广场舞吗", "好的好的", "[视频]",
    "孩子作业太多了", "下雨了记得收衣服", "谁家的猫跑出来了", "🌹🌹", "今天天气真好", "刚买的橘子很甜",
]
ACTIONABLE = [
    "@小助手 {b}栋电梯又坏了,困了好久", "@小助手 {b}号楼门口垃圾堆了三天没人清", "报修 {b}栋楼道灯不亮",
    "预约 钢琴房 明天下午3点到5点", "我的预约", "报名 反诈讲座 2人", "我的报名", "@小助手 帮助",
    "@小助手 {b}栋有人在楼道飞线充电", "@小助手 健身房几点关门",
]


def bench_config(groups: int) -> Config:
    """The demo community scaled to `groups` grids, each with its own family group and worker."""
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    head = example.split("# -------------------------------------------------------------------- grids and people")[0]
    rooms = example[example.index("\n[[rooms]]\n"):example.index("\n[needs]\n")]   # capability sections: defaults
    parts = [head]
    for i in range(1, groups + 1):
        parts.append(f'[[grids]]\nnumber = {i}\ngroup = "网格{i}一家亲"\nbuildings = [{i}]\nworker = "w{i}"\n')
        parts.append(f'[[workers]]\nid = "w{i}"\nname = "网格员{i}"\ngrid = {i}\n')
    parts.append('[[admins]]\nid = "wx_li"\nname = "李书记"\n')
    parts.append('[[departments]]\nname = "城管科"\ncontact_id = "wx_cg"\nack_minutes = 30\n')
    parts.append(rooms)
    return parse_config("\n".join(parts), ROOT / "bench.toml")


def traffic(config: Config, n: int, groups: int, seed: int = 7) -> list[IncomingMessage]:
    rng = random.Random(seed)
    now = datetime.now(config.timezone)
    msgs = []
    for i in range(n):
        g = rng.randint(1, groups)
        person = f"r{g}_{rng.randint(1, 300)}"
        if rng.random() < 0.10:
            text = rng.choice(ACTIONABLE).format(b=g)
            if rng.random() < 0.1:
                person, text = f"w{g}", "待办"
        else:
            text = rng.choice(CHATTER)
        topic = f"网格{g}一家亲"
        msgs.append(IncomingMessage(id=f"bench-{i}", account=config.bot_id, channel="bench", sender_id=person,
                                    sender_name="居民", text=text, at=now, group_id=topic, group_topic=topic,
                                    mentions_bot=text.startswith("@")))
    return msgs


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
