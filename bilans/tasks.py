"""Tâches Celery des bilans : minces enveloppes autour de bilans.services."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import services

_DUREE_MAX = settings.LOGEMENT["BILAN_DUREE_MAX_SECONDES"]


@shared_task(
    bind=True,
    # Acquittée à la fin seulement : un worker tué en plein travail laisse le message à la file,
    # qui le redonne (voir aussi verifier_bilans_bloques quand rien ne le redonne).
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,  # l'état vit dans la base (Bilan.statut), pas dans le backend
    soft_time_limit=_DUREE_MAX,
    time_limit=_DUREE_MAX + 60,
)
def produire_bilan(self, bilan_id: int) -> None:
    services.produire_bilan(bilan_id, tache_id=self.request.id)


@shared_task
def verifier_bilans_bloques() -> dict[str, int]:
    return services.verifier_bilans_bloques()


@shared_task
def bilans_annuels() -> int:
    """Le 15 janvier : les bilans de l'année écoulée."""
    return services.planifier_bilans_annuels(timezone.localdate().year - 1)


@shared_task
def bilans_trimestriels() -> int:
    """Le 15 du mois qui suit un trimestre : les bilans État de ce trimestre."""
    return services.planifier_bilans_trimestriels(
        *services.trimestre_precedent(timezone.localdate())
    )
