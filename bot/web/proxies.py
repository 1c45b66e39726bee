"""The client's own address behind a reverse proxy. aiohttp-remotes' XForwardedFiltered takes the
right-most X-Forwarded-For address that is not a trusted proxy; it does not look at who sent the header,
so we hand it only requests whose peer is one of `[web] trusted_proxies`. From anyone else the header is
ignored: a client cannot pick the address the login throttle and the audit log see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from ipaddress import ip_address, ip_network

from aiohttp import web
from aiohttp_remotes import XForwardedFiltered

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def forwarded_for(trusted: Sequence[str]) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    networks = [ip_network(item, strict=False) for item in trusted]
    filtered = XForwardedFiltered({str(n) for n in networks})

    def from_proxy(request: web.Request) -> bool:
        try:
            peer = ip_address(request.remote or "")
        except ValueError:
            return False
        peer = getattr(peer, "ipv4_mapped", None) or peer
        return any(peer in n for n in networks)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if networks and from_proxy(request):
            return await filtered.middleware(request, handler)
        return await handler(request)

    return middleware
