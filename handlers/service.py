"""The chat use cases: `DefaultBotService`, the implementation of the protocol the chat
adapters call (`BotService`, handlers/bot_service.py), over the pipeline and accounts.

Built once in the composition root (bot/app.py, `build_bot_service`):
    DefaultBotService(config, db, pipeline, accounts)
where `pipeline` is a handlers.pipeline.Pipeline and `accounts` a
handlers.accounts.AccountHandler (or None when Spotify linking is not configured). An answer
is stored and worded by handlers/answer_reply.py; /auto and admin checks live in
handlers/group_settings.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from db import recommendations, users
from db.errors import DatabaseUnavailable
from db.pool import Database
from handlers.accounts import AccountHandler
from handlers.answer_reply import answer_reply
from handlers.bot_service import BotService
from handlers.forget_confirm import Confirmation, ask_to_forget, parse_confirmation, refusal_of
from handlers.group_settings import GroupSettings
from handlers.languages import LanguageChoices
from handlers.pipeline import Pipeline, PipelineResult, QueueNotice
from handlers.press import Press, may_use, parse_press
from handlers.replies import ChatContext, Platform, Reply, VibeAsk
from handlers.texts import SAID, SORRY, help_text, rejection_text, say
from handlers.throttle import Busy, RateLimiter
from recsys.image_intake import ImageRejected
from recsys.models import caption_from_json
from recsys.recommender import NothingToMatch, NoTracks, RecommendRequest

# BotService and QueueNotice stay importable from here (the fakes and older callers).
__all__ = ["BotService", "DefaultBotService", "QueueNotice", "ServiceConfig"]

log = logging.getLogger(__name__)

# The buttons that step to a neighbouring mood, and the step (recsys.mood_shift) each takes.
MOOD_STEPS = {"diff": "different", "calm": "calmer", "lively": "more_energy"}


@dataclass(frozen=True)
class ServiceConfig:
    """The settings the use cases need (bot/app.py builds it from Settings)."""

    top_n: int
    rate_limit_per_minute: int


class DefaultBotService:
    """The platform-neutral use cases; every user-caused failure becomes a friendly Reply."""

    def __init__(
        self,
        config: ServiceConfig,
        db: Database,
        pipeline: Pipeline,
        accounts: AccountHandler | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.pipeline = pipeline
        self.accounts = accounts
        # "Save as playlist" needs Spotify linking set up; without it the button is left out
        self._can_save = accounts is not None and accounts.linker is not None
        self.rate = RateLimiter(config.rate_limit_per_minute)
        self.languages = LanguageChoices(db)
        self.groups = GroupSettings(db)

    # --- songs for a photo ------------------------------------------------------------------
    def admit(self, ctx: ChatContext, photos: int = 0) -> Reply | None:
        """Count a request against the asker's rate limit before anything is downloaded (each
        photo of an album counts); the refusal to send when over it, else None."""
        ctx = self.languages.known(ctx)
        refusal = self._over_limit(ctx, cost=max(1, photos), sorry="rate")
        if refusal is not None:
            self.pipeline.metrics.count_answer(ctx.platform, "rate_limited")
        return refusal

    def _over_limit(
        self, ctx: ChatContext, cost: int = 1, sorry: str = "rate_other", private: bool = False
    ) -> Reply | None:
        """Count one request against the asker's limit; the refusal when over it, else None.
        Only the first refusal in a window is said: later ones are marked silent."""
        key = _rate_key(ctx)
        wait = self.rate.retry_after(key, cost=cost)
        if not wait:
            return None
        text = say(ctx.lang, SORRY[sorry], seconds=max(1, round(wait)))
        silent = not self.rate.first_refusal(key)
        return Reply("error", text, private=private, silent=silent)

    async def vibe(
        self, ctx: ChatContext, ask: VibeAsk, on_queued: QueueNotice | None = None
    ) -> Reply:
        """Songs for these photos (one soundtrack for the set) and/or these words."""
        ctx = await self.languages.resolve(ctx)
        if not ask.admitted and (refusal := self.admit(ctx, len(ask.images))) is not None:
            return refusal  # counted in the metrics by admit
        reply, outcome = await self._vibe_or_sorry(ctx, ask, on_queued)
        self.pipeline.metrics.count_answer(ctx.platform, outcome)
        return reply

    async def _vibe_or_sorry(
        self, ctx: ChatContext, ask: VibeAsk, on_queued: QueueNotice | None
    ) -> tuple[Reply, str]:
        """The reply and its outcome for the metrics: "answered" or why not."""
        try:
            return await self._vibe(ctx, ask, on_queued), "answered"
        except ImageRejected as err:
            log.info("refused an upload on %s: %s", ctx.platform, err)
            return Reply("error", rejection_text(ctx.lang, err)), "image_rejected"
        except NothingToMatch:
            return Reply("error", say(ctx.lang, SORRY["nothing"])), "nothing_to_match"
        except NoTracks:
            log.error("no tracks in the database: import a catalog (melodiclens catalog import)")
            return Reply("error", say(ctx.lang, SORRY["no_tracks"])), "no_tracks"
        except Busy as err:
            log.warning("vision queue full: %s", err)
            return Reply("error", say(ctx.lang, SORRY["busy"])), "busy"
        except DatabaseUnavailable as err:
            log.error("database unavailable while answering %s: %s", ctx.platform, err)
            return Reply("error", say(ctx.lang, SORRY["database"])), "database_down"
        except Exception:
            log.exception("unexpected failure while answering %s:%s", ctx.platform, ctx.user_id)
            return Reply("error", say(ctx.lang, SORRY["unexpected"])), "failed"

    async def _vibe(self, ctx: ChatContext, ask: VibeAsk, on_queued: QueueNotice | None) -> Reply:
        prepared = await self.pipeline.prepare([image.data for image in ask.images])
        user_id = await self._user(ctx)
        request = RecommendRequest(
            words=ask.words,  # cleaned by the pipeline (recsys.text_hygiene.clean_words)
            user_ids=await self._library_owners(ctx, user_id),
            feedback_user_id=user_id,
            top=self.config.top_n,
            name_playlists=not ctx.is_group,  # a group reads the answer: no playlist names
        )
        result = await self.pipeline.run(prepared, request, on_queued)
        return await answer_reply(self.db, ctx, user_id, result, can_save=self._can_save)

    async def _user(self, ctx: ChatContext) -> int:
        user_id = await users.upsert_user(self.db.pool, ctx.platform, ctx.user_id, ctx.user_name)
        if ctx.is_group:
            await users.note_member(self.db.pool, ctx.platform, ctx.chat_id, user_id)
        return user_id

    async def _library_owners(self, ctx: ChatContext, user_id: int) -> tuple[int, ...]:
        owners = [user_id]
        if ctx.is_group:
            blended = await users.blended_members(self.db.pool, ctx.platform, ctx.chat_id)
            owners += [member for member in blended if member != user_id]
        return tuple(owners)

    # --- buttons ----------------------------------------------------------------------------
    async def press(self, ctx: ChatContext, action: str) -> Reply:
        """A button press: "up|down|more|diff|calm|lively|save:<answer id>-<token>", or
        "forget|keep:<expiry>-<mac>" under /forget_me's question (see handlers/forget_confirm.py).

        It counts against the presser's rate limit, needs the answer's token and chat, and is
        answered for the presser: their thumbs, their library, never the asker's.
        """
        ctx = await self.languages.resolve(ctx)
        press = parse_press(action)
        confirmation = parse_confirmation(action) if press is None else None
        if press is None and confirmation is None:
            return Reply("error", say(ctx.lang, SORRY["stale_button"]))
        if (refusal := self._over_limit(ctx)) is not None:
            return refusal
        try:
            if press is not None:
                return await self._press(ctx, press)
            assert confirmation is not None
            return await self._confirmed(ctx, confirmation)
        except DatabaseUnavailable as err:
            log.error("database unavailable for a button press: %s", err)
            return Reply("error", say(ctx.lang, SORRY["database"]))
        except NoTracks:
            return Reply("error", say(ctx.lang, SORRY["no_tracks"]))
        except NothingToMatch:  # its words and photo were forgotten: nothing to go on
            return Reply("error", say(ctx.lang, SORRY["stale_button"]))
        except Exception:
            log.exception("unexpected failure on button %s", action.partition(":")[0])
            return Reply("error", say(ctx.lang, SORRY["unexpected"]))

    async def _press(self, ctx: ChatContext, press: Press) -> Reply:
        kind, rec_id = press.verb, press.recommendation_id
        stored = await recommendations.load_recommendation(self.db.pool, rec_id)
        if stored is None or not may_use(stored, press, ctx.platform, ctx.chat_id):
            log.info("refused a press on answer %s from %s", rec_id, ctx.platform)
            return Reply("error", say(ctx.lang, SORRY["stale_button"]))
        if kind == "save":  # into the presser's own Spotify account
            return await self._account("save_playlist", ctx, rec_id)
        user_id = await self._user(ctx)  # the presser, who may not be the asker
        await recommendations.add_feedback(
            self.db.pool, rec_id, user_id, "different" if kind in MOOD_STEPS else kind
        )
        if kind == "up":
            return Reply("info", say(ctx.lang, SAID["thumbs_up"]))
        if kind == "down":
            return Reply("info", say(ctx.lang, SAID["thumbs_down"]))
        shown = set(stored.track_ids) | await recommendations.shown_to_user(self.db.pool, user_id)
        query = stored.query
        caption_json = query.get("caption")
        request = RecommendRequest(
            caption=caption_from_json(caption_json) if caption_json else None,
            words=query.get("words", ""),
            user_ids=await self._library_owners(ctx, user_id),
            feedback_user_id=user_id,
            top=self.config.top_n,
            exclude_track_ids=frozenset(shown),
            variation=rec_id if kind in MOOD_STEPS else 0,
            # Each step starts from where the shown answer's mood was, so they add up.
            shifts=(*query.get("shifts", ()), *((MOOD_STEPS[kind],) if kind in MOOD_STEPS else ())),
            name_playlists=not ctx.is_group,
        )
        recommendation = await self.pipeline.recommend(request)
        # the new answer holds the asker's words and photos: forgetting them scrubs it
        again = PipelineResult(recommendation, request, query.get("color"), stored.image_hashes)
        origin = recommendations.Origin(stored.id, stored.words_owner)
        return await answer_reply(
            self.db, ctx, user_id, again, can_save=self._can_save, origin=origin
        )

    # --- accounts and chat settings -----------------------------------------------------------
    async def link_spotify(self, ctx: ChatContext) -> Reply:
        """Start linking a Spotify account (counts against the asker's rate limit)."""
        return await self._account_command("link_spotify", ctx)

    async def unlink_spotify(self, ctx: ChatContext) -> Reply:
        """Remove the Spotify link and the imported library."""
        return await self._account_command("unlink_spotify", ctx)

    async def forget_me(self, ctx: ChatContext) -> Reply:
        """Ask first (handlers/forget_confirm.py); a confirmed press deletes."""
        ctx = await self.languages.resolve(ctx)
        if (refusal := self._over_limit(ctx, private=True)) is not None:
            return refusal
        try:
            return await ask_to_forget(self.db, ctx)
        except DatabaseUnavailable as err:
            log.error("database unavailable for forget_me: %s", err)
            return Reply("error", say(ctx.lang, SORRY["database"]), private=True)

    async def _confirmed(self, ctx: ChatContext, confirmation: Confirmation) -> Reply:
        """A press on a /forget_me button: checked against the presser, then done."""
        refusal = await refusal_of(self.db, ctx, confirmation)
        if refusal is not None:
            return refusal
        self.languages.forget(ctx)
        return await self._account("forget_me", ctx)

    async def set_blend(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Let this member's library blend into the group's answers, or stop it."""
        return await self._account_command("set_blend", ctx, enabled)

    async def _account_command(self, name: str, ctx: ChatContext, *args: Any) -> Reply:
        """An account command, in the asker's language and counted against their rate limit
        (a refusal is said to them alone)."""
        ctx = await self.languages.resolve(ctx)
        if (refusal := self._over_limit(ctx, private=True)) is not None:
            return refusal
        return await self._account(name, ctx, *args)

    async def _account(self, name: str, ctx: ChatContext, *args: Any) -> Reply:
        if self.accounts is None:
            return Reply("error", say(ctx.lang, SORRY["no_spotify"]))
        try:
            reply: Reply = await getattr(self.accounts, name)(ctx, *args)
            return reply
        except DatabaseUnavailable as err:
            log.error("database unavailable for %s: %s", name, err)
            return Reply("error", say(ctx.lang, SORRY["database"]))
        except Exception:
            log.exception("unexpected failure in %s", name)
            return Reply("error", say(ctx.lang, SORRY["unexpected"]))

    async def set_auto(self, ctx: ChatContext, enabled: bool) -> Reply:
        """Answer every photo in this group, or only those that mention the bot."""
        ctx = await self.languages.resolve(ctx)
        if (refusal := self._over_limit(ctx)) is not None:
            return refusal
        return await self.groups.set_auto(ctx, enabled)

    async def auto_enabled(self, platform: Platform, chat_id: str) -> bool:
        """Whether this group or channel answers every photo (handlers/group_settings.py)."""
        return await self.groups.auto_enabled(platform, chat_id)

    def help(self, platform: Platform, ctx: ChatContext | None = None) -> Reply:
        """What the bot does and its commands, in the platform's spelling; with the asker's
        `ctx` (/help, /start), counted against their rate limit like any other command."""
        if ctx is not None and (refusal := self._over_limit(ctx)) is not None:
            return refusal
        lang = self.languages.known(ctx).lang if ctx is not None else "en"
        return Reply("info", help_text(lang, platform))

    def in_their_language(self, ctx: ChatContext) -> ChatContext:
        """`ctx` in the chosen language when it is in memory."""
        return self.languages.known(ctx)

    async def language(self, ctx: ChatContext, argument: str) -> Reply:
        """/language [CODE|auto] (handlers/languages.py), counted like any other command."""
        if (refusal := self._over_limit(self.languages.known(ctx), private=True)) is not None:
            return refusal
        return await self.languages.choose(ctx, argument)

    async def is_admin(self, ctx: ChatContext, check: Callable[[], Awaitable[bool]]) -> bool:
        """Whether the asker may switch this group's settings (remembered briefly)."""
        return await self.groups.is_admin(ctx, check)


def _rate_key(ctx: ChatContext) -> str:
    return f"{ctx.platform}:{ctx.user_id}"
