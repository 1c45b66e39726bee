"""An urgent alert that WeChat refuses to deliver does not vanish: every other admin hears of it privately.
A resident's own rows — their urgent acknowledgement, a 树洞 sender's reply — are never rerouted."""

from __future__ import annotations

from bot.channels.base import PermanentChannelError
from kernel.message import OutgoingMessage

G1 = "网格1一家亲"


def _refuse(h, contact: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The channel refuses every private message to `contact` (a deleted friend, a blocked account)."""
    refused: list[str] = []
    send = h.channel.send

    async def refusing(out: OutgoingMessage) -> None:
        if out.chat_id == contact:
            refused.append(out.text)
            raise PermanentChannelError(f"contact {contact} is not a friend of the bot")
        await send(out)
    h.channel.send = refusing
    return refused


async def test_an_urgent_alert_the_worker_cannot_get_reaches_the_admin(harness) -> None:
    h = harness
    refused = _refuse(h, "wx_wang")
    sent = await h.say(G1, "wx_zhang", "@小助手 1栋楼道里有人晕倒了,快来人", name="张桂芳")
    assert refused and "紧急" in refused[0]                                     # the worker's alert failed
    to_admin = [d for d in sent if d.to == "私聊:wx_li" and "没能发给王网格员" in d.text]
    assert len(to_admin) == 1 and "晕倒" in to_admin[0].text
    assert not any("没能发给" in d.text for d in sent if not d.to.startswith("私聊:wx_li"))   # no group hears


async def test_a_residents_own_urgent_acknowledgement_is_not_rerouted(harness) -> None:
    h = harness
    refused = _refuse(h, "wx_zhang")
    sent = await h.say("私聊", "wx_zhang", "树洞 我家里有人打我,我很害怕")
    assert refused                                                               # the 树洞 sender's reply failed
    assert not any("没能发给" in d.text for d in sent)                           # and nobody learns who it was
