from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Logins (lock-out after failed attempts, optional TOTP) and the security headers of every page."""

    name = "mailserver.core.security"
    label = "security"
    verbose_name = "Login security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receiver that clears failures on login)
