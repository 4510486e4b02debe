"""The docker compose deployment, checked by reading it (no Docker engine runs here)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.main import build_parser
from bot.settings import Settings, env_name, load_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("melodiclens", "worker")
# Variables the compose file may interpolate that are not MelodicLens settings: the database
# password is shared by the postgres service and DATABASE_URL, and never leaves the network;
# the address the web port is published on is Docker's, not the bot's.
COMPOSE_ONLY_VARIABLES = {"POSTGRES_PASSWORD", "MELODICLENS_PUBLISH_ADDRESS"}
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The parsed compose file."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    """The compose services by name."""
    found: dict[str, Any] = compose["services"]
    return found


def settings_variables() -> set[str]:
    """Every environment variable the settings object reads."""
    return {env_name(field) for field in Settings.model_fields}


def interpolate(value: str) -> str:
    """`${VAR:-default}` as compose resolves it with nothing set: the default."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def command_words(service: dict[str, Any]) -> list[str]:
    """A service's command as one list of words, whatever form it is written in."""
    command = service["command"]
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        words = shlex.split(words[2])
    return words


def melodiclens_commands(service: dict[str, Any]) -> list[list[str]]:
    """The `melodiclens ...` invocations in a service's command, in order."""
    commands: list[list[str]] = []
    current: list[str] | None = None
    for word in command_words(service):
        if word in {"&&", ";", "||"}:
            current = None
        elif word == "melodiclens":
            current = []
            commands.append(current)
        elif current is not None and word != "exec":
            current.append(word)
    return commands


def test_the_four_services_run_the_right_images(services: dict[str, Any]) -> None:
    assert {"postgres", "ollama", "ollama-pull", "melodiclens"} <= set(services)
    assert re.fullmatch(r"pgvector/pgvector:pg1[78].*", services["postgres"]["image"])
    assert services["ollama"]["image"].startswith("ollama/ollama")
    assert services["ollama-pull"]["image"] == services["ollama"]["image"]
    for name in APP_SERVICES:
        if name in services:
            assert services[name]["build"] == "."


def test_start_order_waits_for_health(services: dict[str, Any]) -> None:
    def conditions(name: str) -> dict[str, str]:
        return {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}

    assert conditions("ollama-pull") == {"ollama": "service_healthy"}
    assert conditions("melodiclens") == {
        "postgres": "service_healthy",
        "ollama-pull": "service_completed_successfully",
    }
    if "worker" in services:
        # The worker starts after the bot has brought the schema up to date.
        assert conditions("worker")["melodiclens"] == "service_healthy"
        assert conditions("worker")["postgres"] == "service_healthy"


def test_long_running_services_have_healthchecks(services: dict[str, Any]) -> None:
    for name in ("postgres", "ollama", "melodiclens"):
        check = services[name]["healthcheck"]
        assert check["test"][0] in {"CMD", "CMD-SHELL"}
        assert check["retries"] >= 3
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["ollama"]["healthcheck"]["test"][1:] == ["ollama", "list"]
    probe = " ".join(services["melodiclens"]["healthcheck"]["test"])
    assert "/healthz" in probe and "MELODICLENS_HTTP_PORT" in probe


def test_app_environment_names_are_settings_the_app_reads(services: dict[str, Any]) -> None:
    known = settings_variables()
    for name in APP_SERVICES:
        if name not in services:
            continue
        service = services[name]
        assert service["env_file"] == ".env"
        unknown = set(service["environment"]) - known
        assert not unknown, f"{name} sets variables that MelodicLens never reads: {unknown}"


def test_interpolated_variables_are_settings_or_documented(compose_text: str) -> None:
    used = {match.group(1) for match in INTERPOLATION.finditer(compose_text)}
    unknown = used - settings_variables() - COMPOSE_ONLY_VARIABLES
    assert not unknown, f"the compose file reads variables nobody documents: {unknown}"


@pytest.fixture(scope="module")
def compose_text() -> str:
    """The compose file as text."""
    return COMPOSE.read_text()


