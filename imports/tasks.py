"""Tâches Celery des imports : minces enveloppes autour de imports.services."""

from celery import shared_task
from django.conf import settings

from . import services

_DUREE_MAX = settings.IMPORT_DUREE_MAX_SECONDES


@shared_task(
    bind=True,
    # Acquittée à la fin seulement : un worker tué en plein travail laisse le message à la file,
    # qui le redonne ; la transaction interrompue n'a rien écrit.
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,  # l'état vit dans la base (Import.statut) ; la progression, ci-dessous
    soft_time_limit=_DUREE_MAX,
    time_limit=_DUREE_MAX + 60,
)
def importer(self, import_id: int) -> None:
    def publier(meta: dict) -> None:
        # Pendant l'écriture, la base ne montre rien aux autres connexions (transaction) : la
        # progression passe par le backend de résultats, que la page de suivi lit.
        self.update_state(state="PROGRESS", meta=meta)

    en_file = not self.request.is_eager
    services.executer(import_id, tache_id=self.request.id, publier=publier if en_file else None)


@shared_task
def verifier_imports_bloques() -> dict[str, int]:
    return services.verifier_imports_bloques()


@shared_task
def purger_fichiers_imports() -> int:
    return services.purger_fichiers()
