"""Danger now: the high-recall urgent detector behind `classify()`.

Urgent (CONTRACTS §2) means life, health or property in danger *now*: a gas smell or leak, fire
or smoke, someone trapped in a lift, a burst pipe flooding, a fall or a faint, a missing or
unresponsive (elderly) person, a missing manhole cover, things thrown or falling from height
(a near miss too: "差点砸到"), an electric shock, someone in the water, a child over a drop,
violence at home.

Each kind of danger is a small family of patterns built from the parts residents combine
("煤气/燃气/天然气/液化气…" + "味/漏/泄"; "困/关/卡" + "电梯"; "楼上/窗户/几楼" + "扔/抛/砸"),
so wordings that were never seen still match. A cue is then dropped when its own clause
says it is not happening now: negated ("没闻到煤气味"), hypothetical ("万一着火", "怕摔",
"掉下去砸到人就麻烦了"), in the past ("上次着过火", "昨天着火那家", "困了一个多小时"), a habit
("年年淹"), a drill or a lecture ("消防演练"), a hazard rather than an event ("火灾隐患"), an
explanation ("煤气味是隔壁在炖汤"), a wish or a figure of speech ("想打人", "热得快爆炸了").
A message that says the danger is over ("已经救出来了", "找到了", "虚惊一场", "控制住了"), retells
news or hearsay ("看新闻说…", "听说…"), is a notice to everyone ("温馨提示", "…高发期") or asks
what one should do ("应该先关阀门还是先开窗") is not urgent, unless it also calls for help now
("快来", "救命").

`detect(s)` takes a normalised message (`classify._normalize`) and returns the category the
emergency is filed under (`safety`, `repair`, `elderly`) or None. `plausible(s)` is the looser
check behind the n-gram model's own emergencies (see `classify`): the two parts of a danger
family anywhere in the message (a lift and "里面"; someone and "不见"), the second one live.
`told(s)` says a message only talks about an emergency — over, explained, retold, rumoured or warned of,
asking for nothing ("火灭了 虚惊一场", "原来是有人在烧纸", "群里传的是谣言", "提醒家长 窗户要锁好") — so
that `classify` files no need for it whatever the n-gram model thinks (group chat after an event).
Pure; no I/O; patterns compile once at import.

Each batch of fresh wording so far still found a gap (a new verb, a new object): when one is
reported, add the word to its family, not the sentence, and add a case to tests/test_classify.py.
"""

from __future__ import annotations

import re

from kernel.text.prefilter import fast, first_chars

_GAS = r"(?:煤气|燃气|天然气|液化气|液化石油气|煤汽|燃汽|媒气|然气|沼气|瓦斯)"
_ELDER = (
    r"(?:老人|老年人|老人家|老爷子|老太太|老太|老头|大伯|老大爷|老奶奶|老爷爷|大爷|大妈|大娘|阿婆|阿公|婆婆|公公|"
    r"爷爷|奶奶|外婆|外公|姥姥|姥爷|老伴|老父亲|老母亲|老爸|老妈|我爸|我妈|父亲|母亲|独居|老两口|长辈|"
    r"[6-9六七八九]十多?岁|[6-9]\d岁|痴呆|糊涂)"
)
_CHILD = r"(?:孩子|小孩|儿子|女儿|孙子|孙女|娃|小朋友|宝宝|学生|小伙|年轻人|男孩|女孩)"
# Someone who can be in danger (bare "人" is too common: "没人修", "别人").
_SOMEONE = (
    _ELDER[:-1] + "|" + _CHILD[3:-1] + r"|有人|有个|一个人|一位|妈妈|爸爸|我婆|我公|那位|这位|人家|邻居|对门|爱人|老婆|老公|我哥|我姐|"
    r"我弟|我妹|家人|家里人|阿姨|叔叔|师傅|工人|大哥|大姐|女士|先生|他|她|人还|人在|人没)"
)
_PET = r"(?:猫|狗|宠物|泰迪|鹦鹉|鸟|兔子|仓鼠)"
_HIGH = r"(?:楼上|楼顶|顶楼|高楼|高层|窗户|窗口|窗外|阳台|天台|[0-9一二三四五六七八九十几]{1,3}(?:楼|层)|上面)"
_W = r"[^,.!?;。,!?\s]"  # a character inside the clause
# What falls from a building by itself (a window in the wind, a flowerpot off a sill), and what is
# dropped from one: the nouns of a falling-object report.
_FROM_FACADE = r"(?:窗户|窗框|窗扇|装饰窗|玻璃窗|防盗窗|花盆|空调外机|外机|广告牌|招牌|外墙砖|外墙瓷砖|晾衣杆)"
_DROPPED = r"(?:花盆|瓷砖|墙砖|砖头|砖块|石块|土块|扳手|外机|广告牌|晾衣杆|酒瓶|啤酒瓶|菜刀|玻璃)"
_NOT_LOST = r"工作|活|地方|车位|停车|人修|人管|人处理|路|东西|钥匙|卡|证|材料|入口|电话|单位|师傅"

