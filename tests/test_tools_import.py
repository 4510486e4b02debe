"""Every benchmark, training and experiment module imports: they run by hand, not in the suite,
so a name moved elsewhere (as benchmarks/soak.py's free_port once was) would otherwise go
unnoticed until someone runs them. Imported in a child process: tests never import them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("benchmarks", "training", "experiments")

IMPORT_ALL = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def _modules() -> list[str]:
    return sorted(
        f"{folder}.{path.stem}"
        for folder in FOLDERS
        for path in (ROOT / folder).glob("*.py")
        if path.stem != "__init__"
    )


def test_every_tool_module_imports() -> None:
    modules = _modules()
    assert len(modules) > 20 and "benchmarks.soak" in modules
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
