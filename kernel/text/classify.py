"""Understanding a resident's chat message: intent, category, urgency and building.

Three parts, each built to carry over to wording nobody wrote down before:

1. **Urgency** (`kernel.text.urgent`): families of danger patterns built from parts residents
   combine (a gas source + a smell, a lift + someone inside, someone + a fall...), with the
   clause-level checks that take a danger away (negated, feared, past, a drill, over).
2. **Lexicon rules** (this module): the text is normalised (NFKC, lower case, @-mentions
   removed) and scanned once, left to right, for the longest lexicon entry at each position.
   Every entry carries weighted features (category evidence, a wish, a booking verb, a room,
   a signup cue, a question about facts, chatter...). Explicit rules then reach a verdict and
   say which rule decided (`_Rules.path`).
3. **A logistic regression over character n-grams** (`kernel.text.linear`, fitted from the
   labelled sets by `python -m kernel.text.train` into `linear_model.txt`): it reads wordings
   the lexicon does not list, with the rules' verdict and cues among its features, so it learns
   how far each rule is worth trusting. A line no rule speaks for is chatter unless the model
   is sure (`UNCUED_CONFIDENCE`): chatter is most of a group's traffic. The category adds the
   lexicon's category scores to the model's; a message the model reads as an emergency is
   urgent when a danger family is present in a live clause.

Then the speech act (`kernel.text.speech`): a rating, a progress question, thanks, a greeting,
a question about the bot; questions ("后天停电吗", "在哪填") and a worker's commands are never
needs.

Pure: the lexicons and the model load once at import; a message costs tens of µs (chatter)
to a few hundred µs, no I/O. jieba is used only by `tokens()` / `hot_words()` (merging similar
needs, hot words), which are not on the per-message path of the router.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from kernel.text.linear import Linear, ngrams, softmax, words
from kernel.text.linear import load as load_model
from kernel.text.mentions import complains_about_worker
from kernel.text.normalize import clean
from kernel.text.numbers import cn_to_int
from kernel.text.speech import asks_information, speech_act, tells_good_news
from kernel.text.speech import rating as rating_of
from kernel.text.urgent import detect as detect_urgent
from kernel.text.urgent import plausible as plausible_urgent
from kernel.text.urgent import told as told_of_danger

INTENTS = ("demand", "booking", "signup", "inquiry", "chatter")
CATEGORIES = (
    "repair", "environment", "safety", "elderly", "childcare", "employment", "culture",
    "neighbor", "legal", "affairs", "convenience", "property", "other",
)


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: str
    category: str | None
    urgent: bool
    building: int | None
    # A question to answer (hours, "后天停电吗", "怎么预约", "我的报修"), never a need to file.
    question: bool = False
    # progress | rating | thanks | greeting | about_bot | media (kernel.text.speech), else None.
    speech_act: str | None = None
    # With speech_act "rating": 1 满意, 2 基本满意, 3 不满意.
    rating: int | None = None

    def as_json_dict(self, text: str) -> dict[str, object]:
        """The CONTRACTS §2 object for `gridbot classify`."""
        return {"text": text, "intent": self.intent, "category": self.category,
                "urgent": self.urgent, "building": self.building}


# --------------------------------------------------------------------------------------
# Lexicons. Each block is "weight: word word ...". A weight of 3 or more marks a problem or
# a need (it can make a message a demand); lower weights are topic words that only choose
# the category ("电梯", "老人", "物业"), so chatter that merely mentions them stays chatter.
# The scan takes the longest entry at each position, so phrases that must not fire a
# shorter cue are listed too, with weight 0 when they mean nothing ("门口", "工作人员").
# --------------------------------------------------------------------------------------

_PROBLEM_WEIGHT = 3.0

_CATEGORY_WORDS: dict[str, str] = {
    "repair": """
        4: 漏水 渗水 漏雨 滴水 返水 反水 冒水 冒脏水 停水 停电 没水 没电 断水 断电 不亮 不出水
           打不着火 点不着火 不制冷 不制热 不热 跳闸 报修 维修 异响 漏了 生锈 锈了 裂缝 开裂 塌陷
           积水 水压 没热水 铁锈 锈味 水质 修一下 修理 来修 没人修 一闪一闪 忽明忽暗 没信号 掉漆 没声音 一滩水 漏
        3: 下水道 下水管 水管 管道 暖气 闭门器 道闸 防水 滴答 坑 窨井
        1.5: 坏了 坏掉 坏的 坏 又坏 损坏 失灵 故障 出毛病 罢工 卡住 堵了 堵住 堵塞 不通 不动了 停了
           裂了 塌了 碎了 断了 破了 掉了 歪了 松了 翘起来 起鼓 老化了 不灵 不转 黑了 不走 出问题
           打不开 关不上 关不紧 锁不上 刷不开 往下掉
        2: 电梯 路灯 声控灯 楼道灯 感应灯 门禁 充电桩 门锁 密码锁 单元门 防盗门 卷帘门 对讲 水箱 水泵
           水龙头 阀门 总阀 天花板 楼梯扶手 台阶 地砖 人行道 路面 空调 灯 窗户 玻璃 屋顶 墙皮 墙面
           健身器材 器材 开关 插座 电表 水表 电表箱 修 管子 线路 门 燃气表 天然气表 显示屏 年检 墙
           信报箱 邮箱 井
        1: 楼道 地下室 车库 顶楼 楼梯
        0: 门口 出门 敲门 部门 专门 大门口 上门 坑人 修改 雨停了 停车 监控室 消防车 摔坏
    """,
    "environment": """
        4: 垃圾 垃圾桶 垃圾站 垃圾房 垃圾箱 清运 臭气 异味 发臭 恶臭 臭烘烘 臭死 腥臭 尿骚 狗屎 狗粪
           屎 粪 便便 粪便 没人扫 没扫 没打扫 杂草 落叶 蚊子 苍蝇 老鼠 蟑螂 孑孓 毛毛虫 虫子 白蚁
           消杀 灭鼠 灭蚊 打药 喷药 死鱼 死老鼠 污水 脏水 黑臭 烟头 有烟头 乱扔 乱丢 乱倒 乱堆
           乱停乱放 贴满 剩饭 装修垃圾 建筑垃圾 扬尘 化粪池 满出来 溢出来 小广告 小卡片 牛皮癣 卫生死角
           脏乱差 脏乱 环境卫生 油烟 白色垃圾 积灰 浇粪 熏死 毁绿 种菜 狗尿 排污 发黑 臭 泔水 狗便
           枯死 补种 渣土车 渣土 垃圾场 秃了 踩坏
        3: 脏 打扫 修剪 没人收 没清 泥
        2: 卫生 保洁 树叶 外卖盒 灰尘 绿化带 绿化 河道 池塘 河里 厕所 公厕 花坛 草坪 味道 灰 水沟
           共享单车 遛狗 垃圾分类 树
    """,
    "safety": """
        5: 飞线充电 安全隐患 漏电 私拉乱接 占用消防通道 楼道堆物 高空坠物
        4: 飞线 拉电线 拉线充电 带上楼 上楼充电 楼道充电 家里充电 回家充电 拎回家 消防通道 灭火器
           隐患 不安全 陌生人 可疑 外来人员 小偷 被偷 偷走 被人拿走 被拿走 盗窃 露铜 私拉 乱拉 烧纸 烧东西
           焚烧 煤气罐 液化气 堆物 推进电梯 进电梯 治安 打架 斗殴 危险 掉下来 脱落 坠落 消防门
           防火门 安全出口 缺口 孔明灯 砸人 砸伤 掀开 吹翻 刮倒 吹倒 着起来 烧塑料 不堪设想
           救生员 溺水 野狗 咬人 疯狗 坏人 吓人 堆满 晃悠 没人看 没有围栏 护栏断 栏杆断 改装 天台
           随便上去 斑马线 车开得飞快 超速 划伤 割伤 扎伤 减速带 冲得很快 开得很快
        6: 砸到人
        4.5: 井盖 沙井盖 下水道井盖 窨井盖
        3: 电瓶车 电池 电线 老化 插线板 配电箱 电箱 配电房 瓷砖 外墙 松动 堆放 杂物 泡沫箱
           推销 消防栓 鞭炮 烟花 燃放 挡着 堵死 随便进 砸到 护栏 栏杆 围栏
        2.5: 消防
        2: 电动车 充电 围墙 监控 摄像头 大树 铁皮 车棚 安全 报警 防盗 纸板 纸箱 外面的人
        0: 防诈骗 反诈 防骗
    """,
    "elderly": """
        5: 居家养老 日间照料 老年痴呆 助老 适老化 紧急呼叫 呼叫器 独居老人 空巢老人 孤寡老人 孤老
        4: 独居 孤寡 空巢 养老 助餐 助餐卡 老年餐 助浴 轮椅 陪护 照料 痴呆 失能 中风 瘫痪 卧床
           行动不便 腿脚不好 腿脚不便 腿不好 高龄 长者 敬老 不会用手机 一个人住 子女在外地 助听器
           上门医生 家庭医生 老年活动室 上门护理 不方便出门 不灵便 出院 换药 阿尔茨海默 托老所 养老院 敬老院 照顾不过来 没人照顾
        3: 老年人 扶手 护理 糖尿病 高血压 慢性病 挂号
        2.5: 老人 老人家 老年 老爷子 老太太 老大爷 老伴 老母亲 老父亲 拐杖 血压 智能手机
        2: 爷爷 奶奶 外婆 外公 姥姥 姥爷 大爷 阿婆 体检 上门 麻将
    """,
    "childcare": """
        5: 作业辅导 辅导作业 双职工 没人带 没人接 接孩子 没地方送
        4: 放学 育儿 早教 幼儿园 哺乳 喂奶 婴儿 写作业 看护 游乐设施 青春期 打游戏 玩手机 看手机 宝妈
        3: 儿童
        3: 游乐 小学生 中学生 家长
        2.5: 滑梯 滑滑梯 秋千 带娃 托管 托育 托班 托管班 托儿所 四点半课堂 母婴室 儿童活动室 夏令营 冬令营
        2: 孩子 小孩 娃 小朋友 寒假 暑假 二宝 辅导 亲子 学生 宝宝 疫苗 儿子 女儿
    """,
    "employment": """
        5: 找工作 想找份 找个活 哪里招 重新上班 想上班 出来上班 就业 失业 下岗 招聘 招聘会 求职 技能培训 职业培训 补贴培训 就业帮扶 灵活就业 电工证
           家政培训 创业 兼职 岗位 找活 找份 招人 打工 找到活 再就业 工作机会
        4: 考证 考个 电焊 育婴师 月嫂 实习 简历 面试 直播带货 手艺 开店 培训班 培训 拿证 活干 小生意
           创业贷款 美甲 厨师 的活 赚钱 挣钱 上班的
        3: 工作 毕业 收入
        2: 贷款
        2: 想学 学个
        0: 工作人员 工作日 工作群 工作时间
    """,
    "culture": """
        3: 无聊 新书 太少了 太旧
        2.5: 联欢 联欢会 葫芦丝 二胡 古筝 吉他 口琴 阅览室 请人来教 比赛 联赛 合唱队 合唱团 露天电影 文艺 文体 晚会 演出 英语角 读书会 兴趣班 球赛 戏曲
           京剧 非遗 书法课 国画课 书法班 游园会 灯谜 猜灯谜 文化活动 毛笔字 健身步道 篮球架
        2: 广场舞 合唱 舞蹈 太极 太极拳 书法 国画 书画 绘画 画画 摄影 图书 图书室 电影 体育 羽毛球
           篮球 乒乓球 象棋 围棋 棋牌 讲座 国学 诗词 乐器 唱歌 跳舞 手工 文化 课程 排练 运动会 步道
           球场 足球 跑步
        1: 运动 健身 活动 的活动
    """,
    "neighbor": """
        5: 说了也没用 说了也不 说了不听 说也不听 说了没用 调解 评理 评评理 吵起来 邻里纠纷 不道歉 说了好几回
           说了好几次 说了几次 跟他讲 跟他说 跟他家说 跟她说 往我家 占我
        4: 吵架 噪音 扰民 蹦迪 跺脚 打鸣 狗叫 矛盾 骂人 凶人 空调外机 拴绳 砸墙 电钻 养鸡
           流我家 流到我家 滴到我家 飘我家 飘到我家 飘进我家 渗到我家 吹到我家 倒在我家 全飘我家
           不听 不改 不理 吵 跑跳 偷看 摔东西 堆在我家 天天叫 轰轰响 睡不着 对着我家 圈成 拍球 咚咚
           自己家的 改成 停在我家门口 放我家门口 堆我家门口
        3: 楼上楼下 大狗 沟通 骂
        2.5: 邻居 对门 隔壁
        1: 鸽子
        3: 我家门口
        2: 楼上 半夜 装修 占了 对面楼 望远镜 过道 养了 住户 私自 主人
    """,
    "legal": """
        5: 打官司 官司 诉讼 维权 仲裁 劳动仲裁 欠薪 拖欠 工伤 离婚 抚养费 赡养 继承 遗嘱 遗产 起诉
           告他 应诉 家暴 被骗 欠钱 钱不还 合同纠纷 跑路 合法吗 违法吗 能告吗 告他们 包工头
           赔钱 不赔 赔偿 讨说法 说理
        4: 押金 合同 协议 借钱 借款 不还 骗 诈骗 纠纷 公证 违法 合法 判决 房东 中介 工资
           被车撞 告 债 欠债 还钱 退钱 学费 坑了 开发商 商家 不认账 裁员 补偿 缩水
        2.5: 律师 法律 法律援助
        2: 老板 对方
        1: 法律顾问 投诉
        0: 广告 告诉 报告 公告 通告 告知 告别
    """,
    "affairs": """
        5: 户口 上户口 落户 身份证 居住证 居住证明 开证明 医保卡 社保卡 退休认证 低保 残疾证 补办
           年审 在哪里办 在哪办 去哪办 去哪里办 哪里办 怎么办理 需要什么材料 要什么材料 需要带什么
           要带什么 门牌号 公积金 出生证 出生医学证明 准生 结婚证 优待证 老年证 营业执照 盖章 社保
           医保 断缴 养老保险 养老金 津贴 手续 政务 护照 无犯罪记录 上牌 资格认证 独生子女 去哪申请
           哪里申请 在哪申请 怎么申请 流程 能补吗 证丢了 居住登记 申领 怎么领 能办
        4: 证明 退休 认证 证件 办证 材料 办理 登记 派出所 迁移 不动产 房产证 补交 续费 激活 生育 申请
        2: 证 补贴 入学 上学 办事
        0: 保证 证据
    """,
    "convenience": """
        5: 快递柜 家政 保姆 钟点工 修手机 修鞋 修自行车 修家电 修拉链 换鞋跟 配钥匙 磨刀 改衣服
           缝裤脚 配眼镜 售水机 充电宝 便民 跑腿 代买 早市 菜市场 洗衣店 干洗 理发 修冰箱 修洗衣机
           修热水器 修电脑 修空调 宽带 晾晒 剪头 开锁 换锁 回收 旧家电
           早餐 早餐摊 代收 快递点 水电费 做饭的阿姨 家政阿姨
        4: 缴费 交费 怎么交 在哪交 能交 营业厅 打印 复印 药店 超市 买菜 附近有没有 附近哪里 附近哪有 修车
           做饭 请个
        2: 快递 水费 电费 师傅 冰箱 家电
        1: 燃气费 推荐
    """,
    "property": """
        6: 物业经理 物业不管 物业不作为 换物业 物业不负责 物业还不处理 物业也不处理 物业不修 物业就是不修 物业看了不修
        5: 不作为 推三阻四 踢皮球 走过场 推脱 敷衍
        5: 物业费 物业公司 物业电话 物业管理 物业管家 业主大会 维修基金 公共收益 乱收费 停车费
           车位租金 公开账目 广告费 收了钱 不干活 人手不够 服务太差 服务差 保安 管家 不公布 物业的账
        4: 月卡 涨价 账目 公示 停车位 收钱 门卫 换掉 租给 卖给 态度
        3: 业主 承包 收费还贵 收费太贵 不提前
        3: 业委会
        2: 物业 车位 收费 涨了 绿地 公布 找不到人
    """,
}

# Problems that name no category ("关不紧" etc. are also found by _POTENTIAL_RE below).
_PROBLEM_WORDS = """
    3: 坏了 坏掉 坏的 坏 又坏 损坏 失灵 故障 出毛病 罢工 卡住 堵了 堵住 堵塞 不通 不动了 停了 裂了
       塌了 碎了 断了 破了 掉了 歪了 松了 翘起来 起鼓 老化了 不灵 不转 黑了 不走 出问题 打不开 关不上
       关不紧 锁不上 刷不开 往下掉 过期 不处理 太旧 看不见 照顾不过来 太贵 开着 全是 到处是 到处都是
       过不去 不舒服 没地方 缺个 缺少 太少 不能用 用不了 态度太差 退不了
    3: 受不了 太吓人 很危险 好几天了 一个星期了 半个月了 没人处理 不方便
    3: 推三阻四 推来推去 踢皮球 一拖再拖 扯皮 不当回事 乱跑 不拴绳 没拴绳 不牵绳 没牵绳 没拴 鸡叫 散养 鸡屎 鸡粪
       不是办法 不是个办法 不是长久之计
    2: 三天两头 好几天 好久 好多天 几天了 影响 不敢 担心 很担心 害怕 难受 太差
    1: 一直 天天 老是 总是 经常 每天
