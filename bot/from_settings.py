"""Settings turned into the plain values and small clients the inner layers take (the inner
layers never see `Settings`)."""

from __future__ import annotations

from bot.settings import Settings
from db.pool import Database
from handlers.edge.genius import make_genius
from handlers.edge.spotify import SpotifyApp
from handlers.metrics import Metrics
from handlers.service import ServiceConfig
from handlers.spotify.lyrics import LyricsThemes
from recsys.captioner import Captioner, ProseReader
from recsys.embedder import Embedder
from recsys.image_intake import ImageLimits
from recsys.themes import ThemeTagger
from recsys.vision_hosts import VisionHostPool


def vision_hosts(settings: Settings, metrics: Metrics | None = None) -> VisionHostPool:
    """The pool for the configured OLLAMA_HOST list (its calls counted in `metrics`)."""
    hosts = VisionHostPool(
        settings.ollama_hosts,
        timeout_s=settings.vision_timeout_s,
        rest_s=settings.vision_host_rest_s,
        on_call=metrics.count_vision_call if metrics is not None else None,
    )
    if metrics is not None:
        metrics.watch_hosts(hosts.urls)
    return hosts


def captioner(settings: Settings, hosts: VisionHostPool, prose_reader: ProseReader) -> Captioner:
    """A captioner for the configured model, timeout and context size."""
    return Captioner(
        hosts,
        settings.vision_model,
        timeout_s=settings.vision_timeout_s,
        num_ctx=settings.vision_num_ctx,
        prose_reader=prose_reader,
    )


def image_limits(settings: Settings) -> ImageLimits:
    """The intake limits configured in settings."""
    return ImageLimits(
        max_bytes=settings.max_image_bytes,
        max_pixels=settings.max_image_pixels,
        min_side=settings.min_image_side,
        vision_side=settings.vision_image_side,
    )


def spotify_app(settings: Settings) -> SpotifyApp:
    """The Spotify app as configured."""
    secret = settings.spotify_client_secret
    return SpotifyApp(
        settings.spotify_client_id,
        secret.get_secret_value() if secret else None,
        settings.spotify_redirect_uri,
        settings.spotify_accounts_url,
        settings.spotify_api_url,
    )


def lyrics_themes(settings: Settings, db: Database, embedder: Embedder) -> LyricsThemes | None:
    """Lyrics themes through Genius, or None when GENIUS_TOKEN is not set."""
    if settings.genius_token is None:
        return None
    genius = make_genius(settings.genius_token.get_secret_value())
    return LyricsThemes(db, genius, ThemeTagger(embedder), embedder)


def service_config(settings: Settings) -> ServiceConfig:
    """What the chat use cases need from the settings."""
    return ServiceConfig(top_n=settings.top_n, rate_limit_per_minute=settings.rate_limit_per_minute)
