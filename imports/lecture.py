"""Lecture d'un fichier déposé (XLSX ou CSV) en un tableau de textes nettoyés : en-têtes, puis
lignes numérotées comme dans le tableur. Ne connaît ni les genres ni la base.

Une mauvaise entrée lève `FichierRefuse`, dont le message, en français, est montré tel quel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree.ElementTree import ParseError, iterparse

from django.conf import settings
from openpyxl.utils.cell import range_boundaries

from logement.text import sans_caractere_nul

XLSX, CSV = "xlsx", "csv"
SIGNATURE_ZIP = b"PK\x03\x04"
# Fichiers composés OLE : XLS d'Excel 97-2003, ou XLSX chiffré par un mot de passe.
SIGNATURE_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SEPARATEURS = (";", ",", "\t")
BOM_UTF16 = (b"\xff\xfe", b"\xfe\xff")
# Un classeur de 10 Mo peut en faire des centaines une fois décompressé (bombe zip).
FACTEUR_DECOMPRESSION_MAX = 30
# Au-delà, des lignes vides en fin de feuille (mise en forme étendue à toute la colonne) : on
# s'arrête plutôt que de parcourir un million de lignes sans rien.
LIGNES_VIDES_CONSECUTIVES_MAX = 1000

FORMATS_REFUSES = {
    ".xls": "Le format XLS (Excel 97-2003) n'est pas pris en charge : enregistrez le fichier au "
    "format XLSX (« Classeur Excel ») ou CSV, puis déposez-le à nouveau.",
    ".ods": "Le format ODS (LibreOffice) n'est pas pris en charge : enregistrez le fichier au "
    "format XLSX ou CSV, puis déposez-le à nouveau.",
}


class FichierRefuse(Exception):
    """Fichier illisible ou hors limites ; le message dit pourquoi, en français."""


@dataclass
class Tableau:
    format: str
    entetes: list[str]  # un par colonne (vide : colonne sans en-tête)
    # Pour un en-tête sur deux lignes, les libellés à essayer (« Demandeur Nom », « Nom »…).
    candidats: list[list[str]]
    lignes: list[tuple[int, list[str]]]  # (numéro dans le tableur, valeurs alignées sur entetes)
    ligne_entetes: int = 1
    lignes_vides: int = 0
    details: dict = field(default_factory=dict)

    @property
    def nombre_de_lignes(self) -> int:
        return len(self.lignes)


def taille_max() -> int:
    return settings.IMPORT_TAILLE_MAX


def lignes_max() -> int:
    return settings.IMPORT_LIGNES_MAX


def taille_lisible(octets: int) -> str:
    if octets >= 1024 * 1024:
        return f"{octets / (1024 * 1024):.1f} Mo".replace(".", ",").replace(",0 ", " ")
    if octets >= 1024:
        return f"{octets / 1024:.0f} Ko"
    return f"{octets} octets"


def nombre_lisible(n: int) -> str:
    """10000 → « 10 000 » (espace fine insécable, comme le reste de l'interface)."""
    return f"{n:_}".replace("_", "\u202f")


def extension(nom: str) -> str:
    nom = (nom or "").strip().lower()
    return nom[nom.rfind(".") :] if "." in nom else ""


def lire(contenu: bytes, nom: str) -> Tableau:
    """Lit `contenu` (les octets du fichier nommé `nom`) ; lève FichierRefuse."""
    if not contenu:
        raise FichierRefuse("Le fichier est vide.")
    if len(contenu) > taille_max():
        raise FichierRefuse(
            f"Le fichier pèse {taille_lisible(len(contenu))} : la taille maximale est de "
            f"{taille_lisible(taille_max())}. Découpez-le en plusieurs fichiers."
        )
    ext = extension(nom)
    if ext in FORMATS_REFUSES:
        raise FichierRefuse(FORMATS_REFUSES[ext])
    if ext == ".xlsx":
        if contenu.startswith(SIGNATURE_OLE):
            raise FichierRefuse(
                "Fichier XLSX illisible : il est protégé par un mot de passe ou enregistré au "
                "format XLS. Enregistrez-le sans mot de passe au format XLSX ou CSV."
            )
        if not contenu.startswith(SIGNATURE_ZIP):
            raise FichierRefuse(
                "Fichier XLSX corrompu : son contenu n'est pas celui d'un classeur Excel. "
                "Ouvrez-le dans votre tableur et enregistrez-le à nouveau au format XLSX."
            )
        return _lire_xlsx(contenu)
    if ext == ".csv":
        debut = contenu[:4096]
        # Du texte UTF-16 sans BOM ou un binaire : beaucoup d'octets nuls ; un octet nul égaré
        # dans un vrai CSV est seulement retiré.
        if contenu.startswith((SIGNATURE_ZIP, SIGNATURE_OLE)) or (
            not contenu.startswith(BOM_UTF16) and debut.count(b"\x00") > len(debut) // 10
        ):
            raise FichierRefuse(
                "Ce fichier porte l'extension .csv mais son contenu n'est pas du texte (c'est "
                "sans doute un classeur Excel renommé) : déposez le fichier d'origine avec son "
                "extension, ou enregistrez-le au format CSV."
            )
        return _lire_csv(contenu)
    montre = f"« {ext} »" if ext else "sans extension"
    raise FichierRefuse(
        f"Type de fichier non reconnu ({montre}) : déposez un classeur XLSX ou un fichier CSV."
    )


# --- Valeurs ------------------------------------------------------------------------------------


def texte_de_cellule(valeur) -> str:
    """Ce qu'un genre sait lire : dates jj/mm/aaaa, décimales à virgule, sans espaces autour."""
    if valeur is None:
        return ""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, dt.datetime):
        if valeur.time() == dt.time():
            return valeur.strftime("%d/%m/%Y")
        return valeur.strftime("%d/%m/%Y %H:%M")
    if isinstance(valeur, dt.date):
        return valeur.strftime("%d/%m/%Y")
    if isinstance(valeur, dt.time):
        return valeur.strftime("%H:%M")
    if isinstance(valeur, int):
        return str(valeur)
    if isinstance(valeur, float):
        if valeur.is_integer():
            return str(int(valeur))
        # repr donne le plus court décimal exact (0.1 et non 0.1000000000000000055…).
        return format(Decimal(repr(valeur)), "f").replace(".", ",")
    if isinstance(valeur, Decimal):
        return format(valeur, "f").replace(".", ",")
    if isinstance(valeur, dt.timedelta):
        return str(valeur)
    return sans_caractere_nul(str(valeur)).strip()