# (cue, kind, before): a cue pattern, the kind of danger, and optionally a pattern that must
# match in the 30 characters before the cue ("楼上…扔", "老人…联系不上"). Cues start with
# literals so that a search skips most positions of a message cheaply.
# Kinds: gas/fire/smoke/manhole/height/violence -> safety; lift/flood -> repair;
# fall/hurt/missing/silent -> a person in danger (elderly unless the message names someone else).
_CUE_TABLE: tuple[tuple[str, str, str | None], ...] = (
    # gas
    (_GAS + _W + r"{0,6}(?:味|泄漏|泄露|漏|跑气|嘶嘶|呲呲)", "gas", None),
    (_GAS, "gas", r"(?:闻到|好大|好重|很重|很浓|好浓|浓浓|一股|有股|满是|全是)" + _W + "{0,4}$"),
    (r"臭鸡蛋(?:的)?味|(?<![胎车球])漏气|嘶嘶" + _W + r"{0,3}(?:响|声)", "gas", None),
    (r"嘶嘶", "gas", r"(?:灶|罐|阀|表|管)" + _W + r"{0,6}$"),
    (r"一氧化碳|煤气中毒|燃气中毒", "gas", None),
    (r"漏|泄|味|嘶嘶", "gas", r"(?:" + _GAS[3:-1] + r"|气罐|气瓶|煤气灶|燃气灶|燃气表|燃气管|气阀)[^。!?!?]*$"),
    # fire and smoke
    (r"着火|起火|失火|火灾|走火|自燃|燃起来|燃烧|烧起来|着起来|烧着了|着了火|火苗|火光|明火|大火|火势|火很大|火好大|"
     r"窜火|蹿火|出火|爆炸|冒烟|冒黑烟|冒白烟|浓烟|黑烟|烟雾|烧焦|焦糊|糊味|焦味|烧塑料|火警", "fire", None),
    (r"(?:(?<=[打拨])|(?<=打了))119(?![0-9])", "call", None),   # "快打119", not "火警电话是119"
    (r"冒火|火花|火星", "smoke", None),
    (r"着了(?!急|凉|迷|魔)", "fire",
     r"(?:厨房|房子|房间|屋|家里|车|车棚|楼道|柜子|被子|窗帘|锅|油锅|电线|插座|电视|电器|电瓶|电动车|楼|阳台|沙发|床)$"),
    (r"炸了", "fire", r"(?:电瓶|电池|电动车|充电器|锅|罐|煤气|燃气|瓶)" + _W + r"{0,2}$"),
    (r"烟(?![头味花酒草民囱台盒])", "smoke", r"(?:都是|全是|满是|好多|好大的?|很大的?|一股|好浓的?|很浓的?|有)$"),
    (r"烟(?:很大|好大|太大|越来越大|冒出来|出来了|往外冒)", "smoke", None),
    (r"(?:白|黑|青|浓)?烟(?![头味花酒草民囱台盒])", "smoke", r"冒(?:出|着|起)?(?:了)?" + _W + r"{0,3}$"),
    # electricity
    (r"触电|电到人|被电(?:到|了)|电线" + _W + r"{0,3}(?:着(?:火|了)|烧|冒|炸)", "fire", None),
    (r"爆|炸|烧", "fire", r"(?:配电|电箱|电表箱|电闸)" + _W + r"{0,4}$"),
    # trapped in a lift
    (r"困(?:在|住)?(?:了)?电梯|电梯困|被困|困住了|(?:困|关|卡|锁|憋)在(?:了)?(?:电梯)?里(?:面|头)?|"
     r"把(?:人|我|我们|孩子|小孩|老人)(?:给)?(?:困|关|卡|锁)(?:住|在)", "lift", None),
    (r"在(?:电梯)?里(?:面|头)|里(?:面|头)的人|里(?:面|头)有人|出不来|出不去|救命", "lift", r"电梯[^。!?!?]*$"),
    (r"电梯|轿厢", "lift", r"(?:关|卡|锁|憋)在(?:了)?$"),
    (r"困住|困人|困了|困着|关着(?:个|人|一|孩|小|老)|关住|卡着人|人在里面|人还在|出不来|出不去|"
     r"里面(?:还)?有(?:人|个|位|一个|老人|小孩|孩子|我)|里面关|坠|掉下去|往下掉|溜车|冲顶|蹲底", "lift",
     r"电梯[^。!?;!?]{0,14}$"),
    (r"(?:没有|没)(?:轿厢|电梯)|轿厢(?:不在|没在|没下来)|(?:电梯井|井道)(?:敞|开|露|里)", "lift",
     r"电梯(?:门)?" + _W + r"{0,6}(?:开|敞)[^。!?!?]{0,10}$"),
    (r"中间|半空", "lift", r"电梯[^。!?;!?]{0,6}卡在" + _W + r"{0,8}$"),
    (r"在(?:电梯)?里面", "lift", r"(?:人|孩子|小孩|老人)(?:还)?$"),
    (r"(?:锁|困|关)(?:在)?(?:车里|车内)|跳楼|要跳|跳下来|跳下去|轻生|寻短见", "violence", None),
    # a child (or anyone) hanging over a drop or with the neck caught: danger this minute
    (r"悬空|悬在|挂在" + _W + r"{0,6}(?:窗|阳台|外机|护栏|栏杆|防盗网)|身子(?:都)?在(?:窗)?外|"
     r"(?:爬|翻)(?:出|到|上)(?:了)?" + _W + r"{0,4}(?:窗|阳台|外机|护栏|栏杆|楼顶|天台)", "ledge", None),
    (r"(?:窗|窗户|窗台|防盗窗|防盗网|防护栏|防护网|护栏|护窗|栏杆|阳台)(?:的)?(?:外面|外边|外头|外沿|外侧|外)(?![卖套墙机])", "ledge",
     r"(?:挂|吊|悬|卡|坐|站|趴|蹲|掉|滑|爬|翻|探)" + _W + r"{0,8}$"),
    (r"(?:窗|窗户|窗台|防盗窗|防盗网|防护栏|防护网|护栏|护窗|栏杆|阳台)(?:的)?(?:外面|外边|外头|外沿|外侧)"
     r"(?:站|坐|趴|蹲|挂|吊|悬|爬)", "ledge", None),
    (r"(?:钻|爬|翻|掉|滑)出(?:去|来)", "ledge", r"(?:窗|防盗|防护|护栏|栏杆|阳台|护窗)[^。!?!?]{0,8}$"),
    (r"(?:大)?半(?:个)?身子|身子(?:都)?(?:在|探|露|悬)(?:出)?(?:窗)?外|滑出(?:窗|去)|掉出(?:窗|去)", "ledge",
     r"(?:窗|阳台|防盗|护栏|栏杆|外机|楼)[^。!?!?]{0,14}$"),
    (r"(?:挂|吊|悬|卡|趴)着", "ledge",
     r"(?:孩|娃|宝宝|儿子|女儿|老人|人)[^。!?!?]{0,10}(?:窗|防盗|护栏|栏杆|阳台)[^。!?!?]{0,4}$"),
    (r"夹住|卡住|卡在", "ledge", r"(?:脖子|头|脑袋|手|脚|腿|身子)(?:被)?" + _W + r"{0,3}$"),
    (r"(?:窗户?外|窗台(?:外|上|边)|窗沿|阳台(?:外|边)|护栏(?:外|上)|防盗(?:窗|网)上|栏杆(?:外|上)|空调架|空调外机上|楼顶边|天台边|房顶上)", "ledge",
     r"(?:爬|站|坐|挂|悬|吊|探)" + _W + r"{0,8}$"),
    # burst pipe, flooding
    (r"爆管", "flood", None),
    (r"爆|炸|崩|裂开|破了|断了|飞了|冲掉", "flood",
     r"(?:管|水龙头|阀门|总阀|水表|接头)" + _W + r"{0,3}$"),
    (r"没过(?:了)?(?:脚|脚踝|脚面|小腿|膝盖|腰|车窗|车轮|轮胎|车顶|床)|水(?:越来越|很|好)深|"
     r"(?:往外|一直|不停)(?:地)?冒水|漫到(?:了)?(?:床|膝|腰|小腿|脚|门口|客厅)", "flood", None),
    (r"(?:厘米|公分)(?:深|高)?", "depth", r"水" + _W + r"{0,8}$"),   # "污水有两三厘米深"
    (r"进水|(?<=[全都]是)(?:污)?水(?![印渍迹痕费表])", "flood",
     r"(?:地下室|一楼|车库|地库|家里|屋里|客厅|卧室|房间|整个|地板|地上)" + _W + r"{0,4}$"),
    (r"越来越深|快(?:要)?(?:淹|泡)到", "flood", r"(?:进水|积水|水)[^。!?!?]{0,10}$"),
    (r"水漫|漫水|漫金山|漫出来|漫了|漫到|漫进|漫过|淹了|被淹|淹到|淹没|水淹", "flood", None),
    (r"往外喷|喷出来|往下灌|往里灌|灌进|灌到|往屋里|往家里|往我家|涌进|涌出来|直喷|(?<=里)(?:灌|涌)",
     "flood", r"水" + _W + r"{0,6}$"),
    (r"喷水(?!池)|往外喷|往下灌|往我家灌", "flood", None),
    # falls, faints, medical
    (r"摔倒|跌倒|滑倒|绊倒|栽倒|摔了一跤|摔了一下|摔了个|跌了一跤|摔下|摔伤|跌下|滚下|倒地|"
     r"摔(?:在)?(?:地上|楼梯|路上)|磕(?:到|破)了?头|坠楼|一动不动|晕倒|昏倒|晕过去|昏过去|晕了|昏迷|"
     r"不省人事|叫不醒|喊不醒|没(?:有)?意识|没(?:了)?呼吸|没气了|抽搐|抽过去|吐白沫|心脏病(?:犯|发)|心梗了|脑梗了|"
     r"中风了|犯病|发病了|突发", "fall", None),
    (r"(?:躺|趴|瘫)(?:在)?" + _W + r"{0,4}(?:地|路|边|门口|楼道|楼梯|台阶|草)" + _W + r"{0,3}(?:没动|不动|起不来|不醒)|"
     r"(?:躺|趴|瘫)在地", "fall", None),
    (r"倒在" + _W + r"{0,4}(?:地|路|边|门口|楼道|家|楼梯|台阶|草)", "hurt", None),
    (r"倒下(?:了|去)|(?<=[脸面])朝下|扑(?:倒)?在地|连人带车|侧翻|翻倒在", "hurt", None),
    (r"(?:掉|摔|坠)下(?:去|来)", "fall", _SOMEONE + _W + r"{0,6}$"),
    (r"120|救护车|头破|血流|流了好多血|出了好多血|好多血|流血|出血|骨折|(?<!差点)(?<!差一点)摔了(?!好几|几|东西|碗|杯|盘|手机|一地)|爬不起来|起不来|站不起来|动不了|不能动|说不出话|口歪眼斜|"
     r"喘不上气|喘不过气", "hurt", None),
    # missing, not answering
    (r"走丢|走失|走散|失散|失联|寻人|找不到人了|人(?:就|都|也|突然)?不见了|迷路|迷了路|找不到家|不认识回家|说不(?:上来|清|出)(?:自己)?(?:住|家)|"
     r"不(?:知道|记得)(?:自己)?(?:住|家)(?:在)?(?:哪|几)", "missing", None),
    (r"(?:到现在|至今)(?:都|已经|还)?(?:[0-9一两二三四五六七八九十几]+个?多?(?:小时|钟头)|一天|一整天|一夜|一晚上)", "missing",
     r"(?:出门|出去|出的门|走的|离家|离开家)[^。!?!?]{0,12}$"),
    (r"丢了|不见了|失踪", "missing", _SOMEONE + r"(?:都|也|一直|突然|又|还|就)?$"),
    (r"联系不上|找不着|找不到(?!" + _NOT_LOST + r")|没回来|没回家|还没回|没有回来|没到家|还没到|打不通|关机了|不接电话|电话也不接|"
     r"电话(?:也)?没人接|没人接电话|没接电话",
     "missing", _SOMEONE),
    (r"(?:联系不上|找不着|找不到)" + _W + r"{0,3}" + _SOMEONE, "missing", None),
    (r"(?<=没)见(?:着|到)?(?:人|人影)|不见人影|人影都没|找遍了", "missing", _SOMEONE),
    (r"敲(?:了)?(?:半天|好久)?(?:的)?门" + _W + r"{0,6}(?:没|不|无)(?:人)?(?:应|开|反应|动静|回应)|"
     r"(?:叫|喊|按门铃)" + _W + r"{0,6}(?:没|不|无)(?:人)?(?:应|反应|答应|回应|开门)|"
     r"没(?:有)?(?:反应|动静|回应|应答)|从里面反锁|哼哼|呻吟", "silent", None),
    (r"天(?:都)?没(?:见|出门|开门|开过|开|露面|下楼|看到|动静|声音|出来)", "silent", r"(?:好几|几|两|三|多|[0-9一二三四五六七])$"),
    (r"没(?:有)?(?:声音|动静|回应|人应|人开)", "silent", r"(?:敲门|敲了|叫门|按门铃|喊)" + _W + r"{0,6}$"),
    (r"没(?:有)?(?:出门|开门|露面|下楼|动静|出来过)", "silent", r"(?:一直|到现在|整天|一整天|从早上|从昨天|都)" + _W + r"{0,8}$"),
    # missing manhole cover
    (r"(?:井盖|窨井|下水井|雨水井|污水井|检查井|(?:下水道|排水沟|水沟|阴沟|管道|井)的?盖(?:子|板)?)"
     + _W + r"{0,5}(?:没了|没有了|丢|不见|偷|撬|掉|翻|移位|开着|敞着|碎|塌|飞了|"
     r"空着|少了|缺|搬|拿走|没盖|冲走|冲掉|卷走)|井口(?:敞|开|露)|(?:井盖|井)" + _W + r"{0,6}(?:大洞|窟窿|黑洞)", "manhole", None),
    (r"井盖", "manhole", r"没(?:有)?(?:了)?$"),
    (r"(?:[0-9一两二三四五六七八九十几半]+|几)(?:米|米多|多米)(?:多)?深", "manhole",
     r"(?:坑|洞|窟窿|缺口|口子|井|塌|陷)[^。!?!?]{0,16}$"),
    # things thrown from height
    (r"高空抛物|高空坠物|高空扔|(?:往|朝)(?:楼)?下(?:扔|抛|丢|砸|泼)|(?:扔|抛|丢|砸|泼)(?:了)?下来|"
     r"砸(?:到|中|伤)(?:人|车|头|我|小孩|孩子)|差点砸", "height", None),
    (r"扔|抛|(?:丢|砸)(?:下|了|东西|出)|掉(?:了)?下来|往下掉", "height", _HIGH + _W + r"{0,8}$"),
    (r"砸(?:坏|烂|碎|瘪)(?:了)?(?:我的|我家的?|他的|人家的?)?车", "height", None),
    # things falling from height by themselves (a window in the wind, a flowerpot), and what they hit
    (_FROM_FACADE + _W + r"{0,8}(?:掉下来|掉下去|掉落|坠落|往下掉|从天而降|被风(?:刮|吹)(?:掉|落|下来)|刮下来|吹下来|飞下来|落下来|"
     r"砸(?:中|到|在|伤|坏|穿|下来))", "height", None),
    (_DROPPED + _W + r"{0,8}(?:从天而降|砸(?:中|到|在|伤|穿))", "height", None),
    (r"砸在(?:了)?(?:我|他|她|人)?(?:的)?(?:脚边|身边|旁边|面前|跟前|脚下|头上|身上)", "height", None),
    # what is left up there and falls in the wind, named in an earlier clause ("空调架上还有碎玻璃 风一吹就往下掉")
    (r"往下掉|掉下来|掉下去", "height", r"(?:碎玻璃|玻璃碴|玻璃渣|碎片|" + _DROPPED[3:-1] + r")[^。!?!?]{0,12}$"),
    (r"砸(?:坏|烂|碎|瘪|穿|透|裂|凹|破)|砸(?:出|了)(?:一个|个)?(?:大)?(?:洞|窟窿|坑)|(?:打|戳)穿(?:了)?(?:顶|棚)", "smash", None),
    # electric shock: a person shocked, or metal anyone may touch carrying current
    (r"电(?:人|到(?:我|人|他|她|了)|了(?:我|他|她|一下))|触电", "shock", None),
    (r"带电|漏电", "shock", r"(?:门|管|水龙头|栏杆|灯杆|路灯|铁|墙|地灯|池|柜|把手|扶手)" + _W + r"{0,3}$"),
    # drowning: someone in the water, struggling
    (r"溺水|落水(?![管口斗])", "violence", None),
    (r"(?:掉|摔|栽|滑|跌)(?:进|到|入)(?:了)?(?:水|河|池|塘|湖|江|海|井|化粪池|粪池|粪坑|窨井|下水道|水沟|河沟)", "drown", None),
    (r"扑腾|挣扎|沉下去|冒不出头|浮着|漂着", "drown", r"(?:水|河|池|塘|湖|江|海)" + _W + r"{0,8}$"),
    # violence
    (r"持刀|砍人|拿刀|动刀|打人了|打起来了|打架了", "violence", None),
    # a weapon in hand, someone breaking in, a cry for help, a body against a wall
    (r"(?:拿|持|握|举|提)(?:着)?(?:一把|把)?(?:菜刀|水果刀|砍刀|刀|斧头)|闯(?:进|入)(?:了)?(?:我家|家里|屋里|屋|来)|"
     r"入室|(?:撬|砸)(?:我家|我们家|他家|她家)?(?:的)?门(?:锁)?(?:进)", "violence", None),
    (r"(?:喊|叫|呼)(?:着)?(?:快)?(?:报警|救命|救人|杀人)|呼救|求救|杀人了|惨叫", "call", None),
    (r"(?:人|她|他|孩子|小孩)(?:被)?(?:撞|摔|推|砸|扔)(?:到|在|向)(?:了)?(?:墙|地上)", "violence", None),
    (r"打架|斗殴|互殴|打起来(?!游戏)", "violence", r"(?:有人|正在|两个人|几个人|一群人|他们)" + _W + r"{0,4}$"),
    # violence at home: someone hitting a partner or a child, happening now
    (r"被(?:我)?(?:老公|丈夫|男人|对象|男朋友|前夫|老婆|媳妇|爸|妈|儿子|女儿|公公|婆婆|他|她)(?:给)?(?:打|揍|踢|掐|推)",
     "violence", None),
    # a partner raging at home, named in an earlier clause: "我老公喝多了在家砸东西 还要打我"
    (r"(?:打|揍|掐|杀)我(?!电话|手机)|砸东西|摔东西|动手了", "violence",
     r"(?:老公|丈夫|男人|对象|男朋友|前夫|老婆|媳妇|儿子)[^。!?!?]{0,20}$"),
    (r"打(?:我|孩子|小孩|老婆|老公|妈|她|他|人)(?!电话|手机|的电话)|家暴|掐(?:我|她|他|脖子)|要杀|拿刀砍|往死里打", "violence",
     r"(?:老公|丈夫|男人|老婆|媳妇|爸|妈|儿子|他|她|隔壁|楼上|楼下|对门|又|正在|在)" + _W + r"{0,8}$"),
)
_BEFORE_SPAN = 30
# Each cue with the characters its matches start with (None: any), so that a message that has a cue
# searches only the cues that can start in it.
_CUES: tuple[tuple[re.Pattern[str], str, re.Pattern[str] | None, frozenset[str] | None], ...] = tuple(
    (fast(cue), kind, re.compile(before) if before else None, first_chars(cue))
    for cue, kind, before in _CUE_TABLE)

