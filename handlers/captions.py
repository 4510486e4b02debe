"""Several photos, one soundtrack: merge their captions into one."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean

from recsys.models import TRAIT_NAMES, AudioTraits, Caption

MAX_WORDS = 8


def merge_captions(captions: Sequence[Caption]) -> Caption:
    """One caption for a set of photos: joined descriptions, shared words, averaged traits."""
    if len(captions) == 1:
        return captions[0]
    traits: dict[str, float | None] = {}
    for name in (*TRAIT_NAMES, "tempo_min", "tempo_max"):
        values = [getattr(c.traits, name) for c in captions if getattr(c.traits, name) is not None]
        traits[name] = fmean(values) if values else None
    read_by_model = [c for c in captions if c.source in ("vision", "prose")]
    return Caption(
        description=" ".join(c.description for c in captions if c.description),
        mood_words=_union(c.mood_words for c in captions)[:MAX_WORDS],
        themes=_union(c.themes for c in captions)[:4],
        traits=AudioTraits(**traits),
        genres=_union(c.genres for c in captions)[:4],
        # the set counts as read only if the model read every photo in it
        source=captions[0].source if len(read_by_model) == len(captions) else "image-stats",
        model=captions[0].model,
    )


def _union(groups: object) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:  # type: ignore[attr-defined]
        for item in group:
            seen.setdefault(item, None)
    return tuple(seen)
