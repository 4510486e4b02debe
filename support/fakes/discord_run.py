"""`melodiclens run` with discord.py pointed at a fake Discord (FAKE_DISCORD_URL), for tests that
kill the real process: the same knobs FakeDiscord.patch sets in-process (discord.py has no
setting for its REST base or gateway URL).

Run: python -m support.fakes.discord_run   (with FAKE_DISCORD_URL and DISCORD_TOKEN set)
"""

from __future__ import annotations

import os
import sys

import discord.gateway
import discord.http
import yarl

from bot.cli.main import main
from bot.discord import client as discord_client


def point_at(base: str) -> None:
    """Send discord.py's REST calls and gateway connection to the fake at `base`."""
    discord.http.Route.BASE = f"{base}/api/v10"
    gateway = yarl.URL(f"{base.replace('http', 'ws')}/gateway")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
    # discord.py waits this long for more GUILD_CREATEs; the fake sends its one at once.
    discord_client.GUILD_READY_TIMEOUT_S = 0.02


if __name__ == "__main__":
    point_at(os.environ["FAKE_DISCORD_URL"])
    sys.exit(main(["run"]))
