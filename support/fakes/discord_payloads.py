"""Discord API v10 payloads for the fake server: the app, its bot, one guild, one listener."""

from __future__ import annotations

from typing import Any

APP_ID = 900_000_000_000_000_001
BOT_ID = 900_000_000_000_000_002
GUILD_ID = 900_000_000_000_000_003
CHANNEL_ID = 900_000_000_000_000_004
DM_CHANNEL_ID = 900_000_000_000_000_005
USER_ID = 900_000_000_000_000_006
TOKEN = "fake-discord-token"
MESSAGE_CONTENT_BIT = 1 << 15
# ApplicationFlags.gateway_message_content_limited: the portal switch, for unverified bots.
FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19
TIMESTAMP = "2026-11-22T00:00:00+00:00"

BOT_USER = {
    "id": str(BOT_ID),
    "username": "MelodicLens",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}
LISTENER = {
    "id": str(USER_ID),
    "username": "ana",
    "discriminator": "0",
    "global_name": "Ana",
    "avatar": None,
}


def app_info(flags: int) -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(APP_ID),
        "name": "MelodicLens",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": LISTENER,
        "verify_key": "0" * 64,
        "flags": flags,
        "team": None,
        "summary": "",
    }


def member(user: dict[str, Any] | None) -> dict[str, Any]:
    """A guild member (with its user, where Discord sends one)."""
    member: dict[str, Any] = {
        "roles": [],
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": "2251799813685247",
    }
    if user is not None:
        member["user"] = user
    return member


def text_channel() -> dict[str, Any]:
    """The one text channel, #photos."""
    return {
        "id": str(CHANNEL_ID),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": "photos",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def guild(preferred_locale: str = "en-US") -> dict[str, Any]:
    """GUILD_CREATE for the one guild, with the bot as a member."""
    return {
        "id": str(GUILD_ID),
        "name": "Listening Room",
        "preferred_locale": preferred_locale,
        "unavailable": False,
        "owner_id": str(USER_ID),
        "member_count": 2,
        "large": False,
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": "2251799813685247",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
            }
        ],
        "channels": [text_channel()],
        "threads": [],
        "members": [{**member(BOT_USER)}],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "joined_at": TIMESTAMP,
    }


def user_message(
    message_id: str,
    channel_id: str,
    author: dict[str, Any],
    content: str,
    attachments: list[dict[str, Any]],
    mentions: list[dict[str, Any]],
) -> dict[str, Any]:
    """MESSAGE_CREATE for a user's message."""
    return {
        "id": message_id,
        "channel_id": channel_id,
        "author": author,
        "content": content,
        "attachments": attachments,
        "embeds": [],
        "mentions": mentions,
        "mention_roles": [],
        "mention_everyone": False,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "pinned": False,
        "type": 0,
        "flags": 0,
    }


def bot_message(message_id: str, channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The message Discord stores for what the bot posted (body: the JSON it sent)."""
    return {
        **user_message(message_id, channel_id, BOT_USER, body.get("content") or "", [], []),
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "flags": body.get("flags", 0),
    }
