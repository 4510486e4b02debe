"""A photo whose process stopped while answering it (killed by memory, say) is not decoded
again in full by each process that takes the update over: it is read under a cautious budget,
and what does not fit is refused with a sentence, so the row is answered instead of replayed."""

from __future__ import annotations

import asyncio
import base64
import io

from PIL import Image

from db.inbox import InboxItem
from db.pool import Database
from handlers.inbox import DurableInbox
from handlers.pipeline import TAKEOVER_DECODE_BYTES, Pipeline
from handlers.texts import rejection_text
from handlers.throttle import VisionGate
from recsys.image_intake import ImageLimits, ImageRejected, PreparedImage, Rejection


def png(width: int, height: int) -> bytes:
    """An RGBA PNG of one colour (a small file, a large decoded frame)."""
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (20, 80, 200, 255)).save(out, "PNG")
    return out.getvalue()


# 4000 x 4000 RGBA decodes to 64 MB: within the usual budget, above the takeover one.
HEAVY = png(4000, 4000)
LIGHT = png(800, 600)


def pipeline() -> Pipeline:
    """The real intake path (no captioner or recommender is reached by `prepare`)."""
    return Pipeline(None, None, ImageLimits(), VisionGate(1, 1))  # type: ignore[arg-type]


async def replayed_prepare(db: Database, photo: bytes) -> list[PreparedImage] | ImageRejected:
    """Store an update holding `photo`, let its process "die", and have another process's
    inbox take it over; what intake made of the photo during the replay."""
    dead = DurableInbox(db, "telegram", "dead:1", lease_s=0.2)
    await dead.accept("42", {"photo": base64.b64encode(photo).decode()})
    await asyncio.sleep(0.5)  # the dead process renews nothing
    outcome: list[list[PreparedImage] | ImageRejected] = []

    async def replay(item: InboxItem) -> None:
        try:
            outcome.append(await pipeline().prepare([base64.b64decode(item.payload["photo"])]))
        except ImageRejected as err:
            outcome.append(err)

    assert await DurableInbox(db, "telegram", "next:1").tick(replay) == 1
    return outcome[0]


def test_the_heavy_photo_is_over_the_takeover_budget_only() -> None:
    heavy_frame = 4000 * 4000 * 4
    assert TAKEOVER_DECODE_BYTES < heavy_frame < ImageLimits().decode_bytes


async def test_a_heavy_photo_is_answered_normally_the_first_time() -> None:
    (prepared,) = await pipeline().prepare([HEAVY])
    assert prepared.width == 1024


async def test_a_taken_over_heavy_photo_is_refused_with_a_sentence(db: Database) -> None:
    refused = await replayed_prepare(db, HEAVY)
    assert isinstance(refused, ImageRejected)
    assert refused.reason is Rejection.INTERRUPTED
    assert rejection_text("en", refused) == (
        "That image was being read when MelodicLens stopped, so it is not tried again. "
        "Please send a smaller photo, or the same one as a JPEG."
    )


async def test_a_taken_over_light_photo_is_answered(db: Database) -> None:
    prepared = await replayed_prepare(db, LIGHT)
    assert not isinstance(prepared, ImageRejected)
    assert prepared[0].width == 800
