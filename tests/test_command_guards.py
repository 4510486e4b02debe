"""Commands are guarded like photos: /forget_me asks first and only its asker can confirm;
every command counts against the rate limit, and a flood is refused once, not once each."""

from __future__ import annotations

import time

import pytest

from bot.app import build_pipeline
from bot.discord.render import ActionButton
from bot.discord.render import render as discord_render
from bot.settings import load_settings
from bot.telegram.render import render as telegram_render
from db import users
from db.pool import Database
from handlers.accounts import AccountHandler
from handlers.forget_confirm import CONFIRM_TTL_S, confirms, parse_confirmation
from handlers.replies import ChatContext, Reply
from handlers.service import DefaultBotService, ServiceConfig
from handlers.texts import FORGET_CONFIRM, SORRY
from recsys.embedder import Embedder
from support.fakes.fake_ollama import closed_port_url

ALICE = ChatContext("telegram", "5001", "-5100", "alice", is_group=True)
BOB = ChatContext("telegram", "5002", "-5100", "bob", is_group=True)
ALICE_ON_DISCORD = ChatContext("discord", "5001", "5200", "alice", is_group=True)
RATE_REFUSAL = SORRY["rate_other"].split("{")[0]


def service_for(db: Database, embedder: Embedder, per_minute: int = 100) -> DefaultBotService:
    settings = load_settings(None, OLLAMA_HOST=closed_port_url())
    pipeline = build_pipeline(settings, db, embedder)
    config = ServiceConfig(top_n=5, rate_limit_per_minute=per_minute)
    return DefaultBotService(config, db, pipeline, AccountHandler(db, None))


def button(reply: Reply, label: str) -> str:
    [action] = [b.action for b in reply.buttons if b.label == label]
    return action


async def known(db: Database, ctx: ChatContext) -> bool:
    return await users.find_user(db.pool, ctx.platform, ctx.user_id) is not None


async def test_forget_me_asks_first_and_deletes_only_on_the_askers_press(
    db: Database, embedder: Embedder
) -> None:
    service = service_for(db, embedder)
    for ctx in (ALICE, BOB):
        await users.upsert_user(db.pool, ctx.platform, ctx.user_id, ctx.user_name)

    asked = await service.forget_me(ALICE)
    assert asked.text == FORGET_CONFIRM["ask"] and asked.private
    assert [b.label for b in asked.buttons] == [FORGET_CONFIRM["delete"], FORGET_CONFIRM["cancel"]]
    assert await known(db, ALICE)  # asking deletes nothing
    delete, cancel = button(asked, "Delete everything"), button(asked, "Cancel")
    # both platforms show the two buttons, carrying the actions unchanged
    keyboard = telegram_render(asked).markup
    assert keyboard is not None
    shown = [(b.text, b.callback_data) for row in keyboard.inline_keyboard for b in row]
    assert shown == [("Delete everything", delete), ("Cancel", cancel)]
    view = discord_render(asked).view
    assert view is not None and discord_render(asked).ephemeral
    assert [item.custom_id for item in view.children] == [delete, cancel]  # type: ignore[attr-defined]
    assert all(isinstance(item, ActionButton) for item in view.children)

    # Bob presses Alice's button (a group shows it to all): nobody is deleted
    refused = await service.press(BOB, delete)
    assert refused.kind == "error" and "/forget_me" in refused.text
    assert await known(db, ALICE) and await known(db, BOB)
    # Alice's own press from another chat, or with the data altered, is refused too
    elsewhere = ChatContext("telegram", ALICE.user_id, "-9999", "alice", is_group=True)
    assert (await service.press(elsewhere, delete)).kind == "error"
    verb, _, rest = delete.partition(":")
    expiry, _, mac = rest.partition("-")
    altered = ("B" if mac[0] == "A" else "A") + mac[1:]
    forged = [
        f"{verb}:{int(expiry) + 9999}-{mac}",  # a later expiry
        f"{verb}:{expiry}-{altered}",  # a MAC not made here
        f"keep:{expiry}-{mac}",  # Delete's MAC on Cancel
        f"forget:{expiry}-",
        "forget:99999999999-x",
        "forget:abc-def",
    ]
    for action in forged:
        assert (await service.press(ALICE, action)).kind == "error", action
    assert await known(db, ALICE)

    kept = await service.press(ALICE, cancel)
    assert kept.text == FORGET_CONFIRM["kept"] and await known(db, ALICE)
    done = await service.press(ALICE, delete)
    assert done.kind == "info" and done.text.startswith("Done: I deleted everything")
    assert not await known(db, ALICE) and await known(db, BOB)


