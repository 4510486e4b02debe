"""The layer contracts (pyproject.toml, [tool.importlinter]) hold, and catch a wrong-way import.

Each case copies the packages the contracts name into a temporary tree, puts back one of the
imports the architecture change removed, and runs the real `lint-imports` on the copy with the
project's own contracts: it must fail, naming the broken contract.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every package the contracts name (the app's four, training, experiments, support, tests,
# benchmarks), as pyproject.toml lists them.
PACKAGES = tuple(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# The linter parses ~80 files; far more than this means something hangs.
LINT_TIMEOUT_S = 60


def _copy_tree(target: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, ahead of the editable install of the worktree.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=LINT_TIMEOUT_S,
        check=False,
    )


def test_the_layers_hold_today(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# (file, import line put back, the contract it breaks)
WRONG_WAY = [
    ("recsys/captioner.py", "from bot.settings import Settings", "recsys and db never import"),
    ("handlers/accounts.py", "from bot.settings import Settings", "Layers"),
    ("recsys/recommender.py", "from db.search import fetch_candidates", "recsys never imports db"),
    ("db/captions.py", "from recsys.captioner import CaptionCache", "db never imports recsys"),
    ("recsys/models.py", "from db.errors import DatabaseError", "recsys.models imports nothing"),
    ("recsys/captioner.py", "from db.captions import store_caption", "recsys never imports db"),
    ("bot/discord/commands.py", "from bot.discord import adapter", "No import cycles"),
]


@pytest.mark.parametrize(("path", "line", "contract"), WRONG_WAY)
def test_a_wrong_way_import_is_caught(tmp_path: Path, path: str, line: str, contract: str) -> None:
    _copy_tree(tmp_path)
    module = tmp_path / path
    module.write_text(module.read_text() + f"\n{line}  # noqa: E402, F401\n")
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [row for row in result.stdout.splitlines() if " BROKEN" in row]
    assert any(row.startswith(contract) for row in broken), result.stdout


def test_the_shared_values_import_nothing_of_the_app() -> None:
    """db may import recsys.models (the contracts' one exception), so that module must not
    reach back into recsys, or through it anywhere else: only the standard library (and numpy,
    for an annotation) stand in its imports."""
    tree = ast.parse((ROOT / "recsys" / "models.py").read_text())
    imported = {
        (node.module or "").split(".")[0]
        if isinstance(node, ast.ImportFrom)
        else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported, "the module's imports were not found"
    assert imported <= set(sys.stdlib_module_names) | {"__future__", "numpy"}, imported
