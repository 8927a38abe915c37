"""Sliding-window rate limiter for the public API."""

from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    limit: int
    window_s: int
    recent: list[int] = field(default_factory=list)

    def allow(self, stamps: list[int]) -> list[bool]:
        """For each request time (non-decreasing), whether it is let through."""
        decisions = []
        for now in stamps:
            while self.recent and self.recent[0] <= now - self.window_s:
                self.recent.pop(0)
            if len(self.recent) < self.limit:
                self.recent.append(now)
                decisions.append(True)
            else:
                decisions.append(False)
        return decisions