async def test_the_same_person_on_another_platform_cannot_confirm(
    db: Database, embedder: Embedder
) -> None:
    service = service_for(db, embedder)
    await users.upsert_user(db.pool, "telegram", ALICE.user_id, "alice")
    asked = await service.forget_me(ALICE)
    refused = await service.press(ALICE_ON_DISCORD, button(asked, "Delete everything"))
    assert refused.kind == "error" and "/forget-me" in refused.text  # in Discord's spelling
    assert await known(db, ALICE)


def test_a_confirmation_expires() -> None:
    from handlers.forget_confirm import confirm_action

    now = time.time()
    action = confirm_action("forget", "key", "telegram:1:1", now)
    found = parse_confirmation(action)
    assert found is not None
    assert confirms(found, "key", "telegram:1:1", now + CONFIRM_TTL_S - 1)
    assert not confirms(found, "key", "telegram:1:1", now + CONFIRM_TTL_S + 1)
    assert not confirms(found, "another key", "telegram:1:1", now)


async def test_every_command_counts_against_the_rate_limit(
    db: Database, embedder: Embedder
) -> None:
    commands = {
        "help": lambda s, c: _sync(s.help(c.platform, c)),
        "forget_me": lambda s, c: s.forget_me(c),
        "unlink_spotify": lambda s, c: s.unlink_spotify(c),
        "blend": lambda s, c: s.set_blend(c, True),
        "auto": lambda s, c: s.set_auto(c, True),
        "link_spotify": lambda s, c: s.link_spotify(c),
    }
    for name, command in commands.items():
        service = service_for(db, embedder, per_minute=3)
        replies = [await command(service, ALICE) for _ in range(4)]
        assert not any(r.text.startswith(RATE_REFUSAL) for r in replies[:3]), name
        assert replies[3].kind == "error" and replies[3].text.startswith(RATE_REFUSAL), name


async def _sync(reply: Reply) -> Reply:
    return reply


async def test_a_flood_is_refused_once_per_window(db: Database, embedder: Embedder) -> None:
    service = service_for(db, embedder, per_minute=2)
    replies = [await service.set_auto(ALICE, True) for _ in range(30)]
    refusals = [r for r in replies if r.text.startswith(RATE_REFUSAL)]
    assert len(refusals) == 28
    assert [r.silent for r in refusals].count(False) == 1 and not refusals[0].silent
    # photos too: the first refusal is said, the rest are marked silent
    photos = [service.admit(BOB, photos=1) for _ in range(10)]
    said = [r for r in photos if r is not None and not r.silent]
    assert len(said) == 1 and sum(r is not None for r in photos) == 8


async def test_admin_checks_are_remembered_briefly(db: Database, embedder: Embedder) -> None:
    service = service_for(db, embedder)
    calls = 0

    async def get_chat_member() -> bool:
        nonlocal calls
        calls += 1
        return True

    for _ in range(5):
        assert await service.is_admin(ALICE, get_chat_member)
    assert calls == 1
    assert await service.is_admin(BOB, get_chat_member) and calls == 2  # per member


async def test_blend_on_says_playlist_names_stay_private(db: Database, embedder: Embedder) -> None:
    reply = await service_for(db, embedder).set_blend(ALICE, True)
    assert "playlist names stay private" in reply.text


@pytest.mark.parametrize("action", ["forget:1-", "keep:", "forget:" + "9" * 11 + "-abc"])
async def test_malformed_confirmations_are_stale_buttons(
    db: Database, embedder: Embedder, action: str
) -> None:
    reply = await service_for(db, embedder).press(ALICE, action)
    assert reply.kind == "error"
