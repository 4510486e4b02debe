"""`melodiclens secrets rotate`: re-encrypt stored Spotify tokens under the current secret key."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.arguments import add_command, add_command_group
from bot.cli.errors import CommandError

if TYPE_CHECKING:  # the database and the cipher load only once the command runs
    from bot.settings import Settings

HOW_TO_ROTATE = (
    "To change the secret key: move the current MELODICLENS_SECRET_KEY into "
    "MELODICLENS_OLD_SECRET_KEYS, set a new MELODICLENS_SECRET_KEY, run this command, "
    "then empty MELODICLENS_OLD_SECRET_KEYS."
)


def register(subparsers: Any) -> None:
    """Add the `secrets` command."""
    actions = add_command_group(
        subparsers, "secrets", help="manage the key that encrypts Spotify tokens"
    )
    add_command(
        actions,
        "rotate",
        run_rotate,
        help="re-encrypt stored tokens under MELODICLENS_SECRET_KEY",
        description=HOW_TO_ROTATE,
    )


async def run_rotate(settings: Settings, args: argparse.Namespace) -> int:
    """Re-encrypt every stored token; exit 1 when some cannot be decrypted with any key."""
    from bot.app import open_database
    from handlers.key_rotation import rotate_secrets
    from handlers.secrets import SecretKeyMissing, TokenCipher

    try:
        cipher = TokenCipher(settings.secret_keys)
    except SecretKeyMissing as err:
        raise CommandError(f"{err} {HOW_TO_ROTATE}") from None
    async with open_database(settings) as database:
        report = await rotate_secrets(database, cipher)
    print(report.summary())
    return 1 if report.unreadable else 0
