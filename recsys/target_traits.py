"""Target audio traits from a reading's valence and arousal and a few explicit sound words
("acoustic", "instrumental"), with what a calm or sad request aims at."""

from __future__ import annotations

from dataclasses import dataclass

from recsys.lexicon import word_set
from recsys.models import AudioTraits

# Words that ask for (or against) voices and acoustic instruments.
INSTRUMENTAL_CUES = word_set("instrumental ambient piano classical orchestral meditation")
VOCAL_CUES = word_set("vocal vocals singing singer lyric lyrics sing-along")
ACOUSTIC_CUES = word_set("acoustic unplugged folk guitar piano strings")
ELECTRONIC_CUES = word_set("electronic edm techno synth synths house dubstep trance")
# Words that ask for calm songs and for sad ones in a listener's few words (TargetLimits says
# what those are). Written in round 6 with the 24 dev requests in view (docs/mood.md).
# "still" is left out: as an adverb ("still sad") it asks for nothing.
CALM_CUES = word_set("calm calming calmness peaceful tranquil tranquility tranquillity "
                     "serene serenity meditation meditative stillness soothing restful hushed "
                     "quiet relaxing relaxation")  # fmt: skip
SAD_CUES = word_set("sad sadness heartbroken heartbreak grief grieving tears tearful crying "
                    "melancholy melancholic lonely loneliness sorrow sorrowful mourning breakup "
                    "depressed gloomy")  # fmt: skip


@dataclass(frozen=True)
class TargetLimits:
    """What a calm or sad request aims at. Calm songs are quiet, acoustic and mostly
    instrumental (instrumental is a lean, not a demand: a sung lullaby still fits); sad songs are
    sung and soft, although people rate grief and tears as aroused. Each default is the median of
    the labelled Calm or Sad tracks of half A of mood_labels_dev.csv (split by artist; round 7,
    `python -m training.calm_split`); half B and its requests judged them (docs/mood.md)."""

    calm_energy_max: float = 0.16
    calm_acoustic_min: float = 0.96
    calm_instrumental: float = 0.9
    sad_energy_max: float = 0.36
    sung: float = 0.0


LIMITS = TargetLimits()


def traits_for(
    valence: float,
    arousal: float,
    words: frozenset[str],
    request: bool = False,
    limits: TargetLimits = LIMITS,
) -> AudioTraits:
    """Target audio traits implied by valence, arousal and a few explicit sound words;
    `request`: a listener's few words, where a calm or sad word asks for calm or sad songs (a
    vision model's paragraph names "serene" in passing)."""
    calm = request and bool(words & CALM_CUES) and not words & ELECTRONIC_CUES
    sad = request and bool(words & SAD_CUES) and not calm
    if calm:
        arousal = min(arousal, limits.calm_energy_max)
    if sad:
        arousal = min(arousal, limits.sad_energy_max)
    dance = 0.15 + 0.4 * arousal + 0.35 * valence
    acoustic = 0.95 - 1.1 * arousal
    if words & ACOUSTIC_CUES:
        acoustic = max(acoustic, 0.7)
    if calm:
        acoustic = max(acoustic, limits.calm_acoustic_min)
    if words & ELECTRONIC_CUES:
        acoustic = min(acoustic, 0.1)
    instrumental = None
    if words & INSTRUMENTAL_CUES or (calm and not words & VOCAL_CUES):
        instrumental = limits.calm_instrumental
    elif words & VOCAL_CUES or sad:
        instrumental = limits.sung
    low, high = _tempo_range(arousal)
    return AudioTraits(
        valence=round(valence, 3), energy=round(arousal, 3), danceability=round(_clip(dance), 3),
        acousticness=round(_clip(acoustic), 3), instrumentalness=instrumental,
        tempo_min=low, tempo_max=high,
    )  # fmt: skip


def _tempo_range(arousal: float) -> tuple[float, float]:
    # Broad bands: tempo follows arousal only loosely in real catalogs.
    if arousal < 0.3:
        return 60.0, 110.0
    if arousal < 0.55:
        return 75.0, 130.0
    if arousal < 0.75:
        return 95.0, 145.0
    return 110.0, 185.0


def _clip(x: float) -> float:
    return float(min(0.97, max(0.03, x)))
