"""One line of `melodiclens doctor`'s report, kept apart so that `--help` loads no check."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it is fine, and the fix if not.

    An optional part (Ollama, Genius) that is missing is reported but never fails `doctor`:
    MelodicLens works without it, only with less.
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    optional: bool = False

    @property
    def needs_fixing(self) -> bool:
        """Whether this check should make `doctor` exit 1."""
        return not self.ok and not self.optional
