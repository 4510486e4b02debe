"""Resident memory of a real `melodiclens run` process, idle and under a burst of 100 photos.

The process is the real command, started as a subprocess with a Telegram token and pointed at
two local fakes that speak the real protocols: the Telegram Bot API (support/fakes/fake_telegram.py,
through MELODICLENS_TELEGRAM_API_URL) and Ollama (support/fakes/fake_ollama.py, 1.5 s per photo,
through OLLAMA_HOST). Its database is the 28k benchmark database (the embedded server runs in
its own processes and is not counted). Idle: after start-up, the health check answering and the
first getUpdates. Under load: 100 photos from 100 listeners pushed at once; RSS is sampled every
200 ms until all 100 answers (messages with Spotify links) have been sent. The end-to-end
makespan of that burst, through Telegram's protocol, is reported too.

Run: python -m benchmarks.memory [--photos N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import psutil

# The same burst as benchmarks/load.py, its photos and its fake vision model.
from benchmarks.load import PHOTOS, VISION_CONCURRENCY, VISION_DELAY_S, median_handoff, photo_jpeg
from recsys.embedder import Embedder
from support import synthetic
from support.bot_process import free_port
from support.fakes.fake_ollama import FakeOllama
from support.fakes.fake_telegram import PHOTO_SIZES, FakeTelegram, private_chat, user

# RSS is read this often during the burst: many readings in a ~38 s burst, little work for them.
SAMPLE_EVERY_S = 0.2
# Start-up loads the embedder and the mood reader; on a busy 2-core machine that takes a while.
START_TIMEOUT_S = 180.0
# 100 photos take ~38 s at the ideal rate; room for a loaded machine before calling it lost.
BURST_TIMEOUT_S = 240.0
# Idle RSS is read this long after the first getUpdates, not in the middle of start-up's work.
IDLE_SETTLE_S = 5.0
# Every answer is sent before the stop, so SIGTERM's drain has little to wait for; then a kill.
STOP_TIMEOUT_S = 60.0
ANSWER_MARK = "open.spotify.com/track/"


def _environment(
    bench: synthetic.BenchDatabase, tg: FakeTelegram, ollama_url: str, port: int
) -> dict[str, str]:
    """The bot's environment: the caller's, minus any MelodicLens settings, plus the fakes."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MELODICLENS_", "DISCORD"))}
    return {
        **keep,
        "DATABASE_URL": "",
        "MELODICLENS_DATA_DIR": str(bench.data_dir),
        "TELEGRAM_TOKEN": tg.token,
        "MELODICLENS_TELEGRAM_API_URL": tg.url,
        "OLLAMA_HOST": ollama_url,
        "MELODICLENS_VISION_CONCURRENCY": str(VISION_CONCURRENCY),
        "MELODICLENS_QUEUE_LIMIT": "200",
        "MELODICLENS_HTTP_HOST": "127.0.0.1",
        "MELODICLENS_HTTP_PORT": str(port),
        "MELODICLENS_LOG_LEVEL": "WARNING",
    }


@contextlib.asynccontextmanager
async def bot_process(env: dict[str, str], log_path: Path) -> AsyncIterator[psutil.Process]:
    """`melodiclens run` in a scratch directory (no .env there), stopped with SIGTERM after."""
    command = Path(sys.executable).with_name("melodiclens")
    with tempfile.TemporaryDirectory(prefix="mlmem-") as cwd, log_path.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            str(command), "run", cwd=cwd, env=env, stdout=out, stderr=out
        )
        try:
            yield psutil.Process(proc.pid)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), STOP_TIMEOUT_S)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


async def _wait_healthy(port: int, process: psutil.Process, log_path: Path) -> float:
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - start < START_TIMEOUT_S:
            if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                raise RuntimeError(f"melodiclens run exited; see {log_path}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            await asyncio.sleep(0.5)
    raise RuntimeError(f"melodiclens run was not healthy within {START_TIMEOUT_S:.0f} s")


def _rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def _answers(tg: FakeTelegram) -> int:
    return sum(
        1
        for call in tg.calls
        if call.method == "sendMessage" and ANSWER_MARK in str(call.params.get("text", ""))
    )


def _photo_sizes(index: int) -> list[bytes]:
    """One distinct photo as Telegram lists it (three sizes, largest last), encoded ahead."""
    return [photo_jpeg(index, (width, height)) for width, height in PHOTO_SIZES]


def _push_photo(tg: FakeTelegram, index: int, sizes: list[bytes]) -> None:
    """A photo message from listener `index` in their private chat, as Telegram delivers it."""
    person = user(900_000 + index, f"Listener{index}")
    listed = []
    for (width, height), data in zip(PHOTO_SIZES, sizes, strict=True):
        file_id = tg.add_file(data)
        listed.append(
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": width,
                "height": height,
                "file_size": len(data),
            }
        )
    tg.push({"message": tg.message(private_chat(person), person, photo=listed)})


