"""Webhook mode: setWebhook at start, updates POSTed to our aiohttp route, secret checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession

from bot.telegram.adapter import TelegramAdapter, TelegramSetupError
from support.fakes.fake_telegram import FakeTelegram, private_chat, settings_for, user
from support.fakes.fake_telegram_service import FakeService, buttons
from support.fakes.telegram_webhook import webhook_bot

SECRET = "s3cret_Token-for-tests"
ANA = user(2001, "Ana")


@dataclass
class Webhook:
    """The running bot in webhook mode and where its route listens."""

    adapter: TelegramAdapter
    url: str


@pytest.fixture
async def webhook(fake_telegram: FakeTelegram) -> AsyncIterator[Webhook]:
    """Our aiohttp app with the webhook route, and the adapter started in webhook mode."""
    async with webhook_bot(fake_telegram, FakeService(), SECRET) as (adapter, url):
        yield Webhook(adapter, url)


async def test_start_sets_the_webhook_and_never_polls(
    fake_telegram: FakeTelegram, webhook: Webhook
):
    assert fake_telegram.webhook == {
        "url": webhook.url,
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
        "max_connections": 40,
    }
    assert not fake_telegram.calls_of("getUpdates")


async def test_update_with_the_right_secret_is_answered(
    fake_telegram: FakeTelegram, webhook: Webhook
):
    photo = fake_telegram.message(private_chat(ANA), ANA, text="/vibe sunny morning")
    photo["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
    assert await fake_telegram.deliver({"message": photo}, SECRET) == 200
    sent = await fake_telegram.next_sent()
    assert sent.reply_to == photo["message_id"]
    assert sent.buttons == buttons(41)


async def test_photo_by_webhook_is_downloaded_and_answered(
    fake_telegram: FakeTelegram, webhook: Webhook
):
    fake_telegram.photo(private_chat(ANA), ANA, "lake")
    photo = fake_telegram._updates.pop()  # delivered by webhook instead of getUpdates
    assert await fake_telegram.deliver({"message": photo["message"]}, SECRET) == 200
    sent = await fake_telegram.next_sent()
    assert sent.reply_to == photo["message"]["message_id"]
    assert sent.text.startswith("🎧 <b>Neon night, 1 photo(s)")


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_wrong_or_missing_secret_is_refused(
    fake_telegram: FakeTelegram, webhook: Webhook, secret: str | None
):
    message = fake_telegram.message(private_chat(ANA), ANA, text="/help")
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
    assert await fake_telegram.deliver({"message": message}, secret) == 403
    assert fake_telegram.sent_pending() == 0


async def test_garbage_body_is_a_bad_request(webhook: Webhook):
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with (
        ClientSession() as session,
        session.post(webhook.url, data=b"{not json", headers=headers) as response,
    ):
        assert response.status == 400


async def test_after_stop_updates_are_left_for_telegram_to_retry(
    fake_telegram: FakeTelegram, webhook: Webhook
):
    await webhook.adapter.stop()
    message = fake_telegram.message(private_chat(ANA), ANA, text="/help")
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
    assert await fake_telegram.deliver({"message": message}, SECRET) == 503


@pytest.mark.parametrize("secret", [None, "has spaces and ünïcode"])
def test_webhook_without_a_valid_secret_refuses_to_start(
    fake_telegram: FakeTelegram, secret: str | None
):
    extra = {"MELODICLENS_TELEGRAM_WEBHOOK_SECRET": secret} if secret else {}
    url = "https://bot.example.org/tg"
    settings = settings_for(fake_telegram, MELODICLENS_TELEGRAM_WEBHOOK_URL=url, **extra)
    with pytest.raises(TelegramSetupError, match="MELODICLENS_TELEGRAM_WEBHOOK_SECRET"):
        TelegramAdapter(settings, FakeService())
