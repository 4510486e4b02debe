"""A listener's own words as steering: "more upbeat", "instrumental", "no sad songs", "80s jazz".

`parse_steering` recognises phrases and returns a frozen `Steering`; `Steering.apply` moves a
target `AudioTraits` by it. Whatever is not recognised is left in `free_text` for the text
embedding and the mood reader.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field, fields

from recsys.models import TRAIT_NAMES, AudioTraits

log = logging.getLogger(__name__)

# A trait asked for with no photo target starts from the middle of the scale.
NEUTRAL = 0.5
# How far one "more X" moves a trait (0..1 scale): enough to change the ranking visibly.
STEP = 0.25
# "slower"/"faster" scale the tempo band by these factors.
SLOWER = 0.8
FASTER = 1.2
# Tempo bands used when there was no target tempo to scale.
SLOW_BAND = (60.0, 100.0)
FAST_BAND = (120.0, 185.0)
# "recent" means released in the last few years.
RECENT_YEARS = 3
# Earliest year an era can mean ("oldies").
EARLIEST_YEAR = 1950


@dataclass(frozen=True)
class Steering:
    """What a listener's words ask of the answer, ready for the recommender to apply."""

    deltas: AudioTraits = field(default_factory=AudioTraits)
    """Amounts added to the target traits (e.g. valence +0.25 for "happier"); None: no change."""
    overrides: AudioTraits = field(default_factory=AudioTraits)
    """Absolute target values that replace the photo's (e.g. instrumentalness 0.85)."""
    tempo_factor: float | None = None
    """Multiplies the target tempo band ("slower" 0.8, "faster" 1.2); None: tempo untouched."""
    exclude_sad: bool = False
    """Drop low-valence / sadness-tagged tracks from the answer ("no sad songs")."""
    avoid_themes: tuple[str, ...] = ()
    """Theme tags the answer should not aim at (e.g. "sadness")."""
    want_trending: bool = False
    """Prefer trending and popular tracks ("something trendy", "popular", "hits")."""
    genres: tuple[str, ...] = ()
    """Canonical genre names asked for ("jazz", "lofi", "k-pop", "hip hop"...)."""
    year_range: tuple[int, int] | None = None
    """Inclusive release-year range asked for ("80s" -> (1980, 1989)); None: any year."""
    free_text: str = ""
    """The words left once the recognised phrases are taken out (for embedding)."""
    phrases: tuple[str, ...] = ()
    """The phrases recognised, in the order they appear (for logs and reasons)."""

    @property
    def is_empty(self) -> bool:
        """True when the words asked for nothing this parser understands."""
        return not self.phrases

    def apply(self, target: AudioTraits) -> AudioTraits:
        """The target traits moved by the deltas, then replaced by the overrides."""
        moved: dict[str, float | None] = {}
        for name in TRAIT_NAMES:
            value = getattr(target, name)
            delta = getattr(self.deltas, name)
            if delta is not None:
                value = _clip((NEUTRAL if value is None else value) + delta)
            override = getattr(self.overrides, name)
            moved[name] = override if override is not None else value
        low, high = self._tempo(target)
        return AudioTraits(**moved, tempo_min=low, tempo_max=high)

    def _tempo(self, target: AudioTraits) -> tuple[float | None, float | None]:
        if self.overrides.tempo_min is not None or self.overrides.tempo_max is not None:
            return self.overrides.tempo_min, self.overrides.tempo_max
        low, high = target.tempo_min, target.tempo_max
        if self.tempo_factor is None:
            return low, high
        if low is None or high is None:
            return SLOW_BAND if self.tempo_factor < 1 else FAST_BAND
        return round(low * self.tempo_factor, 1), round(high * self.tempo_factor, 1)


def _clip(x: float) -> float:
    return round(min(1.0, max(0.0, x)), 3)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    deltas: dict[str, float] = field(default_factory=dict)
    overrides: dict[str, float] = field(default_factory=dict)
    tempo_factor: float | None = None
    exclude_sad: bool = False
    want_trending: bool = False


def _rule(pattern: str, **kwargs: object) -> _Rule:
    return _Rule(re.compile(rf"\b(?:{pattern})\b"), **kwargs)  # type: ignore[arg-type]


