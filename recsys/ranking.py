"""Ranking: blend mood fit, meaning, the listener's library, popularity and feedback; then
pick a varied top N with tags and a reason for each track."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from recsys.models import (
    AudioTraits,
    Candidate,
    Reason,
    ReasonKind,
    Scene,
    TrackFeatures,
    TrackPick,
)
from recsys.mood_estimate import trusted_fit
from recsys.text_hygiene import clean_text

# How much each signal counts. Mood fit leads: text similarity between a caption and a track
# carries little mood signal (DESIGN.md), audio traits carry most of it.
W_TRAITS = 0.58
W_SEMANTIC = 0.12
W_POPULARITY = 0.04
W_TRENDING = 0.03
W_TRENDING_WANTED = 0.14
# Library songs come first when they fit: a big lift only for a good mood fit.
W_LIBRARY_FIT = 0.16
W_LIBRARY_ANY = 0.05
# A playlist name in a reason is a label, not a paragraph (Spotify allows 100 characters).
MAX_PLAYLIST_NAME_CHARS = 60
LIBRARY_FIT_THRESHOLD = 0.72
W_LIKED = 0.12
W_GENRE = 0.12
W_ERA = 0.10
# A track with no audio features still plays, but we cannot vouch for its mood.
UNKNOWN_TRAIT_FIT = 0.45

TRAIT_WEIGHTS: Mapping[str, float] = {
    "valence": 1.0,
    "energy": 1.0,
    "danceability": 0.45,
    "acousticness": 0.35,
    "instrumentalness": 0.35,
}
# "No sad songs" leaves out tracks below this valence.
SAD_VALENCE = 0.33


@dataclass(frozen=True)
class RankingPlan:
    """What the ranker aims at, built from the photo, the user's words and their steering."""

    target: AudioTraits
    themes: tuple[str, ...] = ()
    scene: Scene | None = None
    want_trending: bool = False
    exclude_sad: bool = False
    genres: tuple[str, ...] = ()
    year_range: tuple[int, int] | None = None
    semantic_weight: float = W_SEMANTIC
    # >0: a fresh take ("different vibe"): scores get seeded jitter
    variation: int = 0
    trait_weights: Mapping[str, float] = field(default_factory=lambda: dict(TRAIT_WEIGHTS))


@dataclass(frozen=True)
class Scored:
    """A candidate with its score and the parts that explain it."""

    candidate: Candidate
    score: float
    trait_fit: float


def _trait_targets(plan: RankingPlan) -> tuple[tuple[str, float, float], ...]:
    """(feature, weight, wanted value) of each trait the plan aims at, read once per answer."""
    targets = []
    for name, weight in plan.trait_weights.items():
        want = getattr(plan.target, name)
        if want is not None and weight > 0:
            targets.append((name, weight, want))
    return tuple(targets)


def trait_fit(
    features: TrackFeatures,
    plan: RankingPlan,
    targets: tuple[tuple[str, float, float], ...] | None = None,
) -> float:
    """How close the track's audio features are to the target, 0..1 (1 = exact).

    `targets` is `_trait_targets(plan)`, passed in when many tracks are scored for one plan.
    """
    total = weight_sum = 0.0
    for name, weight, want in _trait_targets(plan) if targets is None else targets:
        have: float | None = getattr(features, name)
        if have is None:
            continue
        total += weight * (float(have) - want) ** 2
        weight_sum += weight
    if weight_sum == 0:
        return UNKNOWN_TRAIT_FIT
    fit = 1.0 - math.sqrt(total / weight_sum)
    return max(0.0, fit - _tempo_penalty(features.tempo, plan.target))


def candidate_fit(
    track: Candidate,
    plan: RankingPlan,
    targets: tuple[tuple[str, float, float], ...] | None = None,
) -> float:
    """The track's trait fit; from its estimate when it has no measured valence and energy.

    An estimate's fit is shrunk toward UNKNOWN_TRAIT_FIT by its expected error
    (docs/library_mood.md), so uncertain picks do not crowd out measured fits.
    """
    if not _guessed(track):
        return trait_fit(track.features, plan, targets)
    assert track.estimate is not None
    guessed = TrackFeatures(valence=track.estimate.valence, energy=track.estimate.energy)
    fit = trait_fit(guessed, plan, targets)
    return trusted_fit(fit, track.estimate.error, UNKNOWN_TRAIT_FIT)


def _guessed(track: Candidate) -> bool:
    """Whether the track's mood is an estimate: one is there and nothing was measured."""
    features = track.features
    return track.estimate is not None and features.valence is None and features.energy is None


def _tempo_penalty(tempo: float | None, target: AudioTraits) -> float:
    if tempo is None or not tempo:
        return 0.0
    low, high = target.tempo_min, target.tempo_max
    if low is not None and tempo < low:
        return min(0.15, (low - tempo) / 200)
    if high is not None and tempo > high:
        return min(0.15, (tempo - high) / 200)
    return 0.0


def _normalise(values: Sequence[float]) -> list[float]:
    if not values:
        return []
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return [0.5 for _ in values]
    return [(v - low) / (high - low) for v in values]


def _genre_match(track: Candidate, genres: tuple[str, ...]) -> bool:
    if not genres:
        return False
    haystack = " ".join([*track.genres, track.title, track.album or ""]).lower()
    return any(genre.lower() in haystack for genre in genres)