async def _burst(tg: FakeTelegram, process: psutil.Process, photos: int) -> dict[str, Any]:
    # Encoded before the clock starts: the fakes share this event loop with the clock.
    encoded = await asyncio.to_thread(lambda: [_photo_sizes(i) for i in range(photos)])
    before = _answers(tg)
    samples: list[float] = []
    start = time.perf_counter()
    loaded: dict[str, Any] = {"burst_started": time.monotonic()}
    for i, sizes in enumerate(encoded):
        _push_photo(tg, i, sizes)
    while _answers(tg) - before < photos:
        if time.perf_counter() - start > BURST_TIMEOUT_S:
            break
        samples.append(_rss_mb(process))
        await asyncio.sleep(SAMPLE_EVERY_S)
    return {
        **loaded,
        "answered": _answers(tg) - before,
        "makespan_s": round(time.perf_counter() - start, 2),
        "rss_peak_mb": round(max(samples or [_rss_mb(process)]), 1),
        "rss_after_mb": round(_rss_mb(process), 1),
    }


def _vision_timeline(ollama: FakeOllama, started: float) -> dict[str, Any]:
    """When the vision calls came: the first after the burst began, and the median hand-off."""
    calls = sorted(request.at - started for request in ollama.chat_requests)
    handoff = median_handoff(calls, VISION_CONCURRENCY)
    return {
        "vision_calls": len(calls),
        "first_vision_call_s": round(calls[0], 2) if calls else None,
        "last_vision_call_s": round(calls[-1], 2) if calls else None,
        "vision_handoff_median_s": round(handoff, 3) if handoff is not None else None,
    }


async def _clear_caption_cache(bench: synthetic.BenchDatabase) -> None:
    # The burst's photos must reach the vision model, not a cache filled by an earlier run;
    # and the fake Bot API numbers its updates from 1 every run, which the inbox (alembic
    # 0005) would take as redeliveries of an earlier run's updates and skip.
    database = await synthetic.open_bench(bench, pool_size=1)
    try:
        await database.pool.execute("TRUNCATE caption_cache, inbox")
    finally:
        await database.close()


async def run(bench: synthetic.BenchDatabase, photos: int = PHOTOS) -> dict[str, Any]:
    """Idle and loaded RSS of `melodiclens run`, with the burst's end-to-end makespan."""
    await _clear_caption_cache(bench)
    tg = FakeTelegram()
    await tg.start()
    log_path = synthetic.CACHE_DIR / "memory-run.log"
    try:
        async with FakeOllama(delay_s=VISION_DELAY_S) as ollama:
            port = free_port()
            env = _environment(bench, tg, ollama.url, port)
            async with bot_process(env, log_path) as process:
                started_s = await _wait_healthy(port, process, log_path)
                await tg.next_call("getUpdates", within_s=START_TIMEOUT_S)
                await asyncio.sleep(IDLE_SETTLE_S)
                idle = _rss_mb(process)
                loaded = await _burst(tg, process, photos)
                loaded.update(_vision_timeline(ollama, loaded.pop("burst_started")))
                loaded["bot_api_calls"] = dict(Counter(call.method for call in tg.calls))
    finally:
        await tg.stop()
    return {
        "process": "melodiclens run (Telegram polling against a fake Bot API server)",
        "start_to_healthy_s": round(started_s, 1),
        "rss_idle_mb": round(idle, 1),
        "photos": photos,
        **loaded,
        "log": str(log_path),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the memory figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=PHOTOS)
    args = parser.parse_args(argv)
    logging.basicConfig(level="WARNING", format="%(asctime)s %(name)s: %(message)s")

    async def go() -> dict[str, Any]:
        embedder = Embedder()
        try:
            bench = await synthetic.ensure("28k", embedder)
        finally:
            embedder.close()
        return await run(bench, args.photos)

    print(json.dumps(asyncio.run(go()), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
