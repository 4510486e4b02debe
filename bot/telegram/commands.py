"""Telegram commands about the listener and the chat: help, Spotify, privacy, group switches,
as python-telegram-bot handlers; and publishing their menus."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

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
from handlers.bot_service import BotService
from handlers.i18n import DEFAULT, SUPPORTED
from handlers.replies import ChatContext, Reply
from handlers.texts import (
    PERSONAL_LINK_BLOCKED,
    PERSONAL_LINK_SENT,
    SAID,
    TELEGRAM_DESCRIPTION,
    TELEGRAM_SHORT_DESCRIPTION,
    USE_ON_OFF,
    command_description,
    say,
)

log = logging.getLogger(__name__)

# What set_my_commands registers; Telegram command names allow only a-z, 0-9 and "_", so they
# stay English in every language (the descriptions are translated).
PRIVATE_NAMES = ("vibe", "link_spotify", "unlink_spotify", "forget_me", "language", "help")
# The menu of a group: the group switches too (/auto only works for admins).
GROUP_NAMES = ("vibe", "auto", "blend", "link_spotify", "unlink_spotify", "forget_me", "language",
               "help")  # fmt: skip


def menu(names: tuple[str, ...], lang: str) -> tuple[BotCommand, ...]:
    """A command menu with its descriptions in `lang`."""
    return tuple(BotCommand(name, command_description(lang, "telegram", name)) for name in names)


# The menu of a private chat: nothing there is about groups.
PRIVATE_COMMANDS = menu(PRIVATE_NAMES, DEFAULT)
GROUP_COMMANDS = menu(GROUP_NAMES, DEFAULT)
# Who counts as a group admin in getChatMember's answer.
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def telegram_language_code(lang: str) -> str | None:
    """Telegram's language_code for a shipped language (two letters: pt_BR is "pt"); None for
    English, the menus every other language falls back to."""
    return None if lang == DEFAULT else lang.split("_", 1)[0]


async def publish_commands(bot: Bot) -> None:
    """Each menu for its scope, in English for everyone and then once per shipped language;
    the default scope (any other chat) gets the private one."""
    for lang in SUPPORTED:
        code = telegram_language_code(lang)
        private, group = menu(PRIVATE_NAMES, lang), menu(GROUP_NAMES, lang)
        await bot.set_my_commands(private, language_code=code)
        await bot.set_my_commands(
            private, scope=BotCommandScopeAllPrivateChats(), language_code=code
        )
        await bot.set_my_commands(group, scope=BotCommandScopeAllGroupChats(), language_code=code)


async def publish_descriptions(bot: Bot) -> None:
    """What a new user reads before pressing Start, in each shipped language."""
    for lang in SUPPORTED:
        code = telegram_language_code(lang)
        await bot.set_my_description(say(lang, TELEGRAM_DESCRIPTION), language_code=code)
        await bot.set_my_short_description(
            say(lang, TELEGRAM_SHORT_DESCRIPTION), language_code=code
        )


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
        asked = context_of(message)
        private = replace(asked, chat_id=asked.user_id, is_group=False)
        reply = await self.service.link_spotify(private)
        if message.chat.type == ChatType.PRIVATE or reply.kind != "link":
            # Only the link itself is personal; "linking is not set up" can be said in place.
            await self.outbox.answer_command(message, reply)
            return
        lang = self.service.in_their_language(private).lang
        try:
            await self.outbox.send(user.id, reply, raise_errors=True)
        except Forbidden:
            note = say(lang, PERSONAL_LINK_BLOCKED, bot=self.outbox.bot.username)
        else:
            note = say(lang, PERSONAL_LINK_SENT)
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
            lang = self.service.in_their_language(context_of(message)).lang
            refusal = Reply(kind="error", text=say(lang, SAID["auto_admins_only"]))
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

    async def language(self, update: Update, context: Context) -> None:
        """/language [CODE|auto]: the language the bot answers this listener in."""
        if message := from_a_user(update):
            argument = " ".join(context.args or [])
            reply = await self.service.language(context_of(message), argument)
            await self.outbox.answer_command(message, reply)

    async def blend(self, update: Update, context: Context) -> None:
        """/blend on|off: let this member's library blend into the group's answers."""
        if message := from_a_user(update):
            await self._switch(message, context.args or [], "blend", self.service.set_blend)

    async def _switch(self, message: Message, args: list[str], name: str, setter: Switch) -> None:
        arg = args[0].lower() if args else ""
        if arg not in ("on", "off"):
            lang = self.service.in_their_language(context_of(message)).lang
            usage = Reply(kind="info", text=say(lang, USE_ON_OFF, name=name))
            await self.outbox.answer_command(message, usage)
            return
        reply = await setter(context_of(message), arg == "on")
        await self.outbox.answer_command(message, reply)
