"""Droit d'accès (RGPD, article 15) : tout ce que la plateforme détient sur une personne et son
ménage, assemblé une fois puis rendu en JSON (clés stables) ou en PDF (libellés lisibles).

Choix :
- les notes de rencontre y figurent. Leur cloisonnement par structure protège le travail des
  professionnels entre eux ; il ne limite pas le droit de la personne à connaître ce qui est
  écrit sur elle. L'export est fait par le Département, responsable du traitement, et tracé ;
- les autres membres du ménage n'y figurent que par leur rôle : leurs données sont les leurs
  (article 15.4 : le droit d'accès ne doit pas porter atteinte aux droits d'autrui), chacun
  peut en demander communication. Sont donc omis leurs situations, leurs ressources
  individuelles et les événements du journal qui portent sur eux ;
- les données du ménage (mesures, projet, rencontres, procédures…) concernent chacun de ses
  membres et figurent entières.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from accompagnement.models import (
    ActionProjet,
    AideFinanciere,
    Mesure,
    ObjectifProjet,
    Orientation,
    ProjetAccompagnement,
    Rencontre,
    Renouvellement,
    RevisionProjet,
)
from attributions.models import Proposition
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

SCHEMA = "logement-dabord/droit-acces/1"


@dataclass
class Champ:
    cle: str
    libelle: str
    valeur: object  # pour le JSON : texte, nombre, booléen, date ISO ou None
    texte: str  # pour le PDF


@dataclass
class Section:
    cle: str
    titre: str
    elements: list[list[Champ]] = field(default_factory=list)
    note: str = ""
    unique: bool = False  # un seul élément (identité, ménage) plutôt qu'une liste


def _lisible(valeur) -> str:
    if valeur is None or valeur == "":
        return "—"
    if isinstance(valeur, bool):
        return "Oui" if valeur else "Non"
    if isinstance(valeur, dt.datetime):
        return f"{timezone.localtime(valeur):%d/%m/%Y %H:%M}"
    if isinstance(valeur, dt.date):
        return f"{valeur:%d/%m/%Y}"
    if isinstance(valeur, Decimal):
        return f"{valeur:.2f}".replace(".", ",")
    return str(valeur)


def _json(valeur):
    if isinstance(valeur, dt.datetime):
        return timezone.localtime(valeur).isoformat(timespec="seconds")
    if isinstance(valeur, dt.date):
        return valeur.isoformat()
    if isinstance(valeur, Decimal):
        return str(valeur)
    if isinstance(valeur, models.Model):
        return str(valeur)
    return valeur


def _champs(objet, noms) -> list[Champ]:
    """Les champs `noms` de l'objet : choix par leur libellé, relations par leur nom."""
    champs = []
    for nom in noms:
        champ = objet._meta.get_field(nom)
        if champ.many_to_many:
            valeur = ", ".join(str(o) for o in getattr(objet, nom).all())
        elif champ.choices:
            valeur = getattr(objet, f"get_{nom}_display")() if getattr(objet, nom) else ""
        else:
            valeur = getattr(objet, nom)
            if isinstance(valeur, models.Model):
                valeur = str(valeur)
        champs.append(Champ(nom, str(champ.verbose_name), _json(valeur), _lisible(valeur)))
    return champs


def _section(cle, titre, objets, noms, note="", extra=None) -> Section:
    elements = []
    for objet in objets:
        champs = _champs(objet, noms)
        if extra:
            champs += extra(objet)
        elements.append(champs)
    return Section(cle, titre, elements, note)


def _libre(cle, libelle, valeur) -> Champ:
    return Champ(cle, libelle, _json(valeur), _lisible(valeur))


# --- Assemblage ---------------------------------------------------------------------------------


