"""What a Telegram update carries: its sender and chat, its image or file, its words, and
whether it is addressed to the bot."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import Bot, CallbackQuery, Message, Update
from telegram.constants import ChatType

from handlers.i18n import negotiate
from handlers.replies import ChatContext

# Telegram stores photos as JPEG; its PhotoSize carries no mime type.
PHOTO_MIME = "image/jpeg"
# The chats where the bot answers only when addressed (or with /auto on).
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)


@dataclass(frozen=True)
class MediaRef:
    """Where one image (or file) of a message lives on Telegram's side."""

    file_id: str
    file_size: int | None
    filename: str | None
    mime_type: str | None

    @property
    def is_image(self) -> bool:
        """Whether Telegram says this is an image (photos always are)."""
        return bool(self.mime_type and self.mime_type.startswith("image/"))


def media_of(message: Message) -> MediaRef | None:
    """The largest photo size or the document a message carries, if any."""
    if message.photo:
        # Telegram lists a photo's sizes smallest first.
        largest = message.photo[-1]
        return MediaRef(largest.file_id, largest.file_size, None, PHOTO_MIME)
    if message.document:
        doc = message.document
        return MediaRef(doc.file_id, doc.file_size, doc.file_name, doc.mime_type)
    return None


def from_a_user(update: Update) -> Message | None:
    """The update's new message when a user sent it (not a channel post or a service note)."""
    message = update.effective_message
    return message if message is not None and message.from_user is not None else None


def context_of(message: Message) -> ChatContext:
    """Who asked, and where, for a message from a user."""
    user = message.from_user
    assert user is not None, "callers filter out messages without a sender"
    return ChatContext(
        platform="telegram",
        user_id=str(user.id),
        chat_id=str(message.chat_id),
        user_name=user.full_name,
        is_group=message.chat.type in GROUP_TYPES,
        lang=negotiate(user.language_code),
    )


def press_context(query: CallbackQuery) -> ChatContext:
    """Who pressed a button, and in which chat (their own when the message is unknown)."""
    chat = query.message.chat if query.message is not None else None
    user = query.from_user
    chat_id = chat.id if chat is not None else user.id
    in_group = chat is not None and chat.type in GROUP_TYPES
    lang = negotiate(user.language_code)
    return ChatContext("telegram", str(user.id), str(chat_id), user.full_name, in_group, lang)


def addressed(message: Message, bot: Bot) -> bool:
    """Mentioned in the caption or text, captioned /vibe, or a reply to the bot."""
    caption = (message.caption or message.text or "").lower()
    replied = message.reply_to_message
    sender = replied.from_user if replied is not None else None
    return (
        f"@{bot.username}".lower() in caption
        or caption.startswith("/vibe")
        or (sender is not None and sender.id == bot.id)
    )


def words_of(message: Message, bot: Bot) -> str:
    """The caption (or text) without the bot's @mention or a leading /vibe."""
    said = message.caption or message.text or ""
    words = re.sub(r"^/vibe\b", "", said, flags=re.IGNORECASE)
    words = re.sub(re.escape(f"@{bot.username}"), "", words, flags=re.IGNORECASE)
    return " ".join(words.split())


def sender_of(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(chat id, user id) of a raw update, for /forget_me on rows not yet answered."""
    for kind in ("message", "edited_message", "callback_query"):
        part = data.get(kind)
        if isinstance(part, dict):
            message = part.get("message", part) if kind == "callback_query" else part
            chat = message.get("chat") if isinstance(message, dict) else None
            sender = part.get("from")
            chat_id = chat.get("id") if isinstance(chat, dict) else None
            user_id = sender.get("id") if isinstance(sender, dict) else None
            return (
                None if chat_id is None else str(chat_id),
                None if user_id is None else str(user_id),
            )
    return None, None