# --- XLSX ---------------------------------------------------------------------------------------


def _classeur(contenu: bytes):
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(contenu))
        decompresse = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as erreur:
        raise FichierRefuse(
            "Fichier XLSX corrompu : l'archive est incomplète ou endommagée. Ouvrez-le dans "
            "votre tableur et enregistrez-le à nouveau."
        ) from erreur
    if decompresse > FACTEUR_DECOMPRESSION_MAX * taille_max():
        raise FichierRefuse(
            "Fichier XLSX trop volumineux une fois décompressé : découpez-le en plusieurs "
            "fichiers ou enregistrez-le au format CSV."
        )
    try:
        return openpyxl.load_workbook(io.BytesIO(contenu), read_only=True, data_only=True)
    except Exception as erreur:  # tout défaut de l'archive ou du XML : un fichier corrompu
        raise FichierRefuse(
            "Fichier XLSX corrompu : ce n'est pas un classeur Excel lisible. Ouvrez-le dans votre "
            "tableur et enregistrez-le à nouveau au format XLSX."
        ) from erreur


def _fusions(feuille) -> list[tuple[int, int, int, int]]:
    """Cellules fusionnées (col_min, ligne_min, col_max, ligne_max) : le mode lecture seule
    d'openpyxl ne les donne pas, on les relit dans le XML de la feuille (en flux)."""
    fusions = []
    try:
        with feuille._get_source() as source:
            for _, element in iterparse(source, events=("end",)):
                balise = element.tag.rsplit("}", 1)[-1]
                if balise == "mergeCell" and element.get("ref"):
                    try:
                        fusions.append(range_boundaries(element.get("ref")))
                    except (ValueError, TypeError):
                        continue
                elif balise == "row":
                    element.clear()
    except (ParseError, OSError, KeyError, AttributeError):
        return []
    return fusions


