"""Écritures du journal : tracer un événement, purger selon la durée de conservation, effacer
les données personnelles d'un ménage anonymisé. Seul ce module lève le drapeau qui autorise
les déclencheurs à laisser passer UPDATE ou DELETE."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from logement.text import sans_caractere_nul

from . import contexte, suivi
from .models import Action, Evenement

__all__ = [
    "Action",
    "effacer_donnees_menage",
    "origine",
    "purger",
    "tracer",
]

origine = contexte.origine


def _auteur(utilisateur, request):
    if utilisateur is None and request is not None:
        utilisateur = getattr(request, "user", None)
    if utilisateur is None or not getattr(utilisateur, "is_authenticated", False):
        return None
    return utilisateur


def tracer(
    action: str,
    *,
    objet=None,
    menage=None,
    utilisateur=None,
    details: dict | None = None,
    changements: dict | None = None,
) -> Evenement:
    """Enregistre un événement dans la transaction en cours : si l'écriture métier est annulée,
    sa trace l'est aussi, et une trace qui échoue fait échouer l'écriture (jamais l'une sans
    l'autre).

    - `objet` : l'instance concernée (type, identifiant, représentation courte) ;
    - `menage` : le ménage concerné (instance ou identifiant) ; déduit de `objet` s'il est d'un
      modèle suivi ;
    - `utilisateur` : par défaut celui de la requête en cours ; hors requête, aucun, et
      `details["origine"]` dit d'où vient l'écriture (tâche planifiée, commande) ;
    - `details` : JSON libre (filtres d'un export, nombre de lignes…).
    """
    Action(action)  # lève ValueError si l'action n'existe pas
    request = contexte.requete_courante()
    auteur = _auteur(utilisateur, request)
    details = dict(details or {})
    if request is None:
        details.setdefault("origine", contexte.origine_hors_requete())
    if menage is not None and not isinstance(menage, int):
        menage = menage.pk
    evenement = Evenement(
        action=action,
        auteur=auteur,
        auteur_identifiant=auteur.get_username()[:150] if auteur else "",
        auteur_nom=auteur.get_full_name()[:300] if auteur else "",
        details=_sans_caractere_nul(details),
        changements=_sans_caractere_nul(changements or {}),
        adresse_ip=contexte.adresse_ip(request),
    )
    if objet is not None:
        evenement.content_type = ContentType.objects.get_for_model(objet)
        evenement.object_id = objet.pk if isinstance(objet.pk, int) else None
        evenement.objet_repr = suivi.representation(objet)
        if menage is None:
            menage = suivi.menage_id_de(objet)
        evenement.territoire_id = suivi.territoire_id_de(objet)
    evenement.menage_id = menage
    evenement.save(force_insert=True)
    return evenement


def _sans_caractere_nul(valeur):
    """Les filtres tracés viennent de la requête telle quelle ; jsonb refuse « \\u0000 »."""
    if isinstance(valeur, str):
        return sans_caractere_nul(valeur)
    if isinstance(valeur, dict):
        return {_sans_caractere_nul(k): _sans_caractere_nul(v) for k, v in valeur.items()}
    if isinstance(valeur, list | tuple):
        return [_sans_caractere_nul(v) for v in valeur]
    return valeur


# --- Chemins autorisés à modifier ou supprimer ---------------------------------------------------


@contextmanager
def _autorisation():
    """Lève le drapeau le temps du bloc, dans la transaction de l'appelant : les autres
    connexions ne le voient jamais levé (il est rebaissé avant la validation)."""
    with transaction.atomic(), connection.cursor() as curseur:
        curseur.execute("UPDATE journal_autorisation SET purge = %s WHERE id = 1", [True])
        if curseur.rowcount != 1:
            raise RuntimeError("Table journal_autorisation incomplète : relancez les migrations.")
        yield
        curseur.execute("UPDATE journal_autorisation SET purge = %s WHERE id = 1", [False])


def conservation_jours() -> int:
    return settings.JOURNAL_CONSERVATION_JOURS


@transaction.atomic
def purger(*, maintenant: dt.datetime | None = None) -> int:
    """Supprime les événements plus anciens que la durée de conservation ; seul chemin qui
    supprime. La purge elle-même est tracée."""
    jours = conservation_jours()
    limite = (maintenant or timezone.now()) - dt.timedelta(days=jours)
    with _autorisation():
        supprimes, _ = Evenement.objects.filter(horodatage__lt=limite).delete()
    if supprimes:
        tracer(
            Action.PURGE,
            details={"supprimes": supprimes, "avant": limite.isoformat(), "jours": jours},
        )
    return supprimes


@transaction.atomic
def effacer_donnees_menage(menage_id: int) -> int:
    """Anonymisation d'un ménage : efface des traces qui le concernent les valeurs (avant,
    après) et la représentation des objets, en gardant qui a fait quoi et quand. Sans cela le
    journal garderait les noms qu'on vient d'effacer. À appeler dans la transaction de
    l'anonymisation, après elle ; renvoie le nombre d'événements touchés."""
    evenements = Evenement.objects.filter(menage_id=menage_id)
    touches = 0
    with _autorisation():
        for evenement in evenements.only("id", "changements", "objet_repr", "content_type_id"):
            changements = _effacer(evenement.changements)
            repr_ = _repr_effacee(evenement)
            Evenement.objects.filter(pk=evenement.pk).update(
                changements=changements, objet_repr=repr_
            )
            touches += 1
    return touches


EFFACE = "[anonymisé]"


def _effacer(changements):
    if isinstance(changements, dict):
        return {champ: _effacer(valeur) for champ, valeur in changements.items()}
    if isinstance(changements, list):
        return [_effacer(v) for v in changements]
    return None if changements in (None, "") else EFFACE


def _repr_effacee(evenement) -> str:
    # La référence d'un ménage (M0000123) n'identifie personne : on la garde.
    ct = (
        ContentType.objects.get_for_id(evenement.content_type_id)
        if evenement.content_type_id
        else None
    )
    if ct and ct.app_label == "menages" and ct.model == "menage":
        return evenement.objet_repr
    return EFFACE if evenement.objet_repr else ""
