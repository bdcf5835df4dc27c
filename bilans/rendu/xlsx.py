"""Rendu XLSX d'un bilan : une feuille « Synthèse », une par bloc, une « Définitions ».

Les nombres sont de vrais nombres avec un format d'affichage (Excel le localise : « # ##0 » en
français). Les taux sont écrits en fraction avec le format pourcentage (12,5 % est stocké 0,125),
ce qui laisse les formules du tableur justes. « s » (secret) et « — » (sans objet) sont du texte.
"""

from __future__ import annotations

import io
import re

import xlsxwriter

from bilans.rendu import (
    LIBELLES_UNITES,
    TIRET,
    date_courte,
    date_longue,
    est_nombre,
    evolution,
    legende_secret,
    libelle_periode,
)
from bilans.secret import SECRET, UNITES_EFFECTIF
from logement.exports import neutraliser

# Formats de nombre Excel (syntaxe anglaise du fichier ; Excel en français affiche « 1 234,5 »).
FORMATS_NOMBRE = {
    "effectif": "#,##0",
    "pourcentage": "0.0%",
    "euros": '#,##0.00" €"',
    "jours": "#,##0.0",
    "mois": "#,##0.0",
}
FORMAT_EVOLUTION = "+0.0%;-0.0%;0.0%"
FORMAT_POINTS = '+0.0" pt";-0.0" pt";0.0" pt"'

FEUILLE_SYNTHESE = "Synthèse"
FEUILLE_DEFINITIONS = "Définitions"
# Mots qui ne finissent pas un nom de feuille tronqué (« Maintien dans le logement et »).
MOTS_DE_LIAISON = frozenset(
    {
        "et",
        "ou",
        "de",
        "des",
        "du",
        "d'",
        "la",
        "le",
        "les",
        "l'",
        "à",
        "au",
        "aux",
        "par",
        "en",
        "sur",
    }
)
CARACTERES_INTERDITS = re.compile(r"[\[\]:*?/\\]")
LARGEUR_LIBELLES_MIN, LARGEUR_LIBELLES_MAX = 24, 60
LARGEUR_NOMBRES = 16


def nom_de_feuille(titre: str, pris: set[str]) -> str:
    """Nom admis par Excel (≤ 31 caractères, sans []:*?/\\, unique sans tenir compte de la casse)."""
    base = CARACTERES_INTERDITS.sub(" ", titre).strip().strip("'") or "Feuille"
    base = re.sub(r"\s+", " ", base)
    if len(base) > 31:
        # Coupe à la fin d'un mot plutôt qu'au milieu, si cela laisse un nom parlant.
        coupe = base[:31]
        base = coupe.rsplit(" ", 1)[0] if " " in coupe[20:] else coupe
        mots = base.split(" ")
        while len(mots) > 2 and mots[-1].lower() in MOTS_DE_LIAISON:
            mots.pop()
        base = " ".join(mots).rstrip(" ,;—-")
    nom, k = base, 2
    while nom.lower() in pris:
        suffixe = f" ({k})"
        nom = base[: 31 - len(suffixe)].rstrip() + suffixe
        k += 1
    pris.add(nom.lower())
    return nom


def _cle_format(unite: str) -> str:
    return "effectif" if unite in UNITES_EFFECTIF else unite if unite in FORMATS_NOMBRE else ""


