"""Reading signups the way residents write them — pure functions, no database.

- `parse_party("两个大人一个小孩")` → 3: how many people a message or a list line signs up.
- `parse_list(text)`: a pasted WeChat 接龙 (Group Note) list: header, title, numbered lines.
- `parse_continuation(text)`: a message of numbered lines only — the rest of a list that did not fit
  in one message.

How 接龙 works in practice: someone posts "#接龙 / 中秋花灯 / 1. 张三"; everyone who joins copies the
whole list, adds their own line at the end and posts it again. So each post repeats every earlier line;
the caller keeps only lines it has not seen (see models.events.import_jielong)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kernel.text.numbers import SIGN, read_count

# A count as typed, sign and all: "-5人" is -5 and "1000人" is 1000, both refused by the model with
# the events sentence ("人数请写1到10之间"), never read as 5 or 0.
_N = rf"(?:{SIGN}\s*)?(?:\d+|[零一二两俩仨三四五六七八九十]{{1,3}})"

_ADULTS = re.compile(rf"({_N})\s*[个位名]?\s*(?:大人|成人|家长)")
_KIDS = re.compile(rf"({_N})\s*[个位名]?\s*(?:小孩|孩子|儿童|小朋友|娃娃|娃|宝宝|学生|小学生)")
_BIG_SMALL = re.compile(rf"({_N})\s*大\s*({_N})\s*小")
_COUNT = re.compile(rf"(?:共|一共|总共|合计|报)?\s*({_N})\s*(?:个人|口人|位|人|口|名)(?![数次])"
                    rf"|(?:我们|咱们|俺们|我家|全家|一家)\s*({_N})\s*个(?![大小孩人])")
_BRINGS = re.compile(r"(?:带|和|跟|陪|领|还有|加上)\s*(?:上|着)?\s*(?:我的?|俺的?|我家)?\s*$")
_FAMILY = re.compile(rf"一家\s*({_N})\s*口")
_TIMES = re.compile(r"[x×X*]\s*(\d{1,2})\b")
_PLUS = re.compile(r"[+＋]\s*(\d{1,2})(?![\d天号日月点])")
_PAIRS = re.compile(r"老两口|夫妻俩|夫妻两个|夫妻二人|两口子|我们俩|我们两个|咱俩|我俩|俺俩|俩人|两人一起"
                    r"|母女俩|父子俩|母子俩|父女俩|祖孙俩|姐妹俩|兄弟俩|娘俩|爷俩")
_TRIOS = re.compile(r"娘仨|我们仨|爷仨|一家三口")
_RELATIVES = ("老伴|爱人|老婆|老公|媳妇|妻子|丈夫|太太|孩子|小孩|儿子|女儿|孙子|孙女|外孙女|外孙|宝宝|闺女"
              "|妈妈|爸爸|母亲|父亲|婆婆|公公|奶奶|爷爷|姥姥|姥爷|外婆|外公|朋友|同事|闺蜜|邻居|家人|小朋友"
              "|娃|对象|哥哥|姐姐|弟弟|妹妹|老母亲|老父亲|先生")
_COMPANION = re.compile(rf"(?:带|和|跟|同|与|加|还有|陪|及)\s*(?:上|着)?\s*(?:我的?|俺的?|我家|家里)?\s*"
                        rf"(?:({_N})\s*[个位名]?\s*)?(?:{_RELATIVES})")


def _num(text: str) -> int | None:
    try:
        return read_count(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class PartyReading:
    size: int | None          # None: the text does not say how many
    rest: str                 # the text with the party words taken out


def parse_party(text: str, *, entry: bool = False) -> PartyReading:
    """How many people: "2人", "两个人", "两个大人一个小孩" (3), "2大1小" (3), "带我老伴" (2),
    "老两口" (2), "一家三口" (3). In a list line (`entry=True`) also "张三+1" (2) and "张三 x2" (2).
    An explicit count wins over companions ("带老伴 共3人" → 3)."""
    rest = text
    spans: list[tuple[int, int]] = []

    def take(pattern: re.Pattern[str]) -> list[re.Match[str]]:
        found = [m for m in pattern.finditer(text) if not any(s < m.end() and m.start() < e for s, e in spans)]
        spans.extend(m.span() for m in found)
        return found

    adults = take(_ADULTS)
    kids = take(_KIDS)
    big_small = take(_BIG_SMALL)
    family = take(_FAMILY)
    trios = take(_TRIOS)
    pairs = take(_PAIRS)
    counts = take(_COUNT)
    companions = take(_COMPANION)
    times = take(_TIMES) if entry else []
    plus = take(_PLUS) if entry else []

    size: int | None = None
    if adults or kids or big_small:
        size = sum(_num(m.group(1)) or 0 for m in adults + kids)
        # "带两个孩子": children brought along by the speaker, who comes too.
        if not adults and not big_small and any(_BRINGS.search(text[: m.start()]) for m in kids):
            size += 1
        size += sum((_num(m.group(1)) or 0) + (_num(m.group(2)) or 0) for m in big_small)
    elif family:
        size = _num(family[0].group(1))
    elif counts:
        m = counts[-1]
        size = _num(m.group(1) or m.group(2))
    elif times:
        size = int(times[-1].group(1))
    elif trios:
        size = 3
    elif pairs:
        size = 2
    elif plus:
        size = 1 + int(plus[-1].group(1))
    elif companions:
        size = 1 + sum((_num(m.group(1)) if m.group(1) else 1) or 1 for m in companions)
    if spans:
        pieces, last = [], 0
        for s, e in sorted(spans):
            pieces.append(text[last:s])
            last = max(last, e)
        pieces.append(text[last:])
        rest = " ".join(p for p in pieces)
    return PartyReading(size, re.sub(r"\s+", " ", rest).strip())


# ------------------------------------------------------------------ 接龙 lists

_HEADER = re.compile(r"^#\s*(?:接龙|接龍|group\s*note|jielong|solitaire)\s*[::]?\s*(.*)$", re.I)
_LOOSE_HEADER = re.compile(r"^(.{0,30}?)\s*(?:接龙|接龍)\s*[::]?\s*(.{0,30})$")
# "1. 张三", "2、李四", "3.王芳", "3 王芳", "4)赵六", "5王五" — but not "3栋…", "11月…", "2人".
_ENTRY = re.compile(r"^\s*(\d{1,3})(?:\s*[.、．。)）:：,，\-]\s*|\s+|(?=[^\d\s栋号楼幢单元室层人位个岁点月日年元块.、．。:：,，)）\-]))(.*)$")
_EXAMPLE = re.compile(r"^(?:例|例如|示例|格式|举例|eg|e\.g\.?)\s*[::.]?\s*", re.I)
_NOTE_IN_NAME = re.compile(r"[((\[【]([^))\]】]*)[))\]】]")
_TRIM = " \t,，、。.;；:：-—~～!！?？"


@dataclass
class Entry:
    number: int
    raw: str
    name: str
    party_size: int | None
    note: str = ""


@dataclass
class JielongList:
    title: str | None
    entries: list[Entry] = field(default_factory=list)
    description: list[str] = field(default_factory=list)   # other header lines (time, place, rules)
    has_header: bool = False


def split_entry(number: int, text: str) -> Entry | None:
    """"李四 2人" → 李四, 2; "王芳(3栋) 2大1小" → 王芳, 3, note 3栋; "张三+1" → 张三, 2."""
    notes = [m.group(1).strip() for m in _NOTE_IN_NAME.finditer(text) if m.group(1).strip()]
    body = _NOTE_IN_NAME.sub(" ", text)
    party = parse_party(body, entry=True)
    # What stays is the name; drop leftovers like "一起", "报名".
    name = re.sub(r"(?:一起|报名|参加|已报|谢谢)", " ", party.rest)
    name = re.sub(r"\s+", " ", name).strip(_TRIM)
    # Party words inside brackets: "王芳(2人)".
    if party.size is None:
        for n in notes:
            p = parse_party(n, entry=True)
            if p.size is not None:
                party = PartyReading(p.size, party.rest)
                notes.remove(n)
                break
    if not name:
        return None
    return Entry(number, text, name[:32], party.size, "; ".join(notes))


def _entry(line: str) -> Entry | None:
    m = _ENTRY.match(line)
    if not m:
        return None
    return split_entry(int(m.group(1)), m.group(2).strip()) or Entry(int(m.group(1)), line, "", None)


# A group buy (团购 / 拼单 / 大米 10斤 / 2袋 / 58元) is a 接龙 too, but never an event: the bot keeps out.
_GROUP_BUY = re.compile(
    r"团购|拼单|拼团|团长|代购|集采|统一采购|接龙购买|下单|到货|自提|取货|快递|优惠价|批发|"
    r"大米|面粉|食用油|鸡蛋|牛奶|水果|蔬菜|橙子|苹果|橘子|柚子|猪肉|牛肉|羊肉|海鲜|螃蟹|粽子|月饼|"
    r"\d+\s*(?:斤|公斤|kg|KG|袋|箱|盒|瓶|桶|提|件|份|包|只|个装|斤装)|[¥￥]\s*\d|\d\s*(?:元|块)")


def is_group_buy(lst: JielongList) -> bool:
    text = " ".join([lst.title or "", *lst.description, *(f"{e.raw} {e.note}" for e in lst.entries)])
    return bool(_GROUP_BUY.search(text))


def looks_like_list(text: str) -> bool:
    """The cheap test a matcher can afford: a first line saying 接龙 / Group Note, then more lines."""
    if "\n" not in text:
        return False
    first = text[: text.index("\n")]
    if first.startswith("#"):
        return bool(_HEADER.match(first))
    return ("接龙" in first or "接龍" in first) and len(first) <= 40


def parse_list(text: str) -> JielongList | None:
    """Read a pasted 接龙 list; None when it is not one."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if not lines:
        return None
    first = lines[0]
    m = _HEADER.match(first)
    title: str | None = None
    if m:
        title = m.group(1).strip(_TRIM) or None
    else:
        loose = _LOOSE_HEADER.match(first)
        if not loose or first.startswith(("1.", "1、")):
            return None
        title = (loose.group(1) + " " + loose.group(2)).strip(_TRIM) or None
    result = JielongList(title=title, has_header=True)
    for line in lines[1:]:
        entry = _entry(line)
        if entry is not None:
            if entry.name:
                result.entries.append(entry)
            continue
        if result.entries:
            # A line under an entry belongs to it ("2. 李四" / "带孙子"): a note, never a new person.
            last = result.entries[-1]
            last.note = (last.note + " " + line).strip()
            if last.party_size is None:
                extra = parse_party(line).size
                last.party_size = extra if extra is None or extra > 1 else None
            continue
        if _EXAMPLE.match(line):
            continue
        if result.title is None:
            result.title = line.strip(_TRIM)[:60] or None
        else:
            result.description.append(line)
    return result


