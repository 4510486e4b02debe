"""SQL for Spotify links and the OAuth states that start them (spotify_links, oauth_states)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

import asyncpg

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool
StateProblem = Literal["forged", "expired", "reused", "busy"]


@dataclass(frozen=True)
class PendingState:
    """A usable OAuth state: whose it is and its encrypted PKCE verifier."""

    user_id: int
    code_verifier: bytes = field(repr=False)
    notify_chat_id: str | None
    platform: str
    platform_user_id: str
    display_name: str | None = None


@dataclass(frozen=True)
class LinkRow:
    """A stored Spotify link; tokens stay encrypted."""

    user_id: int
    spotify_user_id: str | None
    display_name: str | None
    access_token: bytes | None = field(repr=False)
    refresh_token: bytes | None = field(repr=False)
    token_expires_at: datetime | None
    status: str
    notify_chat_id: str | None
    platform: str
    last_synced_at: datetime | None
    # the scopes Spotify granted, space-separated
    scope: str = ""


async def create_oauth_state(
    conn: Conn,
    state_hash: bytes,
    user_id: int,
    code_verifier: bytes,
    notify_chat_id: str | None,
    ttl_s: float,
) -> None:
    """Store a new state (by hash only) with its encrypted verifier."""
    await conn.execute(
        """
        INSERT INTO oauth_states (state_hash, user_id, code_verifier, notify_chat_id, expires_at)
        VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
        """,
        state_hash,
        user_id,
        code_verifier,
        notify_chat_id,
        ttl_s,
    )


async def find_oauth_state(
    conn: Conn, state_hash: bytes, *, lock: bool = False
) -> PendingState | StateProblem:
    """A usable state (its owner, verifier and chat account), or why it cannot be used.

    With `lock` (inside a transaction) the row stays locked until the transaction ends, so
    two confirmations of one link cannot both go through; a state another request holds
    answers "busy". Nothing here uses the state up: see `use_oauth_state`.
    """
    row = await conn.fetchrow(
        f"""
        SELECT s.user_id, s.code_verifier, s.notify_chat_id, u.platform, u.platform_user_id,
               u.display_name
        FROM oauth_states s JOIN chat_users u ON u.id = s.user_id
        WHERE s.state_hash = $1 AND s.used_at IS NULL AND s.expires_at > now()
        {"FOR UPDATE OF s SKIP LOCKED" if lock else ""}
        """,
        state_hash,
    )
    if row is not None:
        return PendingState(
            row["user_id"],
            bytes(row["code_verifier"]),
            row["notify_chat_id"],
            row["platform"],
            row["platform_user_id"],
            row["display_name"],
        )
    seen = await conn.fetchrow(
        "SELECT used_at, expires_at > now() AS live FROM oauth_states WHERE state_hash = $1",
        state_hash,
    )
    if seen is None:
        return "forged"
    if seen["used_at"] is not None:
        return "reused"
    return "busy" if seen["live"] else "expired"


async def use_oauth_state(conn: Conn, state_hash: bytes) -> None:
    """Mark a state used: call it in the transaction that stores the link it made."""
    await conn.execute("UPDATE oauth_states SET used_at = now() WHERE state_hash = $1", state_hash)


async def purge_old_states(conn: Conn, older_than_s: float) -> int:
    """Delete long-expired states (kept a while so a reuse is told apart from a forgery)."""
    result: str = await conn.execute(
        "DELETE FROM oauth_states WHERE expires_at < now() - make_interval(secs => $1)",
        older_than_s,
    )
    return int(result.split()[-1])


async def save_link(
    conn: Conn,
    user_id: int,
    spotify_user_id: str,
    display_name: str | None,
    access_token: bytes,
    refresh_token: bytes | None,
    expires_at: datetime,
    scope: str,
    notify_chat_id: str | None,
) -> None:
    """Create or renew a link (tokens already encrypted), active again."""
    await conn.execute(
        """
        INSERT INTO spotify_links (user_id, spotify_user_id, display_name, access_token,
            refresh_token, token_expires_at, scope, status, notify_chat_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8)
        ON CONFLICT (user_id) DO UPDATE SET spotify_user_id = EXCLUDED.spotify_user_id,
            display_name = EXCLUDED.display_name, access_token = EXCLUDED.access_token,
            refresh_token = EXCLUDED.refresh_token,
            token_expires_at = EXCLUDED.token_expires_at, scope = EXCLUDED.scope,
            status = 'active', notify_chat_id = EXCLUDED.notify_chat_id, linked_at = now()
        """,
        user_id,
        spotify_user_id,
        display_name,
        access_token,
        refresh_token,
        expires_at,
        scope,
        notify_chat_id,
    )


async def other_link_owner(conn: Conn, spotify_user_id: str, user_id: int) -> int | None:
    """Another chat user, on any platform, whose link is this Spotify account.

    Call it in the transaction that saves the link: it takes a transaction-level lock on
    the Spotify id, so two chat users linking one account at the same moment cannot both
    pass the check.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", spotify_user_id)
    owner: int | None = await conn.fetchval(
        """
        SELECT user_id FROM spotify_links
        WHERE spotify_user_id = $1 AND status IN ('active', 'unreadable') AND user_id <> $2
        LIMIT 1
        """,
        spotify_user_id,
        user_id,
    )
    return owner


