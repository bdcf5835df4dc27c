"""Éditions concurrentes : un formulaire porte la version lue ; on n'écrit que si elle est encore
la version en base (verrou optimiste), sinon on le dit à l'utilisateur et rien n'est écrit.

Sert aux modèles qui ont les champs `version` et `modifie_par` : ménage, projet
d'accompagnement, objectifs et actions du projet."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.db.models import F
from django.utils import timezone

# Comment nommer l'objet dans le message : (sujet, participe accordé).
SUJETS = {
    "menage": ("Ce ménage", "modifié"),
    "projetaccompagnement": ("Ce projet d'accompagnement", "modifié"),
    "objectifprojet": ("Cet objectif", "modifié"),
    "actionprojet": ("Cette action", "modifiée"),
}


INCOMPLET = "Ce formulaire est incomplet : rechargez la page avant d'enregistrer."


class EditionConcurrente(Exception):
    """Quelqu'un a enregistré l'objet entre la lecture du formulaire et son envoi."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def champ_version(required: bool = True) -> forms.IntegerField:
    """Champ caché du formulaire : la version de l'objet au moment où la page a été servie."""
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        required=required,
        error_messages={
            "required": INCOMPLET,
            "invalid": "Ce formulaire a été altéré : rechargez la page avant d'enregistrer.",
            "min_value": "Ce formulaire a été altéré : rechargez la page avant d'enregistrer.",
        },
    )


class ErreurVersionEnTete:
    """À placer en tête des bases d'un formulaire qui a le champ caché `version` : son erreur
    (formulaire incomplet ou altéré) s'affiche en tête, un champ caché n'ayant pas de place."""

    def clean(self):
        donnees = super().clean()
        erreurs = self._errors.pop("version", None)
        if erreurs:
            self.add_error(None, erreurs)
        return donnees


def prendre_la_main(objet, *, version_lue: int | None, par) -> None:
    """Passe `objet` à la version suivante si personne ne l'a enregistré depuis `version_lue`.

    À appeler dans la transaction de l'écriture, avant elle : la mise à jour conditionnelle
    verrouille la ligne jusqu'à la fin de la transaction, si bien que de deux enregistrements
    partis de la même version, le second trouve une version changée et lève
    `EditionConcurrente` sans avoir rien écrit. L'objet en mémoire reçoit la nouvelle version,
    pour que son `save()` ne la fasse pas reculer.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("prendre_la_main s'appelle dans la transaction de l'écriture.")
    if version_lue is None:
        raise EditionConcurrente(INCOMPLET)
    modele = type(objet)
    maintenant = timezone.now()
    pris = modele.objects.filter(pk=objet.pk, version=version_lue).update(
        version=F("version") + 1, modifie_par=par, modifie_le=maintenant
    )
    if not pris:
        raise EditionConcurrente(message_concurrence(modele.objects.get(pk=objet.pk)))
    objet.version = version_lue + 1
    objet.modifie_par = par
    objet.modifie_le = maintenant


def message_concurrence(actuel) -> str:
    sujet, participe = SUJETS.get(actuel._meta.model_name, ("Cet élément", "modifié"))
    quand = timezone.localtime(actuel.modifie_le)
    if quand.date() == timezone.localdate():
        moment = f"à {quand:%H:%M}"
    else:
        moment = f"le {quand:%d/%m/%Y} à {quand:%H:%M}"
    auteur = f" par {actuel.modifie_par}" if actuel.modifie_par_id else ""
    return (
        f"{sujet} a été {participe}{auteur} {moment} pendant que vous l'éditiez ; vos "
        "modifications n'ont pas été enregistrées. Rechargez la page pour partir de la version "
        "actuelle, puis reportez vos modifications (elles restent affichées ci-dessous)."
    )
