"""Chinese numerals as residents type them: 十二, 两百五, 二〇二六, 3十, １２, 俩.

`cn_to_int` behaves like `int()`: it returns an int or raises ValueError, so callers can
use it the same way for digits and Chinese numerals ("2人", "两个人", "十二幢").
"""

from __future__ import annotations

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
