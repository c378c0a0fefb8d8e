"""A per-host circuit breaker: after failures, fail fast until a retry time.

A dead login node then costs each caller nothing instead of a full connect
timeout, and the first call after the cool-down probes it again (half-open).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    failure_threshold: int = 1
    base_backoff: float = 1.0
    max_backoff: float = 60.0
    clock: Callable[[], float] = field(default=time.monotonic)
    failures: int = 0
    open_until: float = 0.0
    last_error: str | None = None

    def retry_in(self) -> float:
        """Seconds until calls are allowed again (0 when closed or half-open)."""
        return max(0.0, self.open_until - self.clock())

    @property
    def state(self) -> str:
        if self.failures < self.failure_threshold:
            return "closed"
        return "open" if self.retry_in() > 0 else "half-open"

    def record_success(self) -> None:
        self.failures = 0
        self.open_until = 0.0
        self.last_error = None

    def record_failure(self, error: str) -> None:
        self.failures += 1
        self.last_error = error
        if self.failures >= self.failure_threshold:
            exponent = self.failures - self.failure_threshold
            backoff = min(self.max_backoff, self.base_backoff * (2 ** min(exponent, 16)))
            self.open_until = self.clock() + backoff
