"""Tâches Celery du socle : minces enveloppes autour de logement.services."""

from celery import shared_task

from . import services


@shared_task
def entretien_nocturne() -> dict[str, int]:
    """Ménage de la nuit (planifié par CELERY_BEAT_SCHEDULE) ; renvoie ce qui a été fait."""
    return {"sessions_expirees_supprimees": services.purger_sessions_expirees()}
