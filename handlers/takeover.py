"""Whether the update being answered was taken over from a process that stopped before it
had answered (set by the inbox's replay, read by the pipeline's intake)."""

from __future__ import annotations

from contextvars import ContextVar

# Tasks started while answering a taken-over update inherit it (asyncio copies the context).
TAKEN_OVER: ContextVar[bool] = ContextVar("taken_over", default=False)
