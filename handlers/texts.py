"""What the bot says: help, the one-sentence apologies, confirmations and the plain-text answer.

Every sentence a chat or terminal user sees lives here (ready for translation). recsys cannot
import this module, so it reports codes (`Rejection`, `Notice`) that are worded here."""

from __future__ import annotations

from recsys.image_intake import ImageRejected, Rejection
from recsys.models import Notice, Recommendation

SORRY = {
    "rate": "You're sending photos faster than I can listen. Try again in {seconds} s.",
    "rate_other": "That's a lot at once. Please try again in {seconds} s.",
    "nothing": "Send me a photo, or a few words about the mood you want.",
    "no_tracks": "My song catalog is empty right now. The operator needs to import one.",
    "busy": "I'm swamped right now. Please send that again in a minute.",
    "database": "I can't reach my music library right now. Please try again in a minute.",
    "unexpected": "Something went wrong on my side. Please try again.",
    "stale_button": "That answer is no longer available. Send the photo again.",
    "no_spotify": "Spotify linking isn't set up on this bot.",
    "linking_not_configured": (
        "Spotify linking is not set up on this bot (its operator needs to set SPOTIFY_CLIENT_ID "
        "and MELODICLENS_SECRET_KEY)."
    ),
}

# What `melodiclens recommend` says when it cannot answer (terminal style: no capital, no stop).
CLI_SORRY = {
    "nothing": "send a photo or a few words about the mood you want",
    "no_tracks": "no tracks yet: import a catalog with `melodiclens catalog import`",
}

# What the chat adapters say while a photo is on its way.
QUEUED = "You're #{position} in line; your songs are on their way."
# Telegram keeps one line notice per chat: with several photos of the chat waiting, this.
QUEUED_MANY = (
    "{count} photos from this chat are in line (next: #{position}); songs are on their way."
)

# What a new Telegram user reads in the empty chat before pressing Start (at most 512
# characters), and on the bot's profile and in shared links (at most 120).
TELEGRAM_DESCRIPTION = (
    "Send me a photo and I'll answer with songs that fit it: Spotify links, theme tags and "
    'why each one fits. A few words work too ("rainy night drive", "more upbeat"). Link '
    "your Spotify with /link_spotify to get songs from your own library. In groups, mention "
    "me or reply to me."
)
TELEGRAM_SHORT_DESCRIPTION = "Songs that fit your photo: send a picture, get Spotify links."
RESTARTING = "MelodicLens is restarting; please send that again in a minute."
# "Songs for this photo" used on a message without a picture.
NO_PHOTO_THERE = "That message has no photo I can read; try it on a message with a picture."
# The Discord message context-menu command's name (what members see under Apps).
SONGS_FOR_PHOTO = "Songs for this photo"
DOWNLOAD_FAILED = "I couldn't download that image from {platform}; please send it again."
# A Discord command answered after a restart, once its 15-minute answer window has closed.
REPLAYED_AS_MESSAGE = (
    "{mention} here are the songs you asked for. I restarted while finding them, so they come "
    "as a message instead of as the command's answer."
)

# Confirmations of buttons, chat settings and account commands.
SAID = {
    "not_linked": "No Spotify account is linked.",
    "nothing_held": "I hold nothing about you.",
    "blend_private": "Blending is for group chats: use it in a group.",
    "blend_off": "Your library no longer blends into this chat's answers.",
    "blend_on": (
        "Your Spotify library now blends into this chat's answers. Your playlist names stay "
        'private: others see your songs as "from a member\'s library".'
    ),
    "blend_needs_link": " Link your Spotify account first, or there is nothing to blend.",
    "thumbs_up": "Thanks! I'll lean toward songs like these for you.",
    "thumbs_down": "Got it: you won't get those songs from me again.",
    "auto_private": "In a private chat I already answer every photo.",
    "auto_on": "Auto mode on: I'll answer every photo in this chat.",
    "auto_off": "Auto mode off: mention me or reply to me with a photo.",
    "auto_admins_only": "Only this group's admins can turn auto mode on or off.",
    "auto_needs_manage_channels": "Only members who can manage this channel can switch it.",
}

