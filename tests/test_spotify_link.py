"""Linking Spotify end to end against the fake: authorize, callback, import, and every refusal."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db import library_entries, spotify_links
from db.pool import Database
from handlers.replies import ChatContext
from handlers.secrets import TokenCipher
from recsys.embedder import Embedder
from support.fakes.fake_spotify import FakeSpotify, fictional_library, real_library
from support.fakes.spotify_world import (
    CONFIRM_BUTTON,
    World,
    confirm_fields,
    listener_world,
    make_world,
)

ALICE = ChatContext("telegram", "1001", "1001", "alice")
BOB = ChatContext("telegram", "1002", "1002", "bob")


@pytest.fixture
async def world(db: Database, embedder: Embedder) -> AsyncIterator[World]:
    async with listener_world(db, embedder, fictional_library("Robin")) as world:
        yield world


@pytest.mark.shared_data
@pytest.mark.slow
async def test_real_library_links_and_imports_every_entry(
    db: Database, embedder: Embedder, shared_data: Path
) -> None:
    fake = FakeSpotify()
    library = real_library(shared_data / "user_playlists.csv")
    fake.add_user("pratik", library)
    world = await make_world(db, embedder, fake)
    try:
        status, page = await world.link(ALICE)
        assert status == 200 and "Linked as Pratik" in page
        # the chat hears about it with the library's size
        assert world.notifier.sent[0] == (
            "telegram",
            "1001",
            f"Linked as Pratik. Importing {library.entry_count()} tracks from 25 playlists...",
        )
        assert await world.worker().drain() == 1
        uid = await world.user_id(ALICE)
        assert await library_entries.library_count(db.pool, uid) == library.distinct_pairs()
        assert library.distinct_pairs() == 913 + len(set(library.saved))
        missing = await db.pool.fetchval(
            "SELECT count(*) FROM library_entries e JOIN tracks t ON t.id = e.track_id "
            "WHERE e.user_id = $1 AND t.embedding IS NULL",
            uid,
        )
        assert missing == 0  # every library track can be found by text
        assert "Your Spotify library is in: " in world.notifier.sent[-1][2]
        # the removed /tracks endpoint was never called
        assert not [
            r for r in fake.requests if r.split("?")[0].endswith("/tracks") and "/playlists/" in r
        ]
    finally:
        await world.close()


async def test_catalog_features_are_kept_for_library_tracks(world: World) -> None:
    library = world.fake.libraries["robin"]
    known = next(iter(library.tracks.values()))
    vector = await world.embedder.aembed_one("catalog text")
    await world.db.pool.execute(
        """INSERT INTO tracks (spotify_id, title, artists, valence, energy, embedding, in_catalog)
        VALUES ($1, 'Catalog Title', '{Catalog Artist}', 0.2, 0.9, $2, true)""",
        known.id,
        vector,
    )
    status, _ = await world.link(ALICE)
    assert status == 200
    await world.worker().drain()
    row = await world.db.pool.fetchrow("SELECT * FROM tracks WHERE spotify_id = $1", known.id)
    assert (row["valence"], row["energy"]) == pytest.approx((0.2, 0.9))
    assert row["in_catalog"] and row["title"] == "Catalog Title"
    assert row["embedding"].to_list() == pytest.approx(vector.tolist())
    new = await world.db.pool.fetchval(
        "SELECT count(*) FROM tracks WHERE NOT in_catalog AND embedding IS NOT NULL"
    )
    assert new == len(library.tracks) - 1


async def test_forged_state_is_refused(world: World) -> None:
    status, page = await world.callback({"code": "whatever", "state": "made-up-state"})
    assert status == 400 and "not one MelodicLens handed out" in page
    status, page = await world.callback({"code": "whatever"})
    assert status == 400 and "not one MelodicLens handed out" in page


async def test_reused_state_is_refused(world: World) -> None:
    params = await world.consent(ALICE)
    assert (await world.callback(params))[0] == 200
    status, page = await world.callback(params)
    assert status == 400 and "already used" in page


async def test_expired_state_is_refused(world: World) -> None:
    params = await world.consent(ALICE)
    await world.db.pool.execute("UPDATE oauth_states SET expires_at = now() - interval '1 s'")
    status, page = await world.callback(params)
    assert status == 400 and "expired" in page
    assert await spotify_links.get_link(world.db.pool, await world.user_id(ALICE)) is None


async def test_other_users_state_cannot_take_a_linked_account(world: World) -> None:
    assert (await world.link(ALICE))[0] == 200
    # Bob's link is opened by someone logged in to Robin's Spotify, already Alice's
    status, page = await world.link(BOB)
    assert status == 409 and "already linked to another user" in page
    assert await spotify_links.get_link(world.db.pool, await world.user_id(BOB)) is None


async def test_state_is_bound_to_its_user_and_stored_only_hashed(world: World) -> None:
    reply = await world.accounts.link_spotify(ALICE)
    assert reply.url and reply.private
    params = await world.authorize(reply.url)
    state = params["state"]
    stored = await world.db.pool.fetchrow("SELECT * FROM oauth_states")
    assert stored["user_id"] == await world.user_id(ALICE)
    assert state.encode() not in bytes(stored["state_hash"])
    assert b"-" not in bytes(stored["code_verifier"])[:1]  # Fernet, not the verifier
    assert len(state) >= 43


async def test_declined_consent_links_nothing(world: World) -> None:
    params = await world.consent(ALICE)
    status, page = await world.callback({"error": "access_denied", "state": params["state"]})
    assert status == 200 and "not granted" in page
    assert await spotify_links.get_link(world.db.pool, await world.user_id(ALICE)) is None


async def test_unregistered_user_gets_a_clear_message(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.fake.registered = {"someone-else"}
    with caplog.at_level(logging.ERROR):
        status, page = await world.link(ALICE)
    assert status == 403 and "development mode" in page
    assert "development mode" in world.notifier.sent[-1][2]
    assert "User Management" in caplog.text  # the operator is told what to do


async def test_linking_without_a_secret_key_is_refused(db: Database) -> None:
    from bot.app import build_linker
    from handlers.accounts import AccountHandler
    from handlers.notifier import LogNotifier
    from support.fakes.spotify_world import spotify_settings

    settings = spotify_settings("http://127.0.0.1:9", MELODICLENS_SECRET_KEY=None)
    reply = await AccountHandler(db, build_linker(settings, db, LogNotifier())).link_spotify(ALICE)
    assert reply.kind == "error" and "MELODICLENS_SECRET_KEY" in reply.text


async def test_tokens_are_never_stored_or_logged_in_plain_text(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert (await world.link(ALICE))[0] == 200
    world.fake.expire_tokens("robin")  # forces a refresh: new tokens are stored too
    await world.worker().drain()
    assert len(world.fake.issued) >= 4
    columns = await world.db.pool.fetch(
        """SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public'
          AND data_type IN ('text', 'bytea', 'jsonb', 'ARRAY', 'character varying')"""
    )
    for column in columns:
        dump = await world.db.pool.fetchval(
            f"SELECT string_agg(\"{column['column_name']}\"::text, ' ') "
            f'FROM "{column["table_name"]}"'
        )
        for token in world.fake.issued:
            assert token not in (dump or ""), (column["table_name"], column["column_name"])
            assert token.encode().hex() not in (dump or "")
    for token in world.fake.issued:
        assert token not in caplog.text
    # and the stored ones decrypt to the newest tokens
    link = await spotify_links.get_link(world.db.pool, await world.user_id(ALICE))
    assert link is not None and link.access_token is not None
    assert (
        TokenCipher(world.settings.secret_keys).decrypt(link.access_token)
        == [t for t in world.fake.issued if t.startswith("access")][-1]
    )


# --- issue 10: linking that only the asker can finish ---------------------------------------


async def test_spotify_always_shows_its_consent_page(world: World) -> None:
    reply = await world.accounts.link_spotify(ALICE)
    assert reply.url and "show_dialog=true" in reply.url
    await world.authorize(reply.url)
    assert world.fake.authorize_queries[-1]["show_dialog"] == "true"


async def test_nothing_is_linked_until_the_confirm_button(world: World) -> None:
    params = await world.consent(ALICE)
    status, page = await world.review(params)
    # the page names the chat account the login is about to be linked to
    assert status == 200 and CONFIRM_BUTTON in page
    assert "<strong>Telegram</strong>" in page and "alice (id 1001)" in page
    assert 'method="post"' in page
    uid = await world.user_id(ALICE)
    assert await spotify_links.get_link(world.db.pool, uid) is None
    assert await world.db.pool.fetchval("SELECT used_at FROM oauth_states") is None
    assert world.fake.issued == []  # not even the code was exchanged
    status, page = await world.confirm(confirm_fields(page))
    assert status == 200 and "Linked as Robin" in page
    assert await spotify_links.get_link(world.db.pool, uid) is not None
    assert await world.db.pool.fetchval("SELECT used_at FROM oauth_states") is not None


async def test_a_display_name_cannot_inject_markup_into_the_confirm_page(world: World) -> None:
    sly = ChatContext("telegram", "1003", "1003", '<img src=x onerror="alert(1)">')
    reply = await world.accounts.link_spotify(sly)
    assert reply.url
    _, page = await world.review(await world.authorize(reply.url))
    assert "<img" not in page and "&lt;img" in page


async def test_a_confirmation_from_another_site_is_refused(world: World) -> None:
    reply = await world.accounts.link_spotify(ALICE)
    assert reply.url
    _, page = await world.review(await world.authorize(reply.url))
    fields = confirm_fields(page)
    # another site posting the form: its Origin is foreign
    status, text = await world.confirm(fields, headers={"Origin": "https://evil.example"})
    assert status == 403 and "did not come from the page" in text
    # a browser without the page's cookie (or with a guessed token)
    cookies = list(world.web.session.cookie_jar)
    world.web.session.cookie_jar.clear()
    assert (await world.confirm(fields))[0] == 403
    assert (await world.confirm({**fields, "csrf": "guess"}))[0] == 403
    assert await spotify_links.get_link(world.db.pool, await world.user_id(ALICE)) is None
    # the real page's button still works afterwards
    world.web.session.cookie_jar.update_cookies({c.key: c.value for c in cookies})
    status, text = await world.confirm(fields)
    assert status == 200 and "Linked as Robin" in text


async def test_link_pages_cannot_be_framed_cached_or_leak_a_referrer(world: World) -> None:
    params = await world.consent(ALICE)
    answer = await world.web.get("/spotify/callback", params=params)
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-store"
    cookie = answer.cookies["melodiclens_link"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"


async def test_one_spotify_account_is_linked_to_one_user_across_platforms(world: World) -> None:
    assert (await world.link(ALICE))[0] == 200
    on_discord = ChatContext("discord", "9001", "9002", "alice-on-discord")
    status, page = await world.link(on_discord)
    assert status == 409 and "already linked to another user" in page
    assert await spotify_links.get_link(world.db.pool, await world.user_id(on_discord)) is None


async def start_link(world: World) -> dict[str, str]:
    """/link_spotify, Spotify's consent, our confirm page: the form it would post."""
    reply = await world.accounts.link_spotify(ALICE)
    assert reply.url
    status, page = await world.review(await world.authorize(reply.url))
    assert status == 200, page
    return confirm_fields(page)


