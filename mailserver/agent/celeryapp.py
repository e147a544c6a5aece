"""The Celery app both sides use: signed messages only, JSON results.

The web process imports this to send tasks (by name, to a node's queue); the
agent worker imports ``mailserver.agent.worker``, which also registers the
whitelisted operations.
"""

from __future__ import annotations

from celery import Celery

from . import config

_FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def make_app(settings: config.AgentConfig) -> Celery:
    app = Celery("nodeworx")
    app.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.result_url,
        # Only messages signed by a certificate in the store are deserialised;
        # an unsigned or foreign-signed message is refused and dropped. The signature
        # covers the body only, not the headers or queue: see meta.py for the rest.
        task_serializer="auth",
        accept_content=["auth"],
        event_serializer="auth",
        result_serializer="json",
        result_accept_content=["json"],
        security_key=str(settings.key),
        security_certificate=str(settings.certificate),
        security_cert_store=str(settings.cert_store / "*.pem"),
        security_digest="sha256",
        # Nothing reaches a node except through its own queue.
        task_default_queue=settings.queue,
        task_create_missing_queues=True,
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        # A panel page must say "agent unreachable" within seconds, not retry for ~20 s.
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 1},
        task_publish_retry_policy={
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.2,
        },
        result_backend_transport_options={
            "retry_policy": {
                "max_retries": 1,
                "interval_start": 0,
                "interval_step": 0.2,
                "interval_max": 0.2,
            },
        },
        redis_socket_connect_timeout=2,
        redis_socket_timeout=5,
    )
    app.setup_security()
    return app


settings = config.load()
app = make_app(settings)
