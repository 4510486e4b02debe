"""Publishing the Discord commands only when their definition changed, and clickable mentions.

Discord rate-limits command publishing and re-indexes clients after each one, so a restart
with the same commands should not publish again: a hash of the definitions is kept in the
database, and an unchanged hash only fetches the commands (for their ids).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol

from discord import app_commands

log = logging.getLogger(__name__)

# Where the hash of the last published definitions is kept (db.state).
STATE_KEY = "discord_commands_hash"
# "/name" in a sentence, not inside a URL or an existing mention.
COMMAND_WORD = re.compile(r"(?<![\w/:<])/([a-z][a-z0-9_-]*)\b")


class KeptState(Protocol):
    """Small named values kept between starts (handlers.stores.DatabaseState)."""

    async def load(self, key: str) -> str | None:
        """The value under `key`, or None."""
        ...

    async def save(self, key: str, value: str) -> None:
        """Keep `value` under `key`."""
        ...


def definition_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A hash of every global command as Discord would receive it (names, options, types,
    permissions, contexts), independent of the order they were added in."""
    payloads = [command.to_dict(tree) for command in tree.get_commands()]
    payloads.sort(key=lambda payload: (payload.get("type", 1), payload["name"]))
    canonical = json.dumps(payloads, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def translated_hash(tree: app_commands.CommandTree[Any]) -> str:
    """`definition_hash` with every localisation the tree's translator gives (a changed
    translation publishes again, like a changed English text)."""
    translator = tree.translator
    if translator is None:
        return definition_hash(tree)
    payloads = [
        await command.get_translated_payload(tree, translator) for command in tree.get_commands()
    ]
    payloads.sort(key=lambda payload: (payload.get("type", 1), payload["name"]))
    canonical = json.dumps(payloads, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def publish_if_changed(
    tree: app_commands.CommandTree[Any], state: KeptState | None
) -> dict[str, int]:
    """Publish the commands if their definition changed since the last time (always, with no
    kept state); the ids of the published commands by name, for mentions."""
    digest = await translated_hash(tree)
    wanted = {command.name for command in tree.get_commands()}
    if state is not None and await state.load(STATE_KEY) == digest:
        published = await tree.fetch_commands()
        # Someone may have removed them (another app version, the portal): then publish.
        if {command.name for command in published} == wanted:
            log.info("discord: %d commands unchanged, not published again", len(published))
            return {command.name: command.id for command in published}
    published = await tree.sync()
    if state is not None:
        await state.save(STATE_KEY, digest)
    log.info("discord: published %d commands", len(published))
    return {command.name: command.id for command in published}


def with_mentions(text: str, ids: Mapping[str, int]) -> str:
    """Every "/name" of a known command as a clickable mention, </name:id>."""

    def mention(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"</{name}:{ids[name]}>" if name in ids else match.group(0)

    return COMMAND_WORD.sub(mention, text)
