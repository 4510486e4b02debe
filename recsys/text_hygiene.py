"""Text from outside (a listener's words, a vision model's description) made safe to embed,
show and store: no control, zero-width or unpaired-surrogate characters, bounded length."""

from __future__ import annotations

import unicodedata

# A listener's words steer the mood; a chat message's worth is plenty, and more only slows the
# embedding and crowds the prompt.
MAX_WORDS_CHARS = 500
# A vision model's description is 1-3 sentences; a model that runs on is cut here.
MAX_DESCRIPTION_CHARS = 600

# Control (Cc), format (Cf: zero-width space/joiner, bidi marks, BOM) and surrogate (Cs)
# characters carry no meaning for a mood and break storage (NUL) or encoding (lone surrogates).
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}


def clean_text(text: str, limit: int) -> str:
    """`text` without invisible characters, whitespace runs made one space, cut to `limit`
    characters at a word boundary (with an ellipsis)."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    words = " ".join(kept.split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def clean_words(text: str) -> str:
    """A listener's words, cleaned and capped at MAX_WORDS_CHARS."""
    return clean_text(text, MAX_WORDS_CHARS)


def clean_description(text: str) -> str:
    """A vision model's description, cleaned and capped at MAX_DESCRIPTION_CHARS."""
    return clean_text(text, MAX_DESCRIPTION_CHARS)
