"""The answer's own words: the mood line, each song's tags and reason, the notice under the
songs, and the plain-text answer. recsys reports them as values (`MoodLine`, `Reason`,
`Notice`); this module words them in the listener's language, the mood words and theme tags
through the glossary (texts/glossary.py), so a word reads the same in the line and in a reason.
"""

from __future__ import annotations

from dataclasses import replace

from handlers.i18n import DEFAULT
from handlers.texts.core import N_, first_upper, say, word
from recsys.models import MoodLine, Notice, Reason, ReasonKind, Recommendation, TrackPick

# The mood line after a mood step, by the step's name (recsys.mood_shift).
# NOTE: the first line of an answer after a mood-step button; {words}: up to three mood words
# ("calm, warm, gentle").
SHIFT_LINES = {
    "brighter": N_("A brighter take: {words}"),
    "moodier": N_("A moodier take: {words}"),
    "calmer": N_("A calmer take: {words}"),
    "more_energy": N_("A take with more energy: {words}"),
}
# NOTE: an answer's first line when the photo had no mood words.
NO_MOOD_WORDS = N_("A mood")
# NOTE: an answer's first line: {words}: mood words ("Calm, warm"); {description}: the vision
# model's description of the photo (English).
WITH_DESCRIPTION = N_("{words}: {description}")
# NOTE: a song's feel in a reason: {mood}: a mood word; {texture}: a sound word ("acoustic").
MOOD_AND_TEXTURE = N_("{mood} and {texture}")

REASONS = {
    # NOTE: a song's reason in a group answer: the song is from a member's Spotify library.
    ReasonKind.MEMBER_LIBRARY: N_("from a member's library"),
    ReasonKind.OWN_LIBRARY: N_("from your library"),
    # NOTE: {name}: the listener's own playlist name.
    ReasonKind.OWN_PLAYLIST: N_("from your playlist '{name}'"),
    ReasonKind.MEANING: N_("close in meaning to what you described"),
}
# NOTE: a reason followed by the song's feel: {reason}: "from your library"; {feel}: "calm and
# acoustic".
REASON_AND_FEEL = N_("{reason}, {feel}")
# NOTE: a reason: {feel}: "calm and acoustic"; {scene}: a thing the photo shows ("the lake").
FEEL_LIKE_SCENE = N_("{feel}, like {scene}")
# NOTE: a thing the photo shows: {noun}: a scene word from the glossary ("lake").
SCENE = N_("the {noun}")
# NOTE: a thing the photo shows: {mood}: a mood word ("misty"), {noun}: a scene word ("lake").
# Where the language's adjectives agree in gender, an order like "{noun} ({mood})" is fine.
SCENE_WITH_MOOD = N_("the {mood} {noun}")
# NOTE: after a reason when the listener asked for trending songs.
TRENDING = N_("{reason} (trending now)")
# Appended to the reason of a song whose mood was estimated, never measured (by its basis).
MOOD_GUESSED = {
    "artist": N_("mood guessed from the artist's other songs"),
    "playlist": N_("mood guessed from the songs around it in your playlists"),
    "artist_playlist": N_("mood guessed from the artist's other songs and your playlists"),
    "text": N_("mood guessed from the song's title and artist"),
    "artist_text": N_("mood guessed from the artist's other songs and the song's title"),
    "playlist_text": N_("mood guessed from your playlists and the song's title and artist"),
    "artist_playlist_text": N_(
        "mood guessed from the artist's other songs, your playlists and the song's title"
    ),
}
# NOTE: a reason and its note on a guessed mood: {reason}; {note}: "mood guessed from ...".
GUESSED = N_("{reason}; {note}")
# Said under an answer when it was made differently from usual (recsys.models.Notice).
NOTICES = {
    Notice.VISION_NOT_READ: N_(
        "The photo was not read by the vision model (it is unavailable right now), so these "
        "picks come from your words and the photo's colours and light."
    ),
    # NOTE: under an answer to a photo with words in another language than English.
    Notice.FOREIGN_WORDS: N_(
        "I read moods best in English, so the photo led and your words were read as best I could."
    ),
    # NOTE: under an answer to words alone, written in another language than English.
    Notice.FOREIGN_WORDS_ONLY: N_(
        "I read moods best in English, so your words were read as best I could."
    ),
}
# NOTE: a line of the plain-text answer: {number}. {title} by {artists} {url} {tags} ({reason})
TRACK_LINE = N_("{number}. {title} by {artists} {url} {tags} ({reason})")


def mood_word(lang: str, text: str) -> str:
    """A mood word in `lang` (glossary context "mood"; unknown words stay as they are)."""
    return word(lang, "mood", text)


def known_mood_words(lang: str, words: tuple[str, ...]) -> list[str]:
    """The words in `lang`; outside English, a word the glossary lacks (an open-vocabulary
    word from the vision model) is left out rather than shown in English."""
    said = [(w, mood_word(lang, w)) for w in words]
    return [t for w, t in said if lang == DEFAULT or t != w]


