"""Soak: 1,000 photos from 1,000 listeners through a real `melodiclens run` (Telegram polling
against a fake Bot API server, a fake vision model taking 0.2 s per photo).

Targets (issue 10): none lost (every listener gets exactly one answer with Spotify links),
resident memory between photo 200 and photo 1,000 grows under 10%, and nothing held in memory
grows with the number of listeners (each photo comes from a new listener, so a per-listener map
would show as steady growth across the waves). The bot runs on its own embedded database holding
the small fictional test catalog; RSS is the bot process's own (psutil), read after each wave,
beside the size of every in-memory map that could hold something per user, chat or update, read
from the bot's own /metrics (`melodiclens_held_entries{map=...}`). The rate limiter keeps the
listeners of the last minute by design, so after the last wave the soak waits out that window,
sends one more photo from a returning listener (its sweep runs on a request) and reads the maps
once more ("settled").

Run: nice -n 10 python -m benchmarks.soak [--photos 1000] [--wave 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.common import ROOT
from benchmarks.memory import (
    ANSWER_MARK,
    START_TIMEOUT_S,
    _photo_sizes,
    _push_photo,
    _rss_mb,
    _wait_healthy,
    bot_process,
)
from support.bot_process import free_port
from support.catalog_fixture import write_catalog
from support.fakes.fake_ollama import FakeOllama
from support.fakes.fake_telegram import FakeTelegram

PHOTOS = 1000
WAVE = 100
VISION_DELAY_S = 0.2
VISION_CONCURRENCY = 4
# A wave of 100 takes ~5 s at the ideal rate; room for a loaded shared machine.
WAVE_TIMEOUT_S = 300.0
# Growth allowed between the photo-200 and photo-1,000 readings.
MAX_GROWTH = 0.10
# The rate limiter forgets a listener one window (60 s) after their last photo; a little more.
SETTLE_S = 65.0
HELD = re.compile(r'^melodiclens_held_entries\{map="([^"]+)"\} ([0-9.e+]+)$', re.MULTILINE)


def answered_chats(tg: FakeTelegram) -> Counter[int]:
    """How many answers (messages with Spotify links) each chat got."""
    return Counter(
        int(call.params["chat_id"])
        for call in tg.calls
        if call.method == "sendMessage" and ANSWER_MARK in str(call.params.get("text", ""))
    )


async def wave(tg: FakeTelegram, first: int, count: int) -> float:
    """Push `count` photos from new listeners; seconds until all are answered (or timeout)."""
    encoded = await asyncio.to_thread(
        lambda: [_photo_sizes(i) for i in range(first, first + count)]
    )
    started = time.perf_counter()
    for offset, sizes in enumerate(encoded):
        _push_photo(tg, first + offset, sizes)
    want = first + count
    while sum(1 for n in answered_chats(tg).values() if n) < want:
        if time.perf_counter() - started > WAVE_TIMEOUT_S:
            break
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


async def held_entries(port: int) -> dict[str, int]:
    """The bot's in-memory map sizes, from its /metrics."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        text = await response.text()
    return {name: int(float(value)) for name, value in HELD.findall(text)}


async def settle(tg: FakeTelegram, photos: int) -> float:
    """Wait out the rate window, then one photo from the first listener (a returning one);
    seconds until it is answered."""
    await asyncio.sleep(SETTLE_S)
    sizes = await asyncio.to_thread(_photo_sizes, 0)
    started = time.perf_counter()
    _push_photo(tg, 0, sizes)
    while answered_chats(tg).get(900_000, 0) < 2:
        if time.perf_counter() - started > WAVE_TIMEOUT_S:
            break
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


def environment(data_dir: Path, tg: FakeTelegram, ollama_url: str, port: int) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MELODICLENS_", "DISCORD"))}
    return {
        **keep,
        "DATABASE_URL": "",
        "MELODICLENS_DATA_DIR": str(data_dir),
        "TELEGRAM_TOKEN": tg.token,
        "MELODICLENS_TELEGRAM_API_URL": tg.url,
        "OLLAMA_HOST": ollama_url,
        "MELODICLENS_VISION_CONCURRENCY": str(VISION_CONCURRENCY),
        "MELODICLENS_HTTP_HOST": "127.0.0.1",
        "MELODICLENS_HTTP_PORT": str(port),
        "MELODICLENS_LOG_LEVEL": "WARNING",
    }


