"""Données de démonstration fictives : le Département inventé de Valmont (code 00), ses
plateformes, structures, comptes par rôle et des ménages au parcours cohérent, écrits par lots
de 5 000 (COPY sous PostgreSQL) pour tenir 100 000 ménages en quelques minutes.

Tout est tiré d'un random.Random initialisé par la graine (jamais le hasard global) : à graine,
nombre de ménages et date du jour égaux, les données sont identiques, quelles que soient les
clés attribuées par la base. Les noms de personnes sont des combinaisons aléatoires de prénoms
et de noms courants ; communes, voies, territoires et structures sont inventés.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth.hashers import make_password
from django.db import connections, router
from django.db.models import Q
from django.utils import timezone

from accompagnement.models import (
    ActionProjet,
    AideFinanciere,
    Convention,
    DomaineAccompagnement,
    Enveloppe,
    Financeur,
    Mesure,
    MotifFin,
    ObjectifProjet,
    Orientation,
    OrigineOrientation,
    ProjetAccompagnement,
    Rencontre,
    Renouvellement,
    RevisionProjet,
    TypeMesure,
)
from attributions.models import (
    Contingent,
    DecisionCaleol,
    Logement,
    ObjectifAttribution,
    Proposition,
)
from logement.models import Habilitation, Role, Structure, Territoire, User
from logement.text import normaliser
from menages.models import (
    ActionPrevention,
    Consentement,
    EtapeProcedure,
    Menage,
    Personne,
    ProcedureExpulsion,
    PublicPrioritaire,
    Ressource,
    SituationResidentielle,
    TypeRessource,
    TypeSituation,
)

MOT_DE_PASSE = "demo-logement-2026"
DOMAINE_COURRIEL = "demo.invalid"
PREFIXE_REFERENCE = "DEMO-"
TAILLE_LOT = 5000
TAILLE_INSERTION = 2000

# --- Territoire et structures inventés ---------------------------------------------------------

DEPARTEMENT = ("00", "Département de Valmont")
# (SIREN fictif — clé de Luhn invalide —, nom, poids dans la population, communes → code postal)
EPCIS = [
    (
        "200000001",
        "Communauté d'agglomération de Brélonne",
        45,
        {
            "Brélonne": "00100",
            "Fontmirail-le-Haut": "00110",
            "Sainte-Orvette": "00120",
            "Les Essarts-sur-Brèle": "00130",
        },
    ),
    (
        "200000002",
        "Communauté de communes du Val d'Ormeil",
        35,
        {
            "Ormeil": "00200",
            "Combe-Aurier": "00210",
            "Lavrenne-sous-Bois": "00220",
            "Saint-Ulric-des-Prés": "00230",
        },
    ),
    (
        "200000003",
        "Communauté de communes de la Haute-Sorelle",
        20,
        {"Hautvignac": "00300", "Vercelande": "00310", "Pontavre-sur-Sorelle": "00320"},
    ),
]
COMMUNES_AVEC_QPV = {"Brélonne", "Ormeil", "Hautvignac"}
PLATEFORMES = [
    ("PF-BRELONNE", "Plateforme Logement d'abord de Brélonne", (0,)),
    ("PF-ORMEIL-SORELLE", "Plateforme Logement d'abord Ormeil-Sorelle", (1, 2)),
]
# clé, nom, type, territoire (dep, epci0-2, pf0-1), commune
STRUCTURES = [
    ("escale", "Association L'Escale brélonnaise", Structure.Type.CHRS, "epci0", "Brélonne"),
    ("relais", "Association Le Relais d'Ormeil", Structure.Type.CHRS, "epci1", "Ormeil"),
    (
        "tisserands",
        "Association Les Tisserands de la Sorelle",
        Structure.Type.CHRS,
        "epci2",
        "Hautvignac",
    ),
    (
        "habitat_solidaire",
        "Habitat solidaire du Valmont",
        Structure.Type.AML_IML,
        "dep",
        "Brélonne",
    ),
    ("ccas", "CCAS de Brélonne", Structure.Type.CCAS, "epci0", "Brélonne"),
    ("siao", "SIAO du Valmont", Structure.Type.SIAO, "dep", "Brélonne"),
    (
        "dass",
        "Département de Valmont – Direction de l'action sociale",
        Structure.Type.DEPARTEMENT,
        "dep",
        "Brélonne",
    ),
    ("valmont_habitat", "Valmont Habitat", Structure.Type.BAILLEUR, "dep", "Brélonne"),
    ("foyers_sorelle", "Les Foyers de la Sorelle", Structure.Type.BAILLEUR, "pf1", "Ormeil"),
]
CHRS_PAR_EPCI = ("escale", "relais", "tisserands")
BAILLEURS_PAR_EPCI = (
    ("valmont_habitat",),
    ("valmont_habitat", "foyers_sorelle"),
    ("foyers_sorelle",),
)
STRUCTURES_ACCOMPAGNEMENT = ("escale", "relais", "tisserands", "habitat_solidaire", "ccas", "dass")


def structures_de_mesure(type_code: str, e: int) -> tuple[str, ...]:
    """Structures qui exercent ce type de mesure pour un ménage de l'EPCI n° e."""
    chrs = CHRS_PAR_EPCI[e]
    return {
        "asrl": (chrs,),
        "aml": ("habitat_solidaire",),
        "asll": ("habitat_solidaire", chrs),
        "avdl": (chrs, "ccas") if e == 0 else (chrs,),
        "avdl_dalo": (chrs,),
        "masp": ("dass",),
    }[type_code]


# Comptes nommés : identifiant, rôle, cible (structure ou territoire), prénom, nom.
COMPTES = [
    ("referent", Role.REFERENT, "escale", "Julien", "Mercadier"),
    ("referente2", Role.REFERENT, "habitat_solidaire", "Nadia", "Fauchelot"),
    ("coordinatrice", Role.COORDINATEUR, "pf0", "Claire", "Vasselin"),
    ("coordinateur2", Role.COORDINATEUR, "pf1", "Karim", "Delorgue"),
    ("agent.departemental", Role.AGENT_DEPARTEMENTAL, "dep", "Sophie", "Marchandeau"),
    ("copilote", Role.COPILOTE, "epci0", "Olivier", "Brunaval"),
    ("admin", Role.ADMINISTRATEUR, None, "Alex", "Administrateur"),
]
IDENTIFIANTS = [c[0] for c in COMPTES]


def libelle_cible(cle: str | None) -> str:
    """Nom de la structure ou du territoire désigné par une clé de COMPTES."""
    noms = {"dep": DEPARTEMENT[1]}
    noms.update({f"epci{e}": nom for e, (_, nom, _, _) in enumerate(EPCIS)})
    noms.update({f"pf{p}": nom for p, (_, nom, _) in enumerate(PLATEFORMES)})
    noms.update({cle_s: nom for cle_s, nom, *_ in STRUCTURES})
    return noms.get(cle, "tous les territoires")


# --- Codes des tables de référence (migrations de données) --------------------------------------

TYPES_MESURE = ("asrl", "aml", "asll", "avdl", "avdl_dalo", "masp")
MOTIFS_FIN = (
    "acces_logement",
    "maintien",
    "objectifs_atteints",
    "relais_droit_commun",
    "demenagement",
    "non_adhesion",
    "perte_contact",
    "hospitalisation_incarceration",
    "deces",
)
DOMAINES = (
    "logement",
    "budget",
    "acces_droits",
    "sante",
    "vie_quotidienne",
    "insertion",
    "parentalite",
    "mobilite",
)
PUBLICS = (
    "monoparentale",
    "violences",
    "jeune_moins_25",
    "sortant_ase",
    "expulse",
    "refugie",
    "sortant_prison",
    "sortant_institution",
)
PUBLIC_DES_SORTANTS = {
    "sortie_ase": "sortant_ase",
    "sortie_prison": "sortant_prison",
    "sortie_hopital": "sortant_institution",
}
DECISIONS = ("rang_1", "rang_2", "rang_3", "sous_condition", "non_attribution", "irrecevable")
CONTINGENTS = ("prefectoral", "action_logement", "collectivites", "bailleur")
ISSUES_PROCEDURE = ("en_cours", "maintien", "plan_apurement", "relogement", "expulsion", "depart")
ETAPES_PROPOSITION = (
    "proposee",
    "caleol",
    "acceptation",
    "bail",
    "entree",
    "non_attribution",
    "irrecevable",
    "refus",
)
DESTINATION_SITUATION = {
    Mesure.Destination.LOGEMENT_SOCIAL: "logement_social",
    Mesure.Destination.PARC_PRIVE: "logement_prive",
    Mesure.Destination.IML_BAIL_GLISSANT: "bail_glissant",
    Mesure.Destination.PENSION_FAMILLE: "pension_famille",
}
MOTIF_VERS_ISSUE = {
    "acces_logement": "acces",
    "maintien": "maintien",
    "objectifs_atteints": "droit_commun",
    "relais_droit_commun": "droit_commun",
}


def _forcages() -> dict[int, dict]:
    """Les premiers ménages parcourent chaque cas rare, pour qu'un petit jeu les montre tous."""
    hors_menace = ("hebergement_urgence", "rue", "hotel", "chrs", "tiers", "sortie_ase")
    cas = [
        {
            "motif": motif,
            "type": TYPES_MESURE[k % len(TYPES_MESURE)],
            "origine": hors_menace[k % len(hors_menace)],
        }
        for k, motif in enumerate(MOTIFS_FIN)
    ]
    cas += [
        {"type": t, "issue": "ouvert", "origine": "hebergement_urgence", "suspendue": t == "masp"}
        for t in TYPES_MESURE
    ]
    cas += [
        {"type": "asrl", "issue": "ouvert", "etape": etape, "origine": "hotel", "epci": k % 3}
        for k, etape in enumerate(ETAPES_PROPOSITION)
    ]
    cas += [
        {"orientation": statut, "origine": "rue"}
        for statut in ("en_attente", "refusee", "redirigee", "mesure_proposee")
    ]
    cas += [
        {"procedure": issue, "origine": "menace_expulsion", "type": "asll"}
        for issue in ISSUES_PROCEDURE
    ]
    return dict(enumerate(cas))


FORCAGES = _forcages()

# --- Noms et textes ---------------------------------------------------------------------------


def _mots(texte: str) -> tuple[str, ...]:
    return tuple(texte.split())


