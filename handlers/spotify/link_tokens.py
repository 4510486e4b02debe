"""A stored Spotify link's tokens, decrypted for a call and encrypted again after a refresh."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from db import spotify_links
from handlers.edge.spotify import Tokens
from handlers.secrets import TokenCipher


def read_tokens(cipher: TokenCipher, link: spotify_links.LinkRow) -> Tokens:
    """The link's tokens in the clear (raises SecretUnreadable when no key reads them)."""
    assert link.access_token is not None
    return Tokens(
        cipher.decrypt(link.access_token),
        cipher.decrypt(link.refresh_token) if link.refresh_token else None,
        link.token_expires_at or datetime.now(UTC),
        link.scope,
    )


async def save_tokens(
    pool: asyncpg.Pool, cipher: TokenCipher, user_id: int, tokens: Tokens
) -> None:
    """Store refreshed tokens under the current key."""
    refresh = cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None
    await spotify_links.update_tokens(
        pool, user_id, cipher.encrypt(tokens.access_token), refresh, tokens.expires_at
    )
