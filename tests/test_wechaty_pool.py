"""wechaty's contact cache stays bounded: the least recently seen senders are forgotten, recent ones kept."""

from __future__ import annotations

from bot.channels.wechaty_channel import _RecentContacts


def test_contact_pool_forgets_the_least_recently_seen_sender() -> None:
    pool = _RecentContacts(limit=3)

    def load(contact_id: str) -> object:     # what wechaty's Contact.load does with its _pool
        if contact_id in pool:
            return pool[contact_id]
        obj = object()
        pool[contact_id] = obj
        return obj

    first = load("wx_a")
    load("wx_b")
    load("wx_c")
    assert load("wx_a") is first             # seen again: the same object, and now the youngest
    load("wx_d")                             # one too many: wx_b, the least recently seen, goes
    assert sorted(pool) == ["wx_a", "wx_c", "wx_d"]
    for i in range(1000):
        load(f"wx_{i}")
    assert len(pool) == 3
