"""`gridbot run` and `gridbot demo`: the long-running service.

run:  channel from the config — or, whenever WECHATY_PUPPET_SERVICE_ENDPOINT and _TOKEN are set, the
      real gateway through wechaty (CONTRACTS §7) — plus the scheduler, the outbox sender and the web.
demo: the same service against the built-in gateway simulator (a local gRPC puppet service that the
      unmodified wechaty client connects to), with the web sandbox to chat as a demo resident."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import signal
import socket

from aiohttp import web

from bot.app import Core, open_core
from kernel.config import Config
from kernel.message import IncomingMessage

log = logging.getLogger("gridbot")


def gateway_settings(config: Config) -> tuple[str | None, str | None]:
    """The environment wins over the config file: that is how operators deploy it."""
    endpoint = os.environ.get("WECHATY_PUPPET_SERVICE_ENDPOINT") or None
    token = os.environ.get("WECHATY_PUPPET_SERVICE_TOKEN") or None
    if endpoint and token:
        return endpoint, token
    return config.endpoint, config.token


def sim_community(config: Config):  # type: ignore[no-untyped-def]
    """The demo community as the gateway simulator sees it: every group with every demo person in it."""
    from bot.channels.gateway_sim import SimCommunity

    people = [(p.id, p.name) for p in (*config.residents, *config.workers, *config.admins)]
    people += [(d.contact_id, d.name) for d in config.departments]
    topics = [g.group for g in config.grids] + [config.staff_group]
    groups = [(f"room-{i}@chatroom", topic, people) for i, topic in enumerate(topics, 1)]
    return SimCommunity(bot_id=config.bot_id, bot_name=config.bot_name, groups=groups, contacts=people)


class Running:
    """Everything a running service holds, so that stop() can take it apart in order."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.tasks: list[asyncio.Task[None]] = []
        self.inflight: set[asyncio.Task[None]] = set()   # messages received, not yet committed
        self.demo_users: list[str] = []
        self.channel = None
        self.simulator = None
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.stop()          # lets messages already received reach on_message
        if self.inflight:
            await asyncio.wait(set(self.inflight), timeout=10)
        self.core.ticker.stop()
        if self.core.sender is not None:
            await self.core.sender.stop()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.simulator is not None:
            await self.simulator.stop()
        if self.runner is not None:
            await self.runner.cleanup()
        await self.core.close()


async def start_service(config: Config, *, db_url: str | None, port: int | None, demo: bool,
                        tick_seconds: float = 15.0) -> Running:
    from bot.channels.wechaty_channel import WechatyChannel
    from bot.web.app import make_app

    # Bind the web port first: with --port 0 the address is only known now, and links in messages
    # (H5 surveys) must point at it unless [web] base_url says otherwise.
    site = config.web
    sock = socket.create_server((site.host, site.port if port is None else port))
    if site.base_url is None:
        bound = f"http://{site.host}:{sock.getsockname()[1]}"
        config = dataclasses.replace(config, web=dataclasses.replace(site, base_url=bound))
    try:
        core = await open_core(config, db_url)
    except BaseException:
        sock.close()
        raise
    running = Running(core)
    try:
        endpoint, token = gateway_settings(config)
        env_gateway = bool(os.environ.get("WECHATY_PUPPET_SERVICE_ENDPOINT")
                           and os.environ.get("WECHATY_PUPPET_SERVICE_TOKEN"))
        if demo or (config.channel == "gateway-sim" and not env_gateway):
            from bot.channels.gateway_sim import GatewaySimulator

            token = "demo-" + secrets.token_hex(8)
            running.simulator = GatewaySimulator(sim_community(config), token=token)
            await running.simulator.start("127.0.0.1", 0)
            endpoint = running.simulator.endpoint
            log.info("gateway simulator listening on %s", endpoint)
        if not endpoint or not token:
            raise SystemExit("没有配置微信网关: 请设置 WECHATY_PUPPET_SERVICE_ENDPOINT 和 WECHATY_PUPPET_SERVICE_TOKEN "
                             "/ no gateway configured: set WECHATY_PUPPET_SERVICE_ENDPOINT and _TOKEN")
        channel = WechatyChannel(account=config.bot_id, endpoint=endpoint, token=token, bot_name=config.bot_name,
                                 clock=core.clock)
        running.channel = channel
        sender = core.attach_channel(channel)

        async def process(msg: IncomingMessage) -> None:
            try:
                await core.dispatcher.submit(msg)
            except Exception:   # logged by the dispatcher; the gateway will redeliver or the user retries
                log.exception("message %s not processed", msg.id)

        async def on_message(msg: IncomingMessage) -> None:
            # Do not wait for the commit here: messages arriving meanwhile join the same transaction
            # (group commit). The task set lets stop() finish what was received.
            task = asyncio.create_task(process(msg))
            running.inflight.add(task)
            task.add_done_callback(running.inflight.discard)

        if demo:
            from bot.web.auth import ensure_demo_users

            running.demo_users = await ensure_demo_users(core)
        app = make_app(core, running.simulator)
        running.runner = web.AppRunner(app, access_log=None)
        await running.runner.setup()
        await web.SockSite(running.runner, sock).start()
        running.port = running.runner.addresses[0][1]
        await channel.start(on_message)
        running.tasks.append(asyncio.create_task(sender.run(), name="outbox-sender"))
        core.ticker.start(tick_seconds)
        await core.ticker.tick()   # catch up at once on anything due while we were down
    except BaseException:
        await running.stop()
        sock.close()
        raise
    return running


async def run_service(config: Config, *, db_url: str | None, port: int | None, demo: bool) -> int:
    running = await start_service(config, db_url=db_url, port=port, demo=demo)
    url = f"http://{config.web.host}:{running.port}"
    print(f"网格小助手已启动 / gridbot is running: {url}/", flush=True)
    if running.simulator is not None:
        print(f"  沙盒 / sandbox (chat as a demo resident): {url}/sandbox", flush=True)
    if running.demo_users:
        from bot.web.auth import demo_logins_text

        print(f"  诉求工作台 / needs inbox: {url}/inbox  {demo_logins_text(running.demo_users)}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    await running.stop()
    return 0


async def create_invite_cli(config: Config, db_url: str | None, role: str, ref: str | None, name: str) -> int:
    from models.db import transaction
    from models.people import create_invite

    core = await open_core(config, db_url, warm_up=False)
    try:
        async with transaction(core.sessions) as session:
            code = await create_invite(session, role=role, ref=ref, name=name, created_by="cli", now=core.clock.now())
    finally:
        await core.close()
    print(f"邀请码 / invite code: {code}  (请让对方私聊机器人发送「绑定 {code}」, 48小时内有效)")
    return 0
