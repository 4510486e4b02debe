"""Start-up's objects frozen out of the garbage collector's reach (bot.app.freeze_startup_heap),
and what the collector still does afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.app import freeze_startup_heap


class Node:
    """A tracked object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def unfrozen_after() -> Iterator[None]:
    """The test process's objects back under the collector after the test."""
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.mark.usefixtures("unfrozen_after")
def test_start_up_objects_leave_the_collectors_reach_and_later_cycles_are_still_collected() -> None:
    built_at_start = Node()
    frozen = freeze_startup_heap()
    assert frozen == gc.get_freeze_count() > 0
    # a full collection no longer walks it
    assert not any(item is built_at_start for item in gc.get_objects())
    first, second = Node(), Node()
    first.other, second.other = second, first
    assert any(item is first for item in gc.get_objects())
    del first, second
    assert gc.collect() >= 2  # a cycle made after start-up is still freed
    assert built_at_start.other is None
