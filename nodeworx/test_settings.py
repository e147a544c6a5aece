"""Settings for the test suite: the real settings with a throwaway secret and fast hashing."""

import os

os.environ.setdefault("NODEWORX_SECRET_KEY", "tests-only-not-secret")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
