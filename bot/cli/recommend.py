"""`melodiclens recommend`: songs for a photo and/or words, from the terminal or a batch
(bot/cli/batch.py); its output is bot/cli/answer_output.py. The words follow `--lang`, else the
terminal's `LANG`; a batch stays English unless a line asks (its `lang`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.arguments import add_command, readable_file, readable_file_or_stdin
from bot.cli.batch import MAX_TOP, open_batch, run_batch, top_within
from bot.cli.errors import CommandError

if TYPE_CHECKING:  # the runtime loads only once the arguments are known to be good
    from bot.settings import Settings
    from handlers.pipeline import Pipeline, PipelineResult

log = logging.getLogger(__name__)

# Their warnings repeat what the answer's own notice already says ("answered from the picture's
# colours"); shown with -v.
SAID_BY_THE_NOTICE = ("handlers.pipeline", "recsys.vision_hosts")


def register(subparsers: Any) -> None:
    """Add the `recommend` command."""
    parser = add_command(
        subparsers,
        "recommend",
        run_recommend,
        help="songs for a photo and/or words",
        description="Songs for a photo and/or words. Without --batch, IMAGE or --text is needed.",
    )
    parser.add_argument(
        "image", nargs="?", type=readable_file, help="a photo (JPEG, PNG, WebP, ...)"
    )
    parser.add_argument("--text", default="", help='your words, e.g. "rainy, more upbeat"')
    parser.add_argument("--user", help="use this listener's library: PLATFORM:ID")
    parser.add_argument(
        "--top",
        type=top_count,
        default=None,
        help=f"how many songs, 1 to {MAX_TOP} (default: MELODICLENS_TOP_N, 5)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--batch",
        type=readable_file_or_stdin,
        help='JSON lines {"id", "text", "image", "top", "lang"} from FILE ("-" for stdin)',
    )
    parser.add_argument(
        "--lang",
        help="the answer's language: en, es, pt_BR, de, fr, vi, hi (default: from LANG)",
    )


async def run_recommend(settings: Settings, args: argparse.Namespace) -> int:
    """Answer one question, or every line of a batch with the models loaded once."""
    if args.batch is None and args.image is None and not args.text.strip():
        raise CommandError("give a photo, --text WORDS, or --batch FILE")
    top = top_within(settings.top_n if args.top is None else args.top)
    lang = cli_language(args.lang, os.environ.get("LANG"))
    _check_user(args.user)
    # The photo is read (and a batch file opened) before the database and the model start.
    images = [_read_image(args.image)] if args.batch is None and args.image else []
    if args.batch is not None:
        with open_batch(args.batch) as lines:
            return await _answer_batch(settings, lines, args.user, top)
    result = await _answer(settings, images, args.text, args.user, top, lang)
    from bot.cli.answer_output import answer_json, print_table

    if args.json:
        print(json.dumps(answer_json(result, lang), ensure_ascii=False))
    else:
        print_table(result, lang)
    return 0


def cli_language(flag: str | None, environment: str | None) -> str:
    """`--lang` when given (refused when the bot does not speak it), else the terminal's LANG
    (anything unknown there is English)."""
    from handlers.i18n import DEFAULT, SUPPORTED, negotiate

    if flag is None:
        return negotiate(environment)
    lang = negotiate(flag)
    if lang == DEFAULT and flag.strip().lower() not in ("en", "en_us", "en-us", "en_gb", "en-gb"):
        raise CommandError(f"--lang must be one of {', '.join(SUPPORTED)} (got {flag[:16]!r})")
    return lang


async def _answer(
    settings: Settings, images: list[bytes], text: str, user: str | None, top: int, lang: str
) -> PipelineResult:
    """One question through the whole pipeline."""
    from bot.cli.answer_output import sorry
    from recsys.image_intake import ImageRejected
    from recsys.recommender import NothingToMatch, NoTracks, RecommendRequest

    async with _warm_pipeline(settings, user) as (pipeline, user_ids):
        try:
            prepared = await pipeline.prepare(images)
            request = RecommendRequest(
                words=text,
                user_ids=user_ids,
                feedback_user_id=user_ids[0] if user_ids else None,
                top=top,
            )
            return await pipeline.run(prepared, request)
        except (ImageRejected, NothingToMatch, NoTracks) as err:
            raise CommandError(sorry(err, lang)) from None


async def _answer_batch(
    settings: Settings, lines: Iterator[bytes], user: str | None, top: int
) -> int:
    """Every line of a batch, the runtime started once."""
    async with _warm_pipeline(settings, user) as (pipeline, user_ids):
        return await run_batch(pipeline, lines, user_ids, top)


@contextlib.asynccontextmanager
async def _warm_pipeline(
    settings: Settings, user: str | None
) -> AsyncIterator[tuple[Pipeline, tuple[int, ...]]]:
    """The runtime open, its pipeline built and warm, and the `--user` listener's ids."""
    from bot.app import build_pipeline, open_runtime

    _quiet_what_the_notice_says()
    async with open_runtime(settings) as runtime:
        pipeline = build_pipeline(settings, runtime.db, runtime.embedder)
        pipeline.warm()
        yield pipeline, await _user_ids(runtime.db.pool, user)


def _quiet_what_the_notice_says() -> None:
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        for name in SAID_BY_THE_NOTICE:
            logging.getLogger(name).setLevel(logging.ERROR)


def top_count(value: str) -> int:
    """`--top`: a whole number from 1 to MAX_TOP, refused at parse time otherwise."""
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {value!r})") from None
    if not 1 <= count <= MAX_TOP:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_TOP} (got {count})")
    return count


def _read_image(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CommandError(f"cannot read {path}: {err.strerror}") from None


def _check_user(user: str | None) -> None:
    """`--user` has the PLATFORM:ID shape (whether that listener exists is asked later)."""
    if user is not None and not user.partition(":")[2]:
        raise CommandError(f"no listener {user!r} (use PLATFORM:ID, e.g. telegram:12345)")


async def _user_ids(pool: Any, user: str | None) -> tuple[int, ...]:
    from db.users import find_user

    if not user:
        return ()
    platform, _, platform_id = user.partition(":")
    user_id = await find_user(pool, platform, platform_id) if platform_id else None
    if user_id is None:
        raise CommandError(f"no listener {user!r} (use PLATFORM:ID, e.g. telegram:12345)")
    return (user_id,)
