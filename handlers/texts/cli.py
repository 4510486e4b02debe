"""What `melodiclens recommend` says in the terminal: its error lines and its table's
column headings."""

from __future__ import annotations

from handlers.texts.core import N_

# What `melodiclens recommend` says when it cannot answer (terminal style: no capital, no stop).
CLI_SORRY = {
    # NOTE: a terminal error line (no capital, no full stop).
    "nothing": N_("send a photo or a few words about the mood you want"),
    # NOTE: a terminal error line; keep the command `melodiclens catalog import` as it is.
    "no_tracks": N_("no tracks yet: import a catalog with `melodiclens catalog import`"),
}

# The columns of `melodiclens recommend`'s terminal table.
TABLE_HEADINGS = {
    # NOTE: a column heading of the terminal table of songs.
    "track": N_("Track"),
    "tags": N_("Tags"),
    "why": N_("Why"),
    "link": N_("Link"),
}