PRENOMS_F = _mots(
    "Camille Léa Manon Chloé Emma Inès Sarah Julie Laura Marie Nadia Fatou Aïcha Sophie "
    "Claire Amandine Élodie Nathalie Sandrine Isabelle Yasmine Lina Jade Louise Océane "
    "Mélissa Samira Awa Leïla Céline Zoé Anaïs Maëlle Hélène Agathe"
)
PRENOMS_M = _mots(
    "Thomas Lucas Hugo Nicolas Julien Kevin Mehdi Karim Moussa Mamadou Pierre Antoine "
    "Maxime Alexandre Romain Sébastien Yanis Rayan Adam Nathan Enzo Louis Jules Samuel "
    "David Olivier Franck Stéphane Ibrahim Bilal Théo Gabriel Noé Éric Patrice"
)
NOMS = _mots(
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre "
    "Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc "
    "Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez "
    "Fontaine Chevalier Robin Diallo Traoré Benali Haddad Nguyen Cissé Mendes Kaya Popescu "
    "Ferreira"
)
VOIES = (
    "rue des Tisserands",
    "rue du Moulin-Rouet",
    "allée des Quatre-Vents",
    "avenue des Coteaux-Fleuris",
    "impasse de la Brèle",
    "rue des Charmilles-Hautes",
    "place du Vieux-Lavoir",
    "chemin des Vergers-d'Ormeil",
    "rue de la Fontaine-aux-Merles",
    "boulevard de la Sorelle",
    "rue des Aubépines-Blanches",
    "rue du Pré-Long",
    "allée des Hirondelles-Bleues",
    "rue des Trois-Tilleuls",
    "rue de l'Écluse-Vieille",
    "avenue du Clos-Mirail",
    "rue des Batteurs-d'Étain",
    "rue du Four-à-Chaux",
    "square des Saules-Pleureurs",
    "rue de la Combe-aux-Loups",
)
BAILLEURS_PRIVES = (
    "Propriétaire privé",
    "SCI du Clos-Mirail",
    "SCI Les Coteaux",
    "Agence immobilière de la Brèle",
)
TITRES = {
    "motif_orientation": (
        "Ménage sans solution de logement stable, demande d'accompagnement vers le logement.",
        "Sortie d'hébergement envisagée : accompagnement renforcé nécessaire à l'accès.",
        "Hébergement précaire chez un tiers, rupture imminente.",
        "Nuitées hôtelières depuis plusieurs mois, famille avec enfants.",
        "Demande de logement social active, besoin d'un soutien à l'installation.",
        "Dette locative et procédure engagée : prévention de l'expulsion.",
        "Sortie d'institution sans solution de logement.",
    ),
    "motif_refus_orientation": (
        "Ménage déjà accompagné par une mesure équivalente.",
        "Situation ne relevant pas du périmètre de la plateforme.",
        "Ménage domicilié hors du territoire de la plateforme.",
        "Absence d'adhésion du ménage à l'accompagnement proposé.",
    ),
    "redirigee_vers": (
        "SIAO – hébergement d'insertion",
        "Service social départemental de secteur",
        "CCAS de la commune de résidence",
        "Dispositif d'accompagnement santé-logement",
    ),
    "non_attribution": (
        "Taux d'effort trop élevé au regard des ressources.",
        "Typologie inadaptée à la composition du ménage.",
        "Candidat mieux classé retenu, dossier incomplet.",
    ),
    "irrecevable": (
        "Demande de logement social non renouvelée.",
        "Plafonds de ressources dépassés.",
        "Titre de séjour non valide à la date de la commission.",
    ),
    "condition": (
        "Sous réserve de l'ouverture des droits à l'APL.",
        "Sous réserve de la production de l'avis d'imposition.",
        "Sous réserve de la mise en place d'un accompagnement ASLL.",
    ),
    "refus_menage": (
        "Logement trop éloigné du lieu de travail et de l'école.",
        "Logement situé au dernier étage sans ascenseur.",
        "Quartier où le ménage ne souhaite pas vivre.",
        "Loyer jugé trop élevé par le ménage.",
    ),
    "diagnostic": (
        "Diagnostic partagé : ressources stables, besoin d'appui pour les démarches d'accès.",
        "Diagnostic partagé : dettes anciennes, budget à consolider avant l'entrée.",
        "Diagnostic partagé : santé fragile, lien à créer avec les soins de proximité.",
        "Diagnostic partagé : ménage autonome au quotidien, isolement social marqué.",
    ),
    "revision": (
        "Objectif budget réajusté après la mise en place d'un plan d'apurement.",
        "Ajout d'un objectif santé après l'hospitalisation.",
        "Échéances repoussées : attente de l'ouverture des droits.",
        "Objectif logement atteint, priorité à l'installation.",
    ),
    "renouvellement": (
        "Installation en cours, objectifs budget non atteints.",
        "Accès au logement imminent, accompagnement à poursuivre.",
        "Droits en cours d'ouverture.",
    ),
}
OBJECTIFS = {
    "logement": ("Accéder à un logement autonome", "S'approprier le logement et son entretien"),
    "budget": ("Résorber la dette locative", "Construire un budget mensuel équilibré"),
    "acces_droits": ("Ouvrir les droits CAF et APL", "Obtenir la complémentaire santé solidaire"),
    "sante": ("Reprendre un suivi médical régulier", "Engager des soins en addictologie"),
    "vie_quotidienne": ("Organiser l'équipement du logement", "Gérer les démarches courantes"),
    "insertion": ("Engager une recherche d'emploi", "S'inscrire à une formation qualifiante"),
    "parentalite": ("Organiser la scolarité des enfants", "Mettre en place un mode de garde"),
    "mobilite": ("Préparer le permis de conduire", "Obtenir la tarification solidaire transports"),
}
ACTIONS = {
    "logement": ("Renouveler la demande de logement social", "Visite du logement proposé"),
    "budget": ("Constituer un dossier FSL", "Rencontre avec le conseiller budgétaire"),
    "acces_droits": ("Déposer le dossier CAF", "Rendez-vous à la CPAM"),
    "sante": ("Prendre rendez-vous chez le médecin traitant", "Orientation vers le CMP"),
    "vie_quotidienne": ("Ouvrir les compteurs d'énergie", "Demande d'aide au mobilier"),
    "insertion": ("Inscription à France Travail", "Atelier CV avec l'association"),
    "parentalite": ("Inscription scolaire", "Contact avec la PMI"),
    "mobilite": ("Inscription à l'auto-école sociale", "Demande de carte de transport"),
}
NOTES = {
    Rencontre.Type.VISITE_DOMICILE: "Visite au domicile : point sur l'installation et le budget.",
    Rencontre.Type.ENTRETIEN: "Entretien au bureau : suivi des démarches en cours.",
    Rencontre.Type.TELEPHONE: "Appel : rappel des pièces à fournir.",
    Rencontre.Type.ACCOMPAGNEMENT_PHYSIQUE: "Accompagnement physique à un rendez-vous administratif.",
    Rencontre.Type.REUNION_PARTENAIRES: "Réunion avec les partenaires sur la situation du ménage.",
}
DUREES_RENCONTRE = {
    Rencontre.Type.VISITE_DOMICILE: (45, 120),
    Rencontre.Type.ENTRETIEN: (30, 90),
    Rencontre.Type.TELEPHONE: (5, 30),
    Rencontre.Type.ACCOMPAGNEMENT_PHYSIQUE: (60, 180),
    Rencontre.Type.REUNION_PARTENAIRES: (30, 120),
}
# Montants mensuels (€) par type de ressource.
BAREMES = {
    "salaire": (850, 2100),
    "rsa": (560, 660),
    "prime_activite": (80, 260),
    "aah": (900, 1016),
    "are": (600, 1400),
    "ass": (500, 560),
    "prestations_familiales": (140, 620),
    "pension": (700, 1500),
    "bourse": (300, 600),
    "autre": (50, 400),
    "aucune": (0, 0),
}
ENVELOPPES = {
    # clé : (libellé, montant annuel minimal en €)
    "acces": ("FSL – aides à l'accès au logement", 30_000),
    "maintien": ("FSL – aides au maintien dans le logement", 30_000),
    "adaptation": ("Adaptation des logements au vieillissement", 60_000),
    "rehabilitation": ("Réhabilitation de logements très dégradés", 90_000),
}
NATURES_ENVELOPPE = {
    AideFinanciere.Nature.DEPOT_GARANTIE: "acces",
    AideFinanciere.Nature.PREMIER_LOYER: "acces",
    AideFinanciere.Nature.ASSURANCE: "acces",
    AideFinanciere.Nature.MOBILIER: "acces",
    AideFinanciere.Nature.IMPAYES_LOYER: "maintien",
    AideFinanciere.Nature.ENERGIE: "maintien",
    AideFinanciere.Nature.EAU: "maintien",
    AideFinanciere.Nature.ADAPTATION: "adaptation",
    AideFinanciere.Nature.REHABILITATION: "rehabilitation",
}
COUT_MESURE = {
    "asrl": 3200,
    "aml": 2600,
    "asll": 1800,
    "avdl": 1500,
    "avdl_dalo": 1700,
    "masp": 1200,
}
PART_MESURE = {"asrl": 30, "aml": 18, "asll": 17, "avdl": 17, "avdl_dalo": 6, "masp": 12}
SURFACES = {
    "T1": (18, 32),
    "T2": (36, 50),
    "T3": (52, 70),
    "T4": (68, 86),
    "T5": (84, 102),
    "T6": (98, 125),
}


class Tirage:
    """Choix pondéré réutilisable : les poids cumulés sont calculés une fois."""

    def __init__(self, poids: dict):
        self.valeurs = list(poids)
        self.cumul = list(itertools.accumulate(poids.values()))

    def __call__(self, rng: random.Random):
        return rng.choices(self.valeurs, cum_weights=self.cumul)[0]


TIRAGE_ORIGINE = Tirage(
    {
        "rue": 11,
        "abri_fortune": 4,
        "hebergement_urgence": 16,
        "chrs": 12,
        "hebergement_asile": 5,
        "hotel": 10,
        "tiers": 14,
        "logement_temporaire": 7,
        "sortie_ase": 4,
        "sortie_prison": 4,
        "sortie_hopital": 3,
        "menace_expulsion": 10,
    }
)
TIRAGE_PROFIL = Tirage(
    {
        "isole_h": 30,
        "isole_f": 15,
        "couple": 8,
        "couple_enfants": 17,
        "monoparentale": 22,
        "jeune": 8,
    }
)
TIRAGE_NATIONALITE = Tirage(
    {
        Personne.Nationalite.FRANCAISE: 68,
        Personne.Nationalite.UE: 7,
        Personne.Nationalite.HORS_UE: 22,
        Personne.Nationalite.NON_RENSEIGNEE: 3,
    }
)
TIRAGE_RESSOURCE = Tirage(
    {"salaire": 24, "rsa": 32, "aah": 10, "are": 10, "ass": 5, "autre": 3, "aucune": 10}
)
TIRAGE_RESSOURCE_JEUNE = Tirage({"bourse": 35, "salaire": 20, "rsa": 10, "are": 10, "aucune": 25})
TIRAGE_ORIGINE_ORIENTATION = Tirage(
    {"siao": 50, "travailleur_social": 22, "ccas": 14, "bailleur": 4, "autre": 10}
)
TIRAGE_ORIGINE_MENACE = Tirage({"ccapex": 60, "bailleur": 30, "ccas": 10})
TIRAGE_STATUT_ORIENTATION = Tirage(
    {
        Orientation.Statut.ACCEPTEE: 82,
        Orientation.Statut.REFUSEE: 9,
        Orientation.Statut.REDIRIGEE: 9,
    }
)
TIRAGE_TYPE = Tirage(PART_MESURE)
TIRAGE_TYPE_MENACE = Tirage({"asll": 45, "avdl": 25, "masp": 30})
TIRAGE_ISSUE = Tirage({"acces": 32, "maintien": 6, "rupture": 17, "droit_commun": 10, "ouvert": 35})
TIRAGE_ISSUE_LOGE = Tirage({"maintien": 30, "rupture": 20, "droit_commun": 15, "ouvert": 35})
TIRAGE_RUPTURE = Tirage(
    {
        "non_adhesion": 30,
        "perte_contact": 30,
        "hospitalisation_incarceration": 15,
        "demenagement": 17,
        "deces": 4,
    }
)
TIRAGE_DROIT_COMMUN = Tirage({"objectifs_atteints": 45, "relais_droit_commun": 55})
TIRAGE_DESTINATION = Tirage(
    {
        Mesure.Destination.LOGEMENT_SOCIAL: 62,
        Mesure.Destination.PARC_PRIVE: 15,
        Mesure.Destination.IML_BAIL_GLISSANT: 11,
        Mesure.Destination.PENSION_FAMILLE: 12,
    }
)
TIRAGE_DESTINATION_AML = Tirage(
    {
        Mesure.Destination.IML_BAIL_GLISSANT: 70,
        Mesure.Destination.LOGEMENT_SOCIAL: 20,
        Mesure.Destination.PARC_PRIVE: 10,
    }
)
TIRAGE_ISSUE_CHAINE = Tirage(
    {"attribution": 65, "refus": 15, "non_attribution": 12, "irrecevable": 8}
)
TIRAGE_ECHEC_CHAINE = Tirage({"refus": 50, "non_attribution": 32, "irrecevable": 18})
TIRAGE_RANG = Tirage({"rang_1": 70, "sous_condition": 12, "rang_2": 12, "rang_3": 6})
TIRAGE_CONTINGENT = Tirage(
    {"prefectoral": 40, "action_logement": 15, "collectivites": 15, "bailleur": 30}
)
TIRAGE_ISSUE_PROCEDURE = Tirage(
    {
        "en_cours": 30,
        "maintien": 20,
        "plan_apurement": 20,
        "relogement": 8,
        "expulsion": 12,
        "depart": 10,
    }
)
STATUTS_OBJECTIF_FIN_POSITIVE = Tirage(
    {
        ObjectifProjet.Statut.ATTEINT: 60,
        ObjectifProjet.Statut.NON_ATTEINT: 25,
        ObjectifProjet.Statut.ABANDONNE: 15,
    }
)
STATUTS_OBJECTIF_RUPTURE = Tirage(
    {
        ObjectifProjet.Statut.ATTEINT: 15,
        ObjectifProjet.Statut.NON_ATTEINT: 45,
        ObjectifProjet.Statut.ABANDONNE: 40,
    }
)
STATUTS_OBJECTIF_EN_COURS = Tirage(
    {
        ObjectifProjet.Statut.A_ENGAGER: 20,
        ObjectifProjet.Statut.EN_COURS: 60,
        ObjectifProjet.Statut.ATTEINT: 20,
    }
)
PORTEURS = tuple(ActionProjet.Porteur.values)
TIRAGE_RENCONTRE = Tirage(
    {
        Rencontre.Type.ENTRETIEN: 35,
        Rencontre.Type.VISITE_DOMICILE: 25,
        Rencontre.Type.TELEPHONE: 25,
        Rencontre.Type.ACCOMPAGNEMENT_PHYSIQUE: 10,
        Rencontre.Type.REUNION_PARTENAIRES: 5,
    }
)
SITUATION_AVANT = {
    "rue": ("tiers", "logement_prive"),
    "abri_fortune": ("rue", "tiers"),
    "hebergement_urgence": ("rue", "tiers"),
    "chrs": ("hebergement_urgence", "rue"),
    "hebergement_asile": ("rue",),
    "hotel": ("tiers", "hebergement_urgence"),
    "tiers": ("logement_prive", "logement_social"),
    "logement_temporaire": ("hebergement_urgence", "chrs"),
    "sortie_prison": ("logement_prive", "tiers"),
    "sortie_hopital": ("logement_prive", "rue"),
}
SITUATION_APRES = {
    "rue": ("hebergement_urgence", "hotel"),
    "abri_fortune": ("hebergement_urgence",),
    "hebergement_urgence": ("chrs",),
    "hotel": ("chrs", "hebergement_urgence"),
    "tiers": ("hebergement_urgence", "hotel"),
    "sortie_ase": ("tiers", "hebergement_urgence"),
    "sortie_prison": ("hebergement_urgence", "tiers"),
    "sortie_hopital": ("hebergement_urgence",),
}


