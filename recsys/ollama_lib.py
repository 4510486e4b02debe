"""The `ollama` package, imported so that MelodicLens's own OLLAMA_HOST cannot break it.

The package builds a module-level default client from OLLAMA_HOST when it is first imported,
and a comma-separated list of hosts (a documented MelodicLens setting) is no URL it can parse:
the import raised ValueError and every command died at start. The list is hidden from that one
import; MelodicLens's clients get their hosts from the settings, never from the environment.
"""

from __future__ import annotations

import os

_hosts = os.environ.get("OLLAMA_HOST")
if _hosts is not None and "," in _hosts:
    del os.environ["OLLAMA_HOST"]
try:
    import ollama
finally:
    if _hosts is not None:
        os.environ["OLLAMA_HOST"] = _hosts

__all__ = ["ollama"]
