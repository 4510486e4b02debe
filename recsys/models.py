"""Values that travel through the pipeline: traits, captions, tracks, picks, recommendations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:  # only CandidateQuery's annotation names it: values stay free of numpy
    import numpy as np

# The theme vocabulary shared by track tags, captions and lyrics themes.
THEMES: tuple[str, ...] = (
    "romance",
    "sadness",
    "nature",
    "friendship",
    "nostalgia",
    "empowerment",
    "adventure",
    "calm",
    "energy",
    "party",
    "self-love",
    "meditation",
)

# The Spotify audio features a target can ask for, each in 0..1.
TRAIT_NAMES: tuple[str, ...] = (
    "valence",
    "energy",
    "danceability",
    "acousticness",
    "instrumentalness",
)


@dataclass(frozen=True)
class AudioTraits:
    """Target (or actual) audio traits; None means "no opinion"."""

    valence: float | None = None
    energy: float | None = None
    danceability: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    tempo_min: float | None = None
    tempo_max: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        """The traits as a plain mapping, field by field (for JSON and logs)."""
        return asdict(self)


CaptionSource = Literal["vision", "prose", "image-stats", "none"]


@dataclass(frozen=True)
class Caption:
    """What the vision model (or a fallback) says a photo shows and how it feels."""

    description: str
    mood_words: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    traits: AudioTraits = field(default_factory=AudioTraits)
    genres: tuple[str, ...] = ()
    # vision: structured answer; prose: the model ignored the schema and mood was read from
    # its prose; image-stats: no model, estimated from pixels; none: no image at all.
    source: CaptionSource = "vision"
    model: str = ""


def caption_to_json(caption: Caption) -> dict[str, Any]:
    """A caption as plain JSON values (for the caption cache and stored questions)."""
    return {
        "description": caption.description,
        "mood_words": list(caption.mood_words),
        "themes": list(caption.themes),
        "traits": caption.traits.as_dict(),
        "genres": list(caption.genres),
        "source": caption.source,
        "model": caption.model,
    }


def caption_from_json(data: dict[str, Any]) -> Caption:
    """The caption stored by caption_to_json; raises ValueError, TypeError or KeyError."""
    traits = {key: value for key, value in data.get("traits", {}).items() if value is not None}
    return Caption(
        description=str(data["description"]),
        mood_words=tuple(data.get("mood_words", ())),
        themes=tuple(data.get("themes", ())),
        traits=AudioTraits(**{key: float(value) for key, value in traits.items()}),
        genres=tuple(data.get("genres", ())),
        source=data.get("source", "vision"),
        model=str(data.get("model", "")),
    )


@dataclass(frozen=True)
class MoodReading:
    """Mood read from words (a user's words or a caption's prose)."""

    mood_words: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    traits: AudioTraits = field(default_factory=AudioTraits)
    # how much the words said about mood, 0 (nothing) .. 1 (plenty)
    confidence: float = 0.0


@dataclass(frozen=True)
class TrackFeatures:
    """A track's Spotify audio features; any of them may be missing."""

    danceability: float | None = None
    energy: float | None = None
    key: int | None = None
    loudness: float | None = None
    mode: int | None = None
    speechiness: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    liveness: float | None = None
    valence: float | None = None
    tempo: float | None = None
    time_signature: int | None = None


@dataclass(frozen=True)
class MoodEstimate:
    """An estimated mood, never measured (docs/library_mood.md): valence and energy, the
    expected RMS error per trait, and what it was learned from."""

    valence: float
    energy: float
    error: float
    basis: str


@dataclass(frozen=True)
class CandidateQuery:
    """What the candidate search is asked for (CandidateSource)."""

    # the question's embedding, and the target's valence and energy (0.5 without an opinion)
    embedding: np.ndarray
    valence: float
    energy: float
    # whose libraries are searched beside the catalog; tracks left out; tracks the asker liked
    user_ids: tuple[int, ...] = ()
    exclude_ids: tuple[int, ...] = ()
    liked_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TrackIdentity:
    """What names a track and places it in a catalog: the fields every track value starts with."""

    spotify_id: str
    title: str
    artists: tuple[str, ...]
    album: str | None = None
    popularity: int | None = None
    release_year: int | None = None
    genres: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Candidate(TrackIdentity):
    """A track the candidate search found, with everything the ranker reads of it (by name)."""

    id: int
    # the audio features the ranker reads (valence, energy, danceability, acousticness,
    # instrumentalness, tempo); a search may leave the others out
    features: TrackFeatures = field(default_factory=TrackFeatures)
    mood_words: tuple[str, ...] = ()
    theme_tags: tuple[str, ...] = ()
    lyrics_themes: tuple[str, ...] = ()
    # 1 - cosine distance to the query's embedding
    similarity: float = 0.0
    # best rank in any trending source, None when not trending
    trending_rank: int | None = None
    # the listener's playlist it came from, None when it is not in their library
    playlist_name: str | None = None
    # whether that playlist is the requester's own (not a blended member's): only its owner
    # may read its name
    own_playlist: bool = False
    # highest similarity to a track the listener liked, None without likes
    liked_similarity: float | None = None
    # an estimated mood, read only when the track has no measured valence and energy
    estimate: MoodEstimate | None = None


