"""Answers from the config's small knowledge base ([knowledge]: centre hours, address, phone numbers,
[[knowledge.faq]]) for questions like "社区几点开门", "医保怎么交", "居住证在哪办".

Matching is on words, not whole strings: each FAQ question is cut into its content pieces (question
words and verbs at the edges split off: "医保怎么交" → 医保 + 交, "办居住证" → 办 + 居住证) and a message
matches when it holds every piece of one question, in any order ("怎么交医保" finds it; "缴" reads as
"交"). A complaint ("大件垃圾堆在楼道没人管") is never answered from here: it is a need for a person."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.settings import KnowledgeSettings
from kernel.text.normalize import clean

# Said the same way: folded on both sides before matching.
_SYNONYMS = (("缴纳", "交"), ("缴费", "交"), ("交费", "交"), ("缴", "交"), ("办理", "办"), ("哪儿", "哪"),
             ("哪里", "哪"), ("咋", "怎么"), ("如何", "怎么"), ("啥", "什么"), ("津贴", "补贴"), ("补助", "补贴"),
             ("居委会", "社区"), ("党群服务中心", "社区"), ("服务中心", "社区"), ("办事大厅", "社区"))
_QUESTION_WORDS = re.compile(r"请问|想问(一下)?|咨询(一下)?|怎么样|怎么|什么时候|什么|多少钱|多少|在哪|去哪|到哪|哪个|几点|"
                             r"需要|要带|可以|能不能|能否|是否|有没有|吗|呢|吧|啊|一下|我想|我要|我|的|了|在|去|到|给")
_EDGE_VERBS = ("申请", "领取", "办", "交", "开", "扔", "领", "补", "换", "查", "报")
_QUESTION_CUE = re.compile(r"[??]|吗|呢|怎么|什么|哪|几点|多少|能不能|能否|可不可以|是否|有没有|请问|想问|咨询|流程|手续|材料|"
                           r"要带|需要带|去哪|如何|咋")
_COMPLAINT = re.compile(r"没人(管|处理|清|收|理)|不通|打不通|坏了|漏|堵|投诉|举报|乱扔|乱堆|堆在|臭|吵|太慢|没人接")
_HOURS = re.compile(r"几点(开门|关门|上班|下班|开放|关)|(开门|关门|上班|下班|办公|开放|营业|工作)时间|(开门|关门|上班|办公|开放)(吗|不|没|么|嘛)|"
                    r"什么时候(开门|上班|开放|办公)|几点到几点")
# "周末开门吗" is about the centre; "周末有人打羽毛球吗" is not: these need the centre named.
_DAY = r"(周末|周六|周日|周天|星期天|星期日|星期六|礼拜天|礼拜日|礼拜六|节假日|假期|放假|中午|午休|今天|明天|晚上|过年|国庆)"
_DAY_HOURS = re.compile(_DAY + r"\w{0,4}(开门|上班|开放|办公|有人|休息)")
# "礼拜天开门不", "中午休息不": a day and the centre's own verbs, asked — the centre is meant even unnamed
# ("周末有人打球吗" is not: 有人 still needs the centre named).
_DAY_HOURS_ASKED = re.compile(_DAY + r"\w{0,4}(开门|上班|开放|办公|休息|关门)\w{0,2}(吗|不|没|么|嘛|呢)")
_ADDRESS = re.compile(r"(在|去|到)哪|地址|怎么走|位置|在什么地方")
_CENTRE = re.compile(r"社区|窗口|办事|你们")
_PHONE = re.compile(r"(电话|号码|联系方式|热线)(是)?(多少|啥|什么|几号|给|发|有吗|呢|在哪)|(怎么|如何)联系|^\w{0,6}电话$|有没有\w{0,8}(电话|号码|联系方式)")
_ROOM_WORDS = re.compile(r"房|室|厅|坊|馆")     # a room's hours are the booking capability's answer


def _fold(text: str) -> str:
    s = clean(text).lower()
    s = re.sub(r"@\S+", " ", s)
    s = "".join(ch for ch in s if ch.isalnum())
    for a, b in _SYNONYMS:
        s = s.replace(a, b)
    return s


def _pieces(question: str) -> tuple[str, ...]:
    parts: list[str] = []
    for chunk in _QUESTION_WORDS.split(_fold(question)):
        if not chunk:
            continue
        for verb in _EDGE_VERBS:
            if chunk.startswith(verb) and len(chunk) > len(verb) + 1:
                parts.append(verb)
                chunk = chunk[len(verb):]
                break
        for verb in _EDGE_VERBS:
            if chunk.endswith(verb) and len(chunk) > len(verb) + 1:
                parts.append(verb)
                chunk = chunk[:-len(verb)]
                break
        parts.append(chunk)
    return tuple(dict.fromkeys(p for p in parts if p))


@dataclass(frozen=True)
class _Entry:
    pieces: tuple[str, ...]
    answer: str

    def score(self, folded: str) -> int:
        """Characters of the question found in the message; 0 unless every piece is there."""
        return sum(map(len, self.pieces)) if self.pieces and all(_found(p, folded) for p in self.pieces) else 0


# A short noun piece ("证明", "医保") must stand on its own: "开个证明" and "交医保" are it, "无犯罪证明"
# and "租房证明" are other things (a person should answer those).
_BEFORE_OK = set("开办交领补换查报申请个张份的要去哪么在了把给帮和跟及与问想我")


def _found(piece: str, folded: str) -> bool:
    if len(piece) > 2 or piece in _EDGE_VERBS:
        return piece in folded
    at = folded.find(piece)
    while at != -1:
        if at == 0 or folded[at - 1] in _BEFORE_OK or not folded[at - 1].isalpha():
            return True
        at = folded.find(piece, at + 1)
    return False


class KnowledgeBase:
    def __init__(self, settings: KnowledgeSettings, centre: str = "社区党群服务中心") -> None:
        self.settings = settings
        self.centre = centre
        self.entries = [_Entry(_pieces(q), faq.a) for faq in settings.faq for q in faq.q]
        self.phones = {name: (number, _fold(name)) for name, number in settings.phones.items()}

    def answer(self, text: str) -> str | None:
        """The answer to a question this base knows, or None (not a question, not known, a complaint)."""
        folded = _fold(text)
        if not folded or len(folded) > 60 or _COMPLAINT.search(folded):
            return None
        asks = bool(_QUESTION_CUE.search(clean(text)))
        best = max(((e.score(folded), e) for e in self.entries), key=lambda se: se[0], default=(0, None))
        if best[1] is not None and best[0] >= 2 and (asks or len(folded) <= 8):
            return best[1].answer
        return self._centre_answer(folded, asks)

    def _centre_answer(self, folded: str, asks: bool) -> str | None:
        s = self.settings
        if _PHONE.search(folded) and self.phones:
            asked = folded
            for a in ("派出所", "民警", "警察", "公安"):
                asked = asked.replace(a, "警务室")

            def named_in(key: str) -> bool:
                # "社区" alone names the 居委会 (folded to 社区社区), not every office called 社区…
                core = key.replace("社区", "")
                return bool(core) and (core in asked or core[:2] in asked) or (not core and "社区" in asked)
            named = [(n, num) for n, (num, key) in self.phones.items() if named_in(key)]
            shown = named or [(n, num) for n, (num, _) in self.phones.items()]
            return "\n".join(f"{n}: {num}" for n, num in shown)
        if _ROOM_WORDS.search(folded.replace("居委会", "")):
            return None
        if s.hours and (_HOURS.search(folded) or _DAY_HOURS_ASKED.search(folded)
                        or (_DAY_HOURS.search(folded) and _CENTRE.search(folded))):
            return f"{self.centre}开放时间: {s.hours}。" + (f"\n地址: {s.address}" if s.address else "")
        if s.address and asks and _ADDRESS.search(folded) and _CENTRE.search(folded):
            return f"地址: {s.address}" + (f"\n开放时间: {s.hours}" if s.hours else "")
        return None


class KnowledgeCache:
    """The bot's current KnowledgeBase when the FAQ lives in the database (models/knowledge.py): built
    once per change of the FAQ, read by every message without a database query."""

    def __init__(self, settings: KnowledgeSettings) -> None:
        self.base = knowledge_base(settings)
        self.version = 0

    def install(self, settings: KnowledgeSettings, version: int) -> None:
        """A new base from `settings` (the config's [knowledge] with the FAQ in force) at this version."""
        self.base = KnowledgeBase(settings)
        self.version = version


_BASES: dict[int, KnowledgeBase] = {}


def knowledge_base(settings: KnowledgeSettings) -> KnowledgeBase:
    """One index per loaded config (settings are frozen: built once, reused for every message)."""
    kb = _BASES.get(id(settings))
    if kb is None or kb.settings is not settings:
        kb = _BASES[id(settings)] = KnowledgeBase(settings)
    return kb