"""

# Wishes and complaints addressed to the community: they make a message a demand.
_WISH_WORDS = """
    4: 希望 建议
    3: 能不能 能否 可不可以 可否 请求 求助 投诉 反映 没人管 没人理 管管 管一管 社区能
       社区有没有 急需 呼吁 怎么办 咋办 咋整 怎么整 怎么处理 处理一下 来看看 来看一下 来看下 来处理
       就好了 帮帮忙 有推荐吗 谁能 谁来管 有没有 哪家靠谱 有没有合适的 能来
       找谁修 找谁处理 找谁反映 找谁投诉 找谁管 找谁办
    3: 搞个 办个 弄个 组织个 组个 想找
    2: 组织一下 组织一次 装个 多装 多办 开个 设个 放个 请老师 成立 牵头
       牵个头 帮忙 麻烦 去哪里 哪里能 哪里可以 怎么维权 谁管 不管 太慢 急 能给 能帮 帮我们
       烦死了 引进 增加 安排 求个 谁知道
    1: 需要 想要 要求 申请
"""

_BOOK_VERBS = """
    3: 预约 预定 预订 订 约 借 租 包下 包场 占个 留一个 留个 留一下 预留 想用 要用 用一下 用下
       帮我订 定一下 定个 帮我定 想定 借用
    2: 占 留
    0: 大约 约好 约了人 借书 借过 订阅 订单 订奶 订餐 租房 出租 约束 约起 借钱 借款 借给 一定
