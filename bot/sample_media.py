"""Sample attachments for simulators, scripts and the sandbox: a script line whose text is

    [图片:label]       a photo (a small JPEG; "gps" carries GPS EXIF; "大" is larger than photos.max_mb)
    [文件:name.pdf]    a file that is not a picture
    [语音:]            a voice note the channel did not transcribe
    [语音:words]       a voice note transcribed as "words" (as WeCom's AI bot delivers them)

is that message. A plain "[图片]" / "[语音]" stays text, as WeChat's own placeholders always were."""

from __future__ import annotations

import hashlib
import io
import re

from PIL import Image

from kernel.message import Media, MessageKind

SCRIPT_MEDIA_RE = re.compile(r"^\[(?P<kind>图片|文件|语音):(?P<arg>[^\]]*)\]$")
GPS_IFD = 0x8825


def sample_jpeg(label: str = "", *, gps: bool = False, size: tuple[int, int] = (1200, 900)) -> bytes:
    """A JPEG whose colour follows the label (distinct labels, distinct photos); with GPS EXIF if asked."""
    rgb = tuple(hashlib.sha256(label.encode()).digest()[:3])
    im = Image.new("RGB", size, rgb)                          # type: ignore[arg-type]
    im.paste((255 - rgb[0], 255 - rgb[1], 255 - rgb[2]), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SamplePhone"
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (31.0, 13.0, 37.0), 3: "E", 4: (121.0, 28.0, 11.0)}
    im.save(out, "JPEG", quality=80, exif=exif.tobytes())
    return out.getvalue()


def oversized(max_mb: float) -> bytes:
    """A JPEG header followed by more bytes than photos.max_mb allows (never decoded: refused by size)."""
    return b"\xff\xd8\xff\xe0" + b"\0" * int(max_mb * 1024 * 1024 + 1024)


def media_of_script_text(text: str, max_mb: float) -> tuple[MessageKind, tuple[Media, ...], str, bool] | None:
    """(kind, media, text, heard) for a sample-attachment line, else None."""
    m = SCRIPT_MEDIA_RE.match(text.strip())
    if m is None:
        return None
    kind, arg = m.group("kind"), m.group("arg").strip()
    if kind == "图片":
        data = oversized(max_mb) if arg == "大" else sample_jpeg(arg, gps=arg.lower() == "gps")
        return MessageKind.IMAGE, (Media("image", data, "image/jpeg", f"{arg or 'photo'}.jpg"),), "[图片]", False
    if kind == "文件":
        return (MessageKind.FILE, (Media("file", b"%PDF-1.4\n% sample\n", "application/pdf", arg or "file.pdf"),),
                "[文件]", False)
    if arg:
        return MessageKind.TEXT, (Media("voice", b"", "audio/amr", "voice.amr", transcript=arg),), arg, True
    return MessageKind.VOICE, (Media("voice", b"", "audio/amr", "voice.amr"),), "[语音]", False
