"""Telegram commands about the listener and the chat: help, Spotify, privacy, group switches,
as python-telegram-bot handlers; and publishing their menus."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.telegram.inbound import GROUP_TYPES, context_of, from_a_user
from bot.telegram.outbox import Outbox
from handlers.replies import ChatContext, Reply
from handlers.service import BotService
from handlers.texts import SAID

log = logging.getLogger(__name__)

# What set_my_commands registers; Telegram command names allow only a-z, 0-9 and "_".
_VIBE = BotCommand("vibe", "Songs for a photo or for words: /vibe rainy night drive")
_LINK = BotCommand("link_spotify", "Connect your Spotify so answers come from your library")
_UNLINK = BotCommand("unlink_spotify", "Disconnect Spotify and delete your imported library")
_FORGET = BotCommand("forget_me", "Delete everything MelodicLens knows about you")
_HELP = BotCommand("help", "What this bot does")
# The menu of a private chat: nothing there is about groups.
PRIVATE_COMMANDS = (_VIBE, _LINK, _UNLINK, _FORGET, _HELP)
# The menu of a group: the group switches too (/auto only works for admins).
GROUP_COMMANDS = (
    _VIBE,
    BotCommand("auto", "Admins: /auto on answers every photo here, /auto off stops"),
    BotCommand("blend", "/blend on lets your library blend into this group's answers"),
    _LINK,
    _UNLINK,
    _FORGET,
    _HELP,
)
# Who counts as a group admin in getChatMember's answer.
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def publish_commands(bot: Bot) -> None:
    """Each menu for its scope; the default scope (any other chat) gets the private one."""
    await bot.set_my_commands(PRIVATE_COMMANDS)
    await bot.set_my_commands(PRIVATE_COMMANDS, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats())


Switch = Callable[[ChatContext, bool], Awaitable[Reply]]
Context = ContextTypes.DEFAULT_TYPE


class Commands:
    """The non-photo commands."""

    def __init__(self, service: BotService, outbox: Outbox) -> None:
        self.service = service
        self.outbox = outbox

    async def help(self, update: Update, context: Context) -> None:
        """/start and /help: what the bot does."""
        if message := from_a_user(update):
            reply = self.service.help("telegram", context_of(message))
            await self.outbox.answer_command(message, reply)

    async def link_spotify(self, update: Update, context: Context) -> None:
        """/link_spotify: the authorize link, always in the private chat."""
        message = from_a_user(update)
        if message is None or (user := message.from_user) is None:
            return
        # The link belongs to the person, so it is made for (and sent to) their private chat.
        private = ChatContext("telegram", str(user.id), str(user.id), user.full_name, False)
        reply = await self.service.link_spotify(private)
        if message.chat.type == ChatType.PRIVATE or reply.kind != "link":
            # Only the link itself is personal; "linking is not set up" can be said in place.
            await self.outbox.answer_command(message, reply)
            return
        try:
            await self.outbox.send(user.id, reply, raise_errors=True)
        except Forbidden:
            note = (
                f"I can't message you privately yet: open a chat with "
                f"@{self.outbox.bot.username}, press Start, then send /link_spotify there."
            )
        else:
            note = "I sent you the Spotify link in a private message."
        await self.outbox.send(message.chat_id, Reply(kind="info", text=note), message.message_id)

    async def unlink_spotify(self, update: Update, context: Context) -> None:
        """/unlink_spotify."""
        if message := from_a_user(update):
            reply = await self.service.unlink_spotify(context_of(message))
            await self.outbox.answer_command(message, reply)

    async def forget_me(self, update: Update, context: Context) -> None:
        """/forget_me."""
        if message := from_a_user(update):
            reply = await self.service.forget_me(context_of(message))
            await self.outbox.answer_command(message, reply)

    async def auto(self, update: Update, context: Context) -> None:
        """/auto on|off: answer every photo in this group, or only when addressed (admins)."""
        message = from_a_user(update)
        if message is None:
            return
        if message.chat.type in GROUP_TYPES and not await self.service.is_admin(
            context_of(message), lambda: self._is_admin(message)
        ):
            refusal = Reply(kind="error", text=SAID["auto_admins_only"])
            await self.outbox.answer_command(message, refusal)
            return
        await self._switch(message, context.args or [], "auto", self.service.set_auto)

    async def _is_admin(self, message: Message) -> bool:
        """Whether the sender may change the group's settings (an anonymous admin speaks as
        the group itself)."""
        if message.sender_chat is not None and message.sender_chat.id == message.chat_id:
            return True
        assert message.from_user is not None
        try:
            member = await self.outbox.bot.get_chat_member(message.chat_id, message.from_user.id)
        except TelegramError as err:
            log.warning("could not check admins of chat %s: %s", message.chat_id, err)
            return False
        return member.status in ADMIN_STATUSES

    async def blend(self, update: Update, context: Context) -> None:
        """/blend on|off: let this member's library blend into the group's answers."""
        if message := from_a_user(update):
            await self._switch(message, context.args or [], "blend", self.service.set_blend)

    async def _switch(self, message: Message, args: list[str], name: str, setter: Switch) -> None:
        arg = args[0].lower() if args else ""
        if arg not in ("on", "off"):
            usage = Reply(kind="info", text=f"Use /{name} on or /{name} off.")
            await self.outbox.answer_command(message, usage)
            return
        reply = await setter(context_of(message), arg == "on")
        await self.outbox.answer_command(message, reply)
