from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "journal"
    verbose_name = "Journal des accès et modifications"

    def ready(self):
        from . import signaux, tasks  # noqa: F401 — tâche enregistrée dès le démarrage

        signaux.brancher()
