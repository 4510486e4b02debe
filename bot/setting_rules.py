"""What the settings are called in the environment, which values they accept, and how a bad
value is explained (the checks `bot.settings.Settings` attaches to its fields)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from pydantic import AliasChoices, SecretStr, ValidationError

from db.urls import redact_url

PREFIX = "MELODICLENS_"

# Variables that keep their ecosystem's usual names instead of the MELODICLENS_ prefix.
ECOSYSTEM_NAMES = {
    "database_url": "DATABASE_URL",
    "ollama_hosts": "OLLAMA_HOST",
    "discord_token": "DISCORD_TOKEN",
    "telegram_token": "TELEGRAM_TOKEN",
    "spotify_client_id": "SPOTIFY_CLIENT_ID",
    "spotify_client_secret": "SPOTIFY_CLIENT_SECRET",
    "spotify_redirect_uri": "SPOTIFY_REDIRECT_URI",
    "genius_token": "GENIUS_TOKEN",
}


# A Fernet key is derived from the secret key; shorter keys are too easy to guess.
MIN_SECRET_KEY_CHARS = 16
# Fields whose value is a URL that may carry a password: shown only with it masked.
URL_FIELDS = frozenset({"database_url", "database_replica_url"})


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def env_name(field: str) -> str:
    """The environment variable that carries a settings field."""
    return ECOSYSTEM_NAMES.get(field, PREFIX + field.upper())


def alias(field: str) -> AliasChoices:
    """The one environment name a field is read from."""
    return AliasChoices(env_name(field))


def default_data_dir() -> Path:
    """Where the data lives unless told: platformdirs follows $XDG_DATA_HOME, else
    ~/.local/share, on Linux."""
    return Path(platformdirs.user_data_dir("melodiclens", appauthor=False))


# --- the checks on single fields ----------------------------------------------------------------
def split_list(value: Any) -> Any:
    """A comma-separated string as a list of its non-blank items."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def blank_is_default(value: Any) -> Any:
    """A blank data folder means the default: Path("") would be the current folder, a new,
    empty database wherever one stands."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default_data_dir()
    return value


def hosts_are_urls(hosts: list[str]) -> list[str]:
    """At least one host, each as a URL without a trailing slash."""
    if not hosts:
        raise ValueError("needs at least one URL")
    return [(host if "://" in host else f"http://{host}").rstrip("/") for host in hosts]


def http_url(url: str) -> str:
    """An http(s) base URL without a trailing slash, or empty (off)."""
    url = url.strip()
    if url and not url.startswith(("http://", "https://")):
        raise ValueError("must be an http(s) URL such as https://api.reccobeats.com/v1")
    return url.rstrip("/")


def postgres_url(url: str) -> str:
    """A PostgreSQL URL, or empty for the embedded server."""
    if url and not url.startswith(("postgres://", "postgresql://")):
        raise ValueError("must start with postgresql:// (or be empty for the embedded server)")
    return url


def long_enough(key: SecretStr | None) -> SecretStr | None:
    """Every comma-separated key at least MIN_SECRET_KEY_CHARS long."""
    if key is None:
        return None
    for part in key.get_secret_value().split(","):
        if len(part.strip()) < MIN_SECRET_KEY_CHARS:
            raise ValueError("must be at least 16 characters (try: openssl rand -hex 32)")
    return key


def spotify_redirect(uri: str) -> str:
    """A redirect URI Spotify accepts: HTTPS or a loopback literal, never 'localhost'."""
    if "://localhost" in uri:
        raise ValueError("Spotify refuses 'localhost'; use http://127.0.0.1:PORT/... or HTTPS")
    if not uri.startswith(("https://", "http://127.", "http://[::1]")):
        raise ValueError("must be HTTPS or a loopback literal such as http://127.0.0.1:8888/...")
    return uri


# --- explaining a rejected value ----------------------------------------------------------------
def shown(name: str, got: Any) -> str:
    """How a rejected value is quoted in the error: secrets never, URLs without passwords."""
    if name.endswith(("TOKEN", "SECRET", "KEY", "KEYS")):
        return ""
    if name in {env_name(field) for field in URL_FIELDS} and isinstance(got, str):
        return f" (got {redact_url(got)!r})" if "://" in got else " (value not shown)"
    return f" (got {got!r})"


def explain(err: ValidationError) -> str:
    """One sentence per rejected value, naming its environment variable."""
    sentences = []
    for problem in err.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "?"
        name = field if field.isupper() else env_name(field)
        message = problem["msg"].removeprefix("Value error, ")
        sentences.append(
            f"Setting {name} is not valid: {message}{shown(name, problem.get('input'))}."
        )
    return " ".join(sentences)
