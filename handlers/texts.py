"""What the bot says: help, the one-sentence apologies, confirmations and the plain-text answer.

Every sentence a chat user sees lives here (ready for translation), except the photo-intake
rejections, which recsys/image_intake.py raises with the reason (recsys cannot import this)."""

from __future__ import annotations

from recsys.models import Recommendation

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

# What the chat adapters say while a photo is on its way.
QUEUED = "You're #{position} in line; your songs are on their way."
RESTARTING = "MelodicLens is restarting; please send that again in a minute."
DOWNLOAD_FAILED = "I couldn't download that image from {platform}; please send it again."

# Confirmations of buttons, chat settings and account commands.
SAID = {
    "not_linked": "No Spotify account is linked.",
    "nothing_held": "I hold nothing about you.",
    "blend_private": "Blending is for group chats: use it in a group.",
    "blend_off": "Your library no longer blends into this chat's answers.",
    "blend_on": "Your Spotify library now blends into this chat's answers.",
    "blend_needs_link": " Link your Spotify account first, or there is nothing to blend.",
    "thumbs_up": "Thanks! I'll lean toward songs like these for you.",
    "thumbs_down": "Got it: you won't get those songs from me again.",
    "auto_private": "In a private chat I already answer every photo.",
    "auto_on": "Auto mode on: I'll answer every photo in this chat.",
    "auto_off": "Auto mode off: mention me or reply to me with a photo.",
}

_COMMANDS = {
    "telegram": (
        "/vibe WORDS: songs for a mood, no photo needed\n"
        "/link_spotify: use your own Spotify library\n"
        "/unlink_spotify: remove the link and your imported library\n"
        "/forget_me: delete everything I know about you\n"
        "/auto on|off: in a group, answer every photo (or only when mentioned)\n"
        "/blend on|off: in a group, mix your library into everyone's answers"
    ),
    "discord": (
        "/vibe image words: songs for a photo or a mood\n"
        "/link-spotify: use your own Spotify library\n"
        "/unlink-spotify: remove the link and your imported library\n"
        "/forget-me: delete everything I know about you\n"
        "/blend on|off: in a server, mix your library into everyone's answers\n"
        "/help: this message"
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
REVOKED_MESSAGE = (
    "Spotify no longer accepts MelodicLens's access to your account, so your library was not "
    "updated. Link it again with the link command."
)
UNREADABLE_MESSAGE = (
    "I can no longer read your saved Spotify login (the bot's key was changed), so your "
    "library is not being updated. Link your Spotify account again to fix it."
)


def importing_message(name: str, tracks: int | None, playlists: int | None) -> str:
    """The chat message sent when a link succeeds."""
    if tracks is None or playlists is None:
        return f"Linked as {name}. Importing your library..."
    return f"Linked as {name}. Importing {tracks} tracks from {playlists} playlists..."


def forgotten_text(counts: dict[str, int]) -> str:
    """The confirmation of /forget-me, listing what was deleted."""
    parts = [
        f"{counts.get('link', 0)} Spotify link",
        f"{counts.get('library_entries', 0)} library entries",
        f"{counts.get('recommendations', 0)} past answers",
        f"{counts.get('feedback', 0)} feedback marks",
        f"{counts.get('chat_memberships', 0)} chat memberships",
        f"{counts.get('captions', 0)} photo descriptions",
    ]
    return "Done: I deleted everything about you (" + ", ".join(parts) + ")."


def unlinked_text(counts: dict[str, int]) -> str:
    """The confirmation of unlinking Spotify."""
    return (
        "Unlinked. Your Spotify tokens and the "
        f"{counts['library_entries']} imported library entries are deleted."
    )


def answer_text(recommendation: Recommendation) -> str:
    """The answer as plain text: the mood line, then one line per track."""
    lines = [recommendation.mood_line]
    for number, track in enumerate(recommendation.tracks, 1):
        tags = " ".join(f"#{tag}" for tag in track.tags)
        lines.append(
            f"{number}. {track.title} by {', '.join(track.artists)} {track.url} {tags} "
            f"({track.reason})"
        )
    if recommendation.notice:
        lines.append(recommendation.notice)
    return "\n".join(lines)
