"""`melodiclens recommend`: songs for a photo and/or words, from the terminal or a batch."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from bot.cli.arguments import readable_file, readable_file_or_stdin
from bot.cli.errors import CommandError

if TYPE_CHECKING:  # the services load only once the arguments are known to be good
    from bot.settings import Settings
    from handlers.pipeline import Pipeline, PipelineResult
    from recsys.image_intake import ImageRejected
    from recsys.recommender import NothingToMatch, NoTracks

log = logging.getLogger(__name__)

MAX_TOP = 20
# Their warnings repeat what the answer's own notice already says ("answered from the picture's
# colours"); shown with -v.
SAID_BY_THE_NOTICE = ("handlers.pipeline", "recsys.vision_hosts")
# A batch line holds a path and a few words; anything longer is refused unread, so one giant
# line cannot fill the memory.
MAX_BATCH_LINE_BYTES = 1_000_000
# Terminal width assumed when the table is piped or captured.
PIPED_WIDTH = 160


def register(subparsers: Any) -> None:
    """Add the `recommend` command."""
    parser = subparsers.add_parser(
        "recommend",
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
        help='JSON lines {"id", "text", "image", "top"} from FILE ("-" for stdin)',
    )
    parser.set_defaults(handler=run_recommend)


async def run_recommend(settings: Settings, args: argparse.Namespace) -> int:
    """Answer one question, or every line of a batch with the models loaded once."""
    if args.batch is None and args.image is None and not args.text.strip():
        raise CommandError("give a photo, --text WORDS, or --batch FILE")
    top = _top(settings.top_n if args.top is None else args.top)
    _check_user(args.user)
    # The photo is read (and a batch file opened) before the database and the model start.
    images = [_read_image(args.image)] if args.batch is None and args.image else []
    if args.batch is not None:
        with _open_batch(args.batch) as lines:
            return await _answer_batch(settings, lines, args.user, top)
    result = await _answer(settings, images, args.text, args.user, top)
    if args.json:
        print(json.dumps(answer_json(result), ensure_ascii=False))
    else:
        print_table(result)
    return 0


async def _answer(
    settings: Settings, images: list[bytes], text: str, user: str | None, top: int
) -> PipelineResult:
    """One question through the whole pipeline."""
    from bot.app import build_pipeline, open_services
    from recsys.image_intake import ImageRejected
    from recsys.recommender import NothingToMatch, NoTracks

    _quiet_what_the_notice_says()
    async with open_services(settings) as services:
        pipeline = build_pipeline(settings, services.db, services.embedder)
        pipeline.warm()
        user_ids = await _user_ids(services.db.pool, user)
        try:
            return await pipeline.run(
                await pipeline.prepare(images),
                text,
                user_ids=user_ids,
                feedback_user_id=_first(user_ids),
                top=top,
            )
        except (ImageRejected, NothingToMatch, NoTracks) as err:
            raise CommandError(_sorry(err)) from None


async def _answer_batch(
    settings: Settings, lines: Iterator[bytes], user: str | None, top: int
) -> int:
    """Every line of a batch, the services started once."""
    from bot.app import build_pipeline, open_services

    _quiet_what_the_notice_says()
    async with open_services(settings) as services:
        pipeline = build_pipeline(settings, services.db, services.embedder)
        pipeline.warm()
        user_ids = await _user_ids(services.db.pool, user)
        return await _run_batch(pipeline, lines, user_ids, top)


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


def _sorry(err: ImageRejected | NothingToMatch | NoTracks) -> str:
    """The sentence for a question the pipeline could not answer."""
    from handlers.texts import CLI_SORRY, rejection_text
    from recsys.image_intake import ImageRejected
    from recsys.recommender import NothingToMatch

    if isinstance(err, ImageRejected):
        return rejection_text(err)
    return CLI_SORRY["nothing" if isinstance(err, NothingToMatch) else "no_tracks"]


def _top(value: int) -> int:
    if not 1 <= value <= MAX_TOP:
        raise CommandError(f"--top must be between 1 and {MAX_TOP}")
    return value


def _first(user_ids: tuple[int, ...]) -> int | None:
    return user_ids[0] if user_ids else None


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


async def _run_batch(
    pipeline: Pipeline, lines: Iterator[bytes], user_ids: tuple[int, ...], top: int
) -> int:
    failures = 0
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        result = await _batch_line(pipeline, raw, number, user_ids, top)
        failures += "error" in result
        _print_line(result)
    return 1 if failures else 0


class BadLine(Exception):
    """A batch line that cannot be read as a query; the message names what is wrong."""


async def _batch_line(
    pipeline: Pipeline, raw: bytes, number: int, user_ids: tuple[int, ...], top: int
) -> dict[str, Any]:
    """The answer to one line, or its own error line: whatever its bytes, never an abort."""
    import asyncio

    from recsys.image_intake import ImageRejected
    from recsys.recommender import NothingToMatch, NoTracks

    query_id: Any = number
    try:
        query = _parse_line(raw, number)
        query_id = query.get("id", number)
        image = query.get("image")
        if image is not None and not isinstance(image, str):
            raise BadLine("image must be a file path (a string)")
        images = [await asyncio.to_thread(Path(image).read_bytes)] if image else []
        result = await pipeline.run(
            await pipeline.prepare(images),
            _text(query.get("text")),
            user_ids=user_ids,
            feedback_user_id=_first(user_ids),
            top=_top(_whole(query.get("top"), top)),
        )
    except (ImageRejected, NothingToMatch, NoTracks) as err:
        return {"id": query_id, "error": _sorry(err)}
    except (BadLine, ValueError, OSError, CommandError) as err:
        return {"id": query_id, "error": str(err)}
    except Exception as err:  # one bad line must never end the batch
        log.exception("batch line %d failed", number)
        return {"id": query_id, "error": f"could not answer this line ({type(err).__name__})"}
    return {"id": query_id, **answer_json(result)}


def _parse_line(raw: bytes, number: int) -> dict[str, Any]:
    if len(raw) > MAX_BATCH_LINE_BYTES:
        raise BadLine(f"line {number} is longer than {MAX_BATCH_LINE_BYTES} bytes")
    try:
        query = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadLine(f"line {number} is not UTF-8 text") from None
    except (ValueError, RecursionError):
        raise BadLine(f"line {number} is not a JSON object") from None
    if not isinstance(query, dict):
        raise BadLine("each line must be a JSON object")
    return query


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadLine("text must be a string")
    return value


def _whole(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadLine("top must be a whole number")
    try:
        return int(value)
    except ValueError:
        raise BadLine("top must be a whole number") from None


def _print_line(result: dict[str, Any]) -> None:
    """One JSON line; an id or text the terminal cannot encode (a lone surrogate) is escaped."""
    line = json.dumps(result, ensure_ascii=False)
    try:
        line.encode(sys.stdout.encoding or "utf-8")  # strict, whatever stdout's own handler
    except UnicodeEncodeError:
        line = json.dumps(result, ensure_ascii=True)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class _open_batch:
    """Lines of the batch file, or of stdin for "-", as bytes (each decoded on its own), each
    read up to one byte past MAX_BATCH_LINE_BYTES."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._file: BinaryIO | None = None

    def __enter__(self) -> Iterator[bytes]:
        if self.source == "-":
            return _bounded_lines(sys.stdin.buffer)
        try:
            self._file = open(self.source, "rb")
        except OSError as err:
            raise CommandError(f"cannot read {self.source}: {err.strerror}") from None
        return _bounded_lines(self._file)

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()


