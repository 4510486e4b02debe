"""The durable chat inbox, platform-neutral: an update is stored before the platform is told
it arrived, its lease is renewed while it is answered, and a process that starts (or keeps
running) answers updates whose process died. The lease is db/lease.py's, as for jobs."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field, replace
from typing import Any

from db import inbox
from db.inbox import InboxItem
from db.pool import Database
from handlers.backoff import Backoff, Outage
from handlers.secrets import SecretUnreadable, TokenCipher
from handlers.takeover import TAKEN_OVER

log = logging.getLogger(__name__)

# An update not heard from for this long is taken as abandoned (its process died) and answered
# by another; renewals every third of it keep a slow answer (a long vision queue) ours.
INBOX_LEASE_S = 30.0
# How often leases are renewed and abandoned updates looked for.
INBOX_TICK_S = INBOX_LEASE_S / 3
# An update that was taken over this many times is crashing its process: give up on it.
INBOX_MAX_ATTEMPTS = 3
# Answered rows stay (payload wiped) this long, so a late redelivery is recognised and dropped.
INBOX_KEEP_DONE_S = 86_400.0
# Abandoned updates taken over per tick; the rest follow on the next ticks.
INBOX_CLAIM_BATCH = 50

Replay = Callable[[InboxItem], Awaitable[None]]


@dataclass(eq=False)
class DurableInbox:
    """One platform's inbox as one process sees it."""

    db: Database
    platform: str
    worker_id: str
    _: KW_ONLY
    lease_s: float = INBOX_LEASE_S
    tick_s: float = INBOX_TICK_S
    # with a cipher, payloads (interaction tokens, signed attachment links) are stored
    # encrypted and read back only to be replayed
    cipher: TokenCipher | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    async def accept(
        self,
        update_key: str,
        payload: dict[str, Any],
        *,
        chat_id: str | None = None,
        user_id: str | None = None,
    ) -> int | None:
        """Store an update (raises when the database is down: do not acknowledge it then);
        None when it was stored before."""
        return await inbox.accept(
            self.db.pool,
            self.platform,
            update_key,
            seal(payload, self.cipher),
            worker_id=self.worker_id,
            lease_s=self.lease_s,
            chat_id=chat_id,
            user_id=user_id,
        )

    async def done(self, ids: list[int], failed: str | None = None) -> None:
        """The updates are answered (or failed for good); a database error is only logged,
        since at worst the update is answered once more after its lease lapses."""
        if not ids:
            return
        try:
            await inbox.finish(self.db.pool, ids, failed=failed)
        except Exception as err:
            log.warning("could not mark inbox rows %s answered: %s", ids, err)

    def stop(self) -> None:
        """End `maintain` after its current tick."""
        self._stop.set()

    async def maintain(self, replay: Replay) -> None:
        """Until stopped: renew our leases, replay abandoned updates, prune old rows. Survives
        database outages (logged, retried on the next tick)."""
        # The wait does not grow during an outage: once the database is back, our leases must
        # be renewed within a tick, before other processes take our updates over.
        steady, outage = Backoff(base_s=self.tick_s, cap_s=self.tick_s), Outage()
        while not self._stop.is_set():
            wait = self.tick_s
            try:
                await self.tick(replay)
            except Exception as err:  # the database is away; the next tick tries again
                wait = outage.failed(err, steady)
                outage.log_failure(log, f"{self.platform} inbox: database unavailable", wait)
            else:
                back = outage.recovered()
                outage.log_recovery(log, f"{self.platform} inbox: database back", back)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)

    async def tick(self, replay: Replay) -> int:
        """One round of upkeep; how many abandoned updates were taken over."""
        pool = self.db.pool
        await inbox.renew(pool, self.worker_id, self.lease_s)
        items = await inbox.claim_lapsed(
            pool, self.platform, self.worker_id, self.lease_s, INBOX_CLAIM_BATCH
        )
        for stored in items:
            item = unseal(stored, self.cipher)
            if item is None:
                log.error("%s inbox: update %s cannot be decrypted (the secret key changed)",
                          self.platform, stored.update_key)  # fmt: skip
                await inbox.finish(pool, [stored.id], failed="unreadable")
                continue
            if item.attempts > INBOX_MAX_ATTEMPTS:
                log.error("%s inbox: giving up on update %s after %d tries",
                          self.platform, item.update_key, item.attempts - 1)  # fmt: skip
                await inbox.finish(pool, [item.id], failed="too many tries")
                continue
            log.info("%s inbox: answering update %s left by a stopped process",
                     self.platform, item.update_key)  # fmt: skip
            token = TAKEN_OVER.set(True)  # its photos are read under the cautious budget
            try:
                await replay(item)
            finally:
                TAKEN_OVER.reset(token)
        await inbox.prune(pool, INBOX_KEEP_DONE_S)
        return len(items)


# The one key of a sealed payload: the Fernet token of the whole payload's JSON.
SEALED = "sealed"


def seal(payload: dict[str, Any], cipher: TokenCipher | None) -> dict[str, Any]:
    """The payload as stored: encrypted whole when there is a cipher, else as it is."""
    if cipher is None:
        return payload
    token = cipher.encrypt(json.dumps(payload))
    return {SEALED: base64.urlsafe_b64encode(token).decode()}


def unseal(item: InboxItem, cipher: TokenCipher | None) -> InboxItem | None:
    """The stored item with its payload readable again; None when no key opens it."""
    sealed = item.payload.get(SEALED)
    if not isinstance(sealed, str) or len(item.payload) != 1:
        return item  # stored before sealing, or without a cipher
    if cipher is None:
        return None
    try:
        payload = json.loads(cipher.decrypt(base64.urlsafe_b64decode(sealed)))
    except (SecretUnreadable, ValueError):
        return None
    return replace(item, payload=payload)
