"""What other people wrote (titles, artists, playlist names in reasons) is shown inert on both
platforms: no masked links, no markup, no bidi tricks, bounded length."""

from __future__ import annotations

import re

from bot.discord.render import ARTISTS_CHARS, TITLE_CHARS
from bot.discord.render import render as discord_render
from bot.telegram.render import MAX_TITLE_CHARS
from bot.telegram.render import render as telegram_render
from handlers.replies import Reply
from handlers.texts import reason_text
from recsys.models import AudioTraits, Candidate, Recommendation, TrackPick
from recsys.ranking import RankingPlan, Scored, reason_for, to_pick

PHISHING = "[Verify your account](https://evil.example)"
# U+202E (right-to-left override) and U+2066 (left-to-right isolate) turn text around.
BIDI = "\u202egpj.exe\u2066 \u200fcalm\u0007"
BIDI_CHARS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u0000-\u001f]")


def answer(title: str = "Song", artists: tuple[str, ...] = ("Artist",), reason: str = "") -> Reply:
    pick = TrackPick(1, "4uLU6hMCjMI75M1A2tKUQC", title, artists, ("calm",), reason, 0.9)
    rec = Recommendation("calm", (), (), AudioTraits(), (pick,), recommendation_id=1)
    return Reply("answer", "", recommendation=rec)


def discord_description(reply: Reply) -> str:
    embed = discord_render(reply).embed
    assert embed is not None and embed.description is not None
    return embed.description


# Discord renders [text](url) as a masked link: a "](" or "[" that is not escaped would do.
MASKED_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\((?!https://open\.spotify\.com/)")


def test_a_phishing_playlist_name_is_no_masked_link_on_discord() -> None:
    reason = f"from your playlist '{PHISHING}', calm"
    for reply in (answer(reason=reason), answer(title=PHISHING), answer(artists=(PHISHING,))):
        text = discord_description(reply)
        assert not MASKED_LINK.search(text), text
        assert "https://evil" not in text  # a bare address does not autolink either
    # the one link left is the song's own
    links = re.findall(r"(?<!\\)\]\((https?://[^)]*)\)", discord_description(answer(reason=reason)))
    assert links == ["https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"]


def test_markdown_and_mentions_from_others_are_inert_on_discord() -> None:
    text = discord_description(answer(title="**bold** @everyone", reason="# heading <@123>"))
    assert "\\*\\*bold\\*\\*" in text
    assert "@everyone" not in text and "<@123>" not in text
    assert "\n# " not in text


def test_bidi_and_control_characters_are_dropped_on_both_platforms() -> None:
    reply = answer(title=BIDI, artists=(BIDI,), reason=BIDI)
    assert not BIDI_CHARS.search(discord_description(reply).replace("\n", ""))
    html_text = telegram_render(reply).text
    assert not BIDI_CHARS.search(html_text.replace("\n", ""))
    assert "gpj.exe" in html_text  # the visible letters stay


def test_telegram_escapes_html_in_titles_artists_and_reasons() -> None:
    reply = answer(title="<b>x</b>", artists=('<a href="https://evil.example">y</a>',),
                   reason="from your playlist '<i>z</i>'")  # fmt: skip
    text = telegram_render(reply).text
    assert "evil.example" not in re.findall(r'<a href="([^"]*)"', text)
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "&lt;i&gt;z&lt;/i&gt;" in text


def test_long_titles_and_artists_are_cut_on_both_platforms() -> None:
    reply = answer(title="T" * 5000, artists=("A" * 5000,))
    head, _, artists = discord_description(reply).split("\n")[0].partition(" — ")
    assert head.count("T") == TITLE_CHARS - 1 and artists == "A" * (ARTISTS_CHARS - 1) + "…"
    assert telegram_render(reply).text.count("T") == MAX_TITLE_CHARS - 1


def scored(playlist_name: str, own_playlist: bool, mood_words: tuple[str, ...] = ()) -> Scored:
    track = Candidate(
        id=1,
        spotify_id="4uLU6hMCjMI75M1A2tKUQC",
        title="Song",
        artists=("A",),
        playlist_name=playlist_name,
        own_playlist=own_playlist,
        mood_words=mood_words,
    )
    return Scored(track, 1.0, 1.0)


def test_a_members_playlist_name_is_never_said_to_someone_else() -> None:
    plan = RankingPlan(target=AudioTraits())
    theirs = scored(playlist_name="Ex's breakup songs", own_playlist=False)
    for name_playlists in (True, False):
        assert (
            reason_text("en", reason_for(theirs, plan, name_playlists)) == "from a member's library"
        )
        assert to_pick(theirs, plan, name_playlists).playlist_name is None


def test_the_owner_hears_their_playlist_name_only_where_only_they_read_it() -> None:
    plan = RankingPlan(target=AudioTraits())
    mine = scored(playlist_name="Night \u202eDrives", own_playlist=True, mood_words=("calm",))
    named = reason_text("en", reason_for(mine, plan, name_playlists=True))
    assert named == "from your playlist 'Night Drives', calm"
    in_a_group = reason_text("en", reason_for(mine, plan, name_playlists=False))
    assert in_a_group == "from your library, calm"


def test_a_huge_title_first_in_a_telegram_answer_leaves_every_song_shown() -> None:
    """A 100,000-character catalog title used to push every track out of the message."""
    picks = tuple(
        TrackPick(n, "4uLU6hMCjMI75M1A2tKUQC", "T" * 100_000 if n == 1 else f"Song {n}",
                  ("A" * 100_000,), ("calm",), "R" * 100_000, 0.9)
        for n in range(1, 6)
    )  # fmt: skip
    rec = Recommendation("calm", (), (), AudioTraits(), picks, recommendation_id=1)
    text = telegram_render(Reply("answer", "", recommendation=rec)).text
    assert text.count("<a href=") == 5