# One pass over the message finds whether any cue is there at all (most messages have none).
_ANY_CUE = fast("|".join(f"(?:{cue})" for cue, _, _ in _CUE_TABLE))

# Kinds that count only when the message names someone ("车动不了", "按了没反应" are not).
_NEEDS_SOMEONE = frozenset({"hurt", "silent", "ledge", "drown"})
_SMOKE_EXCUSES = re.compile(r"烧纸|烧香|烧烤|烤串|烧垃圾|烧秸秆|烧树叶|烧落叶|抽烟|吸烟|油烟|炒菜|做饭|烟花|鞭炮|放炮|熏")

_SOMEONE_RE = re.compile(_SOMEONE)
_ELDER_RE = re.compile(_ELDER)
_CHILD_RE = re.compile(_CHILD)
_PET_RE = re.compile(_PET)

_BREAK = ",.!?;:、~ \n\t。,!?;…"
# Before a cue, in its clause: not happening now.
_SUPPRESS_BEFORE = re.compile(
    r"检查|排查|检测|如果|万一|要是|假如|假设|一旦|怕|担心|害怕|防|预防|以防|避免|容易|小心|会不会|可能会|迟早|早晚|"
    r"真(?!的)|上次|上回|上周|上个月|上礼拜|去年|前年|以前|之前|那次|曾经|前几天|前阵子|"
    r"演习|演练|模拟|培训|讲座|知识|宣传|学习|学了|怎么处理|怎么报警|怎么逃生|如何|应急|逃生|不会|不可能|识别|防范|"
    # a lasting condition, not an event: "我妈卧床起不来"
    r"卧床|瘫痪|瘫在床|常年|长期|多年|行动不便|腿脚不便|"
    # a wish or a figure of speech, not a deed: "烦躁得想打人", "热得快爆炸了", "气得要炸了"
    r"想要?$|(?:热|气|累|忙|吵|饿|笑|困|烦|急|冷|晒|吓|疼|痛)得(?:我|人)?(?:都)?(?:快|要|快要)?$")