def _lire_xlsx(contenu: bytes) -> Tableau:
    classeur = _classeur(contenu)
    try:
        if not classeur.worksheets:
            raise FichierRefuse("Le classeur ne contient aucune feuille de calcul.")
        feuille = classeur.worksheets[0]
        # Une dimension erronée (toute la feuille) ferait fabriquer des millions de cellules.
        feuille.reset_dimensions()
        brutes = []
        vides_consecutives = 0
        limite = lignes_max()
        try:
            for numero, valeurs in enumerate(feuille.iter_rows(values_only=True), start=1):
                textes = [texte_de_cellule(v) for v in valeurs]
                if any(textes):
                    vides_consecutives = 0
                    brutes.append((numero, textes))
                    # en-têtes (une ou deux lignes, plus un titre éventuel) et une de trop
                    if len(brutes) > limite + 4:
                        break
                else:
                    vides_consecutives += 1
                    if brutes and vides_consecutives > LIGNES_VIDES_CONSECUTIVES_MAX:
                        break
        except FichierRefuse:
            raise
        except Exception as erreur:  # XML de feuille invalide
            raise FichierRefuse(
                "Fichier XLSX corrompu : la première feuille est illisible. Ouvrez-le dans "
                "votre tableur et enregistrez-le à nouveau."
            ) from erreur
        fusions = _fusions(feuille)
    finally:
        classeur.close()
    return _tableau(XLSX, brutes, fusions)


# --- CSV ----------------------------------------------------------------------------------------


def decoder(contenu: bytes) -> tuple[str, str]:
    """(texte, encodage) : UTF-8 avec ou sans BOM, sinon Windows-1252 (Excel français) ;
    UTF-16 avec BOM (« Texte Unicode » d'Excel)."""
    if contenu.startswith(b"\xef\xbb\xbf"):
        return contenu[3:].decode("utf-8", errors="replace"), "UTF-8 (avec BOM)"
    if contenu.startswith(BOM_UTF16):
        return contenu.decode("utf-16", errors="replace"), "UTF-16"
    try:
        return contenu.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return contenu.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        # Les 5 octets que Windows-1252 ne définit pas : ISO-8859-1 lit tout.
        return contenu.decode("latin-1"), "ISO-8859-1"


def separateur(texte: str) -> str:
    """Le séparateur qui découpe le mieux la première ligne non vide (hors guillemets)."""
    premieres = []
    for ligne in io.StringIO(texte):
        if ligne.strip():
            premieres.append(ligne)
        if len(premieres) >= 5:
            break
    meilleur, colonnes = ";", 0
    for candidat in SEPARATEURS:
        try:
            lignes = list(csv.reader(premieres, delimiter=candidat))
        except csv.Error:
            continue
        if lignes and len(lignes[0]) > colonnes:
            meilleur, colonnes = candidat, len(lignes[0])
    return meilleur


def _lire_csv(contenu: bytes) -> Tableau:
    texte, encodage = decoder(contenu)
    texte = sans_caractere_nul(texte)
    sep = separateur(texte)
    brutes = []
    limite = lignes_max()
    lecteur = csv.reader(io.StringIO(texte, newline=""), delimiter=sep, strict=False)
    numero = 0
    try:
        for numero, valeurs in enumerate(lecteur, start=1):  # noqa: B007 — relu dans l'erreur
            textes = [v.strip() for v in valeurs]
            if any(textes):
                brutes.append((numero, textes))
                if len(brutes) > limite + 4:
                    break
    except csv.Error as erreur:
        raise FichierRefuse(
            f"Fichier CSV mal formé à la ligne {numero + 1} ({erreur}) : vérifiez les "
            "guillemets de cette ligne."
        ) from erreur
    tableau = _tableau(CSV, brutes, [])
    noms = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
    tableau.details = {"encodage": encodage, "separateur": noms[sep]}
    return tableau


