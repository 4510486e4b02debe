"""Reply -> Discord: an embed with numbered Spotify links, and buttons that survive restarts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from handlers.replies import Button, Reply
from handlers.texts import SONGS_FOR_PHOTO
from recsys.models import Recommendation, TrackPick
from recsys.text_hygiene import clean_text

# Discord's own limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits):
# anything longer is refused with a 400, so text is cut here instead.
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FOOTER_LIMIT = 2048
MESSAGE_CONTENT_LIMIT = 2000
BUTTON_LABEL_LIMIT = 80
# Discord's blurple, for answers whose photo colour is unknown (words only).
DEFAULT_COLOUR = 0x5865F2
# What a button press sends back: "<verb>:<reference>", as handlers.replies.Button documents.
ACTION_TEMPLATE = r"(?P<action>[a-z]+:[A-Za-z0-9_-]{1,60})"
# The client event an ActionButton raises; the adapter listens for "on_" + this name.
PRESS_EVENT = "melodiclens_press"
# Verbs shown as the call-to-action button (a fresh answer) rather than a quiet one.
PRIMARY_VERBS = frozenset({"more"})
# Feedback buttons sit on the first row; the ones that bring a new answer on the second
# (a row holds at most five).
FEEDBACK_VERBS = frozenset({"up", "down"})
LINK_BUTTON_LABEL = "Open Spotify"
# What another person wrote is cut to these lengths: a title or artist list longer than a line
# only pushes the other songs out of the embed; a reason is one line, a tag one or two words.
TITLE_CHARS = 100
ARTISTS_CHARS = 100
REASON_CHARS = 280
TAG_CHARS = 40


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ACTION_TEMPLATE):
    """A button whose custom_id is the Reply's action string, handled even after a restart."""

    def __init__(self, label: str, action: str) -> None:
        verb = action.split(":", 1)[0]
        style = (
            discord.ButtonStyle.primary if verb in PRIMARY_VERBS else discord.ButtonStyle.secondary
        )
        super().__init__(
            discord.ui.Button(label=label[:BUTTON_LABEL_LIMIT], style=style, custom_id=action),
            row=0 if verb in FEEDBACK_VERBS else 1,
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        """Rebuild the button from a press on any message, old or new."""
        label = getattr(item, "label", None) or match["action"]
        return cls(label, match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the press to whoever listens on the client (the adapter)."""
        interaction.client.dispatch(PRESS_EVENT, interaction, self.action)


@dataclass(frozen=True)
class Rendered:
    """A Reply as Discord message parts; `kwargs()` feeds message.reply or followup.send."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    ephemeral: bool = False

    def kwargs(self) -> dict[str, Any]:
        """Only the parts that are present (discord.py treats None and 'absent' differently)."""
        parts: dict[str, Any] = {}
        if self.content is not None:
            parts["content"] = self.content
        if self.embed is not None:
            parts["embed"] = self.embed
        if self.view is not None:
            parts["view"] = self.view
        return parts


def render(reply: Reply) -> Rendered:
    """The Discord message for a Reply: an embed for answers, plain text for everything else."""
    view = render_view(reply)
    if reply.kind == "answer" and reply.recommendation is not None:
        embed = render_embed(reply.recommendation, reply.color, reply.extra_lines, reply.notice)
        return Rendered(embed=embed, view=view, ephemeral=reply.private)
    return Rendered(content=_plain_text(reply), view=view, ephemeral=reply.private)


# Markdown characters escape_markdown leaves alone: link brackets, headings, list markers.
_MARKUP = re.compile(r"(?<!\\)[\[\]()<>#-]")


def render_embed(
    rec: Recommendation,
    color: int | None,
    extra_lines: tuple[str, ...] = (),
    notice: str | None = None,
) -> discord.Embed:
    """The answer embed: mood line, numbered tracks with links, tags and reasons, notice."""
    lines = [_track_lines(number, pick) for number, pick in enumerate(rec.tracks, start=1)]
    lines.extend(extra_lines)
    embed = discord.Embed(
        title=clean_text(rec.mood_line or SONGS_FOR_PHOTO, EMBED_TITLE_LIMIT),
        description=_cut("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour(DEFAULT_COLOUR if color is None else color),
    )
    if notice:
        embed.set_footer(text=_cut(notice, EMBED_FOOTER_LIMIT))
    return embed


def render_view(reply: Reply) -> discord.ui.View | None:
    """The reply's buttons (and a link button for a Spotify authorize URL), or None."""
    if not reply.buttons and not reply.url:
        return None
    # No timeout: the buttons are dynamic items, so they keep working after it would expire.
    view = discord.ui.View(timeout=None)
    for button in reply.buttons:
        view.add_item(action_button(button))
    if reply.url:
        label = reply.url_label or LINK_BUTTON_LABEL
        view.add_item(discord.ui.Button(label=label, url=reply.url))
    return view


def action_button(button: Button) -> ActionButton:
    """One Reply button as a Discord button carrying its action."""
    return ActionButton(button.label, button.action)


def _track_lines(number: int, pick: TrackPick) -> str:
    title = shown(pick.title, TITLE_CHARS)
    artists = shown(", ".join(pick.artists), ARTISTS_CHARS)
    head = f"**{number}. [{title}]({pick.url})** — {artists}"
    details = " ".join(f"`{_tag(tag)}`" for tag in pick.tags)
    if pick.reason:
        reason = shown(pick.reason, REASON_CHARS)
        details = f"{details} · {reason}" if details else reason
    return f"{head}\n{details}" if details else head


def shown(text: str, limit: int) -> str:
    """Text someone else wrote (a title, an artist, a playlist name in a reason), as inert
    markdown: no control or bidi characters, cut to `limit`, every markdown character
    escaped (so `[x](https://...)` is not a masked link), mentions and bare links defused."""
    clean = clean_text(text, limit)
    escaped = discord.utils.escape_markdown(clean, ignore_links=False)
    escaped = _MARKUP.sub(lambda found: "\\" + found[0], escaped)
    escaped = escaped.replace("://", ":\u200b//")  # a bare address stays text, not a link
    return escaped.replace("@", "@\u200b")  # @everyone, <@id> and @here ping no one


def _tag(tag: str) -> str:
    # inside `code` nothing renders; only a backtick could end it early
    return clean_text(tag, TAG_CHARS).replace("`", "ˋ")


def _plain_text(reply: Reply) -> str:
    text = "\n".join((reply.text, *reply.extra_lines))
    if reply.url and reply.url not in text:
        text = f"{text}\n{reply.url}"
    return _cut(text, MESSAGE_CONTENT_LIMIT)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
