"""Save as playlist against the fake Spotify: the playlist holds exactly the answer's tracks in
order, private; an old link without the scope is sent to link again; 429 and 403 are handled."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from db import recommendations as answers
from db import spotify_links
from db.pool import Database
from db.users import find_user
from handlers.edge.spotify import SAVE_SCOPE, s256_challenge
from handlers.replies import ChatContext, Reply
from handlers.spotify import playlist_save
from recsys.embedder import Embedder
from support.catalog_fixture import load_catalog
from support.fakes.fake_spotify import READ_SCOPES, CreatedPlaylist, fictional_library
from support.fakes.spotify_world import World, listener_world

ALICE = ChatContext("discord", "42", "777", "alice")
BOB = ChatContext("telegram", "99", "99", "bob")
# The answer's order on purpose differs from the catalog's, so order is really checked.
ANSWER_TITLES = [
    "Piano For No One",
    "Misty Lake Morning",
    "Rainy Window Lament",
    "Lonely Lantern",
    "Pine Needle Drift",
]


@pytest.fixture
async def world(db: Database, embedder: Embedder, tmp_path: Path) -> AsyncIterator[World]:
    await load_catalog(db, embedder, tmp_path)
    async with listener_world(db, embedder, fictional_library("Robin", sizes=(3,))) as world:
        yield world


async def an_answer(world: World, user_id: int | None, titles: list[str]) -> tuple[int, list[str]]:
    """A stored answer with these catalog tracks in this order; (its id, their Spotify ids)."""
    rows = await world.db.pool.fetch(
        "SELECT id, title, spotify_id FROM tracks WHERE title = ANY($1)", titles
    )
    by_title = {r["title"]: r for r in rows}
    picks = [(by_title[t]["id"], 1.0 - n / 10) for n, t in enumerate(titles)]
    rec_id = await answers.store_recommendation(
        world.db.pool,
        user_id=user_id,
        platform="discord",
        chat_id="777",
        query={"words": "rainy sunday,  instrumental", "caption": None},
        mood={},
        picks=picks,
    )
    return rec_id, [by_title[t]["spotify_id"] for t in titles]


async def save(world: World, rec_id: int, ctx: ChatContext = ALICE) -> Reply:
    return await world.accounts.save_playlist(ctx, rec_id)


async def saved_playlist(world: World, rec_id: int) -> CreatedPlaylist:
    """Press Save on the answer: the reply says it is saved; the one playlist Spotify holds."""
    assert (await save(world, rec_id)).kind == "info"
    [made] = world.fake.created.values()
    return made


async def test_linking_asks_for_the_playlist_scope_and_stores_what_was_granted(
    world: World,
) -> None:
    reply = await world.accounts.link_spotify(ALICE)
    assert reply.url is not None
    scopes = parse_qs(urlparse(reply.url).query)["scope"][0].split()
    assert SAVE_SCOPE in scopes and "user-library-read" in scopes
    await world.callback(await world.authorize(reply.url))
    user_id = await find_user(world.db.pool, "discord", "42")
    assert user_id is not None
    link = await spotify_links.get_link(world.db.pool, user_id)
    assert link is not None and SAVE_SCOPE in link.scope.split()


async def test_saving_makes_a_private_playlist_with_exactly_the_answers_tracks_in_order(
    world: World,
) -> None:
    user_id = await world.linked(ALICE)
    rec_id, expected = await an_answer(world, user_id, ANSWER_TITLES)
    reply = await save(world, rec_id)
    assert reply.kind == "info" and reply.private
    assert reply.text == (
        "Saved “MelodicLens: rainy sunday, instrumental” to your Spotify: 5 songs, private."
    )
    [made] = world.fake.created.values()
    assert made.track_ids == expected
    assert (made.owner, made.public, made.collaborative) == ("robin", False, False)
    assert made.name == "MelodicLens: rainy sunday, instrumental"
    assert reply.url == f"https://open.spotify.com/playlist/{made.id}"
    # one create, one add, through the 2026 endpoints
    posts = [r for r in world.fake.requests if r.startswith(("/v1/me/playlists", "/v1/playlists"))]
    assert posts[-2:] == ["/v1/me/playlists", f"/v1/playlists/{made.id}/items"]


async def test_a_long_answer_is_added_in_chunks_that_keep_the_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spotify's limit is 100 per request; a limit of 2 shows the chunking with 5 songs.
    monkeypatch.setattr(playlist_save, "MAX_ITEMS_PER_ADD", 2)
    user_id = await world.linked(ALICE)
    rec_id, expected = await an_answer(world, user_id, ANSWER_TITLES)
    made = await saved_playlist(world, rec_id)
    assert made.track_ids == expected
    adds = [r for r in world.fake.requests if r == f"/v1/playlists/{made.id}/items"]
    assert len(adds) == 3


async def test_an_old_link_without_the_scope_is_asked_to_link_again_then_saving_works(
    world: World,
) -> None:
    user_id = await world.linked(ALICE)
    await world.db.pool.execute(
        "UPDATE spotify_links SET scope = $2 WHERE user_id = $1", user_id, READ_SCOPES
    )
    rec_id, expected = await an_answer(world, user_id, ANSWER_TITLES)
    reply = await save(world, rec_id)
    assert reply.kind == "link" and reply.private and reply.url
    assert "one more permission" in reply.text and "link again (once)" in reply.text
    assert SAVE_SCOPE in parse_qs(urlparse(reply.url).query)["scope"][0].split()
    assert not world.fake.created
    # following that link once is enough
    status, _ = await world.callback(await world.authorize(reply.url))
    assert status == 200
    assert (await saved_playlist(world, rec_id)).track_ids == expected


async def test_spotify_refusing_the_scope_with_403_also_asks_to_link_again(world: World) -> None:
    user_id = await world.linked(ALICE)
    rec_id, _ = await an_answer(world, user_id, ANSWER_TITLES)
    for grant in world.fake.grants.values():  # the listener took the permission back
        grant.scope = READ_SCOPES
    reply = await save(world, rec_id)
    assert reply.kind == "link" and "one more permission" in reply.text
    assert not world.fake.created


async def test_a_short_rate_limit_is_waited_out(world: World) -> None:
    user_id = await world.linked(ALICE)
    rec_id, expected = await an_answer(world, user_id, ANSWER_TITLES)
    world.fake.rate_limits = [0.2, 0.2]
    assert (await saved_playlist(world, rec_id)).track_ids == expected


async def test_a_long_rate_limit_says_busy_and_creates_nothing(world: World) -> None:
    user_id = await world.linked(ALICE)
    rec_id, _ = await an_answer(world, user_id, ANSWER_TITLES)
    world.fake.rate_limits = [playlist_save.MAX_RATE_LIMIT_WAIT_S + 25]
    reply = await save(world, rec_id)
    assert reply == Reply(
        "error", "Spotify is busy right now. Press Save again in a minute.", private=True
    )
    assert not world.fake.created


async def test_an_expired_token_is_refreshed_and_saved_before_the_playlist_is_made(
    world: World,
) -> None:
    user_id = await world.linked(ALICE)
    before = await spotify_links.get_link(world.db.pool, user_id)
    rec_id, expected = await an_answer(world, user_id, ANSWER_TITLES)
    world.fake.expire_tokens("robin")
    assert (await saved_playlist(world, rec_id)).track_ids == expected
    after = await spotify_links.get_link(world.db.pool, user_id)
    assert before and after and after.access_token != before.access_token
    assert SAVE_SCOPE in after.scope.split()


async def test_a_revoked_grant_marks_the_link_and_says_link_again(world: World) -> None:
    user_id = await world.linked(ALICE)
    rec_id, _ = await an_answer(world, user_id, ANSWER_TITLES)
    world.fake.revoke("robin")
    reply = await save(world, rec_id)
    assert reply.kind == "info" and "Link it again with /link-spotify" in reply.text
    link = await spotify_links.get_link(world.db.pool, user_id)
    assert link is not None and link.status == "revoked"


async def test_an_unlinked_listener_is_told_to_link_first_in_their_platforms_spelling(
    world: World,
) -> None:
    owner = await world.linked(ALICE)
    rec_id, _ = await an_answer(world, owner, ANSWER_TITLES)
    reply = await save(world, rec_id, BOB)
    assert reply.text == "Link your Spotify account first (/link_spotify), then press Save again."
    assert not world.fake.created


async def test_a_forgotten_answer_is_stale(world: World) -> None:
    await world.linked(ALICE)
    reply = await save(world, 987_654)
    assert reply.text == "That answer is no longer available. Send the photo again."
    assert not world.fake.created


def test_the_pkce_challenge_is_rfc_7636_s256() -> None:
    # RFC 7636, appendix B: our verifier's challenge, computed without spotipy's private helper
    assert s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_spotify_code_uses_only_spotipys_public_api() -> None:
    """No `sp._get`, `_get_code_challenge` or other underscore member of a spotipy object."""
    root = Path(__file__).resolve().parent.parent / "handlers"
    private = re.compile(r"\b(?:_sp|sp|pkce|auth|spotify)\._[a-z]\w*")
    offenders = [
        f"{path.name}: {match.group(0)}"
        for path in root.rglob("*.py")
        for match in private.finditer(path.read_text())
    ]
    assert offenders == []
