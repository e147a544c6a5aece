"""What the dashboard remembers: the queue counts of each node over the last day, for its trend."""

from __future__ import annotations

from django.db import models


class QueueSample(models.Model):
    """The queue counts of one node at one moment (the agent's time of the count)."""

    node = models.CharField(max_length=63)
    at = models.DateTimeField()
    local = models.PositiveIntegerField()
    remote = models.PositiveIntegerField()
    todo = models.PositiveIntegerField()
    messages = models.PositiveIntegerField()  # qmail-qstat's "messages in queue"

    class Meta:
        ordering = ["node", "at"]
        # Every read is "this node, since then" and pruning is "older than then".
        indexes = [models.Index(fields=["node", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return (
            f"{self.node} at {self.at:%Y-%m-%d %H:%M:%S}: local {self.local}, remote {self.remote}, "
            f"todo {self.todo}"
        )
