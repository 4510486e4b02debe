"""The one vocabulary: every code recsys reports has a sentence, and numbers read naturally."""

from __future__ import annotations

from handlers.texts import NOTICES, REJECTED, notice_text, rejection_text
from recsys.image_intake import ImageRejected, Rejection
from recsys.models import Notice


def test_every_rejection_and_notice_is_worded() -> None:
    assert set(REJECTED) == set(Rejection)
    assert set(NOTICES) == set(Notice)
    for reason in Rejection:
        sentence = rejection_text(ImageRejected(reason, size=1, width=1, height=1, limit=1))
        assert sentence.startswith("That ") and "{" not in sentence


def test_sizes_are_worded_in_the_units_people_use() -> None:
    too_big = ImageRejected(Rejection.TOO_MANY_BYTES, size=25_300_000, limit=20_000_000)
    assert rejection_text(too_big) == (
        "That file is 25.3 MB; the limit is 20 MB. Send a smaller photo."
    )


def test_no_notice_means_no_sentence() -> None:
    assert notice_text(None) is None
    assert "vision model" in (notice_text(Notice.VISION_NOT_READ) or "")
