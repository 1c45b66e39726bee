"""Cleaning what people type before anything reads it."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidi controls (LRM/RLM and the Arabic letter mark too): invisible, but they break word
# matching ("接\u200b单") and hide a phone number from the group mask ("138\u200f1234…").
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0x180E, *range(0x2060, 0x2065), 0xFEFF, 0x00AD,
     *range(0x202A, 0x202F), *range(0x2066, 0x206A)], None)
_SPACES = re.compile(r"[ \t\u3000]+")
# Control characters (Unicode category Cc) other than the line break.
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """NFKC (full-width digits, letters, spaces and colons become plain), no control characters,
    runs of spaces folded. Line breaks stay: a pasted 接龙 list is one message of many lines."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = _CONTROLS.sub("", text)
    if "\n" not in text:
        return _SPACES.sub(" ", text).strip()
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def strip_mention(text: str, bot_name: str) -> tuple[str, bool]:
    """Remove '@小助手' wherever it stands; report whether it was there."""
    mention = "@" + bot_name
    if mention not in text:
        return text, False
    return _SPACES.sub(" ", text.replace(mention, " ")).strip(), True


def clip(text: str, n: int = 20) -> str:
    """What someone typed, echoed back: never the whole of a long message."""
    text = text.strip()
    return text if len(text) <= n else text[: n - 1] + "…"