# A condition anywhere earlier in the clause: "如果燃气漏了会有什么味道".
_IF = re.compile(r"如果|万一|要是|假如|假设|一旦")
# A near miss ("差点砸到", "差点被楼上掉下来的花盆砸到") says something did fall: only for other
# dangers does "差点" mean it did not happen ("差点摔倒", "差点着火").
_NEAR_MISS = re.compile(r"差点|差一点|险些")
# Straight after a cue: a hazard or a topic, not an event ("火灾隐患", "燃气费", "着火的是演习").
_SUPPRESS_AFTER = re.compile(
    r"^" + _W + r"{0,2}(?:隐患|报警器|演|预案|知识|保险|是|过|怎么办|费|公司|安全|检查|的话|逃生|咋办|培训|演练|"
    r"后果|不堪设想|就完了|跑不掉|跑都跑不|进不来|后(?!面)|以后|之后|好几|几个|几次|多次|很多人|不少人|宣传|活动|日|"
    r"那(?:家|个|栋|户|位|辆|次|回)|的事|"
    r"[0-9两三四五六七八九十]次)")
# Habit, not an event: "楼上天天往下扔烟头" is a nuisance to fix, unless something just happened.
_HABIT = re.compile(r"(?<![昨今明前后])天天|每天|经常|老是|总是|时不时|隔三差五|三天两头|一到晚上|每次|最近老|老(?:闻到|有|能闻)|"
                    r"年年|每年|每逢|一下雨就|一到下雨|几个月|一周(?:有)?[两三几]|一个星期(?:有)?[两三几]")