@dataclass(frozen=True)
class TrackInfo(TrackIdentity):
    """What an import or a library sync knows about a track before enrichment (and what a
    write of it stores: db.tracks.TrackWrite)."""

    features: TrackFeatures = field(default_factory=TrackFeatures)
    lyrics_themes: tuple[str, ...] = ()


_Frozen = TypeVar("_Frozen")


def assemble(cls: type[_Frozen], values: dict[str, Any]) -> _Frozen:
    """`cls(**values)` for a frozen dataclass on a hot path, without its generated __init__
    (which sets each field through object.__setattr__) or a keyword call: the candidate stage
    builds about 300 Candidates and their TrackFeatures per answer (benchmarks/README.md,
    issue 20). `values` must name every field, defaults included; nothing checks that here,
    so each caller has a test that compares its value with the class's own constructor."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


class ReasonKind(StrEnum):
    """Why a track was picked, as a code handlers/texts words in the listener's language."""

    FEEL = "feel"  # its mood words (and the photo's scene, a trending mark)
    MEANING = "meaning"  # no mood words: close in meaning to the request
    MEMBER_LIBRARY = "member_library"  # from a blended member's library (name never said)
    OWN_LIBRARY = "own_library"  # from the asker's library (playlist name not said here)
    OWN_PLAYLIST = "own_playlist"  # from the asker's playlist, named


@dataclass(frozen=True)
class Scene:
    """A thing the photo shows that a reason may name: a scene noun and a mood word for it."""

    noun: str
    mood: str = ""


@dataclass(frozen=True)
class Reason:
    """Why a track fits, as codes and values (worded by handlers/texts in each language)."""

    kind: ReasonKind
    # a mood word and, when the track has one, a texture word ("melancholic", "acoustic")
    feel: tuple[str, ...] = ()
    scene: Scene | None = None
    trending: bool = False
    playlist: str = ""


@dataclass(frozen=True)
class MoodLine:
    """What an answer's first line says, as values: the mood words, the photo's description
    (the vision model's English) and the mood step taken ("" for none; recsys.mood_shift)."""

    words: tuple[str, ...] = ()
    description: str = ""
    shift: str = ""


@dataclass(frozen=True)
class TrackPick:
    """One recommended track, ready to show."""

    track_id: int
    spotify_id: str
    title: str
    artists: tuple[str, ...]
    tags: tuple[str, ...]
    reason: str
    score: float
    playlist_name: str | None = None
    valence: float | None = None
    energy: float | None = None
    # Set when the track's mood was estimated, not measured: the estimate's basis
    # ("artist", "playlist", "artist_playlist"); handlers word it into the reason.
    mood_guessed: str | None = None
    # why it was picked; `reason` is that worded by the text layer ("" until then)
    why: Reason | None = None

    @property
    def url(self) -> str:
        """The track's Spotify link."""
        return f"https://open.spotify.com/track/{self.spotify_id}"


class Notice(StrEnum):
    """Something a listener should know about how a Recommendation was made (worded in
    handlers/texts.py)."""

    VISION_NOT_READ = "vision_not_read"  # the vision model was unavailable: pixels and words only
    # the words are not English (recsys/language.py), which the mood reader reads best: with a
    # photo, the photo led and the words were read as best as possible; without, only the latter
    FOREIGN_WORDS = "foreign_words"
    FOREIGN_WORDS_ONLY = "foreign_words_only"


@dataclass(frozen=True)
class Recommendation:
    """The ranked songs for one question: a mood line and the tracks that fit it."""

    # `line` worded by the text layer (handlers/texts `worded`); "" until then
    mood_line: str
    mood_words: tuple[str, ...]
    themes: tuple[str, ...]
    traits: AudioTraits
    tracks: tuple[TrackPick, ...]
    # False when the vision model could not read the photo (down, slow, missing)
    vision_used: bool = True
    notice: Notice | None = None
    recommendation_id: int | None = None
    line: MoodLine = MoodLine()
