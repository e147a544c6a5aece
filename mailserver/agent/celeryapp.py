"""The Celery app both sides use: signed JSON tasks only, signed results in JSON.

The web process imports this to send tasks (by name, to a node's queue); the
agent worker imports ``mailserver.agent.worker``, which also registers the
whitelisted operations.
"""

from __future__ import annotations

from celery import Celery

from . import config, transport

# Every network wait is short and retried at most once: a panel page must say
# "agent unreachable" within seconds, not retry for ~20 s.
_RETRY_ONCE = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def make_app(settings: config.AgentConfig) -> Celery:
    transport.register_serializer()
    # No Django fixup: the root agent must never import the panel (its settings, models, URLs),
    # and the web only sends tasks. Celery would load it whenever DJANGO_SETTINGS_MODULE is set.
    app = Celery("nodeworx", fixups=[])
    app.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.result_url,
        # Tasks are signed JSON and the worker accepts nothing else: kombu refuses any other
        # content type (pickle included) before a decoder sees the body (see transport.py).
        task_serializer=transport.SERIALIZER,
        accept_content=[transport.CONTENT_TYPE],
        # Results are JSON strings, each sealed by the node's key; the panel opens them itself.
        result_serializer="json",
        result_accept_content=["json"],
        event_serializer="json",
        # Broadcast commands (shutdown, pool restarts, rate limits) are unsigned: not listened to.
        worker_enable_remote_control=False,
        # A message Celery cannot take in is dropped, not allowed to stop the worker.
        worker_consumer="mailserver.agent.consumer:GuardedConsumer",
        worker_send_task_events=False,
        # Nothing reaches a node except through its own queue.
        task_default_queue=settings.queue,
        task_create_missing_queues=True,
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 1},
        # A publish is never retried: the first attempt may have reached a Redis that then stalled,
        # and a second copy of the signed message would be refused as a replay, overwriting the
        # first copy's answer.
        task_publish_retry=False,
        result_backend_transport_options={"retry_policy": _RETRY_ONCE},
        redis_socket_connect_timeout=2,
        redis_socket_timeout=5,
    )
    return app


settings = config.load()
app = make_app(settings)
