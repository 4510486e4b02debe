"""The docker compose deployment, checked by reading it (no Docker engine runs here)."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.cli.main import build_parser
from bot.settings import Settings, env_name, load_settings
from db.pool import Database
from support.bot_process import free_port, wait_healthy
from support.catalog_fixture import write_catalog
from support.fakes.fake_ollama import FakeOllama
from support.fakes.fake_telegram import FakeTelegram, private_chat, user

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("catalog", "melodiclens", "worker")
# Variables the compose file may interpolate that are not MelodicLens settings: the database
# password is shared by the postgres service and DATABASE_URL, and never leaves the network;
# the catalog the first start imports; the address the web port is published on.
COMPOSE_ONLY_VARIABLES = {
    "POSTGRES_PASSWORD",
    "MELODICLENS_CATALOG_URL",
    "MELODICLENS_PUBLISH_ADDRESS",
}
INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")
# A first start imports the catalog and loads the text model: minutes on a busy 2-core machine.
START_TIMEOUT_S = 300.0
HEALTH_POLL_S = 0.5


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


def interpolate(value: str, variables: dict[str, str] | None = None) -> str:
    """`${VAR:-default}` as compose resolves it: the variable when set and not empty, else the
    default (with nothing set: the default)."""
    known = variables or {}
    return INTERPOLATION.sub(lambda m: known.get(m.group(1)) or m.group(2) or "", value)


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


def test_the_services_run_the_right_images(services: dict[str, Any]) -> None:
    assert {"postgres", "ollama", "ollama-pull", "catalog", "melodiclens", "worker"} <= set(
        services
    )
    assert re.fullmatch(r"pgvector/pgvector:pg1[78].*", services["postgres"]["image"])
    assert services["ollama"]["image"].startswith("ollama/ollama")
    assert services["ollama-pull"]["image"] == services["ollama"]["image"]
    for name in APP_SERVICES:
        if name in services:
            assert services[name]["build"] == "."


def conditions(services: dict[str, Any], name: str) -> dict[str, str]:
    """What a service waits for: each dependency and its condition."""
    return {dep: spec["condition"] for dep, spec in services[name].get("depends_on", {}).items()}


def start_order(services: dict[str, Any]) -> list[str]:
    """The services in the order compose starts them (each after what it depends on)."""
    order: list[str] = []
    while len(order) < len(services):
        ready = sorted(
            name
            for name in services
            if name not in order and set(conditions(services, name)) <= set(order)
        )
        assert ready, f"a dependency cycle among {set(services) - set(order)}"
        order += ready
    return order


def test_start_order_waits_for_health(services: dict[str, Any]) -> None:
    assert conditions(services, "ollama-pull") == {"ollama": "service_healthy"}
    assert conditions(services, "catalog") == {"postgres": "service_healthy"}
    assert conditions(services, "melodiclens") == {
        "postgres": "service_healthy",
        "catalog": "service_completed_successfully",
        "ollama": "service_started",
    }
    # The worker starts after the bot has brought the schema up to date.
    assert conditions(services, "worker") == {
        "postgres": "service_healthy",
        "melodiclens": "service_healthy",
    }


def test_the_catalog_step_runs_before_the_bot_and_the_pull_blocks_nothing(
    services: dict[str, Any],
) -> None:
    order = start_order(services)
    position = {name: order.index(name) for name in order}
    assert position["postgres"] < position["catalog"] < position["melodiclens"]
    assert position["melodiclens"] < position["worker"]
    assert position["ollama"] < position["melodiclens"]
    # A 3 GB model may take long to pull, or fail: nobody waits for it.
    waiting_for_pull = [n for n in services if "ollama-pull" in conditions(services, n)]
    assert waiting_for_pull == []
    assert services["catalog"]["restart"] == "no"  # one-shot: it runs, then stays stopped


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


def test_only_the_callback_port_is_published_on_loopback(services: dict[str, Any]) -> None:
    default_port = Settings.model_fields["http_port"].default
    published = [interpolate(port) for port in services["melodiclens"]["ports"]]
    assert published == [f"127.0.0.1:{default_port}:{default_port}"]
    # The documented opt-out: MELODICLENS_PUBLISH_ADDRESS=0.0.0.0 in .env.
    everywhere = {"MELODICLENS_PUBLISH_ADDRESS": "0.0.0.0"}
    assert interpolate(services["melodiclens"]["ports"][0], everywhere).startswith("0.0.0.0:")
    # The default Spotify redirect URI points at that same port.
    assert f":{default_port}/" in Settings.model_fields["spotify_redirect_uri"].default
    for name in ("postgres", "ollama", "ollama-pull", "catalog", "worker"):
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


def test_the_catalog_step_imports_only_into_an_empty_catalog(services: dict[str, Any]) -> None:
    upgrade, catalog_import = melodiclens_commands(services["catalog"])
    assert upgrade == ["db", "upgrade"]
    args = build_parser().parse_args([interpolate(word) for word in catalog_import])
    assert args.catalog_action == "import" and args.if_empty and args.trending
    assert args.file.startswith("https://") and args.file.endswith(".csv")


def test_compose_only_variables_are_documented_in_env_example() -> None:
    documented = (ROOT / ".env.example").read_text()
    for variable in COMPOSE_ONLY_VARIABLES:
        assert f"\n{variable}=" in documented, variable


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
    # A failed pull is tried again a few times; a finished one is never started again.
    assert pull["restart"].startswith("on-failure:")
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
    from bot.lifecycle import DRAIN_TIMEOUT_S

    grace = float(services["melodiclens"]["stop_grace_period"].removesuffix("s"))
    assert grace >= DRAIN_TIMEOUT_S + WORKER_STOP_GRACE_S


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


# --- the entrypoints, run the way compose runs them ------------------------------------------
# No Docker engine runs here: each app service's command runs in `sh -c` as the container would,
# with the container's environment (the copied `.env.example` with all its empty values, then
# the service's `environment:`). The embedded PostgreSQL stands in for the postgres service, a
# loopback server for the catalog's host, fakes for Telegram and for an Ollama whose model is
# still being pulled.


def container_env(service: dict[str, Any], dotenv: Path, **overrides: str) -> dict[str, str]:
    """The environment a compose service's process gets: env_file, then `environment:`."""
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HF_HUB_OFFLINE": "1"}
    for line in dotenv.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value  # compose passes empty values on as empty strings
    env.update({k: interpolate(str(v)) for k, v in service["environment"].items()})
    env.update(overrides)
    return env