def dossier(personne: Personne, *, par) -> dict:
    """Le dossier de la personne : en-tête et sections, prêt pour le JSON et le PDF."""
    menage = Menage.objects.select_related("territoire__parent", "cree_par").get(
        pk=personne.menage_id
    )
    autres = list(menage.personnes.exclude(pk=personne.pk))
    mesures = list(
        Mesure.objects.filter(menage=menage)
        .select_related("type", "structure", "referent", "motif_fin", "territoire", "logement")
        .order_by("date_proposition", "pk")
    )
    sections = [
        Section(
            "personne",
            "Identité",
            [
                _champs(
                    personne,
                    [
                        "nom",
                        "prenom",
                        "date_naissance",
                        "sexe",
                        "role",
                        "nationalite",
                        "titre_sejour_fin",
                        "cree_le",
                        "modifie_le",
                    ],
                )
            ],
            unique=True,
        ),
        Section(
            "menage",
            "Ménage",
            [
                _champs(
                    menage,
                    [
                        "reference",
                        "territoire",
                        "statut",
                        "adresse",
                        "commune",
                        "telephone",
                        "siao_id",
                        "nur",
                        "nur_date_depot",
                        "nur_date_renouvellement",
                        "dalo",
                        "dalo_date_decision",
                        "syplo",
                        "publics_prioritaires",
                        "date_dernier_contact",
                        "cree_par",
                        "cree_le",
                        "modifie_le",
                    ],
                )
            ],
            unique=True,
        ),
        Section(
            "autres_membres",
            "Autres membres du ménage",
            [[_libre("role", "rôle dans le ménage", p.get_role_display())] for p in autres],
            note="Leurs données personnelles ne figurent pas ici : chacun peut exercer son "
            "propre droit d'accès.",
        ),
        _section(
            "situations",
            "Situations résidentielles",
            SituationResidentielle.objects.filter(personne=personne)
            .select_related("type")
            .order_by("date_debut"),
            ["type", "date_debut", "date_fin", "commune", "commentaire"],
        ),
        _section(
            "ressources",
            "Ressources",
            Ressource.objects.filter(menage=menage)
            .filter(models.Q(personne__isnull=True) | models.Q(personne=personne))
            .select_related("type", "personne"),
            ["type", "personne", "montant_mensuel", "date_debut", "date_fin"],
            note="Ressources du ménage et ressources propres de la personne.",
        ),
        _section(
            "consentements",
            "Information et libre adhésion",
            Consentement.objects.filter(menage=menage)
            .select_related("recueilli_par")
            .order_by("date", "pk"),
            ["date", "information_donnee", "adhesion", "recueilli_par", "commentaire"],
        ),
        _section(
            "orientations",
            "Orientations",
            Orientation.objects.filter(menage=menage)
            .select_related(
                "plateforme", "origine", "structure_prescriptrice", "type_mesure_preconisee"
            )
            .select_related("decision_par")
            .order_by("date_orientation", "pk"),
            [
                "date_orientation",
                "plateforme",
                "origine",
                "structure_prescriptrice",
                "prescripteur",
                "motif",
                "type_mesure_preconisee",
                "statut",
                "date_decision",
                "decision_par",
                "motif_decision",
                "redirigee_vers",
            ],
        ),
        _section(
            "mesures",
            "Mesures d'accompagnement",
            mesures,
            [
                "type",
                "territoire",
                "structure",
                "referent",
                "statut",
                "date_proposition",
                "date_debut",
                "date_fin_prevue",
                "date_fin",
                "motif_fin",
                "destination",
                "logement",
                "date_entree_logement",
            ],
        ),
        _section(
            "renouvellements",
            "Renouvellements des mesures",
            Renouvellement.objects.filter(mesure__menage=menage)
            .select_related("mesure__type", "decide_par")
            .order_by("date_decision", "pk"),
            ["mesure", "date_decision", "ancienne_fin_prevue", "nouvelle_fin_prevue", "motif"],
        ),
        *_sections_projet(menage),
        _section(
            "rencontres",
            "Rencontres",
            Rencontre.objects.filter(menage=menage)
            .select_related("auteur", "structure", "mesure__type", "mesure__structure")
            .order_by("date", "pk"),
            ["date", "type", "duree_minutes", "mesure", "auteur", "structure", "note"],
            note="Les notes sont communiquées : elles font partie des données détenues sur la "
            "personne.",
        ),
        _section(
            "aides",
            "Aides financières",
            AideFinanciere.objects.filter(menage=menage)
            .select_related("enveloppe")
            .order_by("date_demande", "pk"),
            [
                "nature",
                "montant",
                "forme",
                "enveloppe",
                "date_demande",
                "decision",
                "date_decision",
            ],
        ),
        *_sections_procedures(menage),
        _section(
            "propositions",
            "Propositions de logement",
            Proposition.objects.filter(menage=menage)
            .select_related("logement", "contingent", "decision")
            .order_by("date_proposition", "pk"),
            [
                "logement",
                "contingent",
                "date_proposition",
                "date_caleol",
                "decision",
                "motif_decision",
                "reponse",
                "date_reponse",
                "motif_refus",
                "date_signature_bail",
                "date_entree",
                "date_classement",
                "motif_classement",
            ],
            extra=lambda p: [_libre("commune_logement", "commune du logement", p.logement.commune)],
        ),
    ]
    journal = _section_journal(menage, personne, autres)
    if journal is not None:
        sections.append(journal)
    return {
        "schema": SCHEMA,
        "titre": f"Droit d'accès — {personne.nom_complet} (ménage {menage.reference})",
        "genere_le": timezone.localtime(),
        "genere_par": str(par),
        "responsable": menage.territoire.parent.nom if menage.territoire.parent_id else "",
        "sections": sections,
    }


