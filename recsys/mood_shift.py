"""Steps to a neighbouring mood: "Different vibe", "Calmer", "More energy" (each step's name
is reported; handlers/texts words it, "A calmer take", in the listener's language).

The valence/energy plane is read as three bands per axis (low, middle, high). A step moves the
target to the middle of the next band along one axis, so the answer lands in the neighbouring
region of the photo's mood rather than re-rolling the same one; at the edge it goes to the far
end of the band it is in. The other traits follow the step a little, and the tempo band is
dropped, because the old one would pull the answer back to the old pace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from recsys.models import AudioTraits

BANDS = 3
# Where a step at the edge of the plane goes: near the end, never onto it.
EDGE_LOW, EDGE_HIGH = 0.06, 0.94
# How much danceability and acousticness follow a step in energy (and danceability in valence).
DANCE_PER_ENERGY, ACOUSTIC_PER_ENERGY, DANCE_PER_VALENCE = 0.5, -0.5, 0.3
# With no opinion on an axis the photo is taken as in its middle.
NEUTRAL = 0.5

Axis = Literal["valence", "energy"]


@dataclass(frozen=True)
class MoodShift:
    """One step: along which axis and which way (its name is what the answer reports)."""

    name: str
    axis: Axis
    direction: int


SHIFTS = {
    shift.name: shift
    for shift in (
        MoodShift("brighter", "valence", +1),
        MoodShift("moodier", "valence", -1),
        MoodShift("calmer", "energy", -1),
        MoodShift("more_energy", "energy", +1),
    )
}
# Resolved against the mood it starts from (see `different_vibe`).
DIFFERENT = "different"
SHIFT_NAMES = (*SHIFTS, DIFFERENT)


def different_vibe(traits: AudioTraits) -> MoodShift:
    """The neighbouring region along valence, toward the side with more room: a sad photo gets
    a brighter take, a bright one a moodier take."""
    valence = NEUTRAL if traits.valence is None else traits.valence
    return SHIFTS["brighter"] if valence <= NEUTRAL else SHIFTS["moodier"]


def step(value: float | None, direction: int) -> float:
    """The middle of the next band that way, or the far end of the band at the edge."""
    current = NEUTRAL if value is None else value
    band = min(int(current * BANDS), BANDS - 1) + direction
    if band < 0:
        return min(current, EDGE_LOW)
    if band >= BANDS:
        return max(current, EDGE_HIGH)
    return (band + 0.5) / BANDS


def shift_traits(traits: AudioTraits, shift: MoodShift) -> AudioTraits:
    """The target traits one step along the shift's axis; the others follow a little."""
    old = getattr(traits, shift.axis)
    new = step(old, shift.direction)
    delta = new - (NEUTRAL if old is None else old)
    changes: dict[str, float | None] = {shift.axis: new}
    if shift.axis == "energy":
        changes["danceability"] = _nudge(traits.danceability, DANCE_PER_ENERGY * delta)
        changes["acousticness"] = _nudge(traits.acousticness, ACOUSTIC_PER_ENERGY * delta)
        changes["tempo_min"] = changes["tempo_max"] = None
    else:
        changes["danceability"] = _nudge(traits.danceability, DANCE_PER_VALENCE * delta)
    return replace(traits, **changes)


def apply_shifts(traits: AudioTraits, names: tuple[str, ...]) -> tuple[AudioTraits, str]:
    """The traits after each named step in order, and the name of the last step taken ("" for
    none; "different" resolved to "brighter" or "moodier"). Unknown names are skipped (a
    button from an older version)."""
    taken = ""
    for name in names:
        shift = different_vibe(traits) if name == DIFFERENT else SHIFTS.get(name)
        if shift is None:
            continue
        traits = shift_traits(traits, shift)
        taken = shift.name
    return traits, taken


def _nudge(value: float | None, delta: float) -> float | None:
    if value is None:
        return None
    return min(1.0, max(0.0, value + delta))
