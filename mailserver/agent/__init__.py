"""The privileged agent: a Celery worker that runs as root on the mail host.

It consumes only its node's queue, accepts only signed task messages, and
offers the small whitelist of operations in ``tasks``. The web process talks
to it through ``mailserver.core.agent`` and never touches the server itself.
"""