_COMMANDS = {
    "telegram": (
        "/vibe WORDS: songs for a mood, no photo needed\n"
        "/link_spotify: use your own Spotify library\n"
        "/unlink_spotify: remove the link and your imported library\n"
        "/forget_me: delete everything I know about you\n"
        "/auto on|off: in a group, answer every photo (or only when mentioned)\n"
        "/blend on|off: in a group, mix your library into everyone's answers\n"
        "In a group, mention me in the photo's caption or reply to one of my messages "
        "(or an admin turns /auto on, and I answer every photo)."
    ),
    "discord": (
        "/vibe image words: songs for a photo or a mood\n"
        "/link-spotify: use your own Spotify library\n"
        "/unlink-spotify: remove the link and your imported library\n"
        "/forget-me: delete everything I know about you\n"
        "/blend on|off: in a server, mix your library into everyone's answers\n"
        "/auto on|off: in a channel, answer every photo or only those that mention me "
        "(needs Manage Channels)\n"
        "/help: this message\n"
        "Or right-click (long-press on mobile) a message with a photo -> Apps -> " + SONGS_FOR_PHOTO
    ),
    "cli": "melodiclens recommend IMAGE [--text WORDS]",
}

HELP = {
    platform: (
        "Send me a photo and I'll answer with songs that fit it: Spotify links, theme tags "
        'and why each one fits. Add words to steer ("more upbeat", "instrumental", '
        '"no sad songs", "90s").\n\n' + commands
    )
    for platform, commands in _COMMANDS.items()
}


# Spotify linking: the callback page (title, sentence) and the chat notices.
LINK_PAGE = {
    "refused": "Link refused",
    "not_linked": "Not linked",
    "linked": "Linked",
    "not_granted": "Spotify access was not granted, so nothing was linked.",
    "secret_changed": "The bot's secret key changed; link again.",
    "login_expired": "Spotify says this login has expired. Start again below.",
    "app_misconfigured": "The bot's Spotify app is misconfigured.",
    "no_answer": "Spotify did not answer. Nothing was linked; try again in a minute.",
    "spotify_busy": "Spotify is busy. Nothing was linked; try again in {seconds} seconds.",
    "back_to_chat": "Linked as {name}. You can go back to the chat now.",
    "confirm_title": "Link Spotify?",
    "confirm_button": "Link my Spotify to this account",
    "start_again": "Start linking again",
    "not_available": "Not available",
    "not_set_up": "Spotify linking is not set up here.",
    "csrf": "This confirmation did not come from the page MelodicLens showed. Open the link again.",
    "db_title": "Please try again soon",
    "db_down": (
        "MelodicLens cannot reach its database right now, so nothing was changed. "
        "Try again in a minute."
    ),
}
# The confirm page (HTML; the web server escapes the values it fills in).
LINK_CONFIRM = """<p>This Spotify login is about to be linked to the <strong>{platform}</strong>
account <strong>{account}</strong>. MelodicLens will read its playlists and Liked Songs to
pick songs for that account.</p>
<p>Only continue if you asked MelodicLens for this link yourself, from that account. If
someone sent you this link, close this page: nothing is linked until you press the button.</p>
"""
PLATFORM_NAMES = {"telegram": "Telegram", "discord": "Discord", "cli": "terminal"}
LINK_REJECTED = {
    "forged": "This link is not one MelodicLens handed out. Ask the bot for a new one.",
    "expired": "This link has expired (links last 10 minutes). Ask the bot for a new one.",
    "reused": "This link was already used. If linking did not finish, ask the bot for a new one.",
    "busy": "This link is being finished in another window. Wait a moment, then reload.",
}
ALREADY_LINKED = (
    "This Spotify account is already linked to another user of this bot. That user can "
    "unlink it first."
)
NOT_REGISTERED = (
    "This bot's Spotify app is in development mode and your Spotify account is not on its "
    "user list (at most 5 users). Ask the bot's operator to add you, then link again."
)
# "Save as playlist": the listener's own command spelling, then each outcome's sentence.
SAVE_BUTTON = "Save as playlist"
SAVED_PLAYLIST_LINK = "Open playlist"
LINK_COMMAND = {"telegram": "/link_spotify", "discord": "/link-spotify", "cli": "link"}
SAVE_PLAYLIST = {
    "saved": "Saved “{name}” to your Spotify: {tracks}, private.",
    "not_linked": "Link your Spotify account first ({command}), then press Save again.",
    "needs_relink": (
        "To save playlists, MelodicLens needs one more permission from Spotify. Open this link "
        "to link again (once), then press Save again."
    ),
    "revoked": (
        "Spotify no longer accepts MelodicLens's access to your account. "
        "Link it again with {command}."
    ),
    "not_registered": NOT_REGISTERED,
    "stale": SORRY["stale_button"],
    "busy": "Spotify is busy right now. Press Save again in a minute.",
    "failed": "Spotify didn't answer. Press Save again in a minute.",
}
# Where a personal link pressed for in a Telegram group went.
PERSONAL_LINK = {
    "sent": "I sent it to you in a private message.",
    "blocked": (
        "I can't message you privately yet: open a chat with @{bot}, press Start, then press "
        "the button again."
    ),
}
REVOKED_MESSAGE = (
    "Spotify no longer accepts MelodicLens's access to your account, so your library was not "
    "updated. Link it again with the link command."
)
UNREADABLE_MESSAGE = (
    "I can no longer read your saved Spotify login (the bot's key was changed), so your "
    "library is not being updated. Link your Spotify account again to fix it."
)


