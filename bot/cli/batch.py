"""`melodiclens recommend --batch`: JSON lines in, one JSON answer (or error) line out each.

In: `id`, `text`, `image`, `top`, and optionally `lang` (the answer's words in that language;
English without it). Out: `id`, `mood` (with `traits`), `tracks` (with `spotify_id`), or
`id`, `error`. The format is a public interface: add, never rename.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from bot.cli.errors import CommandError
from handlers.i18n import DEFAULT, MAX_LOCALE_CHARS, SUPPORTED, negotiate

if TYPE_CHECKING:
    from handlers.pipeline import Pipeline

log = logging.getLogger(__name__)

MAX_TOP = 20
# A batch line holds a path and a few words; anything longer is refused unread, so one giant
# line cannot fill the memory.
MAX_BATCH_LINE_BYTES = 1_000_000


def top_within(value: int) -> int:
    """A `top` of 1 to MAX_TOP, else a CommandError saying so."""
    if not 1 <= value <= MAX_TOP:
        raise CommandError(f"--top must be between 1 and {MAX_TOP}")
    return value


def _first(user_ids: tuple[int, ...]) -> int | None:
    return user_ids[0] if user_ids else None


async def run_batch(
    pipeline: Pipeline, lines: Iterator[bytes], user_ids: tuple[int, ...], top: int
) -> int:
    """Answer every line, each on its own line of output; 1 when any line failed."""
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

    from bot.cli.answer_output import answer_json, sorry  # the text layer: not on --help
    from recsys.image_intake import ImageRejected
    from recsys.recommender import NothingToMatch, NoTracks, RecommendRequest

    query_id: Any = number
    lang = DEFAULT
    try:
        query = _parse_line(raw, number)
        query_id = query.get("id", number)
        lang = line_language(query.get("lang"))
        image = query.get("image")
        if image is not None and not isinstance(image, str):
            raise BadLine("image must be a file path (a string)")
        images = [await asyncio.to_thread(Path(image).read_bytes)] if image else []
        prepared = await pipeline.prepare(images)
        request = RecommendRequest(
            words=_text(query.get("text")),
            user_ids=user_ids,
            feedback_user_id=_first(user_ids),
            top=top_within(_whole(query.get("top"), top)),
        )
        result = await pipeline.run(prepared, request)
    except (ImageRejected, NothingToMatch, NoTracks) as err:
        return {"id": query_id, "error": sorry(err, lang)}
    except (BadLine, ValueError, OSError, CommandError) as err:
        return {"id": query_id, "error": str(err)}
    except Exception as err:  # one bad line must never end the batch
        log.exception("batch line %d failed", number)
        return {"id": query_id, "error": f"could not answer this line ({type(err).__name__})"}
    return {"id": query_id, **answer_json(result, lang)}


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


def line_language(value: Any) -> str:
    """A line's "lang": English when absent; a language the bot speaks ("es", "pt-BR"), else
    the line's error (never a silent fallback the caller did not ask for)."""
    if value is None:
        return DEFAULT
    if not isinstance(value, str) or len(value) > MAX_LOCALE_CHARS:
        raise BadLine(f"lang must be one of {', '.join(SUPPORTED)}")
    lang = negotiate(value)
    if lang == DEFAULT and re.split(r"[-_.@]", value)[0].lower() != DEFAULT:
        raise BadLine(f"lang must be one of {', '.join(SUPPORTED)} (got {value[:16]!r})")
    return lang


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


class open_batch:
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
