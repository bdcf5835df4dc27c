"""Lecture des valeurs d'un tableur français : dates jj/mm/aaaa, décimaux à virgule, oui/non,
choix d'une liste (code ou libellé, sans souci d'accents ni de casse).

Chaque lecteur reçoit un texte non vide et renvoie la valeur Python, ou lève `ValeurInvalide`
avec un message français qui dit pourquoi ; le genre en fait une `Erreur` (ligne, colonne).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from logement.exports import DEBUTS_DE_FORMULE
from logement.text import normaliser, sans_caractere_nul


class ValeurInvalide(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Texte --------------------------------------------------------------------------------------


def texte(valeur: str, longueur: int | None = None) -> str:
    """Le texte tel quel, sans l'apostrophe que nos exports posent devant ce qui ressemble à une
    formule (« '=A1 » redevient « =A1 ») : un export se ré-importe à l'identique."""
    valeur = sans_caractere_nul(valeur).strip()
    if len(valeur) > 1 and valeur[0] == "'" and valeur[1] in DEBUTS_DE_FORMULE:
        valeur = valeur[1:]
    if longueur is not None and len(valeur) > longueur:
        raise ValeurInvalide(f"Texte trop long : {longueur} caractères au plus ({len(valeur)}).")
    return valeur


@lru_cache(maxsize=100_000)  # un fichier répète les mêmes valeurs (EPCI, statut, sexe…)
def cle(valeur: str) -> str:
    """Clé de comparaison : sans accents, casse, ponctuation de liaison ni espaces en trop
    (« AVDL_DALO », « avdl-dalo » et « AVDL DALO » se valent)."""
    valeur = normaliser(texte(valeur))
    for signe in ("_", "-", "–", "—", "’", "'", "."):
        valeur = valeur.replace(signe, " ")
    return " ".join(valeur.split())


# --- Dates --------------------------------------------------------------------------------------

_DATE_FR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# Une heure nulle accolée par un tableur ou un logiciel (« 12/03/2024 00:00:00 »).
_HEURE = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
ANNEE_MIN, ANNEE_MAX = 1900, 2100


def date(valeur: str) -> dt.date:
    """jj/mm/aaaa (ou j/m/aaaa, séparateurs / . -) et aaaa-mm-jj."""
    brut = texte(valeur)
    if (trouve := _DATE_ISO.match(brut)) and _HEURE.fullmatch(brut[trouve.end() :]):
        annee, mois, jour = trouve.groups()
    elif (trouve := _DATE_FR.match(brut)) and _HEURE.fullmatch(brut[trouve.end() :]):
        jour, mois, annee = trouve.groups()
    else:
        raise ValeurInvalide(f"Date illisible : « {brut} » (format attendu : jj/mm/aaaa).")
    if len(annee) != 4:
        raise ValeurInvalide(
            f"Date ambiguë : « {brut} » ; écrivez l'année sur quatre chiffres (jj/mm/aaaa)."
        )
    try:
        resultat = dt.date(int(annee), int(mois), int(jour))
    except ValueError:
        raise ValeurInvalide(
            f"Date impossible : le {int(jour):02d}/{int(mois):02d}/{annee} n'existe pas."
        ) from None
    if not ANNEE_MIN <= resultat.year <= ANNEE_MAX:
        raise ValeurInvalide(f"Date invraisemblable : « {brut} ».")
    return resultat


def date_fr(valeur: dt.date | None) -> str:
    return f"{valeur:%d/%m/%Y}" if valeur else ""


# --- Nombres ------------------------------------------------------------------------------------

_ESPACES = str.maketrans("", "", " \u00a0\u202f\u2009\u2007")


def decimal(
    valeur: str,
    *,
    decimales: int = 2,
    chiffres: int = 12,
    negatif: bool = False,
    refus_negatif: str = "Le montant ne peut pas être négatif",
) -> Decimal:
    """« 1 234,50 », « 1234.5 », « 1.234,50 », « 12 € » ; négatif refusé sauf `negatif`."""
    brut = texte(valeur)
    nombre = brut.translate(_ESPACES).removesuffix("€").removesuffix("EUR")
    if nombre.startswith("(") and nombre.endswith(")"):  # négatif « comptable »
        nombre = "-" + nombre[1:-1]
    if "," in nombre and "." in nombre:
        # Le dernier séparateur est la virgule décimale, l'autre sépare les milliers.
        milliers = "." if nombre.rfind(",") > nombre.rfind(".") else ","
        nombre = nombre.replace(milliers, "")
    nombre = nombre.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", nombre):
        raise ValeurInvalide(f"Nombre illisible : « {brut} ».")
    try:
        resultat = Decimal(nombre)
    except InvalidOperation:
        raise ValeurInvalide(f"Nombre illisible : « {brut} ».") from None
    if resultat < 0 and not negatif:
        raise ValeurInvalide(f"{refus_negatif} : « {brut} ».")
    arrondi = resultat.quantize(Decimal(1).scaleb(-decimales))
    if arrondi != resultat:
        raise ValeurInvalide(f"{decimales} décimale(s) au plus : « {brut} ».")
    if len(arrondi.as_tuple().digits) > chiffres:
        raise ValeurInvalide(f"Nombre trop grand : « {brut} ».")
    return arrondi


def montant_fr(valeur: Decimal) -> str:
    """1234.5 → « 1234,50 » : ce que `decimal` relit."""
    return f"{valeur:.2f}".replace(".", ",")


# --- Oui / non ----------------------------------------------------------------------------------

_OUI = {"oui", "o", "vrai", "1", "x", "yes", "y", "true"}
_NON = {"non", "n", "faux", "0", "no", "false"}


def booleen(valeur: str) -> bool:
    brut = texte(valeur)
    cle_ = normaliser(brut)
    if cle_ in _OUI:
        return True
    if cle_ in _NON:
        return False
    raise ValeurInvalide(f"Réponse attendue : oui ou non (reçu « {brut} »).")


# --- Choix dans une liste -----------------------------------------------------------------------

_AMBIGU = object()


class Choix:
    """Une liste de valeurs permises, reconnues par leur code ou leur libellé (ou un alias),
    insensible aux accents, à la casse et aux tirets.

    `inconnu` nomme l'erreur (« Type de mesure inconnu »), `connus` la liste montrée
    (« types connus ») ; `montrer` dit comment montrer une valeur dans cette liste."""

    def __init__(
        self,
        paires: Iterable[tuple[object, Iterable[str]]],
        *,
        inconnu: str,
        connus: str = "valeurs permises",
        montrer: Callable[[object], str] = str,
        montrees: int = 12,
    ):
        self.inconnu, self.connus, self.montrees = inconnu, connus, montrees
        self._index: dict[str, object] = {}
        self._exemples: list[str] = []
        self._listes: dict[str, list] = {}  # listes déjà lues (liste_de_choix)
        for valeur, noms in paires:
            self._exemples.append(montrer(valeur))
            for nom in dict.fromkeys(cle(n) for n in noms if n):
                deja = self._index.get(nom)
                self._index[nom] = valeur if deja is None or deja == valeur else _AMBIGU

    @classmethod
    def depuis_choices(cls, choices, *, alias: dict | None = None, **options) -> Choix:
        """Un TextChoices (ou ses `choices`) : code et libellé ; `alias` : {code: [noms]}."""
        alias = alias or {}
        paires = [
            (code, [code, str(libelle), *alias.get(code, ())])
            for code, libelle in getattr(choices, "choices", choices)
        ]
        options.setdefault("montrer", lambda code: dict(paires)[code][1])
        return cls(paires, **options)

    @classmethod
    def depuis_referentiel(cls, objets, *, montrer=None, **options) -> Choix:
        """Une table de référence (code, libellé) → identifiant de la ligne ; « ASRL –
        Accompagnement… » est aussi reconnu par ce qui précède le tiret."""
        objets = list(objets)
        par_pk = {objet.pk: objet for objet in objets}
        paires = [
            (objet.pk, [objet.code, objet.libelle, objet.libelle.split(" – ")[0]])
            for objet in objets
        ]
        montrer = montrer or (lambda objet: objet.libelle)
        return cls(paires, montrer=lambda pk: montrer(par_pk[pk]), **options)

    def trouver(self, valeur: str):
        """La valeur reconnue, None si inconnue, lève si le nom en désigne plusieurs."""
        trouve = self._index.get(cle(valeur))
        if trouve is _AMBIGU:
            raise ValeurInvalide(
                f"« {texte(valeur)} » désigne plusieurs valeurs : précisez (code ou nom complet)."
            )
        return trouve

    def lire(self, valeur: str):
        trouve = self.trouver(valeur)
        if trouve is None:
            raise ValeurInvalide(f"{self.inconnu} : « {texte(valeur)} » ({self.liste()}).")
        return trouve

    def liste(self) -> str:
        if not self._exemples:
            return f"{self.connus} : aucun"
        exemples = self._exemples[: self.montrees]
        suite = "…" if len(self._exemples) > self.montrees else ""
        return f"{self.connus} : {', '.join(exemples)}{suite}"

    def __contains__(self, valeur: str) -> bool:
        return self._index.get(cle(valeur)) not in (None, _AMBIGU)


def liste_de_choix(valeur: str, choix: Choix) -> list:
    """« Famille monoparentale ; Réfugié, bénéficiaire d'une protection internationale » :
    séparées par « ; » ou « , », en recollant les morceaux d'un libellé qui contient une
    virgule (le plus long libellé reconnu l'emporte)."""
    deja = choix._listes.get(valeur)
    if deja is None:
        deja = choix._listes[valeur] = _liste_de_choix(valeur, choix)
    return list(deja)


def _liste_de_choix(valeur: str, choix: Choix) -> list:
    brut = texte(valeur)
    morceaux = [m.strip() for partie in brut.split(";") for m in partie.split(",")]
    morceaux = [m for m in morceaux if m]
    resultat, i = [], 0
    while i < len(morceaux):
        for fin in range(len(morceaux), i, -1):
            candidat = ", ".join(morceaux[i:fin])
            if candidat in choix:
                resultat.append(choix.lire(candidat))
                i = fin
                break
        else:
            choix.lire(morceaux[i])  # lève avec la liste des valeurs permises
    return list(dict.fromkeys(resultat))