# /forget_me asks first; its two buttons, and what each press says.
FORGET_COMMAND = {"telegram": "/forget_me", "discord": "/forget-me", "cli": "forget"}
FORGET_CONFIRM = {
    "ask": (
        "This deletes everything I hold about you: your Spotify link and imported library, "
        "your past answers and thumbs, your chat memberships and your photos' descriptions. "
        "It cannot be undone. Only you can press these buttons."
    ),
    "delete": "Delete everything",
    "cancel": "Cancel",
    "kept": "Cancelled: nothing was deleted.",
    "refused": "That confirmation is not yours or has expired. Send {command} to start again.",
}


def plural(count: int, one: str, many: str = "") -> str:
    """The count with its word in the right number: "1 track", "2 tracks", "3 entries"."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def importing_message(name: str, tracks: int | None, playlists: int | None) -> str:
    """The chat message sent when a link succeeds."""
    if tracks is None or playlists is None:
        return f"Linked as {name}. Importing your library..."
    return (
        f"Linked as {name}. Importing {plural(tracks, 'track')} from "
        f"{plural(playlists, 'playlist')}..."
    )


def forgotten_text(counts: dict[str, int]) -> str:
    """The confirmation of /forget-me, listing what was deleted."""
    parts = [
        plural(counts.get("link", 0), "Spotify link"),
        plural(counts.get("library_entries", 0), "library entry", "library entries"),
        plural(counts.get("recommendations", 0), "past answer"),
        plural(counts.get("feedback", 0), "feedback mark"),
        plural(counts.get("chat_memberships", 0), "chat membership"),
        plural(counts.get("captions", 0), "photo description"),
    ]
    return "Done: I deleted everything about you (" + ", ".join(parts) + ")."


def unlinked_text(counts: dict[str, int]) -> str:
    """The confirmation of unlinking Spotify."""
    return (
        "Unlinked. Your Spotify tokens and the "
        f"{plural(counts['library_entries'], 'imported library entry', 'imported library entries')}"
        " are deleted."
    )


# Why an upload is not a photo MelodicLens can read (recsys.image_intake.Rejection).
_FORMATS = "Send a JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC image."
REJECTED = {
    Rejection.EMPTY: f"That file is empty (0 bytes), so there is no photo to read. {_FORMATS}",
    Rejection.TOO_MANY_BYTES: "That file is {size}; the limit is {limit}. Send a smaller photo.",
    Rejection.PDF: f"That file is a PDF document, not a photo. {_FORMATS}",
    Rejection.ZIP: f"That file is a ZIP archive (or an Office document), not a photo. {_FORMATS}",
    Rejection.VIDEO: f"That file is a video (MP4/MOV), not a photo. {_FORMATS}",
    Rejection.TEXT: f"That file is plain text, not a photo. {_FORMATS}",
    Rejection.SVG: f"That file is an SVG drawing, not a photo. {_FORMATS}",
    Rejection.UNKNOWN: f"That file is not an image MelodicLens can read. {_FORMATS}",
    Rejection.DAMAGED: (
        "That image is damaged or incomplete (it may have been cut off while uploading). "
        "Please send it again."
    ),
    Rejection.TOO_MANY_PIXELS: (
        "That image is {width}×{height} pixels ({megapixels:.0f} megapixels); "
        "the limit is {limit:g} megapixels. Send a smaller photo."
    ),
    Rejection.TOO_SMALL: (
        "That image is only {width}×{height} pixels; send one at least {limit} pixels on each side."
    ),
    Rejection.TIFF_STRIP: (
        "That TIFF is stored as one huge compressed block, which takes too much memory to open. "
        "Save it as a JPEG or PNG and send it again."
    ),
    Rejection.TOO_MUCH_MEMORY: (
        "That image is {width}×{height} pixels; in its format MelodicLens can safely open "
        "{limit:.0f} megapixels at most. Send it as a JPEG or a smaller photo."
    ),
    Rejection.TOO_MANY_SCANS: (
        "That JPEG is stored in an unusual way (more than {limit} progressive scans) that takes "
        "too long to open. Save it again as an ordinary JPEG or PNG and send it."
    ),
    Rejection.INTERRUPTED: (
        "That image was being read when MelodicLens stopped, so it is not tried again. "
        "Please send a smaller photo, or the same one as a JPEG."
    ),
}
# A bomb caught before its size was known.
TOO_MANY_PIXELS_UNSIZED = (
    "That image has too many pixels to open safely; the limit is {limit:g} megapixels. "
    "Send a smaller photo."
)

# Said under an answer when it was made differently from usual (recsys.models.Notice).
NOTICES = {
    Notice.VISION_NOT_READ: (
        "The photo was not read by the vision model (it is unavailable right now), so these "
        "picks come from your words and the photo's colours and light."
    ),
    Notice.FOREIGN_WORDS: (
        "I read moods best in English, so the photo led and your words were read as best I could."
    ),
    Notice.FOREIGN_WORDS_ONLY: (
        "I read moods best in English, so your words were read as best I could."
    ),
}


def rejection_text(err: ImageRejected) -> str:
    """The sentence telling a user why their upload was refused."""
    if err.reason is Rejection.TOO_MANY_BYTES:
        return REJECTED[err.reason].format(size=_megabytes(err.size), limit=_megabytes(err.limit))
    if err.reason is Rejection.TOO_MANY_PIXELS:
        limit = err.limit / 1_000_000
        if not err.width:
            return TOO_MANY_PIXELS_UNSIZED.format(limit=limit)
        megapixels = err.width * err.height / 1e6
        return REJECTED[err.reason].format(
            width=err.width, height=err.height, megapixels=megapixels, limit=limit
        )
    if err.reason in (Rejection.TOO_MUCH_MEMORY, Rejection.INTERRUPTED):
        return REJECTED[err.reason].format(
            width=err.width, height=err.height, limit=err.limit / 1_000_000
        )
    return REJECTED[err.reason].format(width=err.width, height=err.height, limit=err.limit)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".0 MB", " MB")


def notice_text(notice: Notice | None) -> str | None:
    """The sentence said under an answer, if any."""
    return None if notice is None else NOTICES[notice]


def answer_text(recommendation: Recommendation) -> str:
    """The answer as plain text: the mood line, then one line per track."""
    lines = [recommendation.mood_line]
    for number, track in enumerate(recommendation.tracks, 1):
        tags = " ".join(f"#{tag}" for tag in track.tags)
        lines.append(
            f"{number}. {track.title} by {', '.join(track.artists)} {track.url} {tags} "
            f"({track.reason})"
        )
    notice = notice_text(recommendation.notice)
    if notice:
        lines.append(notice)
    return "\n".join(lines)


# --- library moods (issue 19) ---------------------------------------------------------------
# Told when a library import finishes: how many songs the bot can place by mood, and how.
MOOD_PLACED = "I can place {placed} of your {total} songs by mood"
MOOD_PLACED_HOW = {
    "measured": "{count} by their measured sound",
    "estimated": "{count} guessed from the artist's other songs or your playlists",
    "queued": "{count} more are being looked up",
    "unplaced": "{count} I can't place yet",
}
# Appended to the reason of a song whose mood was estimated, never measured (by its basis).
MOOD_GUESSED = {
    "artist": "mood guessed from the artist's other songs",
    "playlist": "mood guessed from the songs around it in your playlists",
    "artist_playlist": "mood guessed from the artist's other songs and your playlists",
}


def mood_placement(total: int, measured: int, estimated: int, queued: int) -> str:
    """The sentence on how many of a listener's songs can be placed by mood, and how."""
    placed = measured + estimated
    parts = [
        MOOD_PLACED_HOW[name].format(count=count)
        for name, count in (
            ("measured", measured),
            ("estimated", estimated),
            ("queued", queued),
            ("unplaced", max(0, total - placed - queued)),
        )
        if count
    ]
    head = MOOD_PLACED.format(placed=placed, total=total)
    return f"{head}: {', '.join(parts)}." if parts else f"{head}."