_JUST_NOW = re.compile(r"刚刚|刚才|现在|正在|快来|救命|急")
_PAST_DAY = re.compile(r"昨天|昨晚|前天|前晚|上个星期|那天")
# How long it lasted, told after it ended: "结果困了一个多小时" (but "困了一个多小时了 还没人来").
_SPELL = re.compile(r"(?:一|两|三|半|几|[0-9]+)个?多?(?:小时|钟头|分钟)(?![了多])")
_STILL = re.compile(r"到现在|到今天|今天还|现在还|还没|至今|一直|还在|仍然|依然|刚刚|刚才|快来|救命|急")
# Anywhere in the message: a drill, or the danger is over.
_DRILL = re.compile(r"演习|演练|模拟|消防培训|应急培训|急救培训|防火知识|安全知识|安全讲座")
_OVER = re.compile(
    r"已经(?:灭|扑灭|处理|修好|修了|解决|找到|回来|回家|出来|救出|没事|关了|关掉|送医|送到医院|抢修好|盖好|好了)|"
    r"(?<!灯)(?<!灯.)灭了|扑灭了|找到了|回来了|回家了|救出来了|人出来了|已经出来|没事了|虚惊|没什么事|没啥事|平安|放心吧|大家放心|接走了|拉走了|"
    r"不用担心|没受伤|没人受伤|人没事|人都没事|没危险|没有危险|不危险|不浓|以前发生过|发生过好几次|"
    r"控制住了|脱险|脱困|获救|被救出|救下来了|爬回|稳定了|无大碍|没大碍|送医院了|送去医院了|(?:水|积水)(?:已经)?退了|"
    r"查出来了|道歉了|原来是|弄干净|清理干净|收拾干净|抽干|排干|"
    # explained or ended: "其实是水管爆了", "有惊无险", "抱回屋里了", "恢复供气了"
    r"其实是|有惊无险|乌龙|误报|抱回|恢复供气|险情解除|解除了|"
    # a smell gone, the parents spoken to: "现在基本散了", "已经跟家长沟通了"
    r"(?:味道?|气味|烟)(?:也|都)?(?:基本|已经)?散了|(?:基本|已经)散了|消散了|没味了|闻不到了|沟通(?:过)?了|(?:批评)?教育(?:过)?了")
