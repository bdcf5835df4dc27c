"""Genre « mesures d'accompagnement » : une ligne par mesure, le ménage désigné par sa
référence, son NUR ou son identifiant SI-SIAO (le format de l'export des mesures).

Une mesure existante se reconnaît à son ménage, son type et sa date de proposition ; une
mesure ouverte du même type pour le même ménage est un doublon à trancher (le modèle n'en
admet qu'une). Droits, comme dans l'interface : coordinateurs et agents départementaux
ouvrent des mesures (structures de leur ressort) ; le référent d'une structure fait vivre
les mesures qu'elle porte (démarrer, terminer, changer de référent).

Les règles sont celles du modèle (`Mesure.clean()`), appliquées sans requête ; les
changements d'état passent par les services (`demarrer_mesure`, `terminer_mesure` : un
accès au logement s'inscrit dans le parcours du ménage). Une mesure créée déjà terminée
par l'import est un historique : elle n'écrit rien dans le parcours résidentiel.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accompagnement import services
from accompagnement.exports import COLONNES_MESURES
from accompagnement.models import Convention, Mesure, MotifFin, TypeMesure
from imports import valeurs
from logement.models import Habilitation, Role, Structure
from menages.models import Menage, Personne, SituationResidentielle

from .base import Action, Compteurs, Erreur, Genre, LigneAnalysee
from .commun import (
    Champ,
    LigneLue,
    affichage,
    decisions_normalisees,
    donnees,
    erreurs_du_modele,
    lire_lignes,
    refuser,
    relire,
    tracer_creations,
)

ENTETES = {c.cle: c.entete for c in COLONNES_MESURES}
COLONNES_INFORMATIVES = tuple(c.entete for c in COLONNES_MESURES if not c.importee)
ENTETES_MODELE = {
    "type": ENTETES["type"],
    "structure": ENTETES["structure"],
    "referent": ENTETES["referent"],
    "statut": ENTETES["statut"],
    "date_proposition": ENTETES["date_proposition"],
    "date_debut": ENTETES["date_debut"],
    "date_fin_prevue": ENTETES["date_fin_prevue"],
    "date_fin": ENTETES["date_fin"],
    "motif_fin": ENTETES["motif_fin"],
    "destination": ENTETES["destination"],
    "date_entree_logement": ENTETES["date_entree_logement"],
    "convention": ENTETES["type"],
}
# Champs qu'une ligne peut changer sur une mesure existante (la structure, le type et la
# date de proposition l'identifient).
MODIFIABLES = (
    "referent_id",
    "statut",
    "date_debut",
    "date_fin_prevue",
    "date_fin",
    "motif_fin_id",
    "destination",
    "date_entree_logement",
)

ALIAS_STATUTS = {
    Mesure.Statut.PROPOSEE: ["proposée", "en attente"],
    Mesure.Statut.EN_COURS: ["en cours", "active", "démarrée"],
    Mesure.Statut.SUSPENDUE: ["suspendue"],
    Mesure.Statut.TERMINEE: ["terminée", "close", "clôturée", "fin"],
}


def _texte(longueur):
    return lambda texte, ctx: valeurs.texte(texte, longueur)


def _date(texte, ctx):
    return valeurs.date(texte)


def _nur(texte, ctx):
    return valeurs.texte(texte, 40).replace(" ", "").upper()


def _structure(texte, ctx) -> int:
    """Une structure du ressort d'abord ; sinon toute structure connue (celle d'une mesure
    existante peut être hors du ressort : le plan le vérifie selon ce qu'il en fait)."""
    trouve = ctx.structures.trouver(texte)
    if trouve is None:
        trouve = ctx.toutes_structures.trouver(texte)
    if trouve is None:
        return ctx.structures.lire(texte)  # lève « Structure inconnue », avec la liste
    return trouve


def _choix(nom):
    return lambda texte, ctx: getattr(ctx, nom).lire(texte)


