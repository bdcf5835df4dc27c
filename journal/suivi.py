"""Modèles dont les écritures sont tracées automatiquement, et comment relier chacun à son
ménage et à son territoire ; mise en forme des valeurs (jamais de mot de passe)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db import models

# Jamais dans le journal : secrets, horodatages techniques, valeurs dérivées.
CHAMPS_EXCLUS = frozenset(
    {"password", "last_login", "cree_le", "modifie_le", "version", "modifie_par"}
)
# Le changement est tracé, pas le contenu : la note d'une rencontre n'est lisible que par la
# structure qui l'a écrite, or le journal est lu par les agents départementaux.
MASQUE = "[contenu non journalisé]"


@dataclass(frozen=True)
class Suivi:
    # Chemin de clés étrangères vers le ménage ; () : l'objet est le ménage ; None : aucun.
    vers_menage: tuple[str, ...] | None = None
    # Idem vers le territoire, pour les objets sans ménage.
    vers_territoire: tuple[tuple[str, ...], ...] = ()
    exclus: frozenset[str] = field(default_factory=frozenset)
    masques: frozenset[str] = field(default_factory=frozenset)
    # False : l'objet n'est tracé que par des appels explicites (lecture, téléchargement).
    automatique: bool = True


SUIVIS: dict[str, Suivi] = {
    "menages.Menage": Suivi(vers_menage=(), exclus=frozenset({"reference"})),
    "menages.Personne": Suivi(vers_menage=("menage",), exclus=frozenset({"nom_normalise"})),
    "menages.SituationResidentielle": Suivi(vers_menage=("personne", "menage")),
    "menages.Ressource": Suivi(vers_menage=("menage",)),
    "menages.Consentement": Suivi(vers_menage=("menage",)),
    "menages.ProcedureExpulsion": Suivi(vers_menage=("menage",)),
    "accompagnement.Mesure": Suivi(vers_menage=("menage",)),
    "accompagnement.Orientation": Suivi(vers_menage=("menage",)),
    "accompagnement.ProjetAccompagnement": Suivi(vers_menage=("mesure", "menage")),
    "accompagnement.ObjectifProjet": Suivi(vers_menage=("projet", "mesure", "menage")),
    "accompagnement.ActionProjet": Suivi(vers_menage=("objectif", "projet", "mesure", "menage")),
    "accompagnement.Rencontre": Suivi(vers_menage=("menage",), masques=frozenset({"note"})),
    "attributions.Proposition": Suivi(vers_menage=("menage",)),
    "attributions.Logement": Suivi(vers_territoire=(("territoire",),)),
    "accompagnement.Convention": Suivi(vers_territoire=(("territoire",),)),
    "logement.Habilitation": Suivi(vers_territoire=(("territoire",), ("structure", "territoire"))),
    "logement.User": Suivi(),
    "bilans.Bilan": Suivi(vers_territoire=(("territoire",),), automatique=False),
    "imports.Import": Suivi(vers_territoire=(("structure", "territoire"),), automatique=False),
}


def modeles_suivis() -> dict[type[models.Model], Suivi]:
    suivis = {}
    for label, suivi in SUIVIS.items():
        if not suivi.automatique:
            continue
        try:
            suivis[apps.get_model(label)] = suivi
        except LookupError:  # app absente de cette installation
            continue
    return suivis


def suivi_de(modele) -> Suivi | None:
    return SUIVIS.get(modele._meta.label)


def champs_traces(modele, suivi: Suivi) -> list[models.Field]:
    return [
        f
        for f in modele._meta.concrete_fields
        if not f.primary_key and f.name not in CHAMPS_EXCLUS and f.name not in suivi.exclus
    ]


def en_json(valeur):
    """Valeur d'un champ sous une forme que JSONField garde telle quelle et qu'on relit."""
    if valeur is None or isinstance(valeur, bool | int | float | str):
        return valeur
    if isinstance(valeur, dt.datetime | dt.date | dt.time):
        return valeur.isoformat()
    if isinstance(valeur, Decimal | uuid.UUID):
        return str(valeur)
    if isinstance(valeur, dict | list):
        return valeur
    if isinstance(valeur, bytes | memoryview):
        return MASQUE
    return str(valeur)


def valeurs(instance, suivi: Suivi) -> dict:
    """{champ: valeur} de l'instance en mémoire (clés étrangères : leur identifiant)."""
    resultat = {}
    for f in champs_traces(instance._meta.model, suivi):
        valeur = getattr(instance, f.attname)
        if f.name in suivi.masques:
            valeur = MASQUE if valeur not in (None, "") else valeur
        resultat[f.name] = en_json(valeur)
    return resultat


def differences(avant: dict, apres: dict, suivi: Suivi) -> dict:
    changements = {}
    for champ, valeur in apres.items():
        ancienne = avant.get(champ)
        if champ in suivi.masques:
            continue  # comparés sur les valeurs brutes par l'appelant
        if ancienne != valeur:
            changements[champ] = [ancienne, valeur]
    return changements


def suivre_chemin(instance, chemin: tuple[str, ...]):
    """Identifiant au bout d'un chemin de clés étrangères : en mémoire si les objets liés sont
    déjà chargés, sinon en une requête."""
    objet = instance
    for i, nom in enumerate(chemin):
        champ = objet._meta.get_field(nom)
        if i == len(chemin) - 1:
            return getattr(objet, champ.attname)
        if champ.is_cached(objet):
            objet = getattr(objet, nom)
            if objet is None:
                return None
            continue
        cle = getattr(objet, champ.attname)
        if cle is None:
            return None
        reste = "__".join(chemin[i + 1 :])
        return (
            champ.related_model._base_manager.filter(pk=cle).values_list(reste, flat=True).first()
        )
    return None


def menage_id_de(instance) -> int | None:
    suivi = suivi_de(instance._meta.model)
    if suivi is None or suivi.vers_menage is None:
        return None
    if suivi.vers_menage == ():
        return instance.pk
    return suivre_chemin(instance, suivi.vers_menage)


def territoire_id_de(instance) -> int | None:
    suivi = suivi_de(instance._meta.model)
    if suivi is None:
        return None
    for chemin in suivi.vers_territoire:
        territoire_id = suivre_chemin(instance, chemin)
        if territoire_id is not None:
            return territoire_id
    return None


def representation(instance) -> str:
    if instance._meta.label == "menages.Menage" and instance.pk:
        # La référence définitive s'écrit après le premier enregistrement (voir Menage.save).
        return instance.reference_pour(instance.pk)
    if instance._meta.label == "logement.User":
        return instance.get_username()
    return str(instance)[:200]
