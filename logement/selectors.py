"""Lectures transverses du socle (ce que voit un utilisateur)."""

from django.db.models import Count, Q
from django.utils import timezone

from .models import Habilitation, Territoire


def resume_perimetre(user) -> dict:
    """Habilitations actives et volumes visibles : tout part des querysets `visible_to`."""
    from accompagnement.models import Mesure, Orientation
    from attributions.models import Proposition
    from menages.models import Menage

    perimetre = user.perimetre
    habilitations = (
        Habilitation.objects.actives().filter(user=user).select_related("structure", "territoire")
    )
    resume = {
        "habilitations": list(habilitations),
        "territoires": list(Territoire.objects.visible_to(user).order_by("niveau", "nom")),
        "donnees_personnelles": perimetre.voit_donnees_personnelles,
    }
    if not perimetre.voit_donnees_personnelles:
        return resume
    annee = timezone.localdate().year
    resume["menages"] = Menage.objects.visible_to(user).aggregate(
        total=Count("id"), actifs=Count("id", filter=Q(statut=Menage.Statut.ACTIF))
    )
    resume["mesures_ouvertes"] = Mesure.objects.visible_to(user).ouvertes().count()
    resume["orientations_en_attente"] = Orientation.objects.visible_to(user).en_attente().count()
    resume["attributions_annee"] = (
        Proposition.objects.visible_to(user)
        .attributions()
        .filter(date_signature_bail__year=annee)
        .count()
    )
    resume["annee"] = annee
    return resume
