"""docs/faults.md lists 42 fault kinds, and every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAULTS = ROOT / "docs" / "faults.md"
KINDS = 42


def test_the_fault_list_has_every_kind_and_names_only_real_tests() -> None:
    text = FAULTS.read_text()
    numbers = [int(n) for n in re.findall(r"^(\d+)\. \*\*", text, re.MULTILINE)]
    assert numbers == list(range(1, KINDS + 1))
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert len(named) >= KINDS
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.MULTILINE)
    ]
    assert missing == []
    for kind in re.split(r"^\d+\. ", text, flags=re.MULTILINE)[1 : KINDS + 1]:
        assert "`tests/" in kind, kind.splitlines()[0]