def _bounded_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines of at most MAX_BATCH_LINE_BYTES + 1 bytes; the rest of a longer line is skipped."""
    while line := stream.readline(MAX_BATCH_LINE_BYTES + 1):
        if len(line) > MAX_BATCH_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_BATCH_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
        yield line


def answer_json(result: PipelineResult) -> dict[str, Any]:
    """The JSON form of an answer: the mood, then the tracks."""
    from handlers.texts import notice_text

    rec = result.recommendation
    return {
        "mood": {
            "line": rec.mood_line,
            "words": list(rec.mood_words),
            "themes": list(rec.themes),
            "traits": rec.traits.as_dict(),
            "vision_used": rec.vision_used,
            "notice": notice_text(rec.notice),
        },
        "tracks": [
            {
                "spotify_id": t.spotify_id,
                "title": t.title,
                "artists": list(t.artists),
                "url": t.url,
                "tags": list(t.tags),
                "reason": t.reason,
                "score": t.score,
            }
            for t in rec.tracks
        ],
    }


def print_table(result: PipelineResult) -> None:
    """A readable terminal table of the answer."""
    from rich.console import Console
    from rich.table import Table

    from handlers.texts import notice_text

    rec = result.recommendation
    console = Console()
    if not console.is_terminal:
        # Piped output has no width to follow; keep each Spotify link on one line.
        console = Console(width=PIPED_WIDTH)
    console.print(f"[bold]{rec.mood_line}[/bold]")
    notice = notice_text(rec.notice)
    if notice:
        console.print(f"[yellow]{notice}[/yellow]")
    table = Table(show_lines=False)
    table.add_column("#")
    table.add_column("Track", overflow="fold")
    table.add_column("Tags", overflow="fold")
    table.add_column("Why", overflow="fold")
    table.add_column("Link", no_wrap=True)
    for number, track in enumerate(rec.tracks, 1):
        table.add_row(
            str(number),
            f"{track.title}\n[dim]{', '.join(track.artists)}[/dim]",
            " ".join(track.tags),
            track.reason,
            track.url,
        )
    console.print(table)
