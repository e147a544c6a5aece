"""Capture a real signed agent message in Redis, as anyone with write access to the broker could.

The panel's own client (``agent.call``) sends the message, so it is signed by the
panel's key and carries the real meta; only its queue is diverted to one no worker
consumes. The test then holds the raw message kombu stored, may alter what the
signature does not cover (headers, routing), and pushes it into a node's queue.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import redis

from mailserver.agent import config
from mailserver.core import agent

CAPTURE_QUEUE = "node.capture"  # no worker consumes it


def client(broker: str) -> redis.Redis:
    return redis.Redis.from_url(broker, socket_connect_timeout=2, socket_timeout=5)


@contextlib.contextmanager
def captured_call(
    broker: str,
    operation: str,
    payload: dict[str, Any],
    *,
    node: str = "test",
    timeout: float = 10,
) -> Iterator[tuple[dict[str, Any], Future[Any]]]:
    """Run ``agent.call(operation, payload, node=node)`` with its message diverted into CAPTURE_QUEUE.

    Yields the raw message, as kombu's redis transport stores it (a JSON object in a
    list named after the queue), and the future of the call, which is still waiting
    for a reply to that message's task id.
    """
    redis_client = client(broker)
    redis_client.delete(CAPTURE_QUEUE)
    real_queue_for = config.queue_for
    config.queue_for = lambda name: CAPTURE_QUEUE  # call() looks it up at each call
    try:
        with ThreadPoolExecutor(1) as pool:
            reply = pool.submit(agent.call, operation, payload, node=node, timeout=timeout)
            try:
                popped = redis_client.brpop([CAPTURE_QUEUE], timeout=10)
            finally:
                config.queue_for = real_queue_for
            assert popped, f"no message arrived in {CAPTURE_QUEUE}"
            yield json.loads(popped[1]), reply
            # Leaving waits for the call: it ends with the agent's reply, or its own timeout.
    finally:
        config.queue_for = real_queue_for


@contextlib.contextmanager
def answered_by(broker: str, answer: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """Inside the block, the next agent message is diverted and ``answer(message)`` replies in its place.

    The call itself runs in the caller's thread (and database connection), so what it
    records is seen, and rolled back, with the test.
    """
    redis_client = client(broker)
    redis_client.delete(CAPTURE_QUEUE)
    real_queue_for = config.queue_for
    config.queue_for = lambda name: CAPTURE_QUEUE

    def reply() -> None:
        popped = redis_client.brpop([CAPTURE_QUEUE], timeout=10)
        if popped:
            answer(json.loads(popped[1]))

    with ThreadPoolExecutor(1) as pool:
        responder = pool.submit(reply)
        try:
            yield
        finally:
            config.queue_for = real_queue_for
            responder.result(timeout=15)


def push(broker: str, message: dict[str, Any], queue: str = "node.test") -> None:
    """Enqueue a raw message the way kombu's redis transport does: LPUSH its JSON onto the queue's list.

    The routing fields kombu keeps in ``properties`` are set to match, as an attacker would.
    """
    message = json.loads(json.dumps(message))  # a copy: the caller may push the original again
    message["properties"]["delivery_info"]["routing_key"] = queue
    client(broker).lpush(queue, json.dumps(message))


def agent_log_after(work_dir: Any, marker: str, timeout: float = 10) -> str:
    """The agent's log once ``marker`` appears in it (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while True:
        text = (work_dir / "agent.log").read_text(errors="replace")
        if marker in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)
