"""The one vocabulary: every code recsys reports has a sentence, and numbers read naturally."""

from __future__ import annotations

from handlers.texts import NOTICES, REJECTED, notice_text, rejection_text
from recsys.image_intake import ImageRejected, Rejection
from recsys.models import Notice


def test_every_rejection_and_notice_is_worded() -> None:
    assert set(REJECTED) == set(Rejection)
    assert set(NOTICES) == set(Notice)
    for reason in Rejection:
        sentence = rejection_text("en", ImageRejected(reason, size=1, width=1, height=1, limit=1))
        assert sentence.startswith("That ") and "{" not in sentence


def test_sizes_are_worded_in_the_units_people_use() -> None:
    too_big = ImageRejected(Rejection.TOO_MANY_BYTES, size=25_300_000, limit=20_000_000)
    assert rejection_text("en", too_big) == (
        "That file is 25.3 MB; the limit is 20 MB. Send a smaller photo."
    )


def test_no_notice_means_no_sentence() -> None:
    assert notice_text("en", None) is None
    assert "vision model" in (notice_text("en", Notice.VISION_NOT_READ) or "")


def test_counts_are_worded_in_the_right_number() -> None:
    from handlers.texts import forgotten_text, importing_message, plural, unlinked_text

    assert plural(1, "track") == "1 track" and plural(0, "track") == "0 tracks"
    assert plural(2, "library entry", "library entries") == "2 library entries"
    assert (
        importing_message("en", "Ana", 1, 1)
        == "Linked as Ana. Importing 1 track from 1 playlist..."
    )
    assert (
        importing_message("en", "Ana", 8, 2)
        == "Linked as Ana. Importing 8 tracks from 2 playlists..."
    )
    assert "the 1 imported library entry are deleted" in unlinked_text("en", {"library_entries": 1})
    forgotten = forgotten_text("en", {"link": 1, "library_entries": 1, "recommendations": 2})
    assert "1 Spotify link, 1 library entry, 2 past answers, 0 feedback marks" in forgotten


def test_help_says_how_to_reach_the_bot_in_a_group_and_on_a_phone() -> None:
    from handlers.texts import HELP

    assert "In a group, mention me" in HELP["telegram"]
    assert "reply to one of my messages" in HELP["telegram"]
    assert "right-click (long-press on mobile)" in HELP["discord"]