class _Classeur:
    def __init__(self, donnees: dict):
        self.donnees = donnees
        self.tampon = io.BytesIO()
        self.classeur = xlsxwriter.Workbook(
            self.tampon,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self.classeur.set_properties(
            {
                "title": donnees.get("titre") or "Bilan",
                "subject": donnees.get("audience_libelle") or "",
                "company": "Logement d'abord",
            }
        )
        ajout = self.classeur.add_format
        self.f_titre = ajout({"bold": True, "font_size": 14, "font_color": "#000091"})
        self.f_sous_titre = ajout({"bold": True, "font_size": 11, "font_color": "#000091"})
        self.f_texte = ajout({"text_wrap": True, "valign": "top"})
        self.f_note = ajout({"italic": True, "font_color": "#3A3A3A"})
        self.f_entete = ajout(
            {
                "bold": True,
                "bg_color": "#E3E3FD",
                "text_wrap": True,
                "valign": "bottom",
                "bottom": 1,
            }
        )
        self.f_entete_nombre = ajout(
            {
                "bold": True,
                "bg_color": "#E3E3FD",
                "text_wrap": True,
                "valign": "bottom",
                "align": "right",
                "bottom": 1,
            }
        )
        self.f_libelle = ajout({"text_wrap": True, "valign": "top"})
        self.f_libelle_total = ajout({"bold": True, "top": 1})
        self.f_secret = ajout({"align": "right", "italic": True, "font_color": "#3A3A3A"})
        self.f_secret_total = ajout(
            {"align": "right", "italic": True, "font_color": "#3A3A3A", "bold": True, "top": 1}
        )
        self.f_vide = ajout({"align": "right", "font_color": "#888888"})
        self.f_vide_total = ajout({"align": "right", "font_color": "#888888", "top": 1})
        self.f_nombres = {cle: ajout({"num_format": f}) for cle, f in FORMATS_NOMBRE.items()}
        self.f_nombres[""] = ajout({})
        self.f_nombres_total = {
            cle: ajout({"num_format": f, "bold": True, "top": 1})
            for cle, f in FORMATS_NOMBRE.items()
        }
        self.f_nombres_total[""] = ajout({"bold": True, "top": 1})
        self.f_evolution = ajout({"num_format": FORMAT_EVOLUTION})
        self.f_points = ajout({"num_format": FORMAT_POINTS})
        # Noms réservés aux feuilles fixes : un bloc homonyme prend un suffixe « (2) ».
        self.noms_pris: set[str] = {FEUILLE_SYNTHESE.lower(), FEUILLE_DEFINITIONS.lower()}
        self.legende = legende_secret(donnees)

    # -- cellules --------------------------------------------------------------------------------

    def ecrire_valeur(self, feuille, ligne: int, col: int, valeur, unite: str, *, total=False):
        if valeur is None:
            feuille.write_string(ligne, col, TIRET, self.f_vide_total if total else self.f_vide)
        elif valeur == SECRET:
            feuille.write_string(
                ligne, col, SECRET, self.f_secret_total if total else self.f_secret
            )
            if self.legende:
                feuille.write_comment(ligne, col, self.legende.replace("s : ", "", 1).capitalize())
        elif est_nombre(valeur):
            nombre = round(valeur / 100, 6) if unite == "pourcentage" else valeur
            formats = self.f_nombres_total if total else self.f_nombres
            feuille.write_number(ligne, col, nombre, formats[_cle_format(unite)])
        else:
            feuille.write_string(ligne, col, str(neutraliser(valeur)), self.f_texte)

    def texte(self, feuille, ligne: int, col: int, valeur, fmt=None):
        feuille.write_string(ligne, col, str(neutraliser(valeur or "")), fmt)

    # -- feuilles --------------------------------------------------------------------------------

    def entete_de_feuille(self, feuille, titre: str) -> int:
        """Titre du bilan, territoire, période : chaque feuille se lit seule. Rend la ligne suivante."""
        donnees = self.donnees
        territoire = donnees.get("territoire") or {}
        periode = donnees.get("periode") or {}
        self.texte(feuille, 0, 0, titre, self.f_titre)
        titre_bilan = donnees.get("titre") or ""
        nom = territoire.get("nom") or ""
        contexte = [titre_bilan] if nom in titre_bilan else [titre_bilan, nom]
        contexte += [
            f"{periode.get('libelle', '')} (du {date_courte(periode.get('debut'))} "
            f"au {date_courte(periode.get('fin'))})",
            f"généré le {date_longue(donnees.get('genere_le'))}",
        ]
        self.texte(feuille, 1, 0, " — ".join(c for c in contexte if c), self.f_note)
        ligne = 2
        if self.legende:
            self.texte(feuille, ligne, 0, self.legende, self.f_note)
            ligne += 1
        return ligne + 1

    def synthese(self):
        feuille = self.classeur.add_worksheet(FEUILLE_SYNTHESE)
        donnees = self.donnees
        ligne = self.entete_de_feuille(feuille, "Synthèse")
        if donnees.get("vide"):
            self.texte(feuille, ligne, 0, "Aucune donnée pour cette période.", self.f_sous_titre)
            ligne += 2
        entetes = [
            "Chiffre clé",
            libelle_periode(donnees, "N"),
            libelle_periode(donnees, "N-1"),
            "Évolution",
            "Unité",
        ]
        for col, entete in enumerate(entetes):
            feuille.write_string(
                ligne, col, entete, self.f_entete if col == 0 else self.f_entete_nombre
            )
        feuille.freeze_panes(ligne + 1, 1)
        largeur = LARGEUR_LIBELLES_MIN
        for chiffre in donnees.get("synthese") or []:
            ligne += 1
            unite = chiffre.get("unite", "")
            self.texte(feuille, ligne, 0, chiffre.get("libelle"), self.f_libelle)
            self.ecrire_valeur(feuille, ligne, 1, chiffre.get("n"), unite)
            self.ecrire_valeur(feuille, ligne, 2, chiffre.get("n1"), unite)
            valeur, _ = evolution(chiffre.get("n"), chiffre.get("n1"), unite)
            if valeur is None:
                feuille.write_string(ligne, 3, TIRET, self.f_vide)
            else:
                fmt = self.f_points if unite == "pourcentage" else self.f_evolution
                feuille.write_number(ligne, 3, valeur, fmt)
            self.texte(feuille, ligne, 4, LIBELLES_UNITES.get(unite, unite))
            largeur = max(largeur, len(chiffre.get("libelle") or ""))
        feuille.set_column(0, 0, min(largeur + 2, LARGEUR_LIBELLES_MAX))
        feuille.set_column(1, 4, LARGEUR_NOMBRES)
        if donnees.get("synthese"):
            self.texte(
                feuille,
                ligne + 2,
                0,
                "Évolution : variation relative ; pour un taux, écart en points (pt).",
                self.f_note,
            )

    def bloc(self, bloc: dict):
        donnees = self.donnees
        feuille = self.classeur.add_worksheet(
            nom_de_feuille(bloc.get("titre") or bloc.get("code") or "Bloc", self.noms_pris)
        )
        ligne = self.entete_de_feuille(feuille, bloc.get("titre") or "")
        if bloc.get("texte"):
            self.texte(feuille, ligne, 0, bloc["texte"])
            ligne += 2
        tableaux = bloc.get("tableaux") or []
        largeur_libelles = LARGEUR_LIBELLES_MIN
        nb_colonnes = 1
        for numero, tableau in enumerate(tableaux):
            colonnes = tableau.get("colonnes") or []
            nb_colonnes = max(nb_colonnes, len(colonnes) + 1)
            self.texte(feuille, ligne, 0, tableau.get("titre"), self.f_sous_titre)
            ligne += 1
            self.texte(feuille, ligne, 0, tableau.get("dimension"), self.f_entete)
            for col, colonne in enumerate(colonnes, start=1):
                unite = colonne.get("unite", "")
                precision = f", en {LIBELLES_UNITES[unite]}" if unite in ("jours", "mois") else ""
                entete = (
                    f"{colonne.get('libelle', '')}\n"
                    f"{libelle_periode(donnees, colonne.get('periode', 'N'))}{precision}"
                )
                self.texte(feuille, ligne, col, entete, self.f_entete_nombre)
            feuille.set_row(ligne, 30)
            # En-têtes figés : ceux du premier tableau (le seul, le plus souvent) et les libellés.
            if numero == 0:
                feuille.freeze_panes(ligne + 1, 1)
            rangees = [(r, False) for r in tableau.get("lignes") or []]
            if tableau.get("total"):
                rangees.append((tableau["total"], True))
            for rangee, est_total in rangees:
                ligne += 1
                libelle = rangee.get("libelle") or ""
                self.texte(
                    feuille,
                    ligne,
                    0,
                    libelle,
                    self.f_libelle_total if est_total else self.f_libelle,
                )
                largeur_libelles = max(largeur_libelles, len(libelle))
                for col, (valeur, colonne) in enumerate(
                    zip(rangee.get("valeurs") or [], colonnes, strict=False), start=1
                ):
                    self.ecrire_valeur(
                        feuille, ligne, col, valeur, colonne.get("unite", ""), total=est_total
                    )
            if not rangees:
                ligne += 1
                self.texte(feuille, ligne, 0, "Aucune donnée pour cette période.", self.f_note)
            if tableau.get("note"):
                ligne += 1
                self.texte(feuille, ligne, 0, tableau["note"], self.f_note)
            ligne += 3
        if not tableaux:
            self.texte(feuille, ligne, 0, "Aucune donnée pour cette période.", self.f_note)
            feuille.freeze_panes(ligne, 1)
        feuille.set_column(0, 0, min(largeur_libelles + 2, LARGEUR_LIBELLES_MAX))
        feuille.set_column(1, max(nb_colonnes - 1, 1), LARGEUR_NOMBRES)

    def definitions(self):
        feuille = self.classeur.add_worksheet(FEUILLE_DEFINITIONS)
        ligne = self.entete_de_feuille(feuille, "Définitions des indicateurs")
        for col, entete in enumerate(("Indicateur", "Définition", "Unité", "Code")):
            feuille.write_string(ligne, col, entete, self.f_entete)
        feuille.freeze_panes(ligne + 1, 1)
        for definition in self.donnees.get("definitions") or []:
            ligne += 1
            self.texte(feuille, ligne, 0, definition.get("libelle"), self.f_libelle)
            self.texte(feuille, ligne, 1, definition.get("definition"), self.f_texte)
            unite = definition.get("unite") or ""
            self.texte(feuille, ligne, 2, LIBELLES_UNITES.get(unite, unite))
            self.texte(feuille, ligne, 3, definition.get("code"))
        feuille.set_column(0, 0, 36)
        feuille.set_column(1, 1, 90)
        feuille.set_column(2, 3, 16)

    def fermer(self) -> bytes:
        self.classeur.close()
        return self.tampon.getvalue()


def produire_xlsx(donnees: dict) -> bytes:
    classeur = _Classeur(donnees)
    classeur.synthese()
    for bloc in donnees.get("blocs") or []:
        classeur.bloc(bloc)
    classeur.definitions()
    return classeur.fermer()
