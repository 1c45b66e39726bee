"""Masking what must not be read in a group or by a read-only viewer: phone numbers, ID numbers, names.

The outbox applies `mask_for_group` to every group message (one chokepoint, whatever capability wrote
it): phones, ID numbers, a mobile number cut short ("13700001…") and the name written against a phone
("张桂芳13700001111" → "张**137****1111"). Names standing alone cannot be told from other words here:
notices and texts mask them themselves where a roster or an echo would show them."""

from __future__ import annotations

import functools
import re
import secrets

_PHONE_RES = (
    # mobiles, optionally +86 / 86, digits possibly split by spaces, dashes, dots or slashes: 138 1234 5678,
    # 138.1234.5678, 138—1234—5678
    re.compile(r"(?<!\d)((?:\+?86[\s-]?)?1[3-9]\d)[\s\-.—–_/~·]?(\d{4})[\s\-.—–_/~·]?(\d{4})(?!\d)"),
    # landlines: 028-87654321, (028)8765-4321, 0551 1234567
    re.compile(r"(?<!\d)(\(?0\d{2,3}\)?[\s-]?)(\d{3,4})[\s-]?(\d{4})(?!\d)"),
)
_ID_RE = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")


# A mobile typed one digit at a time to slip past a filter: "1 3 8 1 2 3 4 5 6 7 8", "1-3-8-…".
_SPELLED_MOBILE = re.compile(r"(?<![\d*])1[\s\-.·][3-9](?:[\s\-.·]\d){9}(?![\d*]|[\s\-.·]\d)")
# Invisible characters and full-width digits read as nothing and as digits: "１３８\u200b1234…" is a number.
_UNSEEN = dict.fromkeys([0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0x180E, *range(0x2060, 0x2065), 0xFEFF,
                         0x00AD, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], None) | \
    {0xFF10 + i: ord("0") + i for i in range(10)}


@functools.lru_cache(maxsize=8)
def public_numbers(numbers: tuple[str, ...]) -> frozenset[str]:
    """The digits of numbers anyone may read (the community's hotlines, [knowledge] phones): never masked.
    Cached: the outbox asks once per unit of work, with the same few numbers."""
    return frozenset(d for n in numbers if (d := re.sub(r"\D", "", n)))


def mask_phones(text: str, keep: frozenset[str] = frozenset()) -> str:
    """138****5678 for mobiles, 028-****4321 for landlines, 510***********123X for ID numbers; a number
    whose digits are in `keep` (public_numbers) stays as written."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    if any(ord(ch) in _UNSEEN for ch in text):
        text = text.translate(_UNSEEN)

    def kept(m: re.Match[str], masked: str) -> str:
        return m.group(0) if keep and re.sub(r"\D", "", m.group(0)) in keep else masked
    text = _ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    text = _PHONE_RES[0].sub(lambda m: kept(m, m.group(1) + "****" + m.group(3)), text)
    text = _SPELLED_MOBILE.sub(lambda m: (d := re.sub(r"\D", "", m.group(0)))[:3] + "****" + d[-4:], text)
    return _PHONE_RES[1].sub(lambda m: kept(m, m.group(1) + "****" + m.group(3)), text)


def find_phones(text: str | None) -> list[str]:
    """The phone numbers a text mentions, once each, mobiles first: 13812345678, 028-87654321 (the ledger's
    联系电话). Pass a result through mask_phones before showing it to someone who may not see it."""
    found: list[str] = []
    for i, rx in enumerate(_PHONE_RES):
        for m in rx.finditer(_ID_RE.sub(" ", text or "")):
            if i == 0:
                number = re.sub(r"\D", "", m.group(0))[-11:]
            else:
                number = re.sub(r"\D", "", m.group(1)) + "-" + m.group(2) + m.group(3)
            if number not in found:
                found.append(number)
    return found


def mask_name(name: str | None) -> str | None:
    """张桂芳 → 张**, 王芳 → 王*: the family name stays so a neighbour can still tell who is meant."""
    if not name:
        return name
    return name[0] + "*" * max(1, min(3, len(name) - 1))


# What is left of a mobile number after a cut ("13700001…") or a typo: 7–10 digits from 13x–19x.
_PARTIAL_MOBILE = re.compile(r"(?<![\d*])(1[3-9]\d)(\d{4,7})(?![\d*])")
# Two or three Chinese characters written right against a (masked) mobile number: a name.
_NAME_BEFORE_PHONE = re.compile(r"([\u4e00-\u9fff]{2,3})(?=[\s:：,，]?(?:\+?86[\s-]?)?1[3-9]\d\*{4}\d{4})")
_NOT_NAMES = ("电话", "手机", "号码", "联系", "热线", "拨打", "致电", "打给", "微信")


def mask_for_group(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Everything a resident group must not read in clear, as far as the text itself shows it (`keep`:
    public_numbers, which stay readable)."""
    text = mask_phones(text, keep)
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _PARTIAL_MOBILE.sub(lambda m: m.group(1) + "*" * len(m.group(2)), text)

    def name(m: re.Match[str]) -> str:
        word = m.group(1)
        return word if any(word.endswith(w) or w in word for w in _NOT_NAMES) else (mask_name(word) or word)
    return _NAME_BEFORE_PHONE.sub(name, text)


# A household: the room after a building ("12栋302", "3号楼2单元401室") or a room on its own ("302室").
_ROOM_AFTER_BUILDING = re.compile(r"(\d{1,3}\s*(?:栋|幢|号楼|座)\s*(?:\d{1,2}\s*单元\s*)?(?:\d{1,2}\s*[层楼]\s*)?)(\d{3,4})(?!\d)")
_ROOM_ALONE = re.compile(r"(?<![\d*])(\d{3,4})(\s*(?:室|房间|号房))")


def mask_for_viewer(text: str) -> str:
    """What a read-only viewer reads: no phone or ID number, no name against a phone, and no household —
    the building stays (where a problem is), the room goes ("12栋302" → "12栋***")."""
    text = mask_for_group(text)
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ROOM_AFTER_BUILDING.sub(lambda m: m.group(1) + "***", text)
    return _ROOM_ALONE.sub(lambda m: "***" + m.group(2), text)


# Random codes a person types (invite codes, 树洞 follow-up codes): no 0/O, 1/I, and none of B D E P S,
# which start booking/need/event/push/survey codes.
CODE_ALPHABET = "ACFGHJKLMNQRTUVWXYZ23456789"
CODE_CHARS = CODE_ALPHABET + CODE_ALPHABET.lower()     # for matching: case does not matter


def random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