@pytest.mark.parametrize(
    ("token_failures", "api_failures", "status", "words"),
    [
        ([429], [], 502, "Spotify did not answer"),
        ([500], [], 502, "Spotify did not answer"),
        ([503, 502], [], 502, "Spotify did not answer"),
        ([], [503], 502, "Spotify did not answer"),
        ([], [429], 503, "Spotify is busy"),
    ],
)
async def test_a_failed_exchange_leaves_the_link_usable(
    world: World, token_failures: list[int], api_failures: list[int], status: int, words: str
) -> None:
    fields = await start_link(world)
    world.fake.token_failures = list(token_failures)
    world.fake.api_failures = list(api_failures)
    answer, page = await world.confirm(fields)
    assert (answer, words in page) == (status, True), page
    assert "Traceback" not in page and "Start linking again" in page
    uid = await world.user_id(ALICE)
    assert await spotify_links.get_link(world.db.pool, uid) is None
    assert await world.db.pool.fetchval("SELECT used_at FROM oauth_states") is None
    while world.fake.token_failures:  # a second failure, when the fault lasts
        assert (await world.confirm(fields))[0] == status
    # pressing the button again (or starting over at Spotify) now links
    if api_failures:
        # the code was spent on the first try: start again at Spotify with the same state
        retry = re.search(r'href="([^"]+)">Start linking again', page)
        assert retry is not None
        params = await world.authorize(html.unescape(retry.group(1)))
        assert params["state"] == fields["state"]
        status_again, page = await world.review(params)
        assert status_again == 200
        fields = confirm_fields(page)
    answer, page = await world.confirm(fields)
    assert answer == 200 and "Linked as Robin" in page
    assert await spotify_links.get_link(world.db.pool, uid) is not None


async def test_spotify_unreachable_while_linking_leaves_the_link_usable(world: World) -> None:
    fields = await start_link(world)
    await world.fake.stop()  # the accounts service is gone: connection refused
    answer, page = await world.confirm(fields)
    assert answer == 502 and "Spotify did not answer" in page
    assert await world.db.pool.fetchval("SELECT used_at FROM oauth_states") is None
    assert await world.db.pool.fetchval("SELECT count(*) FROM spotify_links") == 0