def test_app_environment_reaches_the_other_containers(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the bot would read inside its container, through the real settings loader.
    for variable, value in services["melodiclens"]["environment"].items():
        monkeypatch.setenv(variable, interpolate(str(value)))
    settings = load_settings(env_file=None)
    assert settings.database_url.startswith("postgresql://melodiclens:")
    assert "@postgres:5432/" in settings.database_url
    assert settings.ollama_hosts == ["http://ollama:11434"]
    assert settings.http_host == "0.0.0.0"
    mounts = dict(volume.split(":")[::-1] for volume in services["melodiclens"]["volumes"])
    assert str(settings.data_dir) in mounts


def test_only_the_callback_port_is_published(services: dict[str, Any]) -> None:
    default_port = Settings.model_fields["http_port"].default
    published = [interpolate(port) for port in services["melodiclens"]["ports"]]
    # on loopback unless the operator publishes it wider (issue 21)
    assert published == [f"127.0.0.1:{default_port}:{default_port}"]
    # The default Spotify redirect URI points at that same port.
    assert f":{default_port}/" in Settings.model_fields["spotify_redirect_uri"].default
    for name in ("postgres", "ollama", "ollama-pull", "worker"):
        assert "ports" not in services.get(name, {}), f"{name} must stay on the compose network"


def test_named_volumes_are_declared_and_used(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used = {
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
    }
    assert used == declared
    postgres_mounts = [v.split(":")[1] for v in compose["services"]["postgres"]["volumes"]]
    # PostgreSQL 18 images keep data under a versioned directory below /var/lib/postgresql.
    expected = (
        "/var/lib/postgresql"
        if "pg18" in compose["services"]["postgres"]["image"]
        else ("/var/lib/postgresql/data")
    )
    assert postgres_mounts == [expected]
    assert [v.split(":")[1] for v in compose["services"]["ollama"]["volumes"]] == ["/root/.ollama"]


def test_schema_upgrade_runs_before_the_bot(services: dict[str, Any]) -> None:
    assert melodiclens_commands(services["melodiclens"]) == [["db", "upgrade"], ["run"]]
    # `&&`: the bot never starts on a schema that failed to upgrade.
    script = services["melodiclens"]["command"][-1]
    assert re.search(r"melodiclens db upgrade\s*&&\s*(exec\s+)?melodiclens run", script)


def test_every_compose_command_is_a_real_subcommand(services: dict[str, Any]) -> None:
    parser = build_parser()
    for name in APP_SERVICES:
        if name not in services:
            continue
        for words in melodiclens_commands(services[name]):
            args = parser.parse_args(words)
            assert callable(args.handler), f"`melodiclens {' '.join(words)}` has no handler"


def test_the_pull_service_fetches_the_configured_model(services: dict[str, Any]) -> None:
    pull = services["ollama-pull"]
    assert pull["restart"] == "no"
    assert pull["environment"]["OLLAMA_HOST"] == "ollama:11434"
    assert pull["command"][0] == "pull"
    model = pull["command"][1]
    assert "MELODICLENS_VISION_MODEL" in model
    assert interpolate(model) == Settings.model_fields["vision_model"].default


def test_shutdown_waits_longer_than_a_vision_call(services: dict[str, Any]) -> None:
    grace = services["melodiclens"]["stop_grace_period"]
    assert grace.endswith("s")
    assert float(grace[:-1]) > Settings.model_fields["vision_timeout_s"].default


def test_compose_waits_for_the_whole_graceful_shutdown(services: dict[str, Any]) -> None:
    from bot.cli.runner import WORKER_STOP_GRACE_S
    from bot.telegram.adapter import STOP_GRACE_S

    grace = float(services["melodiclens"]["stop_grace_period"].removesuffix("s"))
    assert grace >= STOP_GRACE_S + WORKER_STOP_GRACE_S


def test_dockerfile_pins_cpu_torch_and_ships_the_schema() -> None:
    text = DOCKERFILE.read_text()
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    pyproject = (ROOT / "pyproject.toml").read_text()
    pinned = re.search(r'"torch==([0-9.]+)"', pyproject)
    assert pinned is not None and pinned.group(1) == "2.13.0"
    torch_line = next(line for line in text.splitlines() if "torch==" in line)
    assert f"torch=={pinned.group(1)} " in f"{torch_line} "
    assert "--index-url https://download.pytorch.org/whl/cpu" in torch_line
    # torch installs before the project so that pip never resolves it from PyPI.
    assert text.index("torch==") < text.index("pip install -e .")
    for package in ("bot", "handlers", "recsys", "db", "alembic"):
        assert re.search(rf"^COPY {package}/ {package}/$", text, re.MULTILINE), package
    user = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert user and user[-1] not in {"root", "0"}


def test_dockerignore_keeps_secrets_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".git/" in ignored