# Its cause explained: "火是从厨房烧起来的", "起火原因是电线老化".
_CAUSE = re.compile(r"是从" + _W + r"{0,8}(?:烧|着|起|冒|漏)" + _W + r"{0,3}的|起火原因|原因是")
# A call for help right now outweighs words that sound like the end ("救上来了 没呼吸了 快打120").
_CALL = re.compile(r"救命|快来|快打|快叫|快报警|赶紧打|赶紧叫|快拿|快找")
# Hearsay and retold news: "看新闻说…", "朋友圈都在转…", "听说3栋…" (a video of one's own is a report).
_HEARSAY = re.compile(r"听说|据说|听人说|有人说|是真的吗|真的假的|是不是真的|新闻|朋友圈|抖音|快手|微博|热搜|报道|电视上|网上说|都在转|电影(?!院)|电视剧|小说|剧里")
# A notice to everyone, not a report: "【温馨提示】", "冬季是燃气中毒高发期" ("【求助】" is a report).
_NOTICE = re.compile(r"温馨提示|友情提示|预警|友情提醒|安全提示|高发期|易发期|多发期|注意事项|"
                     r"(?:公司|物业|社区|居委会|交警|消防|民警|派出所|街道)提醒|提醒(?:大家|各位|广大|家长|居民|业主|市民)")
# A how-to question ("应该先关阀门还是先开窗") — unless it points at the speaker, a place or a moment here.
# "该怎么办" is left out: it is as often a cry for help ("电梯困住了 该怎么办").
_HOW_TO = re.compile(r"应该先|该先|先" + _W + r"{1,8}还是|正确(?:的)?(?:做法|方法)|怎么(?:自救|应对)")
_HERE = re.compile(r"我|家里|屋里|楼道|厨房|这里|这边|现在|刚才|刚刚|快|[0-9一二三四五六七八九十]+(?:栋|幢|号楼|单元|楼)")
# Light things from above: a nuisance; heavy ones: a danger.
_LIGHT = re.compile(r"烟头|烟蒂|纸屑|纸团|瓜子皮|果皮|口香糖|头发|灰尘|泼水|倒水|滴水")
_HEAVY = re.compile(_DROPPED + r"|瓶|碗|刀|砖|铁|石|盆|罐|椅|凳|猫|狗")
_ROOF = re.compile(r"顶棚|车棚|棚顶|雨棚|遮阳棚|车库顶|屋顶|顶上|采光")
_FELL = re.compile(_DROPPED + "|" + _HIGH + r"|掉|扔|抛|坠|从天|高空")
# The aftermath: asking when the damage will be repaired.
_REPAIR_ASK = re.compile(r"(?:什么时候|啥时候|多久|几时)(?:才)?(?:能)?(?:修|来电|通电|恢复|好)")
# After a cue, in its clause: what would follow if it happened ("掉下去砸到人就麻烦了").
_CONSEQUENCE = re.compile(r"就麻烦了|就完了|就糟了|就出大事|可不得了|后果不堪设想|怎么办|咋办")
# Luck, not an end: "还好没砸到人" says something just fell (a near miss is urgent), a fire or a
# fall that "luckily hurt nobody" is over.
_LUCKY = re.compile(r"幸亏|幸好|还好(?![吗吧呢啊])|好在|所幸|多亏")
# What fell is feared to hit someone ("怕砸到人"), and nothing says it hit or nearly hit anything.
_FEAR_HIT = re.compile(r"(?:怕|担心|万一|害怕|小心|容易)" + _W + r"{0,4}砸(?:到|中|伤)?(?:人|着人|到人)?")
_HIT = re.compile(r"差点|差一点|险些|砸(?:中|到|伤|坏|烂|碎|瘪|穿|透|在)")
_KITCHEN = re.compile(r"切菜|切肉|切水果|削皮|削苹果|剁馅|剁肉|杀鱼|杀鸡|包饺子")
# Wires left bare, and a sign that they carry current (even one told of before).
_BARE_WIRE = re.compile(r"(?:电线|线头|电缆|接头)" + _W + r"{0,6}(?:露|裸)|裸露" + _W + r"{0,4}(?:电线|线头|电缆)")
_SHOCKED = re.compile(r"被电|电(?:到|了)(?:我|人|他|她|狗|猫|一下)|触电|漏电|带电|麻(?:了)?一下")
# A claim for damages or a lawsuit about an old injury ("摔伤了,包工头不管,能告吗", "淹了要我赔").
_CLAIM = re.compile(r"能告|告他|起诉|赔偿|索赔|要我赔|让我赔|赔钱|工伤|官司|维权|律师|仲裁|保险|理赔|才赔|谁赔|谁来赔|赔不赔")
# Sewage overflowing in the street is dirty but not dangerous now; water pouring into homes is.
_SEWAGE = re.compile(r"下水道|污水|化粪池|粪水|窨井|排水沟|阴沟|堵了|堵住|堵塞")
_INDOORS = re.compile(r"家里|屋里|室内|进屋|进门|灌进(?:家|屋|房|门)|往家|往屋|电梯井|配电|爆管|水管爆|管子爆|地板|我家")
_NEGATED = re.compile(r"(?:没有|没|无|不是|别|未|并非|不)$|(?:没有|没闻到|没看到|不是|并非)" + _W + "{0,4}$")
_ROOMS = re.compile(r"客厅|卧室|厨房|卫生间|房间|地下室|车库|地库|一楼家")
_PARKING = re.compile(r"车位|挪车|停车|车主|堵车|占道")
# Doubt that still reports ("是不是煤气漏了", "会不会是燃气"): dropped before the clause checks, so that
# their 不/没 do not read as a negation. A bare "会不会" ("会不会漏电") asks about a risk and stays.
# Things named after what they prevent ("防盗窗", "防护栏") are no "防" of a risk: dropped too.
_QUESTION_NOISE = re.compile(r"是不是|有没有|不知道|会不会是|防盗|防护|消防")