# --- En-têtes -----------------------------------------------------------------------------------


def _remplir_fusions(brutes, fusions) -> None:
    """Une valeur fusionnée couvre toutes ses cellules : un en-tête au-dessus de plusieurs
    colonnes, une référence de ménage fusionnée sur les lignes de ses membres."""
    if not fusions:
        return
    lignes = dict(brutes)
    for col_min, ligne_min, col_max, ligne_max in fusions:
        if ligne_min not in lignes:
            continue
        valeur = lignes[ligne_min][col_min - 1] if col_min - 1 < len(lignes[ligne_min]) else ""
        if not valeur:
            continue
        for numero in range(ligne_min, ligne_max + 1):
            if numero not in lignes:
                continue
            cellules = lignes[numero]
            if len(cellules) < col_max:
                cellules.extend([""] * (col_max - len(cellules)))
            for colonne in range(col_min, col_max + 1):
                if not cellules[colonne - 1]:
                    cellules[colonne - 1] = valeur


def _entete_sur_deux_lignes(premiere: int, fusions) -> bool:
    """Une fusion horizontale sur la ligne d'en-tête (« Demandeur » au-dessus de « Nom »,
    « Prénom »…) ou verticale sur deux lignes annonce un en-tête sur deux lignes."""
    for col_min, ligne_min, col_max, ligne_max in fusions:
        if ligne_min == premiere and (col_max > col_min or ligne_max > ligne_min):
            return True
    return False


def _tableau(format_: str, brutes, fusions) -> Tableau:
    if not brutes:
        raise FichierRefuse("Le fichier est vide : aucune ligne ni en-tête.")
    # Une ligne de titre (une seule cellule remplie, non fusionnée) au-dessus des en-têtes.
    if (
        len(brutes) > 1
        and sum(1 for v in brutes[0][1] if v) == 1
        and sum(1 for v in brutes[1][1] if v) > 1
        and not _entete_sur_deux_lignes(brutes[0][0], fusions)
    ):
        brutes = brutes[1:]
    _remplir_fusions(brutes, fusions)
    premiere, valeurs = brutes[0]
    deux_lignes = (
        len(brutes) > 1
        and brutes[1][0] == premiere + 1
        and _entete_sur_deux_lignes(premiere, fusions)
    )
    largeur = max(len(v) for _, v in brutes)
    haut = valeurs + [""] * (largeur - len(valeurs))
    if deux_lignes:
        bas = brutes[1][1] + [""] * (largeur - len(brutes[1][1]))
        entetes, candidats = [], []
        for h, b in zip(haut, bas, strict=True):
            if h and b and h != b:
                entetes.append(f"{h} / {b}")
                candidats.append([f"{h} {b}", b, h])
            else:
                entetes.append(h or b)
                candidats.append([h or b] if (h or b) else [])
        donnees = brutes[2:]
        ligne_entetes = brutes[1][0]
    else:
        entetes = haut
        candidats = [[e] if e else [] for e in entetes]
        donnees = brutes[1:]
        ligne_entetes = premiere
    if not any(entetes):
        raise FichierRefuse(
            "La première ligne du fichier devrait porter les en-têtes : elle est vide."
        )
    if not donnees:
        raise FichierRefuse(
            "Le fichier ne contient aucune ligne de données : seulement la ligne d'en-têtes."
        )
    if len(donnees) > lignes_max():
        raise FichierRefuse(
            f"Le fichier compte plus de {nombre_lisible(lignes_max())} lignes de données : c'est "
            "le maximum pour un import. Découpez-le en plusieurs fichiers."
        )
    lignes = [(n, v[:largeur] + [""] * (largeur - len(v))) for n, v in donnees]
    dernier = lignes[-1][0]
    return Tableau(
        format=format_,
        entetes=entetes,
        candidats=candidats,
        lignes=lignes,
        ligne_entetes=ligne_entetes,
        lignes_vides=dernier - ligne_entetes - len(lignes),
    )
