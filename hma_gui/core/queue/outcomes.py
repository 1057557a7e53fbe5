"""What a queue worker is told (`WorkerOptions`) and reports (`WorkerOutcome`, `WorkerReport`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hma_gui.core.queue.messages import Delivery

REPORT_SECONDS = 10.0


class OutcomeKind(StrEnum):
    UPLOADED = "uploaded"
    ALREADY_THERE = "already-there"
    FAILED = "failed"
    HANDED_BACK = "handed-back"


@dataclass(frozen=True, slots=True)
class WorkerOutcome:
    delivery: Delivery
    kind: OutcomeKind
    detail: str | None = None

    @property
    def source(self) -> str | None:
        return self.delivery.message.source if self.delivery.message else None

    @property
    def uri(self) -> str | None:
        return self.delivery.message.uri if self.delivery.message else None


@dataclass
class WorkerReport:
    uploaded: int = 0
    already_there: int = 0
    failed: int = 0
    handed_back: int = 0
    seconds: float = 0.0
    stop_reason: str | None = None
    failures: list[WorkerOutcome] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.uploaded + self.already_there


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 4
    lease_seconds: int = 120
    drain: bool = False
    wait_seconds: float = 10.0  # long polling; also how late a stop is noticed while idle
    report_seconds: float = REPORT_SECONDS
    receive_retry_seconds: float = 2.0  # first back-off after a failed receive (then doubled)
    # After the endpoint was unreachable several times in a row the uploads pause
    # (the executor's dead-endpoint pause); a worker tries again after this long.
    resume_after_seconds: float = 30.0
