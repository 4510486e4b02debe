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
from recsys.image_intake import ImageRejected, Rejection

__all__ = [
    "BUTTONS",
    "COMMAND_DESCRIPTIONS",
    "LINK_BUTTON",
    "MOOD_GUESSED",
    "NOTICES",
    "N_",
    "OPTION_DESCRIPTIONS",
    "TELEGRAM_DESCRIPTION",
    "TELEGRAM_SHORT_DESCRIPTION",
    "answer_text",
    "button_label",
    "command_description",
    "counted",
    "first_upper",
    "mood_line_text",
    "notice_text",
    "reason_text",
    "say",
    "tag_text",
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

# What `melodiclens recommend` says when it cannot answer (terminal style: no capital, no stop).
CLI_SORRY = {
    # NOTE: a terminal error line (no capital, no full stop).
    "nothing": N_("send a photo or a few words about the mood you want"),
    # NOTE: a terminal error line; keep the command `melodiclens catalog import` as it is.
    "no_tracks": N_("no tracks yet: import a catalog with `melodiclens catalog import`"),
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


# Spotify linking: the callback page (title, sentence) and the chat notices.
LINK_PAGE = {
    # NOTE: a web page's title after a Spotify link attempt.
    "refused": N_("Link refused"),
    "not_linked": N_("Not linked"),
    "linked": N_("Linked"),
    "not_granted": N_("Spotify access was not granted, so nothing was linked."),
    "secret_changed": N_("The bot's secret key changed; link again."),
    "login_expired": N_("Spotify says this login has expired. Start again below."),
    "app_misconfigured": N_("The bot's Spotify app is misconfigured."),
    "no_answer": N_("Spotify did not answer. Nothing was linked; try again in a minute."),
    "spotify_busy": N_("Spotify is busy. Nothing was linked; try again in {seconds} seconds."),
    # NOTE: {name}: the listener's Spotify display name.
    "back_to_chat": N_("Linked as {name}. You can go back to the chat now."),
    "confirm_title": N_("Link Spotify?"),
    # NOTE: a web page's button.
    "confirm_button": N_("Link my Spotify to this account"),
    "start_again": N_("Start linking again"),
    "not_available": N_("Not available"),
    "not_set_up": N_("Spotify linking is not set up here."),
    "csrf": N_(
        "This confirmation did not come from the page MelodicLens showed. Open the link again."
    ),
    "db_title": N_("Please try again soon"),
    "db_down": N_(
        "MelodicLens cannot reach its database right now, so nothing was changed. "
        "Try again in a minute."
    ),
}
# The confirm page (HTML; the web server escapes the values it fills in).
# NOTE: HTML of the Spotify confirm page: keep the tags <p>, <strong> as they are; {platform}:
# Telegram, Discord or terminal; {account}: the chat account's name.
LINK_CONFIRM = N_("""<p>This Spotify login is about to be linked to the <strong>{platform}</strong>
account <strong>{account}</strong>. MelodicLens will read its playlists and Liked Songs to
pick songs for that account.</p>
<p>Only continue if you asked MelodicLens for this link yourself, from that account. If
someone sent you this link, close this page: nothing is linked until you press the button.</p>
""")
# NOTE: "terminal": the command line, as in "the terminal account".
PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "cli": N_("terminal")}
LINK_REJECTED = {
    "forged": N_("This link is not one MelodicLens handed out. Ask the bot for a new one."),
    "expired": N_("This link has expired (links last 10 minutes). Ask the bot for a new one."),
    "reused": N_(
        "This link was already used. If linking did not finish, ask the bot for a new one."
    ),
    "busy": N_("This link is being finished in another window. Wait a moment, then reload."),
}
ALREADY_LINKED = N_(
    "This Spotify account is already linked to another user of this bot. That user can "
    "unlink it first."
)
NOT_REGISTERED = N_(
    "This bot's Spotify app is in development mode and your Spotify account is not on its "
    "user list (at most 5 users). Ask the bot's operator to add you, then link again."
)
# "Save as playlist": the listener's own command spelling, then each outcome's sentence.
# NOTE: a button label: at most 40 characters.
SAVE_BUTTON = N_("Save as playlist")
# NOTE: a link button's label: at most 40 characters.
SAVED_PLAYLIST_LINK = N_("Open playlist")
LINK_COMMAND = {"telegram": "/link_spotify", "discord": "/link-spotify", "cli": "link"}
SAVE_PLAYLIST = {
    # NOTE: {name}: the playlist's name; {tracks}: "5 songs" (worded by "{count} song").
    "saved": N_("Saved “{name}” to your Spotify: {tracks}, private."),
    # NOTE: {command}: the link command (/link_spotify or /link-spotify).
    "not_linked": N_("Link your Spotify account first ({command}), then press Save again."),
    "needs_relink": N_(
        "To save playlists, MelodicLens needs one more permission from Spotify. Open this link "
        "to link again (once), then press Save again."
    ),
    "revoked": N_(
        "Spotify no longer accepts MelodicLens's access to your account. "
        "Link it again with {command}."
    ),
    "not_registered": NOT_REGISTERED,
    "stale": SORRY["stale_button"],
    "busy": N_("Spotify is busy right now. Press Save again in a minute."),
    "failed": N_("Spotify didn't answer. Press Save again in a minute."),
}
# Where a personal link pressed for in a Telegram group went.
PERSONAL_LINK = {
    "sent": N_("I sent it to you in a private message."),
    # NOTE: {bot}: the bot's Telegram username (without @).
    "blocked": N_(
        "I can't message you privately yet: open a chat with @{bot}, press Start, then press "
        "the button again."
    ),
}
REVOKED_MESSAGE = N_(
    "Spotify no longer accepts MelodicLens's access to your account, so your library was not "
    "updated. Link it again with the link command."
)
UNREADABLE_MESSAGE = N_(
    "I can no longer read your saved Spotify login (the bot's key was changed), so your "
    "library is not being updated. Link your Spotify account again to fix it."
)


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


def songs(lang: str, count: int) -> str:
    """ "1 song", "5 songs" in `lang`."""
    return counted(lang, "{count} song", "{count} songs", count)


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


# Why an upload is not a photo MelodicLens can read (recsys.image_intake.Rejection).
# NOTE: said after the reason a file was refused; keep the format names as they are.
FORMATS = N_("Send a JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC image.")
# The refusals that end with FORMATS.
_NAMES_FORMATS = frozenset(
    {
        Rejection.EMPTY,
        Rejection.PDF,
        Rejection.ZIP,
        Rejection.VIDEO,
        Rejection.TEXT,
        Rejection.SVG,
        Rejection.UNKNOWN,
    }
)
REJECTED = {
    Rejection.EMPTY: N_("That file is empty (0 bytes), so there is no photo to read."),
    # NOTE: {size} and {limit}: sizes such as "12.5 MB".
    Rejection.TOO_MANY_BYTES: N_(
        "That file is {size}; the limit is {limit}. Send a smaller photo."
    ),
    Rejection.PDF: N_("That file is a PDF document, not a photo."),
    Rejection.ZIP: N_("That file is a ZIP archive (or an Office document), not a photo."),
    Rejection.VIDEO: N_("That file is a video (MP4/MOV), not a photo."),
    Rejection.TEXT: N_("That file is plain text, not a photo."),
    Rejection.SVG: N_("That file is an SVG drawing, not a photo."),
    Rejection.UNKNOWN: N_("That file is not an image MelodicLens can read."),
    Rejection.DAMAGED: N_(
        "That image is damaged or incomplete (it may have been cut off while uploading). "
        "Please send it again."
    ),
    # NOTE: {width}×{height}: pixels; {megapixels} and {limit}: numbers (keep :.0f and :g).
    Rejection.TOO_MANY_PIXELS: N_(
        "That image is {width}×{height} pixels ({megapixels:.0f} megapixels); "
        "the limit is {limit:g} megapixels. Send a smaller photo."
    ),
    Rejection.TOO_SMALL: N_(
        "That image is only {width}×{height} pixels; send one at least {limit} pixels on each side."
    ),
    Rejection.TIFF_STRIP: N_(
        "That TIFF is stored as one huge compressed block, which takes too much memory to open. "
        "Save it as a JPEG or PNG and send it again."
    ),
    # NOTE: {limit}: a number of megapixels (keep :.0f).
    Rejection.TOO_MUCH_MEMORY: N_(
        "That image is {width}×{height} pixels; in its format MelodicLens can safely open "
        "{limit:.0f} megapixels at most. Send it as a JPEG or a smaller photo."
    ),
    Rejection.TOO_MANY_SCANS: N_(
        "That JPEG is stored in an unusual way (more than {limit} progressive scans) that takes "
        "too long to open. Save it again as an ordinary JPEG or PNG and send it."
    ),
    Rejection.INTERRUPTED: N_(
        "That image was being read when MelodicLens stopped, so it is not tried again. "
        "Please send a smaller photo, or the same one as a JPEG."
    ),
}
# A bomb caught before its size was known.
# NOTE: {limit}: a number of megapixels (keep :g).
TOO_MANY_PIXELS_UNSIZED = N_(
    "That image has too many pixels to open safely; the limit is {limit:g} megapixels. "
    "Send a smaller photo."
)


def rejection_text(lang: str, err: ImageRejected) -> str:
    """The sentence telling a user why their upload was refused."""
    text = _rejection(lang, err)
    return f"{text} {say(lang, FORMATS)}" if err.reason in _NAMES_FORMATS else text


def _rejection(lang: str, err: ImageRejected) -> str:
    sentence = REJECTED[err.reason]
    if err.reason is Rejection.TOO_MANY_BYTES:
        return say(lang, sentence, size=_megabytes(err.size), limit=_megabytes(err.limit))
    if err.reason is Rejection.TOO_MANY_PIXELS:
        limit = err.limit / 1_000_000
        if not err.width:
            return say(lang, TOO_MANY_PIXELS_UNSIZED, limit=limit)
        megapixels = err.width * err.height / 1e6
        return say(
            lang, sentence, width=err.width, height=err.height, megapixels=megapixels, limit=limit
        )
    if err.reason in (Rejection.TOO_MUCH_MEMORY, Rejection.INTERRUPTED):
        return say(lang, sentence, width=err.width, height=err.height, limit=err.limit / 1_000_000)
    return say(lang, sentence, width=err.width, height=err.height, limit=err.limit)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".0 MB", " MB")