_CHAMPS = {
    "menage": Champ(
        "menage",
        ENTETES["menage"],
        _texte(30),
        synonymes=("Référence", "Ménage", "N° de dossier"),
        aide="Référence d'un ménage de votre périmètre (M0000123), ou à défaut son NUR ou "
        "son identifiant SI-SIAO.",
        exemple="M0000123",
    ),
    "nur": Champ("nur", ENTETES["nur"], _nur, synonymes=("Numéro unique",)),
    "siao_id": Champ(
        "siao_id", ENTETES["siao_id"], _texte(30), synonymes=("N° SI-SIAO", "Identifiant SIAO")
    ),
    "type": Champ(
        "type",
        ENTETES["type"],
        _choix("types"),
        obligatoire=True,
        synonymes=("Mesure", "Type"),
        aide="Code (ASRL, AML, ASLL, AVDL…) ou libellé du type de mesure.",
        exemple="ASRL",
    ),
    "structure": Champ(
        "structure",
        ENTETES["structure"],
        _structure,
        synonymes=("Structure porteuse", "Opérateur", "Association"),
        aide="Nom ou SIRET d'une structure de votre ressort ; à défaut, la structure choisie "
        "pour l'import.",
        exemple="CHRS fictif",
    ),
    "referent": Champ(
        "referent",
        ENTETES["referent"],
        _texte(300),
        synonymes=("Travailleur social", "Référent social"),
        aide="Prénom et nom, ou identifiant de connexion, d'un référent de la structure.",
    ),
    "statut": Champ(
        "statut",
        ENTETES["statut"],
        _choix("statuts"),
        aide="Proposée, En cours, Suspendue ou Terminée. Vide : déduit des dates.",
        exemple="En cours",
    ),
    "date_proposition": Champ(
        "date_proposition",
        ENTETES["date_proposition"],
        _date,
        "date",
        synonymes=("Date de proposition",),
        aide="jj/mm/aaaa ; vide : la date de début.",
        exemple="02/01/2025",
    ),
    "date_debut": Champ(
        "date_debut",
        ENTETES["date_debut"],
        _date,
        "date",
        synonymes=("Date de début", "Début de la mesure"),
        exemple="15/01/2025",
    ),
    "date_fin_prevue": Champ(
        "date_fin_prevue",
        ENTETES["date_fin_prevue"],
        _date,
        "date",
        synonymes=("Date de fin prévue",),
        aide="Vide : début + durée par défaut du type de mesure.",
    ),
    "date_fin": Champ(
        "date_fin", ENTETES["date_fin"], _date, "date", synonymes=("Date de fin", "Fin")
    ),
    "motif_fin": Champ(
        "motif_fin",
        ENTETES["motif_fin"],
        _choix("motifs"),
        synonymes=("Motif de sortie",),
        aide="Pour une mesure terminée : Accès au logement, Maintien dans le logement "
        "assuré, Objectifs atteints…",
    ),
    "destination": Champ(
        "destination",
        ENTETES["destination"],
        _choix("destinations"),
        aide="Pour un accès au logement : Logement social, Parc privé, IML, bail glissant…",
    ),
    "date_entree_logement": Champ(
        "date_entree_logement",
        ENTETES["date_entree_logement"],
        _date,
        "date",
        synonymes=("Date d'entrée dans le logement",),
    ),
}
CHAMPS = tuple(_CHAMPS[c.cle] for c in COLONNES_MESURES if c.importee)


# --- Contexte -----------------------------------------------------------------------------------


@dataclass
class Contexte:
    user: object
    structure_par_defaut: int | None
    aujourdhui: dt.date
    peut_creer: bool
    structures_suivies: frozenset[int]  # structures dont l'utilisateur fait vivre les mesures
    tout: bool
    types: valeurs.Choix
    motifs: valeurs.Choix
    statuts: valeurs.Choix
    destinations: valeurs.Choix
    structures: valeurs.Choix
    toutes_structures: valeurs.Choix
    objets_types: dict[int, TypeMesure]
    objets_motifs: dict[int, MotifFin]
    objets_structures: dict[int, Structure]  # structures du ressort
    noms_structures: dict[int, str]  # toutes les structures
    referents: dict[int, valeurs.Choix]  # structure → référents habilités
    menages: dict[int, Menage]
    par_reference: dict[str, int]
    par_nur: dict[str, int]
    par_siao: dict[str, int]
    demandeurs: dict[int, str]
    mesures: dict[tuple[int, int], list[Mesure]]  # (ménage, type) → mesures
    par_menage: dict[int, list[Mesure]]
    conventions: dict[tuple[int, int, int], Convention]
    territoires: dict[int, object]
    situations: dict[int, list[tuple[str, dt.date]]]  # ménage → situations en cours