# --- Petits outils ------------------------------------------------------------------------------


def _plus(jour: dt.date, jours: int) -> dt.date:
    return jour + dt.timedelta(days=jours)


def _entre(rng: random.Random, debut: dt.date, fin: dt.date) -> dt.date:
    """Date tirée entre deux bornes incluses (la première si l'intervalle est vide)."""
    ecart = (fin - debut).days
    return debut if ecart <= 0 else _plus(debut, rng.randint(0, ecart))


def _montant(rng: random.Random, mini: int, maxi: int) -> int:
    """Montant en centimes entre deux bornes en euros."""
    return rng.randint(mini * 100, maxi * 100)


def _euros(centimes: int) -> Decimal:
    return Decimal(centimes).scaleb(-2)


def _hors_treve(jour: dt.date, rng: random.Random) -> dt.date:
    """Repousse une expulsion tombée pendant la trêve hivernale (1er novembre – 31 mars)."""
    if jour.month >= 11:
        return dt.date(jour.year + 1, 4, 1) + dt.timedelta(days=rng.randint(0, 40))
    if jour.month <= 3:
        return dt.date(jour.year, 4, 1) + dt.timedelta(days=rng.randint(0, 40))
    return jour


class Ligne(dict):
    """Ligne à insérer : un dictionnaire qui se lit comme un objet (`ligne.statut`)."""

    __slots__ = ()

    def __getattr__(self, nom):
        try:
            return self[nom]
        except KeyError:
            raise AttributeError(nom) from None

    __setattr__ = dict.__setitem__


class Table:
    """Lignes d'un modèle, insérées en masse sans instancier le modèle.

    Les lignes auxquelles d'autres se rattachent reçoivent leur clé d'avance (séquence
    PostgreSQL, ou suite du plus grand id sous SQLite, dont la transaction tient le verrou
    d'écriture) ; les autres la reçoivent de la base. L'écriture passe par COPY (PostgreSQL) ou
    executemany. La base contrôle toujours ses contraintes (CHECK, UNIQUE, clés étrangères) ; les
    tests appellent full_clean() sur un échantillon de chaque modèle.
    """

    RESERVATION = 20_000

    def __init__(self, modele, connexion, *, cle: bool):
        self.connexion = connexion
        self.cle = cle
        self.table = connexion.ops.quote_name(modele._meta.db_table)
        champs = [f for f in modele._meta.concrete_fields if cle or not f.primary_key]
        horodatage = [
            f for f in champs if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        donnees = [f for f in champs if f not in horodatage]
        self.attnames = [f.attname for f in donnees]
        self.nb_horodatage = len(horodatage)
        self.colonnes = ", ".join(connexion.ops.quote_name(f.column) for f in donnees + horodatage)
        self.defauts = {f.attname: None if f.primary_key else f.get_default() for f in donnees}
        self.lignes = []
        self.ids = iter(())
        self.suivant = None
        self.total = 0

    def ajouter(self, valeurs: dict) -> Ligne:
        ligne = Ligne(self.defauts)
        ligne.update(valeurs)
        if self.cle:
            ligne["id"] = next(self.ids, None) or self._reserver()
        self.lignes.append(ligne)
        return ligne

    def _reserver(self) -> int:
        with self.connexion.cursor() as curseur:
            if self.connexion.vendor == "postgresql":
                curseur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, self.RESERVATION],
                )
                self.ids = iter([ligne[0] for ligne in curseur.fetchall()])
            else:
                if self.suivant is None:
                    curseur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")
                    self.suivant = curseur.fetchone()[0] + 1
                self.ids = iter(range(self.suivant, self.suivant + self.RESERVATION))
                self.suivant += self.RESERVATION
        return next(self.ids)

    def ecrire(self) -> None:
        if not self.lignes:
            return
        maintenant = self.connexion.ops.adapt_datetimefield_value(timezone.now())
        horodatage = [maintenant] * self.nb_horodatage
        attnames = self.attnames
        valeurs = [[ligne[a] for a in attnames] + horodatage for ligne in self.lignes]
        with self.connexion.cursor() as curseur:
            if self.connexion.vendor == "postgresql":
                with curseur.cursor.copy(
                    f"COPY {self.table} ({self.colonnes}) FROM STDIN"
                ) as copie:
                    for ligne in valeurs:
                        copie.write_row(ligne)
            else:
                marques = ", ".join(["%s"] * (len(attnames) + self.nb_horodatage))
                curseur.executemany(
                    f"INSERT INTO {self.table} ({self.colonnes}) VALUES ({marques})", valeurs
                )
        self.total += len(self.lignes)
        self.lignes = []


@dataclass
class Foyer:
    """Ce que le générateur sait d'un ménage pendant qu'il le construit."""

    index: int
    rng: random.Random
    forcage: dict
    menage: Ligne
    e: int
    date_orientation: dt.date
    origine: str
    profil: str = ""
    type_preconise: str = ""
    demandeur: Ligne | None = None
    personnes: list = field(default_factory=list)
    taille: int = 0
    enfants: int = 0
    dernier_contact: dt.date | None = None
    # Accès au logement : date d'entrée, logement capté éventuel, destination.
    entree: dt.date | None = None
    logement: Ligne | None = None
    destination: str = ""
    destination_situation: str = ""
    publics: set = field(default_factory=set)

    @property
    def loge(self) -> bool:
        """Ménage déjà locataire (menacé d'expulsion) : on l'accompagne au maintien."""
        return self.origine == "menace_expulsion"


@dataclass
class Lot:
    """Ce qu'un lot partage entre ses ménages : candidats en recherche, commissions CALEOL."""

    chercheurs: dict = field(default_factory=lambda: defaultdict(list))
    commissions: list = field(default_factory=list)


ORDRE_INSERTION = [
    Menage,
    Menage.publics_prioritaires.through,
    Personne,
    SituationResidentielle,
    Ressource,
    Consentement,
    Orientation,
    Logement,
    Mesure,
    Renouvellement,
    ProjetAccompagnement,
    ObjectifProjet,
    ActionProjet,
    RevisionProjet,
    Rencontre,
    Proposition,
    ProcedureExpulsion,
    EtapeProcedure,
    ActionPrevention,
    AideFinanciere,
]
# Modèles dont d'autres lignes du lot portent la clé : leurs clés sont réservées d'avance.
REFERENCES = {
    Menage,
    Personne,
    Orientation,
    Logement,
    Mesure,
    ProjetAccompagnement,
    ObjectifProjet,
    ProcedureExpulsion,
}
MODELES_DEMO = [
    Territoire,
    Structure,
    User,
    Habilitation,
    Convention,
    Enveloppe,
    ObjectifAttribution,
    *ORDRE_INSERTION,
]


# --- Suppression --------------------------------------------------------------------------------


def departement_demo() -> Territoire | None:
    return Territoire.objects.filter(
        niveau=Territoire.Niveau.DEPARTEMENT, code=DEPARTEMENT[0]
    ).first()


def utilisateurs_demo():
    return User.objects.filter(email__iendswith=f"@{DOMAINE_COURRIEL}")


def donnees_demo_presentes() -> bool:
    return departement_demo() is not None or utilisateurs_demo().exists()


def _supprimer(queryset) -> None:
    """DELETE en une requête, sans signaux ni cascade : l'appelant a déjà vidé les dépendances."""
    connexion = connections[queryset.db]
    sous_requete, parametres = queryset.values("pk").query.sql_with_params()
    table = connexion.ops.quote_name(queryset.model._meta.db_table)
    with connexion.cursor() as curseur:
        curseur.execute(f"DELETE FROM {table} WHERE id IN ({sous_requete})", parametres)


def demander_bilans_demo(aujourdhui: dt.date) -> list:
    """Les bilans de l'année écoulée qu'un Département de démonstration aurait déjà : son rapport
    annuel et le bilan du premier EPCI pour son co-pilote. Demandés par l'agent départemental, ils
    passent par la file comme une demande de l'interface (produits sur place sans courtier)."""
    from bilans.models import Bilan
    from bilans.services import demander_bilan, periode_annee

    dep = departement_demo()
    agent = utilisateurs_demo().filter(username="agent.departemental").first()
    if dep is None or agent is None:
        return []
    debut, fin = periode_annee(aujourdhui.year - 1)
    epci = dep.enfants.filter(niveau=Territoire.Niveau.EPCI).order_by("code").first()
    cibles = [(dep, Bilan.Audience.DEPARTEMENT), (epci, Bilan.Audience.EPCI)]
    return [
        demander_bilan(
            par=agent,
            territoire=territoire,
            audience=audience,
            debut=debut,
            fin=fin,
            periodicite=Bilan.Periodicite.ANNUEL,
        )
        for territoire, audience in cibles
    ]


