"""Discord commands are published only when their definition changed (hash kept between
starts), and /help's command names become clickable mentions; real discord.py, fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.discord.publishing import STATE_KEY, definition_hash, publish_if_changed, with_mentions
from support.fakes.discord_api import FakeDiscord
from support.fakes.discord_payloads import TOKEN


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord().serving(monkeypatch) as server:
        yield server


def tree_for(client: discord.Client, vibe_text: str = "Songs for a photo") -> Any:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)

    @tree.command(name="vibe", description=vibe_text)
    async def vibe(interaction: discord.Interaction[Any], words: str | None = None) -> None:
        """Songs."""

    @tree.command(name="help", description="What this bot does")
    async def help_command(interaction: discord.Interaction[Any]) -> None:
        """Help."""

    @tree.context_menu(name="Songs for this photo")
    async def songs(interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """Songs for a message's photo."""

    return tree


class Store:
    """The state the database keeps (handlers.stores.DatabaseState), in memory."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    @property
    def value(self) -> str | None:
        return self.values.get(STATE_KEY)

    async def load(self, key: str) -> str | None:
        return self.values.get(key)

    async def save(self, key: str, value: str) -> None:
        self.values[key] = value


async def start(store: Store, vibe_text: str = "Songs for a photo") -> dict[str, int]:
    """One bot start: log in, build the tree, publish if needed."""
    client = discord.Client(intents=discord.Intents.none())
    await client.login(TOKEN)
    try:
        return await publish_if_changed(tree_for(client, vibe_text), store)
    finally:
        await client.close()


async def test_unchanged_commands_are_not_published_again(fake: FakeDiscord) -> None:
    store = Store()
    first = await start(store)
    assert len(fake.find("PUT", "/commands")) == 1
    assert set(first) == {"vibe", "help", "Songs for this photo"}
    assert first == {c["name"]: int(c["id"]) for c in fake.published}
    again = await start(store)
    assert len(fake.find("PUT", "/commands")) == 1  # a restart publishes nothing
    assert len(fake.find("GET", "/commands")) == 1 and again == first


async def test_a_changed_definition_is_published(fake: FakeDiscord) -> None:
    store = Store()
    await start(store)
    before = store.value
    await start(store, vibe_text="Songs that fit a photo")
    assert len(fake.find("PUT", "/commands")) == 2 and store.value != before
    described = {c["name"]: c.get("description") for c in fake.published}
    assert described["vibe"] == "Songs that fit a photo"


async def test_commands_removed_elsewhere_are_published_again(fake: FakeDiscord) -> None:
    store = Store()
    await start(store)
    fake.published = []  # e.g. an older build published nothing or someone cleared them
    ids = await start(store)
    assert len(fake.find("PUT", "/commands")) == 2 and set(ids) == {
        "vibe",
        "help",
        "Songs for this photo",
    }


async def test_same_definitions_same_hash_other_words_another() -> None:
    def client() -> discord.Client:
        return discord.Client(intents=discord.Intents.none())

    assert definition_hash(tree_for(client())) == definition_hash(tree_for(client()))
    assert definition_hash(tree_for(client())) != definition_hash(tree_for(client(), "Other words"))


def test_help_names_become_clickable_mentions() -> None:
    ids = {"vibe": 11, "help": 12, "link-spotify": 13}
    text = (
        "Send a photo or use /vibe. /link-spotify connects Spotify; /help shows this. "
        "Links: https://open.spotify.com/vibe and </vibe:11> stay; /unknown stays."
    )
    assert with_mentions(text, ids) == (
        "Send a photo or use </vibe:11>. </link-spotify:13> connects Spotify; </help:12> shows "
        "this. Links: https://open.spotify.com/vibe and </vibe:11> stay; /unknown stays."
    )
