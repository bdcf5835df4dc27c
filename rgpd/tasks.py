"""Tâches Celery du RGPD : minces enveloppes autour de rgpd.services."""

from celery import shared_task

from . import services


@shared_task
def anonymiser_menages_expires() -> int:
    """Chaque nuit (CELERY_BEAT_SCHEDULE) : renvoie le nombre de ménages anonymisés."""
    return len(services.anonymiser_menages_expires())