def _clause_before(s: str, pos: int, span: int = 8) -> str:
    start = pos
    while start > 0 and pos - start < span and s[start - 1] not in _BREAK:
        start -= 1
    return s[start:pos]


def _clause_after(s: str, end: int, span: int = 12) -> str:
    stop = end
    while stop < len(s) and stop - end < span and s[stop] not in _BREAK:
        stop += 1
    return s[end:stop]


def _live(s: str, start: int, end: int, kind: str = "") -> bool:
    """Whether the cue at s[start:end] (of danger `kind`) speaks of a danger happening now."""
    before = _QUESTION_NOISE.sub("", _clause_before(s, start))
    if _NEGATED.search(before) and not s.startswith(("没", "不", "无"), start):
        return False
    if _SUPPRESS_BEFORE.search(before) or (kind != "height" and _NEAR_MISS.search(before)):
        return False
    if _CONSEQUENCE.search(_clause_after(s, end)) or _IF.search(_clause_before(s, start, 20)):
        return False
    if _SUPPRESS_AFTER.search(s[end:end + 6]):
        return False
    if (_PAST_DAY.search(before) or _SPELL.match(s, end)) and not _STILL.search(s):
        return False
    if _HABIT.search(before) and not _JUST_NOW.search(s):
        return False
    return True


def _not_a_report(s: str) -> bool:
    """The whole message tells of a danger without reporting one now: it is over, hearsay or news,
    a notice to everyone, or a question of what one should do ("煤气泄漏了应该先关阀门还是先开窗")."""
    if (_OVER.search(s) or _HEARSAY.search(s) or _NOTICE.search(s) or _CAUSE.search(s)) and not _CALL.search(s):
        return True
    return bool(_HOW_TO.search(s)) and not _HERE.search(s)


def detect(s: str) -> str | None:
    """The category of the emergency `s` reports (safety | repair | elderly), else None."""
    if not _ANY_CUE.search(s):
        return None
    kinds: set[str] = set()
    chars = set(s)
    for pattern, kind, before, first in _CUES:
        if kind in kinds or (first is not None and first.isdisjoint(chars)):
            continue    # that kind of danger is already found live, or this cue cannot start here
        for m in pattern.finditer(s):
            if before is not None and not before.search(s, max(0, m.start() - _BEFORE_SPAN), m.start()):
                continue
            if _live(s, m.start(), m.end(), kind):
                kinds.add(kind)
                break
    if _BARE_WIRE.search(s) and _SHOCKED.search(s):
        kinds.add("shock")   # "地灯线头都露在外面 我家狗上次被电了一下": live wire anyone can touch, shown live
    if not kinds or _not_a_report(s):
        return None
    if "violence" in kinds and _KITCHEN.search(s):
        kinds.discard("violence")   # "我拿着刀在切菜"
    if "smash" in kinds:
        kinds.discard("smash")   # "砸瘪了": a danger only with a fall or a throw in the message
        if _FELL.search(s) or _ROOF.search(s):
            kinds.add("height")   # "车库顶上被砸出个洞": a roof holed from above
    if "height" in kinds and _LIGHT.search(s) and not _HEAVY.search(s):
        kinds.discard("height")  # cigarette ends and water from above are a nuisance to stop, not a danger
    if _REPAIR_ASK.search(s):
        kinds -= {"fire", "smoke"}   # "电线都烧焦了 啥时候能修好": the damage a fire left
    if "depth" in kinds:
        kinds.discard("depth")   # how deep the water is: a flood indoors, a puddle outside
        if _INDOORS.search(s) or _ROOMS.search(s):
            kinds.add("flood")
    if "height" in kinds and _FEAR_HIT.search(s) and not _HIT.search(_FEAR_HIT.sub("", s)):
        kinds.discard("height")   # "外墙瓷砖都掉下来了 怕砸到人": a hazard to make safe, nobody hit
    if _LUCKY.search(s):
        kinds &= {"height"}
    if "smoke" in kinds and _SMOKE_EXCUSES.search(s):
        kinds.discard("smoke")
    if _DRILL.search(s):
        kinds -= {"gas", "fire", "smoke", "lift", "call"}
    if _CLAIM.search(s):
        kinds -= {"fall", "hurt", "flood", "shock"}
        if not _JUST_NOW.search(s):
            kinds.discard("height")   # "保险公司说高空抛物砸车要有监控才赔": the claim, not the throw
    if "flood" in kinds and _SEWAGE.search(s) and not _INDOORS.search(s):
        kinds.discard("flood")   # a blocked drain overflowing outside is a repair, not an emergency
    someone = bool(_SOMEONE_RE.search(s))
    if not someone:
        kinds -= _NEEDS_SOMEONE
    if _PARKING.search(s):
        kinds -= {"missing", "silent"}   # "占了我家车位 打电话也不接": a car owner, not a lost person
    if "missing" in kinds and _PET_RE.search(s) and not _ELDER_RE.search(s):
        kinds -= {"missing", "silent"}  # "我家猫走丢了"
    if "call" in kinds and len(kinds) > 1:
        kinds.discard("call")    # "快打119" says how bad, not what: safety only when nothing else does
    if not kinds:
        return None
    if kinds & {"gas", "fire", "smoke", "manhole", "height", "violence", "ledge", "shock", "drown", "call"}:
        return "safety"
    if kinds & {"lift", "flood"}:
        return "repair"
    # A person in danger: a fall, a faint, missing or not answering.
    if _CHILD_RE.search(s) and not _ELDER_RE.search(s):
        return "safety"
    return "elderly"


