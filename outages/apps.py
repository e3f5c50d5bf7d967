from django.apps import AppConfig


class OutagesConfig(AppConfig):
    name = "outages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from outages import status_cache  # noqa: F401 (connects its signal receivers)
