from django.apps import AppConfig


class OfficialConfig(AppConfig):
    name = "official"
    verbose_name = "Official status pages"

    def ready(self) -> None:
        from official import signals  # noqa: F401 - registers the receivers