"""
_ROOMS = (
    "钢琴房 琴房 自习室 自习 座位 位子 个座 一个座 乒乓球室 乒乓球台 乒乓台 球台 会议室 亲子活动室 "
    "亲子室 活动室 健身房 多功能厅 书画室 青年创客坊 创客坊 创客空间 瑜伽室 场地 排练室 舞蹈室 功能室"
)
# Community facilities a question may be about (besides the bookable rooms).
_PLACES = (
    "服务中心 党群服务中心 社区服务中心 邻里中心 图书室 阅览室 食堂 社区食堂 长者食堂 社区医院 卫生站 "
    "卫生服务站 办公室 居委会 服务站 驿站 文化站 活动中心 老年活动中心 篮球场 广场 打印机"
)
# Wanting something for oneself: with a room and a time it is a booking.
_WANT_WORDS = "我想 我要 我们要 我们想 想 要用 帮我 给我 给我们 我们 可以吗 行吗 能用吗"

_SIGNUP_WORDS = """
    4: 报名 我报名 我们报名 要报名 想报名 给我报 帮我报 帮我妈报 帮我爸报 报个名 报一个 报两个 我参加
       我们参加 要参加 想参加 报名参加 算我 算上我 算我们 加我一个 我也去 我也要去 我也想去 我想加入
       想加入 我来一个 算一个 接龙 +1 报名+ 我们家两个 我们家三个 带老伴 带我老伴 也报 报我 我要报
       要报 带上我 一家三口
    3: 我去 都去 我们去 加入 还能报 想去 一起参加 参加
    0: 能参加
    1: 口人 个人 带上 带我 想带 一起去
