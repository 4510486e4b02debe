"""Reply -> Discord embed and buttons: what a listener sees under their photo."""

from __future__ import annotations

import discord

from bot.discord.render import (
    DEFAULT_COLOUR,
    EMBED_DESCRIPTION_LIMIT,
    LINK_BUTTON_LABEL,
    ActionButton,
    render,
)
from handlers.replies import Reply
from recsys.models import Recommendation, TrackPick
from support.fakes.bot_service import AUTHORIZE_URL, RAINY_COLOUR, answer, rainy_recommendation


def test_answer_is_an_embed_with_mood_title_photo_colour_and_numbered_linked_tracks() -> None:
    rendered = render(answer(41))

    assert rendered.content is None and rendered.embed is not None
    embed = rendered.embed
    assert embed.title == "A rainy window at dusk: quiet, a little lonely"
    assert embed.colour == discord.Colour(RAINY_COLOUR)
    lines = (embed.description or "").split("\n")
    assert lines[0] == (
        "**1. [Holocene](https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC)** — Bon Iver"
    )
    assert lines[1] == "`sadness` `calm` · quiet and wistful, like rain on glass"
    assert lines[2].startswith("**2. [Skinny Love](https://open.spotify.com/track/7qiZfU4dY1lW")
    assert lines[3] == "`sadness` · from your playlist Rainy Days"
    # a "[" or "]" in a title must not end the link text early or start another
    assert lines[4].startswith("**3. [Night Owl \\[Live\\]](https://open.spotify.com/track/")
    assert lines[4].endswith("— Galimatias, Alina Baraz")
    assert embed.footer.text is None


def test_answer_carries_four_buttons_whose_ids_are_the_reply_actions() -> None:
    view = render(answer(41)).view

    assert view is not None and view.timeout is None
    buttons = [(item.item.label, item.custom_id) for item in view.children]  # type: ignore[attr-defined]
    assert buttons == [
        ("👍", "up:41"),
        ("👎", "down:41"),
        ("More like this", "more:41"),
        ("Different vibe", "diff:41"),
    ]
    assert [item.row for item in view.children] == [0, 0, 1, 1]  # feedback first
    assert all(isinstance(item, ActionButton) for item in view.children)
    # dynamic items are what make the buttons work after a restart
    assert all(item.is_persistent() for item in view.children)


def test_notice_goes_in_the_footer_when_the_vision_model_was_not_used() -> None:
    notice = "The vision model is busy; these songs follow the photo's colours and light."
    embed = render(answer(41, notice=notice)).embed

    assert embed is not None and embed.footer.text == notice


def test_words_only_answer_uses_the_default_colour() -> None:
    reply = Reply(kind="answer", text="x", recommendation=rainy_recommendation())
    embed = render(reply).embed

    assert embed is not None and embed.colour == discord.Colour(DEFAULT_COLOUR)


def test_a_huge_answer_is_cut_to_discords_limit_instead_of_being_refused() -> None:
    pick = TrackPick(1, "abc", "T" * 300, ("A" * 300,), ("calm",), "R" * 1000, 0.5)
    rec = Recommendation(
        mood_line="M" * 400,
        mood_words=(),
        themes=(),
        traits=rainy_recommendation().traits,
        tracks=(pick,) * 10,
    )
    embed = render(Reply(kind="answer", text="", recommendation=rec)).embed

    assert embed is not None
    assert len(embed.title or "") == 256 and (embed.title or "").endswith("…")
    assert len(embed.description or "") == EMBED_DESCRIPTION_LIMIT


def test_link_reply_is_private_text_with_an_open_spotify_button() -> None:
    reply = Reply(kind="link", text="Connect Spotify:", url=AUTHORIZE_URL, private=True)
    rendered = render(reply)

    assert rendered.embed is None and rendered.ephemeral
    assert rendered.content == f"Connect Spotify:\n{AUTHORIZE_URL}"
    assert rendered.view is not None
    (button,) = rendered.view.children
    assert isinstance(button, discord.ui.Button)
    assert (button.label, button.url) == (LINK_BUTTON_LABEL, AUTHORIZE_URL)


def test_error_reply_is_one_plain_sentence() -> None:
    rendered = render(Reply(kind="error", text="The vision model is down; try again soon."))

    assert rendered.kwargs() == {"content": "The vision model is down; try again soon."}
