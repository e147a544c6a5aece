"""The services the panel manages: the registry, their states, and the actions on them.

Pure Python (no Django, no Celery): the agent reads it to know what it may control and how
to tell a service is installed; the pages read it for titles, pages and the confirmations.
"""