"""
# Events a signup is about; they only support a signup cue.
_EVENT_WORDS = (
    "讲座 活动 的活动 课 课堂 班 比赛 运动会 晚会 义诊 志愿者 合唱 包饺子 包粽子 花灯 灯谜 太极 八段锦 "
    "书法班 读书会 插花 研学 汇演 演出 培训 体检 观影 徒步 剪纸 绘本 合唱团 跳绳 游园会 四点半课堂"
)

_INQUIRY_WORDS = """
    5: 几点 什么时候 啥时候 哪天 哪一天 几号 开门 关门 开放时间 营业时间 开到几点 几点下班 收钱吗
       要收钱吗 收费吗 免费吗 要钱吗 免费的吗
    4: 上班吗 上班时间 在几楼 怎么走 电话多少 电话是多少 联系方式 多少钱 有什么活动 什么活动 哪些活动
       有哪些 有什么课 什么课程 有空吗 有位置吗 有座吗 还有座 有空位吗 要预约吗 需要预约吗 用预约吗
       怎么预约 截止 报名截止 还上吗 多少人 容纳 星期几 周几 礼拜几 几岁 都有吗 要预约 在哪里 在哪 集合 怎么报名 在哪报名 哪里报名 开放吗
       开放到 值班 坐班 可以报 是几号 多少节 哪个老师 哪位老师 能用吗 可以借 能带 有没有人值班
       是谁 是哪位 找谁 哪个电话 打什么电话 提前几天 提前多久 几点来电 几点来水 几点恢复 有进展吗
    2: 还有名额 名额 上班 下班 开始 开放 营业 要带 带什么 看病吗 在办公室 在吗 是明天 是今天 哪个
       哪位 谁上 要办证吗
    0: 今天几号 几号楼 不知道去哪 几点了
"""

_CHATTER_WORDS = """
    4: 早上好 早安 中午好 下午好 晚上好 晚安 大家好 新年快乐 节日快乐 快乐 恭喜 谢谢 感谢 多谢
       辛苦了 辛苦 收到 好的 嗯嗯 哈哈 呵呵 笑死 听说 出售 转让 便宜卖 要的私聊 私聊 自取 自提 团购
       免费送 谁要 有卖 捡到 谁丢的 谁的钥匙 失主 没事吧 怎么样了 温馨提示 转发 有没有人 有没有一起
       有人知道 拼车 一起去 同意 点赞 厉害 太好了 好消息 注意保暖 注意防范 欢迎 入群 不好意思
       看到了 领养 有人想 提醒 放错 谁家的 集合了 停电检修 停水检修 吃了吗 打折 约起 新邻居 配合一下
       落在 谁家
    5: 通知说 来通知
    4: 好漂亮 真漂亮 太漂亮 漂亮 好美 真美 太美了 真好看 好好看 真棒 太棒了 好开心 真开心 真不错 挺不错
    3: 通知 检修 注意 狗狗 检查 猫咪 晒被子 好香 好吃 新鲜 搬家 考上 加班 公园 爬山 演习 演练
    2: 请大家 大家注意 提醒大家 提前储水 关好窗户 大家 各位 吃饭 来着 拿回来 一斤 块钱 元 视频 搞笑
       开心 热闹 很有用 挺好 好看 降温 下雨 天气 下雪 好热 太热 好冷 汤圆 饺子
"""

# Signs that the problem is over: "已经修好了,谢谢" is chatter. _RESOLVED_RE finds the rest.
_RESOLVED_WORDS = """
    4: 修好了 已修好 已经好了 已解决 解决了 没事了 找到了 已经找到 恢复了 来水了 来电了 水来了 已经来了
       已经亮了 亮了 盖好了 处理好了 处理了 不吵了 虚惊一场 搞定了 已经出来了 人出来了 救出来了
       拿回来了 修过了 现在好了 今天好了 通了 排除了 清走了 弄好了 搞好了 换好了 装好了 清理干净
       干净多了 干净了 换了新的 清了 正在修 在修了 正在处理 在处理了 已经在修 师傅来了 已经来人了
"""
# After a resolved sign, these mean it broke again ("修好了又坏了").
_CONTRAST = ("又", "还是", "但是", "可是", "但", "结果", "怎么")

# Danger words. Whether a message is an emergency is decided by kernel.text.urgent; here these
# words only say what kind of problem a message is about (the tag: safety, repair), even when
# the danger is feared or over ("电动车停楼梯口,万一着火跑都跑不掉" is a safety demand).
# Tags elderly/person/none only keep a word whole in the scan ("抽烟" is not "有烟").
_URGENT_WORDS = """
    safety: 煤气味 燃气味 天然气味 煤汽味 燃汽味 煤气泄漏 燃气泄漏 煤气泄露 燃气泄露 漏气 嘶嘶声
            有煤气 闻到煤气 闻到燃气 煤气好重 燃气漏 煤气漏 天然气漏 臭鸡蛋味 着火 起火 失火 火灾
            冒烟 冒黑烟 浓烟 黑烟 有烟 烧起来 着起来了 火很大 火苗 冒火花 打火花 火花 火光 烧着了
            焦糊味 烧焦味 高空抛物 往下扔 往下丢 往楼下扔 楼上扔 扔东西 砸下来 从楼上扔 扔下来 抛下来
            往外扔 窗外扔 扔砖 往下砸
            井盖没 井盖丢 井盖被 井盖不见 没有井盖 井盖掉 触电 快打119 救火
    repair: 困电梯 电梯困人 困人 困在电梯 关在电梯 被困 困住 电梯里出不来 关在里面 困在里面
            电梯往下掉 电梯下坠 电梯坠 里面有人 里面有个 爆管 水管爆 管子爆 爆裂 管道爆 爆水管 水漫
            漫了一地 往外喷 喷出来 喷水 救命 困了 水管破 家里都淹了 家里淹了 往我家灌
    elderly: 摔倒 摔了一跤 摔了一下 跌倒 摔伤 摔下来 摔跤 滑倒 晕倒 昏倒 昏迷 倒地 不省人事 抽搐
            心脏病 喘不上气 头破了 快打120 起不来 爬不起来 说不出话 动不了 口歪眼斜 摔 躺在地上
            晕过去 昏过去 晕了
    person: 走丢 走失 没回来 找不到人 没反应 没人应 叫不醒 不接电话 电话也不接 没开门 联系不上 没动静
            说不清楚 不应 流血 出血 血 没回家 寻人
    none: 抽烟 烟头 有烟头 烟味 摔东西 摔坏 献血 血压 血糖 摔了好几 摔了几个 摔了好多 喷水池
