"""`gridbot run` and `gridbot demo`: the long-running service.

run:  the WeCom AI bot when WECOM_BOT_ID and _SECRET are set; else, whenever WECHATY_PUPPET_SERVICE_ENDPOINT
      and _TOKEN are set, the real gateway through wechaty; else the config's channel — plus the scheduler,
      the outbox sender and the web. Half of either pair in the environment is refused. It refuses a
      database that holds the demo accounts (public password "demo").
demo: the same service against a built-in simulator — the wechaty gateway (a local gRPC puppet service the
      unmodified wechaty client connects to) or, with --channel wecom, WeCom's long connection (a local
      WebSocket server the real wecom-aibot-sdk connects to) — with the demo logins and the web sandbox
      (only here) to chat as a demo resident.

SIGTERM or Ctrl-C stops it in order within seconds, live streams included: the channel hands over what it
received, messages in flight commit, a scheduler tick in progress commits, the sender hands back its
claims, the web server closes its streams. A second Ctrl-C quits at once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from kernel import metrics
from bot.app import Core, _warm_up_text, open_core, resolve_db_url
from bot.backup import service_lock
from bot.channels.base import Channel, ChannelError
from bot.faults import OperatorError, bind_fault, sqlite_path
from bot.web.app import metrics_token
from bot.web.auth import demo_accounts_present, demo_logins_text
from kernel.calendar_cn import LAST_PACKAGED_YEAR, missing_years
from kernel.config import Config
from kernel.logevent import log_event
from kernel.message import IncomingMessage
from texts import ops as T

log = logging.getLogger("gridbot")
SHUTDOWN_GRACE = 2.0    # seconds the web server gives open requests (live streams) after telling them to end


def _env_pair(first: str, second: str) -> tuple[str, str] | None:
    """Both variables, or neither; one alone is an operator mistake, never a silent fallback."""
    a, b = os.environ.get(first) or None, os.environ.get(second) or None
    if a and b:
        return a, b
    if a or b:
        given, missing = (first, second) if a else (second, first)
        raise OperatorError(T.ENV_HALF_SET, given=given, missing=missing)
    return None


def gateway_settings(config: Config) -> tuple[str | None, str | None]:
    """The environment wins over the config file: that is how operators deploy it."""
    pair = _env_pair("WECHATY_PUPPET_SERVICE_ENDPOINT", "WECHATY_PUPPET_SERVICE_TOKEN")
    return pair if pair else (config.endpoint, config.token)


def wecom_settings() -> tuple[str, str, str | None] | None:
    """(bot id, secret, WebSocket URL or None for WeCom's own) when the environment selects the WeCom AI bot."""
    pair = _env_pair("WECOM_BOT_ID", "WECOM_BOT_SECRET")
    return (*pair, os.environ.get("WECOM_WS_URL") or None) if pair else None


def sim_wecom_community(config: Config):  # type: ignore[no-untyped-def]
    """The demo community as the WeCom simulator sees it: the [wecom] chats, plus a chat for every group the
    config does not map (the bot answers there that the group is not registered), and every demo person."""
    from bot.channels.wecom_sim import WecomCommunity

    chats = dict(config.wecom.groups)
    mapped = set(chats.values())
    for i, topic in enumerate([g.group for g in config.grids] + [config.staff_group], 1):
        if topic not in mapped:
            chats[f"wr-unmapped-{i}"] = topic
    user_of = {person: user for user, person in config.wecom.people.items()}
    people = [(p.id, p.name) for p in (*config.residents, *config.workers, *config.admins)]
    people += [(d.contact_id, d.name) for d in config.departments]
    users = {user_of.get(pid, pid): name for pid, name in people} | dict(config.wecom.users)
    return WecomCommunity(bot_id=config.bot_id, bot_name=config.bot_name, chats=chats, users=users,
                          aliases={pid: user_of.get(pid, pid) for pid, _ in people})


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
        self.lock: contextlib.ExitStack = contextlib.ExitStack()

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.stop()          # lets messages already received reach on_message
        if self.inflight:
            await asyncio.wait(set(self.inflight), timeout=10)
        await self.core.ticker.finish()
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
            await self.runner.cleanup()        # on_shutdown ends the live streams; SHUTDOWN_GRACE caps the rest
        await self.core.close()
        self.lock.close()


def local_url(host: str, port: int | None) -> str:
    """The address to open on this machine (a wildcard listen address is reached through loopback)."""
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"


def bind_web(config: Config, port: int | None) -> socket.socket:
    host, port = config.web.host, config.web.port if port is None else port
    try:
        return socket.create_server((host, port))
    except OSError as exc:
        raise bind_fault(exc, host, port) from exc


def channel_fault(exc: BaseException, endpoint: str | None) -> OperatorError:
    detail = str(exc).split(": ", 1)[-1] if str(exc) else type(exc).__name__
    if type(exc).__name__ == "GatewayAuthError":
        return OperatorError(T.GATEWAY_TOKEN, endpoint=endpoint, error=detail)
    return OperatorError(T.GATEWAY_UNREACHABLE, endpoint=endpoint, error=detail)


async def watch_channel(channel: Channel, interval: float = 1.0) -> None:
    """channel.up / channel.down in the log and the gridbot_channel_up gauge, whatever the channel."""
    name = getattr(channel, "name", "chat")
    up: bool | None = None
    while True:
        now_up = channel.is_ready()
        if now_up != up:
            metrics.CHANNEL_UP.labels(name).set(1 if now_up else 0)
            log_event(log, "channel.up" if now_up else "channel.down",
                      log_level=logging.INFO if now_up else logging.WARNING, channel=name)
            up = now_up
        await asyncio.sleep(interval)


def wecom_fault(exc: BaseException, bot_id: str, url: str) -> OperatorError:
    from bot.channels.wecom_channel import WecomAuthError

    text = T.WECOM_SECRET if isinstance(exc, WecomAuthError) else T.WECOM_UNREACHABLE
    return OperatorError(text, bot_id=bot_id, url=url, error=str(exc) or type(exc).__name__)


async def choose_channel(config: Config, core: Core, running: Running, *, demo: bool,
                         demo_channel: str) -> tuple[Channel, Callable[[BaseException], OperatorError]]:
    """The channel `gridbot run` or `demo` talks through, and how its start-up failure reads to the operator:
    the WeCom AI bot when WECOM_BOT_ID/SECRET are set, else a wechaty gateway (environment, then config),
    else the built-in simulator; the demo runs a simulator of the chosen kind."""
    wecom = None if demo else wecom_settings()
    if wecom is not None or (demo and demo_channel == "wecom"):
        from bot.channels.wecom_channel import WecomChannel   # only then: the SDK pulls in httpx (a second to load)

        if wecom is None:
            from bot.channels.wecom_sim import WecomSimulator

            running.simulator = WecomSimulator(sim_wecom_community(config), secret="demo-" + secrets.token_hex(8))
            await running.simulator.start("127.0.0.1", 0)
            wecom = (config.bot_id, running.simulator.secret, running.simulator.url)
            log.info("WeCom simulator listening on %s", running.simulator.url)
        bot_id, secret, url = wecom
        wecom_channel = WecomChannel(bot_id=bot_id, secret=secret, ws_url=url, settings=config.wecom,
                                     account=config.bot_id, clock=core.clock)
        return wecom_channel, lambda exc: wecom_fault(exc, bot_id, wecom_channel.url)
    from bot.channels.wechaty_channel import WechatyChannel

    endpoint, token = gateway_settings(config)
    env_gateway = bool(os.environ.get("WECHATY_PUPPET_SERVICE_ENDPOINT"))
    if demo or (config.channel == "gateway-sim" and not env_gateway):
        from bot.channels.gateway_sim import GatewaySimulator

        token = "demo-" + secrets.token_hex(8)
        running.simulator = GatewaySimulator(sim_community(config), token=token)
        await running.simulator.start("127.0.0.1", 0)
        endpoint = running.simulator.endpoint
        log.info("gateway simulator listening on %s", endpoint)
    if not endpoint or not token:
        raise OperatorError(T.NO_GATEWAY)
    channel = WechatyChannel(account=config.bot_id, endpoint=endpoint, token=token, bot_name=config.bot_name,
                             clock=core.clock)
    return channel, lambda exc: channel_fault(exc, endpoint)


async def schema_at_head(url: str) -> bool:
    """True when the database is already at the newest migration, checked without alembic (a start with
    nothing to migrate then skips importing and running it); False when in doubt, and alembic runs."""
    from models.migrations.head import engine_revisions, head_revision, sqlite_revisions

    head = head_revision()
    if head is None:
        return False
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        return path is not None and await asyncio.to_thread(sqlite_revisions, path) == {head}
    from models.db import make_engine

    engine = make_engine(url, pool_size=1)
    try:
        return await engine_revisions(engine) == {head}
    finally:
        await engine.dispose()


async def start_service(config: Config, *, db_url: str | None, port: int | None, demo: bool,
                        demo_channel: str = "wechaty", tick_seconds: float = 15.0,
                        on_listening: Callable[[str], None] | None = None) -> Running:
    """Start everything; `on_listening(url)` is called once the web server listens, before the gateway
    is connected (with --port 0 the operator learns the port even if the gateway never answers)."""
    from bot.web.app import make_app

    # Bind the web port first: with --port 0 the address is only known now, and links in messages
    # (H5 surveys) must point at it unless [web] base_url says otherwise.
    sock = bind_web(config, port)
    if config.web.base_url is None:
        bound = f"http://{config.web.host}:{sock.getsockname()[1]}"
        config = dataclasses.replace(config, web=dataclasses.replace(config.web, base_url=bound))
    try:
        url = resolve_db_url(config, db_url)
        core = await open_core(config, url, run_migrations=not await schema_at_head(url), warm_up=False)
    except BaseException:
        sock.close()
        raise
    running = Running(core)
    try:
        running.lock.enter_context(service_lock(core.db_url))
        if not demo:
            await refuse_demo_accounts(core)
        channel, fault = await choose_channel(config, core, running, demo=demo, demo_channel=demo_channel)
        running.channel = channel
        sender = core.attach_channel(channel)

        on_message = intake(core, running.inflight)
        if demo:
            from bot.web.auth import ensure_demo_users

            running.demo_users = await ensure_demo_users(core)
        app = make_app(core, running.simulator if demo else None)   # the sandbox exists only in the demo
        running.runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
        await running.runner.setup()
        await web.SockSite(running.runner, sock).start()
        running.port = running.runner.addresses[0][1]
        if on_listening is not None:
            on_listening(local_url(config.web.host, running.port))
        try:
            await channel.start(on_message)
        except (ChannelError, OSError, TimeoutError) as exc:
            raise fault(exc) from exc
        running.tasks.append(asyncio.create_task(watch_channel(channel), name="channel-watch"))
        running.tasks.append(asyncio.create_task(sender.run(), name="outbox-sender"))
        running.tasks.append(asyncio.create_task(core.keep_fresh(), name="refresh"))
        if core.sightings is not None:
            running.tasks.append(asyncio.create_task(core.sightings.run(), name="sightings"))
        core.lead_scheduler()
        # jieba's dictionary (≈ 0.3 s of CPU from its cache) loads only now, off the way to a healthy /healthz
        # (cold start, issue 16). /healthz says ok meanwhile: every message is taken and answered; one that
        # needs the tokenizer in that moment (a need being merged, 热词) waits for the load to finish.
        core.warming = asyncio.ensure_future(asyncio.to_thread(_warm_up_text))
        core.ticker.start(tick_seconds)
        await core.ticker.tick()   # catch up at once on anything due while we were down
    except BaseException:
        await running.stop()
        sock.close()
        raise
    return running


def intake(core: Core, inflight: set[asyncio.Task[None]],
           on_done: Callable[[IncomingMessage], None] | None = None) -> Callable[[IncomingMessage], Awaitable[None]]:
    """What a channel hands each received message to. It does not wait for the commit: messages arriving
    meanwhile join the same transaction (the router's group commit). `inflight` holds the messages not yet
    committed, so that stop() finishes what was received; `on_done(msg)` (the benchmark) once one is."""

    async def process(msg: IncomingMessage) -> None:
        try:
            await core.dispatcher.submit(msg)
        except Exception:   # logged by the dispatcher; the gateway will redeliver or the user retries
            log.exception("message %s not processed", msg.id)
        finally:
            if on_done is not None:
                on_done(msg)

    async def on_message(msg: IncomingMessage) -> None:
        if not core.accepts(msg):     # another account's group (several accounts): its process answers
            return
        task = asyncio.create_task(process(msg))
        inflight.add(task)
        task.add_done_callback(inflight.discard)

    return on_message


async def refuse_demo_accounts(core: Core) -> None:
    users = await demo_accounts_present(core)
    if users:
        raise OperatorError(T.DEMO_ACCOUNTS, users=", ".join(users))


def _say(text: str) -> None:
    print(text, flush=True)


def announce(config: Config, running: Running, url: str, *, demo: bool) -> None:
    """Where everything is, and what the operator should fix before residents rely on it."""
    _say(T.RUNNING.format(url=url))
    _say(T.INBOX.format(url=url))
    _say(T.HEALTH.format(url=url))
    _say(T.METRICS.format(url=url, access=T.METRICS_TOKEN if metrics_token() else T.METRICS_LOCAL))
    if running.simulator is not None and running.demo_users:
        _say(T.SANDBOX.format(url=url))
        _say("  " + demo_logins_text(running.demo_users))
    if not demo and (config.web.base_url is None or _loopback_url(config.web.base_url)):
        print(T.NO_BASE_URL.format(url=running.core.config.web.base_url or url), file=sys.stderr, flush=True)
    now = running.core.clock.now()
    for year in missing_years(config, now):
        text = T.HOLIDAYS_UNKNOWN if year == now.astimezone(config.timezone).year else T.HOLIDAYS_NEXT_YEAR
        log_event(log, "calendar.unknown_year", log_level=logging.WARNING, year=year)
        print(text.format(year=year, last=LAST_PACKAGED_YEAR), file=sys.stderr, flush=True)


def _loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


async def run_service(config: Config, *, db_url: str | None, port: int | None, demo: bool,
                      demo_channel: str = "wechaty") -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(signame: str) -> None:
        if stop.is_set():                   # the second Ctrl-C: the operator does not want to wait
            print(T.STOPPED, file=sys.stderr, flush=True)
            os._exit(130)
        log_event(log, "service.stopping", signal=signame)
        print(T.STOPPING, file=sys.stderr, flush=True)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig.name)

    def listening(url: str) -> None:
        endpoint = os.environ.get("WECHATY_PUPPET_SERVICE_ENDPOINT") or config.endpoint or "(demo)"
        if os.environ.get("WECOM_BOT_ID"):
            endpoint = "WeCom " + (os.environ.get("WECOM_WS_URL") or "wss://openws.work.weixin.qq.com")
        print(T.WEB_LISTENING.format(url=url, endpoint=endpoint if not demo else f"(demo {demo_channel})"),
              file=sys.stderr, flush=True)

    starting = asyncio.create_task(start_service(config, db_url=db_url, port=port, demo=demo,
                                                 demo_channel=demo_channel, on_listening=listening))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():                 # stopped while connecting or catching up: undo what started
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        print(T.STOPPED_DURING_START, file=sys.stderr, flush=True)
        return 0
    running = starting.result()             # raises the start-up fault, if any
    url = local_url(config.web.host, running.port)
    log_event(log, "service.started", url=url, demo=demo, database=running.core.db_url.split("://", 1)[0])
    announce(config, running, url, demo=demo)
    await stopped
    await running.stop()
    log_event(log, "service.stopped")
    print(T.STOPPED, file=sys.stderr, flush=True)
    return 0