def _referents(structures) -> dict[int, valeurs.Choix]:
    """Par structure, ses référents habilités, reconnus par nom ou identifiant de connexion."""
    par_structure = defaultdict(list)
    habilitations = (
        Habilitation.objects.actives()
        .filter(role=Role.REFERENT, structure__in=structures)
        .select_related("user")
    )
    for h in habilitations:
        par_structure[h.structure_id].append(h.user)
    return {
        structure_id: valeurs.Choix(
            [
                (
                    u.pk,
                    [
                        u.username,
                        str(u),
                        f"{u.first_name} {u.last_name}",
                        f"{u.last_name} {u.first_name}",
                    ],
                )
                for u in users
            ],
            inconnu="Référent inconnu dans cette structure",
            connus="référents de la structure",
            montrer=lambda pk, noms={u.pk: str(u) for u in users}: noms[pk],
        )
        for structure_id, users in par_structure.items()
    }


# --- Planification ------------------------------------------------------------------------------


@dataclass
class Resultat:
    action: str = ""
    libelle: str = ""
    erreurs: list[Erreur] = field(default_factory=list)
    doublon: str = ""
    doublon_id: int | None = None
    creation: Mesure | None = None
    mise_a_jour: tuple | None = None  # (mesure, {champ: valeur})

    def erreur(self, colonne, valeur, message):
        self.erreurs.append(Erreur(colonne, affichage(valeur), message))


