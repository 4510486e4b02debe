"""The platform-neutral handlers end to end: real database, real models, a fake Ollama over HTTP."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.app import build_bot_service, build_pipeline
from bot.settings import Settings, load_settings
from db import spotify_links, users
from db.pool import Database
from handlers.notifier import LogNotifier
from handlers.replies import ChatContext, ImageInput, Reply, VibeAsk
from handlers.service import DefaultBotService
from handlers.texts import SORRY
from recsys.embedder import Embedder
from support.fakes.fake_ollama import STRUCTURED_ANSWERS, FakeOllama, closed_port_url
from tests.test_faults_database import unreachable_pool

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALICE = ChatContext("telegram", "1001", "1001", "alice")
BOB = ChatContext("telegram", "1002", "1002", "bob")


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (96, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


PARTY_PHOTO = jpeg((250, 40, 160))
LAKE_PHOTO = jpeg((120, 140, 150))


def settings_for(ollama_url: str, **overrides: object) -> Settings:
    return load_settings(None, OLLAMA_HOST=ollama_url, MELODICLENS_VISION_TIMEOUT_S=3, **overrides)


def handlers_for(settings: Settings, database: Database, embedder: Embedder) -> DefaultBotService:
    pipeline = build_pipeline(settings, database, embedder)
    return build_bot_service(settings, database, pipeline, LogNotifier())


async def test_photo_gets_party_songs_with_buttons(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    fake_ollama.queue(STRUCTURED_ANSWERS["party"])
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    reply = await service.vibe(ALICE, VibeAsk((ImageInput(PARTY_PHOTO),)))
    assert reply.kind == "answer", reply.text
    rec = reply.recommendation
    assert rec is not None and rec.vision_used and rec.recommendation_id
    assert rec.tracks[0].url.startswith("https://open.spotify.com/track/")
    assert sum(t.energy or 0 for t in rec.tracks) / len(rec.tracks) > 0.7
    # each button names the answer and carries the answer's secret token
    token = await database.pool.fetchval(
        "SELECT press_token FROM recommendations WHERE id = $1", rec.recommendation_id
    )
    assert token and len(token) >= 22
    assert [b.action for b in reply.buttons] == [
        f"{kind}:{rec.recommendation_id}-{token}"
        for kind in ("up", "down", "more", "diff", "calm", "lively")
    ]
    assert reply.color is not None and reply.color >> 16 > 0xC0  # the photo's pink-red
    assert len(fake_ollama.chat_requests) == 1


async def test_repeat_photo_is_answered_from_the_caption_cache(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    fake_ollama.queue(STRUCTURED_ANSWERS["misty_lake"])
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    same_photo = VibeAsk((ImageInput(LAKE_PHOTO),))
    first = await service.vibe(ALICE, same_photo)
    second = await service.vibe(BOB, same_photo)
    assert first.kind == second.kind == "answer"
    assert len(fake_ollama.chat_requests) == 1


async def test_vision_down_still_answers_and_says_so(
    catalog: dict[str, int], database: Database, embedder: Embedder
) -> None:
    service = handlers_for(settings_for(closed_port_url()), database, embedder)
    reply = await service.vibe(
        ALICE, VibeAsk((ImageInput(jpeg((20, 20, 30))),), "rainy and lonely")
    )
    assert reply.kind == "answer"
    assert reply.recommendation is not None and not reply.recommendation.vision_used
    assert "not read by the vision model" in reply.text


async def test_slow_vision_never_hangs_past_the_timeout(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    fake_ollama.delay_s = 10
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply = await service.vibe(ALICE, VibeAsk((ImageInput(jpeg((200, 180, 60))),)))
    assert loop.time() - started < 3 + 5  # the 3 s timeout, plus the answer itself
    assert reply.kind == "answer" and "not read by the vision model" in reply.text


async def test_not_an_image_gets_a_clear_sentence(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    reply = await service.vibe(ALICE, VibeAsk((ImageInput(b"%PDF-1.7 not a photo"),)))
    assert reply.kind == "error"
    assert reply.text.startswith("That file is a PDF document, not a photo.")


async def test_rate_limit_answers_kindly(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    settings = settings_for(fake_ollama.url, MELODICLENS_RATE_LIMIT_PER_MINUTE=2)
    service = handlers_for(settings, database, embedder)
    replies = [await service.vibe(BOB, VibeAsk(words="sunny beach day")) for _ in range(3)]
    assert [r.kind for r in replies] == ["answer", "answer", "error"]
    assert "faster than I can listen" in replies[2].text
    assert (await service.vibe(ALICE, VibeAsk(words="sunny beach day"))).kind == "answer"


async def test_waiting_photos_are_told_their_place_in_line(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    fake_ollama.delay_s = 0.5
    settings = settings_for(fake_ollama.url, MELODICLENS_VISION_CONCURRENCY=1)
    service = handlers_for(settings, database, embedder)
    places: list[int] = []

    async def noted(place: int) -> None:
        places.append(place)

    photos = [jpeg((10 * i, 100, 200)) for i in range(3)]
    users = [ChatContext("telegram", f"q{i}", f"q{i}") for i in range(3)]
    replies = await asyncio.gather(
        *(
            service.vibe(u, VibeAsk((ImageInput(p),)), on_queued=noted)
            for u, p in zip(users, photos, strict=True)
        )
    )
    assert all(r.kind == "answer" for r in replies)
    assert sorted(places) == [1, 2]


async def test_a_full_vision_line_turns_the_next_photo_away_kindly(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    fake_ollama.delay_s = 0.5
    settings = settings_for(
        fake_ollama.url, MELODICLENS_VISION_CONCURRENCY=1, MELODICLENS_QUEUE_LIMIT=1
    )
    service = handlers_for(settings, database, embedder)
    photos = [jpeg((10 * i, 200, 100)) for i in range(3)]
    users = [ChatContext("telegram", f"full{i}", f"full{i}") for i in range(3)]
    replies = await asyncio.gather(
        *(service.vibe(u, VibeAsk((ImageInput(p),))) for u, p in zip(users, photos, strict=True))
    )
    kinds = sorted(reply.kind for reply in replies)
    assert kinds == ["answer", "answer", "error"], "one at the model, one in line, one away"
    (refused,) = [reply for reply in replies if reply.kind == "error"]
    assert refused.text == SORRY["busy"]
    assert len(fake_ollama.chat_requests) == 2


async def test_thumbs_down_then_more_like_this(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    carol = ChatContext("discord", "c1", "c1")
    first = await service.vibe(carol, VibeAsk(words="dance party with friends"))
    assert first.recommendation is not None
    rec_id = first.recommendation.recommendation_id
    shown = {t.track_id for t in first.recommendation.tracks}
    assert rec_id is not None
    down = await service.press(carol, first.buttons[1].action)
    assert down.kind == "info"
    again = await service.vibe(carol, VibeAsk(words="dance party with friends"))
    assert again.recommendation is not None
    assert not shown & {t.track_id for t in again.recommendation.tracks}
    more = await service.press(carol, again.buttons[2].action)
    assert more.kind == "answer" and more.recommendation is not None
    assert not {t.track_id for t in again.recommendation.tracks} & {
        t.track_id for t in more.recommendation.tracks
    }


async def test_stale_button_and_database_down_are_friendly(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    assert (await service.press(ALICE, "more:999999")).text.startswith("That answer is no")
    assert (await service.press(ALICE, "bogus")).kind == "error"
    down_pool = await unreachable_pool()
    down = DefaultBotService(service.config, replace(database, pool=down_pool), service.pipeline)
    reply = await down.vibe(ALICE, VibeAsk(words="sunny"))
    assert reply.kind == "error"
    assert reply.text == "I can't reach my music library right now. Please try again in a minute."


# --- issue 10: presses are authorized, and answered for the presser --------------------------

GROUP = "-4200"


async def _feedback_count(database: Database, rec_id: int) -> int:
    count: int = await database.pool.fetchval(
        "SELECT count(*) FROM feedback WHERE recommendation_id = $1", rec_id
    )
    return count


async def test_a_press_needs_its_answers_token_and_chat(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    dana = ChatContext("telegram", "3001", "3001", "dana")
    first = await service.vibe(dana, VibeAsk(words="rainy lonely evening"))
    assert first.recommendation is not None and first.recommendation.recommendation_id
    rec_id = first.recommendation.recommendation_id
    more = first.buttons[2].action
    eve = ChatContext("telegram", "3002", "3002", "eve")
    # ids count up from 1: a bare id, a guessed token, or the real button from another chat
    for ctx, action in (
        (eve, f"more:{rec_id}"),
        (eve, f"more:{rec_id}-{'A' * 22}"),
        (eve, more),
        (dana, f"more:{rec_id}-{'A' * 22}"),
    ):
        refused = await service.press(ctx, action)
        assert refused.kind == "error" and refused.text == SORRY["stale_button"], action
    assert await _feedback_count(database, rec_id) == 0
    assert (await service.press(dana, more)).kind == "answer"


async def test_someone_elses_press_is_answered_from_their_library_not_the_askers(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    fay = ChatContext("telegram", "3101", GROUP, "fay", is_group=True)
    gus = ChatContext("telegram", "3102", GROUP, "gus", is_group=True)
    fay_id = await users.upsert_user(database.pool, "telegram", fay.user_id, fay.user_name)
    # Fay's private playlist holds every catalog song: any answer from it names the playlist
    await database.pool.execute(
        """INSERT INTO library_entries (user_id, track_id, playlist_id, playlist_name, origin)
        SELECT $1, id, 'fay-private', 'Fay secret mix', 'playlist' FROM tracks""",
        fay_id,
    )
    first = await service.vibe(fay, VibeAsk(words="dance party with friends"))
    assert first.recommendation is not None
    # in a group everyone reads her answer: her songs are hers, the playlist's name unsaid
    assert all(t.reason.startswith("from your library") for t in first.recommendation.tracks)
    assert "Fay secret mix" not in first.text
    rec_id = first.recommendation.recommendation_id
    assert rec_id is not None
    # Gus, in the same group, presses her buttons: his thumbs, his (empty) library
    more = await service.press(gus, first.buttons[2].action)
    assert more.kind == "answer" and more.recommendation is not None
    assert not [t for t in more.recommendation.tracks if "library" in t.reason]
    assert "Fay secret mix" not in more.text
    assert (await service.press(gus, first.buttons[1].action)).kind == "info"
    markers = await database.pool.fetch(
        "SELECT u.platform_user_id FROM feedback f JOIN chat_users u ON u.id = f.user_id "
        "WHERE f.recommendation_id = $1",
        rec_id,
    )
    assert {m["platform_user_id"] for m in markers} == {gus.user_id}


async def test_a_blended_members_playlist_names_stay_hers(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    hana = ChatContext("telegram", "3201", "-3200", "hana", is_group=True)
    ivo = ChatContext("telegram", "3202", "-3200", "ivo", is_group=True)
    hana_id = await users.upsert_user(database.pool, "telegram", hana.user_id, hana.user_name)
    phishing = "[Verify your account](https://evil.example)"
    await database.pool.execute(
        """INSERT INTO library_entries (user_id, track_id, playlist_id, playlist_name, origin)
        SELECT $1, id, 'hana-private', $2, 'playlist' FROM tracks""",
        hana_id,
        phishing,
    )
    await users.note_member(database.pool, "telegram", hana.chat_id, hana_id)
    expires = datetime.now(UTC) + timedelta(hours=1)
    await spotify_links.save_link(
        database.pool, hana_id, "hana", "Hana", b"sealed", None, expires, "", None
    )
    await users.set_blend(database.pool, "telegram", hana.chat_id, hana_id, True)
    answer = await service.vibe(ivo, VibeAsk(words="dance party with friends"))
    assert answer.recommendation is not None
    reasons = [t.reason for t in answer.recommendation.tracks]
    assert reasons and all(r.startswith("from a member's library") for r in reasons), reasons
    assert "Verify" not in answer.text and "evil.example" not in answer.text


async def test_presses_and_link_requests_count_against_the_rate_limit(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    settings = settings_for(fake_ollama.url, MELODICLENS_RATE_LIMIT_PER_MINUTE=2)
    service = handlers_for(settings, database, embedder)
    hal = ChatContext("telegram", "3201", "3201", "hal")
    first = await service.vibe(hal, VibeAsk(words="calm morning coffee"))
    assert first.kind == "answer"
    assert (await service.press(hal, first.buttons[0].action)).kind == "info"
    limited = await service.press(hal, first.buttons[1].action)
    assert limited.kind == "error" and "try again in" in limited.text
    linking = await service.link_spotify(hal)
    assert linking.kind == "error" and "try again in" in linking.text
    ivy = ChatContext("telegram", "3202", "3202", "ivy")
    for _ in range(3):
        await service.link_spotify(ivy)
    assert "try again in" in (await service.link_spotify(ivy)).text


async def test_different_vibe_calmer_and_more_energy_step_the_mood(
    catalog: dict[str, int], database: Database, embedder: Embedder, fake_ollama: FakeOllama
) -> None:
    service = handlers_for(settings_for(fake_ollama.url), database, embedder)
    eve = ChatContext("telegram", "e1", "e1", "eve")
    fake_ollama.queue(STRUCTURED_ANSWERS["party"])
    party = await service.vibe(eve, VibeAsk((ImageInput(jpeg((245, 30, 170), (90, 70))),)))
    assert party.recommendation is not None

    def button(reply: Reply, verb: str) -> str:
        return next(b.action for b in reply.buttons if b.action.startswith(f"{verb}:"))

    calmer = await service.press(eve, button(party, "calm"))
    assert calmer.kind == "answer" and calmer.recommendation is not None
    assert calmer.recommendation.mood_line.startswith("A calmer take: ")
    energy = [t.energy for t in calmer.recommendation.tracks if t.energy is not None]
    party_energy = [t.energy for t in party.recommendation.tracks if t.energy is not None]
    assert sum(energy) / len(energy) < sum(party_energy) / len(party_energy)

    moodier = await service.press(eve, button(party, "diff"))
    assert moodier.recommendation is not None
    assert moodier.recommendation.mood_line.startswith("A moodier take: ")
    # Steps add up: more energy on the moodier answer keeps it moodier, and says the last step.
    livelier = await service.press(eve, button(moodier, "lively"))
    assert livelier.recommendation is not None
    assert livelier.recommendation.mood_line.startswith("A take with more energy: ")
    stored = await database.pool.fetchval(
        "SELECT query->'shifts' FROM recommendations WHERE id = $1",
        livelier.recommendation.recommendation_id,
    )
    assert stored == ["different", "more_energy"]
    assert livelier.recommendation.traits.valence == moodier.recommendation.traits.valence