_STRICT_ENTRY = re.compile(r"^\s*\d{1,3}\s*[.、．。)）]\s*\S")


def parse_continuation(text: str) -> list[Entry] | None:
    """A message made only of numbered lines ("5. 赵六\\n6. 孙七"): the tail of a list. Stricter than
    a line inside a list (the number needs its dot): "40多岁失业了" is not a list line."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if not lines or not lines[0][:1].isdigit():
        return None
    entries = []
    for line in lines:
        if not _STRICT_ENTRY.match(line):
            return None
        entry = _entry(line)
        if entry is None:
            return None
        if entry.name:
            entries.append(entry)
    return entries or None


_INLINE_SPLIT = re.compile(r"(?:^|(?<=\s))(\d{1,3})(?:\s*[.、．)）]\s*|\s+)(?=\D)")


def parse_inline(text: str) -> list[Entry] | None:
    """Numbered lines written on one line: "3 李华 1人", "5. 刘姐 1人", "1.张三 2.李四 3.王五"."""
    text = text.strip()
    if not text[:1].isdigit():
        return None
    parts = _INLINE_SPLIT.split(text)
    # parts: ["", "1", "张三 ", "2", "李四 ", …]
    if len(parts) < 3 or parts[0].strip():
        return None
    entries = []
    for i in range(1, len(parts) - 1, 2):
        entry = split_entry(int(parts[i]), parts[i + 1].strip())
        if entry is not None:
            entries.append(entry)
    return entries or None
