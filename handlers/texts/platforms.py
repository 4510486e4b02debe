"""What the platforms show about the bot before anyone talks to it: Telegram's command menu
and descriptions, Discord's slash-command and option descriptions, the buttons' labels.

Command names stay English on both platforms (they are what /help, mentions and the
users' muscle memory use); their descriptions are translated (bot/telegram/commands.py
publishes one menu per language, bot/discord/translator.py hands Discord the localisations).
"""

from __future__ import annotations

from handlers.texts.core import N_, say

# NOTE: Telegram and Discord command menus show these descriptions: at most 100 characters
# (Discord) and 256 (Telegram); keep the command words (/vibe, on, off) as they are.
COMMAND_DESCRIPTIONS = {
    "telegram": {
        "vibe": N_("Songs for a photo or for words: /vibe rainy night drive"),
        "link_spotify": N_("Connect your Spotify so answers come from your library"),
        "unlink_spotify": N_("Disconnect Spotify and delete your imported library"),
        "forget_me": N_("Delete everything MelodicLens knows about you"),
        "help": N_("What this bot does"),
        "auto": N_("Admins: /auto on answers every photo here, /auto off stops"),
        "blend": N_("/blend on lets your library blend into this group's answers"),
        "language": N_("Choose the language I answer you in"),
    },
    "discord": {
        "vibe": N_("Songs that fit a photo (and/or a few words)"),
        "link-spotify": N_("Connect your Spotify library (private link)"),
        "unlink-spotify": N_("Disconnect Spotify and drop your library"),
        "forget-me": N_("Delete everything MelodicLens knows about you"),
        "help": N_("What MelodicLens does and how to use it"),
        "auto": N_("Answer every photo in this channel, or only mentions"),
        "blend": N_("Blend your linked library into this server's answers"),
        "language": N_("Choose the language I answer you in"),
    },
}
# Discord's option descriptions (at most 100 characters), by command and option.
OPTION_DESCRIPTIONS = {
    # NOTE: a Discord command option's description (at most 100 characters).
    ("vibe", "image"): N_("The photo to find songs for"),
    # NOTE: a Discord command option's description; 'more upbeat' is an example of words.
    ("vibe", "words"): N_("A mood or a wish, e.g. 'more upbeat'"),
    # NOTE: a Discord option's description: keep "on" and "off" as they are (the choices).
    ("auto", "state"): N_("on: every photo here gets songs; off: only photos that mention me"),
    ("blend", "state"): N_("on: your songs join this channel's answers; off: they don't"),
    # NOTE: keep "auto" as it is (it is the value to type).
    ("language", "code"): N_("A language code such as es or pt_BR, or auto for your app's"),
}

# The answer's buttons (at most 40 characters each; Telegram shows two side by side); the
# thumbs are emoji only and need no words.
BUTTONS = {
    # NOTE: a button under an answer: at most 40 characters.
    "more": N_("More like this"),
    # NOTE: a button under an answer: a new answer with a neighbouring mood (at most 40).
    "diff": N_("Different vibe"),
    # NOTE: a button under an answer: a calmer answer (at most 40 characters).
    "calm": N_("Calmer"),
    # NOTE: a button under an answer: a livelier answer (at most 40 characters).
    "lively": N_("More energy"),
}
# The link button under the answer to /link_spotify, as each platform has always said it.
LINK_BUTTON = {
    # NOTE: a link button's label (at most 40 characters).
    "telegram": N_("Connect Spotify"),
    # NOTE: a link button's label (at most 40 characters).
    "discord": N_("Open Spotify"),
}

# What a new Telegram user reads in the empty chat before pressing Start (at most 512
# characters), and on the bot's profile and in shared links (at most 120).
# NOTE: Telegram's bot description, shown in an empty chat: at most 512 characters. Keep the
# command /link_spotify as it is.
TELEGRAM_DESCRIPTION = N_(
    "Send me a photo and I'll answer with songs that fit it: Spotify links, theme tags and "
    'why each one fits. A few words work too ("rainy night drive", "more upbeat"). Link '
    "your Spotify with /link_spotify to get songs from your own library. In groups, mention "
    "me or reply to me."
)
# NOTE: Telegram's short description (profile, shared links): at most 120 characters.
TELEGRAM_SHORT_DESCRIPTION = N_("Songs that fit your photo: send a picture, get Spotify links.")


def command_description(lang: str, platform: str, command: str) -> str:
    """A command's menu description in `lang`."""
    return say(lang, COMMAND_DESCRIPTIONS[platform][command])


def button_label(lang: str, verb: str) -> str:
    """The label of an answer's button (the thumbs are emoji, the same in every language)."""
    return say(lang, BUTTONS[verb]) if verb in BUTTONS else {"up": "👍", "down": "👎"}[verb]