def _sections_projet(menage) -> list[Section]:
    projets = ProjetAccompagnement.objects.filter(mesure__menage=menage).select_related(
        "mesure__type", "mesure__structure"
    )
    return [
        _section(
            "projets",
            "Projets d'accompagnement",
            projets.order_by("date_elaboration", "pk"),
            ["mesure", "date_elaboration", "date_signature", "diagnostic"],
        ),
        _section(
            "objectifs",
            "Objectifs des projets",
            ObjectifProjet.objects.filter(projet__mesure__menage=menage)
            .select_related("domaine")
            .order_by("projet_id", "pk"),
            ["domaine", "intitule", "statut", "echeance", "date_atteinte"],
        ),
        _section(
            "actions",
            "Actions des projets",
            ActionProjet.objects.filter(objectif__projet__mesure__menage=menage)
            .select_related("objectif")
            .order_by("objectif_id", "pk"),
            ["objectif", "intitule", "porteur", "echeance", "realisee_le"],
        ),
        _section(
            "revisions",
            "Historique des projets",
            RevisionProjet.objects.filter(projet__mesure__menage=menage)
            .select_related("auteur")
            .order_by("date", "pk"),
            ["date", "auteur", "resume"],
        ),
    ]


def _sections_procedures(menage) -> list[Section]:
    return [
        _section(
            "procedures",
            "Procédures d'expulsion",
            ProcedureExpulsion.objects.filter(menage=menage).order_by("date_signalement", "pk"),
            ["date_signalement", "bailleur", "montant_dette", "issue", "date_cloture"],
        ),
        _section(
            "etapes_procedures",
            "Étapes des procédures",
            EtapeProcedure.objects.filter(procedure__menage=menage)
            .select_related("procedure")
            .order_by("date", "pk"),
            ["procedure", "etape", "date", "commentaire"],
        ),
        _section(
            "actions_prevention",
            "Actions de prévention",
            ActionPrevention.objects.filter(procedure__menage=menage)
            .select_related("procedure")
            .order_by("date", "pk"),
            ["procedure", "type", "date", "commentaire"],
        ),
    ]


def _section_journal(menage, personne, autres) -> Section | None:
    """Événements du journal sur le ménage, hors ceux qui portent sur un autre membre."""
    if not apps.is_installed("journal"):
        return None
    from journal.models import Evenement

    a_omettre = set()
    for modele, ids in (
        (Personne, [p.pk for p in autres]),
        (
            SituationResidentielle,
            SituationResidentielle.objects.filter(personne__in=autres).values_list("pk", flat=True),
        ),
        (
            Ressource,
            Ressource.objects.filter(personne__in=autres).values_list("pk", flat=True),
        ),
    ):
        type_id = ContentType.objects.get_for_model(modele).pk
        a_omettre |= {(type_id, pk) for pk in ids}
    elements = []
    for e in Evenement.objects.filter(menage_id=menage.pk).order_by("horodatage", "pk"):
        if (e.content_type_id, e.object_id) in a_omettre:
            continue
        elements.append(
            [
                _libre("horodatage", "date et heure", e.horodatage),
                _libre("action", "action", e.get_action_display()),
                _libre("auteur", "auteur", e.auteur_affiche),
                _libre("objet", "objet", e.objet_repr),
                Champ(
                    "changements",
                    "changements",
                    e.changements,
                    _changements_lisibles(e.changements),
                ),
            ]
        )
    return Section(
        "journal",
        "Journal des accès et des modifications",
        elements,
        note="Qui a consulté, créé ou modifié les données du ménage, et quand.",
    )


def _changements_lisibles(changements) -> str:
    if not changements:
        return "—"
    if isinstance(changements, dict):
        morceaux = []
        for champ, valeur in changements.items():
            if isinstance(valeur, list) and len(valeur) == 2:
                morceaux.append(f"{champ} : {_lisible(valeur[0])} → {_lisible(valeur[1])}")
            else:
                morceaux.append(f"{champ} : {_lisible(valeur)}")
        return " ; ".join(morceaux)
    return str(changements)


# --- Rendus -------------------------------------------------------------------------------------


def en_json(donnees: dict) -> dict:
    """Clés stables : une section unique est un objet, les autres des listes d'objets."""
    resultat = {
        "schema": donnees["schema"],
        "genere_le": _json(donnees["genere_le"]),
        "genere_par": donnees["genere_par"],
        "responsable_du_traitement": donnees["responsable"],
    }
    for section in donnees["sections"]:
        objets = [{c.cle: c.valeur for c in element} for element in section.elements]
        resultat[section.cle] = (objets[0] if objets else None) if section.unique else objets
    return resultat
