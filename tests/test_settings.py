"""Settings: read once, bad values named, ecosystem names kept."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import SettingsError, env_name, load_settings
from support.common import first_time_env

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("MELODICLENS_") or name in {
            "DATABASE_URL",
            "OLLAMA_HOST",
            "SPOTIFY_REDIRECT_URI",
            "XDG_DATA_HOME",
        }:
            monkeypatch.delenv(name, raising=False)


def test_defaults_follow_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = load_settings(None)
    assert settings.data_dir == tmp_path / "melodiclens"
    assert settings.database_url == ""
    assert settings.ollama_hosts == ["http://127.0.0.1:11434"]


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("MELODICLENS_VISION_TIMEOUT_S", "soon", "MELODICLENS_VISION_TIMEOUT_S"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        (
            "SPOTIFY_REDIRECT_URI",
            "http://localhost:8888/spotify/callback",
            r"SPOTIFY_REDIRECT_URI.*localhost",
        ),
    ],
    ids=["malformed number", "database not postgres", "localhost redirect"],
)
def test_a_bad_value_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=said):
        load_settings(None)


def test_ollama_host_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "gpu1:11434, http://gpu2:11434/")
    assert load_settings(None).ollama_hosts == ["http://gpu1:11434", "http://gpu2:11434"]


def test_short_secret_key_refused_without_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MELODICLENS_SECRET_KEY", "tooshort")
    with pytest.raises(SettingsError, match="MELODICLENS_SECRET_KEY") as caught:
        load_settings(None)
    assert "tooshort" not in str(caught.value)


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("MELODICLENS_TOP_N=3\nTELEGRAM_TOKEN=123:abc\n")
    settings = load_settings(env)
    assert settings.top_n == 3
    assert settings.telegram_token is not None
    assert "123:abc" not in repr(settings)


def test_env_example_documents_every_variable() -> None:
    from bot.settings import Settings

    documented = (ROOT / ".env.example").read_text()
    missing = [env_name(f) for f in Settings.model_fields if f"{env_name(f)}=" not in documented]
    assert missing == []


@pytest.mark.parametrize("variable", ["DATABASE_URL", "MELODICLENS_DATABASE_REPLICA_URL"])
@pytest.mark.parametrize(
    "url",
    [
        "mysql://melody:hunter2-pw@db.example/music",
        "postgres ://melody:hunter2-pw@db.example/music",
        "mysql://db.example/music?password=hunter2-pw&sslmode=require",
        "host=db.example password=hunter2-pw",
    ],
)
def test_a_bad_database_url_is_named_without_its_password(
    monkeypatch: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    monkeypatch.setenv(variable, url)
    with pytest.raises(SettingsError, match=variable) as caught:
        load_settings(None)
    assert "hunter2" not in str(caught.value)


async def test_an_unparsable_database_url_fails_without_quoting_the_password(
    tmp_path: Path,
) -> None:
    from db.errors import DatabaseError
    from db.pool import connect

    # a '/' in the password makes the parser read the rest as a port and quote it
    for url in (
        "postgresql://melody:hunter2/pw@127.0.0.1/db",
        "postgresql://m:hunter2@127.0.0.1:1/db",
    ):
        with pytest.raises(DatabaseError) as caught:
            await connect(url, tmp_path)
        assert "hunter2" not in str(caught.value) and "127.0.0.1" in str(caught.value)


def test_old_secret_keys_follow_the_current_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MELODICLENS_SECRET_KEY", "n" * 32)
    monkeypatch.setenv("MELODICLENS_OLD_SECRET_KEYS", f"{'o' * 32}, {'p' * 32}")
    settings = load_settings(None)
    assert settings.secret_keys == ("n" * 32, "o" * 32, "p" * 32)
    assert "o" * 32 not in repr(settings)
    monkeypatch.setenv("MELODICLENS_OLD_SECRET_KEYS", f"{'o' * 32},short-old")
    with pytest.raises(SettingsError, match="MELODICLENS_OLD_SECRET_KEYS") as caught:
        load_settings(None)
    assert "short-old" not in str(caught.value)


# --- `.env.example` as shipped: an empty value means "not set" ------------------------------


def shipped_env(folder: Path) -> Path:
    """The real `.env.example`, copied as a new user does: `cp .env.example .env`."""
    env = folder / ".env"
    env.write_text((ROOT / ".env.example").read_text())
    return env


def test_the_shipped_env_example_loads_as_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.settings import Settings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    settings = load_settings(shipped_env(tmp_path))
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings == defaults
    assert settings.data_dir == tmp_path / "share" / "melodiclens"
    assert settings.discord_shard_count is None and settings.secret_key is None
    assert settings.old_secret_keys is None and settings.log_level is None


def test_empty_environment_values_mean_not_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.settings import Settings

    # What docker compose passes on from a copied .env: every variable, most of them empty.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    for field in Settings.model_fields:
        monkeypatch.setenv(env_name(field), "")
    settings = load_settings(None)
    assert settings == Settings(_env_file=None, data_dir=tmp_path / "melodiclens")  # type: ignore[call-arg]
    assert settings.ollama_hosts == ["http://127.0.0.1:11434"]
    assert settings.top_n == 5


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_data_dir_is_the_default_never_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, blank: str
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("MELODICLENS_DATA_DIR", blank)
    assert load_settings(None).data_dir == tmp_path / "melodiclens"
    env = tmp_path / ".env"
    env.write_text(f"MELODICLENS_DATA_DIR={blank}\n")
    monkeypatch.delenv("MELODICLENS_DATA_DIR")
    assert load_settings(env).data_dir == tmp_path / "melodiclens"


def test_a_value_set_in_the_environment_wins_over_an_empty_one_in_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MELODICLENS_TOP_N", "3")
    assert load_settings(shipped_env(tmp_path)).top_n == 3


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A folder the embedded server's own user can reach, with a short socket path."""
    path = Path(tempfile.mkdtemp(prefix="mls-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_commands_run_with_the_shipped_env_example(short_tmp: Path) -> None:
    import subprocess
    import sys

    tmp_path = short_tmp
    shipped_env(tmp_path)
    env = first_time_env(XDG_DATA_HOME=str(tmp_path / "share"))

    def melodiclens(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    # The settings load (an error in them would exit 2), then the command refuses its argument.
    nobody = melodiclens("recommend", "--text", "rain", "--user", "nobody")
    assert nobody.returncode == 1, nobody.stderr
    assert "use PLATFORM:ID" in nobody.stderr
    current = melodiclens("db", "current")
    assert current.returncode == 0, current.stderr
    assert "(newest: " in current.stdout
    # The blank MELODICLENS_DATA_DIR meant the default, not a database in the current folder.
    assert (tmp_path / "share" / "melodiclens" / "pg").is_dir()
    assert not (tmp_path / "pg").exists()