class Planificateur:
    def __init__(self, ctx: Contexte, decisions):
        self.ctx = ctx
        self.decisions = decisions
        # Mesures ouvertes prévues par les lignes précédentes : (ménage, type) → ligne.
        self.ouvertes_du_fichier: dict[int, dict[int, int]] = defaultdict(dict)
        self.cles_du_fichier: dict[tuple, int] = {}
        self.visees: dict[int, int] = {}  # mesure existante → ligne qui la met à jour

    def planifier(self, ligne: LigneLue) -> Resultat:
        r = Resultat(erreurs=list(ligne.erreurs))
        if r.erreurs:
            return r
        menage = self._menage(ligne, r)
        type_ = self.ctx.objets_types.get(ligne["type"])
        if type_ is None:
            r.erreur(ENTETES["type"], "", "Indiquez le type de mesure.")
        if r.erreurs:
            return r
        demandeur = self.ctx.demandeurs.get(menage.pk)
        r.libelle = f"{type_.code.upper()} — ménage {menage.reference}" + (
            f" ({demandeur})" if demandeur else ""
        )
        cle = (menage.pk, type_.pk, ligne["date_proposition"] or ligne["date_debut"])
        if cle in self.cles_du_fichier:
            r.erreur(
                ENTETES["date_proposition"],
                cle[2],
                f"Même mesure que la ligne {self.cles_du_fichier[cle]} (ménage, type et date "
                "de proposition).",
            )
            return r
        self.cles_du_fichier[cle] = ligne.numero
        existante, doublon = self._existante(ligne, menage, type_)
        if existante:
            return self._mise_a_jour(ligne, existante, r)
        if doublon:
            return self._doublon(ligne, doublon, menage, type_, r)
        return self._creation(ligne, menage, type_, r)

    # Ménage, structure, référent

    def _menage(self, ligne, r: Resultat) -> Menage | None:
        ctx = self.ctx
        trouves = {}
        for cle, index in (
            ("menage", ctx.par_reference),
            ("nur", ctx.par_nur),
            ("siao_id", ctx.par_siao),
        ):
            valeur = ligne[cle]
            if not valeur:
                continue
            pk = index.get(valeur.upper() if cle == "menage" else valeur)
            if pk is None:
                # Inconnu ou hors périmètre : même message, rien n'est dit de l'existant.
                r.erreur(
                    ENTETES[cle], valeur, f"Ménage introuvable dans votre périmètre : « {valeur} »."
                )
                return None
            trouves[cle] = pk
        if not trouves:
            r.erreur(
                ENTETES["menage"],
                "",
                "Indiquez le ménage : sa référence, son NUR ou son identifiant SI-SIAO.",
            )
            return None
        if len(set(trouves.values())) > 1:
            r.erreur(
                ENTETES["menage"],
                ligne["menage"] or "",
                "La référence, le NUR et l'identifiant SI-SIAO désignent des ménages différents.",
            )
            return None
        return ctx.menages[next(iter(trouves.values()))]

    def _structure(self, ligne, r: Resultat) -> Structure | None:
        """La structure d'une nouvelle mesure : de la ligne, ou celle choisie pour l'import ;
        dans le ressort et active."""
        ctx = self.ctx
        pk = ligne["structure"] or ctx.structure_par_defaut
        if pk is None:
            r.erreur(ENTETES["structure"], "", "Indiquez la structure qui porte la mesure.")
            return None
        structure = ctx.objets_structures.get(pk)
        if structure is None:
            r.erreur(
                ENTETES["structure"],
                ctx.noms_structures.get(pk, ""),
                f"Structure hors de votre ressort : « {ctx.noms_structures.get(pk, '')} » "
                f"({ctx.structures.liste()}).",
            )
            return None
        if not structure.actif:
            r.erreur(ENTETES["structure"], structure.nom, "Cette structure n'est plus active.")
            return None
        return structure

    def _referent(self, ligne, structure, r: Resultat, actuel=None):
        """L'identifiant du référent : habilité dans la structure, ou le référent actuel de la
        mesure (même s'il l'a quittée depuis : un export se ré-importe)."""
        texte = ligne["referent"]
        if texte is None:
            return actuel.referent_id if actuel else None
        if (
            actuel
            and actuel.referent
            and valeurs.cle(texte)
            in {
                valeurs.cle(str(actuel.referent)),
                valeurs.cle(actuel.referent.username),
            }
        ):
            return actuel.referent_id
        choix = self.ctx.referents.get(structure.pk)
        if choix is None:
            r.erreur(
                ENTETES["referent"],
                texte,
                f"La structure « {structure} » n'a aucun référent habilité.",
            )
            return None
        try:
            return choix.lire(texte)
        except valeurs.ValeurInvalide as erreur:
            r.erreur(ENTETES["referent"], texte, f"{erreur.message} (structure « {structure} »)")
            return None

    # Existante ou doublon

    def _existante(self, ligne, menage, type_):
        mesures = self.ctx.mesures.get((menage.pk, type_.pk), [])
        date_proposition = ligne["date_proposition"]
        for mesure in mesures:
            if date_proposition and mesure.date_proposition == date_proposition:
                return mesure, None
            if (
                not date_proposition
                and ligne["date_debut"]
                and mesure.date_debut == ligne["date_debut"]
            ):
                return mesure, None
        ouverte = next((m for m in mesures if m.est_ouverte), None)
        if ouverte and self._statut_de_creation(ligne) in Mesure.STATUTS_OUVERTS:
            return None, ouverte
        return None, None

    def _doublon(self, ligne, existante, menage, type_, r: Resultat) -> Resultat:
        texte = (
            f"Mesure {type_.code.upper()} {existante.get_statut_display().lower()} du ménage "
            f"{menage.reference}, proposée le {valeurs.date_fr(existante.date_proposition)} "
            f"({existante.structure.nom}) ; une seule mesure ouverte par type : créer est "
            "impossible"
        )
        if self.decisions is None:
            essai = self._mise_a_jour(ligne, existante, Resultat(libelle=r.libelle), essai=True)
            if essai.erreurs:
                r.erreurs = essai.erreurs
                return r
            r.action, r.doublon, r.doublon_id = Action.DOUBLON, texte, existante.pk
            return r
        decision = self.decisions.get(ligne.numero)
        if decision == Action.IGNORER:
            r.action = Action.IGNORER
            r.libelle += " : doublon ignoré"
            return r
        if decision == Action.METTRE_A_JOUR:
            return self._mise_a_jour(ligne, existante, r)
        if decision == Action.CREER:
            r.erreur(
                "",
                "",
                f"Création impossible : {texte.split(' ; ')[0]} est encore ouverte. Choisissez "
                "« mettre à jour » ou « ignorer ».",
            )
            return r
        r.erreur("", "", "Doublon à trancher : choisissez mettre à jour ou ignorer.")
        return r

    # Création

    @staticmethod
    def _statut_de_creation(ligne) -> str:
        if ligne["statut"]:
            return ligne["statut"]
        if ligne["date_fin"] or ligne["motif_fin"]:
            return Mesure.Statut.TERMINEE
        if ligne["date_debut"]:
            return Mesure.Statut.EN_COURS
        return Mesure.Statut.PROPOSEE

    def _creation(self, ligne, menage, type_, r: Resultat) -> Resultat:
        ctx = self.ctx
        if not ctx.peut_creer:
            r.erreur(
                ENTETES["type"],
                type_.code.upper(),
                "Aucune mesure de ce type n'existe pour ce ménage à cette date, et l'ouverture "
                "d'une mesure est réservée aux coordinateurs et agents départementaux.",
            )
            return r
        if not type_.actif:
            r.erreur(ENTETES["type"], type_.code.upper(), "Ce type de mesure n'est plus proposé.")
        if menage.statut == Menage.Statut.ANONYMISE:
            r.erreur(ENTETES["menage"], menage.reference, "Ce ménage est anonymisé.")
        structure = self._structure(ligne, r)
        if r.erreurs:
            return r
        referent_id = self._referent(ligne, structure, r)
        date_debut = ligne["date_debut"]
        date_proposition = ligne["date_proposition"] or date_debut
        if date_proposition is None:
            r.erreur(
                ENTETES["date_proposition"], "", "Indiquez la date de proposition ou de début."
            )
        if r.erreurs:
            return r
        mesure = Mesure(
            menage=menage,
            type=type_,
            territoire=ctx.territoires[menage.territoire_id],
            structure=structure,
            referent_id=referent_id,
            statut=self._statut_de_creation(ligne),
            date_proposition=date_proposition,
            date_debut=date_debut,
            date_fin_prevue=ligne["date_fin_prevue"],
            date_fin=ligne["date_fin"],
            motif_fin=ctx.objets_motifs.get(ligne["motif_fin"]),
            destination=ligne["destination"] or "",
            date_entree_logement=ligne["date_entree_logement"],
        )
        # Comme services.ouvrir_mesure : fin prévue par défaut et convention de l'année.
        if date_debut and not mesure.date_fin_prevue:
            mesure.date_fin_prevue = date_debut + relativedelta(months=type_.duree_defaut_mois)
        if date_debut:
            mesure.convention = ctx.conventions.get((structure.pk, type_.pk, date_debut.year))
        r.erreurs += self._regles(mesure)
        if r.erreurs:
            return r
        if mesure.est_ouverte:
            self.ouvertes_du_fichier[menage.pk][type_.pk] = ligne.numero
        r.action, r.creation = Action.CREER, mesure
        r.libelle += " : création"
        return r

    def _regles(self, mesure: Mesure, exclure_pk=None) -> list[Erreur]:
        """`Mesure.clean()` sans ses requêtes (référent vérifié à la lecture, ménage détaché
        le temps de l'appel), puis le non-cumul lu dans le contexte et dans le fichier."""
        menage, referent_id = mesure.menage, mesure.referent_id
        mesure.menage, mesure.referent_id = None, None
        try:
            erreurs = erreurs_du_modele(mesure, ENTETES_MODELE)
        finally:
            mesure.menage, mesure.referent_id = menage, referent_id
        if erreurs or not mesure.est_ouverte:
            return erreurs
        return self._cumul(mesure, exclure_pk)

    def _cumul(self, mesure, exclure_pk) -> list[Erreur]:
        """La règle de `Mesure._verifier_cumul`, mêmes messages, sur les mesures préchargées
        et celles que les lignes précédentes ouvrent."""
        ctx = self.ctx
        menage_id = mesure.menage.pk
        autres = list(self.ouvertes_du_fichier.get(menage_id, {})) + [
            m.type_id
            for m in ctx.par_menage.get(menage_id, [])
            if m.est_ouverte and m.pk != exclure_pk
        ]
        entete = ENTETES["type"]
        code = mesure.type.code.upper()
        if mesure.type_id in autres:
            return [Erreur(entete, code, "Ce ménage a déjà une mesure ouverte de ce type.")]
        if not mesure.type.relevant_fsl:
            return []
        fsl = [ctx.objets_types[t] for t in autres if ctx.objets_types[t].relevant_fsl]
        if mesure.type.cumul_fsl_interdit and fsl:
            return [
                Erreur(
                    entete, code, f"Une {code} ne se cumule pas avec une autre mesure FSL en cours."
                )
            ]
        if any(t.cumul_fsl_interdit for t in fsl):
            return [
                Erreur(entete, code, "Le ménage a une mesure FSL non cumulable en cours (AML).")
            ]
        return []

    # Mise à jour

    def _mise_a_jour(self, ligne, mesure: Mesure, r: Resultat, essai=False) -> Resultat:
        ctx = self.ctx
        structure = mesure.structure
        if not (ctx.peut_creer or ctx.tout or mesure.structure_id in ctx.structures_suivies):
            r.erreur(
                ENTETES["structure"],
                structure.nom,
                "Seul un référent de la structure qui porte la mesure, ou un coordinateur, "
                "peut la modifier.",
            )
            return r
        if ligne["structure"] and ligne["structure"] != mesure.structure_id:
            r.erreur(
                ENTETES["structure"],
                ctx.noms_structures.get(ligne["structure"], ""),
                f"Cette mesure est portée par « {structure.nom} » : la structure d'une mesure ne "
                "change pas par import.",
            )
            return r
        if not essai and mesure.pk in self.visees:
            r.erreur("", "", f"Même mesure que la ligne {self.visees[mesure.pk]}.")
            return r
        voulus = {
            "referent_id": self._referent(ligne, structure, r, actuel=mesure),
            "date_debut": ligne["date_debut"],
            "date_fin_prevue": ligne["date_fin_prevue"],
            "date_fin": ligne["date_fin"],
            "motif_fin_id": ligne["motif_fin"],
            "destination": ligne["destination"],
            "date_entree_logement": ligne["date_entree_logement"],
            "statut": ligne["statut"]
            or (Mesure.Statut.TERMINEE if ligne["date_fin"] or ligne["motif_fin"] else None),
        }
        changements = {
            champ: valeur
            for champ, valeur in voulus.items()
            if valeur is not None and getattr(mesure, champ) != valeur
        }
        if r.erreurs:
            return r
        if (
            mesure.statut == Mesure.Statut.TERMINEE
            and changements.get("statut", mesure.statut) != Mesure.Statut.TERMINEE
        ):
            r.erreur(
                ENTETES["statut"],
                Mesure.Statut(ligne["statut"]).label,
                "Une mesure terminée ne se rouvre pas par import.",
            )
            return r
        if changements:
            copie = copy.copy(mesure)
            for champ, valeur in changements.items():
                setattr(copie, champ, valeur)
            copie.menage = ctx.menages[mesure.menage_id]
            copie.type = ctx.objets_types[mesure.type_id]
            copie.territoire = ctx.territoires[mesure.territoire_id]
            copie.motif_fin = ctx.objets_motifs.get(copie.motif_fin_id)
            copie.convention = None  # déjà validée à son rattachement
            r.erreurs += self._regles(copie, exclure_pk=mesure.pk)
            if not r.erreurs and self._termine(mesure, changements):
                r.erreurs += self._entree_dans_le_parcours(copie)
        if r.erreurs:
            return r
        if not essai:
            self.visees[mesure.pk] = ligne.numero
        if changements:
            r.action, r.mise_a_jour = Action.METTRE_A_JOUR, (mesure, changements)
            noms = ", ".join(_NOMS_CHAMPS[c] for c in changements)
            r.libelle += f" : mise à jour ({noms})"
        else:
            r.action = Action.IGNORER
            r.libelle += " : déjà à jour"
        return r

    @staticmethod
    def _termine(mesure, changements) -> bool:
        return mesure.est_ouverte and changements.get("statut") == Mesure.Statut.TERMINEE

    def _entree_dans_le_parcours(self, mesure) -> list[Erreur]:
        """`terminer_mesure` inscrit l'accès au logement dans le parcours des membres : la
        nouvelle situation doit commencer après celle en cours (règle de
        `menages.services.changer_situation`)."""
        if not (mesure.motif_fin and mesure.motif_fin.acces_logement):
            return []
        for qui, debut in self.ctx.situations.get(mesure.menage_id, []):
            if mesure.date_entree_logement <= debut:
                return [
                    Erreur(
                        ENTETES["date_entree_logement"],
                        valeurs.date_fr(mesure.date_entree_logement),
                        f"L'entrée dans le logement doit suivre le {valeurs.date_fr(debut)}, "
                        f"début de la situation en cours de {qui}.",
                    )
                ]
        return []


