"""What `melodiclens recommend` prints: the JSON of an answer, the terminal table, and the
sentence for a question it could not answer, each in the asked language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers.texts import CLI_SORRY, TABLE_HEADINGS, notice_text, rejection_text, say, worded

if TYPE_CHECKING:
    from handlers.pipeline import PipelineResult
    from recsys.image_intake import ImageRejected
    from recsys.recommender import NothingToMatch, NoTracks

# Terminal width assumed when the table is piped or captured.
PIPED_WIDTH = 160


def sorry(err: ImageRejected | NothingToMatch | NoTracks, lang: str) -> str:
    """The sentence for a question the pipeline could not answer."""
    from recsys.image_intake import ImageRejected
    from recsys.recommender import NothingToMatch

    if isinstance(err, ImageRejected):
        return rejection_text(lang, err)
    return say(lang, CLI_SORRY["nothing" if isinstance(err, NothingToMatch) else "no_tracks"])


def answer_json(result: PipelineResult, lang: str) -> dict[str, Any]:
    """The JSON form of an answer: the mood, then the tracks (their words in `lang`; the tags
    stay the catalog's codes, as every batch consumer has read them)."""
    codes = result.recommendation
    rec = worded(codes, lang)
    return {
        "mood": {
            "line": rec.mood_line,
            "words": list(rec.mood_words),
            "themes": list(rec.themes),
            "traits": rec.traits.as_dict(),
            "vision_used": rec.vision_used,
            "notice": notice_text(lang, rec.notice),
        },
        "tracks": [
            {
                "spotify_id": t.spotify_id,
                "title": t.title,
                "artists": list(t.artists),
                "url": t.url,
                "tags": list(code.tags),
                "reason": t.reason,
                "score": t.score,
            }
            for t, code in zip(rec.tracks, codes.tracks, strict=True)
        ],
    }


def print_table(result: PipelineResult, lang: str) -> None:
    """A readable terminal table of the answer, in `lang`."""
    from rich.console import Console
    from rich.table import Table

    rec = worded(result.recommendation, lang)
    console = Console()
    if not console.is_terminal:
        # Piped output has no width to follow; keep each Spotify link on one line.
        console = Console(width=PIPED_WIDTH)
    console.print(f"[bold]{rec.mood_line}[/bold]")
    notice = notice_text(lang, rec.notice)
    if notice:
        console.print(f"[yellow]{notice}[/yellow]")
    table = Table(show_lines=False)
    table.add_column("#")
    for name in ("track", "tags", "why"):
        table.add_column(say(lang, TABLE_HEADINGS[name]), overflow="fold")
    table.add_column(say(lang, TABLE_HEADINGS["link"]), no_wrap=True)
    for number, track in enumerate(rec.tracks, 1):
        table.add_row(
            str(number),
            f"{track.title}\n[dim]{', '.join(track.artists)}[/dim]",
            " ".join(track.tags),
            track.reason,
            track.url,
        )
    console.print(table)