async def soak(photos: int, wave_size: int, work: Path) -> dict[str, Any]:
    """Run the waves; the figures."""
    tg = FakeTelegram()
    await tg.start()
    log_path = work / "soak-run.log"
    rss: dict[int, float] = {}
    held: dict[int | str, dict[str, int]] = {}
    waves: list[float] = []
    try:
        async with FakeOllama(delay_s=VISION_DELAY_S) as ollama:
            port = free_port()
            env = environment(work / "data", tg, ollama.url, port)
            async with bot_process(env, log_path) as process:
                await _wait_healthy(port, process, log_path)
                await tg.next_call("getUpdates", within_s=START_TIMEOUT_S)
                rss[0] = _rss_mb(process)
                held[0] = await held_entries(port)
                for first in range(0, photos, wave_size):
                    count = min(wave_size, photos - first)
                    waves.append(await wave(tg, first, count))
                    rss[first + count] = _rss_mb(process)
                    held[first + count] = await held_entries(port)
                    print(f"  {first + count:5d} photos: RSS {rss[first + count]:.0f} MB, "
                          f"wave {waves[-1]:.1f} s, held {held[first + count]}",
                          file=sys.stderr, flush=True)  # fmt: skip
                answers = answered_chats(tg)
                vision_calls = len(ollama.chat_requests)
                settled_s = await settle(tg, photos)
                held["settled"] = await held_entries(port)
                rss_settled = _rss_mb(process)
    finally:
        await tg.stop()
    figures = report(photos, rss, waves, answers, vision_calls, log_path)
    figures["held_entries"] = {str(k): v for k, v in held.items()}
    figures["held_growing"] = growing(held, photos)
    figures["settled"] = {"answer_s": round(settled_s, 1), "rss_mb": round(rss_settled, 1)}
    figures["pass"] = figures["pass"] and not figures["held_growing"]
    return figures


def growing(held: dict[int | str, dict[str, int]], photos: int) -> list[str]:
    """Maps still larger after the settle than at photo 200 and larger at the end than at 200:
    the ones that follow the number of listeners ever seen."""
    at_200 = held.get(200) or held[min((k for k in held if isinstance(k, int)),
                                        key=lambda n: abs(n - 200))]  # fmt: skip
    at_end, settled = held[photos], held["settled"]
    return sorted(
        name
        for name, size in settled.items()
        if size > at_200.get(name, 0)
        and at_end.get(name, 0) > at_200.get(name, 0)
        and size >= at_end.get(name, 0)
    )


def report(
    photos: int,
    rss: dict[int, float],
    waves: list[float],
    answers: Counter[int],
    vision_calls: int,
    log_path: Path,
) -> dict[str, Any]:
    """The figures and the verdicts."""
    at_200 = rss.get(200) or rss[min(rss, key=lambda n: abs(n - 200))]
    at_end = rss[max(rss)]
    growth = (at_end - at_200) / at_200
    lost = photos - len(answers)
    twice = sum(1 for n in answers.values() if n > 1)
    return {
        "machine_cores": os.cpu_count(),
        "photos": photos,
        "answered": len(answers),
        "lost": lost,
        "answered_twice": twice,
        "vision_calls": vision_calls,
        "wave_seconds_median": sorted(waves)[len(waves) // 2],
        "rss_mb_by_photos": {n: round(v, 1) for n, v in sorted(rss.items())},
        "rss_growth_200_to_end": round(growth, 4),
        "pass": lost == 0 and growth < MAX_GROWTH,
        "log": str(log_path),
    }


def import_catalog(work: Path) -> None:
    """The fictional test catalog, imported into the bot's own embedded database."""
    catalog = write_catalog(work / "catalog.csv")
    env_import = {**os.environ, "MELODICLENS_DATA_DIR": str(work / "data"), "DATABASE_URL": ""}
    subprocess.run([sys.executable, "-m", "bot.cli", "catalog", "import", str(catalog)],
                   env=env_import, cwd=ROOT, check=True, capture_output=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=PHOTOS)
    parser.add_argument("--wave", type=int, default=WAVE)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (log)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlsoak-", dir="/tmp"))
    try:
        import_catalog(work)
        print(json.dumps(asyncio.run(soak(args.photos, args.wave, work)), indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