def supprimer_donnees_demo() -> None:
    """Supprime le Département de démonstration, tout ce qui s'y rattache et les comptes de démo.

    Des feuilles vers la racine : quand vient le tour d'une table, plus rien du jeu ne la
    référence, et chaque étape est une seule requête DELETE (le collecteur de l'ORM chargerait les
    100 000 ménages un par un). Seules les lignes des ménages de démonstration sont visées : si
    des données réelles se rattachent au jeu (un ménage réel sur un logement de démonstration),
    les clés étrangères font échouer la suppression au lieu d'effacer ces données.
    """
    dep = departement_demo()
    territoires = Territoire.objects.filter(Q(pk=dep.pk) | Q(parent=dep)) if dep else None
    utilisateurs = utilisateurs_demo()
    if territoires is not None:
        epcis = territoires.filter(niveau=Territoire.Niveau.EPCI)
        menages = Menage.objects.filter(territoire__in=epcis)
        structures = Structure.objects.filter(territoire__in=territoires)
        mesures = Mesure.objects.filter(menage__in=menages)
        procedures = ProcedureExpulsion.objects.filter(menage__in=menages)
        etapes = [
            Rencontre.objects.filter(menage__in=menages),
            Renouvellement.objects.filter(mesure__in=mesures),
            ActionProjet.objects.filter(objectif__projet__mesure__in=mesures),
            ObjectifProjet.objects.filter(projet__mesure__in=mesures),
            RevisionProjet.objects.filter(projet__mesure__in=mesures),
            ProjetAccompagnement.objects.filter(mesure__in=mesures),
            Proposition.objects.filter(menage__in=menages),
            mesures,
            AideFinanciere.objects.filter(menage__in=menages),
            Enveloppe.objects.filter(territoire__in=territoires),
            Orientation.objects.filter(menage__in=menages),
            Convention.objects.filter(Q(structure__in=structures) | Q(territoire__in=territoires)),
            Logement.objects.filter(territoire__in=epcis),
            ObjectifAttribution.objects.filter(territoire__in=territoires),
            EtapeProcedure.objects.filter(procedure__in=procedures),
            ActionPrevention.objects.filter(procedure__in=procedures),
            procedures,
            SituationResidentielle.objects.filter(personne__menage__in=menages),
            Ressource.objects.filter(menage__in=menages),
            Consentement.objects.filter(menage__in=menages),
            Menage.publics_prioritaires.through.objects.filter(menage__in=menages),
            Personne.objects.filter(menage__in=menages),
            menages,
        ]
        for queryset in etapes:
            _supprimer(queryset)
        _supprimer_bilans(territoires)
        Habilitation.objects.filter(
            Q(user__in=utilisateurs) | Q(structure__in=structures) | Q(territoire__in=territoires)
        ).delete()
        utilisateurs.delete()
        structures.delete()
        territoires.filter(niveau=Territoire.Niveau.PLATEFORME).delete()
        epcis.delete()
        dep.delete()
    else:
        Habilitation.objects.filter(user__in=utilisateurs).delete()
        utilisateurs.delete()


def _supprimer_bilans(territoires) -> None:
    from bilans.models import Bilan, FichierBilan

    for fichier in FichierBilan.objects.filter(bilan__territoire__in=territoires):
        fichier.fichier.delete(save=False)
    Bilan.objects.filter(territoire__in=territoires).delete()


# --- Générateur ---------------------------------------------------------------------------------


