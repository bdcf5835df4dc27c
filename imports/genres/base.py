"""Contrat entre le moteur d'import (lecture du fichier, correspondance des colonnes, essai à
blanc, tâche, historique) et chaque genre (ce qu'une ligne veut dire et comment l'écrire).

Le moteur ne connaît aucun modèle métier ; un genre ne lit jamais de fichier. Entre les deux :
des lignes déjà découpées, `(numéro de ligne dans le fichier, {clé de colonne: texte nettoyé})`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models


@dataclass(frozen=True)
class Colonne:
    cle: str  # identifiant stable : correspondances mémorisées, rapport, export
    entete: str  # en-tête français du modèle à télécharger (et de l'export de la liste)
    obligatoire: bool = False
    synonymes: tuple[str, ...] = ()  # autres en-têtes reconnus (SI-SIAO, logiciels FSL…)
    aide: str = ""  # feuille « Explications » du modèle : format attendu, valeurs permises
    exemple: str = ""  # valeur fictive montrée dans le modèle


class Action(models.TextChoices):
    CREER = "creer", "Création"
    METTRE_A_JOUR = "mettre_a_jour", "Mise à jour"
    IGNORER = "ignorer", "Ignorée"
    DOUBLON = "doublon", "Doublon à trancher"
    ERREUR = "erreur", "Erreur"


@dataclass
class Erreur:
    colonne: str  # en-tête tel qu'attendu (« Date de naissance »), vide pour la ligne entière
    valeur: str
    message: str  # en français, dit pourquoi : « date impossible (31/02/2024) »


@dataclass
class LigneAnalysee:
    numero: int  # numéro de la ligne dans le fichier (celui qu'affiche le tableur)
    action: str  # une valeur d'Action
    libelle: str = ""  # ce que décrit la ligne : « Ménage MARTIN Léa (12/03/1985) »
    erreurs: list[Erreur] = field(default_factory=list)
    doublon: str = ""  # l'existant retrouvé, pour que l'utilisateur tranche
    doublon_id: int | None = None
    donnees: dict = field(default_factory=dict)  # valeurs nettoyées, sérialisables en JSON


@dataclass
class Compteurs:
    crees: int = 0
    mis_a_jour: int = 0
    ignores: int = 0


class Genre:
    """Un genre d'import. Les sous-classes fixent `cle`, `libelle`, `colonnes` et les méthodes."""

    cle: str = ""
    libelle: str = ""
    colonnes: tuple[Colonne, ...] = ()

    def contexte(self, user, structure):
        """Tout ce que l'analyse doit précharger (référentiels, existants du périmètre, droits)
        en un nombre de requêtes indépendant du nombre de lignes."""
        raise NotImplementedError

    def analyser(self, lignes, contexte) -> list[LigneAnalysee]:
        """Essai à blanc : `lignes` = [(numéro, {clé: texte})]. N'écrit rien."""
        raise NotImplementedError

    def appliquer(self, analyse, decisions, contexte, progression=None) -> Compteurs:
        """Écrit les lignes de `analyse` (déjà sans erreur) ; `decisions` = {numéro: action}
        choisie par l'utilisateur pour chaque doublon (creer, mettre_a_jour ou ignorer).
        Appelée dans une transaction par le moteur ; lève ValidationError pour tout annuler.
        `progression(n)` (facultatif) reçoit le nombre de lignes traitées."""
        raise NotImplementedError
