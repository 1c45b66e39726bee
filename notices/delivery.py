"""What people are told about delivery itself: an urgent alert the channel gave up on must not vanish
silently. Every admin (but the one it was for) hears of it privately — never a group, and never a row to
a resident (a 树洞 sender's rows are random-keyed and a resident's urgent acknowledgement answers their
own message: neither is rerouted, so no admin learns who wrote an anonymous wish)."""

from __future__ import annotations

from kernel.config import Config
from kernel.identity import Directory
from kernel.message import ChatKind
from models.outbox import ANONYMOUS, OutboxMessage, Outbox, Priority
from notices.needs import short
from texts import ops as T


def reroutable(row: OutboxMessage, directory: Directory) -> bool:
    """An urgent notice to staff: a staff group, or a worker/admin/department privately."""
    if row.priority != Priority.URGENT or row.reply_to is not None or row.key.startswith(ANONYMOUS):
        return False
    if row.chat_kind == ChatKind.GROUP:
        return True
    person = directory.get(row.chat_id)
    return person is not None and person.is_staff


async def undelivered_alert(out: Outbox, config: Config, directory: Directory, row: OutboxMessage) -> int:
    """Tell every other admin, privately, what the alert said and whom it did not reach."""
    person = directory.get(row.chat_id) if row.chat_kind == ChatKind.PRIVATE else None
    to = person.name if person is not None else row.chat_id
    told = 0
    for admin in config.admins:
        if admin.id == row.chat_id:
            continue
        told += await out.private(admin.id, T.ALERT_UNDELIVERED.format(to=to, text=short(row.text, 300)),
                                  key=f"undelivered:{row.id}:{admin.id}", priority=Priority.URGENT)
    return told
