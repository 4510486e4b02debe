"""What the bot says: help, the one-sentence apologies, confirmations and the plain-text answer.

Every sentence a chat or terminal user sees lives here (the text layer), in English, marked
for the gettext catalog (`N_`); `say(lang, SENTENCE, **values)` gives it in a language
(handlers/i18n.py, handlers/locales/). recsys cannot import this package, so it reports codes
(`Rejection`, `Notice`, `Reason`, `MoodLine`) that are worded here and in texts/answers.py.
Every wording function takes the language code `lang` explicitly."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.texts.answers import (
    MOOD_GUESSED,
    NOTICES,
    answer_text,
    mood_line_text,
    notice_text,
    reason_text,
    tag_text,
    worded,
)
from handlers.texts.cli import CLI_SORRY, TABLE_HEADINGS
from handlers.texts.core import N_, counted, first_upper, say, word
from handlers.texts.platforms import (
    BUTTONS,
    COMMAND_DESCRIPTIONS,
    LINK_BUTTON,
    OPTION_DESCRIPTIONS,
    TELEGRAM_DESCRIPTION,
    TELEGRAM_SHORT_DESCRIPTION,
    button_label,
    command_description,
)
from handlers.texts.spotify import (
    ALREADY_LINKED,
    LINK_COMMAND,
    LINK_CONFIRM,
    LINK_PAGE,
    LINK_REJECTED,
    NOT_REGISTERED,
    PERSONAL_LINK,
    PERSONAL_LINK_BLOCKED,
    PERSONAL_LINK_SENT,
    PLATFORM_NAMES,
    PLAYLIST_DESCRIPTION,
    REVOKED_MESSAGE,
    SAVE_BUTTON,
    SAVE_PLAYLIST,
    SAVED_PLAYLIST_LINK,
    UNREADABLE_MESSAGE,
    library_done,
    link_offer,
    mood_placement,
    placed_by_words,
    songs,
)
from handlers.texts.uploads import (
    FORMATS,
    REJECTED,
    TOO_BIG_TELEGRAM,
    TOO_MANY_PIXELS_UNSIZED,
    rejection_text,
    too_big_file,
    too_big_on_telegram,
)

__all__ = [
    "ALREADY_LINKED",
    "BUTTONS",
    "CLI_SORRY",
    "COMMAND_DESCRIPTIONS",
    "FORMATS",
    "LINK_BUTTON",
    "LINK_COMMAND",
    "LINK_CONFIRM",
    "LINK_PAGE",
    "LINK_REJECTED",
    "MOOD_GUESSED",
    "NOTICES",
    "NOT_REGISTERED",
    "N_",
    "OPTION_DESCRIPTIONS",
    "PERSONAL_LINK",
    "PERSONAL_LINK_BLOCKED",
    "PERSONAL_LINK_SENT",
    "PLATFORM_NAMES",
    "PLAYLIST_DESCRIPTION",
    "REJECTED",
    "REVOKED_MESSAGE",
    "SAVED_PLAYLIST_LINK",
    "SAVE_BUTTON",
    "SAVE_PLAYLIST",
    "TABLE_HEADINGS",
    "TELEGRAM_DESCRIPTION",
    "TELEGRAM_SHORT_DESCRIPTION",
    "TOO_BIG_TELEGRAM",
    "TOO_MANY_PIXELS_UNSIZED",
    "UNREADABLE_MESSAGE",
    "answer_text",
    "button_label",
    "command_description",
    "counted",
    "first_upper",
    "library_done",
    "link_offer",
    "mood_line_text",
    "mood_placement",
    "notice_text",
    "placed_by_words",
    "reason_text",
    "rejection_text",
    "say",
    "songs",
    "tag_text",
    "too_big_file",
    "too_big_on_telegram",
    "word",
    "worded",
]

SORRY = {
    "rate": N_("You're sending photos faster than I can listen. Try again in {seconds} s."),
    "rate_other": N_("That's a lot at once. Please try again in {seconds} s."),
    "nothing": N_("Send me a photo, or a few words about the mood you want."),
    "no_tracks": N_("My song catalog is empty right now. The operator needs to import one."),
    "busy": N_("I'm swamped right now. Please send that again in a minute."),
    "database": N_("I can't reach my music library right now. Please try again in a minute."),
    "unexpected": N_("Something went wrong on my side. Please try again."),
    "stale_button": N_("That answer is no longer available. Send the photo again."),
    "no_spotify": N_("Spotify linking isn't set up on this bot."),
    "linking_not_configured": N_(
        "Spotify linking is not set up on this bot (its operator needs to set SPOTIFY_CLIENT_ID "
        "and MELODICLENS_SECRET_KEY)."
    ),
}

# What the chat adapters say while a photo is on its way.
# NOTE: {position}: the photo's place in the queue (a number).
QUEUED = N_("You're #{position} in line; your songs are on their way.")
# Telegram keeps one line notice per chat: with several photos of the chat waiting, this.
# NOTE: {count}: photos waiting (2 or more); {position}: the next one's place in the queue.
QUEUED_MANY = N_(
    "{count} photos from this chat are in line (next: #{position}); songs are on their way."
)

RESTARTING = N_("MelodicLens is restarting; please send that again in a minute.")
# "Songs for this photo" used on a message without a picture.
NO_PHOTO_THERE = N_("That message has no photo I can read; try it on a message with a picture.")
# The Discord message context-menu command's name (what members see under Apps).
# NOTE: a Discord menu entry under Apps, and an answer's title: at most 32 characters.
SONGS_FOR_PHOTO = N_("Songs for this photo")
# NOTE: {platform}: Telegram or Discord.
DOWNLOAD_FAILED = N_("I couldn't download that image from {platform}; please send it again.")
# A Discord command answered after a restart, once its 15-minute answer window has closed.
# NOTE: {mention}: the member's Discord mention; keep it first or where a name reads naturally.
REPLAYED_AS_MESSAGE = N_(
    "{mention} here are the songs you asked for. I restarted while finding them, so they come "
    "as a message instead of as the command's answer."
)

# Confirmations of buttons, chat settings and account commands.
SAID = {
    "not_linked": N_("No Spotify account is linked."),
    "nothing_held": N_("I hold nothing about you."),
    "blend_private": N_("Blending is for group chats: use it in a group."),
    "blend_off": N_("Your library no longer blends into this chat's answers."),
    "blend_on": N_(
        "Your Spotify library now blends into this chat's answers. Your playlist names stay "
        'private: others see your songs as "from a member\'s library".'
    ),
    # NOTE: appended to the previous sentence (starts with a space).
    "blend_needs_link": N_(" Link your Spotify account first, or there is nothing to blend."),
    "thumbs_up": N_("Thanks! I'll lean toward songs like these for you."),
    "thumbs_down": N_("Got it: you won't get those songs from me again."),
    "auto_private": N_("In a private chat I already answer every photo."),
    "auto_on": N_("Auto mode on: I'll answer every photo in this chat."),
    "auto_off": N_("Auto mode off: mention me or reply to me with a photo."),
    "auto_admins_only": N_("Only this group's admins can turn auto mode on or off."),
    "auto_needs_manage_channels": N_("Only members who can manage this channel can switch it."),
}

_COMMANDS = {
    # NOTE: /help's command list on Telegram: keep every /command and on|off as they are.
    "telegram": N_(
        "/vibe WORDS: songs for a mood, no photo needed\n"
        "/link_spotify: use your own Spotify library\n"
        "/unlink_spotify: remove the link and your imported library\n"
        "/forget_me: delete everything I know about you\n"
        "/auto on|off: in a group, answer every photo (or only when mentioned)\n"
        "/blend on|off: in a group, mix your library into everyone's answers\n"
        "/language: answer in another language\n"
        "In a group, mention me in the photo's caption or reply to one of my messages "
        "(or an admin turns /auto on, and I answer every photo)."
    ),
    # NOTE: /help's command list on Discord: keep every /command and on|off as they are;
    # {menu}: the translated "Songs for this photo".
    "discord": N_(
        "/vibe image words: songs for a photo or a mood\n"
        "/link-spotify: use your own Spotify library\n"
        "/unlink-spotify: remove the link and your imported library\n"
        "/forget-me: delete everything I know about you\n"
        "/blend on|off: in a server, mix your library into everyone's answers\n"
        "/auto on|off: in a channel, answer every photo or only those that mention me "
        "(needs Manage Channels)\n"
        "/language: answer in another language\n"
        "/help: this message\n"
        "Or right-click (long-press on mobile) a message with a photo -> Apps -> {menu}"
    ),
    # NOTE: a terminal usage line: keep it as it is unless your terminal users expect otherwise.
    "cli": N_("melodiclens recommend IMAGE [--text WORDS]"),
}
# NOTE: /help's first paragraph; the quoted examples are words a listener may add to a photo.
HELP_INTRO = N_(
    "Send me a photo and I'll answer with songs that fit it: Spotify links, theme tags "
    'and why each one fits. Add words to steer ("more upbeat", "instrumental", '
    '"no sad songs", "90s").'
)


def help_text(lang: str, platform: str) -> str:
    """What the bot does and its commands, in the platform's command spelling."""
    commands = say(lang, _COMMANDS[platform], menu=say(lang, SONGS_FOR_PHOTO))
    return say(lang, HELP_INTRO) + "\n\n" + commands