_NOMS_CHAMPS = {
    "referent_id": ENTETES["referent"],
    "statut": ENTETES["statut"],
    "date_debut": ENTETES["date_debut"],
    "date_fin_prevue": ENTETES["date_fin_prevue"],
    "date_fin": ENTETES["date_fin"],
    "motif_fin_id": ENTETES["motif_fin"],
    "destination": ENTETES["destination"],
    "date_entree_logement": ENTETES["date_entree_logement"],
}


# --- Le genre -----------------------------------------------------------------------------------


class GenreMesures(Genre):
    cle = "mesures"
    libelle = "Mesures d'accompagnement"
    colonnes = tuple(c.colonne() for c in CHAMPS)
    colonnes_informatives = COLONNES_INFORMATIVES

    def contexte(self, user, structure):
        perimetre = user.perimetre
        peut_creer = perimetre.a_role(Role.COORDINATEUR, Role.AGENT_DEPARTEMENTAL)
        if not (peut_creer or perimetre.structure_ids):
            raise PermissionDenied(
                "L'import des mesures est réservé aux coordinateurs, agents départementaux et "
                "référents."
            )
        visibles = Menage.objects.visible_to(user)
        menages = {
            m.pk: m
            for m in visibles.only("pk", "reference", "nur", "siao_id", "territoire_id", "statut")
        }
        demandeurs = {
            p.menage_id: p.nom_complet
            for p in Personne.objects.filter(menage__in=visibles, role=Personne.Role.DEMANDEUR)
        }
        mesures, par_menage = defaultdict(list), defaultdict(list)
        for mesure in Mesure.objects.visible_to(user).select_related("referent", "structure"):
            mesures[(mesure.menage_id, mesure.type_id)].append(mesure)
            par_menage[mesure.menage_id].append(mesure)
        structures = list(Structure.objects.visible_to(user))
        toutes = list(Structure.objects.only("pk", "nom", "siret"))
        types = {t.pk: t for t in TypeMesure.objects.all()}
        motifs = {m.pk: m for m in MotifFin.objects.all()}
        conventions = {}
        for c in Convention.objects.filter(structure__in=structures).order_by("-financeur"):
            # Même choix que selectors.convention_pour : le premier financeur l'emporte.
            conventions[(c.structure_id, c.type_mesure_id, c.annee)] = c
        situations = defaultdict(list)
        for s in SituationResidentielle.objects.filter(
            personne__menage__in=visibles, date_fin__isnull=True
        ).select_related("personne"):
            situations[s.personne.menage_id].append((s.personne.nom_complet, s.date_debut))
        territoires = {t.pk: t for t in _epci()}
        par_structure = {s.pk: s for s in structures}
        defaut = getattr(structure, "pk", None)
        return Contexte(
            user=user,
            structure_par_defaut=defaut if defaut in par_structure else None,
            aujourdhui=timezone.localdate(),
            peut_creer=peut_creer,
            structures_suivies=perimetre.structure_ids,
            tout=perimetre.tout,
            types=valeurs.Choix.depuis_referentiel(
                types.values(),
                montrer=lambda t: t.code.upper(),
                inconnu="Type de mesure inconnu",
                connus="types connus",
            ),
            motifs=valeurs.Choix.depuis_referentiel(
                motifs.values(), inconnu="Motif de fin inconnu", connus="motifs connus"
            ),
            statuts=valeurs.Choix.depuis_choices(
                Mesure.Statut,
                alias=ALIAS_STATUTS,
                inconnu="Statut inconnu",
                connus="statuts permis",
            ),
            destinations=valeurs.Choix.depuis_choices(
                Mesure.Destination, inconnu="Logement obtenu inconnu"
            ),
            structures=_choix_structures(structures, "Structure inconnue"),
            toutes_structures=_choix_structures(toutes, "Structure inconnue"),
            objets_types=types,
            objets_motifs=motifs,
            objets_structures=par_structure,
            noms_structures={s.pk: s.nom for s in toutes},
            referents=_referents(structures),
            menages=menages,
            par_reference={m.reference.upper(): pk for pk, m in menages.items()},
            par_nur={m.nur: pk for pk, m in menages.items() if m.nur},
            par_siao={m.siao_id: pk for pk, m in menages.items() if m.siao_id},
            demandeurs=demandeurs,
            mesures=mesures,
            par_menage=par_menage,
            conventions=conventions,
            territoires=territoires,
            situations=situations,
        )

    def _resultats(self, lues, ctx, decisions):
        planificateur = Planificateur(ctx, decisions)
        return [(ligne, planificateur.planifier(ligne)) for ligne in lues]

    def analyser(self, lignes, contexte) -> list[LigneAnalysee]:
        lues = lire_lignes(CHAMPS, lignes, contexte)
        return [
            LigneAnalysee(
                numero=ligne.numero,
                action=Action.ERREUR if r.erreurs else r.action,
                libelle=r.libelle or "Mesure non importée",
                erreurs=r.erreurs,
                doublon=r.doublon,
                doublon_id=r.doublon_id,
                donnees=donnees(ligne, CHAMPS),
            )
            for ligne, r in self._resultats(lues, contexte, None)
        ]

    def appliquer(self, analyse, decisions, contexte, progression=None) -> Compteurs:
        lues = relire(analyse, CHAMPS)
        resultats = self._resultats(lues, contexte, decisions_normalisees(decisions))
        erreurs = [(ligne.numero, e) for ligne, r in resultats for e in r.erreurs]
        if erreurs:
            refuser(erreurs)
        compteurs = Compteurs()
        faites = 0
        for _, r in resultats:
            if r.mise_a_jour:
                _mettre_a_jour(*r.mise_a_jour, contexte)
                compteurs.mis_a_jour += 1
                faites += 1
                if progression and faites % 200 == 0:
                    progression(faites)
            elif r.action == Action.IGNORER:
                compteurs.ignores += 1
        creations = [r.creation for _, r in resultats if r.creation]
        Mesure.objects.bulk_create(creations, batch_size=1000)
        tracer_creations(creations, user=contexte.user, genre="mesures")
        compteurs.crees = len(creations)
        if progression:
            progression(len(resultats))
        return compteurs


