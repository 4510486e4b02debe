"""What `/healthz` reports about a running `melodiclens run`: its chat adapters, its job worker
and its vision hosts, beside the database check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from db.urls import display_url, scrub_text
from handlers.edge.worker import WorkerHealth
from recsys.vision_hosts import VisionHostPool


@dataclass
class RunHealth:
    """Live state the runner keeps up to date and the health check reads."""

    adapters: dict[str, str] = field(default_factory=dict)  # name -> starting|running|stopped
    worker: WorkerHealth | None = None
    vision: VisionHostPool | None = None

    def ready_without_database(self) -> bool:
        """Every adapter serves (the database is checked by the caller)."""
        return all(state == "running" for state in self.adapters.values())

    def report(self) -> dict[str, Any]:
        """The JSON fields beside the database's."""
        return {
            "adapters": dict(self.adapters),
            "worker": self.worker.as_dict() if self.worker is not None else None,
            "vision_hosts": [
                {
                    "url": display_url(load.url),
                    "in_flight": load.in_flight,
                    "resting": load.resting,
                    "last_failure": scrub_text(load.last_failure),
                }
                for load in (self.vision.loads() if self.vision is not None else ())
            ],
        }
