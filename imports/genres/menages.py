"""Genre « ménages avec leurs membres » : une ligne par personne, les colonnes du ménage
répétées sur chaque ligne (le format de l'export de la liste des ménages).

Regroupement : les lignes qui partagent une Référence, un NUR ou un identifiant SI-SIAO
décrivent le même ménage. Une Référence d'un ménage du périmètre le met à jour ; une autre
Référence n'est qu'une clé de regroupement pour un nouveau ménage.

Une cellule vide ne change rien à l'existant : l'import n'efface jamais par omission.
Droits, comme dans l'interface : coordinateurs, agents départementaux (et administrateurs)
créent des ménages et ajoutent des membres, dans les EPCI de leur ressort ; un référent met
à jour les ménages qu'il suit, sans changer leur EPCI hors de son ressort.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from imports import valeurs
from logement.models import Role
from logement.text import normaliser
from menages import services
from menages.exports import COLONNES_MENAGES, ressources_en_cours, texte_ressources
from menages.models import (
    Menage,
    Personne,
    PublicPrioritaire,
    Ressource,
    SituationResidentielle,
    TypeRessource,
    TypeSituation,
)

from .base import Action, Compteurs, Erreur, Genre, LigneAnalysee
from .commun import (
    Champ,
    Epci,
    LigneLue,
    affichage,
    decisions_normalisees,
    donnees,
    erreurs_du_modele,
    lire_lignes,
    par_lots,
    refuser,
    relire,
    tracer_creations,
)

ENTETES = {c.cle: c.entete for c in COLONNES_MENAGES}
# Colonnes calculées de l'export : reconnues (mêmes en-têtes) et ignorées par l'import.
COLONNES_INFORMATIVES = tuple(c.entete for c in COLONNES_MENAGES if not c.importee)

CHAMPS_MENAGE = (
    "reference",
    "epci",
    "statut",
    "adresse",
    "commune",
    "telephone",
    "nur",
    "nur_date_depot",
    "nur_date_renouvellement",
    "siao_id",
    "dalo",
    "dalo_date_decision",
    "syplo",
    "publics",
    "ressources",
)
# Colonne → champ du modèle Menage (les autres colonnes du ménage ont leur traitement).
MODELE_MENAGE = {
    "epci": "territoire_id",
    "statut": "statut",
    "adresse": "adresse",
    "commune": "commune",
    "telephone": "telephone",
    "nur": "nur",
    "nur_date_depot": "nur_date_depot",
    "nur_date_renouvellement": "nur_date_renouvellement",
    "siao_id": "siao_id",
    "dalo": "dalo",
    "dalo_date_decision": "dalo_date_decision",
    "syplo": "syplo",
}
MODELE_PERSONNE = {
    "role": "role",
    "nom": "nom",
    "prenom": "prenom",
    "date_naissance": "date_naissance",
    "sexe": "sexe",
    "nationalite": "nationalite",
    "titre_sejour_fin": "titre_sejour_fin",
}
ENTETES_MENAGE = {champ: ENTETES[cle] for cle, champ in MODELE_MENAGE.items()}
ENTETES_MENAGE["territoire"] = ENTETES["epci"]
ENTETES_PERSONNE = {champ: ENTETES[cle] for cle, champ in MODELE_PERSONNE.items()}

ALIAS_ROLES = {
    Personne.Role.DEMANDEUR: ["demandeur", "chef de ménage", "chef de famille", "titulaire"],
    Personne.Role.CONJOINT: ["conjoint", "conjointe", "époux", "épouse", "concubin", "concubine"],
    Personne.Role.ENFANT: ["fils", "fille"],
    Personne.Role.AUTRE: ["autre"],
}
ALIAS_SEXES = {
    Personne.Sexe.FEMME: ["féminin", "madame", "mme"],
    Personne.Sexe.HOMME: ["masculin", "monsieur", "h"],
    Personne.Sexe.AUTRE: ["autre", "non précisé", "non renseigné"],
}
ALIAS_NATIONALITES = {
    Personne.Nationalite.FRANCAISE: ["france", "français", "fr"],
    Personne.Nationalite.UE: ["ue", "union européenne", "européenne"],
    Personne.Nationalite.HORS_UE: ["hors ue", "extra européenne", "étrangère hors ue"],
    Personne.Nationalite.NON_RENSEIGNEE: ["inconnue", "non renseigné"],
}


# --- Lecture des valeurs ------------------------------------------------------------------------


def _texte(longueur):
    return lambda texte, ctx: valeurs.texte(texte, longueur)


def _date(texte, ctx):
    return valeurs.date(texte)


def _choix(nom):
    return lambda texte, ctx: getattr(ctx, nom).lire(texte)


def _nur(texte, ctx):
    # Le SNE l'écrit parfois par groupes : « 062 23 12345 ».
    return valeurs.texte(texte, 40).replace(" ", "").upper()


def _publics(texte, ctx):
    return sorted(valeurs.liste_de_choix(texte, ctx.publics))


def _ressources(texte, ctx) -> dict[int, Decimal]:
    """« RSA : 607,75 ; Salaire : 1 200 » → {type: montant mensuel}."""
    totaux: dict[int, Decimal] = {}
    for partie in valeurs.texte(texte).split(";"):
        if not partie.strip():
            continue
        libelle, deux_points, montant = partie.rpartition(":")
        if not deux_points or not libelle.strip() or not montant.strip():
            raise valeurs.ValeurInvalide(
                f"Ressource illisible : « {partie.strip()} » (attendu « type : montant », "
                "séparés par « ; », ex. « RSA : 607,75 ; Salaire : 1 200 »)."
            )
        type_id = ctx.types_ressource.lire(libelle)
        montant = valeurs.decimal(montant, chiffres=9)
        totaux[type_id] = totaux.get(type_id, Decimal(0)) + montant
    return totaux


def _booleen(texte, ctx):
    return valeurs.booleen(texte)


AIDE_REFERENCE = (
    "Référence d'un ménage de votre périmètre (M0000123) : il est mis à jour. Sinon, toute "
    "valeur sert à regrouper les lignes d'un même nouveau ménage (à défaut : NUR, puis "
    "identifiant SI-SIAO)."
)
_LIRE = {
    "reference": Champ("reference", ENTETES["reference"], _texte(30), aide=AIDE_REFERENCE),
    "epci": Champ("epci", ENTETES["epci"], lambda t, ctx: ctx.epci.lire(t)),
    "statut": Champ("statut", ENTETES["statut"], _choix("statuts")),
    "role": Champ(
        "role",
        ENTETES["role"],
        _choix("roles"),
        synonymes=("Lien", "Lien avec le demandeur", "Lien de parenté", "Rôle"),
    ),
    "nom": Champ(
        "nom",
        ENTETES["nom"],
        _texte(120),
        obligatoire=True,
        synonymes=("Nom de famille", "Nom d'usage"),
    ),
    "prenom": Champ("prenom", ENTETES["prenom"], _texte(120), obligatoire=True),
    "date_naissance": Champ(
        "date_naissance",
        ENTETES["date_naissance"],
        _date,
        "date",
        synonymes=("Né le", "Née le", "Date naissance"),
    ),
    "sexe": Champ("sexe", ENTETES["sexe"], _choix("sexes"), synonymes=("Genre", "Civilité")),
    "nationalite": Champ("nationalite", ENTETES["nationalite"], _choix("nationalites")),
    "titre_sejour_fin": Champ(
        "titre_sejour_fin",
        ENTETES["titre_sejour_fin"],
        _date,
        "date",
        synonymes=("Fin de validité du titre de séjour",),
    ),
    "situation": Champ(
        "situation",
        ENTETES["situation"],
        _choix("situations"),
        synonymes=("Situation résidentielle", "Situation"),
    ),
    "situation_depuis": Champ("situation_depuis", ENTETES["situation_depuis"], _date, "date"),
    "adresse": Champ("adresse", ENTETES["adresse"], _texte(250), synonymes=("Adresse",)),
    "commune": Champ("commune", ENTETES["commune"], _texte(120), synonymes=("Ville",)),
    "telephone": Champ("telephone", ENTETES["telephone"], _texte(20), synonymes=("Tél.", "Tel")),
    "nur": Champ(
        "nur",
        ENTETES["nur"],
        _nur,
        synonymes=("Numéro unique", "Numéro unique (NUR)", "N° unique", "Numéro SNE"),
    ),
    "nur_date_depot": Champ(
        "nur_date_depot",
        ENTETES["nur_date_depot"],
        _date,
        "date",
        synonymes=("Dépôt de la demande",),
    ),
    "nur_date_renouvellement": Champ(
        "nur_date_renouvellement",
        ENTETES["nur_date_renouvellement"],
        _date,
        "date",
        synonymes=("Échéance de renouvellement", "Date de renouvellement"),
    ),
    "siao_id": Champ(
        "siao_id",
        ENTETES["siao_id"],
        _texte(30),
        synonymes=("N° SI-SIAO", "Identifiant SIAO", "ID SIAO"),
    ),
    "dalo": Champ("dalo", ENTETES["dalo"], _choix("dalo")),
    "dalo_date_decision": Champ(
        "dalo_date_decision",
        ENTETES["dalo_date_decision"],
        _date,
        "date",
        synonymes=("Date de décision COMED",),
    ),
    "syplo": Champ("syplo", ENTETES["syplo"], _booleen, synonymes=("Labellisé SYPLO",)),
    "publics": Champ("publics", ENTETES["publics"], _publics),
    "ressources": Champ(
        "ressources", ENTETES["ressources"], _ressources, "ressources", synonymes=("Ressources",)
    ),
}
AIDES = {
    "epci": "Nom ou SIREN d'un EPCI de votre ressort. Obligatoire pour créer un ménage, sauf si "
    "votre ressort ne compte qu'un EPCI.",
    "role": "Demandeur principal, Conjoint(e), Enfant ou Autre membre : un seul demandeur par "
    "ménage. Facultatif pour un ménage d'une seule personne.",
    "date_naissance": "jj/mm/aaaa. Avec le nom et le prénom, elle sert à repérer les doublons.",
    "situation": "Situation résidentielle actuelle de la personne (Rue, Hôtel, CHRS…) ; "
    "avec la colonne « Situation depuis le ».",
    "situation_depuis": "jj/mm/aaaa : début de la situation actuelle.",
    "nur": "Numéro unique de la demande de logement social (lettres et chiffres).",
    "publics": "Séparés par « ; » (Famille monoparentale ; Jeune de moins de 25 ans…).",
    "ressources": "Montants mensuels par type, séparés par « ; » : « RSA : 607,75 ; "
    "Salaire : 1 200 ».",
    "syplo": "oui ou non.",
    "statut": "Suivi en cours ou Dossier clos.",
}
EXEMPLES = {
    "reference": "FAMILLE-1",
    "epci": "Communauté d'agglomération fictive",
    "statut": "Suivi en cours",
    "role": "Demandeur principal",
    "nom": "Martin",
    "prenom": "Léa",
    "date_naissance": "12/03/1985",
    "sexe": "Femme",
    "nationalite": "Française",
    "situation": "Hôtel (nuitées hôtelières)",
    "situation_depuis": "01/09/2024",
    "commune": "Valmont-sur-Fiction",
    "nur": "062241200001",
    "nur_date_depot": "15/01/2025",
    "nur_date_renouvellement": "15/01/2026",
    "dalo": "Pas de recours",
    "syplo": "non",
    "publics": "Famille monoparentale",
    "ressources": "RSA : 607,75",
}


def _champ(colonne) -> Champ:
    base = _LIRE[colonne.cle]
    return Champ(
        cle=base.cle,
        entete=base.entete,
        lire=base.lire,
        sorte=base.sorte,
        obligatoire=base.obligatoire,
        synonymes=base.synonymes,
        aide=AIDES.get(base.cle, base.aide),
        exemple=EXEMPLES.get(base.cle, ""),
    )


# Les colonnes de l'import sont celles de l'export, dans le même ordre.
CHAMPS = tuple(_champ(c) for c in COLONNES_MENAGES if c.importee)


# --- Contexte -----------------------------------------------------------------------------------


@dataclass
class Contexte:
    user: object
    structure: object
    aujourdhui: dt.date
    peut_creer: bool
    epci: Epci
    statuts: valeurs.Choix
    roles: valeurs.Choix
    sexes: valeurs.Choix
    nationalites: valeurs.Choix
    dalo: valeurs.Choix
    situations: valeurs.Choix
    publics: valeurs.Choix
    types_ressource: valeurs.Choix
    menages: dict[int, Menage]
    par_reference: dict[str, int]
    nur: dict[str, int]  # tous les NUR de la base → ménage (même hors périmètre)
    siao: dict[str, int]
    membres: dict[int, list[Personne]]
    personnes: dict[tuple, list[Personne]]  # (nom normalisé, date) → personnes du périmètre
    situations_en_cours: dict[int, SituationResidentielle]
    ressources: dict[int, list[Ressource]]
    publics_des_menages: dict[int, set[int]]
    libelles_publics: dict[int, str]
    libelles_ressources: dict[int, str]
    types_situation: dict[int, TypeSituation]
    types_ressource_objets: dict[int, TypeRessource]


def cle_personne(nom, prenom, date_naissance) -> tuple:
    return normaliser(f"{nom} {prenom}"), date_naissance


def nom_affiche(nom, prenom, date_naissance=None) -> str:
    nee = f" ({valeurs.date_fr(date_naissance)})" if date_naissance else ""
    return f"{prenom} {(nom or '').upper()}{nee}".strip()


# --- Planification ------------------------------------------------------------------------------


@dataclass
class NouveauMenage:
    menage: Menage
    personnes: list  # [(Personne, (type, date) | None)]
    publics: list[int]
    ressources: dict[int, Decimal]
    lignes: list[int]


@dataclass
class Plan:
    """Ce qu'un groupe de lignes ferait : résultat par ligne, erreurs, écritures prévues."""

    resultats: dict[int, tuple] = field(default_factory=dict)  # numéro → (action, libellé)
    erreurs: dict[int, list[Erreur]] = field(default_factory=lambda: defaultdict(list))
    doublons: dict[int, tuple] = field(default_factory=dict)  # numéro → (texte, id)
    # Lignes sans erreur propre, refusées avec leur ménage (dites à l'essai, pas au refus).
    liees: set[int] = field(default_factory=set)
    creation: NouveauMenage | None = None
    maj_menage: tuple | None = None  # (ménage, {champ: valeur}, publics | None, ressources)
    ajouts: list = field(default_factory=list)  # [(Personne rattachée, situation | None)]
    maj_personnes: list = field(default_factory=list)  # [(Personne, {champ: valeur})]
    situations: list = field(default_factory=list)  # [(Personne, type, date)]
    vus: dict = field(default_factory=dict)  # clé de personne → numéro de ligne

    @property
    def en_erreur(self) -> bool:
        return any(self.erreurs.values())

    def erreur(self, numero, colonne, valeur, message):
        self.erreurs[numero].append(Erreur(colonne, affichage(valeur), message))


