"""随手拍: who is sent a need's photo. Only the finished-repair photo (办结 with a picture) is sent at all, and
only privately to the need's resident: a photo is never posted into a group, and a 树洞's resident is not
known to anyone (they see the result through 查 with their follow-up code)."""

from __future__ import annotations

from kernel.config import Config
from models import needs as N
from models import photos as P
from models.outbox import Outbox
from texts import photos as T


async def send_resolution_photo(out: Outbox, config: Config, need: N.Need, rows: list[P.NeedPhoto]) -> bool:
    """Each new resolution photo to the resident, privately, keyed by the photo row (delivered once).
    False when there is nobody to send it to (a 树洞, a need taken by phone)."""
    if need.tree_hole or not need.requester or not rows:
        return False
    for row in rows:
        await out.private(need.requester, T.RESOLUTION_PHOTO_TO_RESIDENT.format(code=need.code),
                          key=f"need-photo:{row.id}:{need.requester}", image=str(P.path_of(config, row.sha256)))
    return True
