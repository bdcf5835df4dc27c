"""Écritures du RGPD : anonymisation des ménages dont la durée de conservation est dépassée.

Anonymiser est irréversible : on efface ce qui désigne les personnes (noms, dates de naissance,
coordonnées, identifiants, textes libres), on garde ce qui sert aux bilans (dates et types des
mesures, motifs de fin, situations résidentielles par catégorie et leurs dates, publics
prioritaires, territoires, procédures et propositions par leurs dates et issues)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accompagnement.models import (
    ActionProjet,
    ObjectifProjet,
    Orientation,
    ProjetAccompagnement,
    Rencontre,
    Renouvellement,
    RevisionProjet,
)
from attributions.models import Proposition
from journal.services import effacer_donnees_menage, tracer
from logement.text import normaliser
from menages.models import (
    ActionPrevention,
    Consentement,
    EtapeProcedure,
    Menage,
    Personne,
    ProcedureExpulsion,
    Ressource,
    SituationResidentielle,
)

from . import selectors

logger = logging.getLogger(__name__)

ANONYME = "Anonyme"
# Textes obligatoires (intitulés, motifs) : une marque plutôt qu'un vide, pour que les pages
# qui les affichent restent lisibles.
TEXTE_EFFACE = "[anonymisé]"

# Ce que l'anonymisation efface, modèle par modèle : {champ: valeur de remplacement}. Tenu en
# un seul endroit pour que le test vérifie champ par champ, et que la trace le dise.
EFFACEMENTS = {
    Menage: {
        "adresse": "",
        "commune": "",
        "telephone": "",
        "siao_id": None,
        "nur": None,
        "nur_date_depot": None,
        "nur_date_renouvellement": None,
        "dalo_date_decision": None,
    },
    Personne: {
        "nom": ANONYME,
        "prenom": ANONYME,
        "nom_normalise": normaliser(f"{ANONYME} {ANONYME}"),
        # Aucun indicateur n'utilise l'âge (bilans/indicateurs.py) ; le public « jeune de moins
        # de 25 ans » reste, lui, comme public prioritaire du ménage.
        "date_naissance": None,
        "nationalite": Personne.Nationalite.NON_RENSEIGNEE,
        "titre_sejour_fin": None,
    },
    SituationResidentielle: {"commune": "", "commentaire": ""},
    Consentement: {"commentaire": ""},
    ProcedureExpulsion: {"bailleur": ""},
    EtapeProcedure: {"commentaire": ""},
    ActionPrevention: {"commentaire": ""},
    Orientation: {
        "prescripteur": "",
        "motif": TEXTE_EFFACE,
        "motif_decision": "",
        "redirigee_vers": "",
    },
    Renouvellement: {"motif": ""},
    ProjetAccompagnement: {"diagnostic": ""},
    ObjectifProjet: {"intitule": TEXTE_EFFACE},
    ActionProjet: {"intitule": TEXTE_EFFACE},
    RevisionProjet: {"resume": TEXTE_EFFACE},
    Rencontre: {"note": ""},
    Proposition: {"motif_decision": "", "motif_refus": "", "motif_classement": ""},
}

# Chemin de chaque modèle vers son ménage.
VERS_MENAGE = {
    Menage: "pk",
    Personne: "menage",
    SituationResidentielle: "personne__menage",
    Consentement: "menage",
    ProcedureExpulsion: "menage",
    EtapeProcedure: "procedure__menage",
    ActionPrevention: "procedure__menage",
    Orientation: "menage",
    Renouvellement: "mesure__menage",
    ProjetAccompagnement: "mesure__menage",
    ObjectifProjet: "projet__mesure__menage",
    ActionProjet: "objectif__projet__mesure__menage",
    RevisionProjet: "projet__mesure__menage",
    Rencontre: "menage",
    Proposition: "menage",
}


# Ménages anonymisés par transaction : assez pour amortir les requêtes, assez peu pour ne pas
# tenir longtemps les verrous.
LOT = 200


def anonymiser_menages_expires(
    aujourdhui: dt.date | None = None, *, essai: bool = False, menages=None, par=None
) -> list[selectors.Expire]:
    """Anonymise les ménages dont le dernier contact précède la durée de conservation.

    Avec `essai`, n'écrit rien et renvoie ce qui serait anonymisé. Sinon, les ménages sont
    anonymisés par lots, chaque lot dans sa transaction avec ses traces, après avoir vérifié,
    lignes verrouillées, que chacun est toujours expiré : une rencontre saisie entre-temps le
    sauve. Renvoie les ménages anonymisés. `menages` restreint la recherche (un Département).
    """
    lignes = selectors.lignes_essai(aujourdhui, menages)
    if essai:
        return lignes
    par_id = {ligne.menage_id: ligne for ligne in lignes}
    ids = list(par_id)
    faites = []
    for debut in range(0, len(ids), LOT):
        lot = anonymiser_si_expires(ids[debut : debut + LOT], aujourdhui=aujourdhui, par=par)
        faites += [par_id[pk] for pk in lot]
    if faites:
        logger.info("Anonymisation : %d ménage(s) anonymisé(s).", len(faites))
    return faites


@transaction.atomic
def anonymiser_si_expires(ids, *, aujourdhui: dt.date | None = None, par=None) -> list[int]:
    """Anonymise ceux des ménages `ids` qui sont encore expirés ; renvoie leurs identifiants."""
    # Verrou sur les ménages : une édition ou une rencontre concurrente attend la fin.
    list(Menage.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    expires = {
        m.pk: m.dernier_contact
        for m in selectors.menages_expires(aujourdhui, Menage.objects.filter(pk__in=ids))
    }
    if expires:
        anonymiser_menages(expires, par=par)
    return list(expires)


@transaction.atomic
def anonymiser_menages(derniers_contacts: dict[int, dt.date | None], *, par=None) -> None:
    """Efface irréversiblement les données personnelles des ménages (identifiant → dernier
    contact) et de leurs membres, puis celles que le journal garde d'eux ; laisse à chacun une
    trace « anonymisation » sans aucune valeur."""
    ids = list(derniers_contacts)
    for modele, champs in EFFACEMENTS.items():
        # update() : pas de signal, donc pas d'« avant » recopié dans le journal.
        modele.objects.filter(**{f"{VERS_MENAGE[modele]}__in": ids}).update(**champs)
    # Les ressources (montants, dates) ne servent à aucun bilan : elles partent.
    Ressource.objects.filter(menage_id__in=ids).delete()
    Menage.objects.filter(pk__in=ids).update(
        statut=Menage.Statut.ANONYMISE,
        version=F("version") + 1,
        modifie_par=par,
        modifie_le=timezone.now(),
    )
    champs_effaces = {modele._meta.label: sorted(champs) for modele, champs in EFFACEMENTS.items()}
    for menage in Menage.objects.filter(pk__in=ids).select_related("territoire"):
        effaces = effacer_donnees_menage(menage.pk)
        dernier_contact = derniers_contacts[menage.pk]
        tracer(
            "anonymisation",
            objet=menage,
            menage=menage.pk,
            utilisateur=par,
            details={
                "dernier_contact": dernier_contact.isoformat() if dernier_contact else None,
                "champs_effaces": champs_effaces,
                "ressources_supprimees": True,
                "evenements_du_journal_effaces": effaces,
            },
        )