class Generateur:
    """Construit le jeu : le socle par l'ORM, puis les ménages par lots de TAILLE_LOT.

    Chaque ménage a son propre tirage (graine et rang du ménage) : le résultat ne dépend ni de la
    taille des lots ni de l'ordre des clés en base.
    """

    def __init__(self, *, nb_menages: int, graine: int, aujourdhui: dt.date, journal=None):
        self.nb_menages = nb_menages
        self.graine = graine
        self.aujourdhui = aujourdhui
        # Trois années civiles : la courante et les deux précédentes.
        self.annees = [aujourdhui.year - 2, aujourdhui.year - 1, aujourdhui.year]
        self.debut = dt.date(self.annees[0], 1, 1)
        self.journal = journal or (lambda message: None)
        self.nb_logements = 0
        self.tables = {}
        self.socle = {Territoire: 1}

    def _ajouter(self, modele, **valeurs) -> Ligne:
        return self.tables[modele].ajouter(valeurs)

    def _creer(self, modele, objets: list) -> list:
        """Socle (quelques centaines de lignes au plus) : bulk_create ordinaire."""
        self.socle[modele] = self.socle.get(modele, 0) + len(objets)
        return modele.objects.bulk_create(objets, batch_size=TAILLE_INSERTION)

    def lignes_creees(self) -> dict:
        """Nombre de lignes créées, par modèle, dans l'ordre de MODELES_DEMO."""
        nombres = {**self.socle, **{m: t.total for m, t in self.tables.items()}}
        return {modele: nombres.get(modele, 0) for modele in MODELES_DEMO}

    def executer(self) -> None:
        """Crée tout ; à appeler dans une transaction (la commande l'ouvre)."""
        connexion = connections[router.db_for_write(Menage)]
        self.tables = {
            modele: Table(modele, connexion, cle=modele in REFERENCES) for modele in ORDRE_INSERTION
        }
        self._charger_referentiels()
        rng = random.Random(f"{self.graine}:socle")
        self._creer_territoires()
        self._creer_structures()
        self._creer_utilisateurs(rng)
        self._creer_conventions(rng)
        self._creer_enveloppes()
        self._creer_objectifs_attribution(rng)
        nb_lots = (self.nb_menages + TAILLE_LOT - 1) // TAILLE_LOT
        for n, debut in enumerate(range(0, self.nb_menages, TAILLE_LOT), start=1):
            fin = min(debut + TAILLE_LOT, self.nb_menages)
            self._creer_lot(debut, fin, n)
            self.journal(f"Lot {n}/{nb_lots} : ménages {debut + 1} à {fin} créés.")
        self._doter_enveloppes(rng)

    # --- Socle ----------------------------------------------------------------------------------

    def _charger_referentiels(self) -> None:
        def par_code(modele, codes):
            lignes = {o.code: o for o in modele.objects.filter(code__in=codes)}
            manquants = [c for c in codes if c not in lignes]
            if manquants:
                raise LookupError(
                    f"Référentiel {modele._meta.verbose_name} incomplet ({', '.join(manquants)}) : "
                    "lancez d'abord « manage.py migrate »."
                )
            return lignes

        self.types = par_code(TypeMesure, TYPES_MESURE)
        self.motifs = par_code(MotifFin, MOTIFS_FIN)
        self.domaines = par_code(DomaineAccompagnement, DOMAINES)
        self.decisions = par_code(DecisionCaleol, DECISIONS)
        self.contingents = par_code(Contingent, CONTINGENTS)
        self.situations = par_code(
            TypeSituation,
            list(TIRAGE_ORIGINE.valeurs)
            + ["logement_social", "logement_prive", "bail_glissant", "pension_famille"],
        )
        self.ressources = par_code(TypeRessource, list(BAREMES))
        self.publics = par_code(PublicPrioritaire, PUBLICS)
        self.origines = par_code(
            OrigineOrientation,
            [
                "siao",
                "ccapex",
                "ccas",
                "travailleur_social",
                "bailleur",
                "spip",
                "hopital",
                "ase",
                "autre",
            ],
        )

    def _creer_territoires(self) -> None:
        self.departement = Territoire.objects.create(
            niveau=Territoire.Niveau.DEPARTEMENT, code=DEPARTEMENT[0], nom=DEPARTEMENT[1]
        )
        self.epcis = self._creer(
            Territoire,
            [
                Territoire(
                    niveau=Territoire.Niveau.EPCI, code=code, nom=nom, parent=self.departement
                )
                for code, nom, _, _ in EPCIS
            ],
        )
        self.plateformes = self._creer(
            Territoire,
            [
                Territoire(
                    niveau=Territoire.Niveau.PLATEFORME, code=code, nom=nom, parent=self.departement
                )
                for code, nom, _ in PLATEFORMES
            ],
        )
        for plateforme, (_, _, couverts) in zip(self.plateformes, PLATEFORMES, strict=True):
            plateforme.perimetre.set([self.epcis[e] for e in couverts])
        self.territoires = {"dep": self.departement}
        self.territoires.update({f"epci{e}": t for e, t in enumerate(self.epcis)})
        self.territoires.update({f"pf{p}": t for p, t in enumerate(self.plateformes)})
        self.plateforme_de = {
            e: p for p, (_, _, couverts) in enumerate(PLATEFORMES) for e in couverts
        }
        self.communes = [list(communes.items()) for _, _, _, communes in EPCIS]
        self.tirage_epci = Tirage({e: poids for e, (_, _, poids, _) in enumerate(EPCIS)})

    def _creer_structures(self) -> None:
        rng = random.Random(f"{self.graine}:structures")
        objets = [
            Structure(
                nom=nom,
                type=type_,
                territoire=self.territoires[territoire],
                adresse=f"{rng.randint(1, 90)} {rng.choice(VOIES)}",
                commune=commune,
            )
            for _, nom, type_, territoire, commune in STRUCTURES
        ]
        self._creer(Structure, objets)
        self.structures = {cle: s for (cle, *_), s in zip(STRUCTURES, objets, strict=True)}

    def _creer_utilisateurs(self, rng: random.Random) -> None:
        # Un seul hachage (PBKDF2 est lent à dessein) partagé par tous les comptes de démo.
        hachage = make_password(MOT_DE_PASSE)
        utilisateurs, habilitations = [], []
        self.comptes = {}
        self.referents = defaultdict(list)

        def compte(identifiant, prenom, nom, **extra):
            user = User(
                username=identifiant,
                first_name=prenom,
                last_name=nom,
                email=f"{identifiant}@{DOMAINE_COURRIEL}",
                password=hachage,
                **extra,
            )
            utilisateurs.append(user)
            return user

        def habiliter(user, role, cible):
            h = Habilitation(user=user, role=role, date_debut=self.debut)
            if cible in self.structures:
                h.structure = self.structures[cible]
            elif cible:
                h.territoire = self.territoires[cible]
            habilitations.append(h)

        for identifiant, role, cible, prenom, nom in COMPTES:
            admin = role == Role.ADMINISTRATEUR
            user = compte(identifiant, prenom, nom, is_staff=admin, is_superuser=admin)
            habiliter(user, role, cible)
            self.comptes[identifiant] = user
            if role == Role.REFERENT:
                self.referents[cible].append(user)
        # Des référents en nombre pour que la file active de chacun reste vraisemblable.
        par_structure = max(2, -(-self.nb_menages // 600))
        for cle in STRUCTURES_ACCOMPAGNEMENT:
            for n in range(len(self.referents[cle]) + 1, par_structure + 1):
                sexe_f = rng.random() < 0.7
                prenom = rng.choice(PRENOMS_F if sexe_f else PRENOMS_M)
                user = compte(f"ref.{cle}.{n:03d}", prenom, rng.choice(NOMS))
                habiliter(user, Role.REFERENT, cle)
                self.referents[cle].append(user)
        self._creer(User, utilisateurs)
        self._creer(Habilitation, habilitations)
        self.coordinateurs = [self.comptes["coordinatrice"], self.comptes["coordinateur2"]]

    def _creer_conventions(self, rng: random.Random) -> None:
        """Une convention par structure, type de mesure et année, au prorata du volume attendu."""
        paires = []
        for type_code in TYPES_MESURE:
            for e in range(len(EPCIS)):
                for cle in structures_de_mesure(type_code, e):
                    if (cle, type_code) not in paires:
                        paires.append((cle, type_code))
        nb_structures = defaultdict(int)
        for _, type_code in paires:
            nb_structures[type_code] += 1
        total = sum(PART_MESURE.values())
        self.conventions = {}
        objets = []
        for cle, type_code in paires:
            type_ = self.types[type_code]
            for annee in self.annees:
                volume = self.nb_menages / 3 * 0.9 * PART_MESURE[type_code] / total
                nombre = max(2, round(volume / nb_structures[type_code] * rng.uniform(0.9, 1.3)))
                signature = dt.date(annee, 1, 15) + dt.timedelta(days=rng.randint(0, 75))
                convention = Convention(
                    reference=f"CONV-{annee}-{cle.upper()}-{type_code.upper()}",
                    financeur=type_.financeur,
                    structure=self.structures[cle],
                    type_mesure=type_,
                    territoire=self.structures[cle].territoire,
                    annee=annee,
                    nombre_mesures=nombre,
                    budget=_euros(nombre * COUT_MESURE[type_code] * 100),
                    date_signature=signature if signature <= self.aujourdhui else None,
                )
                objets.append(convention)
                self.conventions[(cle, type_code, annee)] = convention
        self._creer(Convention, objets)

    def _creer_enveloppes(self) -> None:
        """Enveloppes annuelles ; leur montant est fixé à la fin, d'après les aides accordées."""
        self.enveloppes = {}
        objets = []
        for cle, (libelle, _) in ENVELOPPES.items():
            for annee in self.annees:
                enveloppe = Enveloppe(
                    libelle=libelle,
                    financeur=Financeur.DEPARTEMENT,
                    territoire=self.departement,
                    annee=annee,
                    montant=0,
                )
                objets.append(enveloppe)
                self.enveloppes[(cle, annee)] = [enveloppe, 0]  # montant accordé (centimes)
        self._creer(Enveloppe, objets)

    def _doter_enveloppes(self, rng: random.Random) -> None:
        """Montant de chaque enveloppe : ce qui a été accordé ne la dépasse jamais, et l'année
        écoulée est consommée à 80-97 %, l'année en cours à 45-80 %."""
        for (cle, annee), (enveloppe, accorde) in self.enveloppes.items():
            taux = (
                rng.uniform(0.45, 0.8) if annee == self.aujourdhui.year else rng.uniform(0.8, 0.97)
            )
            montant = max(ENVELOPPES[cle][1] * 100, int(accorde / taux))
            enveloppe.montant = _euros(-(-montant // 100_000) * 100_000)  # au millier d'euros
        Enveloppe.objects.bulk_update([e for e, _ in self.enveloppes.values()], ["montant"])

    def _creer_objectifs_attribution(self, rng: random.Random) -> None:
        objets = []
        for annee in self.annees:
            total = max(3, round(self.nb_menages * 0.08))
            connu = annee < self.aujourdhui.year
            cibles = [(self.departement, total)] + [
                (epci, max(1, round(total * poids / 100)))
                for epci, (_, _, poids, _) in zip(self.epcis, EPCIS, strict=True)
            ]
            for territoire, objectif in cibles:
                objets.append(
                    ObjectifAttribution(
                        territoire=territoire,
                        annee=annee,
                        objectif=objectif,
                        attributions_totales=objectif * rng.randint(12, 20) if connu else None,
                    )
                )
        self._creer(ObjectifAttribution, objets)

    # --- Ménages, par lots ------------------------------------------------------------------------

    def _creer_lot(self, debut: int, fin: int, numero: int) -> None:
        lot = Lot()
        for i in range(debut, fin):
            self._menage(i, lot)
        rng = random.Random(f"{self.graine}:lot:{numero}")
        self._autres_candidats(lot, rng)
        for _ in range(max(2, (fin - debut) // 25)):
            self._logement_disponible(rng)
        for modele in ORDRE_INSERTION:
            self.tables[modele].ecrire()

    def _menage(self, i: int, lot: Lot) -> None:
        T = self.aujourdhui
        rng = random.Random(f"{self.graine}:{i}")
        forcage = FORCAGES.get(i, {})
        e = forcage.get("epci", self.tirage_epci(rng))
        origine = forcage.get("origine") or TIRAGE_ORIGINE(rng)
        if forcage.get("orientation") == "en_attente":
            date_orientation = _plus(T, -rng.randint(0, 10))
        elif forcage.get("orientation") == "mesure_proposee":
            date_orientation = _plus(T, -rng.randint(15, 25))
        elif forcage:
            date_orientation = max(self.debut, _plus(T, -rng.randint(420, 460)))
        else:
            date_orientation = _entre(rng, self.debut, T)
        commune, _ = rng.choice(self.communes[e])
        menage = self._ajouter(
            Menage,
            reference=f"{PREFIXE_REFERENCE}{i + 1:07d}",
            territoire_id=self.epcis[e].pk,
            commune=commune,
            cree_par_id=self.coordinateurs[self.plateforme_de[e]].pk,
        )
        fo = Foyer(
            index=i,
            rng=rng,
            forcage=forcage,
            menage=menage,
            e=e,
            date_orientation=date_orientation,
            origine=origine,
        )
        self._composition(fo)
        self._demande_logement(fo)
        self._ressources(fo)
        segments = self._debut_parcours(fo)
        expulsion = relogement = None
        if fo.loge:
            signalement, expulsion, relogement = self._procedure(
                fo, segments[-1][0], forcage.get("procedure"), loge_avant=True
            )
            segments[-1] = (signalement, origine)
        orientation = self._orientations(fo)
        mesures_ouvertes = False
        if orientation.statut == Orientation.Statut.ACCEPTEE:
            mesures_ouvertes = self._accompagnement(fo, lot, orientation, expulsion)
            if not fo.loge:
                fin_recherche = _plus(fo.entree, -1) if fo.entree else T
                lot.chercheurs[e].append((menage.id, orientation.date_decision, fin_recherche))
        else:
            self._consentement(fo, date_orientation, self._coordinateur(fo).pk)
        # Parcours résidentiel : avant l'orientation, puis ce que l'accompagnement a changé.
        if expulsion:
            segments.append((expulsion, rng.choice(("hebergement_urgence", "hotel", "tiers"))))
        if relogement:
            segments.append((relogement, "logement_social"))
        if fo.entree:
            segments.append((fo.entree, fo.destination_situation))
        self._intermediaire(fo, segments)
        if (
            fo.entree
            and fo.entree <= _plus(T, -210)
            and rng.random() < 0.04
            and not forcage.get("procedure")
        ):
            self._procedure(fo, _entre(rng, _plus(fo.entree, 180), _plus(T, -30)), None)
        self._situations(fo, segments)
        self._publics(fo, expulsion)
        menage.date_dernier_contact = fo.dernier_contact
        derniere_activite = fo.dernier_contact or orientation.date_decision or T
        if not mesures_ouvertes and (T - derniere_activite).days > 180 and rng.random() < 0.7:
            menage.statut = Menage.Statut.CLOS
        if fo.logement:
            menage.adresse, menage.commune = fo.logement.adresse, fo.logement.commune

    # --- Composition, ressources, droits ---------------------------------------------------------

    def _composition(self, fo: Foyer) -> None:
        rng, oriente, T = fo.rng, fo.date_orientation, self.aujourdhui
        if fo.origine == "sortie_ase":
            profil = "jeune"
        elif fo.origine == "sortie_prison":
            profil = "isole_h" if rng.random() < 0.85 else "isole_f"
        elif fo.origine == "hotel" and rng.random() < 0.6:
            profil = rng.choice(("couple_enfants", "monoparentale"))
        else:
            profil = TIRAGE_PROFIL(rng)
        if profil == "jeune":
            age = rng.randint(18, 21 if fo.origine == "sortie_ase" else 24)
        elif profil in ("couple_enfants", "monoparentale"):
            age = rng.randint(21, 50)
        else:
            age = rng.randint(25, 72)
        naissance = oriente - relativedelta(years=age) - dt.timedelta(days=rng.randint(0, 360))
        F, M = Personne.Sexe.FEMME, Personne.Sexe.HOMME
        sexe = {"isole_h": M, "isole_f": F}.get(profil)
        if profil == "monoparentale":
            sexe = F if rng.random() < 0.85 else M
        sexe = sexe or rng.choice((F, M))
        nationalite = TIRAGE_NATIONALITE(rng)
        nom = rng.choice(NOMS)
        fo.demandeur = self._personne(
            fo, nom, sexe, naissance, Personne.Role.DEMANDEUR, nationalite
        )
        noms_parents = [nom]
        if profil in ("couple", "couple_enfants"):
            autre = M if sexe == F else F
            sexe_c = autre if rng.random() < 0.92 else sexe
            naissance_c = min(
                naissance + dt.timedelta(days=rng.randint(-2200, 2200)),
                oriente - relativedelta(years=18),
            )
            nom_c = nom if rng.random() < 0.6 else rng.choice(NOMS)
            noms_parents.append(nom_c)
            nat_c = nationalite if rng.random() < 0.85 else TIRAGE_NATIONALITE(rng)
            self._personne(fo, nom_c, sexe_c, naissance_c, Personne.Role.CONJOINT, nat_c)
        if profil in ("couple_enfants", "monoparentale"):
            premier = max(naissance + relativedelta(years=18), T - relativedelta(years=17))
            nat_e = (
                Personne.Nationalite.FRANCAISE
                if nationalite == Personne.Nationalite.NON_RENSEIGNEE
                else nationalite
            )
            for _ in range(
                rng.choice((1, 1, 2, 2, 3, 4) if profil == "couple_enfants" else (1, 1, 2, 3))
            ):
                if premier >= _plus(T, -30):
                    break
                self._personne(
                    fo,
                    rng.choice(noms_parents),
                    rng.choice((F, M)),
                    _entre(rng, premier, _plus(T, -30)),
                    Personne.Role.ENFANT,
                    nat_e,
                )
                fo.enfants += 1
        if profil not in ("jeune", "isole_h") and rng.random() < 0.04:
            ascendant = oriente - relativedelta(years=rng.randint(60, 85))
            self._personne(fo, nom, rng.choice((F, M)), ascendant, Personne.Role.AUTRE, nationalite)
        fo.profil = profil
        fo.taille = len(fo.personnes)
        if profil == "monoparentale":
            fo.publics.add("monoparentale")
            if sexe == F and rng.random() < 0.35:
                fo.publics.add("violences")
        elif profil == "isole_f" and rng.random() < 0.15:
            fo.publics.add("violences")
        if (oriente - naissance).days < 25 * 365:
            fo.publics.add("jeune_moins_25")
        if nationalite == Personne.Nationalite.HORS_UE and (
            fo.origine == "hebergement_asile" or rng.random() < 0.25
        ):
            fo.publics.add("refugie")
        if fo.origine in PUBLIC_DES_SORTANTS:
            fo.publics.add(PUBLIC_DES_SORTANTS[fo.origine])

    def _personne(self, fo, nom, sexe, naissance, role, nationalite) -> Ligne:
        rng, T = fo.rng, self.aujourdhui
        prenom = rng.choice(PRENOMS_F if sexe == Personne.Sexe.FEMME else PRENOMS_M)
        titre = None
        majeur = (T - naissance).days >= 18 * 365
        if nationalite == Personne.Nationalite.HORS_UE and majeur and rng.random() < 0.7:
            titre = _plus(T, rng.randint(-120, 900))
        personne = self._ajouter(
            Personne,
            menage_id=fo.menage.id,
            nom=nom,
            prenom=prenom,
            nom_normalise=normaliser(f"{nom} {prenom}"),
            date_naissance=naissance,
            sexe=sexe,
            role=role,
            nationalite=nationalite,
            titre_sejour_fin=titre,
        )
        fo.personnes.append(personne)
        return personne

    def _demande_logement(self, fo: Foyer) -> None:
        rng, oriente, T, m = fo.rng, fo.date_orientation, self.aujourdhui, fo.menage
        if rng.random() < 0.7:
            m.nur = f"{DEPARTEMENT[0]}DEMO{fo.index + 1:08d}"
            m.nur_date_depot = _entre(rng, _plus(oriente, -400), min(T, _plus(oriente, 90)))
            echeance = m.nur_date_depot + relativedelta(years=1)
            while echeance < _plus(T, -45):
                echeance += relativedelta(years=1)
            m.nur_date_renouvellement = echeance
        if fo.origine != "menace_expulsion" and rng.random() < 0.6:
            m.siao_id = f"SIAO-DEMO-{fo.index + 1:07d}"
        tirage = rng.random()
        if tirage < 0.10:
            m.dalo = Menage.Dalo.PRIORITAIRE
        elif tirage < 0.14:
            m.dalo = Menage.Dalo.REJETE
        elif tirage < 0.19:
            m.dalo = Menage.Dalo.RECOURS
        if fo.forcage.get("type") == "avdl_dalo":
            m.dalo = Menage.Dalo.PRIORITAIRE
        if m.dalo in (Menage.Dalo.PRIORITAIRE, Menage.Dalo.REJETE):
            m.dalo_date_decision = _plus(oriente, -rng.randint(20, 300))
        m.syplo = fo.origine != "menace_expulsion" and rng.random() < 0.3
        m.telephone = f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"

    def _ressources(self, fo: Foyer) -> None:
        rng, oriente, T = fo.rng, fo.date_orientation, self.aujourdhui
        for p in fo.personnes:
            if p.role == Personne.Role.ENFANT or (
                p.role != Personne.Role.DEMANDEUR and rng.random() < 0.4
            ):
                continue
            age = (T - p.date_naissance).days // 365
            if age >= 63:
                code = "pension"
            elif age < 25:
                code = TIRAGE_RESSOURCE_JEUNE(rng)
            else:
                code = TIRAGE_RESSOURCE(rng)
            depuis = _entre(rng, _plus(oriente, -500), T)
            if code == "rsa" and rng.random() < 0.2:
                # Droits au chômage épuisés avant le RSA : une ressource close.
                debut_are = _plus(depuis, -rng.randint(200, 700))
                self._ressource(fo, p, "are", debut_are, _plus(depuis, -1))
            self._ressource(fo, p, code, depuis)
            if code == "salaire" and rng.random() < 0.4:
                self._ressource(fo, p, "prime_activite", depuis)
        if fo.enfants:
            self._ressource(
                fo, None, "prestations_familiales", _entre(rng, _plus(oriente, -500), T)
            )

    def _ressource(self, fo, personne, code, debut, fin=None) -> None:
        mini, maxi = BAREMES[code]
        self._ajouter(
            Ressource,
            menage_id=fo.menage.id,
            personne_id=personne.id if personne else None,
            type_id=self.ressources[code].pk,
            montant_mensuel=_euros(_montant(fo.rng, mini, maxi)),
            date_debut=debut,
            date_fin=fin,
        )

    def _publics(self, fo: Foyer, expulsion) -> None:
        if fo.origine == "menace_expulsion" or expulsion:
            fo.publics.add("expulse")
        through = Menage.publics_prioritaires.through
        for code in PUBLICS:  # ordre fixe des codes, pas celui d'un ensemble
            if code in fo.publics:
                self._ajouter(
                    through, menage_id=fo.menage.id, publicprioritaire_id=self.publics[code].pk
                )

    # --- Parcours résidentiel ------------------------------------------------------------------

    def _debut_parcours(self, fo: Foyer) -> list:
        """Situation d'origine (et parfois la précédente), datées avant l'orientation."""
        rng, oriente = fo.rng, fo.date_orientation
        debut_origine = _plus(
            oriente, -rng.randint(20, 400 if fo.origine == "menace_expulsion" else 600)
        )
        segments = []
        avant = SITUATION_AVANT.get(fo.origine)
        if avant and rng.random() < 0.4:
            segments.append((_plus(debut_origine, -rng.randint(60, 1500)), rng.choice(avant)))
        segments.append((debut_origine, fo.origine))
        return segments

    def _intermediaire(self, fo: Foyer, segments: list) -> None:
        """Parfois une étape entre l'orientation et le relogement (rue → urgence → CHRS)."""
        rng, oriente = fo.rng, fo.date_orientation
        apres = SITUATION_APRES.get(fo.origine)
        if not apres or rng.random() >= 0.25:
            return
        suivant = min([d for d, _ in segments if d > oriente] + [self.aujourdhui])
        date = _entre(rng, _plus(oriente, 10), _plus(suivant, -10))
        if _plus(oriente, 5) < date < _plus(suivant, -5):
            segments.append((date, rng.choice(apres)))

    def _situations(self, fo: Foyer, segments: list) -> None:
        segments = sorted(segments, key=lambda s: s[0])
        propres = []
        for date, code in segments:
            if propres and date <= propres[-1][0]:
                continue
            propres.append((date, code))
        rng = fo.rng
        communes = [rng.choice(self.communes[fo.e])[0] for _ in propres]
        if fo.entree and fo.logement and propres[-1][0] == fo.entree:
            communes[-1] = fo.logement.commune
        for personne in fo.personnes:
            naissance = personne.date_naissance
            for k, (date, code) in enumerate(propres):
                fin = _plus(propres[k + 1][0], -1) if k + 1 < len(propres) else None
                if fin and fin < naissance:
                    continue
                self._ajouter(
                    SituationResidentielle,
                    personne_id=personne.id,
                    type_id=self.situations[code].pk,
                    date_debut=max(date, naissance),
                    date_fin=fin,
                    commune=communes[k],
                )

    # --- Orientation et accompagnement ------------------------------------------------------------

    def _coordinateur(self, fo: Foyer) -> User:
        return self.coordinateurs[self.plateforme_de[fo.e]]

    def _orientations(self, fo: Foyer) -> Ligne:
        rng, oriente, T = fo.rng, fo.date_orientation, self.aujourdhui
        force = fo.forcage.get("orientation")
        if force in ("en_attente", "refusee", "redirigee"):
            statut = Orientation.Statut(force)
        elif fo.forcage or force == "mesure_proposee":
            statut = Orientation.Statut.ACCEPTEE
        elif (T - oriente).days <= 45 and rng.random() < 0.4:
            statut = Orientation.Statut.EN_ATTENTE
        else:
            statut = TIRAGE_STATUT_ORIENTATION(rng)
        if not fo.forcage and rng.random() < 0.08:
            precedente = _plus(oriente, -rng.randint(90, 400))
            if precedente >= self.debut:
                ancienne_statut = rng.choice(
                    (Orientation.Statut.REFUSEE, Orientation.Statut.REDIRIGEE)
                )
                self._orientation(fo, precedente, ancienne_statut)
        return self._orientation(fo, oriente, statut)

    def _orientation(self, fo, date, statut) -> Ligne:
        rng, T = fo.rng, self.aujourdhui
        if fo.origine == "menace_expulsion":
            origine = TIRAGE_ORIGINE_MENACE(rng)
        else:
            origine = {
                "sortie_prison": "spip",
                "sortie_hopital": "hopital",
                "sortie_ase": "ase",
            }.get(fo.origine) or TIRAGE_ORIGINE_ORIENTATION(rng)
        prescriptrice = {
            "siao": "siao",
            "ccas": "ccas",
            "travailleur_social": "dass",
            "bailleur": BAILLEURS_PAR_EPCI[fo.e][0],
        }.get(origine)
        fo.type_preconise = fo.forcage.get("type") or TIRAGE_TYPE(rng)
        orientation = self._ajouter(
            Orientation,
            menage_id=fo.menage.id,
            plateforme_id=self.plateformes[self.plateforme_de[fo.e]].pk,
            date_orientation=date,
            origine_id=self.origines[origine].pk,
            structure_prescriptrice_id=self.structures[prescriptrice].pk if prescriptrice else None,
            prescripteur=f"Travailleur social ({self.origines[origine].libelle})",
            motif=rng.choice(TITRES["motif_orientation"]),
            type_mesure_preconisee_id=self.types[fo.type_preconise].pk,
            statut=statut,
        )
        if statut != Orientation.Statut.EN_ATTENTE:
            orientation.date_decision = min(T, _plus(date, rng.randint(2, 30)))
            orientation.decision_par_id = self._coordinateur(fo).pk
        if statut in (Orientation.Statut.REFUSEE, Orientation.Statut.REDIRIGEE):
            orientation.motif_decision = rng.choice(TITRES["motif_refus_orientation"])
        if statut == Orientation.Statut.REDIRIGEE:
            orientation.redirigee_vers = rng.choice(TITRES["redirigee_vers"])
        return orientation

    def _consentement(self, fo, date, par_id, adhesion=Consentement.Adhesion.ACCEPTEE) -> Ligne:
        return self._ajouter(
            Consentement,
            menage_id=fo.menage.id,
            date=min(date, self.aujourdhui),
            adhesion=adhesion,
            recueilli_par_id=par_id,
            information_donnee=True,
        )

    def _accompagnement(self, fo: Foyer, lot: Lot, orientation: Ligne, expulsion) -> bool:
        """Mesure(s) du ménage ; renvoie vrai s'il en reste une ouverte."""
        rng, T, f, loge = fo.rng, self.aujourdhui, fo.forcage, fo.loge
        if f.get("type"):
            type_code = f["type"]
        elif loge:
            type_code = TIRAGE_TYPE_MENACE(rng)
        elif fo.menage.dalo == Menage.Dalo.PRIORITAIRE and rng.random() < 0.5:
            type_code = "avdl_dalo"
        else:
            type_code = fo.type_preconise
            if type_code == "avdl_dalo" and fo.menage.dalo != Menage.Dalo.PRIORITAIRE:
                type_code = "avdl"
        orientation.type_mesure_preconisee_id = self.types[type_code].pk
        P = min(T, _plus(orientation.date_decision, rng.randint(0, 14)))
        recueil = max(fo.date_orientation, _plus(P, -rng.randint(0, 7)))
        consentement = self._consentement(fo, recueil, None)
        if f.get("orientation") == "mesure_proposee" or (
            not f and (T - P).days < 40 and rng.random() < 0.4
        ):
            mesure = self._mesure(fo, type_code, P, None, None, None, orientation)
            consentement.recueilli_par_id = mesure.referent_id
            return True
        D = min(T, _plus(P, rng.randint(0, 30)))
        plafond = D + relativedelta(months=self.types[type_code].duree_max_mois or 60)
        limite = min((plafond - D).days, (T - D).days)
        ouvrable = (T - D).days < (plafond - D).days
        issue = self._issue(fo, f, loge, expulsion, limite, ouvrable)
        motif = f.get("motif")
        E = None
        if issue == "acces":
            fo.entree = _plus(D, rng.randint(100, limite))
            E, motif = fo.entree, "acces_logement"
        elif issue == "maintien" and not loge:
            entree = rng.randint(100, limite - 60)
            fo.entree = _plus(D, entree)
            E, motif = _plus(D, rng.randint(entree + 60, limite)), "maintien"
        elif issue == "maintien":
            E, motif = _plus(D, rng.randint(60, limite)), "maintien"
        elif issue in ("rupture", "droit_commun"):
            E = _plus(D, rng.randint(30, limite))
            tirage = TIRAGE_RUPTURE if issue == "rupture" else TIRAGE_DROIT_COMMUN
            motif = motif or tirage(rng)
        elif not loge:
            self._recherche_en_cours(fo, lot, D)
        if fo.entree and not fo.destination:
            self._acces_logement(fo, lot, D, type_code)
        mesure = self._mesure(
            fo,
            type_code,
            P,
            D,
            E,
            motif,
            orientation,
            suspendue=f.get("suspendue", False),
            logement_obtenu=True,
        )
        consentement.recueilli_par_id = mesure.referent_id
        if motif == "non_adhesion":
            self._consentement(fo, E, mesure.referent_id, Consentement.Adhesion.RETIREE)
        if E is None:
            return True
        if issue in ("acces", "maintien") and not loge and rng.random() < 0.4 and _plus(T, -20) > E:
            return self._mesure_de_maintien(fo, E, type_code)
        return False

    def _issue(self, fo, f, loge, expulsion, limite, ouvrable) -> str:
        """Comment finit la première mesure, dans les limites du plafond et du temps écoulé."""
        rng = fo.rng
        if f.get("issue"):
            issue = f["issue"]
        elif f.get("motif"):
            issue = MOTIF_VERS_ISSUE.get(f["motif"], "rupture")
        else:
            issue = (TIRAGE_ISSUE_LOGE if loge else TIRAGE_ISSUE)(rng)
        if loge and issue == "acces":
            issue = "maintien"
        if expulsion and issue == "maintien":
            issue = "droit_commun"
        minimum = {"acces": 100, "maintien": 60 if loge else 170, "rupture": 30, "droit_commun": 30}
        if issue == "ouvert" and not ouvrable:
            issue = "droit_commun"
        if issue != "ouvert" and limite < minimum[issue]:
            issue = "ouvert" if ouvrable else "droit_commun"
        return issue

    def _mesure_de_maintien(self, fo: Foyer, fin_precedente, type_precedent) -> bool:
        """Après l'entrée dans les lieux, un accompagnement à l'installation et au maintien."""
        rng, T = fo.rng, self.aujourdhui
        type_code = rng.choice([t for t in ("asll", "avdl", "masp") if t != type_precedent])
        P = min(T, _plus(fin_precedente, rng.randint(0, 20)))
        if (T - P).days < 30 and rng.random() < 0.3:
            self._mesure(fo, type_code, P, None, None, None, None)
            return True
        D = min(T, _plus(P, rng.randint(0, 15)))
        plafond = D + relativedelta(months=self.types[type_code].duree_max_mois or 60)
        limite = min((plafond - D).days, (T - D).days)
        ouvrable = (T - D).days < (plafond - D).days
        if (ouvrable and rng.random() < 0.6) or limite < 30:
            self._mesure(fo, type_code, P, D, None, None, None)
            return True
        motif = rng.choice(
            ("maintien", "maintien", "objectifs_atteints", "relais_droit_commun", "perte_contact")
        )
        self._mesure(fo, type_code, P, D, _plus(D, rng.randint(30, limite)), motif, None)
        return False

    def _mesure(
        self, fo, type_code, P, D, E, motif, orientation, suspendue=False, logement_obtenu=False
    ) -> Ligne:
        rng, T = fo.rng, self.aujourdhui
        type_ = self.types[type_code]
        cle = rng.choice(structures_de_mesure(type_code, fo.e))
        structure_id = self.structures[cle].pk
        referent_id = rng.choice(self.referents[cle]).pk
        convention = self.conventions.get((cle, type_code, (D or P).year))
        mesure = self._ajouter(
            Mesure,
            menage_id=fo.menage.id,
            type_id=type_.pk,
            territoire_id=self.epcis[fo.e].pk,
            structure_id=structure_id,
            referent_id=referent_id,
            convention_id=convention.pk if convention else None,
            orientation_id=orientation.id if orientation else None,
            date_proposition=P,
            date_debut=D,
            statut=Mesure.Statut.PROPOSEE,
        )
        if D is None:
            return mesure
        mesure.statut = Mesure.Statut.SUSPENDUE if suspendue else Mesure.Statut.EN_COURS
        if E:
            mesure.statut = Mesure.Statut.TERMINEE
            mesure.date_fin, mesure.motif_fin_id = E, self.motifs[motif].pk
        elif not fo.forcage and rng.random() < 0.06:
            mesure.statut = Mesure.Statut.SUSPENDUE
        if logement_obtenu and fo.entree and D <= fo.entree <= (E or T):
            mesure.destination = fo.destination
            mesure.logement_id = fo.logement.id if fo.logement else None
            mesure.date_entree_logement = fo.entree
        fin = E or T
        mesure.date_fin_prevue = self._renouvellements(fo, mesure, type_, D, fin, referent_id)
        positive = bool(E) and self.motifs[motif].categorie == MotifFin.Categorie.SORTIE_POSITIVE
        self._projet(fo, mesure, D, fin, referent_id, terminee=bool(E), positive=positive)
        self._rencontres(fo, mesure, D, fin, referent_id, structure_id)
        return mesure

    def _renouvellements(self, fo, mesure, type_, D, horizon, referent_id) -> dt.date:
        """Renouvelle tant que la fin prévue précède la fin réelle (ou aujourd'hui), sous plafond."""
        rng = fo.rng
        plafond = D + relativedelta(months=type_.duree_max_mois) if type_.duree_max_mois else None
        n = 1
        fin = D + relativedelta(months=type_.duree_defaut_mois)
        while fin < horizon:
            n += 1
            nouvelle = D + relativedelta(months=type_.duree_defaut_mois * n)
            if plafond and nouvelle > plafond:
                nouvelle = plafond
            if nouvelle <= fin:
                break
            self._ajouter(
                Renouvellement,
                mesure_id=mesure.id,
                date_decision=max(D, _plus(fin, -rng.randint(0, 20))),
                ancienne_fin_prevue=fin,
                nouvelle_fin_prevue=nouvelle,
                motif=rng.choice(TITRES["renouvellement"]),
                decide_par_id=referent_id,
            )
            fin = nouvelle
        return fin

    def _projet(self, fo, mesure, D, fin, referent_id, *, terminee, positive) -> None:
        rng = fo.rng
        duree = (fin - D).days
        if duree < 14:
            return
        elaboration = _plus(D, rng.randint(5, min(45, duree)))
        signature = None
        if rng.random() < 0.85:
            signature = min(fin, _plus(elaboration, rng.randint(0, 14)))
        projet = self._ajouter(
            ProjetAccompagnement,
            mesure_id=mesure.id,
            date_elaboration=elaboration,
            date_signature=signature,
            diagnostic=rng.choice(TITRES["diagnostic"]),
        )
        domaines = [d for d in DOMAINES if d != "parentalite" or fo.enfants]
        if terminee:
            statuts = STATUTS_OBJECTIF_FIN_POSITIVE if positive else STATUTS_OBJECTIF_RUPTURE
        else:
            statuts = STATUTS_OBJECTIF_EN_COURS
        for domaine in rng.sample(domaines, rng.randint(2, 4)):
            statut = statuts(rng)
            atteint = statut == ObjectifProjet.Statut.ATTEINT
            objectif = self._ajouter(
                ObjectifProjet,
                projet_id=projet.id,
                domaine_id=self.domaines[domaine].pk,
                intitule=rng.choice(OBJECTIFS[domaine]),
                statut=statut,
                echeance=_plus(elaboration, rng.randint(60, 300)),
                date_atteinte=_entre(rng, elaboration, fin) if atteint else None,
            )
            for _ in range(rng.randint(1, 2)):
                realisee = rng.random() < (0.8 if atteint else 0.3)
                self._ajouter(
                    ActionProjet,
                    objectif_id=objectif.id,
                    intitule=rng.choice(ACTIONS[domaine]),
                    porteur=rng.choice(PORTEURS),
                    echeance=_plus(elaboration, rng.randint(15, 200)),
                    realisee_le=_entre(rng, elaboration, fin) if realisee else None,
                )
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            if (fin - elaboration).days > 30:
                self._ajouter(
                    RevisionProjet,
                    projet_id=projet.id,
                    date=_entre(rng, _plus(elaboration, 30), fin),
                    auteur_id=referent_id,
                    resume=rng.choice(TITRES["revision"]),
                )

    def _rencontres(self, fo, mesure, D, fin, referent_id, structure_id) -> None:
        rng = fo.rng
        jours = (fin - D).days
        nombre = max(1, min(12, round(jours / 60 * rng.uniform(0.6, 1.4))))
        dates = sorted(_entre(rng, D, fin) for _ in range(nombre))
        for date in dates:
            type_ = TIRAGE_RENCONTRE(rng)
            mini, maxi = DUREES_RENCONTRE[type_]
            self._ajouter(
                Rencontre,
                menage_id=fo.menage.id,
                mesure_id=mesure.id,
                date=date,
                type=type_,
                duree_minutes=rng.randint(mini, maxi),
                note=NOTES[type_],
                auteur_id=referent_id,
                structure_id=structure_id,
            )
        if fo.dernier_contact is None or dates[-1] > fo.dernier_contact:
            fo.dernier_contact = dates[-1]

    # --- Logement, propositions, CALEOL ---------------------------------------------------------

    def _acces_logement(self, fo: Foyer, lot: Lot, D, type_code) -> None:
        """Le logement où le ménage entre à la date `fo.entree`, et comment il l'a obtenu."""
        rng = fo.rng
        tirage = TIRAGE_DESTINATION_AML if type_code == "aml" else TIRAGE_DESTINATION
        destination = fo.forcage.get("destination") or tirage(rng)
        if fo.forcage.get("etape") == "entree":
            destination = Mesure.Destination.LOGEMENT_SOCIAL
        fo.destination = destination
        fo.destination_situation = DESTINATION_SITUATION[destination]
        entree = fo.entree
        if destination == Mesure.Destination.LOGEMENT_SOCIAL:
            dates = self._chaine(rng, 4, entree)
            if rng.random() < 0.3 and (dates[0] - D).days > 60:
                echec = self._chaine(rng, 0, _entre(rng, D, _plus(dates[0], -60)))
                self._proposition(fo, lot, echec, TIRAGE_ECHEC_CHAINE(rng))
            self._proposition(fo, lot, dates, "attribution")
        elif destination == Mesure.Destination.PARC_PRIVE:
            captation = (
                Logement.Captation.IML_MANDAT if rng.random() < 0.7 else Logement.Captation.SOLIBAIL
            )
            fo.logement = self._logement(
                rng, fo.e, fo.taille, False, captation, _plus(entree, -rng.randint(10, 60))
            )
        elif destination == Mesure.Destination.IML_BAIL_GLISSANT:
            fo.logement = self._logement(
                rng,
                fo.e,
                fo.taille,
                rng.random() < 0.5,
                Logement.Captation.SOUS_LOCATION,
                _plus(entree, -rng.randint(10, 60)),
            )
        if fo.entree and fo.entree <= self.aujourdhui:
            self._aides_installation(fo)

    def _recherche_en_cours(self, fo: Foyer, lot: Lot, D) -> None:
        """Mesure ouverte : le ménage est relogé pendant la mesure, ou sa recherche est en cours."""
        rng, T, etape = fo.rng, self.aujourdhui, fo.forcage.get("etape")
        if etape == "entree" or (not etape and (T - D).days >= 100 and rng.random() < 0.25):
            fo.entree = (
                _plus(T, -rng.randint(5, 60)) if etape else _plus(D, rng.randint(100, (T - D).days))
            )
            return
        if etape in ("proposee", "caleol", "acceptation", "bail"):
            indice = ("proposee", "caleol", "acceptation", "bail").index(etape)
            dates, issue = self._chaine(rng, indice), "attribution"
        elif etape:
            dates, issue = self._chaine(rng, 0, _plus(T, -rng.randint(60, 90))), etape
        elif (T - D).days > 15 and rng.random() < 0.65:
            dates, issue = (
                self._chaine(rng, 0, _entre(rng, _plus(D, 15), T)),
                TIRAGE_ISSUE_CHAINE(rng),
            )
        else:
            return
        self._proposition(fo, lot, dates, issue)
        if issue == "attribution" and dates[4] <= T:
            # La commission, la réponse, le bail et l'entrée ont tous eu lieu : le ménage est logé.
            fo.entree = dates[4]
            fo.destination = Mesure.Destination.LOGEMENT_SOCIAL
            fo.destination_situation = "logement_social"
            self._aides_installation(fo)

    def _chaine(self, rng, indice: int, ancre: dt.date | None = None) -> list[dt.date]:
        """Dates proposition → CALEOL → réponse → bail → entrée, calées sur l'étape `indice`.

        Sans ancre, l'étape `indice` tombe dans les derniers jours, la suivante après aujourd'hui.
        """
        ecarts = [rng.randint(7, 30), rng.randint(2, 10), rng.randint(3, 20), rng.randint(1, 15)]
        if ancre is None:
            ancre = _plus(self.aujourdhui, -rng.randint(0, ecarts[indice] - 1))
        dates = [ancre] * 5
        for j in range(indice + 1, 5):
            dates[j] = _plus(dates[j - 1], ecarts[j - 1])
        for j in range(indice - 1, -1, -1):
            dates[j] = _plus(dates[j + 1], -ecarts[j])
        return dates

    def _proposition(self, fo: Foyer, lot: Lot, dates, issue) -> Ligne:
        """Proposition d'un logement social au ménage ; seules les étapes passées sont datées."""
        rng, T = fo.rng, self.aujourdhui
        proposition_le, caleol, reponse, bail, entree = (d if d <= T else None for d in dates)
        prefectoral = fo.menage.dalo == Menage.Dalo.PRIORITAIRE or fo.menage.syplo
        contingent = "prefectoral" if prefectoral and rng.random() < 0.6 else None
        logement = self._logement(
            rng,
            fo.e,
            fo.taille,
            True,
            Logement.Captation.PARC_SOCIAL,
            _plus(dates[0], -rng.randint(0, 45)),
            contingent,
        )
        p = self._ajouter(
            Proposition,
            menage_id=fo.menage.id,
            logement_id=logement.id,
            contingent_id=logement.contingent_id,
            date_proposition=proposition_le,
        )
        if not caleol:
            return p
        p.date_caleol = caleol
        if issue in ("non_attribution", "irrecevable"):
            p.decision_id = self.decisions[issue].pk
            p.motif_decision = rng.choice(TITRES[issue])
            return p
        rang = "rang_1" if issue == "refus" else TIRAGE_RANG(rng)
        p.decision_id = self.decisions[rang].pk
        if rang == "sous_condition":
            p.motif_decision = rng.choice(TITRES["condition"])
        designation = contingent == "prefectoral" and fo.menage.dalo == Menage.Dalo.PRIORITAIRE
        autres = rang in ("rang_2", "rang_3") or rng.random() < 0.25
        if issue == "attribution" and not designation and autres:
            # Hors désignation DALO, la CALEOL examine trois candidats ; ceux qui sont suivis par
            # la plateforme sont ajoutés une fois le lot planifié, parmi les ménages en recherche
            # à cette date (toujours quand le rang 1 a refusé, pour l'expliquer).
            lot.commissions.append((p, dates, rang, fo.e))
        if not reponse:
            return p
        p.date_reponse = reponse
        if issue == "refus":
            p.reponse = Proposition.Reponse.REFUS
            p.motif_refus = rng.choice(TITRES["refus_menage"])
            return p
        p.reponse = Proposition.Reponse.ACCEPTATION
        p.date_signature_bail = bail
        p.date_entree = entree
        if entree:
            fo.logement = logement
        return p

    def _autres_candidats(self, lot: Lot, rng: random.Random) -> None:
        """Deuxième et troisième candidats des commissions, pris parmi les ménages du lot."""
        for p, dates, rang, e in lot.commissions:
            chercheurs = lot.chercheurs[e]
            retenus = []
            for _ in range(8 if chercheurs else 0):
                menage_id, debut, fin = rng.choice(chercheurs)
                if (
                    menage_id != p.menage_id
                    and debut <= dates[0] <= fin
                    and menage_id not in retenus
                ):
                    retenus.append(menage_id)
                if len(retenus) == 2:
                    break
            rangs = {"rang_2": ["rang_1", "rang_3"], "rang_3": ["rang_1", "rang_2"]}.get(
                rang, ["rang_2", "rang_3"]
            )
            for menage_id, autre_rang in zip(retenus, rangs, strict=False):
                autre = self._ajouter(
                    Proposition,
                    menage_id=menage_id,
                    logement_id=p.logement_id,
                    contingent_id=p.contingent_id,
                    date_proposition=p.date_proposition,
                    date_caleol=p.date_caleol,
                    decision_id=self.decisions[autre_rang].pk,
                )
                mieux_classe = DECISIONS.index(autre_rang) < DECISIONS.index(rang)
                if mieux_classe and rang.startswith("rang_"):
                    # Un candidat mieux classé a refusé : c'est ce qui fait passer le rang suivant.
                    limite = min(self.aujourdhui, _plus(dates[2], -1))
                    autre.reponse = Proposition.Reponse.REFUS
                    autre.date_reponse = _entre(rng, p.date_caleol, limite)
                    autre.motif_refus = rng.choice(TITRES["refus_menage"])
                elif p.date_signature_bail:
                    # Comme attributions.services.signer_bail : le bail signé clôt les autres.
                    autre.date_classement = p.date_signature_bail
                    autre.motif_classement = Proposition.MOTIF_ATTRIBUE_A_UN_AUTRE

    def _logement(self, rng, e, taille, social, captation, disponible, contingent=None) -> Ligne:
        self.nb_logements += 1
        typologie = {1: "T1", 2: "T2", 3: "T3", 4: "T3", 5: "T4", 6: "T5"}.get(taille, "T6")
        if taille == 1 and rng.random() < 0.4:
            typologie = "T2"
        commune, code_postal = rng.choice(self.communes[e])
        mini, maxi = SURFACES[typologie]
        surface = rng.randint(mini * 10, maxi * 10)
        prix_m2 = rng.randint(550, 750) if social else rng.randint(950, 1300)  # centimes par m²
        bailleur = self.structures[rng.choice(BAILLEURS_PAR_EPCI[e])] if social else None
        if social:
            contingent = contingent or TIRAGE_CONTINGENT(rng)
        return self._ajouter(
            Logement,
            reference=f"LOG-DEMO-{self.nb_logements:07d}",
            adresse=f"{rng.randint(1, 180)} {rng.choice(VOIES)}",
            code_postal=code_postal,
            commune=commune,
            territoire_id=self.epcis[e].pk,
            typologie=typologie,
            surface=Decimal(surface).scaleb(-1),
            loyer=_euros(surface * prix_m2 // 10),
            charges=_euros(surface * rng.randint(100, 220) // 10),
            type_bailleur=Logement.TypeBailleur.SOCIAL if social else Logement.TypeBailleur.PRIVE,
            bailleur_id=bailleur.pk if bailleur else None,
            qpv=social and commune in COMMUNES_AVEC_QPV and rng.random() < 0.55,
            contingent_id=self.contingents[contingent].pk if social else None,
            captation=captation,
            date_disponibilite=disponible,
        )

    def _logement_disponible(self, rng: random.Random) -> None:
        """Logement capté sans proposition : en stock, ou retiré du dispositif."""
        T = self.aujourdhui
        social = rng.random() < 0.6
        captation = (
            Logement.Captation.PARC_SOCIAL
            if social
            else rng.choice(
                (
                    Logement.Captation.IML_MANDAT,
                    Logement.Captation.SOLIBAIL,
                    Logement.Captation.SOUS_LOCATION,
                )
            )
        )
        logement = self._logement(
            rng,
            self.tirage_epci(rng),
            rng.randint(1, 5),
            social,
            captation,
            _entre(rng, _plus(T, -300), _plus(T, 30)),
        )
        if rng.random() < 0.25 and logement.date_disponibilite < T:
            logement.date_retrait = _entre(rng, logement.date_disponibilite, T)

    # --- Aides financières et prévention des expulsions -----------------------------------------

    def _aides_installation(self, fo: Foyer) -> None:
        rng, T = fo.rng, self.aujourdhui
        entree = fo.entree
        loyer = int(fo.logement.loyer * 100) if fo.logement else _montant(rng, 380, 620)
        if rng.random() < 0.6:
            natures = rng.sample(
                [
                    AideFinanciere.Nature.DEPOT_GARANTIE,
                    AideFinanciere.Nature.PREMIER_LOYER,
                    AideFinanciere.Nature.ASSURANCE,
                    AideFinanciere.Nature.MOBILIER,
                ],
                rng.randint(1, 3),
            )
            montants = {
                AideFinanciere.Nature.DEPOT_GARANTIE: loyer,
                AideFinanciere.Nature.PREMIER_LOYER: loyer,
                AideFinanciere.Nature.ASSURANCE: _montant(rng, 120, 260),
                AideFinanciere.Nature.MOBILIER: _montant(rng, 300, 1200),
            }
            for nature in natures:
                self._aide(fo, nature, _plus(entree, -rng.randint(0, 20)), montants[nature])
        age = (T - fo.demandeur.date_naissance).days // 365
        if age >= 60 and rng.random() < 0.1 and (T - entree).days > 90:
            demande = _entre(rng, _plus(entree, 60), T)
            self._aide(fo, AideFinanciere.Nature.ADAPTATION, demande, _montant(rng, 1500, 8000))
        if fo.destination_situation == "logement_prive" and rng.random() < 0.03 and entree < T:
            demande = _entre(rng, entree, T)
            self._aide(
                fo, AideFinanciere.Nature.REHABILITATION, demande, _montant(rng, 3000, 15000)
            )
        if rng.random() < 0.05 and entree < T:
            nature = rng.choice((AideFinanciere.Nature.ENERGIE, AideFinanciere.Nature.EAU))
            self._aide(fo, nature, _entre(rng, entree, T), _montant(rng, 80, 600))

    def _aide(self, fo, nature, demande, montant) -> None:
        rng, T = fo.rng, self.aujourdhui
        demande = min(max(demande, self.debut), T)
        enveloppe = self.enveloppes.get((NATURES_ENVELOPPE[nature], demande.year))
        aide = self._ajouter(
            AideFinanciere,
            menage_id=fo.menage.id,
            enveloppe_id=enveloppe[0].pk if enveloppe else None,
            nature=nature,
            montant=_euros(montant),
            forme=AideFinanciere.Forme.PRET
            if nature in (AideFinanciere.Nature.DEPOT_GARANTIE, AideFinanciere.Nature.IMPAYES_LOYER)
            and rng.random() < 0.4
            else AideFinanciere.Forme.SUBVENTION,
            date_demande=demande,
        )
        decision = _plus(demande, rng.randint(5, 40))
        if decision <= T:
            aide.date_decision = decision
            if rng.random() < 0.85:
                aide.decision = AideFinanciere.Decision.ACCORDEE
                if enveloppe:
                    enveloppe[1] += montant
            else:
                aide.decision = AideFinanciere.Decision.REFUSEE

    def _procedure(self, fo, signalement, issue, loge_avant=False):
        """Procédure d'expulsion dans l'ordre légal.

        Renvoie les dates de signalement (avancée si besoin pour qu'une expulsion imposée ait eu
        lieu), d'expulsion et de relogement.
        """
        rng, T = fo.rng, self.aujourdhui
        issue = issue or TIRAGE_ISSUE_PROCEDURE(rng)
        if not loge_avant and issue in ("expulsion", "relogement"):
            issue = "plan_apurement"
        ecarts = [
            rng.randint(30, 90),
            rng.randint(60, 120),
            rng.randint(45, 150),
            rng.randint(15, 60),
            rng.randint(60, 120),
            rng.randint(30, 150),
        ]

        def calendrier(depart):
            dates = [depart]
            for ecart in ecarts:
                dates.append(_plus(dates[-1], ecart))
            dates[6] = _hors_treve(dates[6], rng)
            return dates

        dates = calendrier(signalement)
        if issue == "expulsion" and fo.forcage.get("procedure") == "expulsion":
            while dates[6] > _plus(T, -30):
                signalement = _plus(signalement, -60)
                dates = calendrier(signalement)
        passees = sum(1 for d in dates if d <= T)
        if issue == "expulsion" and passees < 7:
            issue = "en_cours"
        if issue == "expulsion":
            nombre, cloture = 7, dates[6]
        else:
            nombre = rng.randint(1, min(6 if issue == "en_cours" else 5, passees))
            cloture = None
            if issue != "en_cours":
                cloture = _plus(dates[nombre - 1], rng.randint(10, 90))
                if cloture > T:
                    issue, cloture = "en_cours", None
        procedure = self._ajouter(
            ProcedureExpulsion,
            menage_id=fo.menage.id,
            date_signalement=signalement,
            bailleur=rng.choice(BAILLEURS_PRIVES + (self.structures["valmont_habitat"].nom,)),
            montant_dette=_euros(_montant(rng, 600, 9000)),
            issue=issue,
            date_cloture=cloture,
        )
        for etape, date in zip(EtapeProcedure.Etape.values[:nombre], dates, strict=False):
            self._ajouter(EtapeProcedure, procedure_id=procedure.id, etape=etape, date=date)
        borne = cloture or T
        actions = [(ActionPrevention.Type.DIAGNOSTIC, _plus(signalement, rng.randint(0, 30)))]
        if nombre >= 2:
            actions.append(
                (ActionPrevention.Type.SAISINE_CCAPEX, _plus(dates[1], rng.randint(0, 30)))
            )
        if nombre >= 4:
            actions.append(
                (ActionPrevention.Type.VISITE_EXPLICATIVE, _plus(dates[3], rng.randint(3, 30)))
            )
        if issue == "plan_apurement":
            actions.append((ActionPrevention.Type.PLAN_APUREMENT, _entre(rng, signalement, borne)))
        if issue in ("maintien", "plan_apurement") and rng.random() < 0.5:
            date = _entre(rng, signalement, borne)
            actions.append((ActionPrevention.Type.AIDE_FSL, date))
            self._aide(fo, AideFinanciere.Nature.IMPAYES_LOYER, date, _montant(rng, 300, 4000))
        for type_, date in actions:
            if date <= borne:
                self._ajouter(ActionPrevention, procedure_id=procedure.id, type=type_, date=date)
        expulsion = dates[6] if issue == "expulsion" else None
        relogement = cloture if issue == "relogement" else None
        return signalement, expulsion, relogement
