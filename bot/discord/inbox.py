"""Discord's durable inbox: what an accepted photo needs to be answered after a crash.

Discord's gateway pushes each message or interaction once and never redelivers it, so the only
way not to lose a photo the bot has accepted is to write it down before working on it. The
inbox row keeps references, not bytes: the channel, the message, the asker, the words, and each
attachment's id, name, size, type and signed CDN URL. A replay re-fetches the message through
the API (fresh signed URLs: Discord's expire, and a photo deleted in the meantime is not
answered); only when that is not possible (a /vibe upload belongs to no message, or the bot may
not read the channel's history) is the stored URL used, which Discord keeps valid for about a
day, far longer than a lease. Bytes would cost up to 10 x the size cap per photo in the database
and would keep a copy of the photo there; references cost a few hundred bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Literal

import discord

from bot.discord.inbound import interaction_language, message_language
from bot.lifecycle import NOT_STORED, Accepted, Lifecycle
from handlers.i18n import negotiate
from handlers.replies import ChatContext

log = logging.getLogger(__name__)

# Discord accepts followups on an interaction token for 15 minutes after the interaction.
INTERACTION_TOKEN_TTL_S = 15 * 60.0
# A replay answers by followup only when the token has this much life left (the answer itself
# takes a few seconds), else by an ordinary channel message.
TOKEN_MARGIN_S = 60.0

Kind = Literal["message", "photo_menu", "vibe"]
# What the inbox keeps of one photo (the JSON of its row).
Payload = dict[str, Any]
# An entry for the inbox: its key (the same for a redelivery) and its payload.
Entry = tuple[str, Payload]


@dataclass(frozen=True)
class StoredAttachment:
    """An attachment as the inbox keeps it; read() fetches it from the CDN like discord.py's
    Attachment.read, which the download code expects."""

    id: int
    filename: str
    size: int
    url: str
    content_type: str | None
    http: Any = None

    async def read(self) -> bytes:
        """The attachment's bytes (raises discord.HTTPException when the link has expired)."""
        data: bytes = await self.http.get_from_cdn(self.url)
        return data


def attachment_refs(attachments: list[discord.Attachment]) -> list[dict[str, Any]]:
    """What the inbox keeps of each attachment."""
    return [
        {"id": str(item.id), "filename": item.filename, "size": item.size, "url": item.url,
         "content_type": item.content_type}
        for item in attachments
    ]  # fmt: skip


def stored_attachments(refs: list[dict[str, Any]], http: Any) -> list[StoredAttachment]:
    """The inbox's references as attachments that can be read (through discord.py's HTTP)."""
    return [
        StoredAttachment(int(r["id"]), r["filename"], int(r["size"]), r["url"],
                         r.get("content_type"), http)
        for r in refs
    ]  # fmt: skip


def message_entry(
    message: discord.Message, attachments: list[discord.Attachment], words: str
) -> Entry:
    """The inbox key and payload of a photo message (a redelivered message has the same key)."""
    payload = {
        "kind": "message",
        "channel_id": str(message.channel.id),
        "message_id": str(message.id),
        "user_id": str(message.author.id),
        "user_name": message.author.display_name,
        "is_group": message.guild is not None,
        "words": words,
        "attachments": attachment_refs(attachments),
        "lang": message_language(message),
    }
    return f"message:{message.id}", payload


def interaction_entry(
    interaction: discord.Interaction[Any],
    kind: Kind,
    attachments: list[discord.Attachment],
    words: str,
    target: discord.Message | None = None,
) -> Entry:
    """The inbox key and payload of a /vibe or "Songs for this photo" interaction; the token
    lets a replay answer by followup while it is valid (wiped with the payload once answered)."""
    payload = {
        "kind": kind,
        "channel_id": str(interaction.channel_id or interaction.user.id),
        "message_id": str(target.id) if target is not None else None,
        "user_id": str(interaction.user.id),
        "user_name": interaction.user.display_name,
        "is_group": interaction.guild_id is not None,
        "words": words,
        "attachments": attachment_refs(attachments),
        "lang": interaction_language(interaction),
        "interaction": {
            "application_id": str(interaction.application_id),
            "token": interaction.token,
            "created_at": interaction.created_at.isoformat(),
        },
    }
    return f"interaction:{interaction.id}", payload


def context_of(payload: Payload) -> ChatContext:
    """Who asked, and where, as the stored payload says."""
    return ChatContext(
        platform="discord",
        user_id=payload["user_id"],
        chat_id=payload["channel_id"],
        user_name=payload.get("user_name"),
        is_group=bool(payload.get("is_group")),
        # a row written before languages existed has none: negotiate() says English
        lang=negotiate(payload.get("lang")),
    )


def token_still_valid(payload: Payload, now: dt.datetime | None = None) -> bool:
    """Whether a followup on the stored interaction token will still be accepted."""
    interaction = payload.get("interaction")
    if not interaction:
        return False
    created = dt.datetime.fromisoformat(interaction["created_at"])
    age = ((now or dt.datetime.now(dt.UTC)) - created).total_seconds()
    return age < INTERACTION_TOKEN_TTL_S - TOKEN_MARGIN_S


async def store(lifecycle: Lifecycle, entry: Entry) -> Accepted | None:
    """Write an accepted photo to the inbox before any work on it: its rows (none without an
    inbox, or when the database is away: answered all the same, without the safety net), or
    None when it was stored before (the gateway delivered it twice)."""
    if lifecycle.inbox is None:
        return NOT_STORED
    key, payload = entry
    try:
        row = await lifecycle.inbox.accept(
            key, payload, chat_id=payload["channel_id"], user_id=payload["user_id"]
        )
    except Exception as err:
        log.warning("discord: could not store %s in the inbox (%s); answering it anyway, "
                    "but a crash now would lose it", key, err)  # fmt: skip
        return NOT_STORED
    if row is None:
        log.info("discord: %s was delivered before; skipped", key)
        return None
    return Accepted((row,))