class Planificateur:
    """Lignes lues → plans par ménage. Tout se lit dans le contexte : aucune requête."""

    def __init__(self, ctx: Contexte, decisions: dict[int, str] | None):
        self.ctx = ctx
        self.decisions = decisions  # None : essai à blanc
        self.vus: dict = {}  # personnes déjà rencontrées dans le fichier → numéro de ligne
        self.cibles: dict[int, int] = {}  # ménage existant mis à jour → première ligne

    # Regroupement

    def grouper(self, lignes: list[LigneLue]) -> list[list[LigneLue]]:
        parent = list(range(len(lignes)))

        def racine(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        premiers = {}
        for i, ligne in enumerate(lignes):
            for cle in self._cles(ligne):
                if cle in premiers:
                    a, b = racine(premiers[cle]), racine(i)
                    parent[max(a, b)] = min(a, b)
                else:
                    premiers[cle] = i
        groupes = defaultdict(list)
        for i, ligne in enumerate(lignes):
            groupes[racine(i)].append(ligne)
        return [groupes[i] for i in sorted(groupes)]

    @staticmethod
    def _cles(ligne):
        if ligne["reference"]:
            yield ("reference", ligne["reference"].upper())
        if ligne["nur"]:
            yield ("nur", ligne["nur"])
        if ligne["siao_id"]:
            yield ("siao", ligne["siao_id"])

    # Un groupe

    def planifier(self, groupe: list[LigneLue]) -> Plan:
        plan = Plan()
        if any(ligne.erreurs for ligne in groupe):
            return self._groupe_en_erreur(groupe, plan)
        existants = {
            self.ctx.par_reference.get(ligne["reference"].upper())
            for ligne in groupe
            if ligne["reference"]
        } - {None}
        if len(existants) > 1:
            references = ", ".join(sorted(self.ctx.menages[pk].reference for pk in existants))
            plan.erreur(
                groupe[0].numero,
                ENTETES["reference"],
                references,
                f"Ces lignes partagent un NUR ou un identifiant SI-SIAO mais désignent plusieurs "
                f"ménages existants ({references}).",
            )
            return self._groupe_en_erreur(groupe, plan)
        cible = self.ctx.menages[existants.pop()] if existants else None
        if cible and cible.statut == Menage.Statut.ANONYMISE:
            # Ses membres n'ont plus de nom : rien à rapprocher, rien à écrire.
            return self._ignorer(groupe, f"ménage {cible.reference} anonymisé, non modifiable")
        commun = self._fusionner(groupe, plan)
        personnes = self._personnes(groupe, plan)
        if plan.en_erreur:
            return self._groupe_en_erreur(groupe, plan)
        if cible:
            return self._mise_a_jour(cible, groupe, commun, personnes)
        return self._nouveau(groupe, commun, personnes)

    def _groupe_en_erreur(self, groupe, plan: Plan) -> Plan:
        fautives = [
            ligne.numero for ligne in groupe if ligne.erreurs or plan.erreurs.get(ligne.numero)
        ]
        for ligne in groupe:
            plan.erreurs[ligne.numero] = list(ligne.erreurs) + list(
                plan.erreurs.get(ligne.numero, [])
            )
            if not plan.erreurs[ligne.numero]:
                plan.liees.add(ligne.numero)
                autres = ", ".join(str(n) for n in fautives)
                plan.erreurs[ligne.numero].append(
                    Erreur("", "", f"Ménage non importé : voir l'erreur de la ligne {autres}.")
                )
        plan.creation, plan.maj_menage, plan.ajouts = None, None, []
        plan.maj_personnes, plan.situations = [], []
        return plan

    def _fusionner(self, groupe, plan: Plan) -> dict:
        """Les colonnes du ménage, répétées sur chaque ligne : une cellule vide ne dit rien,
        deux valeurs différentes sont une erreur."""
        commun, origine = {}, {}
        for ligne in groupe:
            for cle in CHAMPS_MENAGE:
                valeur = ligne[cle]
                if valeur is None:
                    continue
                if cle not in commun:
                    commun[cle], origine[cle] = valeur, ligne.numero
                elif _normalise(cle, commun[cle]) != _normalise(cle, valeur):
                    plan.erreur(
                        ligne.numero,
                        ENTETES[cle],
                        self._montrer(cle, valeur),
                        f"Différent de la ligne {origine[cle]} pour le même ménage "
                        f"(« {self._montrer(cle, commun[cle])} »).",
                    )
        return commun

    def _montrer(self, cle, valeur) -> str:
        if cle == "epci":
            return self.ctx.epci.nom(valeur)
        if cle in LIBELLES_DE_CHOIX:
            return LIBELLES_DE_CHOIX[cle].get(valeur, valeur)
        if cle == "publics":
            return " ; ".join(self.ctx.libelles_publics.get(pk, "") for pk in valeur)
        if cle == "ressources":
            return " ; ".join(
                f"{self.ctx.libelles_ressources.get(pk, '')} : {valeurs.montant_fr(m)}"
                for pk, m in valeur.items()
            )
        return affichage(valeur)

    def _personnes(self, groupe, plan: Plan) -> list[LigneLue]:
        """Les lignes qui décrivent une personne (nom et prénom) ; une ligne sans nom ni
        prénom ne porte que des informations du ménage."""
        personnes, cles = [], {}
        for ligne in groupe:
            nom, prenom = ligne["nom"], ligne["prenom"]
            if not nom and not prenom:
                for cle in CHAMPS_PERSONNE_SEULS:
                    if ligne[cle] is not None:
                        plan.erreur(
                            ligne.numero,
                            ENTETES["nom"],
                            "",
                            "Indiquez le nom et le prénom de la personne.",
                        )
                        break
                continue
            if not nom or not prenom:
                manque = "nom" if not nom else "prenom"
                plan.erreur(
                    ligne.numero,
                    ENTETES[manque],
                    "",
                    f"Indiquez aussi le {ENTETES[manque].lower()}.",
                )
                continue
            cle = cle_personne(nom, prenom, ligne["date_naissance"])
            if cle in cles:
                plan.erreur(
                    ligne.numero,
                    ENTETES["nom"],
                    nom,
                    f"Même personne que la ligne {cles[cle]} (nom, prénom et date de naissance).",
                )
                continue
            cles[cle] = ligne.numero
            personnes.append(ligne)
        return personnes

    # Nouveau ménage : doublons, puis décision

    def _nouveau(self, groupe, commun, personnes) -> Plan:
        ctx = self.ctx
        refus = Plan()
        premiere = groupe[0].numero
        candidats, raisons = [], []
        for cle, index, nom in (
            ("nur", ctx.nur, "NUR"),
            ("siao_id", ctx.siao, "identifiant SI-SIAO"),
        ):
            valeur = commun.get(cle)
            if not valeur or valeur not in index:
                continue
            pk = index[valeur]
            if pk not in ctx.menages:
                # Hors périmètre : rien sur ce ménage, pas même son existence ailleurs.
                refus.erreur(premiere, ENTETES[cle], valeur, f"Ce {nom} est déjà utilisé.")
            else:
                candidats.append(pk)
                raisons.append(f"même {nom}")
        if refus.en_erreur:
            return self._groupe_en_erreur(groupe, refus)
        identifiant_pris = bool(candidats)
        dans_le_fichier = None
        for ligne in sorted(personnes, key=lambda x: x["role"] != Personne.Role.DEMANDEUR):
            cle = cle_personne(ligne["nom"], ligne["prenom"], ligne["date_naissance"])
            if ligne["date_naissance"] is None:
                continue  # sans date de naissance, un homonyme n'est pas un doublon
            for existant in ctx.personnes.get(cle, ()):
                if existant.menage_id not in candidats:
                    candidats.append(existant.menage_id)
                    raisons.append(
                        f"même personne : {nom_affiche(existant.nom, existant.prenom, existant.date_naissance)}"
                    )
            if dans_le_fichier is None and cle in self.vus:
                dans_le_fichier = (self.vus[cle], ligne)
        if candidats:
            return self._doublon(
                groupe, commun, personnes, candidats[0], raisons[0], identifiant_pris
            )
        if dans_le_fichier:
            return self._doublon_du_fichier(groupe, commun, personnes, *dans_le_fichier)
        return self._creation(groupe, commun, personnes)

    def _decision(self, groupe, plan: Plan) -> str | None:
        """La décision de l'utilisateur pour un ménage en doublon : la même pour ses lignes."""
        choisies = {self.decisions.get(ligne.numero) for ligne in groupe}
        if None in choisies:
            plan.erreur(
                groupe[0].numero,
                "",
                "",
                "Doublon à trancher : choisissez créer, mettre à jour ou ignorer.",
            )
            return None
        if len(choisies) > 1:
            plan.erreur(
                groupe[0].numero,
                "",
                "",
                f"Lignes {_plage(groupe)} (même ménage) : choisissez la même décision pour toutes.",
            )
            return None
        decision = choisies.pop()
        if decision not in (Action.CREER, Action.METTRE_A_JOUR, Action.IGNORER):
            plan.erreur(groupe[0].numero, "", decision, "Décision inconnue.")
            return None
        return decision

    def _doublon(self, groupe, commun, personnes, pk, raison, identifiant_pris) -> Plan:
        ctx = self.ctx
        cible = ctx.menages[pk]
        texte = f"Ménage {cible.reference} — {self._demandeur(cible)} ({raison})"
        refus_creation = ""
        if identifiant_pris:
            refus_creation = "ce ménage porte déjà ce NUR ou cet identifiant SI-SIAO (unique)"
        elif not ctx.peut_creer:
            refus_creation = "réservée aux coordinateurs et agents départementaux"
        if self.decisions is None:
            # Essai des deux issues : l'utilisateur sait d'avance ce qui serait refusé.
            maj = self._mise_a_jour(cible, groupe, commun, personnes, essai=True)
            if not refus_creation:
                creation = self._creation(groupe, commun, personnes)
                refus_creation = _premier_message(creation)
            if maj.en_erreur and refus_creation:
                return maj
            if refus_creation:
                texte += f" ; création impossible : {refus_creation}"
            if maj.en_erreur:
                texte += f" ; mise à jour impossible : {_premier_message(maj)}"
            plan = Plan()
            for ligne in groupe:
                plan.resultats[ligne.numero] = (
                    Action.DOUBLON,
                    self._libelle_ligne(ligne, "doublon à trancher"),
                )
                plan.doublons[ligne.numero] = (texte, pk)
            self._retenir_vus(plan, personnes)
            return plan
        plan = Plan()
        decision = self._decision(groupe, plan)
        if decision is None:
            return self._groupe_en_erreur(groupe, plan)
        if decision == Action.IGNORER:
            return self._ignorer(groupe, f"doublon du ménage {cible.reference}, ignoré")
        if decision == Action.CREER:
            if refus_creation:
                plan.erreur(
                    groupe[0].numero,
                    "",
                    "",
                    f"Doublon du ménage {cible.reference} : création impossible, "
                    f"{refus_creation}. Choisissez « mettre à jour » ou « ignorer ».",
                )
                return self._groupe_en_erreur(groupe, plan)
            return self._creation(groupe, commun, personnes)
        return self._mise_a_jour(cible, groupe, commun, personnes)

    def _doublon_du_fichier(self, groupe, commun, personnes, numero, ligne) -> Plan:
        texte = (
            f"Même personne que la ligne {numero} du fichier : "
            f"{nom_affiche(ligne['nom'], ligne['prenom'], ligne['date_naissance'])}"
        )
        if self.decisions is None:
            plan = Plan()
            for autre in groupe:
                plan.resultats[autre.numero] = (
                    Action.DOUBLON,
                    self._libelle_ligne(autre, "doublon à trancher"),
                )
                plan.doublons[autre.numero] = (texte, None)
            self._retenir_vus(plan, personnes)
            return plan
        plan = Plan()
        decision = self._decision(groupe, plan)
        if decision is None:
            return self._groupe_en_erreur(groupe, plan)
        if decision == Action.IGNORER:
            return self._ignorer(groupe, f"même personne que la ligne {numero}, ignorée")
        if decision == Action.METTRE_A_JOUR:
            plan.erreur(
                groupe[0].numero,
                "",
                "",
                f"Mise à jour impossible : le ménage de la ligne {numero} n'existe pas encore. "
                "Donnez la même Référence aux lignes d'un même ménage, ou choisissez créer ou ignorer.",
            )
            return self._groupe_en_erreur(groupe, plan)
        return self._creation(groupe, commun, personnes)

    def _ignorer(self, groupe, raison) -> Plan:
        plan = Plan()
        for ligne in groupe:
            plan.resultats[ligne.numero] = (Action.IGNORER, self._libelle_ligne(ligne, raison))
        return plan

    # Création

    def _creation(self, groupe, commun, personnes) -> Plan:
        ctx = self.ctx
        plan = Plan()
        premiere = groupe[0].numero
        if not ctx.peut_creer:
            plan.erreur(
                premiere,
                ENTETES["reference"],
                commun.get("reference", ""),
                "Aucun ménage de votre périmètre ne porte cette référence, et la création d'un "
                "ménage est réservée aux coordinateurs et agents départementaux.",
            )
            return self._groupe_en_erreur(groupe, plan)
        territoire_id = commun.get("epci") or ctx.epci.unique()
        if territoire_id is None:
            plan.erreur(premiere, ENTETES["epci"], "", "Indiquez l'EPCI du nouveau ménage.")
        elif territoire_id not in ctx.epci.ressort:
            e = ctx.epci.hors_ressort(territoire_id)
            plan.erreur(premiere, e.colonne, e.valeur, e.message)
        if commun.get("statut") == Menage.Statut.ANONYMISE:
            plan.erreur(premiere, ENTETES["statut"], "Anonymisé", MESSAGE_ANONYMISE)
        if not personnes:
            plan.erreur(
                premiere, ENTETES["nom"], "", "Un nouveau ménage compte au moins une personne."
            )
        if plan.en_erreur:
            return self._groupe_en_erreur(groupe, plan)
        menage = Menage(
            territoire=ctx.epci.par_id[territoire_id],
            cree_par=ctx.user,
            **{
                MODELE_MENAGE[c]: v for c, v in commun.items() if c in MODELE_MENAGE and c != "epci"
            },
        )
        for erreur in erreurs_du_modele(menage, ENTETES_MENAGE, exclure=["reference"]):
            plan.erreurs[premiere].append(erreur)
        roles = self._roles_de_creation(personnes, plan)
        nouvelles = []
        for ligne in personnes:
            personne = self._nouvelle_personne(ligne, roles.get(ligne.numero), plan)
            situation = self._situation_initiale(ligne, plan)
            nouvelles.append((personne, situation))
        if plan.en_erreur:
            return self._groupe_en_erreur(groupe, plan)
        plan.creation = NouveauMenage(
            menage=menage,
            personnes=nouvelles,
            publics=commun.get("publics", []),
            ressources=commun.get("ressources", {}),
            lignes=[ligne.numero for ligne in groupe],
        )
        demandeur = next(p for p, _ in nouvelles if p.role == Personne.Role.DEMANDEUR)
        for ligne in groupe:
            plan.resultats[ligne.numero] = (
                Action.CREER,
                self._libelle_ligne(
                    ligne, f"nouveau ménage de {nom_affiche(demandeur.nom, demandeur.prenom)}"
                ),
            )
        self._retenir_vus(plan, personnes)
        return plan

    def _roles_de_creation(self, personnes, plan: Plan) -> dict[int, str]:
        roles = {ligne.numero: ligne["role"] for ligne in personnes}
        if len(personnes) == 1 and not roles[personnes[0].numero]:
            roles[personnes[0].numero] = Personne.Role.DEMANDEUR
        demandeurs = [n for n, r in roles.items() if r == Personne.Role.DEMANDEUR]
        for ligne in personnes:
            if not roles[ligne.numero]:
                plan.erreur(
                    ligne.numero,
                    ENTETES["role"],
                    "",
                    "Indiquez le rôle de la personne dans le ménage.",
                )
        if not demandeurs and not plan.en_erreur:
            plan.erreur(
                personnes[0].numero,
                ENTETES["role"],
                "",
                "Le ménage doit compter un demandeur principal.",
            )
        for numero in demandeurs[1:]:
            plan.erreur(
                numero,
                ENTETES["role"],
                "Demandeur principal",
                f"Le ménage a déjà un demandeur principal (ligne {demandeurs[0]}).",
            )
        return roles

    def _nouvelle_personne(self, ligne, role, plan: Plan) -> Personne:
        champs = {
            MODELE_PERSONNE[c]: ligne[c]
            for c in MODELE_PERSONNE
            if c != "role" and ligne[c] is not None
        }
        personne = Personne(role=role or Personne.Role.AUTRE, **champs)
        personne.nom_normalise = normaliser(f"{personne.nom} {personne.prenom}")
        plan.erreurs[ligne.numero].extend(
            erreurs_du_modele(personne, ENTETES_PERSONNE, exclure=["nom_normalise"])
        )
        return personne

    def _situation_initiale(self, ligne, plan: Plan):
        type_, depuis = ligne["situation"], ligne["situation_depuis"]
        if depuis and not type_:
            plan.erreur(ligne.numero, ENTETES["situation"], "", "Indiquez la situation actuelle.")
            return None
        if not type_:
            return None
        if not self._date_de_situation(ligne, plan):
            return None
        return (type_, depuis)

    def _date_de_situation(self, ligne, plan: Plan) -> bool:
        depuis = ligne["situation_depuis"]
        if depuis is None:
            plan.erreur(
                ligne.numero,
                ENTETES["situation_depuis"],
                "",
                "Indiquez depuis quand dure cette situation.",
            )
            return False
        if depuis > self.ctx.aujourdhui:
            plan.erreur(
                ligne.numero, ENTETES["situation_depuis"], depuis, "La date est dans le futur."
            )
            return False
        return True

    # Mise à jour d'un ménage existant

    def _mise_a_jour(self, cible: Menage, groupe, commun, personnes, essai=False) -> Plan:
        ctx = self.ctx
        plan = Plan()
        premiere = groupe[0].numero
        if cible.statut == Menage.Statut.ANONYMISE:
            return self._ignorer(
                groupe, f"ménage {cible.reference} anonymisé : il ne se modifie plus"
            )
        if not essai and cible.pk in self.cibles:
            plan.erreur(
                premiere,
                ENTETES["reference"],
                cible.reference,
                f"Le ménage {cible.reference} est déjà visé par la ligne {self.cibles[cible.pk]} : "
                "donnez la même Référence à toutes les lignes d'un même ménage.",
            )
            return self._groupe_en_erreur(groupe, plan)
        changements = self._changements_menage(cible, commun, plan, premiere)
        publics = commun.get("publics")
        if publics is not None and set(publics) == ctx.publics_des_menages.get(cible.pk, set()):
            publics = None
        ressources = self._plan_ressources(cible, commun.get("ressources"), plan, premiere)
        membres = ctx.membres.get(cible.pk, [])
        pris: dict[int, int] = {}  # membre → ligne qui le désigne
        roles = {m.pk: m.role for m in membres}  # rôles après l'import, nouveaux membres compris
        designes = {}  # ligne → membre (ou nouveau membre) qu'elle désigne
        changes = set()
        for ligne in personnes:
            membre = self._membre(ligne, membres, pris)
            if membre is None:
                if self._nouveau_membre(cible, ligne, plan, essai):
                    roles[-ligne.numero] = ligne["role"]  # clé négative : pas encore en base
                    designes[ligne.numero] = -ligne.numero
                continue
            pris[membre.pk] = ligne.numero
            designes[ligne.numero] = membre.pk
            champs = self._changements_personne(membre, ligne, plan)
            if "role" in champs:
                roles[membre.pk] = champs["role"]
            situation = self._nouvelle_situation(membre, ligne, plan)
            if champs:
                plan.maj_personnes.append((membre, champs))
            if situation:
                plan.situations.append((membre, *situation))
            if champs or situation:
                changes.add(ligne.numero)
        self._verifier_demandeur(cible, roles, membres, designes, plan)
        if plan.en_erreur:
            return self._groupe_en_erreur(groupe, plan)
        if not essai:
            self.cibles[cible.pk] = premiere
        if changements or publics is not None or ressources:
            plan.maj_menage = (cible, changements, publics, ressources)
            changes.add(premiere)
        for ligne in groupe:
            if ligne.numero in plan.resultats:
                continue  # nouveau membre, ou doublon à trancher
            if ligne.numero in changes:
                quoi = (
                    self._quoi(changements, publics, ressources) if ligne.numero == premiere else ""
                )
                plan.resultats[ligne.numero] = (
                    Action.METTRE_A_JOUR,
                    self._libelle_ligne(ligne, f"ménage {cible.reference} mis à jour{quoi}"),
                )
            else:
                plan.resultats[ligne.numero] = (
                    Action.IGNORER,
                    self._libelle_ligne(ligne, f"ménage {cible.reference}, déjà à jour"),
                )
        self._retenir_vus(plan, personnes)
        return plan

    def _changements_menage(self, cible, commun, plan: Plan, numero) -> dict:
        ctx = self.ctx
        changements = {}
        for cle, champ in MODELE_MENAGE.items():
            valeur = commun.get(cle)
            if valeur is None or getattr(cible, champ) == valeur:
                continue
            changements[champ] = valeur
        if "territoire_id" in changements and changements["territoire_id"] not in ctx.epci.ressort:
            e = ctx.epci.hors_ressort(changements["territoire_id"])
            plan.erreur(numero, e.colonne, e.valeur, e.message)
        if changements.get("statut") == Menage.Statut.ANONYMISE:
            plan.erreur(numero, ENTETES["statut"], "Anonymisé", MESSAGE_ANONYMISE)
        for champ, index, nom in (
            ("nur", ctx.nur, "NUR"),
            ("siao_id", ctx.siao, "identifiant SI-SIAO"),
        ):
            autre = index.get(changements.get(champ))
            if autre is None or autre == cible.pk:
                continue
            if autre in ctx.menages:
                message = f"Ce {nom} est déjà porté par le ménage {ctx.menages[autre].reference}."
            else:
                message = f"Ce {nom} est déjà utilisé."
            plan.erreur(numero, ENTETES_MENAGE[champ], changements[champ], message)
        if changements:
            copie = copy.copy(cible)
            for champ, valeur in changements.items():
                setattr(copie, champ, valeur)
            copie.territoire = ctx.epci.par_id[copie.territoire_id]  # clean() sans requête
            plan.erreurs[numero].extend(
                erreurs_du_modele(copie, ENTETES_MENAGE, exclure=["reference"])
            )
        return changements

    def _plan_ressources(self, cible, voulues, plan: Plan, numero) -> list:
        """Ressources en cours comparées type par type : montant changé (une seule ressource
        de ce type), type disparu (clos à la veille), type nouveau (ouvert ce jour)."""
        if voulues is None:
            return []
        actuelles = defaultdict(list)
        for ressource in self.ctx.ressources.get(cible.pk, []):
            actuelles[ressource.type_id].append(ressource)
        operations = []
        for type_id in sorted(set(actuelles) | set(voulues)):
            en_cours = actuelles.get(type_id, [])
            total = sum((r.montant_mensuel for r in en_cours), Decimal(0))
            voulu = voulues.get(type_id)
            if voulu is not None and en_cours and voulu == total:
                continue
            if len(en_cours) > 1:
                plan.erreur(
                    numero,
                    ENTETES["ressources"],
                    texte_ressources(en_cours),
                    f"Plusieurs ressources « {self.ctx.libelles_ressources[type_id]} » en cours : "
                    "modifiez-les depuis la fiche du ménage.",
                )
                continue
            if voulu is None:
                operations.append(("clore", en_cours[0], None))
            elif en_cours:
                operations.append(("modifier", en_cours[0], voulu))
            else:
                operations.append(("ouvrir", type_id, voulu))
        return operations

    @staticmethod
    def _membre(ligne, membres, pris) -> Personne | None:
        """Le membre désigné par la ligne : même nom, prénom et date de naissance ; sans date
        dans le fichier ou en base, le seul membre de ce nom."""
        nom = normaliser(f"{ligne['nom']} {ligne['prenom']}")
        libres = [m for m in membres if m.pk not in pris and m.nom_normalise == nom]
        exacts = [m for m in libres if m.date_naissance == ligne["date_naissance"]]
        if exacts:
            return exacts[0]
        souples = [m for m in libres if m.date_naissance is None or ligne["date_naissance"] is None]
        return souples[0] if len(souples) == 1 else None

    def _changements_personne(self, membre: Personne, ligne, plan: Plan) -> dict:
        changements = {}
        for cle, champ in MODELE_PERSONNE.items():
            valeur = ligne[cle]
            if (
                valeur is not None
                and cle not in ("nom", "prenom")
                and getattr(membre, champ) != valeur
            ):
                changements[champ] = valeur
        if changements:
            copie = copy.copy(membre)
            for champ, valeur in changements.items():
                setattr(copie, champ, valeur)
            plan.erreurs[ligne.numero].extend(
                erreurs_du_modele(copie, ENTETES_PERSONNE, exclure=["nom_normalise"])
            )
        return changements

    def _nouvelle_situation(self, membre, ligne, plan: Plan):
        type_ = ligne["situation"]
        if type_ is None:
            if ligne["situation_depuis"] is not None:
                plan.erreur(
                    ligne.numero, ENTETES["situation"], "", "Indiquez la situation actuelle."
                )
            return None
        en_cours = self.ctx.situations_en_cours.get(membre.pk)
        if en_cours and en_cours.type_id == type_:
            return None  # même situation : sa date de début ne se réécrit pas par import
        if not self._date_de_situation(ligne, plan):
            return None
        depuis = ligne["situation_depuis"]
        if en_cours and depuis <= en_cours.date_debut:
            plan.erreur(
                ligne.numero,
                ENTETES["situation_depuis"],
                depuis,
                f"La nouvelle situation doit commencer après le "
                f"{valeurs.date_fr(en_cours.date_debut)}, début de la situation en cours "
                f"(« {en_cours.type.libelle} »).",
            )
            return None
        return (type_, depuis)

    def _nouveau_membre(self, cible, ligne, plan: Plan, essai) -> bool:
        """Une personne que le ménage ne compte pas encore ; vrai si elle y sera ajoutée."""
        ctx = self.ctx
        if not ctx.peut_creer:
            plan.erreur(
                ligne.numero,
                ENTETES["nom"],
                ligne["nom"],
                f"Personne inconnue dans le ménage {cible.reference} ; l'ajout d'un membre est "
                "réservé aux coordinateurs et agents départementaux.",
            )
            return False
        if not ligne["role"]:
            plan.erreur(
                ligne.numero,
                ENTETES["role"],
                "",
                f"Nouveau membre du ménage {cible.reference} : indiquez son rôle dans le ménage.",
            )
            return False
        personne = self._nouvelle_personne(ligne, ligne["role"], plan)
        situation = self._situation_initiale(ligne, plan)
        doublon = self._doublon_de_membre(cible, ligne)
        if doublon:
            texte, pk = doublon
            if self.decisions is None or essai:
                plan.resultats[ligne.numero] = (
                    Action.DOUBLON,
                    self._libelle_ligne(ligne, f"nouveau membre du ménage {cible.reference} ?"),
                )
                plan.doublons[ligne.numero] = (f"{texte} ; choisissez créer ou ignorer", pk)
                return False
            decision = self.decisions.get(ligne.numero)
            if decision == Action.IGNORER:
                plan.resultats[ligne.numero] = (
                    Action.IGNORER,
                    self._libelle_ligne(ligne, "doublon ignoré"),
                )
                return False
            if decision != Action.CREER:
                plan.erreur(
                    ligne.numero,
                    "",
                    "",
                    f"Doublon à trancher ({texte}) : choisissez créer (l'ajouter aussi au "
                    f"ménage {cible.reference}) ou ignorer.",
                )
                return False
        personne.menage = cible
        plan.ajouts.append((personne, situation))
        plan.resultats[ligne.numero] = (
            Action.CREER,
            self._libelle_ligne(ligne, f"nouveau membre du ménage {cible.reference}"),
        )
        return True

    def _doublon_de_membre(self, cible, ligne) -> tuple | None:
        if ligne["date_naissance"] is None:
            return None
        cle = cle_personne(ligne["nom"], ligne["prenom"], ligne["date_naissance"])
        for autre in self.ctx.personnes.get(cle, ()):
            if autre.menage_id != cible.pk:
                menage = self.ctx.menages[autre.menage_id]
                qui = nom_affiche(autre.nom, autre.prenom, autre.date_naissance)
                return f"Ménage {menage.reference} — {qui} (même personne)", menage.pk
        if cle in self.vus:
            return f"Même personne que la ligne {self.vus[cle]} du fichier", None
        return None

    def _verifier_demandeur(self, cible, roles, membres, designes, plan: Plan):
        """Un seul demandeur principal par ménage, une fois l'import appliqué."""
        demandeurs = {cle for cle, role in roles.items() if role == Personne.Role.DEMANDEUR}
        if len(demandeurs) <= 1:
            return
        actuel = next(
            (m for m in membres if m.role == Personne.Role.DEMANDEUR and m.pk in demandeurs), None
        )
        for numero, cle in designes.items():
            if cle in demandeurs and (actuel is None or cle != actuel.pk):
                qui = f" ({nom_affiche(actuel.nom, actuel.prenom)})" if actuel else ""
                plan.erreur(
                    numero,
                    ENTETES["role"],
                    "Demandeur principal",
                    f"Le ménage {cible.reference} a déjà un demandeur principal{qui}.",
                )
                return

    # Présentation

    def _demandeur(self, menage) -> str:
        for membre in self.ctx.membres.get(menage.pk, []):
            if membre.role == Personne.Role.DEMANDEUR:
                return nom_affiche(membre.nom, membre.prenom, membre.date_naissance)
        return "sans demandeur principal"

    @staticmethod
    def _libelle_ligne(ligne, quoi) -> str:
        if ligne["nom"] or ligne["prenom"]:
            qui = nom_affiche(ligne["nom"], ligne["prenom"], ligne["date_naissance"])
            return f"{qui} — {quoi}"
        return f"Informations du ménage — {quoi}"

    def _quoi(self, changements, publics, ressources) -> str:
        noms = [ENTETES_MENAGE.get(champ, champ) for champ in changements]
        if publics is not None:
            noms.append(ENTETES["publics"])
        if ressources:
            noms.append(ENTETES["ressources"])
        return f" ({', '.join(noms)})" if noms else ""

    def _retenir_vus(self, plan: Plan, personnes):
        for ligne in personnes:
            if ligne["date_naissance"]:
                cle = cle_personne(ligne["nom"], ligne["prenom"], ligne["date_naissance"])
                plan.vus.setdefault(cle, ligne.numero)

    def retenir(self, plan: Plan):
        for cle, numero in plan.vus.items():
            self.vus.setdefault(cle, numero)


CHAMPS_PERSONNE_SEULS = (
    "role",
    "date_naissance",
    "sexe",
    "nationalite",
    "titre_sejour_fin",
    "situation",
    "situation_depuis",
)
LIBELLES_DE_CHOIX = {"statut": dict(Menage.Statut.choices), "dalo": dict(Menage.Dalo.choices)}
MESSAGE_ANONYMISE = (
    "Le statut « Anonymisé » ne s'importe pas : l'anonymisation suit la durée de conservation."
)


def _premier_message(plan: Plan) -> str:
    return next((e.message for liste in plan.erreurs.values() for e in liste), "")


def _normalise(cle, valeur):
    if cle == "reference" and isinstance(valeur, str):
        return valeur.upper()
    return valeur


def _plage(groupe) -> str:
    numeros = [ligne.numero for ligne in groupe]
    return f"{numeros[0]} à {numeros[-1]}" if len(numeros) > 1 else str(numeros[0])


# --- Le genre -----------------------------------------------------------------------------------


class GenreMenages(Genre):
    cle = "menages"
    libelle = "Ménages et leurs membres"
    colonnes = tuple(c.colonne() for c in CHAMPS)
    # Colonnes calculées de l'export, reconnues et ignorées : un export se ré-importe tel quel.
    colonnes_informatives = COLONNES_INFORMATIVES

    def contexte(self, user, structure):
        perimetre = user.perimetre
        if not perimetre.voit_donnees_personnelles:
            raise PermissionDenied("Votre habilitation ne donne accès qu'à des chiffres agrégés.")
        visibles = Menage.objects.visible_to(user)
        menages = {m.pk: m for m in visibles}
        personnes = list(Personne.objects.filter(menage__in=visibles))
        membres, index = defaultdict(list), defaultdict(list)
        for personne in personnes:
            membres[personne.menage_id].append(personne)
            if menages[personne.menage_id].statut != Menage.Statut.ANONYMISE:
                index[(personne.nom_normalise, personne.date_naissance)].append(personne)
        situations = {
            s.personne_id: s
            for s in SituationResidentielle.objects.filter(
                personne__menage__in=visibles, date_fin__isnull=True
            ).select_related("type")
        }
        ressources = defaultdict(list)
        for ressource in (
            Ressource.objects.filter(menage__in=visibles)
            .filter(ressources_en_cours())
            .select_related("type")
        ):
            ressources[ressource.menage_id].append(ressource)
        publics_des_menages = defaultdict(set)
        for menage_id, public_id in Menage.publics_prioritaires.through.objects.filter(
            menage__in=visibles
        ).values_list("menage_id", "publicprioritaire_id"):
            publics_des_menages[menage_id].add(public_id)
        identifiants = Menage.objects.filter(Q(nur__isnull=False) | Q(siao_id__isnull=False))
        nur, siao = {}, {}
        for pk, n, s in identifiants.values_list("pk", "nur", "siao_id"):
            if n:
                nur[n] = pk
            if s:
                siao[s] = pk
        publics = list(PublicPrioritaire.objects.all())
        types_situation = {t.pk: t for t in TypeSituation.objects.all()}
        types_ressource = list(TypeRessource.objects.all())
        return Contexte(
            user=user,
            structure=structure,
            aujourdhui=timezone.localdate(),
            peut_creer=perimetre.a_role(Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL),
            epci=Epci(user),
            statuts=valeurs.Choix.depuis_choices(
                Menage.Statut, inconnu="Statut inconnu", connus="statuts permis"
            ),
            roles=valeurs.Choix.depuis_choices(
                Personne.Role, alias=ALIAS_ROLES, inconnu="Rôle inconnu", connus="rôles permis"
            ),
            sexes=valeurs.Choix.depuis_choices(
                Personne.Sexe, alias=ALIAS_SEXES, inconnu="Sexe inconnu"
            ),
            nationalites=valeurs.Choix.depuis_choices(
                Personne.Nationalite, alias=ALIAS_NATIONALITES, inconnu="Nationalité inconnue"
            ),
            dalo=valeurs.Choix.depuis_choices(Menage.Dalo, inconnu="Statut DALO inconnu"),
            situations=valeurs.Choix.depuis_referentiel(
                types_situation.values(),
                inconnu="Situation inconnue",
                connus="situations connues",
            ),
            publics=valeurs.Choix.depuis_referentiel(
                publics, inconnu="Public prioritaire inconnu", connus="publics connus"
            ),
            types_ressource=valeurs.Choix.depuis_referentiel(
                types_ressource, inconnu="Type de ressource inconnu", connus="types connus"
            ),
            menages=menages,
            par_reference={m.reference.upper(): pk for pk, m in menages.items()},
            nur=nur,
            siao=siao,
            membres=membres,
            personnes=index,
            situations_en_cours=situations,
            ressources=ressources,
            publics_des_menages=publics_des_menages,
            libelles_publics={p.pk: p.libelle for p in publics},
            libelles_ressources={t.pk: t.libelle for t in types_ressource},
            types_situation=types_situation,
            types_ressource_objets={t.pk: t for t in types_ressource},
        )

    def _plans(self, lues, ctx, decisions):
        planificateur = Planificateur(ctx, decisions)
        plans = []
        for groupe in planificateur.grouper(lues):
            plan = planificateur.planifier(groupe)
            planificateur.retenir(plan)
            plans.append((groupe, plan))
        return plans

    def analyser(self, lignes, contexte) -> list[LigneAnalysee]:
        lues = lire_lignes(CHAMPS, lignes, contexte)
        resultats = {}
        for groupe, plan in self._plans(lues, contexte, None):
            for ligne in groupe:
                erreurs = plan.erreurs.get(ligne.numero) or []
                action, libelle = plan.resultats.get(ligne.numero, (Action.ERREUR, ""))
                doublon, doublon_id = plan.doublons.get(ligne.numero, ("", None))
                resultats[ligne.numero] = LigneAnalysee(
                    numero=ligne.numero,
                    action=Action.ERREUR if erreurs else action,
                    libelle=libelle or Planificateur._libelle_ligne(ligne, "non importée"),
                    erreurs=erreurs,
                    doublon=doublon,
                    doublon_id=doublon_id,
                    donnees=donnees(ligne, CHAMPS),
                )
        return [resultats[ligne.numero] for ligne in lues]

    def appliquer(self, analyse, decisions, contexte, progression=None) -> Compteurs:
        lues = relire(analyse, CHAMPS)
        plans = self._plans(lues, contexte, decisions_normalisees(decisions))
        erreurs = [
            (numero, erreur)
            for _, plan in plans
            for numero, liste in sorted(plan.erreurs.items())
            if numero not in plan.liees
            for erreur in liste
        ]
        if erreurs:
            refuser(erreurs)
        compteurs = Compteurs()
        for _, plan in plans:
            for action, _ in plan.resultats.values():
                if action == Action.CREER:
                    compteurs.crees += 1
                elif action == Action.METTRE_A_JOUR:
                    compteurs.mis_a_jour += 1
                else:
                    compteurs.ignores += 1
        Ecriture(contexte, progression).ecrire([plan for _, plan in plans])
        return compteurs


# --- Écriture -----------------------------------------------------------------------------------


class Ecriture:
    """Mises à jour une à une (les signaux du journal en gardent l'avant/après) ; créations en
    masse, tracées en lot par `tracer_creations`."""

    def __init__(self, ctx: Contexte, progression):
        self.ctx = ctx
        self.progression = progression
        self.faites = 0

    def _avancer(self, lignes: int):
        self.faites += lignes
        if self.progression:
            self.progression(self.faites)

    def ecrire(self, plans: list[Plan]):
        for plan in plans:
            if plan.maj_menage or plan.maj_personnes or plan.situations:
                self._mettre_a_jour(plan)
        self._creer(plans)
        self._avancer(0)

    def _mettre_a_jour(self, plan: Plan):
        ctx = self.ctx
        if plan.maj_menage:
            menage, changements, publics, ressources = plan.maj_menage
            if changements:
                for champ, valeur in changements.items():
                    setattr(menage, champ, valeur)
                # Une édition ouverte sur ce ménage verra qu'il a changé (menages.concurrence).
                menage.version += 1
                menage.modifie_par = ctx.user
                menage.full_clean(exclude=["reference"], validate_unique=True)
                menage.save()
            if publics is not None:
                menage.publics_prioritaires.set(publics)
            for operation, cible, montant in ressources:
                if operation == "ouvrir":
                    Ressource.objects.create(
                        menage=menage,
                        type_id=cible,
                        montant_mensuel=montant,
                        date_debut=ctx.aujourdhui,
                    )
                elif operation == "modifier":
                    cible.montant_mensuel = montant
                    cible.save()
                else:
                    veille = ctx.aujourdhui - dt.timedelta(days=1)
                    cible.date_fin = max(veille, cible.date_debut or veille)
                    cible.save()
        for personne, changements in plan.maj_personnes:
            for champ, valeur in changements.items():
                setattr(personne, champ, valeur)
            personne.full_clean()  # en base : un seul demandeur par ménage
            personne.save()
        for personne, type_, depuis in plan.situations:
            services.changer_situation([personne], type=ctx.types_situation[type_], date=depuis)
        self._avancer(len(plan.resultats))

    def _creer(self, plans: list[Plan]):
        """Créations en masse, par lots ; une trace par ménage et par personne (la situation
        de départ et les ressources sont dites dans la trace de leur personne ou ménage :
        autant d'informations, deux fois moins de lignes au journal)."""
        ctx = self.ctx
        creations = [plan.creation for plan in plans if plan.creation]
        for lot in par_lots(creations, 500):
            menages = [c.menage for c in lot]
            for menage in menages:
                menage.reference = f"tmp-{uuid.uuid4().hex[:24]}"
            Menage.objects.bulk_create(menages)
            for menage in menages:
                menage.reference = Menage.reference_pour(menage.pk)
            Menage.objects.bulk_update(menages, ["reference"])
            liens = Menage.publics_prioritaires.through
            liens.objects.bulk_create(
                [
                    liens(menage_id=c.menage.pk, publicprioritaire_id=p)
                    for c in lot
                    for p in c.publics
                ]
            )
            ressources, supplements = [], {}
            for creation in lot:
                for type_id, montant in creation.ressources.items():
                    ressources.append(
                        Ressource(
                            menage=creation.menage,
                            type=ctx.types_ressource_objets[type_id],
                            montant_mensuel=montant,
                            date_debut=ctx.aujourdhui,
                        )
                    )
                supplements[id(creation.menage)] = {
                    "publics_prioritaires": sorted(
                        ctx.libelles_publics[p] for p in creation.publics
                    ),
                    "ressources": texte_ressources(ressources[-len(creation.ressources) :])
                    if creation.ressources
                    else "",
                }
                for personne, _ in creation.personnes:
                    personne.menage = creation.menage
            Ressource.objects.bulk_create(ressources)
            tracer_creations(menages, user=ctx.user, genre="ménages", supplements=supplements)
            self._personnes([p for c in lot for p in c.personnes])
            self._avancer(sum(len(c.lignes) for c in lot))
        ajouts = [ajout for plan in plans for ajout in plan.ajouts]
        for lot in par_lots(ajouts, 1000):
            self._personnes(lot)
            self._avancer(len(lot))

    def _personnes(self, personnes):
        """Crée les personnes (déjà rattachées à leur ménage) et leur situation de départ."""
        objets = [p for p, _ in personnes]
        Personne.objects.bulk_create(objets, batch_size=1000)
        situations, supplements = [], {}
        for personne, situation in personnes:
            if situation:
                type_, depuis = situation
                situations.append(
                    SituationResidentielle(
                        personne=personne, type=self.ctx.types_situation[type_], date_debut=depuis
                    )
                )
                supplements[id(personne)] = {"situation": str(situations[-1])}
        SituationResidentielle.objects.bulk_create(situations, batch_size=1000)
        tracer_creations(objets, user=self.ctx.user, genre="ménages", supplements=supplements)


GENRE = GenreMenages()