# Order matters: a negated phrase ("no sad songs") is taken before its bare word ("sad").
RULES: tuple[_Rule, ...] = (
    _rule(r"(?:no|not|nothing|without|avoid|don'?t want|less)\s+(?:too\s+)?(?:sad|depressing|"
          r"gloomy|melancholic|melancholy|down)(?:\s+(?:songs?|music|stuff|ones|tracks))?",
          exclude_sad=True, deltas={"valence": 0.1}),
    _rule(r"(?:no|without|zero)\s+(?:vocals?|lyrics|singing|words)|instrumentals?|"
          r"vocals?[- ]free", overrides={"instrumentalness": 0.85}),
    _rule(r"with\s+(?:vocals?|lyrics|singing)|sing[- ]?along",
          overrides={"instrumentalness": 0.03}),
    _rule(r"(?:more\s+)?upbeat|happier|more\s+(?:happy|cheerful|positive|fun|joyful)|cheerful|"
          r"uplifting|feel[- ]good|brighter|cheer\s+me\s+up|happy",
          deltas={"valence": STEP, "energy": 0.15}),
    _rule(r"sadder|more\s+(?:sad|melancholic|emotional)|melancholic|moodier|darker|sad",
          deltas={"valence": -STEP, "energy": -0.1}),
    _rule(r"more\s+(?:energy|energetic|intense|power)|energetic|louder|harder|hype|pump(?:ed)?"
          r"(?:\s+up)?|intense|workout|party", deltas={"energy": 0.3, "danceability": 0.1}),
    _rule(r"slower|slow(?:\s+down)?|calmer|calm|chill(?:er|ed)?|relax(?:ing|ed)?|mellow|"
          r"softer|quieter|sleepy|sleep|less\s+(?:energy|intense)",
          deltas={"energy": -0.3}, tempo_factor=SLOWER),
    _rule(r"faster|fast|speed\s+(?:it\s+)?up|quicker|up[- ]?tempo", deltas={"energy": 0.15},
          tempo_factor=FASTER),
    _rule(r"danceable|to\s+dance\s+to|dancey|groovy|groove", deltas={"danceability": STEP}),
    _rule(r"acoustic|unplugged", overrides={"acousticness": 0.8}),
    _rule(r"electronic|synth(?:s|y)?", overrides={"acousticness": 0.08}),
    _rule(r"trendy|trending|popular|hits?|viral|what'?s\s+hot|mainstream|current|top\s+charts?",
          want_trending=True),
)  # fmt: skip

# Canonical genre -> the ways people write it.
GENRES: dict[str, str] = {
    "k-pop": r"k[- ]?pop", "j-pop": r"j[- ]?pop", "hip hop": r"hip[- ]?hop|rap",
    "lofi": r"lo[- ]?fi",
    "r&b": r"r\s*&\s*b|rnb|r and b", "edm": r"edm|electronic dance", "jazz": r"jazz(?:y)?",
    "rock": r"rock", "classical": r"classical", "pop": r"pop", "indie": r"indie",
    "country": r"country", "metal": r"metal", "folk": r"folk", "reggaeton": r"reggaeton",
    "reggae": r"reggae", "latin": r"latin", "house": r"house", "techno": r"techno",
    "blues": r"blues", "soul": r"soul", "funk": r"funk(?:y)?", "disco": r"disco", "punk": r"punk",
    "ambient": r"ambient", "bollywood": r"bollywood", "afrobeats": r"afro[- ]?beats?",
    "gospel": r"gospel", "opera": r"opera", "trap": r"trap", "grunge": r"grunge",
}  # fmt: skip
GENRE_PATTERNS = {name: re.compile(rf"\b(?:{p})\b") for name, p in GENRES.items()}
# A genre also leans the sound a little, so asking for it moves the traits, not only text.
GENRE_TRAITS: dict[str, dict[str, float]] = {
    "lofi": {"energy": -0.2}, "classical": {"energy": -0.2}, "ambient": {"energy": -0.3},
    "edm": {"energy": 0.2, "danceability": 0.15}, "metal": {"energy": 0.3},
    "house": {"danceability": 0.2}, "techno": {"energy": 0.2}, "jazz": {"energy": -0.1},
    "folk": {"energy": -0.1},
}  # fmt: skip
GENRE_OVERRIDES: dict[str, dict[str, float]] = {
    "classical": {"acousticness": 0.8}, "folk": {"acousticness": 0.7},
    "edm": {"acousticness": 0.05}, "ambient": {"instrumentalness": 0.7},
}  # fmt: skip

DECADE = re.compile(r"\b(19|20)?([0-9])0'?s\b")
SINCE = re.compile(r"\b(?:from|since|after|post)\s+((?:19|20)[0-9]{2})\b")
BEFORE = re.compile(r"\b(?:before|until|pre)\s+((?:19|20)[0-9]{2})\b")
YEAR = re.compile(r"\b((?:19|20)[0-9]{2})\b")
RECENT = re.compile(r"\b(?:recent|new(?:est)?|latest|fresh)\b")
OLDIES = re.compile(r"\b(?:oldies|old[- ]school|old songs|retro|classics)\b")
FILLER = re.compile(
    r"\b(?:something|anything|some|please|songs?|music|tracks?|stuff|give me|play|i want|"
    r"i'?d like|can you|could you|maybe|a bit|little|more|less|very|really|kind of|like|from|"
    r"the|a|an|and|or|with|of|in|to|me|for|but|vibes?)\b"
)


