"""The recommender on a real database: mood leads, words steer, answers stay varied and real."""

from __future__ import annotations

from dataclasses import replace
from statistics import fmean

import pytest

from db import recommendations, users
from db.pool import Database
from handlers.texts import notice_text, worded
from recsys.models import AudioTraits, Caption, Notice
from recsys.recommender import NothingToMatch, Recommender, RecommendRequest

pytestmark = pytest.mark.asyncio(loop_scope="session")


def caption(description: str, valence: float, energy: float, *words: str) -> Caption:
    return Caption(
        description=description,
        mood_words=words,
        traits=AudioTraits(valence=valence, energy=energy),
        source="vision",
        model="test-model",
    )


SAD = caption("A lonely figure at a rainy window, grey light.", 0.12, 0.18, "lonely", "gloomy")
PARTY = caption("Friends dancing at a birthday party, confetti.", 0.92, 0.93, "joyful", "wild")
CALM = caption("A misty lake at dawn, still water, pines.", 0.62, 0.15, "misty", "serene")


async def test_sad_photo_gets_sad_quiet_songs(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    rec = await recommender.recommend(RecommendRequest(caption=SAD, top=5))
    assert fmean(t.valence for t in rec.tracks if t.valence is not None) < 0.35
    assert fmean(t.energy for t in rec.tracks if t.energy is not None) < 0.35


async def test_party_photo_gets_loud_danceable_songs(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    rec = await recommender.recommend(RecommendRequest(caption=PARTY, top=5))
    titles = {t.title for t in rec.tracks}
    assert {"Confetti Cannon", "Dancefloor Sunrise", "Birthday Bass Drop"} & titles
    assert fmean(t.energy for t in rec.tracks if t.energy is not None) > 0.75


async def test_calm_nature_gets_calm_songs(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    rec = await recommender.recommend(RecommendRequest(caption=CALM, top=3))
    assert all(t.energy is not None and t.energy < 0.3 for t in rec.tracks)
    reason = worded(rec, "en").tracks[0].reason
    assert reason  # every track says why
    assert "lake" in reason or "misty" in reason


async def test_answer_shape_links_tags_no_repeats(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    rec = await recommender.recommend(RecommendRequest(caption=SAD, top=8))
    known_ids = set(catalog.values())
    artists = [a for t in rec.tracks for a in t.artists]
    assert len(artists) == len(set(artists)), "one artist appears twice"
    assert len({t.spotify_id for t in rec.tracks}) == len(rec.tracks)
    for track in rec.tracks:
        assert track.track_id in known_ids
        assert track.url == f"https://open.spotify.com/track/{track.spotify_id}"
        assert 2 <= len(track.tags) <= 3
    assert worded(rec, "en").mood_line.startswith(("Lonely", "Gloomy"))


async def test_words_alone_work_and_steer(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    plain = await recommender.recommend(RecommendRequest(caption=SAD, top=5))
    upbeat = await recommender.recommend(RecommendRequest(caption=SAD, words="more upbeat", top=5))
    assert fmean(t.valence or 0 for t in upbeat.tracks) > fmean(
        t.valence or 0 for t in plain.tracks
    )
    party = await recommender.recommend(RecommendRequest(words="a wild dance party", top=3))
    assert fmean(t.energy or 0 for t in party.tracks) > 0.75


async def test_no_sad_songs_excludes_low_valence(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    rec = await recommender.recommend(RecommendRequest(caption=SAD, words="no sad songs", top=5))
    assert all(t.valence is None or t.valence >= 0.33 for t in rec.tracks)


async def test_instrumental_request_moves_the_answer(
    catalog: dict[str, int], recommender: Recommender, database: Database
) -> None:
    rec = await recommender.recommend(
        RecommendRequest(caption=SAD, words="instrumental please", top=3)
    )
    ids = [t.track_id for t in rec.tracks]
    rows = await database.pool.fetch(
        "SELECT instrumentalness FROM tracks WHERE id = ANY($1::bigint[])", ids
    )
    assert fmean(r["instrumentalness"] for r in rows) > 0.5


async def test_library_songs_come_first_with_playlist_named(
    catalog: dict[str, int], recommender: Recommender, database: Database
) -> None:
    user_id = await users.upsert_user(database.pool, "telegram", "lib-listener")
    await database.pool.execute(
        """
        INSERT INTO library_entries (user_id, track_id, playlist_id, playlist_name, origin)
        VALUES ($1, $2, 'pl1', 'rainy days', 'playlist')
        """,
        user_id,
        catalog["Grey Letters Home"],
    )
    asked = RecommendRequest(caption=SAD, user_ids=(user_id,), feedback_user_id=user_id, top=5)
    rec = await recommender.recommend(replace(asked, name_playlists=True))  # a private chat
    assert rec.tracks[0].title == "Grey Letters Home"
    assert worded(rec, "en").tracks[0].reason.startswith("from your playlist 'rainy days'")
    in_a_group = await recommender.recommend(asked)  # others read it: the name stays private
    assert worded(in_a_group, "en").tracks[0].reason.startswith("from your library")
    assert "rainy days" not in repr(in_a_group.tracks[0].why)


async def test_thumbs_down_track_never_returns(
    catalog: dict[str, int], recommender: Recommender, database: Database
) -> None:
    user_id = await users.upsert_user(database.pool, "telegram", "picky")
    first = await recommender.recommend(RecommendRequest(caption=PARTY, feedback_user_id=user_id))
    rec_id = await recommendations.store_recommendation(
        database.pool,
        user_id=user_id,
        platform="telegram",
        chat_id="1",
        query={},
        mood={},
        picks=[(t.track_id, t.score) for t in first.tracks],
    )
    await recommendations.add_feedback(database.pool, rec_id, user_id, "down")
    again = await recommender.recommend(RecommendRequest(caption=PARTY, feedback_user_id=user_id))
    assert not {t.track_id for t in first.tracks} & {t.track_id for t in again.tracks}
    other = await recommender.recommend(RecommendRequest(caption=PARTY))
    assert {t.track_id for t in first.tracks} & {t.track_id for t in other.tracks}


async def test_nothing_to_match_is_refused(recommender: Recommender) -> None:
    with pytest.raises(NothingToMatch):
        await recommender.recommend(RecommendRequest(words="   "))


async def test_image_stats_caption_carries_the_notice(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    pixels = Caption("", ("dark",), (), AudioTraits(valence=0.3, energy=0.3), source="image-stats")
    rec = await recommender.recommend(RecommendRequest(caption=pixels, top=3))
    assert not rec.vision_used
    assert rec.notice is Notice.VISION_NOT_READ
    assert "not read by the vision model" in (notice_text("en", rec.notice) or "")


async def test_words_in_another_language_carry_the_notice(
    catalog: dict[str, int], recommender: Recommender
) -> None:
    with_photo = await recommender.recommend(
        RecommendRequest(caption=SAD, words="una noche lluviosa y muy triste", top=3)
    )
    assert with_photo.notice is Notice.FOREIGN_WORDS
    assert "the photo led" in (notice_text("en", with_photo.notice) or "")
    words_only = await recommender.recommend(
        RecommendRequest(words="eine regnerische Nacht, etwas Ruhiges", top=3)
    )
    assert words_only.notice is Notice.FOREIGN_WORDS_ONLY
    assert "photo" not in (notice_text("en", words_only.notice) or "")
    english = await recommender.recommend(
        RecommendRequest(caption=SAD, words="rainy night drive", top=3)
    )
    assert english.notice is None
