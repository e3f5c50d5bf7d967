from django.apps import AppConfig


class OfficialConfig(AppConfig):
    name = "outages.official"
    label = "official"  # the tables, migrations and task names keep the short label
    verbose_name = "Official status pages"

    def ready(self) -> None:
        from outages.official import signals  # noqa: F401 - registers the receivers
