"""Écritures du socle partagées par toutes les applications : entretien courant de la base."""

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone


@transaction.atomic
def purger_sessions_expirees(*, maintenant=None) -> int:
    """Supprime les sessions expirées (Django ne le fait jamais seul) ; renvoie leur nombre."""
    maintenant = maintenant or timezone.now()
    supprimees, _ = Session.objects.filter(expire_date__lt=maintenant).delete()
    return supprimees
