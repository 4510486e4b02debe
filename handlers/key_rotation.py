"""Re-encrypting stored secrets under the current secret key (`melodiclens secrets rotate`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from db import spotify_links
from db.pool import Database
from handlers.secrets import SecretUnreadable, TokenCipher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RotationReport:
    """What a rotation did, for the operator."""

    rotated: int
    already_current: int
    restored: int
    unreadable: int
    states_rotated: int
    states_dropped: int

    def summary(self) -> str:
        """One paragraph for the terminal."""
        text = (
            f"Spotify links: {self.rotated} re-encrypted under the current key, "
            f"{self.already_current} already under it, {self.restored} readable again. "
            f"Pending links: {self.states_rotated} re-encrypted, {self.states_dropped} dropped."
        )
        if self.unreadable:
            text += (
                f" {self.unreadable} link(s) cannot be decrypted with any configured key: add "
                "the key they were made with to MELODICLENS_OLD_SECRET_KEYS and run this again, "
                "or leave them: their owners are asked to link again at their next sync."
            )
        else:
            text += " Nothing needs an old key now: MELODICLENS_OLD_SECRET_KEYS can be emptied."
        return text


async def rotate_secrets(db: Database, cipher: TokenCipher) -> RotationReport:
    """Re-encrypt every stored token and pending PKCE verifier under the current key."""
    counts = {"rotated": 0, "already_current": 0, "restored": 0, "unreadable": 0}
    for user_id in await spotify_links.links_with_tokens(db.pool):
        counts[await _rotate_link(db, cipher, user_id)] += 1
    states_rotated, states_dropped = 0, 0
    async with db.pool.acquire() as conn:
        for state_hash, verifier in await spotify_links.pending_verifiers(conn):
            try:
                rotated: bytes | None = cipher.rotate(verifier)
                states_rotated += 1
            except SecretUnreadable:
                rotated = None  # nobody can finish this link: drop it
                states_dropped += 1
            await spotify_links.replace_verifier(conn, state_hash, rotated)
    report = RotationReport(**counts, states_rotated=states_rotated, states_dropped=states_dropped)
    log.info("secret rotation: %s", report)
    return report


async def _rotate_link(db: Database, cipher: TokenCipher, user_id: int) -> str:
    """Rotate one link's tokens under a row lock (a sync refreshing them waits); the outcome."""
    async with db.pool.acquire() as conn, conn.transaction():
        row = await spotify_links.lock_link_tokens(conn, user_id)
        if row is None:  # unlinked meanwhile
            return "already_current"
        access, refresh = bytes(row["access_token"]), row["refresh_token"]
        refresh = None if refresh is None else bytes(refresh)
        current = cipher.is_current(access) and (refresh is None or cipher.is_current(refresh))
        if current and row["status"] == "active":
            return "already_current"
        try:
            new_access = cipher.rotate(access)
            new_refresh = None if refresh is None else cipher.rotate(refresh)
        except SecretUnreadable:
            return "unreadable"
        await spotify_links.replace_link_tokens(conn, user_id, new_access, new_refresh)
        return "restored" if row["status"] == "unreadable" else "rotated"


@dataclass(frozen=True)
class KeyUse:
    """How many links' tokens are under the current key, an old key, or none."""

    current: int
    old: int
    unreadable: int


async def key_use(db: Database, cipher: TokenCipher) -> KeyUse:
    """Count the stored links by the key their tokens are under (reads, changes nothing)."""
    current = old = unreadable = 0
    rows = await db.pool.fetch(
        "SELECT access_token FROM spotify_links WHERE access_token IS NOT NULL"
    )
    for row in rows:
        token = bytes(row["access_token"])
        if cipher.is_current(token):
            current += 1
            continue
        try:
            cipher.decrypt(token)
            old += 1
        except SecretUnreadable:
            unreadable += 1
    return KeyUse(current, old, unreadable)
