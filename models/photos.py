"""随手拍: photos that belong to a need — the resident's picture of the blocked drain, the worker's picture
of the finished repair.

Storage (one choice for every deployment): the files live under the data directory, content-addressed,

    <data_dir>/photos/ab/abcdef…(64 hex).jpg      the stored copy (longest edge ≤ photos.stored_edge)
    <data_dir>/photos/ab/abcdef…-t.jpg            its thumbnail (longest edge ≤ photos.thumb_edge)

and one `need_photos` row per (need, photo) says who may see it (through the need: models/access.py).
Files rather than database blobs keep the database and its dumps small and let a backup copy them as they
are (bot/backup.py FILE_DIRS); the name is the SHA-256 of the stored bytes, so the same picture sent twice
is one file and a file write that outlives a rolled-back transaction is harmless.

Every photo is decoded and re-encoded by pillow before anything is stored: the type is what the pixels say
(JPEG, PNG, WebP — HEIC only if the installed pillow can open it, which a plain pillow cannot; WeChat and
WeCom deliver JPEG anyway), and the stored copy carries no EXIF, GPS, XMP or comment — for every photo,
not only 树洞 ones: a resident's position is never something the inbox needs. A 树洞 photo's row has no
uploader, like the need itself."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.config import Config
from kernel.settings import PhotoSettings
from models.base import Base
from models.conversation import Question
from models.needs import Need, NeedEvent

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}   # what pillow says the bytes are (MPO: phone JPEGs)
MB = 1024 * 1024

# Pending items in the conversation model (models/conversation.py), keyed (chat scope, person, kind):
PHOTOS_WAITING = "photo.waiting"        # photos sent before their need's text: {"photos": [Stored…], "asked": bool}
NEED_WINDOW = "photo.need"              # a need just reported: photos sent now join it {"code": …}
RESOLVE_WINDOW = "photo.resolve"        # a worker just sent 办结: a photo now is the finished repair {"code": …}


class Role(StrEnum):
    REPORT = "report"            # sent with the need (resident)
    RESOLUTION = "resolution"    # sent with 办结 (staff); also sent to the resident


class PhotoRefused(Exception):
    """`reason`: too_large | not_image | too_many."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NeedPhoto(Base):
    __tablename__ = "need_photos"
    __table_args__ = (UniqueConstraint("need_id", "sha256"), Index("ix_need_photos_need", "need_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))     # the file name (content address)
    mime: Mapped[str] = mapped_column(String(32))       # of the stored copy (image/jpeg)
    size: Mapped[int]                                   # bytes of the stored copy
    width: Mapped[int]
    height: Mapped[int]
    role: Mapped[str] = mapped_column(String(16), default=Role.REPORT)
    created_at: Mapped[datetime]
    uploader: Mapped[str | None] = mapped_column(String(64))   # contact id; None for a 树洞 need, always


@dataclass(frozen=True)
class Stored:
    """A photo whose files are written, not yet (or already) attached to a need. JSON-safe (asdict), so a
    photo sent before its text waits as a pending item in the conversation model."""

    sha256: str
    mime: str
    size: int
    width: int
    height: int

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> "Stored":
        return cls(str(d["sha256"]), str(d["mime"]), int(d["size"]), int(d["width"]), int(d["height"]))


# ---------------------------------------------------------------- files

def photo_dir(config: Config) -> Path:
    return config.data_dir / "photos"


def path_of(config: Config, sha256: str, *, thumb: bool = False) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a photo name")        # never a path built from anything else
    return photo_dir(config) / sha256[:2] / f"{sha256}{'-t' if thumb else ''}.jpg"


def _write(path: Path, data: bytes) -> None:
    if path.exists():
        return                                       # content-addressed: already there, same bytes
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _encode(im: Image.Image, edge: int, quality: int) -> tuple[bytes, int, int]:
    im = im.copy()
    im.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh JPEG from the pixels only: no exif=, icc_profile=, comment= or xmp= is passed, so none is written.
    im.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue(), im.width, im.height


def check_and_encode(data: bytes, s: PhotoSettings) -> tuple[bytes, bytes, int, int]:
    """Pure and CPU-bound (run it in a thread): the stored copy and the thumbnail as JPEG bytes, without
    any metadata, and the stored copy's size. Raises PhotoRefused."""
    if len(data) > s.max_mb * MB:
        raise PhotoRefused("too_large")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise PhotoRefused("not_image")
            if probe.width * probe.height > s.max_pixels:
                raise PhotoRefused("too_large")
            probe.verify()
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            im = ImageOps.exif_transpose(im)          # keep the picture upright once the EXIF is gone
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                flat = Image.new("RGB", im.size, (255, 255, 255))
                flat.paste(im, mask=im.getchannel("A"))
                im = flat
            elif im.mode != "RGB":
                im = im.convert("RGB")
            im.info.clear()
            stored, w, h = _encode(im, s.stored_edge, 85)
            thumb, _, _ = _encode(im, s.thumb_edge, 75)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRefused("not_image") from None
    return stored, thumb, w, h


def store(config: Config, data: bytes) -> Stored:
    """Check, strip, shrink and write a photo and its thumbnail (idempotent). Raises PhotoRefused."""
    stored, thumb, w, h = check_and_encode(data, config.photos)
    sha = hashlib.sha256(stored).hexdigest()
    _write(path_of(config, sha, thumb=True), thumb)
    _write(path_of(config, sha), stored)
    return Stored(sha, "image/jpeg", len(stored), w, h)


# ---------------------------------------------------------------- rows

async def count_for(session: AsyncSession, need_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(NeedPhoto).where(NeedPhoto.need_id == need_id))
               or 0)


async def attach(session: AsyncSession, now: datetime, config: Config, need: Need, photos: list[Stored], *,
                 uploader: str | None, uploader_name: str | None = None,
                 role: Role = Role.REPORT) -> list[NeedPhoto]:
    """Attach photos to a need (beyond photos.max_per_need: PhotoRefused("too_many") if none fit).
    A 树洞 need's photos name nobody. One event row says that photos arrived."""
    if need.tree_hole:
        uploader = uploader_name = None
    have = await count_for(session, need.id)
    known = set((await session.scalars(select(NeedPhoto.sha256).where(NeedPhoto.need_id == need.id))).all())
    room = config.photos.max_per_need - have
    fresh = [p for p in dict.fromkeys(photos) if p.sha256 not in known]
    room = max(room, 0)
    # the ones that do not fit were written by store(): their files go, unless another need holds them
    await _drop_files(session, config, now, {p.sha256 for p in fresh[room:]})
    if fresh and room == 0:
        raise PhotoRefused("too_many")
    rows = [NeedPhoto(need_id=need.id, sha256=p.sha256, mime=p.mime, size=p.size, width=p.width, height=p.height,
                      role=str(role), created_at=now, uploader=uploader) for p in fresh[:room]]
    if rows:
        need.updated_at = now            # the inbox's live list notices the change
        session.add_all(rows)
        session.add(NeedEvent(need_id=need.id, at=now, actor=uploader, actor_name=uploader_name, action="photo",
                              from_status=need.status, to_status=need.status,
                              note=f"{'办结照片' if role == Role.RESOLUTION else '照片'} {len(rows)} 张"))
        await session.flush()
    return rows


async def record_voice(session: AsyncSession, now: datetime, need: Need, *, actor: str | None,
                       actor_name: str | None) -> None:
    """A voice note arrived about this need and could not be transcribed: the worker still sees it did."""
    if need.tree_hole:
        actor = actor_name = None
    session.add(NeedEvent(need_id=need.id, at=now, actor=actor, actor_name=actor_name, action="voice",
                          from_status=need.status, to_status=need.status, note="居民发来一条语音(未能转成文字)"))
    await session.flush()


async def photos_of(session: AsyncSession, need_ids: list[int]) -> dict[int, list[NeedPhoto]]:
    """Photos per need, oldest first."""
    if not need_ids:
        return {}
    rows = (await session.scalars(select(NeedPhoto).where(NeedPhoto.need_id.in_(need_ids))
                                  .order_by(NeedPhoto.need_id, NeedPhoto.id))).all()
    out: dict[int, list[NeedPhoto]] = {}
    for r in rows:
        out.setdefault(r.need_id, []).append(r)
    return out


async def photo_with_need(session: AsyncSession, photo_id: int) -> tuple[NeedPhoto, Need] | None:
    row = (await session.execute(select(NeedPhoto, Need).join(Need, Need.id == NeedPhoto.need_id)
                                 .where(NeedPhoto.id == photo_id))).first()
    return (row[0], row[1]) if row else None


async def forget_unclaimed(session: AsyncSession, config: Config, now: datetime) -> int:
    """Photos that waited for a need text that never came (a group photo of someone's dinner, a photo in
    private never described): once their pending item expires, their files go, unless a need holds the same
    picture or another open item still waits with it. Run before the expired items are purged."""
    expired = (await session.scalars(select(Question).where(Question.kind == PHOTOS_WAITING,
                                                            Question.expires_at <= now))).all()
    return await _drop_files(session, config, now, {str(p.get("sha256")) for q in expired
                                                    for p in q.data.get("photos", [])})


async def _drop_files(session: AsyncSession, config: Config, now: datetime, shas: set[str]) -> int:
    """Delete these photos' files unless a need holds the same picture or an open item still waits with it."""
    if not shas:
        return 0
    kept = set((await session.scalars(select(NeedPhoto.sha256).where(NeedPhoto.sha256.in_(shas)))).all())
    open_items = (await session.scalars(select(Question).where(Question.kind == PHOTOS_WAITING,
                                                               Question.expires_at > now))).all()
    kept |= {str(p.get("sha256")) for q in open_items for p in q.data.get("photos", [])}
    gone = 0
    for sha in shas - kept:
        for thumb in (False, True):
            with contextlib.suppress(OSError, ValueError):
                path_of(config, sha, thumb=thumb).unlink()
                gone += 1
    return gone