# --- library moods (issue 19) ---------------------------------------------------------------
# Told when a library import finishes: how many songs the bot can place by mood, and how.
# NOTE: {placed} and {total}: numbers of songs.
MOOD_PLACED = N_("I can place {placed} of your {total} songs by mood")
MOOD_PLACED_HOW = {
    "measured": N_("{count} by their measured sound"),
    "estimated": N_("{count} guessed from the artist's other songs or your playlists"),
    "queued": N_("{count} more are being looked up"),
    "unplaced": N_("{count} I can't place yet"),
}


def mood_placement(lang: str, total: int, measured: int, estimated: int, queued: int) -> str:
    """The sentence on how many of a listener's songs can be placed by mood, and how."""
    placed = measured + estimated
    parts = [
        say(lang, MOOD_PLACED_HOW[name], count=count)
        for name, count in (
            ("measured", measured),
            ("estimated", estimated),
            ("queued", queued),
            ("unplaced", max(0, total - placed - queued)),
        )
        if count
    ]
    head = say(lang, MOOD_PLACED, placed=placed, total=total)
    return f"{head}: {', '.join(parts)}." if parts else f"{head}."


# --- said by the adapters and the Spotify use cases (issue 24: moved here from their modules)
# NOTE: Telegram refuses bots files over {megabytes} MB (a number).
TOO_BIG_TELEGRAM = N_(
    "That file is bigger than the {megabytes} MB a bot can download from Telegram; please send "
    "it as a photo or a smaller image."
)
PERSONAL_LINK_SENT = N_("I sent you the Spotify link in a private message.")
# NOTE: {bot}: the bot's Telegram username (without @); keep /link_spotify as it is.
PERSONAL_LINK_BLOCKED = N_(
    "I can't message you privately yet: open a chat with @{bot}, press Start, then send "
    "/link_spotify there."
)
# NOTE: the playlist description on Spotify (at most 300 characters).
PLAYLIST_DESCRIPTION = N_("Songs MelodicLens picked for a photo.")


