"""`gridbot classify`: one JSON object out for every line in (CONTRACTS §2).

Each input line is either a JSON object with a string "text" key, or plain text. Anything
else, including a line that only looks like JSON ("{broken", "+1", "123"), is plain text, so
a bad line never stops the stream. Every line produces exactly one output line, in order;
a blank line is classified as the empty text (chatter), which keeps output line N aligned
with input line N.
"""

from __future__ import annotations

import json
from typing import TextIO

from kernel.text.classify import classify


def read_text(line: str) -> str:
    """The message text of one input line (without its line ending)."""
    raw = line.rstrip("\r\n")
    if raw.lstrip().startswith("{"):
        try:
            obj = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            return obj["text"]
    return raw


def run(stdin: TextIO, stdout: TextIO) -> int:
    """Classify every line of `stdin` onto `stdout`; returns the exit status (always 0)."""
    for line in stdin:
        text = read_text(line)
        stdout.write(json.dumps(classify(text).as_json_dict(text), ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(run(sys.stdin, sys.stdout))
