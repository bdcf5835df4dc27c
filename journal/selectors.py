"""Lectures du journal : ce que chacun peut y chercher, filtres, mise en forme des changements."""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils import timezone

from logement.models import Role
from menages.models import Menage

from .models import Evenement

ROLES_RECHERCHE = (Role.AGENT_DEPARTEMENTAL,)  # et l'administrateur, qui passe toujours


def evenements_visibles(user):
    """Administrateur : tout. Agent départemental : les événements des ménages qu'il voit
    aujourd'hui (son Département), ceux des objets de son ressort (logements, conventions,
    habilitations, bilans de ses territoires) et ses propres actions. Autres rôles : rien."""
    perimetre = user.perimetre
    if perimetre.tout:
        return Evenement.objects.all()
    if not perimetre.a_role(*ROLES_RECHERCHE):
        return Evenement.objects.none()
    return Evenement.objects.filter(
        Q(menage_id__in=Menage.objects.visible_to(user).values("id"))
        | Q(territoire_id__in=perimetre.territoire_ids)
        | Q(auteur_id=user.pk)
    )


def filtrer(evenements, filtres: dict):
    if debut := filtres.get("debut"):
        evenements = evenements.filter(horodatage__gte=_debut_du_jour(debut))
    if fin := filtres.get("fin"):
        evenements = evenements.filter(horodatage__lt=_debut_du_jour(fin + dt.timedelta(days=1)))
    if auteur := filtres.get("auteur"):
        evenements = evenements.filter(
            Q(auteur_identifiant__icontains=auteur) | Q(auteur_nom__icontains=auteur)
        )
    if action := filtres.get("action"):
        evenements = evenements.filter(action=action)
    if (menage := filtres.get("menage")) is not None:
        evenements = evenements.filter(menage_id=menage)
    if type_objet := filtres.get("type_objet"):
        evenements = evenements.filter(content_type=type_objet)
    return evenements.order_by("-horodatage", "-id")


def _debut_du_jour(jour: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(jour, dt.time()))


# --- Mise en forme ------------------------------------------------------------------------------


def reference_menage(menage_id) -> str:
    return Menage.reference_pour(menage_id) if menage_id else ""


def type_objet(evenement) -> str:
    if not evenement.content_type_id:
        return ""
    modele = ContentType.objects.get_for_id(evenement.content_type_id).model_class()
    return modele._meta.verbose_name if modele else ""


def _libelle_champ(modele, nom: str) -> str:
    if modele is None:
        return nom
    try:
        champ = modele._meta.get_field(nom)
    except FieldDoesNotExist:
        return nom
    if champ.auto_created and not champ.concrete:
        # Relation inverse (les ressources d'un ménage créé par un import) : pas de libellé.
        return str(champ.related_model._meta.verbose_name_plural)
    return str(champ.verbose_name)


def _texte(valeur, longueur: int | None) -> str:
    if valeur is None or valeur == "":
        return "—"
    if isinstance(valeur, bool):
        texte = "oui" if valeur else "non"
    elif isinstance(valeur, list):
        texte = ", ".join(str(v) for v in valeur) or "—"
    else:
        texte = str(valeur)
    if longueur and len(texte) > longueur:
        return texte[: longueur - 1] + "…"
    return texte


def lignes_changements(evenement, longueur: int | None = 80) -> list[dict]:
    """[{champ, avant, apres}] (modification) ou [{champ, valeur}] (création, suppression)."""
    modele = None
    if evenement.content_type_id:
        modele = ContentType.objects.get_for_id(evenement.content_type_id).model_class()
    lignes = []
    for nom, valeur in (evenement.changements or {}).items():
        ligne = {"champ": _libelle_champ(modele, nom)}
        if evenement.action == Evenement.Action.MODIFICATION and isinstance(valeur, list):
            avant, apres = (valeur + [None, None])[:2]
            ligne.update(avant=_texte(avant, longueur), apres=_texte(apres, longueur))
        else:
            ligne["valeur"] = _texte(valeur, longueur)
        lignes.append(ligne)
    return lignes


def texte_details(evenement, sans=()) -> str:
    return "; ".join(
        f"{cle} : {_texte(valeur, None)}"
        for cle, valeur in evenement.details.items()
        if cle not in sans
    )
