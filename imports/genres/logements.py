"""Genre « logements captés » : une ligne par logement (le format de l'export de la liste).

La Référence identifie le logement : celle d'un logement du périmètre le met à jour, une
référence nouvelle en crée un. Un nouveau logement à la même adresse (normalisée) et au même
code postal qu'un logement du périmètre est un doublon à trancher : c'est l'adresse qui
désigne le logement (le numéro d'appartement s'écrit dans l'adresse), le bailleur pouvant
changer d'une captation à l'autre. Droits, comme dans l'interface : coordinateurs et agents
départementaux, dans les EPCI de leur ressort, bailleurs sociaux de leur ressort.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied

from attributions.exports import COLONNES_LOGEMENTS
from attributions.models import Contingent, Logement
from attributions.selectors import peut_ecrire
from imports import valeurs
from logement.models import Structure

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
    refuser,
    relire,
    tracer_creations,
)

ENTETES = {c.cle: c.entete for c in COLONNES_LOGEMENTS}
COLONNES_INFORMATIVES = tuple(c.entete for c in COLONNES_LOGEMENTS if not c.importee)
# Colonne → champ du modèle.
MODELE = {
    "adresse": "adresse",
    "code_postal": "code_postal",
    "commune": "commune",
    "epci": "territoire_id",
    "typologie": "typologie",
    "surface": "surface",
    "loyer": "loyer",
    "charges": "charges",
    "type_bailleur": "type_bailleur",
    "bailleur": "bailleur_id",
    "qpv": "qpv",
    "contingent": "contingent_id",
    "captation": "captation",
    "date_disponibilite": "date_disponibilite",
    "date_retrait": "date_retrait",
}
ENTETES_MODELE = {champ.removesuffix("_id"): ENTETES[cle] for cle, champ in MODELE.items()}
ENTETES_MODELE["reference"] = ENTETES["reference"]
# Ce qu'un nouveau logement doit dire (les autres champs ont une valeur par défaut).
REQUIS = (
    "adresse",
    "code_postal",
    "commune",
    "typologie",
    "surface",
    "loyer",
    "type_bailleur",
    "captation",
    "date_disponibilite",
)

ALIAS_TYPOLOGIES = {
    Logement.Typologie.T1: ["studio", "t1 bis", "type 1", "f1"],
    Logement.Typologie.T2: ["type 2", "f2"],
    Logement.Typologie.T3: ["type 3", "f3"],
    Logement.Typologie.T4: ["type 4", "f4"],
    Logement.Typologie.T5: ["type 5", "f5"],
    Logement.Typologie.T6: ["t6+", "t7", "type 6", "f6"],
}
ALIAS_BAILLEURS = {
    Logement.TypeBailleur.SOCIAL: ["social", "bailleur social", "HLM", "public"],
    Logement.TypeBailleur.PRIVE: ["privé", "propriétaire privé", "parc privé"],
}
ALIAS_CAPTATIONS = {
    Logement.Captation.IML_MANDAT: ["IML", "mandat de gestion"],
    Logement.Captation.SOUS_LOCATION: ["sous-location", "bail glissant"],
}


def _texte(longueur):
    return lambda texte, ctx: valeurs.texte(texte, longueur)


def _code_postal(texte, ctx) -> str:
    code = valeurs.texte(texte).replace(" ", "")
    if code.isdigit() and len(code) == 4:
        code = "0" + code  # le tableur a pris « 01000 » pour un nombre
    if not (code.isdigit() and len(code) == 5):
        raise valeurs.ValeurInvalide(f"Le code postal compte 5 chiffres (reçu « {texte} »).")
    return code


def _montant(chiffres, decimales=2, refus="Le montant ne peut pas être négatif"):
    return lambda texte, ctx: valeurs.decimal(
        texte, chiffres=chiffres, decimales=decimales, refus_negatif=refus
    )


def _choix(nom):
    return lambda texte, ctx: getattr(ctx, nom).lire(texte)


def _bailleur(texte, ctx) -> int:
    trouve = ctx.bailleurs.trouver(texte)
    if trouve is not None:
        return trouve
    if ctx.tous_bailleurs.trouver(texte) is not None:
        raise valeurs.ValeurInvalide(
            f"Bailleur social hors de votre ressort : « {valeurs.texte(texte)} » "
            f"({ctx.bailleurs.liste()})."
        )
    return ctx.bailleurs.lire(texte)


_CHAMPS = {
    "reference": Champ(
        "reference",
        ENTETES["reference"],
        _texte(40),
        obligatoire=True,
        synonymes=("Référence du logement", "N° de logement", "Identifiant"),
        aide="Identifiant du logement dans votre suivi : celle d'un logement existant le met "
        "à jour, une nouvelle en crée un.",
        exemple="LOG-2025-001",
    ),
    "adresse": Champ(
        "adresse",
        ENTETES["adresse"],
        _texte(250),
        aide="Numéro, voie, et le cas échéant bâtiment et appartement.",
        exemple="12 rue des Fictions, apt 3",
    ),
    "code_postal": Champ(
        "code_postal", ENTETES["code_postal"], _code_postal, synonymes=("CP",), exemple="00100"
    ),
    "commune": Champ(
        "commune", ENTETES["commune"], _texte(120), synonymes=("Ville",), exemple="Valmont"
    ),
    "epci": Champ(
        "epci",
        ENTETES["epci"],
        lambda texte, ctx: ctx.epci.lire(texte),
        aide="Nom ou SIREN d'un EPCI de votre ressort (facultatif s'il n'y en a qu'un).",
    ),
    "typologie": Champ(
        "typologie",
        ENTETES["typologie"],
        _choix("typologies"),
        synonymes=("Type de logement", "Type"),
        aide="T1 à T5, « T6 et plus ».",
        exemple="T2",
    ),
    "surface": Champ(
        "surface",
        ENTETES["surface"],
        _montant(6, 1, "La surface ne peut pas être négative"),
        "decimal",
        synonymes=("Surface", "Surface habitable"),
        aide="En m², virgule décimale : « 45,5 ».",
        exemple="45,5",
    ),
    "loyer": Champ(
        "loyer",
        ENTETES["loyer"],
        _montant(8),
        "decimal",
        synonymes=("Loyer", "Loyer hors charges"),
        aide="Mensuel, hors charges, en euros : « 380,50 ».",
        exemple="380,50",
    ),
    "charges": Champ(
        "charges",
        ENTETES["charges"],
        _montant(8),
        "decimal",
        synonymes=("Charges",),
        exemple="60",
    ),
    "type_bailleur": Champ(
        "type_bailleur",
        ENTETES["type_bailleur"],
        _choix("types_bailleur"),
        synonymes=("Bailleur",),
        aide="Bailleur social ou Propriétaire privé.",
        exemple="Propriétaire privé",
    ),
    "bailleur": Champ(
        "bailleur",
        ENTETES["bailleur"],
        _bailleur,
        aide="Pour le parc social : nom ou SIRET du bailleur (structure de votre ressort).",
    ),
    "qpv": Champ("qpv", ENTETES["qpv"], lambda t, ctx: valeurs.booleen(t), synonymes=("QPV",)),
    "contingent": Champ(
        "contingent", ENTETES["contingent"], _choix("contingents"), synonymes=("Réservataire",)
    ),
    "captation": Champ(
        "captation",
        ENTETES["captation"],
        _choix("captations"),
        synonymes=("Captation",),
        aide="Parc social, IML – mandat de gestion, Sous-location / bail glissant, Solibail.",
        exemple="IML – mandat de gestion",
    ),
    "date_disponibilite": Champ(
        "date_disponibilite",
        ENTETES["date_disponibilite"],
        lambda t, ctx: valeurs.date(t),
        "date",
        synonymes=("Date de disponibilité", "Disponibilité"),
        exemple="01/03/2025",
    ),
    "date_retrait": Champ(
        "date_retrait",
        ENTETES["date_retrait"],
        lambda t, ctx: valeurs.date(t),
        "date",
        synonymes=("Date de retrait",),
    ),
}
CHAMPS = tuple(_CHAMPS[c.cle] for c in COLONNES_LOGEMENTS if c.importee)


@dataclass
class Contexte:
    user: object
    epci: Epci
    typologies: valeurs.Choix
    types_bailleur: valeurs.Choix
    captations: valeurs.Choix
    contingents: valeurs.Choix
    bailleurs: valeurs.Choix
    tous_bailleurs: valeurs.Choix
    bailleurs_actifs: set[int]
    logements: dict[str, Logement]  # référence (majuscules) → logement du périmètre
    references_prises: set[str]  # toutes les références de la base (elles sont uniques)
    adresses: dict[tuple, Logement]  # (adresse normalisée, code postal) → logement du périmètre


def cle_adresse(adresse, code_postal) -> tuple:
    return valeurs.cle(adresse or ""), code_postal or ""


@dataclass
class Resultat:
    action: str = ""
    libelle: str = ""
    erreurs: list[Erreur] = field(default_factory=list)
    doublon: str = ""
    doublon_id: int | None = None
    creation: Logement | None = None
    mise_a_jour: tuple | None = None

    def erreur(self, colonne, valeur, message):
        self.erreurs.append(Erreur(colonne, affichage(valeur), message))


class Planificateur:
    def __init__(self, ctx: Contexte, decisions):
        self.ctx = ctx
        self.decisions = decisions
        self.references: dict[str, int] = {}  # références du fichier → ligne
        self.adresses: dict[tuple, int] = {}  # adresses des logements créés → ligne
        self.visees: dict[int, int] = {}  # logement existant → ligne qui le met à jour

    def planifier(self, ligne: LigneLue) -> Resultat:
        ctx = self.ctx
        r = Resultat(erreurs=list(ligne.erreurs))
        reference = ligne["reference"]
        r.libelle = f"Logement {reference or '(sans référence)'}"
        if r.erreurs:
            return r
        if not reference:
            r.erreur(ENTETES["reference"], "", "Indiquez la référence du logement.")
            return r
        cle = reference.upper()
        if cle in self.references:
            r.erreur(
                ENTETES["reference"],
                reference,
                f"Même référence que la ligne {self.references[cle]}.",
            )
            return r
        self.references[cle] = ligne.numero
        existant = ctx.logements.get(cle)
        if existant:
            return self._mise_a_jour(ligne, existant, r)
        if cle in ctx.references_prises:
            # Hors périmètre : rien n'est dit du logement qui la porte.
            r.erreur(ENTETES["reference"], reference, "Cette référence est déjà utilisée.")
            return r
        adresse = cle_adresse(ligne["adresse"], ligne["code_postal"])
        if ligne["adresse"] and ligne["code_postal"]:
            if adresse in ctx.adresses:
                return self._doublon(ligne, ctx.adresses[adresse], r)
            if adresse in self.adresses:
                return self._doublon_du_fichier(ligne, self.adresses[adresse], r)
        return self._creation(ligne, r)

    # Doublons

    def _doublon(self, ligne, existant: Logement, r: Resultat) -> Resultat:
        texte = (
            f"Logement {existant.reference} — {existant.adresse}, {existant.code_postal} "
            f"{existant.commune} ({existant.get_typologie_display()}, "
            f"{existant.bailleur.nom if existant.bailleur else existant.get_type_bailleur_display()})"
            " : même adresse"
        )
        if self.decisions is None:
            essai = self._mise_a_jour(ligne, existant, Resultat(), essai=True)
            creation = self._creation(ligne, Resultat(), essai=True)
            if essai.erreurs and creation.erreurs:
                r.erreurs = creation.erreurs
                return r
            r.action, r.doublon, r.doublon_id = Action.DOUBLON, texte, existant.pk
            r.libelle += " : doublon à trancher"
            return r
        decision = self.decisions.get(ligne.numero)
        if decision == Action.IGNORER:
            r.action = Action.IGNORER
            r.libelle += f" : doublon du logement {existant.reference}, ignoré"
            return r
        if decision == Action.CREER:
            return self._creation(ligne, r)
        if decision == Action.METTRE_A_JOUR:
            # La référence du logement existant reste la sienne.
            return self._mise_a_jour(ligne, existant, r)
        r.erreur("", "", "Doublon à trancher : choisissez créer, mettre à jour ou ignorer.")
        return r

    def _doublon_du_fichier(self, ligne, numero, r: Resultat) -> Resultat:
        if self.decisions is None:
            essai = self._creation(ligne, Resultat(), essai=True)
            if essai.erreurs:
                r.erreurs = essai.erreurs
                return r
            r.action = Action.DOUBLON
            r.doublon = f"Même adresse que le logement de la ligne {numero} du fichier"
            r.libelle += " : doublon à trancher (créer ou ignorer)"
            return r
        decision = self.decisions.get(ligne.numero)
        if decision == Action.IGNORER:
            r.action = Action.IGNORER
            r.libelle += f" : même adresse que la ligne {numero}, ignoré"
            return r
        if decision == Action.CREER:
            return self._creation(ligne, r)
        r.erreur(
            "",
            "",
            f"Même adresse que la ligne {numero}, dont le logement n'existe pas encore : "
            "choisissez créer ou ignorer.",
        )
        return r

    # Création, mise à jour

    def _creation(self, ligne, r: Resultat, essai=False) -> Resultat:
        ctx = self.ctx
        epci = ligne["epci"] or ctx.epci.unique()
        manquants = [ENTETES[c] for c in REQUIS if ligne[c] is None]
        if epci is None:
            manquants.append(ENTETES["epci"])
        if manquants:
            r.erreur(
                manquants[0],
                "",
                "Valeur requise pour créer le logement : " + ", ".join(manquants) + ".",
            )
            return r
        if epci not in ctx.epci.ressort:
            e = ctx.epci.hors_ressort(epci)
            r.erreur(e.colonne, e.valeur, e.message)
            return r
        logement = Logement(
            reference=ligne["reference"],
            territoire=ctx.epci.par_id[epci],
            **{MODELE[c]: ligne[c] for c in MODELE if c != "epci" and ligne[c] is not None},
        )
        r.erreurs += self._regles(logement)
        if r.erreurs:
            return r
        if not essai:
            self.adresses.setdefault(
                cle_adresse(logement.adresse, logement.code_postal), ligne.numero
            )
        r.action, r.creation = Action.CREER, logement
        r.libelle += f" ({logement.adresse}, {logement.commune}) : création"
        return r

    def _mise_a_jour(self, ligne, logement: Logement, r: Resultat, essai=False) -> Resultat:
        ctx = self.ctx
        if not essai and logement.pk in self.visees:
            r.erreur("", "", f"Même logement que la ligne {self.visees[logement.pk]}.")
            return r
        changements = {
            MODELE[c]: ligne[c]
            for c in MODELE
            if ligne[c] is not None and getattr(logement, MODELE[c]) != ligne[c]
        }
        if "territoire_id" in changements and changements["territoire_id"] not in ctx.epci.ressort:
            e = ctx.epci.hors_ressort(changements["territoire_id"])
            r.erreur(e.colonne, e.valeur, e.message)
            return r
        if changements:
            copie = copy.copy(logement)
            for champ, valeur in changements.items():
                setattr(copie, champ, valeur)
            copie.territoire = ctx.epci.par_id[copie.territoire_id]
            r.erreurs += self._regles(copie)
        if r.erreurs:
            return r
        if not essai:
            self.visees[logement.pk] = ligne.numero
        if changements:
            r.action, r.mise_a_jour = Action.METTRE_A_JOUR, (logement, changements)
            noms = ", ".join(ENTETES_MODELE[c.removesuffix("_id")] for c in changements)
            r.libelle = f"Logement {logement.reference} : mise à jour ({noms})"
        else:
            r.action = Action.IGNORER
            r.libelle = f"Logement {logement.reference} : déjà à jour"
        return r

    def _regles(self, logement: Logement) -> list[Erreur]:
        """Les règles du modèle (validateurs, `clean()`), plus ce que le formulaire borne :
        bailleur social actif, de la bonne sorte."""
        erreurs = erreurs_du_modele(logement, ENTETES_MODELE)
        if logement.bailleur_id and logement.bailleur_id not in self.ctx.bailleurs_actifs:
            erreurs.append(Erreur(ENTETES["bailleur"], "", "Ce bailleur social n'est plus actif."))
        return erreurs


class GenreLogements(Genre):
    cle = "logements"
    libelle = "Logements captés"
    colonnes = tuple(c.colonne() for c in CHAMPS)
    colonnes_informatives = COLONNES_INFORMATIVES

    def contexte(self, user, structure):
        if not peut_ecrire(user):
            raise PermissionDenied(
                "L'import des logements est réservé aux coordinateurs et agents départementaux."
            )
        bailleurs = Structure.objects.filter(type=Structure.Type.BAILLEUR)
        visibles = list(bailleurs.visible_to(user))
        logements = list(Logement.objects.visible_to(user).select_related("bailleur"))
        return Contexte(
            user=user,
            epci=Epci(user),
            typologies=valeurs.Choix.depuis_choices(
                Logement.Typologie, alias=ALIAS_TYPOLOGIES, inconnu="Typologie inconnue"
            ),
            types_bailleur=valeurs.Choix.depuis_choices(
                Logement.TypeBailleur, alias=ALIAS_BAILLEURS, inconnu="Type de bailleur inconnu"
            ),
            captations=valeurs.Choix.depuis_choices(
                Logement.Captation, alias=ALIAS_CAPTATIONS, inconnu="Mode de captation inconnu"
            ),
            contingents=valeurs.Choix.depuis_referentiel(
                Contingent.objects.all(), inconnu="Contingent inconnu", connus="contingents"
            ),
            bailleurs=_choix_bailleurs(visibles),
            tous_bailleurs=_choix_bailleurs(bailleurs.only("pk", "nom", "siret")),
            bailleurs_actifs={b.pk for b in visibles if b.actif},
            logements={lg.reference.upper(): lg for lg in logements},
            references_prises={
                r.upper() for r in Logement.objects.values_list("reference", flat=True)
            },
            adresses={cle_adresse(lg.adresse, lg.code_postal): lg for lg in logements},
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
                libelle=r.libelle,
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
        for i, (_, r) in enumerate(resultats, start=1):
            if r.mise_a_jour:
                logement, changements = r.mise_a_jour
                for champ, valeur in changements.items():
                    setattr(logement, champ, valeur)
                logement.full_clean()
                logement.save()
                compteurs.mis_a_jour += 1
            elif r.action == Action.IGNORER:
                compteurs.ignores += 1
            if progression and i % 500 == 0:
                progression(i)
        creations = [r.creation for _, r in resultats if r.creation]
        Logement.objects.bulk_create(creations, batch_size=1000)
        tracer_creations(creations, user=contexte.user, genre="logements")
        compteurs.crees = len(creations)
        if progression:
            progression(len(resultats))
        return compteurs


def _choix_bailleurs(structures) -> valeurs.Choix:
    structures = list(structures)
    noms = {s.pk: s.nom for s in structures}
    return valeurs.Choix(
        [(s.pk, [s.nom, s.siret]) for s in structures],
        inconnu="Bailleur social inconnu",
        connus="bailleurs sociaux de votre ressort",
        montrer=lambda pk: noms[pk],
    )


GENRE = GenreLogements()