# The danger families as pairs of parts that may stand apart in a message: a thing and what
# happens to it (a gas source and a smell; a lift and someone inside; a pipe and water
# bursting out; someone and a fall). A statistical "this reads like an emergency" (the
# n-gram model in classify) only counts when such a pair is there and speaks of now.
_FAMILIES: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = tuple(
    (re.compile(a), re.compile(b), category) for a, b, category in (
        (_GAS[:-1] + r"|气罐|气瓶|燃气灶|煤气灶|燃气表|燃气管|报警器)", r"味|漏|泄|嘶|冲|呛|响", "safety"),
        (r"火(?![车锅腿龙柴候气力爆红])|(?<![抽吸油香])烟(?![头花酒草民囱台盒味])|燃(?!气)|焦|炸",
         r"(?<![不没着])火|烟|燃(?!气)|焦|炸", "safety"),
        (r"井|盖", r"没|丢|不见|偷|撬|翻|开着|敞|缺|空|掉|洞|坑", "safety"),
        (_HIGH + r"|楼下|高空|空调架|护栏|栏杆", r"扔|抛|砸|泼|丢|掉下|爬|跳|站在|挂在", "safety"),
        (r"电梯|轿厢", r"困|卡住|卡在|关在|关着|锁在|里面|里头|出不来|出不去|救命|坠|掉下|急停|拍门", "repair"),
        (r"水|管", r"爆|崩|喷(?!水池|泉)|淹|漫|灌|没过|涌|裂开", "repair"),
        (_SOMEONE, r"摔|跌|滑倒|晕|昏|倒地|倒在|醒|血|喘|噎|动不了|不能动|起不来|不动|没气|呼吸|说不|抽搐|抽过去|抽风", "elderly"),
        (_SOMEONE, r"迷路|走丢|走散|丢了|不见|联系不上|没回|到家|找不到|打不通|没接|不接", "elderly"),
        (_SOMEONE, r"反应|动静|声音|没人应|没出门|不开门|没开门|没开", "elderly"),
    ))


def plausible(s: str) -> str | None:
    """Whether `s` could report a danger now: both parts of a danger family, the second in a
    live clause; no drill, no "it is over", no hearsay or notice, no claim about an old injury.
    Returns the category of the first such family (safety | repair | elderly), else None."""
    if _not_a_report(s) or _LUCKY.search(s) or _DRILL.search(s) or _CLAIM.search(s):
        return None
    for thing, event, category in _FAMILIES:
        found = thing.search(s)
        if found and _NEGATED.search(_QUESTION_NOISE.sub("", _clause_before(s, found.start()))):
            continue   # "没有煤气味"
        if found:
            for m in event.finditer(s):
                if _live(s, m.start(), m.end()):
                    if category == "elderly" and _CHILD_RE.search(s) and not _ELDER_RE.search(s):
                        return "safety"
                    return category
    return None


# Talk about an emergency rather than a report of one: the words of a danger (a cue, live or not,
# or who comes to one: "消防车", "疏散") with an end, an explanation, hearsay, a rumour, a reminder
# or a day gone by ("火灭了 虚惊一场", "原来是有人在烧纸", "听说有三个人被困 所幸救出来了", "群里传的是谣言",
# "提醒家长 窗户要锁好", "昨晚5栋着火了"). Such a line is chatter, not a need — unless it still asks for
# something or names a problem left behind ("电梯困过人 到现在也没修好", "什么时候来修").
_DANGER_TALK = re.compile(
    r"消防|火(?![车锅腿龙柴候气力爆红])|烟(?![头花酒草民囱台盒])|燃气|煤气|液化气|天然气|漏气|被困|困人|关过人|关人|"
    r"吓人|吓死|吓坏|后怕|心有余悸|走失|走丢|走散|砸|掉下|掉落|再掉|坠|翻出|爬出|摔下|溺水|触电|中毒|刮倒|吹倒|压(?:了|在|到|坏)|天降|托举|井盖|窟窿|撤离|疏散|警报|报警|119|120|救")
_TOLD = re.compile(
    r"谣言|辟谣|不实|假消息|别转了|不要转|网传|群里传|传的|其实是|原来是|虚惊|有惊无险|乌龙|误报|"
    r"那事|那次|那回|上次|上回|上周|上个月|昨天|昨晚|前天|前晚|那天|去年|前年|"
    r"以防|防止再|别慌|不要慌|不用慌|大家注意|注意安全|以后" + _W + r"{0,6}(?:千万|一定|可)?(?:别|不要)|"
    # the emergency named as something everyone knows of: "着火那家是租户", "困人那个是我邻居"
    r"(?:着火|起火|失火|烧|困人|困住|摔倒|走丢|走失|漏气|爆管|跳楼|坠楼|出事)(?:的)?那(?:家|个|栋|户|位|辆|次|回)|"
    # its cause explained: "火是从厨房烧起来的"
    r"是从" + _W + r"{0,8}(?:烧|着|起|冒|漏)" + _W + r"{0,3}的|起火原因|原因是")
_STILL_WANTED = re.compile(
    r"没修|不修|没人修|没人管|不管|没人来|还没|还是|还在(?!抢修)|到现在|一直(?:没|不|漏|渗|滴|堵)|怎么办|咋办|能不能|能否|可不可以|希望|请|麻烦|尽快|"
    r"赶紧修|什么时候|啥时候|多久|投诉|反映|处理一下|管管|管一下|找人|来修|要修|修一下|整改|谁(?:来)?(?:管|负责|赔)|赔|"
    r"没人(?!受伤|伤|员伤)|该|查查|检查一下|谁家|怎么又|又(?:开始|坏|漏|渗|堵|停|关|困|被|冒|响|出)|堵|占|进不来|返水|渗|漏水|(?<![吓气累急饿乐])坏了|把我(?:困|关|卡)|"
    r"(?:不|没|没有)(?:检修|维修|修|管|处理|来人|理|换|检查|查|补|盖)|谁来|但是|不过|可是|说法|给个")

_WANT = re.compile(r"想(?:给|要|办|申请|装|问|找)|办个|申请|装个|加装")


def told(s: str) -> bool:
    """Whether `s` talks about an emergency that is over, explained, retold, rumoured or warned of,
    and asks for nothing (normalised text; `detect(s)` is None for it)."""
    if _CALL.search(s) or _STILL_WANTED.search(s) or _HABIT.search(s) or _CLAIM.search(s) or _WANT.search(s):
        return False    # still asks, a habit goes on ("经常有人往下扔"), a claim ("保险能报吗"), a wish
    if _NOTICE.search(s):
        return True     # "提醒家长 窗户要锁好": a reminder to everyone, whatever it is about
    if not (_DANGER_TALK.search(s) or _ANY_CUE.search(s)):
        return False
    return bool(_TOLD.search(s) or _not_a_report(s) or _LUCKY.search(s) or _DRILL.search(s))