def invite_ref(config: Config, role: str, ref: str | None, name: str) -> str | None:
    """The binding's ref for an invite, checked against the config: a code for a grid or department that
    does not exist would bind a person to nothing."""
    if role == "worker":
        if ref is None or not ref.strip().isdigit() or config.grid_by_number(int(ref)) is None:
            raise OperatorError(T.INVITE_NO_GRID, ref=ref or "(--ref)", config=config.path,
                                grids=", ".join(str(g.number) for g in config.grids))
        return str(int(ref))
    if role == "department":
        dept = config.department((ref or name).strip())
        if dept is None:
            raise OperatorError(T.INVITE_NO_DEPARTMENT, ref=ref or name, config=config.path,
                                departments="、".join(d.name for d in config.departments))
        return dept.name
    return None


async def create_invite_cli(config: Config, db_url: str | None, role: str, ref: str | None, name: str) -> int:
    from models.db import transaction
    from models.people import create_invite

    ref = invite_ref(config, role, ref, name)
    core = await open_core(config, db_url, warm_up=False)
    try:
        async with transaction(core.sessions) as session:
            code = await create_invite(session, role=role, ref=ref, name=name, created_by="cli", now=core.clock.now())
    finally:
        await core.close()
    print(T.INVITE_CODE.format(code=code))
    return 0
