"""Reply -> Telegram HTML: escaping, limits, keyboards, links."""

from __future__ import annotations

import html
from dataclasses import replace

from bot.telegram.render import MAX_MESSAGE_CHARS, render, toast, visible_length
from handlers.replies import Button, Reply
from recsys.models import AudioTraits, Recommendation
from support.fakes.fake_telegram_service import TRACKS, answer_buttons


def answer(**changes: object) -> Reply:
    """An answer with the fake service's tracks."""
    rec = Recommendation(
        mood_line="Quiet rain <on> glass",
        mood_words=("rain",),
        themes=("calm",),
        traits=AudioTraits(),
        tracks=TRACKS[:2],
        recommendation_id=7,
    )
    reply = Reply(kind="answer", text="", recommendation=rec, buttons=answer_buttons(7))
    return replace(reply, **changes)  # type: ignore[arg-type]


def test_answer_has_mood_notice_tracks_and_extra_lines():
    message = render(
        answer(notice="The vision model was slow & skipped", extra_lines=("Blended: Ana & Ben",))
    )
    assert message.text == (
        "🎧 <b>Quiet rain &lt;on&gt; glass</b>\n"
        "<i>The vision model was slow &amp; skipped</i>\n\n"
        '1. <a href="https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC">'
        "Rock &amp; Roll &lt;Live&gt;</a> · AC/DC\n"
        "<i>energy · party</i> — Loud &amp; bright, like the &quot;crowd&quot; in your photo\n\n"
        '2. <a href="https://open.spotify.com/track/7ouMYWpwJ422jRcDASZB7P">Holocene</a>'
        " · Bon Iver\n"
        "<i>calm · nature</i> — Quiet and wide, from your playlist Night Drives\n\n"
        "Blended: Ana &amp; Ben"
    )


def test_keyboard_has_two_rows_of_actions():
    markup = render(answer()).markup
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [
        [("👍", "up:7"), ("👎", "down:7")],
        [("More like this", "more:7"), ("Different vibe", "diff:7")],
    ]


def test_action_over_64_bytes_is_dropped():
    markup = render(answer(buttons=(Button("x", "more:" + "9" * 60), Button("👍", "up:1")))).markup
    assert markup is not None
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["up:1"]


def test_very_long_answer_stays_under_telegrams_limit():
    long_reason = "<&>" * 400
    tracks = tuple(replace(t, reason=long_reason, title="T" * 200) for t in TRACKS) * 3
    rec = replace(answer().recommendation, tracks=tracks)  # type: ignore[type-var]
    text = render(answer(recommendation=rec)).text
    assert visible_length(text) <= MAX_MESSAGE_CHARS < len(text)
    assert text.count("<a href=") >= 5, "drops tracks from the end, not the whole answer"
    assert html.unescape(text).count("…") >= 5, "reasons are cut to one readable line"


def test_plain_reply_is_escaped_without_keyboard():
    message = render(Reply(kind="error", text="Images only, <please> & thanks"))
    assert message.text == "Images only, &lt;please&gt; &amp; thanks"
    assert message.markup is None


def test_link_reply_with_a_local_url_keeps_it_in_the_text_only():
    url = "http://127.0.0.1:8888/authorize?a=1&b=2"
    message = render(Reply(kind="link", text="Connect:", url=url))
    assert (
        message.text
        == 'Connect:\n<a href="http://127.0.0.1:8888/authorize?a=1&amp;b=2">Connect Spotify</a>'
    )
    assert message.markup is None, "Telegram refuses non-https URL buttons"


def test_toast_is_cut_to_200_characters():
    assert len(toast(Reply(kind="info", text="ok " * 100))) == 200
    assert toast(Reply(kind="info", text="Noted.")) == "Noted."


def test_long_plain_reply_is_cut_not_refused():
    text = render(Reply(kind="info", text="& " * 3000, extra_lines=("last line",))).text
    assert visible_length(text) <= MAX_MESSAGE_CHARS
    assert text.endswith("…\nlast line")