def _era_score(track: Candidate, years: tuple[int, int] | None) -> float:
    year = track.release_year
    if years is None or year is None:
        return 0.0
    return 1.0 if years[0] <= year <= years[1] else -0.5


def score_candidates(candidates: Sequence[Candidate], plan: RankingPlan) -> list[Scored]:
    """Every candidate scored, best first; excluded tracks are dropped."""
    kept = [c for c in candidates if not (plan.exclude_sad and _is_sad(c))]
    semantic = _normalise([c.similarity for c in kept])
    jitter = random.Random(plan.variation) if plan.variation else None
    targets = _trait_targets(plan)
    scored = []
    for track, sem in zip(kept, semantic, strict=True):
        fit = candidate_fit(track, plan, targets)
        score = W_TRAITS * fit + plan.semantic_weight * sem
        score += W_POPULARITY * (track.popularity or 0) / 100
        if track.trending_rank is not None:
            score += W_TRENDING_WANTED if plan.want_trending else W_TRENDING
        if track.playlist_name:
            score += W_LIBRARY_FIT if fit >= LIBRARY_FIT_THRESHOLD else W_LIBRARY_ANY
        if track.liked_similarity is not None:
            score += W_LIKED * max(0.0, (track.liked_similarity - 0.5) / 0.5)
        if _genre_match(track, plan.genres):
            score += W_GENRE
        score += W_ERA * _era_score(track, plan.year_range)
        if jitter is not None:
            score += jitter.uniform(0, 0.12)
        scored.append(Scored(track, score, fit))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored


def _is_sad(track: Candidate) -> bool:
    valence = track.features.valence
    if valence is not None:
        return valence < SAD_VALENCE
    return "sadness" in track.theme_tags


_TITLE_NOISE = re.compile(r"\s*[\(\[-].*(feat|with|remaster|version|edit|mix|live).*$", re.I)


def _title_key(track: Candidate) -> str:
    title = _TITLE_NOISE.sub("", track.title.lower()).strip()
    artists = track.artists
    return f"{title}|{artists[0].lower() if artists else ''}"


def pick_diverse(scored: Sequence[Scored], top: int) -> list[Scored]:
    """The best `top` with no repeated song (same title and artist) and no artist twice."""
    picked: list[Scored] = []
    seen_titles: set[str] = set()
    seen_artists: set[str] = set()
    for candidate in scored:
        key = _title_key(candidate.candidate)
        artists = {a.lower() for a in candidate.candidate.artists}
        if key in seen_titles or artists & seen_artists:
            continue
        picked.append(candidate)
        seen_titles.add(key)
        seen_artists |= artists
        if len(picked) == top:
            break
    return picked


def tags_for(track: Candidate, plan: RankingPlan) -> tuple[str, ...]:
    """Two or three tags: the track's themes shared with the photo first, then its own."""
    own = [*track.theme_tags, *track.lyrics_themes]
    shared = [tag for tag in own if tag in plan.themes]
    ordered = list(dict.fromkeys(shared + own))
    if len(ordered) < 2:
        ordered += [w for w in track.mood_words if w not in ordered]
    return tuple(ordered[:3])


def _feel(words: Sequence[str]) -> tuple[str, ...]:
    """A mood word and, when the track has one, a texture word ("melancholic", "acoustic")."""
    if not words:
        return ()
    # Track words run mood first, texture (acoustic, danceable, slow...) last.
    texture = words[-1] if len(words) > 2 else (words[1] if len(words) > 1 else "")
    return (words[0], texture) if texture and texture != words[0] else (words[0],)


def reason_for(candidate: Scored, plan: RankingPlan, name_playlists: bool = False) -> Reason:
    """Why the track fits, as codes (handlers/texts words it). A playlist's name is carried
    only for its owner (`own_playlist`) where only they read it (`name_playlists`); it may be
    private."""
    track = candidate.candidate
    feel = _feel(track.mood_words)
    if track.playlist_name:
        if not track.own_playlist:
            return Reason(ReasonKind.MEMBER_LIBRARY, feel)
        if not name_playlists:
            return Reason(ReasonKind.OWN_LIBRARY, feel)
        name = clean_text(track.playlist_name, MAX_PLAYLIST_NAME_CHARS)
        return Reason(ReasonKind.OWN_PLAYLIST, feel, playlist=name)
    if not feel:
        return Reason(ReasonKind.MEANING)
    trending = plan.want_trending and bool(track.trending_rank)
    return Reason(ReasonKind.FEEL, feel, plan.scene, trending)


def to_pick(candidate: Scored, plan: RankingPlan, name_playlists: bool = False) -> TrackPick:
    """The shown form of a ranked candidate (`name_playlists`: see reason_for)."""
    track = candidate.candidate
    named = name_playlists and track.own_playlist
    return TrackPick(
        track_id=track.id,
        spotify_id=track.spotify_id,
        title=track.title,
        artists=track.artists,
        tags=tags_for(track, plan),
        reason="",
        score=round(candidate.score, 4),
        playlist_name=track.playlist_name if named else None,
        valence=track.features.valence,
        energy=track.features.energy,
        mood_guessed=track.estimate.basis if track.estimate and _guessed(track) else None,
        why=reason_for(candidate, plan, name_playlists),
    )
