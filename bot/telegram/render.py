"""Turns a platform-neutral Reply into Telegram HTML text and an inline keyboard."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.replies import Reply
from recsys.models import Recommendation, TrackPick
from recsys.text_hygiene import clean_text

log = logging.getLogger(__name__)

# Telegram refuses messages longer than 4096 characters after entity parsing (UTF-16 units).
MAX_MESSAGE_CHARS = 4096
# A reason is one line on why a song fits; anything longer is cut so five tracks stay readable.
MAX_REASON_CHARS = 280
# A title or artist list longer than a line only pushes the other songs out of the message;
# a tag is one or two words.
MAX_TITLE_CHARS = 100
MAX_ARTISTS_CHARS = 100
MAX_TAG_CHARS = 40
# A plain reply's own text is cut here, leaving room for its link and extra lines.
MAX_PLAIN_CHARS = 3500
# answerCallbackQuery shows at most 200 characters in its toast.
MAX_TOAST_CHARS = 200
# Telegram's limit on callback_data.
MAX_CALLBACK_BYTES = 64
# Action buttons per keyboard row: thumbs up/down side by side, then the two "more" actions.
BUTTONS_PER_ROW = 2
# The label of the URL button a "link" reply carries.
LINK_BUTTON_LABEL = "Connect Spotify"


@dataclass(frozen=True)
class TelegramMessage:
    """One message ready for sendMessage with parse_mode HTML."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def render(reply: Reply) -> TelegramMessage:
    """The HTML message (and its keyboard) for a Reply."""
    if reply.recommendation is not None:
        text = _answer_html(reply.recommendation, reply.extra_lines, reply.notice)
    else:
        text = _plain_html(reply)
    return TelegramMessage(text=text, markup=_keyboard(reply))


def toast(reply: Reply) -> str:
    """The short plain text for an answerCallbackQuery toast."""
    return _cut(reply.text, MAX_TOAST_CHARS)


def _plain_html(reply: Reply) -> str:
    lines = [html.escape(_cut(reply.text, MAX_PLAIN_CHARS))]
    if reply.url:
        url = html.escape(reply.url, quote=True)
        label = reply.url_label or LINK_BUTTON_LABEL
        lines.append(f'<a href="{url}">{html.escape(label)}</a>')
    lines.extend(html.escape(line) for line in reply.extra_lines)
    return "\n".join(lines)


def _answer_html(
    rec: Recommendation, extra_lines: tuple[str, ...], notice: str | None = None
) -> str:
    head = [f"🎧 <b>{shown(rec.mood_line, MAX_REASON_CHARS)}</b>"]
    if notice:
        head.append(f"<i>{html.escape(_cut(notice, MAX_REASON_CHARS))}</i>")
    tail = [html.escape(line) for line in extra_lines]
    tracks = [_track_html(number, pick) for number, pick in enumerate(rec.tracks, start=1)]
    # Drop tracks from the end rather than send a message Telegram would refuse.
    while tracks:
        text = "\n\n".join(["\n".join(head), *tracks, *(["\n".join(tail)] if tail else [])])
        if visible_length(text) <= MAX_MESSAGE_CHARS:
            return text
        tracks.pop()
    return "\n".join(head)


def _track_html(number: int, pick: TrackPick) -> str:
    url = html.escape(pick.url, quote=True)
    title = shown(pick.title, MAX_TITLE_CHARS)
    line = f'{number}. <a href="{url}">{title}</a>'
    if pick.artists:
        line += f" · {shown(', '.join(pick.artists), MAX_ARTISTS_CHARS)}"
    details = []
    if pick.tags:
        tags = " · ".join(clean_text(tag, MAX_TAG_CHARS) for tag in pick.tags)
        details.append(f"<i>{html.escape(tags)}</i>")
    if pick.reason:
        details.append(shown(pick.reason, MAX_REASON_CHARS))
    return line + ("\n" + " — ".join(details) if details else "")


def shown(text: str, limit: int) -> str:
    """Text someone else wrote (a title, an artist, a playlist name in a reason) as inert
    HTML: no control or bidi characters, cut to `limit`, `<`, `>`, `&` and quotes escaped."""
    return html.escape(clean_text(text, limit))


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    buttons = []
    for button in reply.buttons:
        if len(button.action.encode()) > MAX_CALLBACK_BYTES:
            log.warning("dropping button %r: its action is over 64 bytes", button.label)
            continue
        buttons.append(InlineKeyboardButton(button.label, callback_data=button.action))
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    # Telegram accepts only public https URLs on buttons; a local test URL stays in the text.
    if reply.url and reply.url.startswith("https://"):
        rows.append([InlineKeyboardButton(reply.url_label or LINK_BUTTON_LABEL, url=reply.url)])
    return InlineKeyboardMarkup(rows) if rows else None


def visible_length(html_text: str) -> int:
    """How long Telegram counts a message: tags removed, entities decoded, in UTF-16 units."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


_TAG = re.compile(r"<[^>]+>")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