"""
_NEGATORS = ("没有", "没", "无", "不是", "别", "未", "并非")
# Trouble predicates a negation cancels; for nouns ("没有助餐", "没修剪") it is the problem.
_NEGATABLE_HEADS = frozenset("漏坏堵吵臭渗滴")
_NEGATION_SPAN = 3


def _parse_weighted(block: str) -> dict[str, float]:
    words: dict[str, float] = {}
    weight = 1.0
    for token in block.split():
        if token.endswith(":") and token[:-1].replace(".", "", 1).isdigit():
            weight = float(token[:-1])
        else:
            words[token] = weight
    return words


def _parse_tagged(block: str) -> dict[str, str]:
    words: dict[str, str] = {}
    tag = ""
    for token in block.split():
        if token.endswith(":"):
            tag = token[:-1]
        else:
            words[token] = tag
    return words


Features = tuple[tuple[str, float], ...]


# One lexicon: word -> features, each (name, weight). Names: "cat:<code>", "problem", "wish",
# "book", "room", "place", "want", "signup", "event", "inq", "chat", "resolved",
# "urgent:<tag>".
def _build_lexicon() -> dict[str, Features]:
    entries: dict[str, list[tuple[str, float]]] = {}

    def add(word: str, feature: str, weight: float) -> None:
        entries.setdefault(word, []).append((feature, weight))

    for code, block in _CATEGORY_WORDS.items():
        for word, weight in _parse_weighted(block).items():
            add(word, f"cat:{code}", weight)
    for feature, block in (("problem", _PROBLEM_WORDS), ("wish", _WISH_WORDS), ("book", _BOOK_VERBS),
                           ("signup", _SIGNUP_WORDS), ("inq", _INQUIRY_WORDS),
                           ("chat", _CHATTER_WORDS), ("resolved", _RESOLVED_WORDS)):
        for word, weight in _parse_weighted(block).items():
            if feature == "signup" and weight < 4:
                feature_name = "signup_weak"
            else:
                feature_name = feature
            add(word, feature_name, weight)
    for feature, words in (("room", _ROOMS), ("place", _PLACES), ("want", _WANT_WORDS),
                           ("event", _EVENT_WORDS)):
        for word in words.split():
            add(word, feature, 1.0)
    for word, tag in _parse_tagged(_URGENT_WORDS).items():
        add(word, f"urgent:{tag}", 1.0)  # tag "none" only shields a word ("抽烟" is not "有烟")
    return {word: tuple(features) for word, features in entries.items()}


_LEXICON = _build_lexicon()
# For each first character, the lengths of the entries that start with it, longest first: the
# scan skips most positions of a chatter line at once and tries only lengths that can match.
def _lengths_by_first(words: Iterable[str]) -> dict[str, tuple[int, ...]]:
    lengths: dict[str, set[int]] = {}
    for word in words:
        lengths.setdefault(word[0], set()).add(len(word))
    return {first: tuple(sorted(found, reverse=True)) for first, found in lengths.items()}


_LENGTHS_BY_FIRST = _lengths_by_first(_LEXICON)

_MENTION_RE = re.compile(r"@[^\s@]{1,16}\s+")
_PLACEHOLDER_RE = re.compile(r"\[[^\[\]]{1,8}\]")
_FORWARD_PREFIXES = ("[链接]", "[文件]", "[小程序]", "[公众号]", "[聊天记录]", "[音乐]")
_CLAUSE_BREAKS = frozenset(",.!?;:、~ \n\t。,!?;…")
_HAS_CJK_OR_WORD = re.compile(r"[\w\u4e00-\u9fff+]")
_QUESTION_RE = re.compile(r"[?]|吗|呢[?~]?$|哪|几|什么|啥|多少|谁|怎么|是否|有没有")
# "关不紧", "升不上去", "打不开": a verb that cannot reach its result is a problem.
_POTENTIAL_RE = re.compile(
    r"[关开锁刷打升降充冲流转用点拧推拉按插进出抽放爬]不(?:上|了|开|动|紧|住|出|进|下|来|去|着|起|到|通|亮|掉)"
)
_ASKS_AFTER = re.compile(r"[^,.!;\n\s]{0,3}?(?:吗|么|[?])|没有?[啊呀呢吧]?(?:[?]|$)")
_RESOLVED_WORDS_RE = re.compile("|".join(
    sorted((w for w in _RESOLVED_WORDS.split() if not w.endswith(":")), key=len, reverse=True)))
_RESOLVED_RE = re.compile(
    r"(?:已经|已)(?:修|处理|解决|排除|恢复|清理|清走|弄好|搞好|疏通|通了|盖|换|装|找到|送回)"
    r"|(?:清理|处理|修|弄|搞|收拾)完(?:了|毕)"
)
_TIME_RE = re.compile(
    r"今天|明天|后天|今晚|明晚|明早|今早|周[一二三四五六日天末]|星期[一二三四五六日天]|礼拜[一二三四五六日天]"
    r"|[上中下]午|晚上|早上|傍晚|下周|这周|本周|\d{1,2}[点:.]\d{0,2}|[一二三四五六七八九十两]{1,3}点"
    r"|\d{1,2}(?:号|日)|\d{1,2}月"
)
_PARTY_RE = re.compile(r"(?:\d{1,2}|[一二两三四五六七八九十俩仨])\s*(?:个人|人|口人|位|口)|一家[三四五]口")

# Building numbers: 3栋, 5号楼, 十二幢, 第五栋, 8座, 7栋602, 5#楼; and the 7-602 / 7-2-602 notation.
_CN_NUM = "〇零一二两三四五六七八九十百"
_BUILDING_RE = re.compile(
    rf"(第?)(\d{{1,3}}|[{_CN_NUM}]{{1,4}})\s*(号楼(?!梯)|号栋|栋|幢|座(?![位椅机谈子])|#(?=楼|\d))"
)
_DASH_ADDRESS_RE = re.compile(r"(?<![\d:./\-])(\d{1,2})-(?:\d{1,2}-)?\d{3,4}(?![\d:])")


def _normalize(text: str) -> str:
    s = clean(text).lower()  # NFKC (full-width digits and punctuation, \u2005), no zero-width chars
    if "@" in s:
        s = _MENTION_RE.sub(" ", s + " ")
    return s.strip()


def extract_building(text: str) -> int | None:
    """The building number a message mentions (3栋, 5号楼, 十二幢, 7栋602 → 7), else None.

    Floors (8楼), units (3单元), rooms (602) and counts (两栋楼, 一栋楼, 一座桥) are not buildings.
    """
    return _building(_normalize(text))


def _building(s: str) -> int | None:
    if not any(ch in s for ch in "栋幢座号#-"):
        return None
    for m in _BUILDING_RE.finditer(s):
        ordinal, num, marker = m.groups()
        if not ordinal and num[0] == "两":
            continue  # "两栋楼之间" is a count
        after = s[m.end():m.end() + 1]
        if not ordinal and num == "一" and (after == "楼" or marker == "座"):
            continue  # "一栋楼的人" / "一座桥"
        try:
            value = cn_to_int(num)
        except ValueError:
            continue
        if value > 0:
            return value
    m = _DASH_ADDRESS_RE.search(s)
    if m:
        return int(m.group(1)) or None
    return None


@dataclass(slots=True)
class _Hit:
    pos: int
    word: str
    features: Features


def _scan(s: str) -> list[_Hit]:
    hits: list[_Hit] = []
    n = len(s)
    i = 0
    lexicon, by_first = _LEXICON, _LENGTHS_BY_FIRST
    while i < n:
        lengths = by_first.get(s[i])
        if lengths is None:
            i += 1
            continue
        for length in lengths:
            if i + length <= n:
                word = s[i:i + length]
                features = lexicon.get(word)
                if features is not None:
                    hits.append(_Hit(i, word, features))
                    i += length
                    break
        else:
            i += 1
    return hits


def _clause_prefix(s: str, pos: int, span: int) -> str:
    """Up to `span` characters before `pos`, stopping at a clause break."""
    start = pos
    while start > 0 and pos - start < span and s[start - 1] not in _CLAUSE_BREAKS:
        start -= 1
    return s[start:pos]


def _is_negated(s: str, pos: int) -> bool:
    prefix = _clause_prefix(s, pos, _NEGATION_SPAN)
    for question in ("是不是", "有没有", "不知道"):
        prefix = prefix.replace(question, "")
    return any(neg in prefix for neg in _NEGATORS) or prefix.endswith("不")


def _resolved_at(s: str) -> int:
    """Where `s` says the problem is over ("修好了", "已经处理"), unless it asks ("解决了吗"); -1."""
    for pattern in (_RESOLVED_WORDS_RE, _RESOLVED_RE):
        for m in pattern.finditer(s):
            if m.start() > 0 and s[m.start() - 1] in "不没未":
                continue   # "灯不亮了" is the problem itself, not its end
            if not _ASKS_AFTER.match(s, m.end()):
                return m.start()
    return -1


_CHATTER = Understanding("chatter", None, False, None)

# A question about a scheduled outage or where/how to do something is a question, not a need.
_OUTAGES = "停电|停水|停气|断水|断电|检修|施工"
_INFO_QUESTION_RE = re.compile(
    rf"(?:今天|明天|后天|今晚|明晚|明早|周[一二三四五六日天末]|星期.|礼拜.|下周|这周|几号|\d+号)"
    rf"[^,.!?;。]{{0,6}}(?:{_OUTAGES})[^,.!?;。]{{0,4}}(?:吗|么|没|不|呢|\?)"
    rf"|(?:{_OUTAGES})(?:到|要到)?(?:几点|多久|什么时候|啥时候|哪天)"
    r"|(?:在哪|去哪|哪里|到哪|在什么地方)(?:儿|里)?(?:填|交|领|办|拿|登记|报名|预约|打印|申请|下载)"
    r"|^(?:请问|问一下|想问下?)?\s?(?:怎么|如何|咋)(?:样)?(?:预约|报名|填|交|办理?|申请|登记|操作|缴费|用)")
_OUTAGE_NOW_RE = re.compile(rf"(?:{_OUTAGES})了|又(?:{_OUTAGES})|还没来|一直")
# A worker's words: statistics, exports, work-order commands. Never a resident's need.
_STAFF_RE = re.compile(
    r"(?:统计|导出|汇总|列一下|拉一下)[^,.!?;。]{0,8}(?:报修|诉求|工单|投诉|需求|台账|报表|数量|数据|情况)"
    r"|^(?:接单|办结|派单|转办|退单|签收|催办|督办)\s?[a-z]?\d")


@dataclass(slots=True)
class _Rules:
    """What the lexicon rules concluded, and how they got there (`path`)."""
    intent: str
    path: str  # resolved | booking(_weak) | signup(_weak) | inquiry | demand | question | chat | default | nohit
    cat: dict[str, float]
    cues: tuple[str, ...] = ()  # which kinds of lexicon evidence were there (features for the model)


@lru_cache(maxsize=4096)
def classify(text: str) -> Understanding:
    """Classify one message. Pure and thread-safe: no I/O, no shared mutable state. Group talk
    repeats itself ("收到", "好的", "谢谢", "+1"): the latest few thousand answers are kept."""
    s = _normalize(text)
    u = _understand(s)
    if u.urgent:
        return u
    if u.intent == "demand" and _INFO_QUESTION_RE.search(s) and not _OUTAGE_NOW_RE.search(s):
        u = Understanding("inquiry", None, False, u.building)   # "后天停电吗", "这个表在哪填"
    elif u.intent == "demand" and asks_information(s):
        u = Understanding("inquiry", None, False, u.building)   # "这归谁管", "还要等多久", "要带户口本吗"
    elif u.intent == "chatter" and asks_information(s, strict=True):
        u = Understanding("inquiry", None, False, u.building)   # "城区养家禽是不是不允许的" read as talk
    elif u.intent == "demand" and tells_good_news(s):
        u = Understanding("chatter", None, False, u.building)   # "地锁都拆了 现在好停多了", "… 点赞"
    elif u.intent in ("demand", "booking", "signup") and _STAFF_RE.search(s):
        u = Understanding("chatter", None, False, u.building)   # a worker's command is no need
    if "网格" in s and complains_about_worker(s):   # "网格员不管事": a need (for the admin, handlers/needs.py)
        u = Understanding("demand", "affairs", False, u.building)
    act = speech_act(s, actionable=u.intent in ("demand", "booking", "signup"))
    if act is None:
        return u if u.intent != "inquiry" else replace(u, question=True)
    if act == "rating":   # "不太满意 还是漏" rates the need just done: never a new one
        return Understanding("chatter", None, False, u.building, False, act, rating_of(s))
    if act in ("progress", "about_bot"):
        return Understanding("inquiry", None, False, u.building, True, act)
    return replace(u, speech_act=act)


# A greeting in front of what someone came to say ("你好 3栋电梯坏了"): the rest is the message.
_LEADING_GREETING = re.compile(
    r"^(?:(?:你好|您好|大家好|各位好|早上好|早安|上午好|中午好|下午好|晚上好|在吗|在不在|哈喽|hello|hi|嗨|小助手|打扰了|打扰一下)"
    r"[\s,.!~。…]*)+")


def _understand(s: str) -> Understanding:
    """Intent, category, urgency and building of normalised text."""
    greeting = _LEADING_GREETING.match(s)
    if greeting and len(s) - greeting.end() >= 3:
        s = s[greeting.end():]
    building = _building(s)
    if s.startswith(_FORWARD_PREFIXES):
        return Understanding("chatter", None, False, building)
    if "[" in s:
        s = _PLACEHOLDER_RE.sub(" ", s).strip()
    if not _HAS_CJK_OR_WORD.search(s):
        return Understanding("chatter", None, False, building) if building else _CHATTER
    emergency = detect_urgent(s)
    if emergency:
        return Understanding("demand", emergency, True, building)
    rules = _rules(s)
    intent, category, urgent = _combine(s, rules)
    return Understanding(intent, category, urgent, building)


def _rules(s: str) -> _Rules:
    hits = _scan(s)
    return _decide(s, hits) if hits else _Rules("chatter", "nohit", {})


def _decide(s: str, hits: list[_Hit]) -> _Rules:
    cat: dict[str, float] = {}
    strong = 0.0  # evidence of a problem or need: category words of weight >= _PROBLEM_WEIGHT
    score = dict.fromkeys(("problem", "wish", "book", "room", "place", "want", "signup", "signup_weak",
                           "event", "inq", "chat"), 0.0)
    for hit in hits:
        for feature, weight in hit.features:
            if feature.startswith("cat:"):
                if hit.word[0] in _NEGATABLE_HEADS and _is_negated(s, hit.pos):
                    continue  # "我家根本没漏", "不漏了" (but "没修剪" is a problem)
                code = feature[4:]
                cat[code] = cat.get(code, 0.0) + weight
                if weight >= _PROBLEM_WEIGHT:
                    strong += weight
            elif feature.startswith("urgent:"):
                # Danger words (urgency itself is decided by kernel.text.urgent): whether happening
                # now or feared ("万一着火"), they still say what kind of problem it is.
                tag = feature[7:]
                if tag in ("safety", "repair") and not _is_negated(s, hit.pos):
                    cat[tag] = cat.get(tag, 0.0) + 3.0
                    strong += 3.0
            elif feature == "resolved":
                continue  # found by _resolved_at() below, whatever the scan took at that place
            else:
                score[feature] += weight

    if _POTENTIAL_RE.search(s):
        score["problem"] += 3.0
    question = bool(_QUESTION_RE.search(s))
    timed = bool(_TIME_RE.search(s))
    party = bool(_PARTY_RE.search(s))
    cues = tuple(name for name, value in score.items() if value > 0) + tuple(
        name for name, on in (("strong", strong >= _PROBLEM_WEIGHT), ("ask", question), ("timed", timed),
                              ("party", party)) if on)

    resolved_at = _resolved_at(s)
    if resolved_at >= 0 and not any(c in s[resolved_at + 2:] for c in _CONTRAST):
        return _Rules("chatter", "resolved", cat, cues)

    best_cat, best = _best_category(cat)
    need = strong + score["wish"] + score["problem"]

    # Booking: a room plus a booking verb, or a room, a time and a wish for oneself.
    if score["room"] and strong < 5 and (
            score["book"] >= 2 or (timed and (score["want"] or party) and score["inq"] < 4)):
        return _Rules("booking", "booking" if score["book"] >= 2 else "booking_weak", cat, cues)
    # Signup: a strong cue ("报名", "算我一个", "+1"), or a weak one ("我去", "参加") about an
    # event or a party size, or alone ("参加!"); an event with a party size also counts.
    signup = score["signup"]
    if score["signup_weak"] and (score["event"] or party or len(s) <= 4):
        signup += score["signup_weak"]
    if party and score["event"]:
        signup += 2.0
    if signup >= 3 and signup + score["event"] > score["inq"]:
        return _Rules("signup", "signup" if score["signup"] >= 4 else "signup_weak", cat, cues)
    # Inquiry: a question about hours, schedules, places or fees, not about a problem.
    inquiry = score["inq"]
    if "有没有" in s and timed and score["wish"] <= 3:
        inquiry += 4.0  # "这周末有没有电影放" asks what is on, it wishes for nothing
        score["wish"] = 0.0
    if inquiry >= 4 and score["wish"] < 2 and strong < inquiry and inquiry > score["chat"]:
        return _Rules("inquiry", "inquiry", cat, cues)
    if need >= 3 and need + best - strong >= score["chat"]:
        return _Rules("demand", "demand", cat, cues)
    if question and score["chat"] < 4 and (
            inquiry >= 2 or score["room"] + score["place"] > 0 or (timed and score["event"])):
        return _Rules("inquiry", "question", cat, cues)  # a question about a room, facility or schedule
    return _Rules("chatter", "default" if score["chat"] == 0 else "chat", cat, cues)


# --------------------------------------------------------------------------------------
# The statistical model, and how its view is combined with the rules'.
# --------------------------------------------------------------------------------------

def _load_model() -> Linear | None:
    try:
        model = load_model()
    except (OSError, KeyError, ValueError):  # pragma: no cover - missing or being rebuilt
        return None
    return model if set(model.classes) == {"intent", "category", "urgent"} else None


_MODEL = _load_model()


def prepare(text: str) -> str:
    """The text as `classify()` hands it to the model (training uses the same)."""
    return _PLACEHOLDER_RE.sub(" ", _normalize(text)).strip()


def model_features(s: str, rules: _Rules | None = None) -> set[str]:
    """The model's features of prepared text `s`: its character n-grams and what the rules saw
    (the path that decided, "#p:default" when none did, and each kind of cue, "#c:wish")."""
    if rules is None:
        rules = _rules(s)
    features = ngrams(s)
    features.add("#p:" + rules.path)
    features.update("#c:" + cue for cue in rules.cues)
    return features


# Without a rule cue ("#p:default"/"nohit"), the model must be this sure before a line is
# anything but chatter: chatter is most of a group's traffic, and a line that matches nothing
# a resident would say about a problem is talk.
UNCUED_CONFIDENCE = 0.5
# Any line: the model must be this sure before it is a demand (not urgent; those are decided above).
DEMAND_CONFIDENCE = 0.5
# The model this sure of chatter: no need to ask the urgent layer.
CLEAR_CHATTER = 0.95
# The model's own emergencies: P(urgent) at least this, and a danger family in a live clause.
URGENT_MODEL_THRESHOLD = 0.9
# Category: lexicon scores (weights of matched words) added to the model's log-odds.
CATEGORY_LEXICON_WEIGHT = 0.35
# Messages this short with no lexicon word are chatter ("在的", "好滴"): too little to go on.
_SHORT = 3


def _combine(s: str, rules: _Rules) -> tuple[str, str | None, bool]:
    """The intent (the model, with the rules' verdict among its features), category, urgency."""
    model = _MODEL
    if model is None:  # pragma: no cover - only while the model file is being rebuilt
        intent = rules.intent
        return intent, (_best_category(rules.cat)[0] or "other") if intent == "demand" else None, False
    if rules.path == "nohit" and len(s) <= _SHORT:
        return "chatter", None, False
    features = model_features(s, rules)
    rows = model.rows(features)     # one look-up per feature for intent, urgency and category
    p = softmax(model.classes["intent"], model.total("intent", rows))
    intent = max(p, key=p.__getitem__)
    # An emergency in words the urgent rules do not know is a demand whatever else it looks like,
    # filed under its danger family (a manhole is safety whatever else the words suggest). Plain
    # talk (the model sure it is chatter) skips this: it is most of the traffic.
    if rules.path != "resolved" and p["chatter"] < CLEAR_CHATTER and \
            softmax(model.classes["urgent"], model.total("urgent", rows))["yes"] >= URGENT_MODEL_THRESHOLD:
        family = plausible_urgent(s)
        if family:
            return "demand", family, True
    if intent != "chatter" and rules.path in ("nohit", "default") and p[intent] < UNCUED_CONFIDENCE:
        intent = "chatter"
    elif intent == "demand" and p["demand"] < DEMAND_CONFIDENCE:
        intent = "chatter"
    if intent != "demand":
        return intent, None, False
    if told_of_danger(s):
        return "chatter", None, False   # "火灭了 虚惊一场", "原来是有人在烧纸": an emergency told, not reported
    if "wish" not in rules.cues and _REPORTED_RE.match(s):
        # "听说3栋昨天有人摔倒了", "如果家里着火了先打119还是找物业": talk about what happened to
        # others or might happen, not a need (nobody asks for anything).
        return ("inquiry" if "ask" in rules.cues and not s.startswith(("听说", "据说")) else "chatter"), None, False
    return intent, _category(model, rows, rules.cat, s), False


_REPORTED_RE = re.compile(r"(?:听说|据说|如果|万一|假如|要是|假设)")


def _category(model: Linear, rows: list[tuple[tuple[float, ...], ...]], lexicon: dict[str, float],
              s: str) -> str:
    """The model's log-odds (with word features when it was fitted with them) plus the lexicon's
    category scores."""
    if model.has_words:
        rows = rows + model.rows(words(s))
    if model.has_lexicon:
        rows = rows + model.rows(["#k:" + code for code in lexicon])
    z = model.total("category", rows)
    score = dict(zip(model.classes["category"], z))
    for code, weight in lexicon.items():
        score[code] += CATEGORY_LEXICON_WEIGHT * weight
    return max(score, key=lambda c: (score[c], -_CATEGORY_ORDER[c]))


# Ties go to the category listed first: the more specific problem owners come first.
_CATEGORY_ORDER = {code: i for i, code in enumerate(CATEGORIES)}


def _best_category(cat: dict[str, float]) -> tuple[str | None, float]:
    if not cat:
        return None, 0.0
    code = max(cat, key=lambda c: (cat[c], -_CATEGORY_ORDER[c]))
    return code, cat[code]


# --------------------------------------------------------------------------------------
# Tokens and hot words (jieba): for merging similar needs and the 高频清单.
# --------------------------------------------------------------------------------------

_STOP_WORDS = frozenset("""
    的 了 着 过 地 得 之 在 是 有 和 与 及 或 就 都 也 还 又 再 很 太 最 更 挺 好 真 呢 吗 吧 啊 呀 哦 噢
    嗯 哈 啦 嘛 么 哎 唉 诶 喔 哇 我 你 他 她 它 我们 你们 他们 她们 大家 咱们 自己 人家 谁 这 那 这个
    那个 这些 那些 这里 那里 这边 那边 哪 哪里 哪儿 什么 怎么 怎么样 为什么 多少 几 一 一个 一下 一些
    一点 个 些 把 被 给 让 叫 对 向 从 到 往 跟 比 为 因为 所以 但是 可是 而且 然后 如果 还是 已经
    不 没 没有 别 能 会 要 想 可以 应该 需要 请 请问 麻烦 谢谢 感谢 小助手 网格 社区 一直 总是 现在
    今天 明天 昨天 刚才 刚刚 马上 天天 每天 好几 上 下 里 中 前 后 时候 问题 情况 事 东西 看看 说
    知道 觉得 感觉 来 去 做 弄 搞 看 ok 嗯嗯 哈哈 哈哈哈 收到 栋 幢 座 号 号楼 单元 楼 层 室 户
""".split())
_TOKEN_OK = re.compile(r"[\u4e00-\u9fffa-z]")
_NUMERAL_TOKEN = re.compile(rf"^[\d{_CN_NUM}万千.]+$")


def tokens(text: str) -> list[str]:
    """jieba tokens of a message, without stop words, punctuation, emoji and bare numbers."""
    from kernel.text.jieba_setup import tokenizer  # lazy: only callers of tokens() pay for jieba

    s = _PLACEHOLDER_RE.sub(" ", _normalize(text))
    return [
        t for t in tokenizer().lcut(s)
        if _TOKEN_OK.search(t) and t not in _STOP_WORDS and not _NUMERAL_TOKEN.match(t)
    ]


def hot_words(texts: Iterable[str], top: int = 20) -> list[tuple[str, int]]:
    """The `top` most frequent meaningful words (two or more characters) over many texts.

    A word counts once per text, so one resident repeating "臭臭臭" does not make a hot word.
    Ties keep first-seen order.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(dict.fromkeys((t for t in tokens(text) if len(t) >= 2), 1))
    return counts.most_common(top)
