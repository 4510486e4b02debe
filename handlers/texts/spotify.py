"""What the bot says about Spotify: the link pages, the link's chat notices, saving a
playlist, and the library import's report."""

from __future__ import annotations

from handlers.texts.core import N_, counted, say

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
    "stale": N_("That answer is no longer available. Send the photo again."),
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


# How the songs of an imported library are placed by mood (mood_placement's parts).
MOOD_PLACED_HOW = {
    "measured": N_("{count} by their measured sound"),
    "estimated": N_("{count} guessed from the artist's other songs or your playlists"),
    "queued": N_("{count} more are being looked up"),
    "unplaced": N_("{count} I can't place yet"),
}


def placed_by_words(lang: str, count: int) -> str:
    """How many guessed songs rest on their own title and artist alone."""
    # NOTE: after the mood placement sentence: {count} of the guessed songs were placed by
    # their title and artist alone (no artist or playlist songs to go by).
    return counted(
        lang,
        "{count} of the guessed songs rests on its title and artist alone.",
        "{count} of the guessed songs rest on their title and artist alone.",
        count,
    )


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
    head = say(
        lang,
        # NOTE: {placed} and {total}: numbers of songs.
        N_("I can place {placed} of your {total} songs by mood"),
        placed=placed,
        total=total,
    )
    return f"{head}: {', '.join(parts)}." if parts else f"{head}."


def songs(lang: str, count: int) -> str:
    """ "1 song", "5 songs" in `lang`."""
    return counted(lang, "{count} song", "{count} songs", count)