def tag_text(lang: str, tag: str) -> str:
    """A song's tag in `lang`: a theme's glossary word, else a mood word's."""
    theme = word(lang, "theme", tag)
    return theme if theme != tag else mood_word(lang, tag)


def mood_line_text(lang: str, line: MoodLine) -> str:
    """The answer's first line: its mood words (and, in English, the photo's description)."""
    words = ", ".join(known_mood_words(lang, line.words[:3]))
    if line.shift in SHIFT_LINES:
        return say(lang, SHIFT_LINES[line.shift], words=words)
    head = first_upper(words) if words else say(lang, NO_MOOD_WORDS)
    # The description is the vision model's English: a line in another language leaves it out.
    if not line.description or lang != "en":
        return head
    return say(lang, WITH_DESCRIPTION, words=head, description=line.description)


def feel_text(lang: str, feel: tuple[str, ...]) -> str:
    """ "melancholic and acoustic", or one word."""
    if not feel:
        return ""
    if len(feel) == 1:
        return mood_word(lang, feel[0])
    return say(
        lang, MOOD_AND_TEXTURE, mood=mood_word(lang, feel[0]), texture=mood_word(lang, feel[1])
    )


def reason_text(lang: str, reason: Reason | None, guessed: str | None = None) -> str:
    """Why a song fits, in `lang`; `guessed` (an estimate's basis) adds how its mood was known."""
    return with_guess(lang, _reason(lang, reason) if reason is not None else "", guessed)


def with_guess(lang: str, reason: str, guessed: str | None) -> str:
    """A worded reason and, for a song whose mood was estimated, the note saying so."""
    if guessed not in MOOD_GUESSED:
        return reason
    note = say(lang, MOOD_GUESSED[guessed])
    return say(lang, GUESSED, reason=reason, note=note) if reason else note


def _reason(lang: str, reason: Reason) -> str:
    feel = feel_text(lang, reason.feel)
    if reason.kind is ReasonKind.FEEL:
        text = feel
        if reason.scene is not None:
            text = say(lang, FEEL_LIKE_SCENE, feel=feel, scene=_scene(lang, reason))
        return say(lang, TRENDING, reason=text) if reason.trending else text
    if reason.kind is ReasonKind.MEANING:
        return say(lang, REASONS[ReasonKind.MEANING])
    text = say(lang, REASONS[reason.kind], name=reason.playlist)
    return say(lang, REASON_AND_FEEL, reason=text, feel=feel) if feel else text


def _scene(lang: str, reason: Reason) -> str:
    assert reason.scene is not None
    noun = word(lang, "scene", reason.scene.noun)
    mood = known_mood_words(lang, (reason.scene.mood,)) if reason.scene.mood else []
    if not mood:
        return say(lang, SCENE, noun=noun)
    return say(lang, SCENE_WITH_MOOD, mood=mood[0], noun=noun)


def notice_text(lang: str, notice: Notice | None) -> str | None:
    """The sentence said under an answer, if any."""
    return None if notice is None else say(lang, NOTICES[notice])


def worded(recommendation: Recommendation, lang: str) -> Recommendation:
    """The recommendation with its mood line, tags and reasons worded in `lang` (what the
    renderers show); values recsys did not report (a fake's own words) are kept."""
    line = recommendation.line
    has_line = bool(line.words or line.description or line.shift)
    mood_line = (
        mood_line_text(lang, line)
        if has_line or not recommendation.mood_line
        else recommendation.mood_line
    )
    tracks = tuple(_worded_pick(pick, lang) for pick in recommendation.tracks)
    return replace(recommendation, mood_line=mood_line, tracks=tracks)


def _worded_pick(pick: TrackPick, lang: str) -> TrackPick:
    if pick.why is not None:
        reason = reason_text(lang, pick.why, pick.mood_guessed)
    else:
        reason = with_guess(lang, pick.reason, pick.mood_guessed)
    tags = tuple(tag_text(lang, tag) for tag in pick.tags)
    return replace(pick, reason=reason, tags=tags)


def answer_text(lang: str, recommendation: Recommendation) -> str:
    """The answer as plain text: the mood line, then one line per track (worded in `lang`)."""
    rec = worded(recommendation, lang)
    lines = [rec.mood_line]
    for number, track in enumerate(rec.tracks, 1):
        tags = " ".join(f"#{tag}" for tag in track.tags)
        lines.append(
            say(
                lang,
                TRACK_LINE,
                number=number,
                title=track.title,
                artists=", ".join(track.artists),
                url=track.url,
                tags=tags,
                reason=track.reason,
            )
        )
    notice = notice_text(lang, rec.notice)
    if notice:
        lines.append(notice)
    return "\n".join(lines)