def link_offer(lang: str, minutes: int) -> str:
    """The private message carrying a Spotify authorize link that lasts `minutes`."""
    return counted(
        lang,
        # NOTE: "Save as playlist" is the button's label: use its translation.
        "Open this link to connect your Spotify account. It works once and only for you, for "
        "{count} minute. MelodicLens reads your playlists and Liked Songs, and makes a private "
        "playlist only when you press Save as playlist.",
        "Open this link to connect your Spotify account. It works once and only for you, for "
        "{count} minutes. MelodicLens reads your playlists and Liked Songs, and makes a private "
        "playlist only when you press Save as playlist.",
        minutes,
    )


def library_done(lang: str, entries: int, playlists: int, skipped: int) -> str:
    """The chat message when a library import finishes (before its mood placement)."""
    text = say(
        lang,
        # NOTE: {songs}: "120 songs"; {playlists}: "4 playlists". Liked Songs is Spotify's name.
        N_("Your Spotify library is in: {songs} from {playlists} and Liked Songs."),
        songs=songs(lang, entries),
        playlists=counted(lang, "{count} playlist", "{count} playlists", playlists),
    )
    if not skipped:
        return text
    return (
        text
        + " "
        + counted(
            lang,
            "{count} playlist could not be read and was skipped.",
            "{count} playlists could not be read and were skipped.",
            skipped,
        )
    )


# The columns of `melodiclens recommend`'s terminal table.
TABLE_HEADINGS = {
    # NOTE: a column heading of the terminal table of songs.
    "track": N_("Track"),
    "tags": N_("Tags"),
    "why": N_("Why"),
    "link": N_("Link"),
}
# NOTE: {name}: a command name (auto or blend); keep "/{name} on" and "/{name} off" as they are.
USE_ON_OFF = N_("Use /{name} on or /{name} off.")


def too_big_on_telegram(lang: str, max_bytes: int) -> str:
    """A file over the size a bot may download from Telegram (or the configured limit)."""
    return say(lang, TOO_BIG_TELEGRAM, megabytes=max_bytes // 1_000_000)


def download_failed(lang: str, platform: str) -> str:
    """An image the platform would not hand over."""
    return say(lang, DOWNLOAD_FAILED, platform=PLATFORM_NAMES.get(platform, platform))


def too_big_file(lang: str, size: int, limit: int) -> str:
    """A file over the configured size limit, in MB."""
    sentence = REJECTED[Rejection.TOO_MANY_BYTES]
    return say(lang, sentence, size=_megabytes(size), limit=_megabytes(limit))


def queued_text(lang: str, places: list[int]) -> str:
    """The "you're in line" notice for the places in line of a chat's waiting photos."""
    if len(places) == 1:
        return say(lang, QUEUED, position=places[0])
    return say(lang, QUEUED_MANY, count=len(places), position=min(places))