async def run_entrypoint(
    service: dict[str, Any], env: dict[str, str], variables: dict[str, str], cwd: Path
) -> asyncio.subprocess.Process:
    """A service's `sh -c` command, interpolated as compose does, started in a child process."""
    shell, flag, script = service["command"]
    assert (shell, flag) == ("sh", "-c")
    return await asyncio.create_subprocess_exec(
        shell, flag, interpolate(script, variables), env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


@pytest.fixture
def container_dir() -> Iterator[Path]:
    """The container's working folder and /data (short, for the embedded server's socket)."""
    path = Path(tempfile.mkdtemp(prefix="mlc-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def catalog_host(container_dir: Path) -> AsyncIterator[str]:
    """A loopback web server that serves the fictional catalog, as the catalog's host would."""
    catalog = write_catalog(container_dir / "served.csv")

    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(catalog, headers={"Content-Type": "text/csv"})

    app = web.Application()
    app.router.add_get("/catalog.csv", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/catalog.csv"
    await runner.cleanup()


@pytest.mark.slow
async def test_the_entrypoints_fill_the_catalog_then_answer_before_the_model_is_pulled(
    services: dict[str, Any], db: Database, container_dir: Path, catalog_host: str
) -> None:
    dotenv = container_dir / ".env"
    shutil.copy(ROOT / ".env.example", dotenv)
    telegram = FakeTelegram()
    await telegram.start()
    port = free_port()
    variables = {"MELODICLENS_CATALOG_URL": catalog_host}
    try:
        async with FakeOllama(models=()) as ollama:  # ollama-pull has not finished yet
            stand_ins = {
                "DATABASE_URL": db.url,
                "OLLAMA_HOST": ollama.url,
                "MELODICLENS_DATA_DIR": str(container_dir),
                "MELODICLENS_HTTP_HOST": "127.0.0.1",
                "MELODICLENS_HTTP_PORT": str(port),
            }
            catalog_env = container_env(services["catalog"], dotenv, **stand_ins)
            first = await run_entrypoint(services["catalog"], catalog_env, variables, container_dir)
            out, err = await asyncio.wait_for(first.communicate(), START_TIMEOUT_S)
            assert first.returncode == 0, err.decode()
            imported = await db.pool.fetchval("SELECT count(*) FROM tracks WHERE in_catalog")
            assert imported > 0 and f"{imported:,} rows" in out.decode()
            again = await run_entrypoint(services["catalog"], catalog_env, variables, container_dir)
            out, err = await asyncio.wait_for(again.communicate(), START_TIMEOUT_S)
            assert again.returncode == 0, err.decode()
            assert "nothing imported" in out.decode()  # a restart never imports twice

            bot_env = container_env(
                services["melodiclens"], dotenv, **stand_ins,
                TELEGRAM_TOKEN=telegram.token, MELODICLENS_TELEGRAM_API_URL=telegram.url,
            )  # fmt: skip
            bot = await run_entrypoint(services["melodiclens"], bot_env, variables, container_dir)
            try:
                await wait_healthy(port, bot, START_TIMEOUT_S)
                ana = user(4101, "Ana")
                photo = telegram.photo(private_chat(ana), ana, "")
                answer = await telegram.next_sent(within_s=START_TIMEOUT_S)
                assert answer.reply_to == photo["message_id"]
                assert "https://open.spotify.com/track/" in answer.text
                assert "not read by the vision model" in answer.text  # and it says so
                bot.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(bot.wait(), START_TIMEOUT_S) == 0
            finally:
                if bot.returncode is None:
                    bot.kill()
                    await bot.wait()
    finally:
        await telegram.stop()
