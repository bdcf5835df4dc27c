"""Tâches Celery du journal : minces enveloppes autour de journal.services."""

from celery import shared_task

from . import services


@shared_task
def purger_journal() -> dict[str, int]:
    """Planifiée chaque nuit (CELERY_BEAT_SCHEDULE) ; seul chemin qui supprime des événements."""
    return {"evenements_supprimes": services.purger()}
