"""Chinese numerals as residents type them: 十二, 两百五, 二〇二六, 3十, １２, 俩.

`cn_to_int` behaves like `int()`: it returns an int or raises ValueError, so callers can
use it the same way for digits and Chinese numerals ("2人", "两个人", "十二幢").
"""

from __future__ import annotations

import re

# Digit characters, including full-width digits and the colloquial 两/俩/仨/幺.
_DIGITS: dict[str, int] = {
    "〇": 0, "零": 0, "○": 0,
    "一": 1, "幺": 1, "壹": 1,
    "二": 2, "两": 2, "俩": 2, "贰": 2,
    "三": 3, "仨": 3, "叁": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
for _i in range(10):
    _DIGITS[str(_i)] = _i
    _DIGITS[chr(0xFF10 + _i)] = _i  # full-width ０-９

_SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS: dict[str, int] = {"万": 10_000, "亿": 100_000_000}

#: Character class for regexes in other modules that capture a numeral to pass here.
NUMERAL_CHARS = "0-9０-９〇○零一幺壹二两俩贰三仨叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万"


def cn_to_int(text: str) -> int:
    """Read a Chinese, Arabic or mixed numeral; raise ValueError if it is not one.

    Without unit characters the digits are read one by one ("二〇二六" → 2026, "12" → 12).
    With units the usual grammar applies, including the spoken elision of the last unit
    ("一百五" → 150, "两千三" → 2300) and a bare leading 十 ("十二" → 12).
    """
    s = text.strip()
    if not s:
        raise ValueError("empty numeral")
    if all(ch in _DIGITS for ch in s):
        value = 0
        for ch in s:
            value = value * 10 + _DIGITS[ch]
        return value
    return _with_units(s)


def _with_units(s: str) -> int:
    total = 0          # completed 万/亿 sections
    section = 0        # value inside the current section (below 万)
    digit: int | None = None
    last_unit = 1      # the unit just used, for the elided "一百五" reading
    for ch in s:
        if ch in _DIGITS:
            # Consecutive digits inside a unit numeral ("1百23") read as one number.
            digit = _DIGITS[ch] if digit is None else digit * 10 + _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        elif ch in _BIG_UNITS:
            unit = _BIG_UNITS[ch]
            if digit is not None:
                section += digit
            if section == 0:
                section = 1
            total += section * unit
            section, digit, last_unit = 0, None, unit
        else:
            raise ValueError(f"not a numeral: {s!r}")
    if digit is not None:
        # "一百五" means 150, but "一百零五" (a 零 came right before) means 105.
        if last_unit >= 10 and digit < 10 and not s.endswith(("零" + s[-1], "〇" + s[-1])):
            digit *= last_unit // 10
        section += digit
    return total + section


# ------------------------------------------------------------------ quantities people type in commands
#
# Counts (people, seats, places) and money are read here, sign included, so every command sees the
# number as typed: "-5人" is -5, not 5, and 99999999999999 stays that big. Nothing is clamped or dropped
# here; each capability refuses what is out of its range with its own polite sentence.

#: A minus as residents type it: ASCII, full-width, the math sign, a dash, or 负 — but not the "-" of a
#: range or an address ("1-2人", "3-2-401").
SIGN = r"(?:(?<![0-9０-９])[-－−–—]|负)"
_SIGN_AT_START = re.compile(rf"^\s*{SIGN}\s*")
#: A count as a regex piece, sign included: pass the capture to `read_count`.
SIGNED_NUMERAL = rf"(?:{SIGN}\s*)?[{NUMERAL_CHARS}]+"


def read_count(text: str) -> int:
    """A count as typed: "5" → 5, "-5" → -5, "负三" → -3, "１２" → 12; ValueError if not a numeral."""
    s = text.strip()
    m = _SIGN_AT_START.match(s)
    if m is None:
        return cn_to_int(s)
    return -cn_to_int(s[m.end():])


_YUAN = re.compile(rf"^({SIGN}\s*)?(\d+(?:\.\d{{1,2}})?)\s*(?:元|块钱|块)?$")


def read_yuan(text: str) -> int:
    """An amount of money in 元 → cents, sign included: "29.9元" → 2990, "-5元" → -500; ValueError
    if it is not an amount. The caller decides which range is a plausible fee."""
    m = _YUAN.match(text.strip().replace(" ", ""))
    if m is None:
        raise ValueError(f"not an amount: {text!r}")
    whole, _, frac = m.group(2).partition(".")
    cents = int(whole) * 100 + int((frac + "00")[:2])
    return -cents if m.group(1) else cents
