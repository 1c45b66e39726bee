"""Who and where a need is about, beyond intent and category.

- `grid_mention`: a grid a resident names, in any of the ways people write it ("网格3", "3网格",
  "第3网格", "三网格", "3号网格", "第三网格"); the caller checks it against the configured grids and asks
  which grid when it is not one of them, rather than guessing.
- `complains_about_worker`: a complaint about a grid worker ("网格员不管事", "王网格员态度差"), which goes
  to the admin, never to the worker it is about.

Pure functions of the text, no configuration.
"""

from __future__ import annotations

import re

from kernel.text.numbers import NUMERAL_CHARS, cn_to_int

_N = f"[{NUMERAL_CHARS}]{{1,3}}"
_GRID_RE = re.compile(
    rf"第\s*(?P<a>{_N})\s*(?:号\s*)?网格"      # 第3网格, 第三网格
    rf"|(?<![{NUMERAL_CHARS}])(?P<b>{_N})\s*号?\s*网格(?!员)"   # 3网格, 三网格, 3号网格
    rf"|网格\s*(?P<c>{_N})(?!\s*[栋幢号楼])")   # 网格3 (not "网格3栋")


def grid_mention(text: str) -> int | None:
    """The number of a grid named in `text`, else None."""
    m = _GRID_RE.search(text)
    if m is None:
        return None
    try:
        return cn_to_int(m.group("a") or m.group("b") or m.group("c"))
    except ValueError:
        return None


# A grid worker named as such ("网格员", "王网格员", "网格长", "网格的小李") and a complaint about
# how they work or behave. Praise and thanks ("网格员辛苦了") are not complaints.
_WORKER = r"(?:网格员|网格长|网格管理员|网格的?(?:小|老)?[\u4e00-\u9fff]?(?:姐|哥|师傅)?)"
_FAULT = (r"不管事|不管|不作为|不理人?|没人理|不回|不回复|不回消息|不接电话|态度(?:太|很|特别|极其|非常)?(?:差|恶劣|不好)"
          r"|骂人|凶|推诿|推脱|踢皮球|敷衍|糊弄|不负责|不办事|不干活|不上门|吃拿卡要|刁难|摆架子|爱答不理|拖着")
_COMPLAINT_RE = re.compile(
    rf"(?:投诉|举报|反映)[^,.!?;。]{{0,6}}{_WORKER}"
    rf"|{_WORKER}[^,.!?;。]{{0,16}}(?:{_FAULT})")
_NEGATED_FAULT = re.compile(r"(?:没有?|不)(?:骂人|敷衍|推诿)")


def complains_about_worker(text: str) -> bool:
    """Whether `text` complains about a grid worker (their conduct or not doing their job)."""
    return bool(_COMPLAINT_RE.search(text)) and not _NEGATED_FAULT.search(text)