def _mettre_a_jour(mesure: Mesure, changements: dict, ctx: Contexte):
    """Les changements d'état par les services (comme dans l'interface), le reste champ à
    champ ; `full_clean` revérifie tout en base avant d'écrire."""
    statut = changements.pop("statut", None)
    if statut == Mesure.Statut.EN_COURS and mesure.statut == Mesure.Statut.PROPOSEE:
        services.demarrer_mesure(
            mesure, date_debut=changements.pop("date_debut", mesure.date_debut)
        )
        statut = None
    fin = {}
    if statut == Mesure.Statut.TERMINEE and mesure.est_ouverte:
        fin = {
            "motif": MotifFin.objects.get(pk=changements.pop("motif_fin_id", mesure.motif_fin_id)),
            "date_fin": changements.pop("date_fin", mesure.date_fin),
            "destination": changements.pop("destination", mesure.destination),
            "date_entree_logement": changements.pop(
                "date_entree_logement", mesure.date_entree_logement
            ),
        }
        statut = None
    if statut:
        changements["statut"] = statut
    if changements:
        for champ, valeur in changements.items():
            setattr(mesure, champ, valeur)
        mesure.full_clean()
        mesure.save()
    if fin:
        services.terminer_mesure(mesure, logement=mesure.logement, **fin)


def _epci():
    from logement.models import Territoire

    return Territoire.objects.filter(niveau=Territoire.Niveau.EPCI)


def _choix_structures(structures, inconnu) -> valeurs.Choix:
    structures = list(structures)
    noms = {s.pk: s.nom for s in structures}
    return valeurs.Choix(
        [(s.pk, [s.nom, s.siret]) for s in structures],
        inconnu=inconnu,
        connus="structures de votre ressort",
        montrer=lambda pk: noms[pk],
    )


GENRE = GenreMesures()