def _decade(century: str | None, digit: str) -> tuple[int, int]:
    if century is None:  # "80s" means the 1980s; "00s"/"10s" mean this century
        century = "20" if digit in "012" else "19"
    start = int(century + digit + "0")
    return start, start + 9


def parse_era(text: str, this_year: int) -> tuple[tuple[int, int] | None, str]:
    """The release-year range the words ask for, and the text with it taken out."""
    spans: list[tuple[int, int]] = []
    for pattern, make in (
        (DECADE, lambda m: _decade(m.group(1), m.group(2))),
        (SINCE, lambda m: (int(m.group(1)), this_year)),
        (BEFORE, lambda m: (EARLIEST_YEAR, int(m.group(1)) - 1)),
        (YEAR, lambda m: (int(m.group(1)), int(m.group(1)))),
        (RECENT, lambda m: (this_year - RECENT_YEARS, this_year)),
        (OLDIES, lambda m: (EARLIEST_YEAR, 1999)),
    ):
        for match in pattern.finditer(text):
            spans.append(make(match))
        text = pattern.sub(" ", text)
    if not spans:
        return None, text
    return (min(s[0] for s in spans), max(s[1] for s in spans)), text


def parse_steering(text: str, this_year: int | None = None) -> Steering:
    """The steering a listener's words ask for (an empty Steering when they ask for none)."""
    rest = text.lower().replace("\u2019", "'")
    year = this_year if this_year is not None else datetime.date.today().year
    year_range, rest = parse_era(rest, year)
    deltas: dict[str, float] = {}
    overrides: dict[str, float] = {}
    found: list[tuple[int, str]] = []
    flags = {"exclude_sad": False, "want_trending": False}
    tempo: float | None = None
    for rule in RULES:
        for match in rule.pattern.finditer(rest):
            found.append((match.start(), match.group(0)))
            for name, amount in rule.deltas.items():
                deltas[name] = deltas.get(name, 0.0) + amount
            overrides.update(rule.overrides)
            tempo = rule.tempo_factor if rule.tempo_factor is not None else tempo
            flags["exclude_sad"] |= rule.exclude_sad
            flags["want_trending"] |= rule.want_trending
        rest = rule.pattern.sub(" ", rest)
    genres = _genres(rest, deltas, overrides, found)
    for pattern in GENRE_PATTERNS.values():
        rest = pattern.sub(" ", rest)
    if year_range is not None:
        found.append((len(text), f"{year_range[0]}-{year_range[1]}"))
    return Steering(
        deltas=AudioTraits(**{k: round(v, 3) for k, v in deltas.items()}),
        overrides=AudioTraits(**overrides),
        tempo_factor=tempo,
        exclude_sad=flags["exclude_sad"],
        avoid_themes=("sadness",) if flags["exclude_sad"] else (),
        want_trending=flags["want_trending"],
        genres=genres,
        year_range=year_range,
        free_text=" ".join(FILLER.sub(" ", re.sub(r"[^\w\s'&-]", " ", rest)).split()),
        phrases=tuple(phrase for _, phrase in sorted(found)),
    )


def _genres(
    text: str, deltas: dict[str, float], overrides: dict[str, float], found: list[tuple[int, str]]
) -> tuple[str, ...]:
    genres: list[tuple[int, str]] = []
    for name, pattern in GENRE_PATTERNS.items():
        match = pattern.search(text)
        # "k-pop" must not also count as "pop"
        if match and not any(name in other for _, other in genres):
            genres.append((match.start(), name))
            found.append((match.start(), match.group(0)))
            for trait, amount in GENRE_TRAITS.get(name, {}).items():
                deltas[trait] = deltas.get(trait, 0.0) + amount
            for trait, value in GENRE_OVERRIDES.get(name, {}).items():
                overrides.setdefault(trait, value)
    return tuple(name for _, name in sorted(genres))


def describe(steering: Steering) -> str:
    """A short human summary of the steering, for logs and the answer's notice."""
    parts = [f"{f.name}={getattr(steering, f.name)}" for f in fields(steering)
             if getattr(steering, f.name) not in (None, (), "", False, AudioTraits())]  # fmt: skip
    return ", ".join(parts) or "none"
