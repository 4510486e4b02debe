"""Settings: read once, bad values named, ecosystem names kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, env_name, load_settings

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


def test_malformed_number_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MELODICLENS_VISION_TIMEOUT_S", "soon")
    with pytest.raises(SettingsError, match="MELODICLENS_VISION_TIMEOUT_S"):
        load_settings(None)


def test_ollama_host_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "gpu1:11434, http://gpu2:11434/")
    assert load_settings(None).ollama_hosts == ["http://gpu1:11434", "http://gpu2:11434"]


def test_database_url_must_be_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings(None)


def test_localhost_redirect_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTIFY_REDIRECT_URI", "http://localhost:8888/spotify/callback")
    with pytest.raises(SettingsError, match=r"SPOTIFY_REDIRECT_URI.*localhost"):
        load_settings(None)


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
