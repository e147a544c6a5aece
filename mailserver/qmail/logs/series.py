"""The Mail Logs chart's data: successes, deferrals and failures counted per time bucket.

The bucket is chosen from the period's length so a chart has at most MAX_BUCKETS bars: ten
seconds for the last five minutes, a minute for an hour, an hour for a week. Buckets are aligned
to multiples of their size (whole minutes, whole hours) so their labels read naturally.
"""

from __future__ import annotations

import math
from typing import Any

from .reports import RESULTS

STEPS = (10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800)
MAX_BUCKETS = 96


def bucket_for(seconds: float) -> int:
    """The smallest step that covers ``seconds`` in at most MAX_BUCKETS buckets."""
    for step in STEPS:
        if seconds / step <= MAX_BUCKETS:
            return step
    return math.ceil(seconds / MAX_BUCKETS / STEPS[-1]) * STEPS[-1]  # years of log: whole weeks


class Series:
    def __init__(self, start: float, end: float) -> None:
        end = max(end, start)
        self.bucket = bucket_for(end - start)
        self.origin = math.floor(start / self.bucket) * self.bucket
        self.size = max(1, math.ceil((end - self.origin) / self.bucket))
        self.counts: dict[str, list[int]] = {result: [0] * self.size for result in RESULTS}

    def add(self, when: float, result: str) -> None:
        # Clamped: a result stamped at the period's very edge still counts in the chart's totals.
        index = min(max(int((when - self.origin) // self.bucket), 0), self.size - 1)
        self.counts[result][index] += 1

    def totals(self) -> dict[str, int]:
        return {result: sum(counts) for result, counts in self.counts.items()}

    def as_dict(self) -> dict[str, Any]:
        """Bucket starts as epoch seconds, and one count list per result."""
        times = [self.origin + i * self.bucket for i in range(self.size)]
        return {"bucket": self.bucket, "times": times, **self.counts}
