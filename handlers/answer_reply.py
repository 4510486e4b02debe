"""An answer as the listener sees it: stored (for its buttons), worded in their language,
with its buttons."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from db import recommendations
from db.pool import Database
from handlers.pipeline import PipelineResult
from handlers.press import button_action, new_press_token
from handlers.replies import Button, ChatContext, Reply
from handlers.texts import (
    SAVE_BUTTON,
    answer_text,
    button_label,
    mood_line_text,
    notice_text,
    say,
    worded,
)
from recsys.models import caption_to_json
from recsys.recommender import RecommendRequest


async def answer_reply(
    db: Database,
    ctx: ChatContext,
    user_id: int,
    result: PipelineResult,
    *,
    can_save: bool,
    origin: recommendations.Origin | None = None,
) -> Reply:
    """Store the recommendation (for its buttons) and turn it into an answer Reply; the save
    button only when `can_save` (Spotify linking is set up)."""
    recommendation, request, color = result.recommendation, result.request, result.color
    rec_id = await recommendations.store_recommendation(
        db.pool,
        user_id=user_id,
        platform=ctx.platform,
        chat_id=ctx.chat_id,
        query=_query_json(request, color),
        mood={
            "line": mood_line_text("en", recommendation.line),
            "traits": recommendation.traits.as_dict(),
        },
        picks=[(t.track_id, t.score) for t in recommendation.tracks],
        image_hashes=result.image_hashes,
        press_token=(token := new_press_token()),
        origin=origin,
    )
    recommendation = worded(replace(recommendation, recommendation_id=rec_id), ctx.lang)
    return Reply(
        "answer",
        answer_text(ctx.lang, recommendation),
        recommendation=recommendation,
        buttons=_buttons(ctx.lang, rec_id, token, can_save=can_save),
        color=color,
        notice=notice_text(ctx.lang, recommendation.notice),
    )


def _buttons(lang: str, rec_id: int, token: str, can_save: bool) -> tuple[Button, ...]:
    verbs = ("up", "down", "more", "diff", "calm", "lively", *(("save",) if can_save else ()))
    return tuple(Button(_label(lang, verb), button_action(verb, rec_id, token)) for verb in verbs)


def _label(lang: str, verb: str) -> str:
    return say(lang, SAVE_BUTTON) if verb == "save" else button_label(lang, verb)


def _query_json(request: RecommendRequest, color: int | None) -> dict[str, Any]:
    # No library owners: a press is answered from the presser's libraries, not these.
    return {
        "caption": caption_to_json(request.caption) if request.caption else None,
        "words": request.words,
        "color": color,
        "shifts": list(request.shifts),
    }