async def get_link(conn: Conn, user_id: int) -> LinkRow | None:
    """The user's link, or None."""
    row = await conn.fetchrow(
        """
        SELECT l.*, u.platform FROM spotify_links l JOIN chat_users u ON u.id = l.user_id
        WHERE l.user_id = $1
        """,
        user_id,
    )
    if row is None:
        return None
    return LinkRow(
        row["user_id"],
        row["spotify_user_id"],
        row["display_name"],
        None if row["access_token"] is None else bytes(row["access_token"]),
        None if row["refresh_token"] is None else bytes(row["refresh_token"]),
        row["token_expires_at"],
        row["status"],
        row["notify_chat_id"],
        row["platform"],
        row["last_synced_at"],
        row["scope"] or "",
    )


async def update_tokens(
    conn: Conn, user_id: int, access_token: bytes, refresh_token: bytes | None, expires_at: datetime
) -> None:
    """Store refreshed (encrypted) tokens."""
    await conn.execute(
        """
        UPDATE spotify_links SET access_token = $2,
            refresh_token = COALESCE($3, refresh_token), token_expires_at = $4
        WHERE user_id = $1
        """,
        user_id,
        access_token,
        refresh_token,
        expires_at,
    )


async def revoke_link(conn: Conn, user_id: int) -> None:
    """Mark the link revoked and delete its tokens (Spotify no longer honours them)."""
    await conn.execute(
        """
        UPDATE spotify_links SET status = 'revoked', access_token = NULL, refresh_token = NULL,
            token_expires_at = NULL
        WHERE user_id = $1
        """,
        user_id,
    )


async def mark_unreadable(conn: Conn, user_id: int) -> bool:
    """Mark an active link whose tokens no longer decrypt; True only the first time."""
    marked = await conn.fetchval(
        """UPDATE spotify_links SET status = 'unreadable'
        WHERE user_id = $1 AND status = 'active' RETURNING user_id""",
        user_id,
    )
    return marked is not None


async def links_with_tokens(conn: Conn) -> list[int]:
    """Users whose link holds encrypted tokens (active or unreadable), for key rotation."""
    rows = await conn.fetch(
        """SELECT user_id FROM spotify_links
        WHERE access_token IS NOT NULL AND status IN ('active', 'unreadable') ORDER BY user_id"""
    )
    return [row["user_id"] for row in rows]


async def lock_link_tokens(conn: asyncpg.Connection, user_id: int) -> asyncpg.Record | None:
    """The link's encrypted tokens and status, locked until the transaction ends."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT access_token, refresh_token, status FROM spotify_links
        WHERE user_id = $1 AND access_token IS NOT NULL FOR UPDATE""",
        user_id,
    )
    return row


async def replace_link_tokens(
    conn: Conn, user_id: int, access_token: bytes, refresh_token: bytes | None
) -> None:
    """Store re-encrypted tokens; a link that was unreadable becomes active again."""
    await conn.execute(
        """UPDATE spotify_links SET access_token = $2, refresh_token = $3, status = 'active'
        WHERE user_id = $1""",
        user_id,
        access_token,
        refresh_token,
    )


async def pending_verifiers(conn: Conn) -> list[tuple[bytes, bytes]]:
    """(state hash, encrypted verifier) of unused, unexpired OAuth states."""
    rows = await conn.fetch(
        "SELECT state_hash, code_verifier FROM oauth_states "
        "WHERE used_at IS NULL AND expires_at > now()"
    )
    return [(bytes(row["state_hash"]), bytes(row["code_verifier"])) for row in rows]


async def replace_verifier(conn: Conn, state_hash: bytes, code_verifier: bytes | None) -> None:
    """Store a re-encrypted verifier, or (None) drop a state whose verifier is unreadable."""
    if code_verifier is None:
        await conn.execute("DELETE FROM oauth_states WHERE state_hash = $1", state_hash)
        return
    await conn.execute(
        "UPDATE oauth_states SET code_verifier = $2 WHERE state_hash = $1",
        state_hash,
        code_verifier,
    )


async def lock_active_link(conn: asyncpg.Connection, user_id: int) -> bool:
    """Whether the link is still active, holding it (FOR SHARE) until the transaction ends.

    A sync writes each page under this lock, so an unlink or forget-me running meanwhile waits
    for the page and then deletes it too, instead of the sync re-creating entries after it.
    """
    found = await conn.fetchval(
        "SELECT 1 FROM spotify_links WHERE user_id = $1 AND status = 'active' FOR SHARE",
        user_id,
    )
    return found is not None


async def mark_synced(conn: Conn, user_id: int) -> None:
    """Note a finished library sync."""
    await conn.execute(
        "UPDATE spotify_links SET last_synced_at = now() WHERE user_id = $1", user_id
    )


async def links_due_for_sync(conn: Conn, older_than_s: float) -> list[int]:
    """Active links not synced for `older_than_s` seconds."""
    rows = await conn.fetch(
        """
        SELECT user_id FROM spotify_links
        WHERE status = 'active'
          AND coalesce(last_synced_at, linked_at) < now() - make_interval(secs => $1)
        """,
        older_than_s,
    )
    return [row["user_id"] for row in rows]
