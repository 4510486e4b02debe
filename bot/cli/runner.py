"""`melodiclens run`: the chat adapters with tokens, the web server and the job worker, on one
event loop, stopped gracefully on SIGTERM (every accepted photo is answered first)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from bot.app import (
    Runtime,
    build_bot_service,
    build_inbox,
    build_jobs,
    build_pipeline,
    freeze_startup_heap,
    open_runtime,
    preload_search_index,
)
from bot.health import RunHealth
from bot.settings import Settings, env_name
from bot.web import build_web_app
from db.pool import Database
from handlers.edge.worker import Worker
from handlers.notifier import MultiNotifier
from handlers.service import DefaultBotService
from recsys.embedder import Embedder
from recsys.mood_reader import cached_words

log = logging.getLogger(__name__)

# How long SIGTERM waits for a running background job before cutting it off (it resumes).
WORKER_STOP_GRACE_S = 10.0
# A job worker whose loop died of an unexpected error is started again after this pause.
WORKER_RESTART_S = 5.0


class RunError(Exception):
    """`run` cannot start; the message says what to set or fix."""


class Adapter(Protocol):
    """What `run` needs from a chat adapter."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def held(self) -> dict[str, Callable[[], int]]: ...


def require_a_platform(settings: Settings) -> None:
    """Refuse to start with no chat platform, naming the variables to set."""
    if settings.telegram_token is None and settings.discord_token is None:
        raise RunError(
            f"no chat platform to serve: set {env_name('telegram_token')} and/or "
            f"{env_name('discord_token')} (see .env.example and the README)."
        )


def build_adapters(
    settings: Settings,
    service: DefaultBotService,
    notifier: MultiNotifier,
    db: Database | None = None,
) -> list[tuple[str, Adapter]]:
    """One adapter per platform that has a token; each also delivers that platform's notices.
    With `db`, accepted photos go through the durable inbox: a Telegram update is stored before
    it is acknowledged, a Discord photo before work on it starts."""
    adapters: list[tuple[str, Adapter]] = []
    if settings.telegram_token is not None:
        from bot.telegram.adapter import TelegramAdapter, TelegramSetupError

        inbox = build_inbox(settings, db, "telegram") if db is not None else None
        try:
            telegram = TelegramAdapter(settings, service, inbox)
        except TelegramSetupError as err:
            raise RunError(str(err)) from err
        notifier.register("telegram", telegram)
        adapters.append(("Telegram", telegram))
    if settings.discord_token is not None:
        from bot.discord.adapter import DiscordAdapter
        from handlers.stores import DatabaseState

        # The commands' hash is kept in the database, so a restart does not republish them.
        inbox = build_inbox(settings, db, "discord") if db is not None else None
        discord = DiscordAdapter(settings, service, DatabaseState(service.db.pool), inbox)
        notifier.register("discord", discord)
        adapters.append(("Discord", discord))
    return adapters


async def start_web(
    settings: Settings,
    runtime: Runtime,
    service: DefaultBotService,
    adapters: list[tuple[str, Any]],
    health: RunHealth | None = None,
) -> web.AppRunner:
    """The health check, the Spotify callback and (in webhook mode) the Telegram webhook."""
    linker = service.accounts.linker if service.accounts is not None else None
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    app = build_web_app(runtime.db, linker, service.pipeline.metrics, health, token)
    for name, adapter in adapters:
        if name == "Telegram" and adapter.webhook_mode:
            from bot.telegram.webhook import add_webhook_route

            add_webhook_route(app, adapter)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    log.info(
        "web server on http://%s:%d (/healthz, /metrics)", settings.http_host, settings.http_port
    )
    return runner


def held_maps(
    service: DefaultBotService, embedder: Embedder, adapters: list[tuple[str, Adapter]]
) -> dict[str, Callable[[], int]]:
    """Every in-memory map of the process that could hold something per user, chat or update,
    by name, with its size (for /metrics; the soak benchmark reads them)."""
    sizes: dict[str, Callable[[], int]] = {
        "rate_limiter_keys": lambda: len(service.rate),
        "embedding_cache": lambda: len(embedder.cache),
        "mood_word_cache": cached_words,
    }
    for _, adapter in adapters:
        sizes.update(adapter.held())
    return sizes


def start_worker(settings: Settings, runtime: Runtime, notifier: MultiNotifier) -> Worker:
    """The in-process job worker (library syncs, trending refresh); more can run elsewhere."""
    jobs, schedulers = build_jobs(settings, runtime.db, runtime.embedder, notifier)
    return Worker(runtime.db, jobs, schedulers=schedulers)


async def run_bot(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM (or `stop` is set), then shut down gracefully."""
    require_a_platform(settings)
    stop = stop or _stop_on_signals()
    async with open_runtime(settings) as runtime:
        # The search index is read into the database's memory while the models load.
        preload = asyncio.create_task(preload_search_index(runtime.db), name="index-preload")
        pipeline = build_pipeline(settings, runtime.db, runtime.embedder)
        # Load the models before taking the first photo, off the loop.
        await asyncio.to_thread(pipeline.warm)
        notifier = MultiNotifier()
        service = build_bot_service(settings, runtime.db, pipeline, notifier)
        adapters = build_adapters(settings, service, notifier, runtime.db)
        pipeline.metrics.watch_held(held_maps(service, runtime.embedder, adapters))
        worker = start_worker(settings, runtime, notifier)
        health = RunHealth({name: "starting" for name, _ in adapters}, worker.health,
                           pipeline.captioner.captioner.hosts)  # fmt: skip
        runner = await start_web(settings, runtime, service, adapters, health)
        worker_task = asyncio.create_task(supervise(worker), name="job-worker")
        started: list[tuple[str, Adapter]] = []
        try:
            for name, adapter in adapters:
                await _start(name, adapter)
                started.append((name, adapter))
                health.adapters[name] = "running"
            log.info("start-up objects kept out of garbage collection: %d", freeze_startup_heap())
            log.info("MelodicLens is running; stop with Ctrl-C or SIGTERM")
            await stop.wait()
            log.info("stopping: finishing the answers already accepted")
        finally:
            for name, adapter in reversed(started):
                health.adapters[name] = "stopping"
                await adapter.stop()
                health.adapters[name] = "stopped"
            await _stop_worker(worker, worker_task)
            await runner.cleanup()
            preload.cancel()


async def supervise(worker: Worker) -> None:
    """Run the job worker for as long as the process runs: should its loop ever end with an
    error it did not handle itself, log it and start it again after a pause."""
    while True:
        try:
            await worker.run()
            return  # stopped on purpose
        except Exception:
            worker.health.state = "restarting"
            log.exception("the job worker stopped unexpectedly; restarting it in %.0f s",
                          WORKER_RESTART_S)  # fmt: skip
            await asyncio.sleep(WORKER_RESTART_S)


async def _stop_worker(worker: Worker, task: asyncio.Task[None]) -> None:
    """Let the current job finish briefly; a long sync is cut off and resumes after restart
    (its lease expires and another worker continues from the saved page)."""
    worker.stop()
    try:
        await asyncio.wait_for(task, WORKER_STOP_GRACE_S)
    except TimeoutError:
        log.warning("a background job was still running; it resumes after the restart")


async def _start(name: str, adapter: Adapter) -> None:
    try:
        await adapter.start()
    except Exception as err:
        raise RunError(f"the {name} bot could not start: {err}") from err


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