HELP = {platform: help_text("en", platform) for platform in _COMMANDS}


# /forget_me asks first; its two buttons, and what each press says.
FORGET_COMMAND = {"telegram": "/forget_me", "discord": "/forget-me", "cli": "forget"}
FORGET_CONFIRM = {
    "ask": N_(
        "This deletes everything I hold about you: your Spotify link and imported library, "
        "your past answers and thumbs, your chat memberships and your photos' descriptions. "
        "It cannot be undone. Only you can press these buttons."
    ),
    # NOTE: a button label: at most 40 characters.
    "delete": N_("Delete everything"),
    # NOTE: a button label: at most 40 characters.
    "cancel": N_("Cancel"),
    "kept": N_("Cancelled: nothing was deleted."),
    # NOTE: {command}: /forget_me or /forget-me.
    "refused": N_("That confirmation is not yours or has expired. Send {command} to start again."),
}


def plural(count: int, one: str, many: str = "") -> str:
    """The count with its English word in the right number, for terminal tools (doctor)."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def importing_message(lang: str, name: str, tracks: int | None, playlists: int | None) -> str:
    """The chat message sent when a link succeeds."""
    if tracks is None or playlists is None:
        return say(lang, N_("Linked as {name}. Importing your library..."), name=name)
    return say(
        lang,
        # NOTE: {name}: the Spotify display name; {tracks}: "12 tracks"; {playlists}: "3 playlists".
        N_("Linked as {name}. Importing {tracks} from {playlists}..."),
        name=name,
        tracks=counted(lang, "{count} track", "{count} tracks", tracks),
        playlists=counted(lang, "{count} playlist", "{count} playlists", playlists),
    )


def forgotten_text(lang: str, counts: Mapping[str, int]) -> str:
    """The confirmation of /forget-me, listing what was deleted."""
    n = counts.get
    parts = [
        counted(lang, "{count} Spotify link", "{count} Spotify links", n("link", 0)),
        counted(lang, "{count} library entry", "{count} library entries", n("library_entries", 0)),
        counted(lang, "{count} past answer", "{count} past answers", n("recommendations", 0)),
        counted(lang, "{count} feedback mark", "{count} feedback marks", n("feedback", 0)),
        counted(
            lang, "{count} chat membership", "{count} chat memberships", n("chat_memberships", 0)
        ),
        counted(lang, "{count} photo description", "{count} photo descriptions", n("captions", 0)),
        counted(lang, "{count} language choice", "{count} language choices", n("language", 0)),
    ]
    if not n("language", 0):
        parts.pop()  # said only when there was one: the English wording stays as it was
    # NOTE: {parts}: a comma-separated list such as "1 Spotify link, 0 past answers".
    return say(lang, N_("Done: I deleted everything about you ({parts})."), parts=", ".join(parts))


def unlinked_text(lang: str, counts: Mapping[str, int]) -> str:
    """The confirmation of unlinking Spotify."""
    return counted(
        lang,
        "Unlinked. Your Spotify tokens and the {count} imported library entry are deleted.",
        "Unlinked. Your Spotify tokens and the {count} imported library entries are deleted.",
        counts["library_entries"],
    )


# NOTE: {name}: a command name (auto or blend); keep "/{name} on" and "/{name} off" as they are.
USE_ON_OFF = N_("Use /{name} on or /{name} off.")


def download_failed(lang: str, platform: str) -> str:
    """An image the platform would not hand over."""
    return say(lang, DOWNLOAD_FAILED, platform=PLATFORM_NAMES.get(platform, platform))


def queued_text(lang: str, places: list[int]) -> str:
    """The "you're in line" notice for the places in line of a chat's waiting photos."""
    if len(places) == 1:
        return say(lang, QUEUED, position=places[0])
    return say(lang, QUEUED_MANY, count=len(places), position=min(places))
